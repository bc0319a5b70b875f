/**
 * Which bot gets which update (raw HTTP long polling; MAX users act through our MaxClient):
 * dialogs always; a group as admin, otherwise only "/" commands and mentions; never the bot's
 * own messages; message_edited / message_removed; bot_added; user_added for admins;
 * chat_title_changed; message_callback to the bot that sent the keyboard.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BotWorld, type CreatedBot, type SignedInUser, startBotWorld } from "./harness.js";

interface Update {
  update_type: string;
  timestamp: number;
  message?: { body: { mid: string; text: string | null } } | null;
  [key: string]: unknown;
}

let world: BotWorld;
let admin: CreatedBot;
let plain: CreatedBot;
let alice: SignedInUser;
let bob: SignedInUser;
let groupId: number;

async function call(token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(world.botApi + path, {
    method,
    headers: { authorization: token, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Everything queued for the bot right now, committed as read. */
async function take(bot: CreatedBot): Promise<Update[]> {
  const r = await call(bot.token, "GET", "/updates?timeout=0&limit=1000");
  expect(r.status).toBe(200);
  const list = r.body as { updates: Update[]; marker: number };
  await call(bot.token, "GET", `/updates?timeout=0&marker=${list.marker}`);
  return list.updates;
}

/** Waits until the bot has at least `n` updates queued (they are stored as the world commits). */
async function takeAtLeast(bot: CreatedBot, n: number): Promise<Update[]> {
  const got: Update[] = [];
  const deadline = Date.now() + 8000;
  while (got.length < n && Date.now() < deadline) {
    got.push(...(await take(bot)));
    if (got.length < n) await new Promise((r) => setTimeout(r, 50));
  }
  return got;
}

const textsOf = (list: Update[]) =>
  list.filter((u) => u.update_type === "message_created").map((u) => u.message?.body.text);

beforeAll(async () => {
  world = await startBotWorld();
  admin = await world.createBot("Admin bot", "admin_routing_bot");
  plain = await world.createBot("Plain bot", "plain_routing_bot");
  alice = await world.user("Alice");
  bob = await world.user("Bob");
  const group = await alice.createGroup("Routing group", [bob.userId]);
  groupId = group.id;
  await world.admin("POST", `/_sandbox/maxbot/bots/${admin.userId}/chats`, {
    chatId: groupId,
    admin: true,
    byUserId: alice.userId,
  });
  await world.admin("POST", `/_sandbox/maxbot/bots/${plain.userId}/chats`, {
    chatId: groupId,
    admin: false,
    byUserId: alice.userId,
  });
}, 60_000);

afterAll(async () => {
  await world?.close();
});

describe("update routing", () => {
  it("a bot added to a group gets bot_added", async () => {
    const updates = await takeAtLeast(plain, 1);
    const added = updates.find((u) => u.update_type === "bot_added");
    expect(added).toMatchObject({ chat_id: groupId, is_channel: false, user: expect.any(Object) });
  });

  it("in a group an admin bot gets every message, a plain bot only commands and mentions", async () => {
    await take(admin);
    await take(plain);
    await alice.sendMessage(groupId, "just chatting");
    await alice.sendMessage(groupId, "/help me");
    await bob.sendMessage(groupId, "hey @plain_routing_bot look");
    const seenByAdmin = await takeAtLeast(admin, 3);
    expect(textsOf(seenByAdmin)).toEqual(["just chatting", "/help me", "hey @plain_routing_bot look"]);
    const seenByPlain = await takeAtLeast(plain, 2);
    expect(textsOf(seenByPlain)).toEqual(["/help me", "hey @plain_routing_bot look"]);
  });

  it("a bot never gets its own messages; other bots in the chat may", async () => {
    await take(admin);
    await take(plain);
    const sent = await call(plain.token, "POST", `/messages?chat_id=${groupId}`, {
      text: "from the plain bot",
    });
    expect(sent.status).toBe(200);
    const seenByAdmin = await takeAtLeast(admin, 1);
    expect(textsOf(seenByAdmin)).toEqual(["from the plain bot"]);
    expect(textsOf(await take(plain))).toEqual([]);
  });

  it("edits and deletions in a dialog reach the bot as message_edited and message_removed", async () => {
    const sent = await alice.sendToUser(admin.userId, "first version");
    const created = await takeAtLeast(admin, 1);
    const mid = created.find((u) => u.update_type === "message_created")?.message?.body.mid;
    expect(mid).toBeDefined();
    await alice.editMessage(sent.chatId, sent.id, "second version");
    const edited = (await takeAtLeast(admin, 1)).find((u) => u.update_type === "message_edited");
    expect(edited?.message?.body).toMatchObject({ mid, text: "second version" });
    await alice.deleteMessage(sent.chatId, sent.id);
    const removed = (await takeAtLeast(admin, 1)).find((u) => u.update_type === "message_removed");
    expect(removed).toMatchObject({ message_id: mid, chat_id: sent.chatId, user_id: alice.userId });
  });

  it("an admin bot gets user_added; a renamed chat gives chat_title_changed", async () => {
    await take(admin);
    await take(plain);
    const carol = await world.user("Carol");
    await alice.addMembers(groupId, [carol.userId]);
    const added = (await takeAtLeast(admin, 1)).find((u) => u.update_type === "user_added");
    expect(added).toMatchObject({ chat_id: groupId, inviter_id: alice.userId, is_channel: false });
    expect(added?.user).toMatchObject({ user_id: carol.userId });
    expect((await take(plain)).filter((u) => u.update_type === "user_added")).toEqual([]);
    const renamed = await call(admin.token, "PATCH", `/chats/${groupId}`, { title: "Renamed by bot" });
    expect(renamed.status).toBe(200);
    const titled = (await takeAtLeast(plain, 1)).find((u) => u.update_type === "chat_title_changed");
    expect(titled).toMatchObject({ chat_id: groupId, title: "Renamed by bot" });
    // The renaming bot itself gets nothing for its own action.
    expect((await take(admin)).filter((u) => u.update_type === "chat_title_changed")).toEqual([]);
  });

  it("a pressed callback button reaches the bot that sent the keyboard as message_callback", async () => {
    const sent = await call(admin.token, "POST", `/messages?user_id=${alice.userId}`, {
      text: "choose",
      attachments: [
        {
          type: "inline_keyboard",
          payload: { buttons: [[{ type: "callback", text: "Yes", payload: "yes" }]] },
        },
      ],
    });
    expect(sent.status).toBe(200);
    const message = (
      sent.body as { message: { body: { mid: string; seq: number }; recipient: { chat_id: number } } }
    ).message;
    await take(admin);
    await world.admin("POST", "/_sandbox/max/bots/press", {
      userId: alice.userId,
      chatId: message.recipient.chat_id,
      messageId: String(message.body.seq),
      payload: "yes",
    });
    const pressed = (await takeAtLeast(admin, 1)).find((u) => u.update_type === "message_callback");
    expect(pressed).toBeDefined();
    const callback = pressed?.callback as { callback_id: string; payload: string; user: { user_id: number } };
    expect(callback.payload).toBe("yes");
    expect(callback.user.user_id).toBe(alice.userId);
    expect(typeof callback.callback_id).toBe("string");
    expect(pressed?.message?.body.mid).toBe(message.body.mid);
    // The callback can be answered through POST /answers with that id.
    const answer = await call(
      admin.token,
      "POST",
      `/answers?callback_id=${encodeURIComponent(callback.callback_id)}`,
      {
        notification: "Thanks",
      },
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ success: true });
  });
});
