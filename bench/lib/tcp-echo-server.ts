/**
 * Baseline for the socket-transport benchmark (run as a child by ChildServer): a bare TCP server
 * that splits the byte stream into "ver 10" frames by their 10-byte header (the least any server
 * of this framing must do) and answers every frame with one pre-built frame, set over IPC to the
 * emulator's real response (with the request's seq). The answers of one read go out in one
 * write, as the emulator coalesces its own. No MessagePack, no LZ4, no storage: the cost of TCP I/O and framing only.
 */
import { type AddressInfo, createServer, type Socket } from "node:net";
import { serveIpc } from "./ipc.js";

const HEADER_BYTES = 10;
let reply = Buffer.from([10, 1, 0, 1, 0, 1, 0, 0, 0, 0]);
const sockets = new Set<Socket>();

const server = createServer({ noDelay: true }, (socket) => {
  sockets.add(socket);
  let pending: Buffer = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const seqs: number[] = [];
    let at = 0;
    while (pending.length - at >= HEADER_BYTES) {
      const length = pending.readUInt32BE(at + 6) & 0xffffff;
      if (pending.length - at < HEADER_BYTES + length) break;
      seqs.push(pending.readUInt16BE(at + 2));
      at += HEADER_BYTES + length;
    }
    pending = pending.subarray(at);
    if (seqs.length === 0) return;
    // Each answer carries its request's seq, as the emulator's do.
    const out = Buffer.allocUnsafe(reply.length * seqs.length);
    seqs.forEach((seq, i) => {
      reply.copy(out, i * reply.length);
      out.writeUInt16BE(seq, i * reply.length + 2);
    });
    socket.write(out);
  });
  socket.on("error", () => socket.destroy());
  socket.on("close", () => sockets.delete(socket));
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
const { port } = server.address() as AddressInfo;

serveIpc(
  { host: "127.0.0.1", port },
  {
    /** The frame every request is answered with (base64 of its bytes). */
    setReply: (params: { base64: string }) => {
      reply = Buffer.from(params.base64, "base64");
      return { bytes: reply.length };
    },
    stats: () => ({ connections: sockets.size }),
  },
  async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  },
);
