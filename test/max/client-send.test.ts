/**
 * sendMessage's fast path (messages.ts): the hand-written request check accepts nothing the
 * request schema rejects, a rejected send puts zero frames on the wire, and the in-place reading
 * of the 64 answer gives exactly what the full reading (schema + toMaxMessage) gives. A small
 * real WebSocket server plays the MAX side so the test controls every answer and counts frames.
 */
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { ApiError, ValidationError } from "../../src/core/errors.js";
import { parseResponse } from "../../src/core/validation.js";
import { MaxClient } from "../../src/max/client/index.js";
import { isPlainSend, sentMessage } from "../../src/max/client/messages.js";
import { toMaxMessage } from "../../src/max/client/types.js";
import { maxRpc } from "../../src/max/protocol.js";

interface Packet {
  seq: number;
  opcode: number;
  payload: Record<string, unknown>;
}

/** What the next 64 is answered with (the default echoes a stored message). */
let answer64: (p: Packet) => unknown = (p) => ({
  chatId: p.payload.chatId,
  message: {
    id: "900000000000001",
    time: 1_764_758_000_000,
    sender: 7,
    text: (p.payload.message as { text: string }).text,
    type: "USER",
    cid: (p.payload.message as { cid: number }).cid,
    elements: [],
    attaches: [],
    status: null,
  },
  unread: 0,
});
const frames64: Packet[] = [];
let wss: WebSocketServer;
let client: MaxClient;

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
        payload = answer64(p);
      }
      socket.send(JSON.stringify({ ver: 11, cmd: 1, seq: p.seq, opcode: p.opcode, payload }));
    });
  });
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/websocket`;
  client = new MaxClient({ url, token: "test-token", reconnect: false, keepaliveIntervalMs: 3_600_000 });
  await client.connect();
});

afterAll(async () => {
  await client.close();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
});

describe("sendMessage request check", () => {
  const schema = maxRpc.sendMessage.request;
  const base = () => ({
    chatId: 5 as unknown,
    message: { text: "hi", cid: 1, elements: [] as unknown[], attaches: [] as unknown[] } as Record<
      string,
      unknown
    >,
    notify: true as unknown,
  });
  const cases: [string, (p: ReturnType<typeof base>) => void][] = [
    ["plain", () => {}],
    ["chatId NaN", (p) => (p.chatId = Number.NaN)],
    ["chatId 1.5", (p) => (p.chatId = 1.5)],
    ["chatId 2^53", (p) => (p.chatId = 2 ** 53)],
    ["chatId Infinity", (p) => (p.chatId = Number.POSITIVE_INFINITY)],
    ["chatId digit string", (p) => (p.chatId = "12")],
    ["chatId negative", (p) => (p.chatId = -3)],
    ["cid NaN", (p) => (p.message.cid = Number.NaN)],
    ["cid string", (p) => (p.message.cid = "1")],
    ["text number", (p) => (p.message.text = 5)],
    ["element without type", (p) => (p.message.elements = [{ from: 0, length: 1 }])],
    ["element ok", (p) => (p.message.elements = [{ type: "STRONG", from: 0, length: 1 }])],
    ["attach without _type", (p) => (p.message.attaches = [{ photoToken: "x" }])],
    ["link", (p) => (p.message.link = { type: "REPLY", messageId: "1" })],
    ["notify string", (p) => (p.notify = "yes")],
  ];

  it.each(cases)("%s: the fast check never accepts what the schema rejects", (_name, change) => {
    const p = base();
    change(p);
    const fast = isPlainSend(p as Parameters<typeof isPlainSend>[0]);
    const full = schema.safeParse(p).success;
    if (fast) expect(full).toBe(true);
  });

  it("accepts the plain text send it is there for", () => {
    expect(isPlainSend(base() as Parameters<typeof isPlainSend>[0])).toBe(true);
  });

  it("a rejected send is a ValidationError with zero frames on the wire; a good one is one frame", async () => {
    const before = frames64.length;
    const bad: Promise<unknown>[] = [
      client.sendMessage(Number.NaN, "x"),
      client.sendMessage(1.5, "x"),
      client.sendMessage(5, { text: "x", elements: [{ from: 0 } as never] }),
      client.sendMessage(5, { text: "x", attaches: [{ photoToken: "t" } as never] }),
      client.sendMessage(5, "x", { cid: Number.NaN }),
    ];
    for (const p of bad) await expect(p).rejects.toBeInstanceOf(ValidationError);
    const sent = await client.sendMessage(5, "fine");
    expect(sent.text).toBe("fine");
    // The good send's answer came back after every earlier frame reached the server.
    expect(frames64.length - before).toBe(1);
  });
});

describe("sendMessage answer reading", () => {
  const full = (answer: unknown, hint: number) =>
    toMaxMessage(parseResponse(maxRpc.sendMessage.response, answer, { platform: "max", what: "64" }), hint);
  const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
  const answers: [string, Record<string, unknown>][] = [
    [
      "usual",
      {
        chatId: 5,
        message: {
          id: "1",
          time: 10,
          sender: 7,
          text: "a",
          type: "USER",
          cid: 3,
          elements: [],
          attaches: [],
        },
      },
    ],
    [
      "numeric id, string chatId, no type",
      { chatId: "6", message: { id: 42, time: "11", sender: "8", text: "b" } },
    ],
    [
      "elements and attaches",
      {
        message: {
          id: "2",
          text: "c",
          elements: [{ type: "STRONG", from: 0, length: 1 }],
          attaches: [{ _type: "PHOTO", photoId: 1 }],
          extraField: { nested: true },
        },
      },
    ],
    [
      "invalid element (full path filters)",
      { chatId: 5, message: { id: "3", elements: [{ from: 1 }, { type: "X" }] } },
    ],
    ["link (full path)", { chatId: 5, message: { id: "4", link: { type: "REPLY", messageId: 9 } } }],
    ["chatId only in message", { message: { id: "5", chatId: 77 } }],
  ];

  it.each(answers)("%s: same MaxMessage as schema + toMaxMessage", (_name, answer) => {
    const expected = full(copy(answer), 99);
    const fast = sentMessage(copy(answer), 99);
    if (fast) expect(fast).toEqual(expected);
    // Through the client (fast path or fallback, whichever applies) the result is the same.
    return (async () => {
      answer64 = () => copy(answer);
      const got = await client.sendMessage(99, "x");
      expect(got).toEqual(expected);
    })();
  });

  it("the usual answer takes the fast path", () => {
    expect(sentMessage(copy(answers[0]![1]), 5)).toBeDefined();
  });

  it("an answer without a message is ApiError bad_answer", async () => {
    answer64 = () => ({ chatId: 5 });
    const err = await client.sendMessage(5, "x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe("bad_answer");
  });
});
