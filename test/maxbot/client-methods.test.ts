/**
 * MaxBotClient against the Bot API emulator sharing the MAX world: every method over loopback,
 * with MAX users (our MaxClient) on the other side of the dialogs and groups.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "../../src/core/errors.js";
import type { MaxMessage } from "../../src/max/client/types.js";
import { MaxBotClient } from "../../src/maxbot/client/index.js";
import type { Update } from "../../src/maxbot/protocol.js";
import { type BotWorld, type CreatedBot, type SignedInUser, startBotWorld } from "./harness.js";

let world: BotWorld;
let bot: CreatedBot;
let client: MaxBotClient;
let alice: SignedInUser;
let bob: SignedInUser;
let dialogId: number;
let groupId: number;
/** Updates read so far but not yet looked at by a test. */
const pending: Update[] = [];
let marker: number | undefined;

function nextPush(user: SignedInUser, match: (m: MaxMessage) => boolean, ms = 8000): Promise<MaxMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching push within ${ms} ms`));
    }, ms);
    const off = user.on("message", (e) => {
      if (!match(e.message)) return;
      clearTimeout(timer);
      off();
      resolve(e.message);
    });
  });
}

/** Long-polls (committing what was read before) until an update matches. */
async function nextUpdate(match: (u: Update) => boolean, ms = 8000): Promise<Update> {
  const deadline = Date.now() + ms;
  for (;;) {
    const i = pending.findIndex(match);
    if (i >= 0) return pending.splice(i, 1)[0] as Update;
    if (Date.now() > deadline) throw new Error(`no matching update within ${ms} ms`);
    const batch = await client.getUpdates({ timeout: 2, ...(marker !== undefined ? { marker } : {}) });
    pending.push(...batch.updates);
    if (batch.marker !== null) marker = batch.marker;
  }
}

beforeAll(async () => {
  world = await startBotWorld();
  bot = await world.createBot("Method bot", "method_bot");
  client = new MaxBotClient({ url: world.botApi, token: bot.token, timeoutMs: 10_000 });
  alice = await world.user("Alice");
  bob = await world.user("Bob");
  const sent = await alice.sendToUser(bot.userId, "/start");
  dialogId = sent.chatId;
  const group = await alice.createGroup("Bot group", [bob.userId]);
  groupId = group.id;
  await world.admin("POST", `/_sandbox/maxbot/bots/${bot.userId}/chats`, {
    chatId: groupId,
    admin: true,
    byUserId: alice.userId,
  });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await world?.close();
});

describe("MaxBotClient: the bot", () => {
  it("connect() checks the token with GET /me and answers the bot", async () => {
    const me = await client.connect();
    expect(me).toMatchObject({ user_id: bot.userId, is_bot: true, username: "method_bot" });
    expect(client.state).toBe("connected");
    expect(await client.botId()).toBe(bot.userId);
  });

  it("getMe, editMe and setCommands", async () => {
    const edited = await client.editMe({ description: "I answer tests" });
    expect(edited.description).toBe("I answer tests");
    await client.setCommands([{ name: "start", description: "Start" }]);
    const me = await client.getMe();
    expect(me.description).toBe("I answer tests");
    expect(me.commands?.map((c) => c.name)).toEqual(["start"]);
  });
});

describe("MaxBotClient: messages in a dialog", () => {
  it("reads a user's message as message_created", async () => {
    const u = await nextUpdate(
      (x) => x.update_type === "message_created" && x.message.body.text === "/start",
    );
    if (u.update_type !== "message_created") throw new Error("unreachable");
    expect(u.message.sender?.user_id).toBe(alice.userId);
    expect(u.message.recipient.chat_id).toBe(dialogId);
    expect(u.message.body.mid).toMatch(/^mid\.[0-9a-f]{32}$/);
  });

  it("sends to a chat id and to a user id; the user gets ordinary MAX messages", async () => {
    const push1 = nextPush(alice, (m) => m.text === "to the chat");
    const a = await client.sendMessage({ chatId: dialogId }, { text: "to the chat" });
    expect(a.body.text).toBe("to the chat");
    expect(a.recipient.chat_id).toBe(dialogId);
    expect((await push1).sender).toBe(bot.userId);
    const push2 = nextPush(alice, (m) => m.text === "to the user");
    const b = await client.sendText({ userId: alice.userId }, "to the user");
    expect(b.recipient.chat_id).toBe(dialogId);
    await push2;
  });

  it("formats text: markdown becomes markup", async () => {
    const m = await client.sendMessage({ chatId: dialogId }, { text: "**bold** text", format: "markdown" });
    expect(m.body.text).toBe("bold text");
    expect(m.body.markup?.[0]).toMatchObject({ type: "strong", from: 0, length: 4 });
  });

  it("getMessage, getMessages, editMessage and deleteMessage", async () => {
    const sent = await client.sendMessage({ chatId: dialogId }, { text: "original" });
    const mid = sent.body.mid;
    expect((await client.getMessage(mid)).body.text).toBe("original");
    const list = await client.getMessages({ chatId: dialogId, count: 50 });
    expect(list.map((m) => m.body.mid)).toContain(mid);
    expect(list[0]?.timestamp).toBeGreaterThanOrEqual(list.at(-1)?.timestamp ?? 0);
    const byId = await client.getMessages({ messageIds: [mid] });
    expect(byId.map((m) => m.body.mid)).toEqual([mid]);
    const edited = new Promise<MaxMessage>((resolve) => {
      const off = alice.on("messageEdited", (e) => {
        if (e.message.text === "changed") {
          off();
          resolve(e.message);
        }
      });
    });
    expect((await client.editMessage(mid, { text: "changed" })).success).toBe(true);
    await edited;
    expect((await client.getMessage(mid)).body.text).toBe("changed");
    expect((await client.deleteMessage(mid)).success).toBe(true);
    await expect(client.getMessage(mid)).rejects.toMatchObject({ code: "not.found" });
  });

  it("sends an inline keyboard; a press arrives as message_callback and is answered", async () => {
    const sent = await client.sendMessage(
      { chatId: dialogId },
      {
        text: "choose",
        attachments: [
          {
            type: "inline_keyboard",
            payload: { buttons: [[{ type: "callback", text: "Yes", payload: "yes" }]] },
          },
        ],
      },
    );
    await world.admin("POST", "/_sandbox/max/bots/press", {
      userId: alice.userId,
      chatId: dialogId,
      messageId: String(sent.body.seq),
      payload: "yes",
    });
    const u = await nextUpdate((x) => x.update_type === "message_callback");
    if (u.update_type !== "message_callback") throw new Error("unreachable");
    expect(u.callback.payload).toBe("yes");
    expect(u.callback.user.user_id).toBe(alice.userId);
    const answer = await client.answerCallback(u.callback.callback_id, { message: { text: "You said yes" } });
    expect(answer.success).toBe(true);
    expect((await client.getMessage(sent.body.mid)).body.text).toBe("You said yes");
  });

  it("uploads a file (the whole flow) and sends it; the user gets a FILE attach", async () => {
    const bytes = new TextEncoder().encode("hello file");
    const attachment = await client.upload("file", bytes, "hello.txt");
    expect(attachment).toMatchObject({ type: "file", payload: { token: expect.any(String) } });
    const push = nextPush(alice, (m) => m.attaches.some((a) => a._type === "FILE"));
    const sent = await client.sendMessage(
      { chatId: dialogId },
      { text: "a file", attachments: [attachment] },
    );
    expect(sent.body.attachments?.[0]).toMatchObject({
      type: "file",
      filename: "hello.txt",
      size: bytes.length,
    });
    await push;
  });

  it("uploads an image from a stream and a video; getVideo describes the video", async () => {
    // A 1×1 PNG, read from a stream in two chunks.
    const png = Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
      "base64",
    );
    async function* chunks() {
      yield png.subarray(0, 20);
      yield png.subarray(20);
    }
    const image = await client.upload("image", chunks(), "pic.png");
    expect(image.type).toBe("image");
    const sent = await client.sendMessage({ chatId: dialogId }, { attachments: [image] });
    expect(sent.body.attachments?.[0]?.type).toBe("image");
    const video = await client.upload("video", new Uint8Array(64), "clip.mp4");
    expect(video.type).toBe("video");
    const token = (video.payload as { token: string }).token;
    const details = await client.getVideo(token);
    expect(details.token).toBe(token);
  });
});

describe("MaxBotClient: chats", () => {
  it("getChats / chats() list the dialog and the group; getChat reads one", async () => {
    const page = await client.getChats({ count: 100 });
    const ids = page.chats.map((c) => c.chat_id);
    expect(ids).toContain(dialogId);
    expect(ids).toContain(groupId);
    const all: number[] = [];
    for await (const c of client.chats({ count: 1 })) all.push(c.chat_id);
    expect(all.sort()).toEqual([...ids].sort());
    const group = await client.getChat(groupId);
    expect(group).toMatchObject({ chat_id: groupId, type: "chat", title: "Bot group" });
    const dialog = await client.getChat(dialogId);
    expect(dialog.type).toBe("dialog");
    expect(dialog.dialog_with_user?.user_id).toBe(alice.userId);
  });

  it("getChatByLink answers not.found for an unknown link", async () => {
    await expect(client.getChatByLink("no_such_chat_link")).rejects.toMatchObject({ code: "not.found" });
  });

  it("editChat, sendAction, pin / getPinned / unpin", async () => {
    const edited = await client.editChat(groupId, { title: "Renamed by bot" });
    expect(edited.title).toBe("Renamed by bot");
    expect((await client.sendAction(groupId, "typing_on")).success).toBe(true);
    const m = await client.sendMessage({ chatId: groupId }, { text: "pin me" });
    await client.pin(groupId, m.body.mid, { notify: false });
    expect((await client.getPinned(groupId))?.body.mid).toBe(m.body.mid);
    await client.unpin(groupId);
    expect(await client.getPinned(groupId)).toBeNull();
  });

  it("membership, members and admins", async () => {
    const me = await client.getMembership(groupId);
    expect(me).toMatchObject({ user_id: bot.userId, is_admin: true });
    const members = await client.getMembers(groupId);
    expect(members.members.map((m) => m.user_id)).toEqual(
      expect.arrayContaining([alice.userId, bob.userId, bot.userId]),
    );
    const justBob = await client.getMembers(groupId, { userIds: [bob.userId] });
    expect(justBob.members.map((m) => m.user_id)).toEqual([bob.userId]);
    const carol = await world.user("Carol");
    const added = await client.addMembers(groupId, [carol.userId]);
    expect(added.success).toBe(true);
    expect((await client.getMembers(groupId)).members.map((m) => m.user_id)).toContain(carol.userId);
    await client.addAdmins(groupId, [{ user_id: carol.userId, permissions: ["write", "pin_message"] }]);
    expect((await client.getAdmins(groupId)).members.map((m) => m.user_id)).toContain(carol.userId);
    await client.removeAdmin(groupId, carol.userId);
    expect((await client.getAdmins(groupId)).members.map((m) => m.user_id)).not.toContain(carol.userId);
    await client.removeMember(groupId, carol.userId);
    expect((await client.getMembers(groupId)).members.map((m) => m.user_id)).not.toContain(carol.userId);
  });

  it("deleteChat by a bot that does not own the chat is refused with the platform's code", async () => {
    const err = await client.deleteChat(groupId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(typeof (err as ApiError).code).toBe("string");
    expect((await client.getChat(groupId)).status).toBe("active");
  });

  it("leaveChat: the bot leaves the group", async () => {
    const other = await alice.createGroup("Leave me", [bob.userId]);
    await world.admin("POST", `/_sandbox/maxbot/bots/${bot.userId}/chats`, {
      chatId: other.id,
      byUserId: alice.userId,
    });
    expect((await client.leaveChat(other.id)).success).toBe(true);
    const ids = (await client.getChats({ count: 100 })).chats
      .filter((c) => c.status === "active")
      .map((c) => c.chat_id);
    expect(ids).not.toContain(other.id);
  });
});

describe("MaxBotClient: webhook subscriptions", () => {
  let server: Server;
  let hookUrl: string;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end("ok"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("subscribe, getSubscriptions and unsubscribe", async () => {
    expect(
      (await client.subscribe({ url: hookUrl, secret: "s3cret-value", update_types: ["message_created"] }))
        .success,
    ).toBe(true);
    const subs = (await client.getSubscriptions()).subscriptions;
    expect(subs.map((s) => s.url)).toContain(hookUrl);
    expect((await client.unsubscribe(hookUrl)).success).toBe(true);
    expect((await client.getSubscriptions()).subscriptions).toEqual([]);
  });
});
