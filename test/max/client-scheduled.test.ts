/**
 * MaxClient's scheduled messages against the emulator over loopback: scheduleMessage (64 with
 * delayedAttributes), scheduledMessages (49 DELAYED), editScheduled (67), cancelScheduled (66
 * DELAYED), and the pushes when one goes out (128 → `message`, 154 → `scheduledFired`) or is
 * edited from another session (154 → `scheduledEdited`). The emulator's clock is a ManualClock:
 * a message goes out when the test advances it and calls deliverDueMessages().
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/emulator/clock.js";
import { ApiError, ValidationError } from "../../src/core/errors.js";
import { MaxClient } from "../../src/max/client/index.js";
import { parsePush } from "../../src/max/client/push.js";
import { type Emulator, nextEvent, signedIn, startEmulator } from "./client-helpers.js";

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const clock = new ManualClock(T0);
let emu: Emulator;
const clients: MaxClient[] = [];

beforeAll(async () => {
  emu = await startEmulator({ clock });
});
afterAll(async () => {
  for (const c of clients) await c.close();
  await emu?.close();
});

async function user() {
  const c = await signedIn(emu);
  clients.push(c);
  return c;
}

/** Two users with a dialog between them (opened by a plain message from `a`). */
async function pair() {
  const a = await user();
  const b = await user();
  const first = await a.sendToUser(b.userId!, "hello");
  return { a, b, chatId: first.chatId };
}

/** Another logged-in session of the account `of`. */
async function otherSession(of: Awaited<ReturnType<typeof user>>) {
  const token = (await of.credentials.load("default"))?.token;
  if (!token) throw new Error("no stored token");
  const c = new MaxClient({ url: emu.url, timeoutMs: 5000 });
  clients.push(c);
  await c.loginByToken(token);
  return c;
}

const texts = async (c: MaxClient, chatId: number) =>
  (await c.getHistory(chatId, { from: clock.now() + 3_600_000, backward: 100 })).map((m) => m.text);

