/**
 * Conformance: 54 CHAT_CLEAR as raw packets. PyMax lists the opcode (protocol/enums.py); the
 * clients that send it use the body of 52 CHAT_DELETE, `{chatId, lastEventTime, forAll}`, and
 * read nothing from the answer. The history goes for the caller (with `forAll` in a dialog for
 * both sides); the chat stays, and each affected user's sessions get 135 with the chat as that
 * user now sees it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/emulator/clock.js";
import { emulatorFixture, expectErrorPacket, RawClient as Raw, type RawClient } from "./raw.js";

const fx = emulatorFixture("916100");
// A clock that never moves: every message and the clear share one millisecond.
const frozen = emulatorFixture("916101", { clock: new ManualClock(Date.now()) });
beforeAll(async () => {
  await fx.start();
  await frozen.start();
});
afterAll(async () => {
  await fx.stop();
  await frozen.stop();
});

let cid = 1;
async function send(from: RawClient, target: { chatId: number } | { userId: number }, text: string) {
  return from.ok(64, { ...target, message: { cid: cid++, text, elements: [], attaches: [] }, notify: true });
}

async function texts(client: RawClient, chatId: number): Promise<string[]> {
  const page = await client.ok(49, { chatId, from: Date.now() + 60_000, forward: 0, backward: 50 });
  return page.messages.map((m: { text: string }) => m.text);
}

/** A second socket of an existing account (by its login token). */
async function secondSession(token: string): Promise<RawClient> {
  const c = await Raw.connect(fx.emu.url);
  await c.tokenLogin(token);
  return c;
}

describe("54 CHAT_CLEAR", () => {
  it("a message sent after the clear in the cut's own millisecond stays visible", async () => {
    const a = await frozen.login();
    const b = await frozen.login();
    const first = await send(a.client, { userId: b.userId }, "one");
    const chatId = Number(first.chatId);
    await send(a.client, { chatId }, "two");
    expect(await b.client.ok(54, { chatId, lastEventTime: first.message.time, forAll: false })).toEqual({});
    expect(await texts(b.client, chatId)).toEqual([]);
    await send(a.client, { chatId }, "three");
    const after = await send(a.client, { chatId }, "four");
    expect(after.message.time).toBe(first.message.time); // the same millisecond throughout
    expect(await texts(b.client, chatId)).toEqual(["three", "four"]);
    expect(await texts(a.client, chatId)).toEqual(["one", "two", "three", "four"]);
  });

  it("clears the caller's history up to lastEventTime; the other side keeps it; the chat stays listed", async () => {
    const a = await fx.login();
    const b = await fx.login();
    const first = await send(a.client, { userId: b.userId }, "one");
    const chatId = Number(first.chatId);
    // The clear goes by time (ms): the second message must be in a later millisecond.
    while (Date.now() <= Number(first.message.time)) await new Promise((r) => setTimeout(r, 1));
    await send(a.client, { chatId }, "two");
    const bOther = await secondSession(b.token);
    // Only pushes caused by the clear count below.
    for (const c of [a.client, bOther]) c.packets.splice(0);

    expect(await b.client.ok(54, { chatId, lastEventTime: first.message.time, forAll: false })).toEqual({});
    expect(await texts(b.client, chatId)).toEqual(["two"]);
    expect(await texts(a.client, chatId)).toEqual(["one", "two"]);

    // B's other session learns of it: 135 with the chat as B sees it (last message "two").
    const pushed = await bOther.event(135, (p) => p.payload.chat?.id === chatId);
    expect(pushed.payload.chat.lastMessage.text).toBe("two");
    // A's sessions get nothing: A's history did not change.
    expect(a.client.events(135).filter((p) => p.payload.chat?.id === chatId)).toEqual([]);

    // The dialog is still in B's chat list.
    const list = await b.client.ok(53, { marker: 0, count: 50 });
    expect(list.chats.map((c: { id: number }) => c.id)).toContain(chatId);
    bOther.close();
  });

  it("forAll in a dialog clears both sides; without lastEventTime it clears up to now; new messages show again", async () => {
    const a = await fx.login();
    const b = await fx.login();
    const first = await send(a.client, { userId: b.userId }, "hello");
    const chatId = Number(first.chatId);
    await send(b.client, { chatId }, "hi");
    b.client.packets.splice(0);

    expect(await a.client.ok(54, { chatId, forAll: true })).toEqual({});
    expect(await texts(a.client, chatId)).toEqual([]);
    expect(await texts(b.client, chatId)).toEqual([]);
    const pushed = await b.client.event(135, (p) => p.payload.chat?.id === chatId);
    expect(pushed.payload.chat.lastMessage).toBeUndefined();

    await send(b.client, { chatId }, "again");
    expect(await texts(a.client, chatId)).toEqual(["again"]);
  });

  it("in a group only the owner clears for all; a member's forAll clears only their own view", async () => {
    const owner = await fx.login();
    const member = await fx.login();
    const created = await owner.client.ok(64, {
      message: {
        cid: cid++,
        attaches: [
          { _type: "CONTROL", event: "new", chatType: "CHAT", title: "Clear club", userIds: [member.userId] },
        ],
      },
      notify: true,
    });
    const chatId = Number(created.chatId);
    await send(member.client, { chatId }, "member says");

    await member.client.ok(54, { chatId, forAll: true });
    expect(await texts(member.client, chatId)).toEqual([]);
    expect(await texts(owner.client, chatId)).toContain("member says");

    await owner.client.ok(54, { chatId, forAll: true });
    expect(await texts(owner.client, chatId)).toEqual([]);
  });

  it("refuses an unknown chat, a chat of others and a body without chatId", async () => {
    const a = await fx.login();
    const b = await fx.login();
    const c = await fx.login();
    const { chatId } = await send(a.client, { userId: b.userId }, "private");
    expectErrorPacket(await a.client.call(54, { chatId: 987654321, forAll: false }), 54, "chat.not.found");
    const outsider = await c.client.call(54, { chatId: Number(chatId), forAll: true });
    expect(outsider.cmd).toBe(3);
    expect(await texts(a.client, Number(chatId))).toEqual(["private"]);
    expectErrorPacket(await a.client.call(54, { lastEventTime: 1 }), 54, "proto.payload");
  });
});
