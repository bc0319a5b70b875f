/**
 * The bots' world of the MAX emulator (MaxEmulatorServer.botWorld), driven on a real emulator
 * with user-API clients speaking raw packets over loopback: a bot's actions reach users as
 * ordinary pushes, users' actions reach the world's listeners inside the committing transaction.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BotWorldEvent } from "../../src/max/emulator/world-events.js";
import { emulatorFixture, type RawClient } from "./raw.js";

const world = emulatorFixture("955000");
beforeAll(world.start);
afterAll(world.stop);

const botWorld = () => world.emu.server.botWorld;

async function user(): Promise<{ c: RawClient; id: number }> {
  const { client, userId } = await world.login();
  return { c: client, id: userId };
}

/** A round trip on `c`: everything the server pushed to it before now has arrived. */
async function settle(c: RawClient): Promise<void> {
  await c.ok(1, { interactive: false });
}

const text = (t: string, extra: Record<string, unknown> = {}) => ({
  text: t,
  cid: Date.now(),
  elements: [],
  attaches: [],
  ...extra,
});

/** Records the events of one test; the listener is removed with `stop()`. */
function record(): { events: BotWorldEvent[]; inTx: boolean[]; stop: () => void } {
  const events: BotWorldEvent[] = [];
  const inTx: boolean[] = [];
  const stop = botWorld().subscribe((e) => {
    events.push(e);
    inTx.push(world.emu.db.inTransaction);
  });
  return { events, inTx, stop };
}

let botCount = 0;
function bot(name = "Helper"): number {
  return botWorld().createBot({ name, username: `helper_bot_${++botCount}` }).userId;
}

