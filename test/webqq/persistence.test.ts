import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/emulator/clock.js";
import { openStore } from "../../src/core/emulator/store.js";
import type { Database as Db } from "../../src/core/storage.js";
import { createWebQQEmulator, type WebQQEmulator } from "../../src/webqq/emulator/server.js";
import { webqqStoreModule } from "../../src/webqq/emulator/store/schema.js";
import { REFERER } from "../../src/webqq/protocol.js";
import { nextTurn } from "../helpers/quiet.js";
import { ALICE, BOB, CAROL, loggedIn, raw, seedWorld } from "./harness.js";

interface Running {
  emu: WebQQEmulator;
  db: Db;
  base: string;
}

let dir: string;
let file: string;
let running: Running | undefined;

async function start(port = 0, sessionTtlMs?: number, clock?: ManualClock): Promise<Running> {
  const db = openStore({ file, modules: [webqqStoreModule] });
  const emu = createWebQQEmulator({
    db,
    pollTimeoutMs: 300,
    ...(sessionTtlMs !== undefined ? { sessionTtlMs } : {}),
    ...(clock ? { now: () => clock.now() } : {}),
  });
  const base = await emu.listen(port);
  running = { emu, db, base };
  return running;
}

async function stop(r: Running): Promise<void> {
  await r.emu.close();
  r.db.close();
  running = undefined;
  // Let the clients' connection pool see the closed keep-alive sockets before the next start
  // (the close events are I/O callbacks: a turn of the event loop, no timer).
  await nextTurn();
  await nextTurn();
}

const portOf = (base: string) => Number(new URL(base).port);

/** Every text value in every table of the database file. */
function allText(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    const out: string[] = [];
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[];
    for (const { name } of tables) {
      for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[]) {
        for (const v of Object.values(row)) {
          if (typeof v === "string") out.push(v);
          else if (v instanceof Buffer) out.push(v.toString("latin1"));
        }
      }
    }
    return out;
  } finally {
    db.close();
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "webqq-persist-"));
  file = join(dir, "sandbox.db");
});

afterEach(async () => {
  if (running) await stop(running);
  rmSync(dir, { recursive: true, force: true });
});

describe("WebQQ sessions across a restart", () => {
  it("keeps the session, its cookies and its undelivered messages; no secret in clear at rest", async () => {
    let r = await start();
    seedWorld(r.emu);
    const port = portOf(r.base);
    const alice = await loggedIn(r.base, ALICE, "1234567890");
    const bob = await loggedIn(r.base, BOB, "pw-bob");
    const before = { ...alice.session! };
    const bobBefore = { ...bob.session! };

    // Bob writes while Alice is not polling: the message waits in her queue.
    const aliceUin = (await bob.friends()).info.find((i) => i.nick === "alice")!.uin;
    await bob.sendBuddy(aliceUin, [{ type: "text", text: "queued before restart" }]);

    await stop(r);
    r = await start(port);

    // Same client objects, same cookies and psessionid: the queued message comes through.
    const env = await alice.poll();
    expect(env.retcode).toBe(0);
    const items = (env as { result: { poll_type: string; value: { content: unknown[] } }[] }).result;
    // Bob's login (buddies_status_change) was queued too, before the message.
    const messages = items.filter((i) => i.poll_type === "message");
    expect(messages).toHaveLength(1);
    expect(JSON.stringify(messages[0]?.value.content)).toContain("queued before restart");
    expect(alice.session?.psessionid).toBe(before.psessionid);

    // Taken once: the next poll waits and answers 102.
    expect((await alice.poll()).retcode).toBe(102);

    // Sending (d.web2 by psessionid) and the s.web2 calls (vfwebqq + ptwebqq cookie) still work.
    const bobUin = (await alice.friends()).info.find((i) => i.nick.startsWith("呼吸"))!.uin;
    await alice.sendBuddy(bobUin, [{ type: "text", text: "after restart" }]);
    const bobEnv = await bob.poll();
    expect(bobEnv.retcode).toBe(0);
    expect(JSON.stringify(bobEnv)).toContain("after restart");
    expect((await alice.selfInfo()).account).toBe(ALICE);
    expect(await alice.recentList()).toContainEqual({ uin: bobUin, type: 0 });
    expect(alice.session?.psessionid).toBe(before.psessionid);
    expect(alice.session?.vfwebqq).toBe(before.vfwebqq);

    // A fresh login after the restart still works alongside the restored sessions.
    const carol = await loggedIn(r.base, CAROL, "pw-carol");
    expect(carol.session?.uin).toBe(CAROL);

    const text = allText(file).join("\n");
    for (const s of [before, bobBefore]) {
      expect(text).not.toContain(s.psessionid);
      expect(text).not.toContain(s.vfwebqq);
      expect(text).not.toContain(s.ptwebqq);
    }
    const aliceNow = alice.session!;
    expect(text).not.toContain(aliceNow.ptwebqq);
  });

  it("a kick pending at restart still arrives, then 121; logout after a restart gives 103", async () => {
    let r = await start();
    seedWorld(r.emu);
    const port = portOf(r.base);
    const first = await loggedIn(r.base, ALICE, "1234567890");
    const bob = await loggedIn(r.base, BOB, "pw-bob");
    const second = await loggedIn(r.base, ALICE, "1234567890");
    await stop(r);
    r = await start(port);

    const kicked = await first.poll();
    expect(kicked.retcode).toBe(0);
    expect(JSON.stringify(kicked)).toContain("kick_message");
    const again = await first.poll().catch((e: unknown) => e);
    expect(JSON.stringify(again)).toMatch(/121/);

    expect((await second.poll()).retcode).toBe(102);
    const bobSession = bob.session!;
    await bob.logout();
    await stop(r);
    r = await start(port);
    const ids = { clientid: bobSession.clientid, psessionid: bobSession.psessionid };
    const gone = await raw(r.base, "POST", "/channel/poll2", {
      headers: { referer: REFERER.d, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...ids, r: JSON.stringify({ ...ids, key: 0, ids: [] }) }).toString(),
    });
    expect(gone.json).toEqual({ retcode: 103, errmsg: "" });
    // The kicking session lives on (its first answer may be Bob going offline).
    expect([0, 102]).toContain((await second.poll()).retcode);
  });

  it("the idle TTL holds across a restart (100012), and the relink of the same client works", async () => {
    let r = await start(0, 60_000);
    seedWorld(r.emu);
    const port = portOf(r.base);
    const alice = await loggedIn(r.base, ALICE, "1234567890");
    const psid = alice.session!.psessionid;
    await stop(r);
    r = await start(port, 60_000);
    const relinked = await alice.relink();
    expect(relinked.psessionid).not.toBe(psid);
    expect((await alice.poll()).retcode).toBe(102);
    await stop(r);
    // The TTL is judged by the injected clock: a restart 60 s + 1 ms later (no sleep).
    const clock = new ManualClock();
    r = await start(port, 60_000, clock);
    clock.advance(60_001);
    const expired = await alice.poll().catch((e: unknown) => e);
    expect(JSON.stringify(expired)).toMatch(/100012/);
  });
});
