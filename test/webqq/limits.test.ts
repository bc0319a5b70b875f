/**
 * Issue 12 item 8: the WebQQ face has header / request / keep-alive / idle timeouts and a cap
 * on connections per address (core `applyServerLimits`), and its idle timeout never cuts a
 * held poll2: asked for an idle shorter than the poll hold, it is raised above it.
 */
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openStore } from "../../src/core/emulator/store.js";
import type { Database } from "../../src/core/storage.js";
import type { WebQQClient } from "../../src/webqq/client/index.js";
import { createWebQQEmulator, type WebQQEmulator } from "../../src/webqq/emulator/server.js";
import { webqqStoreModule } from "../../src/webqq/emulator/store/schema.js";
import { ALICE, loggedIn, seedWorld } from "./harness.js";

const POLL_MS = 500;
let db: Database;
let emu: WebQQEmulator;
let base: string;
let alice: WebQQClient;

beforeAll(async () => {
  db = openStore({ file: null, modules: [webqqStoreModule] });
  // An idle of 100 ms would cut a 500 ms poll: the emulator raises it to twice the hold.
  emu = createWebQQEmulator({
    db,
    pollTimeoutMs: POLL_MS,
    serverLimits: { idleTimeoutMs: 100, keepAliveTimeoutMs: 100 },
  });
  base = await emu.listen(0);
  seedWorld(emu);
  alice = await loggedIn(base, ALICE, "1234567890");
});

afterAll(async () => {
  await emu.close();
  db.close();
});

function silentSocket(): Promise<{ socket: Socket; closed: Promise<number> }> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1");
    const opened = Date.now();
    const closed = new Promise<number>((done) => socket.on("close", () => done(Date.now() - opened)));
    socket.on("error", () => undefined);
    socket.once("connect", () => resolve({ socket, closed }));
    socket.once("error", reject);
  });
}

it("closes a silent socket while a held poll2 on another connection is answered 102, not cut", async () => {
  const silent = await silentSocket();
  const t0 = Date.now();
  const env = await alice.poll();
  const held = Date.now() - t0;
  expect(env.retcode).toBe(102);
  expect(held).toBeGreaterThanOrEqual(POLL_MS - 50);
  // The silent socket is closed by the idle timeout (2 × the poll hold here), not kept forever.
  const lived = await silent.closed;
  expect(lived).toBeGreaterThanOrEqual(POLL_MS);
  expect(lived).toBeLessThan(10_000);
}, 15_000);

it("caps connections per client address", async () => {
  db.close();
  db = openStore({ file: null, modules: [webqqStoreModule] });
  await emu.close();
  emu = createWebQQEmulator({ db, pollTimeoutMs: POLL_MS, serverLimits: { maxConnectionsPerClient: 3 } });
  base = await emu.listen(0);
  const held = await Promise.all([silentSocket(), silentSocket(), silentSocket()]);
  const fourth = await silentSocket();
  expect(await fourth.closed).toBeLessThan(5_000);
  for (const h of held) h.socket.destroy();
  await Promise.all(held.map((h) => h.closed));
  // Once they are gone the address is served again.
  const res = await fetch(`${base}/channel/poll2`, { method: "POST" });
  expect(res.status).toBe(200);
});
