/**
 * The bots' world beyond text: inline keyboards pressed by users (admin route), the bot's
 * answer pushed back (143), bots started (admin route), files a bot stores in MAX's file store
 * and users download, and the bots migration on a sandbox database made before it.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/core/emulator/store.js";
import { maxStoreModule } from "../../src/max/emulator/store/schema.js";
import type { BotWorldEvent } from "../../src/max/emulator/world-events.js";
import { emulatorFixture, RawClient as Raw, type RawClient, startEmulator } from "./raw.js";

const world = emulatorFixture("955100");
let admin: FastifyInstance;
let adminUrl = "";
beforeAll(async () => {
  await world.start();
  admin = Fastify();
  world.emu.server.registerAdmin(admin);
  adminUrl = await admin.listen({ port: 0, host: "127.0.0.1" });
});
afterAll(async () => {
  await admin?.close();
  await world.stop();
});

const botWorld = () => world.emu.server.botWorld;

async function user(): Promise<{ c: RawClient; id: number }> {
  const { client, userId } = await world.login();
  return { c: client, id: userId };
}

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${adminUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function record(): { events: BotWorldEvent[]; inTx: boolean[]; stop: () => void } {
  const events: BotWorldEvent[] = [];
  const inTx: boolean[] = [];
  const stop = botWorld().subscribe((e) => {
    events.push(e);
    inTx.push(world.emu.db.inTransaction);
  });
  return { events, inTx, stop };
}

const keyboard = {
  _type: "INLINE_KEYBOARD",
  keyboard: {
    buttons: [
      [
        { type: "CALLBACK", text: "Yes", payload: "vote:yes", intent: "POSITIVE" },
        { type: "CALLBACK", text: "No", payload: "vote:no", intent: "NEGATIVE" },
      ],
      [{ type: "LINK", text: "Docs", url: "https://dev.max.ru" }],
    ],
  },
};

/** A 1×1 PNG. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

describe("inline keyboards and callback buttons", () => {
  it("a bot's keyboard reaches the user as sent (plus its callbackId); a press emits callback.pressed and the answer comes back as 143", async () => {
    const a = await user();
    const bot = botWorld().createBot({ name: "Poll" }).userId;
    const dialog = botWorld().dialog(bot, a.id);
    const sent = botWorld().send(dialog.chatId, bot, { text: "Agree?", attaches: [keyboard] });
    const push = await a.c.event(128, (p) => p.payload.message.id === String(sent.messageId));
    const attach = push.payload.message.attaches[0];
    expect(attach).toMatchObject({ _type: "INLINE_KEYBOARD", keyboard: keyboard.keyboard });
    expect(typeof attach.callbackId).toBe("string");

    const rec = record();
    let pressed: { status: number; body: Record<string, unknown> };
    try {
      pressed = await post("/_sandbox/max/bots/press", {
        userId: a.id,
        chatId: dialog.chatId,
        messageId: String(sent.messageId),
        payload: "vote:no",
      });
    } finally {
      rec.stop();
    }
    expect(pressed.status).toBe(200);
    const callbackId = pressed.body.callbackId as string;
    expect(callbackId).toMatch(/^[\w-]{16,}$/);
    expect(callbackId).not.toBe(attach.callbackId);
    expect(rec.events).toEqual([
      {
        type: "callback.pressed",
        chatId: dialog.chatId,
        messageId: sent.messageId,
        userId: a.id,
        payload: "vote:no",
        callbackId,
        time: expect.any(Number),
      },
    ]);
    expect(rec.inTx).toEqual([true]);

    botWorld().notifyCallback(a.id, callbackId, "Counted");
    const answer = await a.c.event(143);
    expect(answer.payload).toEqual({
      chatId: dialog.chatId,
      messageId: String(sent.messageId),
      callbackId: attach.callbackId,
      notification: "Counted",
    });
  });

  it("presses that name no button of a visible keyboard are refused", async () => {
    const a = await user();
    const stranger = await user();
    const bot = botWorld().createBot({ name: "Strict" }).userId;
    const dialog = botWorld().dialog(bot, a.id);
    const sent = botWorld().send(dialog.chatId, bot, { text: "Pick", attaches: [keyboard] });
    const plain = botWorld().send(dialog.chatId, bot, { text: "no keyboard" });
    const unknown = await post("/_sandbox/max/bots/press", {
      userId: a.id,
      chatId: dialog.chatId,
      messageId: sent.messageId,
      payload: "vote:maybe",
    });
    expect(unknown.status).toBe(404);
    const noKeyboard = await post("/_sandbox/max/bots/press", {
      userId: a.id,
      chatId: dialog.chatId,
      messageId: plain.messageId,
      payload: "vote:yes",
    });
    expect(noKeyboard.status).toBe(404);
    const outsider = await post("/_sandbox/max/bots/press", {
      userId: stranger.id,
      chatId: dialog.chatId,
      messageId: sent.messageId,
      payload: "vote:yes",
    });
    expect(outsider.status).toBe(403);
    const ambiguous = await post("/_sandbox/max/bots/press", {
      userId: a.id,
      chatId: dialog.chatId,
      messageId: sent.messageId,
    });
    expect(ambiguous.status).toBe(400);
    const malformed = await post("/_sandbox/max/bots/press", { userId: a.id, chatId: dialog.chatId });
    expect(malformed.status).toBe(400);
    expect(typeof malformed.body.error).toBe("string");
  });

  it("users may send keyboards too (stored and pushed as is); invalid keyboards are attach.invalid", async () => {
    const a = await user();
    const b = await user();
    const sent = await a.c.ok(64, { userId: b.id, message: { text: "menu", attaches: [keyboard] } });
    const push = await b.c.event(128, (p) => p.payload.message.id === sent.message.id);
    expect(push.payload.message.attaches[0]).toMatchObject(keyboard);
    const bad = await a.c.call(64, {
      chatId: sent.chatId,
      message: {
        text: "menu",
        attaches: [{ _type: "INLINE_KEYBOARD", keyboard: { buttons: [[{ type: "CALLBACK", text: "x" }]] } }],
      },
    });
    expect(bad.cmd).toBe(3);
    expect(bad.payload.error).toBe("attach.invalid");
  });
});

describe("opcode 118 MSG_SEND_CALLBACK (PyMax's press), raw packets", () => {
  it("a press by callbackId answers {success, unread, mark}, emits callback.pressed; the answer arrives as 143", async () => {
    const a = await user();
    const bot = botWorld().createBot({ name: "Raw" }).userId;
    const dialog = botWorld().dialog(bot, a.id);
    const sent = botWorld().send(dialog.chatId, bot, { text: "Agree?", attaches: [keyboard] });
    const push = await a.c.event(128, (p) => p.payload.message.id === String(sent.messageId));
    const keyboardId = push.payload.message.attaches[0].callbackId as string;
    const rec = record();
    let answer: Awaited<ReturnType<RawClient["call"]>>;
    try {
      answer = await a.c.call(118, {
        callbackId: keyboardId,
        type: "CALLBACK",
        payload: "vote:yes",
        timestamp: Date.now(),
      });
    } finally {
      rec.stop();
    }
    expect(answer.cmd).toBe(1);
    expect(answer.payload).toEqual({ success: true, unread: expect.any(Number), mark: expect.any(Number) });
    expect(rec.events).toHaveLength(1);
    const event = rec.events[0]!;
    expect(event).toMatchObject({
      type: "callback.pressed",
      chatId: dialog.chatId,
      messageId: sent.messageId,
      userId: a.id,
      payload: "vote:yes",
    });
    if (event.type !== "callback.pressed") throw new Error("unexpected event");
    botWorld().notifyCallback(a.id, event.callbackId, "Thanks");
    const notice = await a.c.event(143, (p) => p.payload.notification === "Thanks");
    expect(notice.cmd).toBe(0);
    expect(notice.payload).toEqual({
      chatId: dialog.chatId,
      messageId: String(sent.messageId),
      callbackId: keyboardId,
      notification: "Thanks",
    });

    // The other client shape: chatId and messageId with the callbackId.
    const named = await a.c.call(118, {
      chatId: dialog.chatId,
      messageId: String(sent.messageId),
      callbackId: keyboardId,
      payload: "vote:no",
    });
    expect(named.cmd).toBe(1);
  });

  it("unknown keyboards, foreign payloads, wrong messages and other button types are refused", async () => {
    const a = await user();
    const outsider = await user();
    const bot = botWorld().createBot({ name: "Raw2" }).userId;
    const dialog = botWorld().dialog(bot, a.id);
    const sent = botWorld().send(dialog.chatId, bot, { text: "Pick", attaches: [keyboard] });
    const push = await a.c.event(128, (p) => p.payload.message.id === String(sent.messageId));
    const keyboardId = push.payload.message.attaches[0].callbackId as string;
    const errorOf = async (c: RawClient, payload: unknown) => {
      const p = await c.call(118, payload);
      expect(p.cmd).toBe(3);
      return p.payload.error as string;
    };
    expect(await errorOf(a.c, { callbackId: "no-such-keyboard", payload: "vote:yes" })).toBe("not.found");
    expect(await errorOf(a.c, { callbackId: keyboardId, payload: "vote:maybe" })).toBe("not.found");
    expect(await errorOf(a.c, { callbackId: keyboardId, payload: "vote:yes", messageId: "1" })).toBe(
      "not.found",
    );
    expect(await errorOf(a.c, { callbackId: keyboardId, type: "CLIPBOARD", payload: "vote:yes" })).toBe(
      "proto.payload",
    );
    expect(await errorOf(a.c, { payload: "vote:yes" })).toBe("proto.payload");
    expect(await errorOf(outsider.c, { callbackId: keyboardId, payload: "vote:yes" })).toBe(
      "chat.not.access",
    );
  });
});

describe("starting a bot", () => {
  it("POST /_sandbox/max/bots/start opens the dialog and emits bot.started with the payload", async () => {
    const a = await user();
    const bot = botWorld().createBot({ name: "Starter" }).userId;
    const rec = record();
    let started: { status: number; body: Record<string, unknown> };
    try {
      started = await post("/_sandbox/max/bots/start", { userId: a.id, botId: bot, payload: "campaign-7" });
    } finally {
      rec.stop();
    }
    expect(started.status).toBe(200);
    const chatId = started.body.chatId as number;
    expect(rec.events).toEqual([
      { type: "bot.started", chatId, userId: a.id, botId: bot, payload: "campaign-7" },
    ]);
    const dialog = await a.c.event(135, (p) => p.payload.chat.id === chatId);
    expect(dialog.payload.chat.type).toBe("DIALOG");
    // A started user's first message does not start the bot again.
    const rec2 = record();
    try {
      await a.c.ok(64, { chatId, message: { text: "hi", attaches: [] } });
    } finally {
      rec2.stop();
    }
    expect(rec2.events.map((e) => e.type)).toEqual(["message.created"]);
    const notABot = await post("/_sandbox/max/bots/start", { userId: a.id, botId: a.id });
    expect(notABot.status).toBe(404);
  });

  it("the sandbox's own admin routes act like users: a group made with a bot adds it, a message to a bot starts it", async () => {
    const a = await user();
    const bot = botWorld().createBot({ name: "Admin-made" }).userId;
    const rec = record();
    let group: { status: number; body: Record<string, unknown> };
    let message: { status: number; body: Record<string, unknown> };
    try {
      group = await post("/_sandbox/max/chats", { ownerId: a.id, title: "Seeded", memberIds: [bot] });
      message = await post("/_sandbox/max/messages", {
        fromUserId: a.id,
        toUserId: bot,
        text: "/start seed",
      });
    } finally {
      rec.stop();
    }
    expect(group.status).toBe(200);
    expect(message.status).toBe(200);
    expect(rec.events).toEqual([
      { type: "members.added", chatId: group.body.chatId, userIds: [bot], byUserId: a.id, viaLink: false },
      { type: "bot.started", chatId: message.body.chatId, userId: a.id, botId: bot, payload: "seed" },
      { type: "message.created", message: expect.objectContaining({ text: "/start seed", senderId: a.id }) },
    ]);
    expect(rec.inTx.every(Boolean)).toBe(true);
  });
});

describe("files a bot stores", () => {
  it("an image becomes a PHOTO attach like a user's upload; users see it and download the same bytes", async () => {
    const a = await user();
    const bot = botWorld().createBot({ name: "Painter" }).userId;
    const stored = botWorld().storeFile(bot, "image", "dot.png", PNG);
    expect(stored.size).toBe(PNG.length);
    expect(stored.attach).toMatchObject({ _type: "PHOTO", width: 1, height: 1 });
    expect(typeof stored.attach.photoToken).toBe("string");
    expect(String(stored.attach.baseUrl)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/i\?r=/);
    const dialog = botWorld().dialog(bot, a.id);
    const sent = botWorld().send(dialog.chatId, bot, { text: "", attaches: [stored.attach] });
    const push = await a.c.event(128, (p) => p.payload.message.id === String(sent.messageId));
    expect(push.payload.message.attaches[0]).toEqual(stored.attach);
    const photo = Buffer.from(await (await fetch(String(stored.attach.baseUrl))).arrayBuffer());
    expect(photo.equals(PNG)).toBe(true);
    const direct = Buffer.from(await (await fetch(stored.url)).arrayBuffer());
    expect(direct.equals(PNG)).toBe(true);
    expect(() => botWorld().storeFile(bot, "image", "fake.png", Buffer.from("not an image"))).toThrow(
      expect.objectContaining({ name: "WorldError", code: "bad.request" }),
    );
  });

  it("a file becomes a FILE attach; the user gets its download URL with 88 and the same bytes", async () => {
    const a = await user();
    const bot = botWorld().createBot({ name: "Archivist" }).userId;
    const bytes = Buffer.from("report line 1\nreport line 2\n");
    const stored = botWorld().storeFile(bot, "file", "report.txt", bytes);
    expect(stored.attach).toMatchObject({ _type: "FILE", name: "report.txt", size: bytes.length });
    const dialog = botWorld().dialog(bot, a.id);
    const sent = botWorld().send(dialog.chatId, bot, { text: "your report", attaches: [stored.attach] });
    await a.c.event(128, (p) => p.payload.message.id === String(sent.messageId));
    const link = await a.c.ok(88, {
      fileId: stored.attach.fileId,
      chatId: dialog.chatId,
      messageId: String(sent.messageId),
    });
    const body = Buffer.from(await (await fetch(link.url)).arrayBuffer());
    expect(body.equals(bytes)).toBe(true);
    const video = botWorld().storeFile(bot, "video", "clip.mp4", Buffer.alloc(64, 1));
    expect(video.attach).toMatchObject({
      _type: "VIDEO",
      videoId: expect.any(Number),
      token: expect.any(String),
    });
    const audio = botWorld().storeFile(bot, "audio", "voice.ogg", Buffer.alloc(64, 2));
    expect(audio.attach).toMatchObject({ _type: "AUDIO", audioId: expect.any(Number) });
  });
});

describe("the bots migration", () => {
  it("upgrades a database made before it: old accounts and chats keep working, bots can be created", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-max-botmig-"));
    const file = join(dir, "sandbox.db");
    const before = maxStoreModule.migrations.filter((m) => m.id < "max:006");
    const old = openStore({ file, modules: [{ platform: "max", migrations: before }] });
    old
      .prepare(
        "INSERT INTO max_users (id, phone, first_name, created_at, updated_at) VALUES (10000001, '+79551009999', 'Old', 1, 1)",
      )
      .run();
    old.prepare("INSERT INTO max_sequences (name, value) VALUES ('user', 10000001)").run();
    old
      .prepare(
        `INSERT INTO max_chats (id, type, title, owner_id, created_at, modified_at, last_event_time)
         VALUES (-68000000000001, 'CHAT', 'Old group', 10000001, 1, 1, 1)`,
      )
      .run();
    old
      .prepare(
        "INSERT INTO max_members (chat_id, user_id, role, joined_at) VALUES (-68000000000001, 10000001, 'OWNER', 1)",
      )
      .run();
    old.close();

    const emu = await startEmulator({ file });
    try {
      const c = await Raw.connect(emu.url);
      const { userId } = await c.smsLogin("+79551009999");
      expect(userId).toBe(10000001);
      const bot = emu.server.botWorld.createBot({ name: "After" }).userId;
      expect(bot).toBe(10000002);
      expect(emu.server.botWorld.user(10000001)?.isBot).toBe(false);
      const sent = await c.ok(64, { userId: bot, message: { text: "/start", attaches: [] } });
      expect(sent.chatId).toBe(10000001 ^ 10000002);
      await c.ok(77, { chatId: -68000000000001, userIds: [bot], operation: "add" });
      expect(emu.server.botWorld.chat(-68000000000001, bot)).toMatchObject({
        title: "Old group",
        iconUrl: null,
      });
      c.close();
    } finally {
      await emu.close();
    }
  });
});