describe("MaxClient scheduled messages", () => {
  it("scheduleMessage holds a message for its sender only; at its time it arrives once as a message, with scheduledFired", async () => {
    const { a, b, chatId } = await pair();
    const fireAt = clock.now() + 60_000;
    const hello = (await b.getHistory(chatId))[0];
    expect(hello?.text).toBe("hello");
    const held = await a.scheduleMessage(chatId, "see you later", new Date(fireAt), {
      notifySender: false,
      replyTo: hello?.id,
    });
    expect(held).toMatchObject({
      chatId,
      text: "see you later",
      sender: a.userId,
      fireAt,
      notifySender: false,
      link: { type: "REPLY", messageId: hello?.id },
    });
    expect(held.id).toMatch(/^\d+$/);
    // delayedAttributes is read into fireAt / notifySender, not left under extra.
    expect(held.extra?.delayedAttributes).toBeUndefined();

    expect((await a.scheduledMessages(chatId)).map((m) => [m.id, m.fireAt, m.text])).toEqual([
      [held.id, fireAt, "see you later"],
    ]);
    expect(await b.scheduledMessages(chatId)).toEqual([]);
    expect(await texts(b, chatId)).toEqual(["hello"]);

    const arrived = nextEvent(b, "message", (e) => e.chatId === chatId && e.message.text === "see you later");
    const own = nextEvent(a, "message", (e) => e.chatId === chatId && e.message.text === "see you later");
    const fired = nextEvent(a, "scheduledFired", (e) => e.chatId === chatId);
    clock.advance(60_000);
    emu.server.deliverDueMessages();

    const got = await arrived;
    expect(got.message).toMatchObject({ sender: a.userId, time: fireAt });
    expect(got.message.link).toMatchObject({ type: "REPLY", messageId: hello?.id });
    expect(got.catchUp).toBe(false);
    expect((await own).message.id).toBe(got.message.id);
    expect(await fired).toEqual({ chatId, messageIds: [held.id], time: fireAt });

    // Delivered once; nothing is held any more.
    emu.server.deliverDueMessages();
    expect(await texts(b, chatId)).toEqual(["hello", "see you later"]);
    expect(await a.scheduledMessages(chatId)).toEqual([]);
  });

  it("scheduledMessages lists soonest first; a time in the past goes out at the next check", async () => {
    const { a, b, chatId } = await pair();
    const late = await a.scheduleMessage(chatId, "late", clock.now() + 30_000);
    const soon = await a.scheduleMessage(chatId, "soon", clock.now() + 10_000);
    expect(late.notifySender).toBe(true);
    expect((await a.scheduledMessages(chatId)).map((m) => m.id)).toEqual([soon.id, late.id]);

    const past = await a.scheduleMessage(chatId, { text: "overdue" }, clock.now() - 5_000);
    expect(past.fireAt).toBe(clock.now() - 5_000);
    const arrived = nextEvent(b, "message", (e) => e.chatId === chatId && e.message.text === "overdue");
    emu.server.deliverDueMessages();
    await arrived;
    expect((await a.scheduledMessages(chatId)).map((m) => m.text)).toEqual(["soon", "late"]);
    await a.cancelScheduled(chatId, [soon.id, late.id]);
  });

  it("editScheduled changes text and time (scheduledEdited on the sender's other session), or keeps the time without `at`", async () => {
    const { a, b, chatId } = await pair();
    const held = await a.scheduleMessage(chatId, "draft", clock.now() + 10_000);
    const aOther = await otherSession(a);

    const later = clock.now() + 20_000;
    const pushed = nextEvent(aOther, "scheduledEdited", (e) => e.chatId === chatId);
    const edited = await a.editScheduled(chatId, held.id, "final", { at: later, notifySender: false });
    expect(edited).toMatchObject({ id: held.id, text: "final", fireAt: later, notifySender: false });
    const seen = await pushed;
    expect(seen.message).toMatchObject({ id: held.id, chatId, text: "final", fireAt: later });

    // Without `at`: the held time and notifySender stay.
    const again = await a.editScheduled(chatId, held.id, "final, really");
    expect(again).toMatchObject({ id: held.id, text: "final, really", fireAt: later, notifySender: false });
    expect((await a.scheduledMessages(chatId)).map((m) => [m.text, m.fireAt])).toEqual([
      ["final, really", later],
    ]);

    // Only its sender can see or change it.
    await expect(b.editScheduled(chatId, held.id, "mine now", { at: later })).rejects.toMatchObject({
      code: "message.not.found",
    });
    await expect(b.editScheduled(chatId, held.id, "mine now")).rejects.toBeInstanceOf(ApiError);

    const arrived = nextEvent(b, "message", (e) => e.chatId === chatId && e.message.text === "final, really");
    clock.advance(20_000);
    emu.server.deliverDueMessages();
    expect((await arrived).message.time).toBe(later);
  });

  it("editScheduled never edits a sent message of that id", async () => {
    const { a, chatId } = await pair();
    const sent = await a.sendMessage(chatId, "already out");
    await expect(a.editScheduled(chatId, sent.id, "changed")).rejects.toMatchObject({
      code: "message.not.found",
    });
    await expect(
      a.editScheduled(chatId, sent.id, "changed", { at: clock.now() + 1000 }),
    ).rejects.toMatchObject({ code: "message.not.found" });
    const [stored] = await a.getMessages(chatId, [sent.id]);
    expect(stored?.text).toBe("already out");
  });

  it("cancelScheduled answers the ids cancelled; a cancelled message never goes out", async () => {
    const { a, b, chatId } = await pair();
    const one = await a.scheduleMessage(chatId, "one", clock.now() + 5_000);
    const two = await a.scheduleMessage(chatId, "two", clock.now() + 5_000);
    // B cannot cancel A's.
    await expect(b.cancelScheduled(chatId, [one.id])).rejects.toMatchObject({ code: "message.not.found" });
    expect(await a.cancelScheduled(chatId, [one.id])).toEqual([one.id]);
    expect((await a.scheduledMessages(chatId)).map((m) => m.id)).toEqual([two.id]);
    await expect(a.cancelScheduled(chatId, [one.id])).rejects.toMatchObject({ code: "message.not.found" });

    const arrived = nextEvent(b, "message", (e) => e.chatId === chatId && e.message.text === "two");
    clock.advance(5_000);
    emu.server.deliverDueMessages();
    await arrived;
    expect(await texts(b, chatId)).toEqual(["hello", "two"]);
  });

  it("bad input is a ValidationError and nothing is held; over a year ahead the server refuses", async () => {
    const { a, chatId } = await pair();
    const soon = clock.now() + 1000;
    const bad: [string, () => Promise<unknown>][] = [
      ["NaN time", () => a.scheduleMessage(chatId, "x", Number.NaN)],
      ["invalid Date", () => a.scheduleMessage(chatId, "x", new Date("not a date"))],
      ["negative time", () => a.scheduleMessage(chatId, "x", -1)],
      ["blank text", () => a.scheduleMessage(chatId, "   ", soon)],
      ["too long", () => a.scheduleMessage(chatId, "x".repeat(4001), soon)],
      ["bad chat id", () => a.scheduleMessage(-1.5, "x", soon)],
      ["edit: bad at", () => a.editScheduled(chatId, "1", "x", { at: Number.POSITIVE_INFINITY })],
      ["edit: blank text", () => a.editScheduled(chatId, "1", "", { at: soon })],
      ["cancel: no ids", () => a.cancelScheduled(chatId, [])],
    ];
    for (const [what, call] of bad) {
      await expect(call(), what).rejects.toBeInstanceOf(ValidationError);
    }
    expect(await a.scheduledMessages(chatId)).toEqual([]);

    const tooFar = clock.now() + 400 * 24 * 60 * 60 * 1000;
    const refused = a.scheduleMessage(chatId, "next year", tooFar);
    await expect(refused).rejects.toBeInstanceOf(ApiError);
    await expect(refused).rejects.not.toBeInstanceOf(ValidationError);
    expect(await a.scheduledMessages(chatId)).toEqual([]);
  });
});

describe("154 NOTIF_MSG_DELAYED reading", () => {
  it("gives a typed event only for a push that fits; anything else stays raw-only", () => {
    expect(parsePush(154, { chatId: 5, updateTypeId: 3, messageIds: [7, "8"] })).toEqual({
      type: "scheduledFired",
      data: { chatId: 5, messageIds: ["7", "8"] },
    });
    const edited = parsePush(154, {
      chatId: "5",
      updateTypeId: 1,
      message: { id: 9, text: "t", delayedAttributes: { timeToFire: 1000 }, extraField: 1 },
    });
    expect(edited).toMatchObject({
      type: "scheduledEdited",
      data: {
        chatId: 5,
        message: { id: "9", chatId: 5, fireAt: 1000, notifySender: false, extra: { extraField: 1 } },
      },
    });
    for (const bad of [
      { updateTypeId: 3, messageIds: ["1"] },
      { chatId: 5, updateTypeId: 3 },
      { chatId: 5, updateTypeId: 3, messageIds: "1" },
      { chatId: 5, updateTypeId: 1, message: { id: "1", text: "no delayedAttributes" } },
      { chatId: 5, updateTypeId: 1 },
      { chatId: 5, updateTypeId: 2, messageIds: ["1"] },
      null,
      "154",
    ]) {
      expect(parsePush(154, bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});
