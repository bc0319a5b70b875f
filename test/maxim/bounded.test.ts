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

  it("no statement the API ran scans a whole table; history pages sort no more than a page", async () => {
    const env = await start();
    const [a, b, c] = [await register(env, "a1"), await register(env, "b1"), await register(env, "c1")];
    const call = async (method: string, path: string, body: unknown, as?: number) => {
      const r = await api(env.base, method, path, body, as);
      expect([path, r.json.code]).toEqual([path, 200]);
      return r.json;
    };
    const g = (await call("POST", "/group/create", { name: "g", user_list: [b] }, a)).data.group_id;
    await call("POST", "/user/add_roster", { list: [b] }, a);
    await call("POST", "/roster/apply", { user_id: c }, a);
    for (const [to, type, txn] of [
      [b, 1, "t1"],
      [g, 2, "t2"],
      [a, 1, "t3"],
    ] as const)
      await call(
        "POST",
        "/message/send",
        { targets: [to], type, content_type: 0, content: "x", transaction_id: txn },
        a,
      );
    await call("POST", "/message/send", { targets: [a], type: 1, content_type: 0, content: "y" }, b);
    for (const opposite of [a, b, g, 0])
      await call(
        "GET",
        `/message/conversation?opposite_id=${opposite}&msg_id_start=0&limit=10`,
        undefined,
        b === opposite ? a : b,
      );
    await call("GET", `/message/conversation?opposite_id=${a}&msg_id_start=0&limit=10`, undefined, a);
    await call("GET", "/message/unread", undefined, b);
    await call("GET", `/message/ack?conversation_id=${a}`, undefined, b);
    await call("DELETE", `/message/conversation?conversation_id=${a}`, undefined, b);
    await call("POST", "/group/block", { group_id: g, user_list: [c] }, a);
    await call("POST", "/group/ban", { group_id: g, user_list: [b], duration: 10 }, a);
    for (const path of [
      `/group/member_list?group_id=${g}&limit=1`,
      `/group/blocked_list?group_id=${g}&limit=1`,
      `/group/banned_list?group_id=${g}`,
      `/group/admin_list?group_id=${g}`,
      `/group/announcement/list?group_id=${g}`,
      `/group/file/list?group_id=${g}`,
      "/group/user_joined",
      "/group/invitation_list?limit=1",
      "/roster/list?limit=1",
      "/roster/apply/list?limit=1",
      "/user/rosters",
      "/roster/blocked_list",
      "/user/online_status",
    ])
      await call("GET", path, undefined, path.startsWith("/roster/apply") ? c : a);
    await call("POST", "/group/application_list?limit=1", { group_list: [g] }, a);
    await raw(env.base, "GET", "/user/list?page_size=1", { app_id: "welovemaxim", "access-token": TOKEN });
    await call("POST", "/user/change_password", { old_password: "pw", new_password: "pw2" }, c);
    const statements = [...(env.emu.store.sql as unknown as { cache: Map<string, unknown> }).cache.keys()];
    expect(statements.length).toBeGreaterThan(40);
    const problems: string[] = [];
    for (const sql of statements) {
      const args = Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 1);
      const plan = (
        env.emu.store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]
      )
        .map((r) => r.detail)
        .join("; ");
      // A full scan of a table (SQLite says "SCAN t" without "USING ... INDEX").
      if (/\bSCAN maxim_\w+(?! USING)(;|$)/.test(plan)) problems.push(`${sql}\n  → ${plan}`);
      // History pages: the database walks an index in order; it never sorts a whole conversation.
      if (/FROM maxim_messages WHERE .*ORDER BY msg_id DESC/.test(sql) && /TEMP B-TREE/.test(plan))
        problems.push(`${sql}\n  → ${plan}`);
    }
    expect(problems).toEqual([]);
  });

  it("the group blacklist is paged by cursor and limit", async () => {
    const env = await start();
    const owner = await register(env, "owner");
    const users = [await register(env, "u1"), await register(env, "u2"), await register(env, "u3")];
    const g = (await api(env.base, "POST", "/group/create", { name: "g" }, owner)).json.data.group_id;
    await api(env.base, "POST", "/group/block", { group_id: g, user_list: users }, owner);
    const first = await api(env.base, "GET", `/group/blocked_list?group_id=${g}&limit=2`, undefined, owner);
    expect(first.json.data.map((r: { user_id: number }) => r.user_id)).toEqual(users.slice(0, 2));
    expect(first.json.cursor).toBe(String(users[1]));
    const next = await api(
      env.base,
      "GET",
      `/group/blocked_list?group_id=${g}&limit=2&cursor=${first.json.cursor}`,
      undefined,
      owner,
    );
    expect(next.json.data.map((r: { user_id: number }) => r.user_id)).toEqual(users.slice(2));
    expect(next.json.cursor).toBeUndefined();
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
