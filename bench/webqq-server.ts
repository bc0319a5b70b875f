/**
 * The WebQQ emulator as a benchmark subject (run as a child by ChildServer), plus the baseline:
 * a bare Fastify long poll (a waiter per id, released by /send) on a second port of the same
 * process, so both sides pay the same process and HTTP costs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { openStore } from "../src/core/emulator/store.js";
import { createWebQQEmulator } from "../src/webqq/emulator/server.js";
import { webqqStoreModule } from "../src/webqq/emulator/store/schema.js";
import { serveIpc } from "./lib/ipc.js";

const dir = mkdtempSync(join(tmpdir(), "sb-bench-webqq-"));
const db = openStore({ file: join(dir, "bench.db"), modules: [webqqStoreModule] });
const emu = createWebQQEmulator({ db, pollTimeoutMs: 30_000 });
const url = await emu.listen(0);

const bare = Fastify({ logger: false });
const waiters = new Map<string, (body: unknown) => void>();
const queued = new Map<string, unknown[]>();
bare.post<{ Body: { id: string } }>("/poll", async (req) => {
  const id = req.body.id;
  const q = queued.get(id);
  if (q?.length) {
    queued.delete(id);
    return { retcode: 0, result: q };
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      waiters.delete(id);
      resolve({ retcode: 102, errmsg: "" });
    }, 30_000);
    waiters.set(id, (item) => {
      clearTimeout(timer);
      waiters.delete(id);
      resolve({ retcode: 0, result: [item] });
    });
  });
});
bare.post<{ Body: { to: string; text: string } }>("/send", async (req) => {
  const item = { poll_type: "message", value: { content: [["font", {}], req.body.text] } };
  const w = waiters.get(req.body.to);
  if (w) w(item);
  else queued.set(req.body.to, [...(queued.get(req.body.to) ?? []), item]);
  return { retcode: 0, result: "ok" };
});
await bare.listen({ port: 0, host: "127.0.0.1" });
const bareUrl = `http://127.0.0.1:${(bare.server.address() as AddressInfo).port}`;

serveIpc(
  { url, bareUrl },
  {
    /** Accounts 10_000_000+i (password "pw"), each a friend of the sender 9_999_999. */
    accounts: (params: { count: number }) => {
      emu.admin.createAccount({ qq: 9_999_999, password: "pw", nick: "sender" });
      for (let i = 0; i < params.count; i++) {
        const qq = 10_000_000 + i;
        emu.admin.createAccount({ qq, password: "pw", nick: `r${qq}` });
        emu.admin.addFriend(9_999_999, qq);
      }
      return { sender: 9_999_999, first: 10_000_000 };
    },
    stats: () => emu.admin.stats(),
    baselinePolling: () => waiters.size,
  },
  async () => {
    await emu.close();
    await bare.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  },
);
