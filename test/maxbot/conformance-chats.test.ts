/**
 * MAX Bot API conformance for chats, written from the OpenAPI schema with raw fetch: the chat
 * list and paging, one chat, edits, actions, pins, the bot's membership, admins, members and
 * leaving, on group chats of the real MAX emulator the bot was put into through the admin API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RawClient } from "../max/raw.js";
import { type BotWorld, type CreatedBot, type SignedInUser, SMS_CODE, startBotWorld } from "./harness.js";

let world: BotWorld;
let bot: CreatedBot;
let alice: SignedInUser;
let bob: SignedInUser;
let carol: SignedInUser;
let groupId = 0;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}
interface WireChat {
  chat_id: number;
  type: string;
  status: string;
  title: string | null;
  participants_count: number;
  owner_id?: number | null;
  is_public: boolean;
  last_event_time: number;
}
interface WireMember {
  user_id: number;
  is_admin: boolean;
  is_owner: boolean;
  is_bot: boolean;
  join_time: number;
}

/** Arrival times of the last requests: the platform allows 30 requests/s per bot. */
const recent: number[] = [];
async function pace(): Promise<void> {
  while (recent.length >= 20) {
    const wait = (recent[0] as number) + 1000 - Date.now();
    if (wait <= 0) recent.shift();
    else await new Promise((r) => setTimeout(r, wait));
  }
  recent.push(Date.now());
}

