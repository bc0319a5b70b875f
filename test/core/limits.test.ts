import { createServer, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { applyServerLimits } from "../../src/core/emulator/limits.js";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function listen(limits: Parameters<typeof applyServerLimits>[1], ws = false) {
  server = createServer((_req, res) => res.end("ok"));
  const applied = applyServerLimits(server, limits);
  if (ws) new WebSocketServer({ server });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { port, applied };
}

const open = (port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
const closed = (s: Socket) =>
  new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once("close", () => resolve())));

describe("applyServerLimits", () => {
  it("closes a socket that sends nothing", async () => {
    const { port } = await listen({ idleTimeoutMs: 100, headersTimeoutMs: 100 });
    const s = await open(port);
    await closed(s); // the test's own timeout is the bound: it never closes without the limit
    expect(s.destroyed).toBe(true);
  });

  it("refuses connections over the per-client cap and frees a place when one closes", async () => {
    const { port, applied } = await listen({ maxConnectionsPerClient: 2 });
    const a = await open(port);
    const b = await open(port);
    const c = await open(port);
    await closed(c);
    expect(applied.refused).toBe(1);
    a.destroy();
    await closed(a);
    // The server sees the close a moment later; wait for its count, not for time.
    while (applied.open("127.0.0.1") > 1) await new Promise((r) => setImmediate(r));
    const d = await open(port);
    d.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const answer = await new Promise<string>((resolve) => {
      let text = "";
      d.on("data", (chunk) => (text += chunk));
      d.on("close", () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1.1 200/);
    b.destroy();
  });

  it("closes an upgrade request when no WebSocket server is behind it", async () => {
    const { port } = await listen({});
    const s = await open(port);
    s.write(
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
    await closed(s);
    expect(s.destroyed).toBe(true);
  });

  it("keeps an upgraded WebSocket open past the idle timeout", async () => {
    const { port } = await listen({ idleTimeoutMs: 50 }, true);
    const { WebSocket } = await import("ws");
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    // Three idle periods pass; the socket is still open and answers a ping.
    await new Promise((r) => setTimeout(r, 200));
    const pong = new Promise((resolve) => ws.once("pong", resolve));
    ws.ping();
    await pong;
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });
});
