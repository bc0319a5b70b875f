/**
 * max-idle: memory the emulator process holds per idle logged-in connection (hello + 19),
 * measured in the server's own process after forced GC, before vs after 10,000 connections.
 * A bare `ws` server holding the same number of plain connections is measured as a reference.
 */
import type WebSocket from "ws";
import { connect, inBatches, Peer } from "./lib/client.js";
import { ChildServer, type MemoryReading } from "./lib/ipc.js";
import { type BenchResult, below, info, type Metric, sleep } from "./lib/report.js";

const CONNECTIONS = 10_000;
const CONCURRENCY = 200;

const kb = (bytes: number) => bytes / 1024;

function perConnection(before: MemoryReading, after: MemoryReading, n: number) {
  return {
    rss: kb(after.rss - before.rss) / n,
    heap: kb(after.heapUsed + after.external - (before.heapUsed + before.external)) / n,
  };
}

export async function maxIdle(): Promise<BenchResult> {
  const started = Date.now();
  const notes: string[] = [];
  const metrics: Metric[] = [];
  const sockets: WebSocket[] = [];
  const emu = await ChildServer.start("bench/lib/max-server.ts");
  try {
    const users = await emu.call<{ userId: number; token: string }[]>("users", {
      count: CONNECTIONS,
      sessions: CONNECTIONS,
    });
    const before = await emu.memory();
    const t0 = Date.now();
    await inBatches(CONNECTIONS, CONCURRENCY, async (i) => {
      const peer = await Peer.open(String(emu.info.url));
      sockets.push(peer.ws);
      await peer.login(users[i]!.token, `idle-${i}`);
      peer.ws.removeAllListeners("message");
    });
    const openMs = Date.now() - t0;
    await sleep(500);
    const after = await emu.memory();
    const stats = await emu.call<{ connections: number; online: number }>("stats");
    if (stats.online !== CONNECTIONS)
      throw new Error(`only ${stats.online} of ${CONNECTIONS} connections online`);
    const per = perConnection(before, after, CONNECTIONS);
    notes.push(`${stats.online} logged-in connections opened in ${openMs} ms (${CONCURRENCY} at a time)`);
    notes.push(
      `server before: rss ${Math.round(kb(before.rss))} KB, heap+external ${Math.round(kb(before.heapUsed + before.external))} KB; ` +
        `after: rss ${Math.round(kb(after.rss))} KB, heap+external ${Math.round(kb(after.heapUsed + after.external))} KB`,
    );
    metrics.push(below("rss per connection", per.rss, "KB", 40));
    metrics.push(below("heap+external per connection", per.heap, "KB", 40));
  } finally {
    for (const ws of sockets.splice(0)) ws.terminate();
    await emu.stop();
  }

  // Reference: the same number of bare WebSocket connections on a plain `ws` server.
  const echo = await ChildServer.start("bench/lib/echo-server.ts");
  try {
    const before = await echo.memory();
    await inBatches(CONNECTIONS, CONCURRENCY, async () => {
      sockets.push(await connect(String(echo.info.url)));
    });
    await sleep(500);
    const after = await echo.memory();
    const per = perConnection(before, after, CONNECTIONS);
    metrics.push(info("baseline ws rss per connection", per.rss, "KB"));
    metrics.push(info("baseline ws heap+external per conn", per.heap, "KB"));
  } finally {
    for (const ws of sockets.splice(0)) ws.terminate();
    await echo.stop();
  }
  return { name: "max-idle", metrics, notes, durationMs: Date.now() - started };
}