async function api(method: string, path: string, body?: unknown): Promise<Answer> {
  await pace();
  const headers: Record<string, string> = { Authorization: bot.token };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(world.botApi + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function expectError(a: Answer, status: number): void {
  expect(a.status).toBe(status);
  expect(typeof a.body.code).toBe("string");
  expect(typeof a.body.message).toBe("string");
}

const ok = { success: true };

async function group(title: string, ownerId: number, memberIds: number[]): Promise<number> {
  const { chatId } = await world.admin<{ chatId: number }>("POST", "/_sandbox/max/chats", {
    ownerId,
    type: "CHAT",
    title,
    memberIds,
  });
  return chatId;
}

beforeAll(async () => {
  world = await startBotWorld();
  bot = await world.createBot("Chats bot", "chats_bot");
  alice = await world.user("Alice");
  bob = await world.user("Bob");
  carol = await world.user("Carol");
  groupId = await group("Team", alice.userId, [bob.userId]);
  await world.admin("POST", `/_sandbox/maxbot/bots/${bot.userId}/chats`, {
    chatId: groupId,
    admin: true,
    byUserId: alice.userId,
  });
}, 60_000);

afterAll(async () => {
  await world?.close();
});

describe("admin API for bots", () => {
  it("lists bots without their tokens", async () => {
    const list = await world.admin<{ bots: Record<string, unknown>[] }>("GET", "/_sandbox/maxbot/bots");
    const mine = list.bots.find((b) => b.userId === bot.userId);
    expect(mine).toMatchObject({ userId: bot.userId, name: "Chats bot", username: "chats_bot" });
    expect(JSON.stringify(list)).not.toContain(bot.token);
  });

  it("creates a bot with a fixed token; the same token again is a conflict", async () => {
    const token = "fixed_token_for_scripts_0001";
    const made = await world.admin<CreatedBot>("POST", "/_sandbox/maxbot/bots", { name: "Fixed", token });
    expect(made.token).toBe(token);
    const me = await fetch(`${world.botApi}/me`, { headers: { Authorization: token } });
    expect(((await me.json()) as { user_id: number }).user_id).toBe(made.userId);
    await expect(world.admin("POST", "/_sandbox/maxbot/bots", { name: "Twin", token })).rejects.toThrow(
      /HTTP 409/,
    );
  });

  it("refuses a bot without a name and an unknown bot", async () => {
    await expect(world.admin("POST", "/_sandbox/maxbot/bots", {})).rejects.toThrow(/HTTP 400/);
    await expect(
      world.admin("POST", "/_sandbox/maxbot/bots/123456789/chats", {
        chatId: groupId,
        byUserId: alice.userId,
      }),
    ).rejects.toThrow(/HTTP 404/);
  });
});

describe("GET /chats and GET /chats/{chatId}", () => {
  it("lists the bot's chats as {chats, marker}", async () => {
    const a = await api("GET", "/chats");
    expect(a.status).toBe(200);
    const chats = a.body.chats as WireChat[];
    expect(chats.map((c) => c.chat_id)).toContain(groupId);
    expect("marker" in a.body).toBe(true);
  });

  it("pages by count and marker", async () => {
    const second = await group("Second", alice.userId, []);
    // Without byUserId the chat's owner adds the bot.
    await world.admin("POST", `/_sandbox/maxbot/bots/${bot.userId}/chats`, { chatId: second });
    const first = await api("GET", "/chats?count=1");
    expect(first.status).toBe(200);
    expect(first.body.chats as WireChat[]).toHaveLength(1);
    expect(typeof first.body.marker).toBe("number");
    const next = await api("GET", `/chats?count=1&marker=${first.body.marker}`);
    expect(next.status).toBe(200);
    const ids = [...(first.body.chats as WireChat[]), ...(next.body.chats as WireChat[])].map(
      (c) => c.chat_id,
    );
    expect(new Set(ids)).toEqual(new Set([groupId, second]));
  });

  it("refuses count out of 1..100 and a non-numeric marker with 400", async () => {
    expectError(await api("GET", "/chats?count=0"), 400);
    expectError(await api("GET", "/chats?count=101"), 400);
    expectError(await api("GET", "/chats?marker=abc"), 400);
  });

  it("GET /chats/{chatId} returns the Chat", async () => {
    const a = await api("GET", `/chats/${groupId}`);
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({
      chat_id: groupId,
      type: "chat",
      status: "active",
      title: "Team",
      participants_count: 3,
      owner_id: alice.userId,
      is_public: false,
    });
    expect(typeof a.body.last_event_time).toBe("number");
  });

  it("GET /chats/{chatLink} finds a public chat by its link name, with or without @", async () => {
    // The owner gives the chat a public link over the user API (opcode 55, chat settings).
    const phone = `+7956${String(process.pid % 1000).padStart(3, "0")}0001`;
    const { userId } = await world.admin<{ userId: number }>("POST", "/_sandbox/max/users", {
      phone,
      firstName: "Owner",
    });
    const owner = await RawClient.connect(world.max);
    try {
      await owner.smsLogin(phone, SMS_CODE);
      const chatId = await group("Public", userId, []);
      await owner.ok(55, { chatId, link: "conformance_public" });
      await world.admin("POST", `/_sandbox/maxbot/bots/${bot.userId}/chats`, { chatId, byUserId: userId });
      for (const link of ["@conformance_public", "conformance_public"]) {
        const a = await api("GET", `/chats/${link}`);
        expect(a.status).toBe(200);
        expect(a.body).toMatchObject({ chat_id: chatId, is_public: true, title: "Public" });
        expect(String(a.body.link)).toContain("conformance_public");
      }
    } finally {
      owner.close();
    }
  });

  it("a chat the bot is not in, an unknown link and a malformed segment are 404/404/400", async () => {
    const foreign = await group("Private", bob.userId, []);
    expectError(await api("GET", `/chats/${foreign}`), 404);
    expectError(await api("GET", "/chats/@nosuchpublicchat"), 404);
    expectError(await api("GET", "/chats/!!"), 400);
  });
});

describe("editing a chat, actions and pins", () => {
  it("PATCH /chats/{chatId} sets the title and returns the Chat", async () => {
    const a = await api("PATCH", `/chats/${groupId}`, { title: "Team renamed" });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ chat_id: groupId, title: "Team renamed" });
    const again = await api("GET", `/chats/${groupId}`);
    expect(again.body.title).toBe("Team renamed");
    const alicesView = await alice.getChat(groupId);
    expect(alicesView?.title).toBe("Team renamed");
  });

  it("PATCH sets the icon by URL: Chat.icon.url", async () => {
    const a = await api("PATCH", `/chats/${groupId}`, { icon: { url: "https://example.org/icon.png" } });
    expect(a.status).toBe(200);
    expect(a.body.icon).toEqual({ url: "https://example.org/icon.png" });
    expectError(await api("PATCH", `/chats/${groupId}`, { icon: { token: "no-such-upload" } }), 404);
  });

  it("PATCH refuses an empty or a 201-character title", async () => {
    expectError(await api("PATCH", `/chats/${groupId}`, { title: "" }), 400);
    expectError(await api("PATCH", `/chats/${groupId}`, { title: "x".repeat(201) }), 400);
  });

  it("POST /chats/{chatId}/actions answers {success: true}; an unknown action is 400", async () => {
    const a = await api("POST", `/chats/${groupId}/actions`, { action: "typing_on" });
    expect(a.status).toBe(200);
    expect(a.body).toEqual(ok);
    expect((await api("POST", `/chats/${groupId}/actions`, { action: "mark_seen" })).body).toEqual(ok);
    expectError(await api("POST", `/chats/${groupId}/actions`, { action: "dancing" }), 400);
  });

  it("PUT / GET / DELETE /chats/{chatId}/pin pin, read and unpin a message", async () => {
    const sent = await api("POST", `/messages?chat_id=${groupId}`, { text: "pin me" });
    const mid = (sent.body.message as { body: { mid: string } }).body.mid;
    expect((await api("PUT", `/chats/${groupId}/pin`, { message_id: mid, notify: false })).body).toEqual(ok);
    const pinned = await api("GET", `/chats/${groupId}/pin`);
    expect(pinned.status).toBe(200);
    expect(pinned.body.message).toMatchObject({ body: { mid, text: "pin me" } });
    const chat = await api("GET", `/chats/${groupId}`);
    expect(chat.body.pinned_message).toMatchObject({ body: { mid } });
    expect((await api("DELETE", `/chats/${groupId}/pin`)).body).toEqual(ok);
    const after = await api("GET", `/chats/${groupId}/pin`);
    expect(after.body.message ?? null).toBeNull();
  });

  it("PUT pin refuses a missing message_id (400) and a message of another chat (404)", async () => {
    expectError(await api("PUT", `/chats/${groupId}/pin`, {}), 400);
    expectError(
      await api("PUT", `/chats/${groupId}/pin`, { message_id: "mid.00000000000000010000000000000001" }),
      404,
    );
  });
});

