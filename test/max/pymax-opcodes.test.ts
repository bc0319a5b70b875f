/**
 * Conformance: opcodes PyMax (MaxApiTeam/PyMax, protocol/enums.py and its services) and the web
 * client send beside the seed's table, as raw packets from their shapes: LOG (5), the delivery
 * receipt (128, cmd 0), CONTACT_INFO_BY_PHONE (46), FOLDERS_GET (272), LOGOUT on 20 and
 * CHAT_DELETE on 52 (numbers the seed gives to QR_LOGIN and GET_TYPING), and the cmd / seq of
 * server pushes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorFixture, expectErrorPacket, type RawClient } from "./raw.js";

const fx = emulatorFixture("914000");
beforeAll(fx.start);
afterAll(fx.stop);

const history = (c: RawClient, chatId: number) =>
  c.ok(49, { chatId, from: Date.now() + 60_000, forward: 0, backward: 50, getMessages: true });

describe("PyMax / web client opcodes outside the seed", () => {
  it("5 LOG telemetry is accepted before and after login with an empty answer", async () => {
    const c = await fx.connect();
    const events = [
      { event: "COLD_START", time: Date.now(), type: "NAV", userId: 0, params: { screen: "chats" } },
    ];
    await c.hello();
    const before = await c.call(5, { events });
    expect(before).toMatchObject({ cmd: 1, opcode: 5, payload: {} });
    const { client } = await fx.login();
    const after = await client.call(5, {
      events: [{ event: "NAV", time: Date.now(), type: "NAV", params: {} }],
    });
    expect(after).toMatchObject({ cmd: 1, opcode: 5, payload: {} });
    // A malformed LOG is a payload error, not an unknown opcode.
    expectErrorPacket(await client.call(5, { events: "nope" }), 5, "proto.payload");
  });

  it("128 sent by the client (cmd 0, {chatId, messageId}) is a delivery receipt and is answered", async () => {
    const a = await fx.login();
    const b = await fx.login();
    const sent = await a.client.ok(64, {
      userId: b.userId,
      message: { cid: 11, text: "deliver me", elements: [], attaches: [] },
      notify: true,
    });
    const push = await b.client.event(128, (p) => p.payload.message?.text === "deliver me");
    const receipt = await b.client.call(128, {
      chatId: push.payload.chatId,
      messageId: push.payload.message.id,
    });
    expect(receipt).toMatchObject({ cmd: 1, opcode: 128, payload: {} });
    expect(String(sent.message.id)).toBe(String(push.payload.message.id));
    // Before login it is refused like any session request.
    const fresh = await fx.connect();
    await fresh.hello();
    expectErrorPacket(await fresh.call(128, { chatId: 1, messageId: "1" }), 128, "proto.state");
  });

  it("pushes are cmd 0 with seq 0 (no waiting request holds seq 0)", async () => {
    const a = await fx.login();
    const b = await fx.login();
    await a.client.ok(64, {
      userId: b.userId,
      message: { cid: 12, text: "push shape", elements: [], attaches: [] },
    });
    const push = await b.client.event(128, (p) => p.payload.message?.text === "push shape");
    expect(push).toMatchObject({ ver: 11, cmd: 0, seq: 0, opcode: 128 });
  });

  it("46 finds a user by phone; unknown phones are not.found", async () => {
    const a = await fx.login();
    const b = await fx.login();
    const found = await a.client.ok(46, { phone: b.phone });
    expect(found.contact).toMatchObject({ id: b.userId, names: expect.any(Array) });
    expectErrorPacket(await a.client.call(46, { phone: "+79990000000" }), 46, "not.found");
  });

  it("272 FOLDERS_GET answers an empty folder list with a sync mark", async () => {
    const { client } = await fx.login();
    const r = await client.ok(272, { folderSync: 0 });
    expect(r).toMatchObject({ folders: [], foldersOrder: [], folderSync: expect.any(Number) });
  });

  it("52 with {chatId, lastEventTime, forAll} clears the history (for me / for both); plain 52 still lists typing", async () => {
    const a = await fx.login();
    const b = await fx.login();
    const first = await a.client.ok(64, {
      userId: b.userId,
      message: { cid: 21, text: "one", elements: [], attaches: [] },
    });
    const chatId = Number(first.chatId);
    // The clear goes by time (ms): the second message must be in a later millisecond.
    while (Date.now() <= Number(first.message.time)) await new Promise((r) => setTimeout(r, 1));
    const second = await a.client.ok(64, {
      chatId,
      message: { cid: 22, text: "two", elements: [], attaches: [] },
    });
    // Seed GET_TYPING shape is unchanged.
    expect(await b.client.ok(52, { chatId })).toMatchObject({ chatId });

    // For me: B's history up to the first message is gone; A still sees both.
    expect(await b.client.ok(52, { chatId, lastEventTime: first.message.time, forAll: false })).toEqual({});
    const bTexts = (await history(b.client, chatId)).messages.map((m: { text: string }) => m.text);
    expect(bTexts).toEqual(["two"]);
    expect((await history(a.client, chatId)).messages).toHaveLength(2);

    // For all in a dialog: both sides lose it; new messages show again.
    expect(await a.client.ok(52, { chatId, lastEventTime: second.message.time, forAll: true })).toEqual({});
    expect((await history(a.client, chatId)).messages).toEqual([]);
    expect((await history(b.client, chatId)).messages).toEqual([]);
    while (Date.now() <= Number(second.message.time) + 1) await new Promise((r) => setTimeout(r, 1));
    await b.client.ok(64, { chatId, message: { cid: 23, text: "three", elements: [], attaches: [] } });
    expect((await history(a.client, chatId)).messages.map((m: { text: string }) => m.text)).toEqual([
      "three",
    ]);

    expectErrorPacket(
      await a.client.call(52, { chatId: 123456789, lastEventTime: 1, forAll: false }),
      52,
      "chat.not.found",
    );
  });

  it("20 on a logged-in connection is LOGOUT: {} answered, token revoked, socket closed; before login it starts a QR", async () => {
    const { client, token } = await fx.login();
    const answer = await client.call(20, {});
    expect(answer).toMatchObject({ cmd: 1, opcode: 20, payload: {} });
    const closed = await client.closed;
    expect(closed.code).toBe(4001);
    const again = await fx.connect();
    await again.hello();
    const relog = await again.call(19, {
      interactive: true,
      token,
      chatsSync: 0,
      contactsSync: 0,
      chatsCount: 40,
    });
    expectErrorPacket(relog, 19, "login.token");

    const fresh = await fx.connect();
    await fresh.hello();
    const qr = await fresh.ok(20, {});
    expect(qr).toMatchObject({ trackId: expect.any(String), qrLink: expect.any(String) });
  });
});
