/**
 * Issue 12 item 1: one-shot sends (a new client per send on one saved session, which is how
 * `switchboard webqq send` works) must never be lost, and a genuine retry (same msg_id, same
 * content, same session) must be delivered once. The msg_id counter lives with the session in
 * the CredentialStore; the emulator de-duplicates sender + clientid + msg_id + content within a
 * window of the injected clock, bounded in count.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialKey, FileCredentialStore } from "../../src/core/credentials.js";
import { ManualClock } from "../../src/core/emulator/clock.js";
import { openStore } from "../../src/core/emulator/store.js";
import type { Database } from "../../src/core/storage.js";
import type { WebQQClient, WebQQSession } from "../../src/webqq/client/index.js";
import { createWebQQEmulator, type WebQQEmulator } from "../../src/webqq/emulator/server.js";
import { webqqStoreModule } from "../../src/webqq/emulator/store/schema.js";
import { untilSentinel } from "../helpers/quiet.js";
import { ALICE, BOB, client, seedWorld, until } from "./harness.js";

const clock = new ManualClock(1_700_000_000_000);
let db: Database;
let emu: WebQQEmulator;
let base: string;
let dir: string;
let store: FileCredentialStore<WebQQSession>;
let bob: WebQQClient;
let bobUin: number;
const seen: string[] = [];

beforeAll(async () => {
  db = openStore({ file: null, modules: [webqqStoreModule] });
  emu = createWebQQEmulator({
    db,
    pollTimeoutMs: 400,
    now: () => clock.now(),
    dedupWindowMs: 600_000,
    dedupMaxPerClient: 100,
  });
  base = await emu.listen(0);
  seedWorld(emu);
  dir = mkdtempSync(join(tmpdir(), "webqq-oneshot-"));
  store = new FileCredentialStore<WebQQSession>(join(dir, "session.json"));
  const alice = client(base, { credentials: store });
  await alice.passwordLogin({ qq: ALICE, password: "1234567890" });
  bobUin = (await alice.friends()).info.find((i) => i.nick.startsWith("呼吸"))?.uin as number;
  bob = client(base);
  await bob.passwordLogin({ qq: BOB, password: "pw-bob" });
  bob.on("message", (v) => void seen.push(String(v.content[1])));
  await bob.connect();
});

afterAll(async () => {
  await bob.close();
  await emu.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh client on the saved session, as one `switchboard webqq send` run makes it. */
async function oneShot(): Promise<WebQQClient> {
  const c = client(base, { credentials: store });
  expect(await c.restore()).toBeDefined();
  return c;
}

describe("one-shot sends on one saved session", () => {
  it("300 sends through fresh clients: 300 stored and delivered, none lost", async () => {
    const before = emu.admin.stats().messages;
    const start = seen.length;
    const ids = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const r = await (await oneShot()).sendBuddy(bobUin, [{ type: "text", text: `one-shot ${i}` }]);
      ids.add(r.msgId);
    }
    await until(() => seen.length - start >= 300, 10_000);
    expect(ids.size).toBe(300);
    expect(emu.admin.stats().messages - before).toBe(300);
    const got = seen.slice(start);
    expect(new Set(got).size).toBe(300);
    expect(got.length).toBe(300);
    // The counter is kept with the session: the stored entry is at or past the last msg_id used.
    expect((await store.load(credentialKey(base, "default")))?.msgId).toBeGreaterThanOrEqual(
      Math.max(...ids),
    );
  }, 60_000);

  it("a genuine retry (same msg_id, same content, same session) is delivered once", async () => {
    const before = emu.admin.stats().messages;
    const text = [{ type: "text" as const, text: "retried" }];
    await (await oneShot()).sendBuddy(bobUin, text, { msgId: 777_000_001 });
    await (await oneShot()).sendBuddy(bobUin, text, { msgId: 777_000_001 });
    const arrived = await untilSentinel<string>(
      (push) => bob.on("message", (v) => push(String(v.content[1]))),
      (t) => t === "sentinel-1",
      async () => (await oneShot()).sendBuddy(bobUin, [{ type: "text", text: "sentinel-1" }]),
    );
    // The first copy may already have been polled before the watch began: count both places.
    const all = [...seen.filter((t) => t === "retried")];
    expect(all.length).toBe(1);
    expect(arrived.filter((t) => t === "retried").length).toBeLessThanOrEqual(1);
    expect(emu.admin.stats().messages - before).toBe(2);
  });

  it("the same msg_id with other content is not a retry: both are stored and delivered", async () => {
    const before = emu.admin.stats().messages;
    await (await oneShot()).sendBuddy(bobUin, [{ type: "text", text: "first-x" }], { msgId: 777_000_002 });
    await (await oneShot()).sendBuddy(bobUin, [{ type: "text", text: "second-x" }], { msgId: 777_000_002 });
    await until(() => seen.includes("first-x") && seen.includes("second-x"));
    expect(emu.admin.stats().messages - before).toBe(2);
  });

  it("de-duplication is bounded in time (injected clock) and in count", async () => {
    const text = [{ type: "text" as const, text: "late-retry" }];
    await (await oneShot()).sendBuddy(bobUin, text, { msgId: 777_000_003 });
    clock.advance(600_001);
    // Past the window a repeat is a new message (documented: retries must come within it).
    await (await oneShot()).sendBuddy(bobUin, text, { msgId: 777_000_003 });
    await until(() => seen.filter((t) => t === "late-retry").length === 2);
    const n = (db.prepare("SELECT COUNT(*) AS n FROM webqq_send_ids").get() as { n: number }).n;
    // Trimmed every 64 sends of a client: never more than the cap + 63 remembered.
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(100 + 63);
  });
});
