/**
 * MaxClient against the emulator over loopback, for issue 13's other two opcodes:
 * clearHistory (54 CHAT_CLEAR: history up to a time goes for the caller, or with forAll for
 * everyone the server allows; 135 → `chatUpdated` on every session whose history went) and
 * twoFactorDetails (104: `{enabled, hint, email}`). The emulator's clock is a ManualClock, so
 * message times and the clearing cut are the test's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/emulator/clock.js";
import { ApiError, ValidationError } from "../../src/core/errors.js";
import { MaxClient } from "../../src/max/client/index.js";
import type { ChatUpdatedEvent } from "../../src/max/client/types.js";
import { type Emulator, nextEvent, signedIn, startEmulator } from "./client-helpers.js";

const T0 = Date.UTC(2026, 6, 1, 9, 0, 0);
const clock = new ManualClock(T0);
const inbox: { to: string; code: string }[] = [];
let emu: Emulator;
const clients: MaxClient[] = [];

beforeAll(async () => {
  emu = await startEmulator({ clock, hooks: { onSms: (to, code) => void inbox.push({ to, code }) } });
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

async function otherSession(of: Awaited<ReturnType<typeof user>>) {
  const token = (await of.credentials.load("default"))?.token;
  if (!token) throw new Error("no stored token");
  const c = new MaxClient({ url: emu.url, timeoutMs: 5000 });
  clients.push(c);
  await c.loginByToken(token);
  return c;
}

/** Sends `text` one second after the previous message, so every message has its own time. */
async function say(c: MaxClient, chatId: number, text: string) {
  clock.advance(1000);
  return c.sendMessage(chatId, text);
}

const texts = async (c: MaxClient, chatId: number) =>
  (await c.getHistory(chatId, { from: clock.now() + 60_000, backward: 100 })).map((m) => m.text);

/** Every chatUpdated of `chatId` that `c` receives from now on. */
function recordUpdates(c: MaxClient, chatId: number): ChatUpdatedEvent[] {
  const seen: ChatUpdatedEvent[] = [];
  c.on("chatUpdated", (e) => {
    if (e.chat.id === chatId) seen.push(e);
  });
  return seen;
}

/** Waits until the clock is past `ms` (a clear cuts by millisecond: two sends can share one). */
async function laterThan(ms: number): Promise<void> {
  while (Date.now() <= ms) await new Promise((r) => setTimeout(r, 1));
}

describe("MaxClient.clearHistory", () => {
  it("clears the caller's history only; the caller's other sessions get chatUpdated, the other side nothing", async () => {
    const a = await user();
    const b = await user();
    const { chatId } = await b.sendToUser(a.userId!, "one");
    await say(a, chatId, "two");
    const aOther = await otherSession(a);
    const bUpdates = recordUpdates(b, chatId);

    const updated = nextEvent(aOther, "chatUpdated", (e) => e.chat.id === chatId);
    await a.clearHistory(chatId);
    expect((await updated).chat.lastMessage).toBeUndefined();
    expect(await texts(a, chatId)).toEqual([]);
    expect(await texts(b, chatId)).toEqual(["one", "two"]);
    // The chat stays listed for both.
    expect((await a.getChat(chatId))?.id).toBe(chatId);

    // The clear goes by time (ms): the next message must be in a later millisecond.
    await laterThan(Date.now());
    // Pushes to B are in order: once B has the next message, no 135 came before it.
    const next = nextEvent(b, "message", (e) => e.message.text === "three");
    await say(a, chatId, "three");
    await next;
    expect(bUpdates).toEqual([]);
    expect(await texts(a, chatId)).toEqual(["three"]);
    expect(await texts(b, chatId)).toEqual(["one", "two", "three"]);
  });

  it("forAll in a dialog clears both sides, and the other side gets chatUpdated", async () => {
    const a = await user();
    const b = await user();
    const { chatId } = await a.sendToUser(b.userId!, "secret");
    await say(b, chatId, "reply");
    const updated = nextEvent(b, "chatUpdated", (e) => e.chat.id === chatId);
    await a.clearHistory(chatId, { forAll: true });
    expect((await updated).chat.id).toBe(chatId);
    expect(await texts(a, chatId)).toEqual([]);
    expect(await texts(b, chatId)).toEqual([]);
  });

  it("`until` keeps what came after it", async () => {
    const a = await user();
    const b = await user();
    const { chatId } = await a.sendToUser(b.userId!, "old 1");
    const cut = await say(a, chatId, "old 2");
    await laterThan(cut.time);
    await say(b, chatId, "new");
    await a.clearHistory(chatId, { until: cut.time });
    expect(await texts(a, chatId)).toEqual(["new"]);
    expect(await texts(b, chatId)).toEqual(["old 1", "old 2", "new"]);
  });

  it("in a group, forAll by a member who is not the owner clears only that member's history", async () => {
    const owner = await user();
    const member = await user();
    const group = await owner.createGroup("clear test", [member.userId!]);
    await say(owner, group.id, "from the owner");
    await member.clearHistory(group.id, { forAll: true });
    expect(await texts(member, group.id)).toEqual([]);
    expect(await texts(owner, group.id)).toContain("from the owner");

    await owner.clearHistory(group.id, { forAll: true });
    expect(await texts(owner, group.id)).toEqual([]);
  });

  it("bad input is a ValidationError; a chat the caller is not in is an ApiError", async () => {
    const a = await user();
    const b = await user();
    const c = await user();
    const { chatId } = await a.sendToUser(b.userId!, "private");
    for (const [what, call] of [
      ["fractional chat id", () => a.clearHistory(1.5)],
      ["negative until", () => a.clearHistory(chatId, { until: -1 })],
      ["fractional until", () => a.clearHistory(chatId, { until: 1.5 })],
    ] as const) {
      await expect(call(), what).rejects.toBeInstanceOf(ValidationError);
    }
    await expect(c.clearHistory(chatId)).rejects.toBeInstanceOf(ApiError);
    expect(await texts(b, chatId)).toEqual(["private"]);
    expect(await texts(a, chatId)).toEqual(["private"]);
  });
});

describe("MaxClient.twoFactorDetails", () => {
  it("answers off, then the password's hint, then the recovery email once one is set", async () => {
    const a = await user();
    expect(await a.twoFactorDetails()).toEqual({ enabled: false, hint: "" });
    await a.setTwoFactor("pw-1", { hint: "the usual" });
    expect(await a.twoFactorDetails()).toEqual({ enabled: true, hint: "the usual" });

    // The recovery email, set through PyMax's track flow (112 → 113 → 109 → 110 → 111 [EMAIL]).
    const { trackId } = await a.invoke<{ trackId: string }>(112, { type: 0 });
    await a.invoke(113, { trackId, password: "pw-1" });
    const before = inbox.length;
    await a.invoke(109, { trackId, email: "Owner@Example.org" });
    const code = inbox.slice(before).find((m) => m.to === "owner@example.org")?.code;
    expect(code).toMatch(/^\d{6}$/);
    await a.invoke(110, { trackId, verifyCode: code });
    await a.invoke(111, { expectedCapabilities: [4], trackId });
    expect(await a.twoFactorDetails()).toEqual({
      enabled: true,
      hint: "the usual",
      email: "owner@example.org",
    });

    await a.removeTwoFactor("pw-1");
    expect(await a.twoFactorDetails()).toEqual({ enabled: false, hint: "" });
  });
});
