/**
 * RpcWebSocket.request's `read`: the answer is turned into the caller's result as its frame lands,
 * so the caller's promise settles one hop after the frame; what `read` throws is the rejection;
 * error answers, timeouts and drops never reach `read`.
 */
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { ApiError, TimeoutError, TransportError } from "../../src/core/errors.js";
import { type RpcCodec, type RpcFrame, RpcWebSocket } from "../../src/core/rpc-ws.js";

interface Msg {
  seq: number;
  method: string;
  payload: unknown;
}

const codec: RpcCodec<string, unknown> = {
  encode: (r) => JSON.stringify(r),
  decode(frame): RpcFrame<unknown> {
    const m = JSON.parse(String(frame)) as { seq: number; ok?: unknown; error?: string };
    if (m.error !== undefined)
      return { kind: "error", seq: m.seq, error: new ApiError(m.error, { platform: "core", code: m.error }) };
    return { kind: "response", seq: m.seq, payload: m.ok };
  },
};

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** echo: answers the payload; fail: an error answer; drop: kills the socket; anything else: silence. */
async function setup() {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  wss.on("connection", (socket) => {
    socket.on("message", (data) => {
      const m = JSON.parse(data.toString()) as Msg;
      if (m.method === "echo") socket.send(JSON.stringify({ seq: m.seq, ok: m.payload }));
      else if (m.method === "fail") socket.send(JSON.stringify({ seq: m.seq, error: "nope" }));
      else if (m.method === "drop") socket.terminate();
    });
  });
  const rpc = new RpcWebSocket<string, unknown>({
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`,
    codec,
    requestTimeoutMs: 5000,
    reconnect: false,
  });
  cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
  cleanups.push(() => rpc.close());
  await rpc.connect();
  return rpc;
}

describe("RpcWebSocket request read", () => {
  it("resolves with what read makes of the answer, given the request's payload", async () => {
    const rpc = await setup();
    const seen: unknown[] = [];
    const read = (answer: unknown, payload: unknown) => {
      seen.push(payload);
      return { answer, doubled: (answer as number) * 2 };
    };
    expect(await rpc.request("echo", 21, {}, read)).toEqual({ answer: 21, doubled: 42 });
    expect(seen).toEqual([21]);
    // Without read: the answer as decoded.
    expect(await rpc.request("echo", "plain")).toBe("plain");
  });

  it("the caller's promise settles one hop after the answer frame", async () => {
    const rpc = await setup();
    const order: string[] = [];
    const read = (answer: unknown) => {
      // Queued before the result exists: one hop and two hops after the frame.
      queueMicrotask(() => order.push("hop 1"));
      queueMicrotask(() => queueMicrotask(() => order.push("hop 2")));
      return answer;
    };
    await rpc.request("echo", 1, {}, read).then(() => order.push("caller"));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(["hop 1", "caller", "hop 2"]);
  });

  it("what read throws is the rejection; the socket carries on", async () => {
    const rpc = await setup();
    const boom = new Error("bad answer");
    const read = () => {
      throw boom;
    };
    await expect(rpc.request("echo", 1, {}, read)).rejects.toBe(boom);
    const notAnError = () => {
      throw "text";
    };
    const err = await rpc.request("echo", 1, {}, notAnError).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe("text");
    expect(await rpc.request("echo", "next")).toBe("next");
    expect(rpc.pendingCount).toBe(0);
  });

  it("error answers, timeouts and drops reject as usual and never reach read", async () => {
    const rpc = await setup();
    let reads = 0;
    const read = (answer: unknown) => {
      reads++;
      return answer;
    };
    await expect(rpc.request("fail", 1, {}, read)).rejects.toBeInstanceOf(ApiError);
    await expect(rpc.request("silent", 1, { timeoutMs: 30 }, read)).rejects.toBeInstanceOf(TimeoutError);
    const held = rpc.request("silent", 2, {}, read).catch((e: unknown) => e);
    const dropped = await rpc.request("drop", 3, {}, read).catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(TransportError);
    expect((dropped as TransportError).code).toBe("connection_lost");
    expect(await held).toBe(dropped);
    expect(reads).toBe(0);
  });
});
