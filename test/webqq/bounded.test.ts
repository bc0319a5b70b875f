/**
 * Issue 12 item 6: every WebQQ request has a bounded cost, and one client that stops polling
 * can't grow the sandbox without end nor block the others. The per-session poll queue is
 * capped: a buddy send to a full queue is refused with retcode 1202 (not stored, so nothing
 * answered ok is lost) while every other client is served; a member whose queue is full does not
 * block its group; the recent-chats query reads a bounded slice through indexes; the c2c
 * signatures a client asks for do not pile up; admin-made lists have the real service's caps.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/core/emulator/store.js";
import type { Database } from "../../src/core/storage.js";
import type { WebQQClient } from "../../src/webqq/client/index.js";
import { LOGIN_TABLE_CAP } from "../../src/webqq/emulator/login.js";
import { createWebQQEmulator, type WebQQEmulator } from "../../src/webqq/emulator/server.js";
import { RECENT_CHATS_SQL } from "../../src/webqq/emulator/store/messages.js";
import { webqqStoreModule } from "../../src/webqq/emulator/store/schema.js";
import { passwordHash, uinBytes } from "../../src/webqq/protocol.js";
import { ALICE, BOB, CAROL, client, seedWorld, until } from "./harness.js";

const CAP = 20;
let db: Database;
let emu: WebQQEmulator;
let base: string;
let world: ReturnType<typeof seedWorld>;

beforeAll(async () => {
  db = openStore({ file: null, modules: [webqqStoreModule] });
  emu = createWebQQEmulator({ db, pollTimeoutMs: 300, maxQueue: CAP });
  base = await emu.listen(0);
  world = seedWorld(emu);
});

afterAll(async () => {
  await emu.close();
  db.close();
});

const login = async (qq: number, password: string): Promise<WebQQClient> => {
  const c = client(base, { sendAttempts: 1 });
  await c.passwordLogin({ qq, password });
  return c;
};

describe("per-session poll queue", () => {
  it("a buddy send to a full queue is refused (1202), others are served, nothing answered ok is lost", async () => {
    const alice = await login(ALICE, "1234567890");
    const bob = await login(BOB, "pw-bob"); // logged in, not polling
    const carol = await login(CAROL, "pw-carol");
    const uinOf = async (c: WebQQClient, prefix: string) =>
      (await c.friends()).info.find((i) => i.nick.startsWith(prefix))?.uin as number;
    const bobUin = await uinOf(alice, "呼吸");
    const carolUin = await uinOf(alice, "qqbot");
    const ok: string[] = [];
    let refused = 0;
    for (let i = 0; i < CAP + 5; i++) {
      try {
        await alice.sendBuddy(bobUin, [{ type: "text", text: `q-${i}` }]);
        ok.push(`q-${i}`);
      } catch (err) {
        expect((err as { code?: unknown }).code).toBe(1202);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
    expect(ok.length).toBeLessThanOrEqual(CAP);
    // Another client is served while Bob's queue is full: Carol gets Alice's message.
    const toCarol: string[] = [];
    carol.on("message", (v) => void toCarol.push(String(v.content[1])));
    await carol.connect();
    await alice.sendBuddy(carolUin, [{ type: "text", text: "to carol" }]);
    await until(() => toCarol.includes("to carol"));
    // Bob polls: every send answered ok arrives, once, and his queue takes sends again.
    const got: string[] = [];
    bob.on("message", (v) => void got.push(String(v.content[1])));
    await bob.connect();
    await until(() => got.length >= ok.length);
    expect(got.filter((t) => t.startsWith("q-"))).toEqual(ok);
    await alice.sendBuddy(bobUin, [{ type: "text", text: "after" }]);
    await until(() => got.includes("after"));
    // Queued rows at rest stay within the cap per session.
    const rows = db
      .prepare(
        "SELECT MAX(n) AS n FROM (SELECT COUNT(*) AS n FROM webqq_session_queue GROUP BY psessionid_hash)",
      )
      .get() as { n: number | null };
    expect(rows.n ?? 0).toBeLessThanOrEqual(CAP + 1);
    await Promise.all([bob.close(), carol.close()]);
  }, 30_000);

  it("a member whose queue is full does not block the group; its client is told (103) and relinks", async () => {
    const alice = await login(ALICE, "1234567890");
    const bob = await login(BOB, "pw-bob");
    const carol = await login(CAROL, "pw-carol"); // not in the group; served meanwhile
    const fromGroup: string[] = [];
    const gid = (await alice.groups()).gnamelist[0]?.gid as number;
    // Bob does not poll: after CAP group messages his queue is full, yet Alice's sends go on.
    for (let i = 0; i < CAP + 5; i++) await alice.sendGroup(gid, [{ type: "text", text: `g-${i}` }]);
    expect((await carol.friends()).info.length).toBeGreaterThan(0);
    bob.on("group_message", (v) => void fromGroup.push(String(v.content[1])));
    const states: string[] = [];
    bob.on("session", () => void states.push("session"));
    await bob.connect();
    // He gets what was queued, then 103 (he missed some): the client relinks by itself.
    await until(() => fromGroup.length >= CAP && states.length > 0, 10_000);
    expect(fromGroup.slice(0, CAP)).toEqual(Array.from({ length: CAP }, (_, i) => `g-${i}`));
    await alice.sendGroup(gid, [{ type: "text", text: "g-after" }]);
    await until(() => fromGroup.includes("g-after"));
    await Promise.all([bob.close(), carol.close()]);
    void world;
  }, 30_000);
});

describe("bounded reads", () => {
  it("recent chats read a bounded slice through indexes, not the whole message table", () => {
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${RECENT_CHATS_SQL}`).all(ALICE, ALICE, ALICE) as {
      detail: string;
    }[];
    const details = plan.map((p) => p.detail).join("\n");
    expect(details).not.toMatch(/SCAN webqq_messages(?! USING)/);
    expect(details).toMatch(/USING INDEX webqq_messages_from/);
    expect(details).toMatch(/USING INDEX webqq_messages_target/);
  });

  it("get_c2cmsg_sig2 hands the same signature for the same pair (no growth per call)", async () => {
    const alice = await login(ALICE, "1234567890");
    const info = await alice.groupInfo(world.group.code);
    const bobUin = info.minfo.find((m) => m.nick.startsWith("呼吸"))?.uin as number;
    const s = alice.session!;
    const url = `${base}/channel/get_c2cmsg_sig2?id=${info.ginfo.gid}&to_uin=${bobUin}&service_type=0&clientid=${alice.clientid}&psessionid=${s.psessionid}&t=1`;
    const sigs = new Set<string>();
    for (let i = 0; i < 5; i++)
      sigs.add(((await (await fetch(url)).json()) as { result: { value: string } }).result.value);
    expect(sigs.size).toBe(1);
    await alice.sendSess(info.ginfo.gid, bobUin, [{ type: "text", text: "psst" }]);
  });

  it("admin lists have caps: a group of more than 2,000 members is refused", () => {
    const members: number[] = [];
    for (let i = 0; i < 2001; i++) {
      const qq = 50_000_000 + i;
      emu.admin.createAccount({ qq, password: "pw", nick: `m${i}` });
      members.push(qq);
    }
    expect(() => emu.admin.createGroup({ name: "too big", owner: ALICE, members })).toThrow(/2,000/);
    expect(
      emu.admin.createGroup({ name: "big", owner: ALICE, members: members.slice(0, 1999) }).gid,
    ).toBeGreaterThan(0);
  });
});

describe("bounded login tables", () => {
  it("pending checks are capped (oldest dropped) while a fresh login still works", async () => {
    const first = await emu.app.inject({ method: "GET", url: `/check?uin=${ALICE}&appid=1003903&r=0.1` });
    const firstKey = /ptvfsession=([^;]+)/.exec(String(first.headers["set-cookie"]))?.[1] as string;
    for (let i = 0; i < LOGIN_TABLE_CAP; i++)
      await emu.app.inject({ method: "GET", url: `/check?uin=${10_000 + (i % 1000)}&appid=1003903&r=${i}` });
    // The oldest pending check was dropped: logging in with it is "page expired" (4,2).
    const vcode = /ptui_checkVC\('0','([^']+)'/.exec(first.body)?.[1] as string;
    const p = passwordHash("1234567890", uinBytes(ALICE), vcode);
    const stale = await emu.app.inject({
      method: "GET",
      url: `/login?u=${ALICE}&p=${p}&verifycode=${encodeURIComponent(vcode)}&aid=1003903`,
      headers: { cookie: `ptvfsession=${firstKey}` },
    });
    expect(stale.body).toMatch(/ptuiCB\('4','2'/);
    // Another user is served meanwhile: a whole password login goes through.
    const c = client(base);
    expect((await c.passwordLogin({ qq: BOB, password: "pw-bob" })).qq).toBe(BOB);
  }, 30_000);
});