describe("bots are MAX users", () => {
  it("a bot is a contact flagged BOT, with no phone, and the world shows it as a bot", async () => {
    const a = await user();
    const id = botWorld().createBot({
      name: "Weather",
      username: "weather_bot",
      description: "Forecasts",
    }).userId;
    const info = await a.c.ok(32, { contactIds: [id] });
    expect(info.contacts).toHaveLength(1);
    expect(info.contacts[0]).toMatchObject({ id, options: ["BOT"], description: "Forecasts" });
    expect(info.contacts[0].names[0].firstName).toBe("Weather");
    expect(info.contacts[0].phone).toBeUndefined();
    expect(botWorld().user(id)).toMatchObject({
      userId: id,
      isBot: true,
      username: "weather_bot",
      firstName: "Weather",
    });
    expect(botWorld().user(a.id)?.isBot).toBe(false);
    expect(() => botWorld().createBot({ name: "Copy", username: "weather_bot" })).toThrow(
      expect.objectContaining({ name: "WorldError", code: "conflict" }),
    );
    const edited = botWorld().editBotProfile(id, { name: "Weather 2", description: null });
    expect(edited).toMatchObject({ firstName: "Weather 2", description: null, username: "weather_bot" });
  });

  it("a bot's message reaches the user as an ordinary 128 push and shows in history", async () => {
    const a = await user();
    const b = bot();
    const dialog = botWorld().dialog(b, a.id);
    expect(dialog).toMatchObject({ type: "DIALOG", dialogWithUserId: a.id, title: null });
    const sent = botWorld().send(dialog.chatId, b, {
      text: "Hello there",
      elements: [{ type: "STRONG", from: 0, length: 5 }],
    });
    const push = await a.c.event(128, (p) => p.payload.message.id === String(sent.messageId));
    expect(push.payload).toMatchObject({
      chatId: dialog.chatId,
      message: {
        sender: b,
        text: "Hello there",
        type: "USER",
        elements: [{ type: "STRONG", from: 0, length: 5 }],
      },
    });
    const history = await a.c.ok(49, {
      chatId: dialog.chatId,
      from: Date.now() + 1000,
      forward: 0,
      backward: 10,
      getMessages: true,
    });
    expect(history.messages.map((m: { id: string }) => m.id)).toContain(String(sent.messageId));
    expect(botWorld().message(dialog.chatId, sent.messageId, a.id)).toMatchObject({
      text: "Hello there",
      senderId: b,
    });
  });

  it("a bot replies with a REPLY link, reads history newest first and pages its chats", async () => {
    const a = await user();
    const b = bot();
    const asked = await a.c.ok(64, { userId: b, message: text("question?") });
    const chatId = asked.chatId as number;
    const reply = botWorld().send(chatId, b, {
      text: "answer",
      link: { type: "REPLY", chatId, messageId: Number(asked.message.id) },
    });
    expect(reply.link).toEqual({ type: "REPLY", chatId, messageId: Number(asked.message.id) });
    const push = await a.c.event(128, (p) => p.payload.message.id === String(reply.messageId));
    expect(push.payload.message.link).toMatchObject({
      type: "REPLY",
      messageId: asked.message.id,
      message: { text: "question?" },
    });
    const later = botWorld().send(chatId, b, { text: "anything else?" });
    const all = botWorld().history(chatId, b, { count: 10 });
    expect(all.map((m) => m.text)).toEqual(["anything else?", "answer", "question?"]);
    const two = botWorld().history(chatId, b, { count: 2 });
    expect(two.map((m) => m.messageId)).toEqual([later.messageId, reply.messageId]);
    const window = botWorld().history(chatId, b, { from: reply.time, to: asked.message.time, count: 10 });
    expect(window.every((m) => m.time >= asked.message.time && m.time <= reply.time)).toBe(true);
    expect(window.map((m) => m.text)).toContain("question?");

    const group = await a.c.ok(64, {
      message: text("", {
        attaches: [{ _type: "CONTROL", event: "new", chatType: "CHAT", title: "Paged", userIds: [b] }],
      }),
    });
    await a.c.ok(55, { chatId: group.chatId, link: `paged_${b}` });
    expect(botWorld().chatByLink(`https://max.ru/paged_${b}`, b)).toMatchObject({
      chatId: group.chatId,
      title: "Paged",
    });
    expect(botWorld().chatByLink("no_such_chat_here", b)).toBeUndefined();
    const outsider = bot("Outsider");
    expect(botWorld().chat(group.chatId, outsider)).toBeUndefined();
    expect(botWorld().chatForAdmin(group.chatId)).toMatchObject({
      chatId: group.chatId,
      ownerId: a.id,
      title: "Paged",
    });
    expect(botWorld().chatForAdmin(123456789)).toBeUndefined();
    const first = botWorld().chatsOf(b, 1, null);
    expect(first.chats).toHaveLength(1);
    expect(first.marker).toBe(first.chats[0]!.chatId);
    const second = botWorld().chatsOf(b, 5, first.marker);
    expect([...first.chats, ...second.chats].map((c) => c.chatId).sort()).toEqual(
      [chatId, group.chatId].sort(),
    );
    expect(second.marker).toBeNull();
  });

  it("sendAsync group-commits concurrent sends: all stored in order, events inside the shared transaction, all pushed", async () => {
    const a = await user();
    const b = bot();
    const dialog = botWorld().dialog(b, a.id);
    const rec = record();
    let sent: Awaited<ReturnType<ReturnType<typeof botWorld>["sendAsync"]>>[];
    try {
      sent = await Promise.all(
        Array.from({ length: 20 }, (_, i) => botWorld().sendAsync(dialog.chatId, b, { text: `burst ${i}` })),
      );
    } finally {
      rec.stop();
    }
    expect(sent.map((m) => m.text)).toEqual(Array.from({ length: 20 }, (_, i) => `burst ${i}`));
    const ids = sent.map((m) => m.messageId);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    expect(rec.events.filter((e) => e.type === "message.created")).toHaveLength(20);
    expect(rec.inTx.every(Boolean)).toBe(true);
    await a.c.event(128, (p) => p.payload.message.id === String(ids[19]));
    expect(
      botWorld()
        .history(dialog.chatId, a.id, { count: 20 })
        .map((m) => m.messageId),
    ).toEqual([...ids].reverse());
    await expect(botWorld().sendAsync(dialog.chatId, b, { text: "x".repeat(4001) })).rejects.toMatchObject({
      name: "WorldError",
      code: "too.long",
    });
  });

  it("refusals are WorldErrors with MAX's codes", async () => {
    const a = await user();
    const b = bot();
    const group = await a.c.ok(64, {
      message: text("", {
        attaches: [{ _type: "CONTROL", event: "new", chatType: "CHAT", title: "Not for bots" }],
      }),
    });
    expect(() => botWorld().send(group.chatId, b, { text: "hi" })).toThrow(
      expect.objectContaining({ name: "WorldError", code: "chat.denied" }),
    );
    const dialog = botWorld().dialog(b, a.id);
    expect(() => botWorld().send(dialog.chatId, b, { text: "x".repeat(4001) })).toThrow(
      expect.objectContaining({ code: "too.long" }),
    );
    expect(() =>
      botWorld().send(dialog.chatId, b, { text: "", attaches: [{ _type: "PHOTO", photoToken: "nope" }] }),
    ).toThrow(expect.objectContaining({ code: "bad.request" }));
    expect(() => botWorld().edit(dialog.chatId, b, 12345, { text: "x" })).toThrow(
      expect.objectContaining({ code: "not.found" }),
    );
  });
});

