/**
 * Baseline server for the benchmarks (run as a child by ChildServer): a bare `ws` server,
 * compression off, that answers every frame with one pre-built frame (set over IPC to the
 * size of the emulator's real response), so the baseline pays only for WebSocket I/O.
 */
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { serveIpc } from "./ipc.js";

let reply = '{"ver":11,"cmd":1,"seq":1,"opcode":1,"payload":{}}';
const wss = new WebSocketServer({
  host: "127.0.0.1",
  port: 0,
  perMessageDeflate: false,
  maxPayload: 4 * 1024 * 1024,
});
await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
wss.on("connection", (ws) => {
  ws.on("message", () => ws.send(reply));
});
const { port } = wss.address() as AddressInfo;

serveIpc(
  { url: `ws://127.0.0.1:${port}/websocket` },
  {
    setReply: (params: { text: string }) => {
      reply = params.text;
      return { bytes: Buffer.byteLength(reply) };
    },
    stats: () => ({ connections: wss.clients.size }),
  },
  async () => {
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  },
);
