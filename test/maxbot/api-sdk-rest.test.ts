/**
 * The official SDK's REST methods (@maxhub/max-bot-api `bot.api`, unmodified, pointed at the
 * emulator by its baseUrl) against the emulator's /me, /chats, members, pins, actions and
 * /messages: each call is one the SDK really makes (its paths, query encodings, bodies), and
 * what it reports matches what a MAX user's client sees.
 */
import { Bot } from "@maxhub/max-bot-api";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type BotWorld, type CreatedBot, type SignedInUser, startBotWorld } from "./harness.js";

let world: BotWorld;
let created: CreatedBot;
let api: Bot["api"];
let alice: SignedInUser;
let bob: SignedInUser;
let groupId = 0;

beforeAll(async () => {
  world = await startBotWorld();
  created = await world.createBot("SDK REST bot", "sdk_rest_bot");
  alice = await world.user("Alice");
  bob = await world.user("Bob");
  api = new Bot(created.token, { clientOptions: { baseUrl: world.botApi } }).api;
  ({ chatId: groupId } = await world.admin<{ chatId: number }>("POST", "/_sandbox/max/chats", {
    ownerId: alice.userId,
    type: "CHAT",
    title: "SDK group",
    memberIds: [],
  }));
  await world.admin("POST", `/_sandbox/maxbot/bots/${created.userId}/chats`, {
    chatId: groupId,
    admin: true,
    byUserId: alice.userId,
  });
}, 60_000);

// The SDK does not pace itself and the platform allows 30 requests/s per bot: each test starts
// with a fresh one-second window (no test makes 30 calls).
beforeEach(async () => {
  await new Promise((r) => setTimeout(r, 1050));
});

afterAll(async () => {
  await world?.close();
});

describe("bot profile", () => {
  it("getMyInfo, setMyCommands and deleteMyCommands", async () => {
    expect(await api.getMyInfo()).toMatchObject({
      user_id: created.userId,
      username: "sdk_rest_bot",
      is_bot: true,
    });
    const set = await api.setMyCommands([{ name: "help", description: "How to use" }]);
    expect(set.commands).toEqual([{ name: "help", description: "How to use" }]);
    expect((await api.getMyInfo()).commands).toEqual([{ name: "help", description: "How to use" }]);
    await api.deleteMyCommands();
    expect((await api.getMyInfo()).commands ?? []).toEqual([]);
  });
});

describe("messages", () => {
  it("sendMessageToUser / sendMessageToChat / getMessage / getMessages / editMessage / deleteMessage", async () => {
    const pushed = new Promise<string>((resolve) => {
      const off = alice.on("message", (e) => {
        if (e.message.text === "from the SDK") {
          off();
          resolve(e.message.text);
        }
      });
    });
    const toUser = await api.sendMessageToUser(alice.userId, "from the SDK");
    expect(toUser.recipient).toMatchObject({ chat_type: "dialog", user_id: alice.userId });
    expect(await pushed).toBe("from the SDK");
    const dialogId = toUser.recipient.chat_id as number;

    const toChat = await api.sendMessageToChat(groupId, "*hello* group", { format: "markdown" });
    expect(toChat.body.text).toBe("hello group");
    expect(toChat.body.markup).toEqual([expect.objectContaining({ type: "emphasized", from: 0, length: 5 })]);

    expect((await api.getMessage(toUser.body.mid)).body.text).toBe("from the SDK");
    const byIds = await api.getMessages(dialogId, { message_ids: [toUser.body.mid] });
    expect(byIds.messages.map((m) => m.body.mid)).toEqual([toUser.body.mid]);
    const recent = await api.getMessages(groupId, { count: 5 });
    expect(recent.messages[0]?.body.mid).toBe(toChat.body.mid);

    expect(await api.editMessage(toChat.body.mid, { text: "edited by the SDK" })).toEqual({ success: true });
    expect((await api.getMessage(toChat.body.mid)).body.text).toBe("edited by the SDK");
    expect(await api.deleteMessage(toChat.body.mid)).toEqual({ success: true });
    await expect(api.getMessage(toChat.body.mid)).rejects.toMatchObject({ status: 404 });
  });
});

describe("chats and members", () => {
  it("getAllChats / getChat / editChatInfo / sendAction", async () => {
    const all = await api.getAllChats({ count: 10 });
    expect(all.chats.map((c) => c.chat_id)).toContain(groupId);
    expect(await api.getChat(groupId)).toMatchObject({ chat_id: groupId, type: "chat", title: "SDK group" });
    expect(await api.editChatInfo(groupId, { title: "SDK group renamed" })).toMatchObject({
      chat_id: groupId,
      title: "SDK group renamed",
    });
    expect(await api.sendAction(groupId, "typing_on")).toEqual({ success: true });
  });

  it("pinMessage / getPinnedMessage / unpinMessage", async () => {
    const m = await api.sendMessageToChat(groupId, "pinned by the SDK");
    expect(await api.pinMessage(groupId, m.body.mid)).toEqual({ success: true });
    expect((await api.getPinnedMessage(groupId)).message?.body.mid).toBe(m.body.mid);
    expect(await api.unpinMessage(groupId)).toEqual({ success: true });
    expect((await api.getPinnedMessage(groupId)).message ?? null).toBeNull();
  });

  it("getChatMembership / addChatMembers / getChatMembers / addChatAdmins / getChatAdmins / removeChatAdmin / removeChatMember", async () => {
    expect(await api.getChatMembership(groupId)).toMatchObject({ user_id: created.userId, is_admin: true });
    expect((await api.addChatMembers(groupId, [bob.userId])).success).toBe(true);
    const members = await api.getChatMembers(groupId, { user_ids: [bob.userId, alice.userId] });
    expect(members.members.map((m) => m.user_id).sort()).toEqual([alice.userId, bob.userId].sort());
    expect(await api.addChatAdmins(groupId, [{ user_id: bob.userId, permissions: ["write"] }])).toEqual({
      success: true,
    });
    expect((await api.getChatAdmins(groupId)).members.map((m) => m.user_id)).toContain(bob.userId);
    expect(await api.removeChatAdmin(groupId, bob.userId)).toEqual({ success: true });
    expect((await api.getChatAdmins(groupId)).members.map((m) => m.user_id)).not.toContain(bob.userId);
    expect(await api.removeChatMember(groupId, bob.userId)).toEqual({ success: true });
    expect((await api.getChatMembers(groupId, { user_ids: [bob.userId] })).members).toEqual([]);
  });

  it("leaveChat", async () => {
    const { chatId } = await world.admin<{ chatId: number }>("POST", "/_sandbox/max/chats", {
      ownerId: alice.userId,
      type: "CHAT",
      title: "Leave me",
      memberIds: [],
    });
    await world.admin("POST", `/_sandbox/maxbot/bots/${created.userId}/chats`, {
      chatId,
      byUserId: alice.userId,
    });
    expect(await api.leaveChat(chatId)).toEqual({ success: true });
    await expect(api.getChat(chatId)).rejects.toMatchObject({ status: 404 });
  });
});