describe("user actions become world events inside their transaction", () => {
  it("a user's first message to a bot starts it, then arrives as message.created; the listener's writes commit with it", async () => {
    const db = world.emu.db;
    db.exec("CREATE TABLE IF NOT EXISTS test_bot_inbox (message_id INTEGER PRIMARY KEY, text TEXT)");
    const a = await user();
    const b = bot();
    const rec = record();
    const stopWriter = botWorld().subscribe((e) => {
      if (e.type === "message.created") {
        db.prepare("INSERT INTO test_bot_inbox (message_id, text) VALUES (?, ?)").run(
          e.message.messageId,
          e.message.text,
        );
      }
    });
    try {
      const sent = await a.c.ok(64, { userId: b, message: text("/start ref42") });
      const types = rec.events.map((e) => e.type);
      expect(types).toEqual(["bot.started", "message.created"]);
      expect(rec.inTx).toEqual([true, true]);
      expect(rec.events[0]).toEqual({
        type: "bot.started",
        chatId: sent.chatId,
        userId: a.id,
        botId: b,
        payload: "ref42",
      });
      expect(rec.events[1]).toMatchObject({
        type: "message.created",
        message: {
          chatId: sent.chatId,
          messageId: Number(sent.message.id),
          senderId: a.id,
          text: "/start ref42",
          status: null,
        },
      });
      const row = db
        .prepare("SELECT text FROM test_bot_inbox WHERE message_id = ?")
        .get(Number(sent.message.id));
      expect(row).toEqual({ text: "/start ref42" });
      // A second message does not start the bot again.
      await a.c.ok(64, { chatId: sent.chatId, message: text("again") });
      expect(rec.events.map((e) => e.type)).toEqual(["bot.started", "message.created", "message.created"]);
    } finally {
      stopWriter();
      rec.stop();
    }
  });

  it("a listener that throws aborts the send: the user gets an error and the message is neither stored nor pushed", async () => {
    const a = await user();
    const other = await user();
    const first = await a.c.ok(64, { userId: other.id, message: text("before") });
    const stop = botWorld().subscribe((e) => {
      if (e.type === "message.created" && e.message.text === "doomed") throw new Error("listener failed");
    });
    try {
      const failed = await a.c.call(64, { chatId: first.chatId, message: text("doomed") });
      expect(failed.cmd).toBe(3);
    } finally {
      stop();
    }
    await settle(other.c);
    expect(other.c.events(128).some((p) => p.payload.message.text === "doomed")).toBe(false);
    const history = await other.c.ok(49, {
      chatId: first.chatId,
      from: Date.now() + 1000,
      forward: 0,
      backward: 20,
      getMessages: true,
    });
    expect(history.messages.map((m: { text: string }) => m.text)).toEqual(["before"]);
    // Nothing stays broken: the next message goes through.
    await a.c.ok(64, { chatId: first.chatId, message: text("after") });
    await other.c.event(128, (p) => p.payload.message.text === "after");
  });

  it("edit (67) and delete (66) become message.edited and message.removed", async () => {
    const a = await user();
    const b = bot();
    const sent = await a.c.ok(64, { userId: b, message: text("draft") });
    const rec = record();
    try {
      await a.c.ok(67, { chatId: sent.chatId, messageId: sent.message.id, text: "final", elements: [] });
      await a.c.ok(66, { chatId: sent.chatId, messageIds: [sent.message.id], forMe: false });
      await a.c.ok(66, {
        chatId: sent.chatId,
        messageIds: [(await a.c.ok(64, { chatId: sent.chatId, message: text("mine") })).message.id],
        forMe: true,
      });
    } finally {
      rec.stop();
    }
    const id = Number(sent.message.id);
    expect(rec.events.filter((e) => e.type !== "message.created")).toEqual([
      {
        type: "message.edited",
        message: expect.objectContaining({ messageId: id, text: "final", status: "EDITED" }),
      },
      { type: "message.removed", chatId: sent.chatId, messageId: id, senderId: a.id, byUserId: a.id },
    ]);
    expect(rec.inTx.every(Boolean)).toBe(true);
  });

  it("members added and removed (77), joined by link (57), left (58) and a new title (55)", async () => {
    const owner = await user();
    const joiner = await user();
    const b = bot();
    const group = await owner.c.ok(64, {
      message: text("", { attaches: [{ _type: "CONTROL", event: "new", chatType: "CHAT", title: "Team" }] }),
    });
    const chatId = group.chatId;
    const rec = record();
    try {
      await owner.c.ok(77, { chatId, userIds: [b], operation: "add", showHistory: true });
      await owner.c.ok(55, { chatId, title: "Team 2" });
      const invite = await owner.c.ok(56, { chatId });
      await joiner.c.ok(57, { link: invite.link });
      await joiner.c.ok(58, { chatId });
      await owner.c.ok(77, { chatId, userIds: [b], operation: "remove" });
    } finally {
      rec.stop();
    }
    expect(rec.events).toEqual([
      { type: "members.added", chatId, userIds: [b], byUserId: owner.id, viaLink: false },
      { type: "chat.title_changed", chatId, title: "Team 2", byUserId: owner.id },
      { type: "members.added", chatId, userIds: [joiner.id], byUserId: joiner.id, viaLink: true },
      { type: "member.removed", chatId, userId: joiner.id, byUserId: joiner.id },
      { type: "member.removed", chatId, userId: b, byUserId: owner.id },
    ]);
    expect(rec.inTx.every(Boolean)).toBe(true);
  });

  it("a group created with a bot among its members tells the world the bot was added", async () => {
    const owner = await user();
    const b = bot();
    const rec = record();
    let chatId: number;
    try {
      const group = await owner.c.ok(64, {
        message: text("", {
          attaches: [{ _type: "CONTROL", event: "new", chatType: "CHAT", title: "With bot", userIds: [b] }],
        }),
      });
      chatId = group.chatId;
    } finally {
      rec.stop();
    }
    expect(rec.events).toEqual([
      { type: "members.added", chatId, userIds: [b], byUserId: owner.id, viaLink: false },
    ]);
  });
});