describe("members and admins", () => {
  it("GET /chats/{chatId}/members/me is the bot's ChatMember (an admin here)", async () => {
    const a = await api("GET", `/chats/${groupId}/members/me`);
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ user_id: bot.userId, is_bot: true, is_admin: true, is_owner: false });
    expect(typeof a.body.join_time).toBe("number");
  });

  it("GET /chats/{chatId}/members lists {members, marker}; user_ids narrows it; count=0 is 400", async () => {
    const a = await api("GET", `/chats/${groupId}/members`);
    expect(a.status).toBe(200);
    const ids = (a.body.members as WireMember[]).map((m) => m.user_id);
    expect(ids).toEqual(expect.arrayContaining([alice.userId, bob.userId, bot.userId]));
    const owner = (a.body.members as WireMember[]).find((m) => m.user_id === alice.userId);
    expect(owner).toMatchObject({ is_owner: true, is_admin: true });
    const one = await api("GET", `/chats/${groupId}/members?user_ids=${bob.userId}`);
    expect((one.body.members as WireMember[]).map((m) => m.user_id)).toEqual([bob.userId]);
    expectError(await api("GET", `/chats/${groupId}/members?count=0`), 400);
  });

  it("POST /chats/{chatId}/members adds users; unknown ids come back in failed_user_ids", async () => {
    const a = await api("POST", `/chats/${groupId}/members`, { user_ids: [carol.userId] });
    expect(a.status).toBe(200);
    expect(a.body.success).toBe(true);
    const list = await api("GET", `/chats/${groupId}/members?user_ids=${carol.userId}`);
    expect((list.body.members as WireMember[]).map((m) => m.user_id)).toEqual([carol.userId]);
    const partly = await api("POST", `/chats/${groupId}/members`, { user_ids: [987654321] });
    expect(partly.status).toBe(200);
    expect(partly.body.failed_user_ids).toEqual([987654321]);
    expectError(await api("POST", `/chats/${groupId}/members`, { user_ids: [] }), 400);
  });

  it("POST / GET / DELETE /chats/{chatId}/members/admins grant, list and revoke admin rights", async () => {
    const granted = await api("POST", `/chats/${groupId}/members/admins`, {
      admins: [{ user_id: bob.userId, permissions: ["write", "pin_message"] }],
    });
    expect(granted.status).toBe(200);
    expect(granted.body).toEqual(ok);
    const admins = await api("GET", `/chats/${groupId}/members/admins`);
    expect(admins.status).toBe(200);
    expect((admins.body.members as WireMember[]).map((m) => m.user_id)).toContain(bob.userId);
    expect((await api("DELETE", `/chats/${groupId}/members/admins/${bob.userId}`)).body).toEqual(ok);
    const after = await api("GET", `/chats/${groupId}/members/admins`);
    expect((after.body.members as WireMember[]).map((m) => m.user_id)).not.toContain(bob.userId);
    expectError(await api("POST", `/chats/${groupId}/members/admins`, { admins: [] }), 400);
    expectError(await api("DELETE", `/chats/${groupId}/members/admins/abc`), 400);
  });

  it("DELETE /chats/{chatId}/members?user_id removes a member; without user_id it is 400", async () => {
    const a = await api("DELETE", `/chats/${groupId}/members?user_id=${carol.userId}`);
    expect(a.status).toBe(200);
    expect(a.body).toEqual(ok);
    const list = await api("GET", `/chats/${groupId}/members?user_ids=${carol.userId}`);
    expect(list.body.members).toEqual([]);
    expectError(await api("DELETE", `/chats/${groupId}/members`), 400);
  });
});

describe("leaving and deleting chats", () => {
  it("DELETE /chats/{chatId}/members/me leaves: the chat is no longer the bot's", async () => {
    const chatId = await group("To leave", alice.userId, []);
    await world.admin("POST", `/_sandbox/maxbot/bots/${bot.userId}/chats`, {
      chatId,
      byUserId: alice.userId,
    });
    expect((await api("GET", `/chats/${chatId}`)).status).toBe(200);
    expect((await api("DELETE", `/chats/${chatId}/members/me`)).body).toEqual(ok);
    expectError(await api("GET", `/chats/${chatId}`), 404);
    const send = await api("POST", `/messages?chat_id=${chatId}`, { text: "still here?" });
    expect(send.status).toBeGreaterThanOrEqual(400);
  });

  it("DELETE /chats/{chatId} deletes a chat the bot owns; another's chat is refused", async () => {
    const own = await group("Bot's own", bot.userId, [alice.userId]);
    expect((await api("DELETE", `/chats/${own}`)).body).toEqual(ok);
    expectError(await api("GET", `/chats/${own}`), 404);
    const refused = await api("DELETE", `/chats/${groupId}`);
    expect(refused.status).toBe(403);
    expect((await api("GET", `/chats/${groupId}`)).status).toBe(200);
  });
});
