/** Issue 12 item 6: every list call has a bounded page and an index behind its WHERE clause. */
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/core/emulator/store.js";
import { maximStoreModule } from "../../src/maxim/emulator/store/schema.js";
import { LIMITS } from "../../src/maxim/protocol.js";
import { api, closeEachEnv, raw, register, start, TOKEN } from "./harness.js";

closeEachEnv();

describe("bounded list calls (item 6)", () => {
  it("an oversized page size is refused with 10002 on every paged list; the limit itself is served", async () => {
    const env = await start();
    const owner = await register(env, "owner");
    const g = (await api(env.base, "POST", "/group/create", { name: "g" }, owner)).json.data.group_id;
    const over = LIMITS.memberPage + 1;
    for (const path of [
      `/group/member_list?group_id=${g}&limit=${over}`,
      `/group/blocked_list?group_id=${g}&limit=${over}`,
      `/group/banned_list?group_id=${g}&limit=${over}`,
      `/roster/list?limit=${over}`,
      `/roster/apply/list?limit=${over}`,
      `/group/invitation_list?limit=${over}`,
      `/message/conversation?opposite_id=${g}&msg_id_start=0&limit=201`,
    ]) {
      const r = await api(env.base, "GET", path, undefined, owner);
      expect([path, r.json.code]).toEqual([path, 10002]);
    }
    const users = await raw(env.base, "GET", `/user/list?page_size=${LIMITS.userPageMax + 1}`, {
      app_id: "welovemaxim",
      "access-token": TOKEN,
    });
    expect(users.json.code).toBe(10002);
    const ok = await api(
      env.base,
      "GET",
      `/group/member_list?group_id=${g}&limit=${LIMITS.memberPage}`,
      undefined,
      owner,
    );
    expect(ok.json.code).toBe(200);
  });

  it("announcement and file lists answer at most the newest LIMITS.groupItemList items", async () => {
    const env = await start();
    const owner = await register(env, "owner");
    const g = (await api(env.base, "POST", "/group/create", { name: "g" }, owner)).json.data.group_id;
    const n = LIMITS.groupItemList + 3;
    for (let i = 0; i < n; i++) {
      env.emu.store.groups.insertFile(g, owner, `f${i}`, 1, "", "https://f", 0, 0);
      env.emu.store.groups.insertAnnouncement(g, owner, `t${i}`, "c", 0);
    }
    const files = await api(env.base, "GET", `/group/file/list?group_id=${g}`, undefined, owner);
    expect(files.json.data).toHaveLength(LIMITS.groupItemList);
    const anns = await api(env.base, "GET", `/group/announcement/list?group_id=${g}`, undefined, owner);
    expect(anns.json.data).toHaveLength(LIMITS.groupItemList);
    expect(anns.json.data[0].title).toBe(`t${n - 1}`);
  });

  it("every WHERE clause of a list or count uses an index (no full table scan)", () => {
    const db = openStore({ file: null, modules: [maximStoreModule] });
    try {
      const plans: [string, unknown[]][] = [
        ["SELECT COUNT(*) FROM maxim_groups WHERE owner_id = ? AND status = 0", [1]],
        [
          "SELECT * FROM maxim_group_requests WHERE kind = 'invite' AND user_id = ? AND id > ? ORDER BY id LIMIT ?",
          [1, 0, 10],
        ],
        ["SELECT * FROM maxim_group_announcements WHERE group_id = ? ORDER BY id DESC LIMIT 10", [1]],
        ["SELECT * FROM maxim_group_files WHERE group_id = ? ORDER BY file_id LIMIT 10", [1]],
        ["SELECT id FROM maxim_roster_applies WHERE to_id = ? AND id > ? ORDER BY id LIMIT ?", [1, 0, 10]],
        [
          "SELECT friend_id, seq FROM maxim_rosters WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?",
          [1, 0, 10],
        ],
        ["DELETE FROM maxim_transactions WHERE created_at < ?", [1]],
      ];
      for (const [sql, args] of plans) {
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[])
          .map((r) => r.detail)
          .join("; ");
        expect([sql, plan]).not.toEqual([
          sql,
          expect.stringMatching(/^SCAN maxim_\w+$|^SCAN maxim_\w+;|TEMP B-TREE/),
        ]);
      }
    } finally {
      db.close();
    }
  });
});
