/**
 * MAX Bot API conformance, written from the OpenAPI schema (max-bot-api-client-go schema.yaml)
 * and the dev.max.ru docs with raw fetch: token auth and error bodies, /me, /messages (send,
 * read, edit, delete, formatting, inline keyboards, reply links), /answers. A bot's message must
 * reach a MAX user's client (our MaxClient over the real MAX emulator) as an ordinary message.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MaxMessage } from "../../src/max/client/types.js";
import { type BotWorld, type CreatedBot, type SignedInUser, startBotWorld } from "./harness.js";

let world: BotWorld;
let bot: CreatedBot;
let other: CreatedBot;
let alice: SignedInUser;
let dialogId = 0;

const MID = /^mid\.[0-9a-f]{32}$/;

/** A Message as the schema describes it (the fields these tests read). */
interface WireMessage {
  sender: { user_id: number; is_bot: boolean };
  recipient: { chat_id: number; chat_type: string; user_id: number | null };
  timestamp: number;
  link?: { type: string; message: { mid: string; text: string } };
  body: { mid: string; seq: number; text: string; markup?: unknown[]; attachments?: unknown[] };
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  raw: string;
}

/** Arrival times of the last requests per token: the platform allows 30 requests/s per bot. */
const recent = new Map<string, number[]>();
async function pace(token: string): Promise<void> {
  const times = recent.get(token) ?? [];
  recent.set(token, times);
  while (times.length >= 20) {
    const wait = (times[0] as number) + 1000 - Date.now();
    if (wait <= 0) times.shift();
    else await new Promise((r) => setTimeout(r, wait));
  }
  times.push(Date.now());
}

/** One Bot API call as any HTTP client makes it (paced under the 30 requests/s limit). */
async function api(
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; rawBody?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? bot.token : options.token;
  if (token !== null) headers.Authorization = token;
  await pace(token ?? "");
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(world.botApi + path, { method, headers, body });
  const raw = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    // asserted by the callers through `raw`
  }
  return { status: res.status, body: parsed, raw };
}

function expectError(a: Answer, status: number, code?: string): void {
  expect(a.status).toBe(status);
  expect(typeof a.body.code).toBe("string");
  expect(typeof a.body.message).toBe("string");
  if (code) expect(a.body.code).toBe(code);
}

/** The next pushed message (or edit) the user's client sees that matches. */
function nextPush(
  user: SignedInUser,
  event: "message" | "messageEdited",
  match: (m: MaxMessage) => boolean,
  timeoutMs = 8000,
): Promise<MaxMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${event} push within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = user.on(event, (e) => {
      if (!match(e.message)) return;
      clearTimeout(timer);
      off();
      resolve(e.message);
    });
  });
}

async function send(target: string, body: unknown, token?: string): Promise<Answer> {
  return api("POST", `/messages?${target}`, token === undefined ? { body } : { body, token });
}

beforeAll(async () => {
  world = await startBotWorld();
  bot = await world.createBot("Conformance bot", "conformance_bot");
  other = await world.createBot("Other bot");
  alice = await world.user("Alice");
}, 60_000);

afterAll(async () => {
  await world?.close();
});

describe("authentication and error bodies", () => {
  it("refuses a request without a token: 401 verify.token", async () => {
    expectError(await api("GET", "/me", { token: null }), 401, "verify.token");
  });

  it("refuses an unknown token: 401 verify.token, the token not echoed", async () => {
    const a = await api("GET", "/me", { token: "not-a-real-token-0123456789" });
    expectError(a, 401, "verify.token");
    expect(a.raw).not.toContain("not-a-real-token");
  });

  it("accepts the token in the Authorization header and the deprecated access_token query", async () => {
    const header = await api("GET", "/me");
    expect(header.status).toBe(200);
    const query = await api("GET", `/me?access_token=${encodeURIComponent(bot.token)}`, { token: null });
    expect(query.status).toBe(200);
    expect(query.body.user_id).toBe(bot.userId);
  });

  it("answers 404 not.found for an unknown method and 405 for a known path with another verb", async () => {
    expectError(await api("GET", "/no/such/method"), 404, "not.found");
    expectError(await api("PATCH", "/messages", { body: {} }), 405);
  });

  it("answers 400 with an error body for malformed JSON", async () => {
    expectError(await api("POST", `/messages?user_id=${alice.userId}`, { rawBody: '{"text": "x"' }), 400);
  });
});

