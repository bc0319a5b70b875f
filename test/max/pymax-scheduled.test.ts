/**
 * Conformance: scheduled messages as raw packets. PyMax's send_message(send_at=…) (and its
 * ports, and the apps) send 64 with `message.delayedAttributes {timeToFire, notifySender}`; the
 * answer is the held message with its delayedAttributes. 49 `{itemType: "DELAYED"}` lists the
 * sender's held messages, 67 with top-level `delayedAttributes` edits one, 66 `{itemType:
 * "DELAYED"}` cancels. At its time the message is stored once and pushed (128), and the sender
 * gets 154 `{updateTypeId: 3, messageIds}`; it survives a restart. The clock is a ManualClock.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/emulator/clock.js";
import { expectErrorPacket, loggedIn, RawClient as Raw, type RawClient, startEmulator } from "./raw.js";

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const clock = new ManualClock(T0);
const file = join(mkdtempSync(join(tmpdir(), "sb-max-delayed-")), "max.db");
let emu: Awaited<ReturnType<typeof startEmulator>>;
const sockets: RawClient[] = [];
let phoneSeq = 0;
let cid = 1;

beforeAll(async () => {
  emu = await startEmulator({ file, clock });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await emu.close();
});

async function account(phone = `+7916400${String(++phoneSeq).padStart(4, "0")}`) {
  const r = await loggedIn(emu.url, phone);
  sockets.push(r.client);
  return { ...r, phone };
}

async function history(client: RawClient, chatId: number, itemType?: string) {
  const page = await client.ok(49, {
    chatId,
    from: clock.now() + 3_600_000,
    forward: 0,
    backward: 100,
    ...(itemType ? { itemType } : {}),
  });
  return page.messages as { id: string; text: string; time: number; delayedAttributes?: unknown }[];
}

function schedule(client: RawClient, target: Record<string, number>, text: string, timeToFire: number) {
  return client.call(64, {
    ...target,
    message: {
      cid: cid++,
      text,
      elements: [],
      attaches: [],
      delayedAttributes: { timeToFire, notifySender: true },
    },
    notify: true,
  });
}

describe("scheduled messages (64 delayedAttributes)", () => {
  it("are held and listed only for the sender, then delivered once at their time with 128 and 154", async () => {
    const a = await account();
    const b = await account();
    const fireAt = T0 + 60_000;
    const held = await schedule(a.client, { userId: b.userId }, "see you later", fireAt);
    expect(held.cmd).toBe(1);
    const chatId = Number(held.payload.chatId);
    expect(held.payload.message).toMatchObject({
      id: expect.any(String),
      text: "see you later",
      type: "USER",
      sender: a.userId,
      delayedAttributes: { timeToFire: fireAt, notifySender: true },
    });
    const heldId = held.payload.message.id;

    expect(await history(a.client, chatId)).toEqual([]);
    expect(await history(b.client, chatId)).toEqual([]);
    expect((await history(a.client, chatId, "DELAYED")).map((m) => m.id)).toEqual([heldId]);
    expect(await history(b.client, chatId, "DELAYED")).toEqual([]);
    expect(b.client.events(128).filter((p) => p.payload.chatId === chatId)).toEqual([]);

    // Not yet: nothing goes out.
    clock.advance(59_999);
    expect(emu.server.deliverDueMessages()).toBe(0);
    clock.advance(1);
    expect(emu.server.deliverDueMessages()).toBe(1);

    const pushed = await b.client.event(128, (p) => p.payload.chatId === chatId);
    expect(pushed.payload.message).toMatchObject({ text: "see you later", sender: a.userId, time: fireAt });
    expect(pushed.payload.message.delayedAttributes).toBeUndefined();
    const own = await a.client.event(128, (p) => p.payload.chatId === chatId);
    expect(own.payload.message.id).toBe(pushed.payload.message.id);
    const fired = await a.client.event(154, (p) => p.payload.chatId === chatId);
    expect(fired.payload).toMatchObject({
      updateTypeId: 3,
      messageIds: [heldId],
      lastDelayedUpdateTime: fireAt,
    });

    // Stored once; the held list is empty; a second check delivers nothing.
    expect(emu.server.deliverDueMessages()).toBe(0);
    expect((await history(b.client, chatId)).map((m) => m.text)).toEqual(["see you later"]);
    expect((await history(a.client, chatId)).map((m) => m.text)).toEqual(["see you later"]);
    expect(await history(a.client, chatId, "DELAYED")).toEqual([]);
  });

  it("67 with delayedAttributes edits a held message (154 EDITED to the sender's other sessions); 66 DELAYED cancels it", async () => {
    const a = await account();
    const b = await account();
    const first = await a.client.ok(64, {
      userId: b.userId,
      message: { cid: cid++, text: "now", elements: [], attaches: [] },
    });
    const chatId = Number(first.chatId);
    const held = (await schedule(a.client, { chatId }, "draft", clock.now() + 10_000)).payload.message;
    const aOther = await Raw.connect(emu.url);
    sockets.push(aOther);
    await aOther.tokenLogin(a.token);

    const later = clock.now() + 20_000;
    const edited = await a.client.ok(67, {
      chatId,
      messageId: held.id,
      text: "final",
      delayedAttributes: { timeToFire: later, notifySender: false },
    });
    expect(edited.message).toMatchObject({
      id: held.id,
      text: "final",
      delayedAttributes: { timeToFire: later, notifySender: false },
    });
    const push = await aOther.event(154, (p) => p.payload.chatId === chatId);
    expect(push.payload).toMatchObject({ updateTypeId: 1, message: { id: held.id, text: "final" } });
    // Only its sender may touch it: B is told it does not exist.
    expectErrorPacket(
      await b.client.call(67, {
        chatId,
        messageId: held.id,
        text: "x",
        delayedAttributes: { timeToFire: later },
      }),
      67,
      "message.not.found",
    );
    expectErrorPacket(
      await b.client.call(66, { chatId, messageIds: [held.id], itemType: "DELAYED", forMe: false }),
      66,
      "message.not.found",
    );

    // Its old time passes: nothing; then it is cancelled and its new time passes: still nothing.
    clock.advance(10_000);
    expect(emu.server.deliverDueMessages()).toBe(0);
    expect(
      await a.client.ok(66, { chatId, messageIds: [held.id], itemType: "DELAYED", forMe: false }),
    ).toEqual({
      messageIds: [held.id],
    });
    expect(await history(a.client, chatId, "DELAYED")).toEqual([]);
    clock.advance(10_000);
    expect(emu.server.deliverDueMessages()).toBe(0);
    expect((await history(b.client, chatId)).map((m) => m.text)).toEqual(["now"]);
    expectErrorPacket(
      await a.client.call(66, { chatId, messageIds: [held.id], itemType: "DELAYED", forMe: false }),
      66,
      "message.not.found",
    );
  });

  it("bad schedules are refused: more than a year ahead, a negative time, a chat of others", async () => {
    const a = await account();
    const b = await account();
    const c = await account();
    const { chatId } = await a.client.ok(64, {
      userId: b.userId,
      message: { cid: cid++, text: "hi", elements: [], attaches: [] },
    });
    expectErrorPacket(
      await schedule(a.client, { chatId }, "far", clock.now() + 400 * 86_400_000),
      64,
      "proto.payload",
    );
    expectErrorPacket(await schedule(a.client, { chatId }, "neg", -5), 64, "proto.payload");
    expect((await schedule(c.client, { chatId }, "intruder", clock.now() + 1000)).cmd).toBe(3);
    expect(await history(a.client, chatId, "DELAYED")).toEqual([]);
  });

  it("the periodic check delivers without being asked", async () => {
    const a = await account();
    const b = await account();
    const held = await schedule(a.client, { userId: b.userId }, "by the timer", clock.now() + 5_000);
    const chatId = Number(held.payload.chatId);
    clock.advance(5_000);
    const pushed = await b.client.event(128, (p) => p.payload.chatId === chatId);
    expect(pushed.payload.message.text).toBe("by the timer");
  });

  it("a held message survives a restart and is delivered once after it", async () => {
    const a = await account();
    const b = await account();
    const held = await schedule(a.client, { userId: b.userId }, "after restart", clock.now() + 30_000);
    const chatId = Number(held.payload.chatId);
    for (const s of sockets.splice(0)) s.close();
    await emu.close();
    clock.advance(60_000);
    emu = await startEmulator({ file, clock });
    // listen() delivered it already.
    expect(emu.server.deliverDueMessages()).toBe(0);
    const again = await account(b.phone);
    const texts = (await history(again.client, chatId)).map((m) => m.text);
    expect(texts).toEqual(["after restart"]);
  });
});
