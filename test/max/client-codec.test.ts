/**
 * The request path under MaxClient.invoke: the codec writes each request as the JSON of
 * `{ver, cmd, seq, opcode, payload}` byte for byte (the envelope is written by hand around the
 * serialised payload), invoke hands back the transport's promise and so must reject rather than
 * throw, and a frame the wire refuses fails that one call. Real loopback sockets throughout: a
 * small ws server records the exact text of every frame, a TCP server stands behind the socket wire.
 */

import type { AddressInfo } from "node:net";
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { TransportError } from "../../src/core/errors.js";
import { RpcWebSocket } from "../../src/core/rpc-ws.js";
import { type MaxPush, maxCodec } from "../../src/max/client/codec.js";
import { MaxClient } from "../../src/max/client/index.js";
import { socketWire } from "../../src/max/client/socket-wire.js";

/** Every text frame the server got, as sent. */
const received: string[] = [];
let wss: WebSocketServer;
let url: string;

beforeAll(async () => {
  wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  wss.on("connection", (ws) => {
    ws.on("message", (data) => {
      const text = data.toString();
      received.push(text);
      const p = JSON.parse(text) as { seq: number; opcode: unknown };
      const payload = p.opcode === 6 ? { location: "RU" } : { echoed: true };
      ws.send(JSON.stringify({ ver: 11, cmd: 1, seq: p.seq, opcode: p.opcode, payload }));
    });
  });
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const ws of wss.clients) ws.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
});

/** A client that only says hello (no token: no login), so each test sees its own frames. */
async function connected(): Promise<MaxClient> {
  const client = new MaxClient({ url, timeoutMs: 5000, reconnect: false });
  await client.connect();
  return client;
}

/** The frame the server got for the request whose answer was just awaited. */
const lastFrame = (): string => received.at(-1) as string;

describe("MAX request encoding", () => {
  it("writes each request as the JSON of its envelope, byte for byte, for any JSON payload", async () => {
    const client = await connected();
    try {
      const payloads: unknown[] = [
        {
          chatId: 1,
          message: { text: "Привет", cid: 1_750_000_000_001, elements: [], attaches: [] },
          notify: true,
        },
        { text: 'quotes " and \\ backslash, tab\t, newline\n, nul \u0000, emoji 😀, lone surrogate \ud800' },
        { nested: { deep: [1, -0, 1.5e300, null, true, "x", [{}]] }, empty: "", list: [] },
        {},
        [1, 2, 3],
        "a plain string",
        42,
        null,
      ];
      for (const [i, payload] of payloads.entries()) {
        const answer = await client.invoke(1000 + i, payload);
        expect(answer).toEqual({ echoed: true });
        const frame = lastFrame();
        const seq = (JSON.parse(frame) as { seq: number }).seq;
        expect(frame).toBe(
          JSON.stringify({ ver: 11, cmd: 0, seq, opcode: 1000 + i, payload: payload ?? {} }),
        );
      }
      // No payload: an empty object, as before.
      await client.invoke(2000, undefined);
      expect(JSON.parse(lastFrame())).toMatchObject({ ver: 11, cmd: 0, opcode: 2000, payload: {} });
      // Keys in the order the seed writes them.
      expect(Object.keys(JSON.parse(lastFrame()) as object)).toEqual([
        "ver",
        "cmd",
        "seq",
        "opcode",
        "payload",
      ]);
    } finally {
      await client.close();
    }
  });

  it("still sends valid JSON for what JSON cannot write: a non-finite opcode, a function payload", async () => {
    const client = await connected();
    try {
      await client.invoke(Number.NaN, { a: 1 });
      expect(JSON.parse(lastFrame())).toMatchObject({ ver: 11, cmd: 0, opcode: null, payload: { a: 1 } });
      await client.invoke(3000, () => 1);
      const sent = JSON.parse(lastFrame()) as Record<string, unknown>;
      expect(sent).toMatchObject({ ver: 11, cmd: 0, opcode: 3000 });
      expect("payload" in sent).toBe(false);
      // A payload JSON cannot serialise at all rejects that call; nothing is sent for it.
      const before = received.length;
      await expect(client.invoke(3001, { big: 1n })).rejects.toThrow(TypeError);
      expect(received.length).toBe(before);
      expect(await client.invoke(3002, { after: true })).toEqual({ echoed: true });
    } finally {
      await client.close();
    }
  });
});

describe("invoke's promise", () => {
  it("rejects, never throws, on a closed client; the open client answers through the same call", async () => {
    const client = await connected();
    expect(await client.invoke(4000, { open: true })).toEqual({ echoed: true });
    await client.close();
    let pending: Promise<unknown> | undefined;
    expect(() => {
      pending = client.invoke(4001, {});
    }).not.toThrow();
    await expect(pending).rejects.toBeInstanceOf(TransportError);
  });
});

describe("a frame the wire refuses", () => {
  let tcp: Server;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    tcp = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", () => resolve()));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
  });

  it("fails that call as a rejection and leaves the connection up", async () => {
    // The socket wire carries binary frames only; the text codec hands it a string.
    const transport = new RpcWebSocket<number, MaxPush>({
      url: `tcp://127.0.0.1:${(tcp.address() as AddressInfo).port}`,
      codec: maxCodec,
      wire: socketWire(),
      reconnect: false,
      requestTimeoutMs: 5000,
    });
    try {
      await transport.connect();
      let call: Promise<unknown> | undefined;
      expect(() => {
        call = transport.request(64, { chatId: 1 });
      }).not.toThrow();
      await expect(call).rejects.toThrow(/binary frames only/);
      expect(transport.pendingCount).toBe(0);
      expect(transport.state).toBe("connected");
    } finally {
      await transport.close();
    }
  });
});