describe("/me", () => {
  it("GET /me returns the bot's BotInfo", async () => {
    const a = await api("GET", "/me");
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({
      user_id: bot.userId,
      first_name: "Conformance bot",
      username: "conformance_bot",
      is_bot: true,
    });
    expect(typeof a.body.last_activity_time).toBe("number");
  });

  it("PATCH /me edits the name, description and commands and returns the new BotInfo", async () => {
    const a = await api("PATCH", "/me", {
      body: {
        first_name: "Renamed bot",
        description: "Talks back",
        commands: [{ name: "start", description: "Begin" }],
      },
    });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({
      user_id: bot.userId,
      first_name: "Renamed bot",
      description: "Talks back",
      commands: [{ name: "start", description: "Begin" }],
    });
    const again = await api("GET", "/me");
    expect(again.body.first_name).toBe("Renamed bot");
    expect(again.body.commands).toEqual([{ name: "start", description: "Begin" }]);
  });

  it("PATCH /me refuses an empty name (minLength 1) with 400", async () => {
    expectError(await api("PATCH", "/me", { body: { first_name: "" } }), 400);
  });
});

describe("POST /messages", () => {
  it("sends to a user (user_id): {message} with a mid, and the user's MAX client gets it", async () => {
    const pushed = nextPush(alice, "message", (m) => m.text === "Hello Alice");
    const a = await send(`user_id=${alice.userId}`, { text: "Hello Alice" });
    expect(a.status).toBe(200);
    const message = a.body.message as WireMessage;
    expect(message.sender).toMatchObject({ user_id: bot.userId, is_bot: true });
    expect(message.recipient).toMatchObject({ chat_type: "dialog", user_id: alice.userId });
    expect(typeof message.recipient.chat_id).toBe("number");
    expect(typeof message.timestamp).toBe("number");
    expect(message.body.mid).toMatch(MID);
    expect(typeof message.body.seq).toBe("number");
    expect(message.body.text).toBe("Hello Alice");
    dialogId = message.recipient.chat_id;
    const m = await pushed;
    expect(m.chatId).toBe(dialogId);
    expect(m.sender).toBe(bot.userId);
    expect(String(m.id)).toBe(String(message.body.seq));
  });

  it("sends to a chat (chat_id) with markdown: markup in the answer, MAX elements at the user", async () => {
    const pushed = nextPush(alice, "message", (m) => m.text.startsWith("Bold and"));
    const a = await send(`chat_id=${dialogId}`, {
      text: "**Bold** and *italic* and [a link](https://dev.max.ru)",
      format: "markdown",
    });
    expect(a.status).toBe(200);
    const body = (a.body.message as WireMessage).body;
    expect(body.text).toBe("Bold and italic and a link");
    expect(body.markup).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: "strong", from: 0, length: 4 }),
        expect.objectContaining({ type: "emphasized", from: 9, length: 6 }),
        expect.objectContaining({ type: "link", from: 20, length: 6, url: "https://dev.max.ru" }),
      ]),
    );
    const m = await pushed;
    const types = m.elements.map((e) => (e as { type: string }).type);
    expect(types).toEqual(expect.arrayContaining(["STRONG", "EMPHASIZED", "LINK"]));
  });

  it("formats html: tags become markup, text keeps its entities decoded", async () => {
    const a = await send(`chat_id=${dialogId}`, { text: "<b>x</b> &lt;y&gt; <u>z</u>", format: "html" });
    expect(a.status).toBe(200);
    const body = (a.body.message as WireMessage).body;
    expect(body.text).toBe("x <y> z");
    expect(body.markup).toEqual([
      expect.objectContaining({ type: "strong", from: 0, length: 1 }),
      expect.objectContaining({ type: "underline", from: 6, length: 1 }),
    ]);
  });

  it("sends an inline keyboard: back as an inline_keyboard attachment, at the user as INLINE_KEYBOARD", async () => {
    const pushed = nextPush(alice, "message", (m) => m.text === "Choose");
    const keyboard = {
      type: "inline_keyboard",
      payload: {
        buttons: [
          [{ type: "callback", text: "Yes", payload: "yes" }],
          [{ type: "link", text: "Docs", url: "https://dev.max.ru" }],
        ],
      },
    };
    const a = await send(`chat_id=${dialogId}`, { text: "Choose", attachments: [keyboard] });
    expect(a.status).toBe(200);
    const attachments = (a.body.message as WireMessage).body.attachments;
    expect(attachments).toEqual([
      {
        type: "inline_keyboard",
        payload: {
          buttons: [
            [expect.objectContaining({ type: "callback", text: "Yes", payload: "yes" })],
            [{ type: "link", text: "Docs", url: "https://dev.max.ru" }],
          ],
        },
      },
    ]);
    const m = await pushed;
    // Our MaxClient keeps attach fields it does not model under `extra`.
    const attach = m.attaches.find((x) => x._type === "INLINE_KEYBOARD");
    const pushedKeyboard = attach?.extra?.keyboard as
      | { buttons: { type: string; text: string }[][] }
      | undefined;
    expect(pushedKeyboard?.buttons[0]?.[0]).toMatchObject({ type: "CALLBACK", text: "Yes" });
    expect(pushedKeyboard?.buttons[1]?.[0]).toMatchObject({ type: "LINK", url: "https://dev.max.ru" });
  });

  it("replies to a message: link {type: reply} in the answer", async () => {
    const first = await send(`chat_id=${dialogId}`, { text: "original" });
    const mid = (first.body.message as WireMessage).body.mid as string;
    const a = await send(`chat_id=${dialogId}`, { text: "the reply", link: { type: "reply", mid } });
    expect(a.status).toBe(200);
    const link = (a.body.message as WireMessage).link;
    expect(link).toMatchObject({ type: "reply", message: { mid, text: "original" } });
  });

  it("refuses bad input with 400 and writes nothing", async () => {
    const before = await api("GET", `/messages?chat_id=${dialogId}&count=100`);
    const count = (before.body.messages as unknown[]).length;
    expectError(await send(`chat_id=${dialogId}`, { text: "x".repeat(4001) }), 400);
    expectError(await send(`chat_id=${dialogId}`, { text: "x", format: "bbcode" }), 400);
    expectError(await send("", { text: "nowhere" }), 400);
    expectError(await send(`chat_id=${dialogId}`, { text: "" }), 400);
    expectError(
      await send(`chat_id=${dialogId}`, { text: "x", attachments: [{ type: "video", payload: {} }] }),
      400,
    );
    expectError(
      await send(`chat_id=${dialogId}`, {
        text: "x",
        link: { type: "reply", mid: "mid.00000000000000000000000000000000" },
      }),
      404,
    );
    const after = await api("GET", `/messages?chat_id=${dialogId}&count=100`);
    expect((after.body.messages as unknown[]).length).toBe(count);
  });

  it("refuses a chat the bot is not in with 404 and an unknown user with 404", async () => {
    expectError(await send("chat_id=987654321", { text: "x" }), 404);
    expectError(await send("user_id=987654321", { text: "x" }), 404);
  });
});