describe("stopping a bot", () => {
  it("blocking a bot (34 BLOCK) emits bot.stopped; the bot can no longer write; the next message starts it again", async () => {
    const a = await user();
    const b = bot();
    const first = await a.c.ok(64, { userId: b, message: text("hello bot") });
    const rec = record();
    try {
      await a.c.ok(34, { contactId: b, action: "BLOCK" });
      await a.c.ok(34, { contactId: b, action: "BLOCK" });
    } finally {
      rec.stop();
    }
    expect(rec.events).toEqual([{ type: "bot.stopped", chatId: first.chatId, userId: a.id, botId: b }]);
    expect(rec.inTx).toEqual([true]);
    expect(() => botWorld().send(first.chatId, b, { text: "are you there?" })).toThrow(
      expect.objectContaining({ code: "access.denied" }),
    );
    await a.c.ok(34, { contactId: b, action: "UNBLOCK" });
    const rec2 = record();
    try {
      await a.c.ok(64, { chatId: first.chatId, message: text("back again") });
    } finally {
      rec2.stop();
    }
    expect(rec2.events.map((e) => e.type)).toEqual(["bot.started", "message.created"]);
  });
});

describe("a bot acts in a group through the world", () => {
  it("edits, removes, pins, renames and manages members with the pushes users expect", async () => {
    const owner = await user();
    const friend = await user();
    const b = bot();
    const group = await owner.c.ok(64, {
      message: text("", {
        attaches: [{ _type: "CONTROL", event: "new", chatType: "CHAT", title: "Ops", userIds: [b] }],
      }),
    });
    const chatId = group.chatId;
    await owner.c.ok(77, { chatId, type: "ADMIN", operation: "add", userIds: [b], permissions: 255 });
    expect(botWorld().member(chatId, b)).toMatchObject({ isAdmin: true, isOwner: false, isBot: true });

    const sent = botWorld().send(chatId, b, { text: "status: ok" });
    await owner.c.event(128, (p) => p.payload.message.id === String(sent.messageId));
    const edited = botWorld().edit(chatId, b, sent.messageId, { text: "status: degraded" });
    expect(edited).toMatchObject({ status: "EDITED", text: "status: degraded" });
    const editPush = await owner.c.event(
      128,
      (p) => p.payload.message.id === String(sent.messageId) && p.payload.message.status === "EDITED",
    );
    expect(editPush.payload.message.text).toBe("status: degraded");

    botWorld().pin(chatId, b, sent.messageId, false);
    const pinned = await owner.c.event(
      135,
      (p) => p.payload.chat.pinnedMessage?.id === String(sent.messageId),
    );
    expect(pinned.payload.chat.id).toBe(chatId);
    expect(botWorld().chat(chatId, b)?.pinnedMessageId).toBe(sent.messageId);

    botWorld().editChat(chatId, b, { iconUrl: "https://example.org/ops.png" });
    const icon = await owner.c.event(
      135,
      (p) => p.payload.chat.baseIconUrl === "https://example.org/ops.png",
    );
    expect(icon.payload.chat.id).toBe(chatId);
    expect(botWorld().chat(chatId, b)?.iconUrl).toBe("https://example.org/ops.png");
    expect(() => botWorld().editChat(chatId, b, { iconUrl: "javascript:alert(1)" })).toThrow(
      expect.objectContaining({ code: "bad.request" }),
    );

    const rec = record();
    try {
      botWorld().editChat(chatId, b, { title: "Ops room" });
      botWorld().addMembers(chatId, b, [friend.id]);
      botWorld().remove(chatId, b, sent.messageId);
    } finally {
      rec.stop();
    }
    expect(rec.events.map((e) => e.type)).toEqual(["chat.title_changed", "members.added", "message.removed"]);
    const titled = await owner.c.event(
      128,
      (p) =>
        p.payload.message.attaches?.[0]?._type === "CONTROL" &&
        p.payload.message.attaches[0].event === "title",
    );
    expect(titled.payload.message.sender).toBe(b);
    const joined = await friend.c.event(135, (p) => p.payload.chat.id === chatId);
    expect(joined.payload.chat.title).toBe("Ops room");
    const tomb = await owner.c.event(
      128,
      (p) => p.payload.message.id === String(sent.messageId) && p.payload.message.status === "REMOVED",
    );
    expect(tomb.payload.chatId).toBe(chatId);

    const page = botWorld().members(chatId, b, { count: 2, marker: null });
    expect(page.members).toHaveLength(2);
    expect(page.marker).not.toBeNull();
    const rest = botWorld().members(chatId, b, { count: 10, marker: page.marker });
    expect([...page.members, ...rest.members].map((m) => m.userId).sort()).toEqual(
      [owner.id, friend.id, b].sort(),
    );
    const mine = botWorld().chatsOf(b, 10, null);
    expect(mine.chats.map((c) => c.chatId)).toContain(chatId);

    botWorld().action(chatId, b, "typing_on");
    const typing = await owner.c.event(51, (p) => p.payload.userId === b);
    expect(typing.payload).toMatchObject({ chatId, type: "TEXT" });

    botWorld().leave(chatId, b);
    expect(botWorld().chat(chatId, b)).toBeUndefined();
    await owner.c.event(
      128,
      (p) => p.payload.message.attaches?.[0]?.event === "leave" && p.payload.message.sender === b,
    );
  });
});
