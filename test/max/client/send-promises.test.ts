/**
 * sendMessage keeps its promises on the fast path (answer read by the transport as it lands):
 * a time limit, an AbortSignal (before and during the call), the connection dropping under
 * pending sends, a ValidationError before anything is sent, an answer that does not fit. A small
 * WebSocket server plays MAX so the test decides what each 64 gets.
 */
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import {
  AbortError,
  ApiError,
  TimeoutError,
  TransportError,
  ValidationError,
} from "../../../src/core/errors.js";
import { MaxClient } from "../../../src/max/client/index.js";

interface Packet {
  seq: number;
  opcode: number;
  payload: { chatId?: number; message?: { text: string; cid: number } };
}

/** What each 64 gets: an answer, silence, or the socket killed. Set per test. */
let on64: "answer" | "silent" | "drop" | "no-message" = "answer";
const frames64: Packet[] = [];
let wss: WebSocketServer;
let url = "";
let nextId = 1;

beforeAll(async () => {
  wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  wss.on("connection", (socket) => {
    socket.on("message", (data) => {
      const p = JSON.parse(data.toString()) as Packet;
      let payload: unknown = {};
      if (p.opcode === 19) {
        payload = { profile: { contact: { id: 7 } }, chats: [], contacts: [], time: Date.now() };
      } else if (p.opcode === 64) {
        frames64.push(p);
        if (on64 === "silent") return;
        if (on64 === "drop") {
          socket.terminate();
          return;
        }
        const m = p.payload.message!;
        const id = String(900_000_000_000_000 + nextId++);
        payload =
          on64 === "no-message"
            ? { chatId: p.payload.chatId }
            : {
                chatId: p.payload.chatId,
                message: { id, time: 1_764_758_000_000, sender: 7, text: m.text, type: "USER", cid: m.cid },
                unread: 0,
              };
      }
      socket.send(JSON.stringify({ ver: 11, cmd: 1, seq: p.seq, opcode: p.opcode, payload }));
    });
  });
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/websocket`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => wss.close(() => resolve()));
});

async function client(): Promise<MaxClient> {
  const c = new MaxClient({ url, token: "test-token", reconnect: false, keepaliveIntervalMs: 3_600_000 });
  await c.connect();
  return c;
}

describe("sendMessage promises", () => {
  it("answers the sent message; an unanswered send times out on its limit and the next one still works", async () => {
    const c = await client();
    try {
      on64 = "answer";
      const sent = await c.sendMessage(5, "hello");
      expect(sent).toMatchObject({ chatId: 5, text: "hello", sender: 7 });
      on64 = "silent";
      const err = await c.sendMessage(5, "lost", { timeoutMs: 30 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TimeoutError);
      on64 = "answer";
      expect((await c.sendMessage(5, "again")).text).toBe("again");
    } finally {
      await c.close();
    }
  });

  it("an AbortSignal aborts a pending send; an aborted one sends nothing", async () => {
    const c = await client();
    try {
      on64 = "silent";
      const before = frames64.length;
      const ac = new AbortController();
      const pending = c.sendMessage(5, "abort me", { signal: ac.signal }).catch((e: unknown) => e);
      ac.abort();
      expect(await pending).toBeInstanceOf(AbortError);
      const pre = new AbortController();
      pre.abort();
      await expect(c.sendMessage(5, "never", { signal: pre.signal })).rejects.toBeInstanceOf(AbortError);
      on64 = "answer";
      expect((await c.sendMessage(5, "after")).text).toBe("after");
      // The aborted send had left already; the pre-aborted one never did.
      expect(frames64.slice(before).map((f) => f.payload.message?.text)).toEqual(["abort me", "after"]);
    } finally {
      await c.close();
    }
  });

  it("every pending send fails with connection_lost when the socket drops", async () => {
    const c = await client();
    try {
      on64 = "silent";
      const held = [c.sendMessage(5, "a"), c.sendMessage(5, "b")].map((p) => p.catch((e: unknown) => e));
      // Both are on the wire before the one that kills the socket goes out.
      while (frames64.filter((f) => ["a", "b"].includes(f.payload.message?.text ?? "")).length < 2)
        await new Promise((r) => setTimeout(r, 5));
      on64 = "drop";
      const killer = await c.sendMessage(5, "c").catch((e: unknown) => e);
      for (const err of [...(await Promise.all(held)), killer]) {
        expect(err).toBeInstanceOf(TransportError);
        expect((err as TransportError).code).toBe("connection_lost");
      }
    } finally {
      on64 = "answer";
      await c.close();
    }
  });

  it("a bad request is a ValidationError with nothing sent; a bad answer is ApiError bad_answer", async () => {
    const c = await client();
    try {
      on64 = "answer";
      const before = frames64.length;
      await expect(c.sendMessage(Number.NaN, "x")).rejects.toBeInstanceOf(ValidationError);
      await expect(c.sendMessage(5, "x", { cid: Number.NaN })).rejects.toBeInstanceOf(ValidationError);
      expect(frames64.length).toBe(before);
      on64 = "no-message";
      const err = await c.sendMessage(5, "odd").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe("bad_answer");
      on64 = "answer";
      expect((await c.sendMessage(5, "fine")).text).toBe("fine");
    } finally {
      await c.close();
    }
  });
});