describe("reading, editing and deleting messages", () => {
  let mid = "";

  beforeAll(async () => {
    const a = await send(`chat_id=${dialogId}`, { text: "to be edited" });
    mid = (a.body.message as WireMessage).body.mid as string;
  });

  it("GET /messages?chat_id lists messages newest first as {messages}", async () => {
    const a = await api("GET", `/messages?chat_id=${dialogId}&count=2`);
    expect(a.status).toBe(200);
    const messages = a.body.messages as WireMessage[];
    expect(messages).toHaveLength(2);
    expect(messages[0]?.body.mid).toBe(mid);
    expect(messages[0]?.timestamp).toBeGreaterThanOrEqual(messages[1]?.timestamp ?? Number.POSITIVE_INFINITY);
  });

  it("GET /messages?message_ids and GET /messages/{mid} return those messages", async () => {
    const list = await api("GET", `/messages?message_ids=${mid}`);
    expect(list.status).toBe(200);
    expect((list.body.messages as WireMessage[]).map((m) => m.body.mid)).toEqual([mid]);
    const one = await api("GET", `/messages/${mid}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ body: { mid, text: "to be edited" }, recipient: { chat_id: dialogId } });
  });

  it("GET /messages without chat_id or message_ids is 400; count out of range is 400; unknown mid is 404", async () => {
    expectError(await api("GET", "/messages"), 400);
    expectError(await api("GET", `/messages?chat_id=${dialogId}&count=0`), 400);
    expectError(await api("GET", `/messages?chat_id=${dialogId}&count=101`), 400);
    expectError(await api("GET", "/messages/mid.00000000000000010000000000000001"), 404);
  });

  it("PUT /messages edits: {success: true}, the user's client gets the edit", async () => {
    const edited = nextPush(alice, "messageEdited", (m) => m.text === "edited text");
    const a = await api("PUT", `/messages?message_id=${mid}`, { body: { text: "edited text" } });
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ success: true });
    const m = await edited;
    expect(m.chatId).toBe(dialogId);
    const read = await api("GET", `/messages/${mid}`);
    expect((read.body.body as Record<string, unknown>).text).toBe("edited text");
  });

  it("PUT /messages refuses a missing message_id (400), an unknown one (404) and another bot (not 200)", async () => {
    expectError(await api("PUT", "/messages", { body: { text: "x" } }), 400);
    expectError(
      await api("PUT", "/messages?message_id=mid.00000000000000010000000000000001", { body: { text: "x" } }),
      404,
    );
    const foreign = await api("PUT", `/messages?message_id=${mid}`, {
      body: { text: "hijack" },
      token: other.token,
    });
    expect(foreign.status).toBeGreaterThanOrEqual(400);
    expect(typeof foreign.body.code).toBe("string");
    const read = await api("GET", `/messages/${mid}`);
    expect((read.body.body as Record<string, unknown>).text).toBe("edited text");
  });

  it("DELETE /messages deletes: {success: true}, then the message is gone (404)", async () => {
    const a = await api("DELETE", `/messages?message_id=${mid}`);
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ success: true });
    expectError(await api("GET", `/messages/${mid}`), 404);
    expectError(await api("DELETE", `/messages?message_id=${mid}`), 404);
  });
});

describe("POST /answers", () => {
  it("answers a pressed callback button with a notification and a new message text", async () => {
    const sent = await send(`chat_id=${dialogId}`, {
      text: "Press it",
      attachments: [
        {
          type: "inline_keyboard",
          payload: { buttons: [[{ type: "callback", text: "Go", payload: "go" }]] },
        },
      ],
    });
    const message = sent.body.message as WireMessage;
    const pressed = await world.admin<{ callbackId: string }>("POST", "/_sandbox/max/bots/press", {
      userId: alice.userId,
      chatId: dialogId,
      messageId: String(message.body.seq),
      payload: "go",
    });
    expect(typeof pressed.callbackId).toBe("string");
    const edited = nextPush(alice, "messageEdited", (m) => m.text === "Pressed!");
    const a = await api("POST", `/answers?callback_id=${encodeURIComponent(pressed.callbackId)}`, {
      body: { message: { text: "Pressed!" }, notification: "Thanks" },
    });
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ success: true });
    await edited;
    // Another bot may not answer it.
    const foreign = await api("POST", `/answers?callback_id=${encodeURIComponent(pressed.callbackId)}`, {
      body: { notification: "x" },
      token: other.token,
    });
    expectError(foreign, 404);
  });

  it("refuses an unknown callback_id (404), a missing one (400) and an empty answer (400)", async () => {
    expectError(await api("POST", "/answers?callback_id=nope", { body: { notification: "x" } }), 404);
    expectError(await api("POST", "/answers", { body: { notification: "x" } }), 400);
    expectError(await api("POST", "/answers?callback_id=nope", { body: {} }), 400);
  });
});

describe("comments (/messages/{messageId}/comments)", () => {
  it("answers a post without comments with 404 and refuses a bad comment with 400", async () => {
    const sent = await send(`chat_id=${dialogId}`, { text: "a post" });
    const mid = (sent.body.message as WireMessage).body.mid;
    expectError(await api("GET", `/messages/${mid}/comments`), 404, "not.found");
    expectError(
      await api("POST", `/messages/${mid}/comments`, { body: { text: "first!" } }),
      404,
      "not.found",
    );
    expectError(await api("POST", `/messages/${mid}/comments`, { body: { text: "x".repeat(4001) } }), 400);
    expectError(await api("DELETE", `/messages/${mid}/comments`), 400);
  });
});
