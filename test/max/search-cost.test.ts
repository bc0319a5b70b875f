/**
 * Issue 12 item 6: bounded cost of search (opcode 90) and fairness between connections. One
 * client pipelining 30 searches over a 20k-message chat must not hold up another client's
 * keepalive and send.
 */
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_QUEUED_FRAMES } from "../../src/max/emulator/dispatch.js";
import { SEARCH_TOTAL_CAP, UNREAD_CAP } from "../../src/max/emulator/store/messages.js";
import { loggedIn, RawClient, type RawPacket, startEmulator } from "./raw.js";

const MESSAGES = 20_000;
let emu: Awaited<ReturnType<typeof startEmulator>>;
let a: Awaited<ReturnType<typeof loggedIn>>;
let b: Awaited<ReturnType<typeof loggedIn>>;
let chatId: number;

beforeAll(async () => {
  emu = await startEmulator();
  a = await loggedIn(emu.url, "+79127300001");
  b = await loggedIn(emu.url, "+79127300002");
  ({ chatId } = emu.admin.createChat({
    ownerId: a.userId,
    type: "CHAT",
    title: "big",
    memberIds: [b.userId],
  }));
  // Inserted straight through the store: fast, and what a long-lived chat looks like.
  const core = emu.server.emu;
  const base = Date.now() - MESSAGES * 10;
  core.db.transaction(() => {
    for (let i = 0; i < MESSAGES; i++) {
      const time = base + i * 10;
      core.repos.messages.insert({
        id: core.ids.messageId(time),
        chat_id: chatId,
        sender_id: i % 2 ? a.userId : b.userId,
        time,
        type: "USER",
        text: `message ${i} about the weather ${i % 97}`,
        cid: null,
        elements: "[]",
        attaches: "[]",
        link: null,
      });
    }
  })();
}, 60_000);

afterAll(async () => {
  a?.client.close();
  b?.client.close();
  await emu?.close();
});

describe("item 6: search cost and per-connection fairness", () => {
  it("answers a page and a capped total; finds old messages by text", async () => {
    const p = await a.client.ok(90, { query: "about", count: 30 });
    expect(p.result).toHaveLength(30);
    expect(p.total).toBe(SEARCH_TOTAL_CAP);
    // Newest first.
    expect(p.result[0].message.text).toBe(`message ${MESSAGES - 1} about the weather ${(MESSAGES - 1) % 97}`);
    const exact = await a.client.ok(90, { query: "MESSAGE 12345 ABOUT", chatId, count: 5 });
    expect(exact.total).toBe(1);
    expect(exact.result[0].message.text).toContain("message 12345 about");
    const none = await a.client.ok(90, { query: "zzz-nothing", count: 5 });
    expect(none).toMatchObject({ result: [], total: 0 });
  });

  it("another connection's keepalive and send are answered while one floods searches", async () => {
    const order: string[] = [];
    const seen = (who: string) => (p: RawPacket) => order.push(`${who}:${p.opcode}:${p.cmd}`);
    const onA = (data: Buffer) => seen("a")(JSON.parse(String(data)));
    const onB = (data: Buffer) => seen("b")(JSON.parse(String(data)));
    a.client.ws.on("message", onA);
    b.client.ws.on("message", onB);
    try {
      // 30 searches in one TCP write: the server reads them all at once.
      const socket = (a.client.ws as unknown as { _socket: Socket })._socket;
      socket.cork();
      const seqs: number[] = [];
      for (let i = 0; i < 30; i++) seqs.push(a.client.send(90, { query: "ab", count: 100 }));
      socket.uncork();
      const lastSearch = a.client.waitFor((p) => p.seq === seqs.at(-1) && p.opcode === 90, 60_000);
      // Once the flood is being served, the other client asks for a keepalive and a send.
      await a.client.waitFor((p) => p.seq === seqs[0] && p.opcode === 90, 60_000);
      const keepalive = b.client.call(1, { interactive: false }, 60_000);
      const sent = b.client.call(
        64,
        { chatId, message: { text: "still here", cid: 42, elements: [], attaches: [] } },
        60_000,
      );
      expect((await keepalive).cmd).toBe(1);
      expect((await sent).cmd).toBe(1);
      expect((await lastSearch).cmd).toBe(1);
      const lastA = order.lastIndexOf("a:90:1");
      expect(order.indexOf("b:1:1"), order.join(" ")).toBeLessThan(lastA);
      expect(order.indexOf("b:64:1"), order.join(" ")).toBeLessThan(lastA);
      // Every search was answered, with bounded totals.
      for (const seq of seqs.slice(1, -1)) {
        const p = await a.client.waitFor((x) => x.seq === seq && x.opcode === 90, 60_000);
        expect(p.cmd).toBe(1);
        expect(p.payload.total).toBeLessThanOrEqual(SEARCH_TOTAL_CAP);
      }
      // The send was stored once.
      const found = await a.client.ok(90, { query: "still here", chatId, count: 5 });
      expect(found.total).toBe(1);
    } finally {
      a.client.ws.off("message", onA);
      b.client.ws.off("message", onB);
    }
  });

  it("a connection over its queue bound gets error.rate_limited for the excess; others are served", async () => {
    const c = await RawClient.connect(emu.url);
    try {
      await c.smsLogin("+79127300003");
      const socket = (c.ws as unknown as { _socket: Socket })._socket;
      socket.cork();
      const seqs: number[] = [];
      for (let i = 0; i < MAX_QUEUED_FRAMES + 50; i++) seqs.push(c.send(90, { query: "zzz-none", count: 1 }));
      socket.uncork();
      const answers = await Promise.all(seqs.map((seq) => c.waitFor((p) => p.seq === seq, 30_000)));
      const refused = answers.filter((p) => p.cmd === 3);
      expect(refused.length).toBeGreaterThan(0);
      for (const p of refused) expect(p.payload.error).toBe("error.rate_limited");
      expect(answers.filter((p) => p.cmd === 1).length).toBeGreaterThanOrEqual(MAX_QUEUED_FRAMES);
      expect((await b.client.call(1, { interactive: false })).cmd).toBe(1);
      // The connection itself is served again once its queue drained.
      expect((await c.call(90, { query: "weather", count: 1 })).cmd).toBe(1);
    } finally {
      c.close();
    }
  });
});

describe("item 6: other list calls stay bounded", () => {
  it("a chat's unread counter (chat lists, login) stops at UNREAD_CAP", async () => {
    const unread = emu.server.emu.repos.messages.unread(chatId, { userId: b.userId, historyFrom: 0 }, 0);
    expect(unread).toBe(UNREAD_CAP);
    // The chat list still answers for that member.
    const list = await b.client.ok(53, { marker: 0, count: 40 });
    expect(list.chats.length).toBeGreaterThan(0);
  });
});
