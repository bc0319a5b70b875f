/**
 * Conformance of GET /updates, in raw HTTP from the OpenAPI description of getUpdates: every
 * update has a sequence number, the answer's `marker` points at the next upcoming update,
 * passing a marker commits every update before it, and a request without a marker gets all
 * updates since the last commit (again). limit 1..1000, timeout 0..90 s, types filter. Messages
 * come from a user-API MaxClient writing to the bot in a dialog.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BotWorld, type CreatedBot, type SignedInUser, startBotWorld } from "./harness.js";

interface Update {
  update_type: string;
  timestamp: number;
  message?: {
    body: { mid: string; seq: number; text: string | null };
    sender?: { user_id: number };
    recipient: { chat_id: number };
  };
  [key: string]: unknown;
}
interface UpdateList {
  updates: Update[];
  marker: number | null;
}

let world: BotWorld;
let bot: CreatedBot;
let alice: SignedInUser;

async function call(token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(world.botApi + path, {
    method,
    headers: { authorization: token, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

async function updates(query: string, token = bot.token): Promise<UpdateList> {
  const r = await call(token, "GET", `/updates?${query}`);
  expect(r.status).toBe(200);
  return r.body as UpdateList;
}

const texts = (list: UpdateList) => list.updates.map((u) => u.message?.body.text);

/** Commits everything the bot has queued so far; returns the marker to continue from. */
async function drain(token = bot.token): Promise<number> {
  const first = await updates("timeout=0&limit=1000", token);
  const next = first.marker as number;
  await updates(`timeout=0&marker=${next}`, token);
  return next;
}

beforeAll(async () => {
  world = await startBotWorld();
  bot = await world.createBot("Marker bot", "marker_bot");
  alice = await world.user("Alice");
}, 60_000);

afterAll(async () => {
  await world?.close();
});

describe("GET /updates", () => {
  it("with nothing queued, timeout=0 answers an empty list and a marker at once", async () => {
    const started = Date.now();
    const list = await updates("timeout=0");
    expect(Date.now() - started).toBeLessThan(2000);
    expect(list.updates).toEqual([]);
    expect(typeof list.marker).toBe("number");
  });

  it("delivers a user's dialog messages in order as message_created updates", async () => {
    await drain();
    for (const text of ["one", "two", "three"]) await alice.sendToUser(bot.userId, text);
    // The first message may wake the poll before the others arrive: collect until all three are in.
    let all: Update[] = [];
    let marker: number | undefined;
    const deadline = Date.now() + 8000;
    while (all.filter((u) => u.update_type === "message_created").length < 3 && Date.now() < deadline) {
      const more = await updates(marker === undefined ? "timeout=5" : `timeout=5&marker=${marker}`);
      all = [...all, ...more.updates];
      marker = more.marker as number;
    }
    // The user's first contact with the bot opened the dialog: bot_started comes first.
    expect(all.map((u) => u.update_type)).toEqual([
      "bot_started",
      "message_created",
      "message_created",
      "message_created",
    ]);
    expect(all[0]).toMatchObject({ user: { user_id: alice.userId }, chat_id: expect.any(Number) });
    const messages = all.slice(1);
    expect(messages.map((u) => u.message?.body.text)).toEqual(["one", "two", "three"]);
    for (const u of messages) {
      expect(typeof u.timestamp).toBe("number");
      expect(u.message?.body.mid).toMatch(/^mid\.[0-9a-f]{32}$/);
      expect(u.message?.sender?.user_id).toBe(alice.userId);
      expect(u.message?.recipient.chat_id).toBe(all[0]?.chat_id);
    }
  });

  it("without a marker repeats what is not committed; a marker commits everything before it", async () => {
    await drain();
    for (const text of ["a", "b", "c"]) await alice.sendToUser(bot.userId, text);
    const first = await updates("timeout=0");
    expect(texts(first)).toEqual(["a", "b", "c"]);
    // Not committed yet: the same three again.
    const again = await updates("timeout=0");
    expect(texts(again)).toEqual(["a", "b", "c"]);
    expect(again.marker).toBe(first.marker);
    // limit=2: the first two, and a marker between b and c.
    const page = await updates("timeout=0&limit=2");
    expect(texts(page)).toEqual(["a", "b"]);
    // Passing that marker commits a and b and answers c.
    const rest = await updates(`timeout=0&marker=${page.marker}`);
    expect(texts(rest)).toEqual(["c"]);
    // a and b are gone for good: a request without a marker starts at c.
    expect(texts(await updates("timeout=0"))).toEqual(["c"]);
    // Committing past c empties the queue; the marker stays usable.
    const empty = await updates(`timeout=0&marker=${rest.marker}`);
    expect(empty.updates).toEqual([]);
    expect(empty.marker).toBe(rest.marker);
    expect((await updates("timeout=0")).updates).toEqual([]);
  });

  it("a long poll waits and is woken by the next update", async () => {
    const marker = await drain();
    const started = Date.now();
    const poll = updates(`timeout=20&marker=${marker}`);
    await new Promise((r) => setTimeout(r, 300));
    await alice.sendToUser(bot.userId, "wake up");
    const list = await poll;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(texts(list)).toEqual(["wake up"]);
  });

  it("a long poll with nothing to deliver answers an empty list with its marker after the timeout", async () => {
    const marker = await drain();
    const started = Date.now();
    const list = await updates(`timeout=1&marker=${marker}`);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(5000);
    expect(list).toEqual({ updates: [], marker });
  });

  it("a newer long poll of the same bot ends the waiting one at once; the newer one gets the update", async () => {
    const marker = await drain();
    const started = Date.now();
    const older = updates(`timeout=20&marker=${marker}`);
    await new Promise((r) => setTimeout(r, 200));
    const newer = updates(`timeout=20&marker=${marker}`);
    const endedOlder = await older;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(endedOlder).toEqual({ updates: [], marker });
    await alice.sendToUser(bot.userId, "for the newer poll");
    expect(texts(await newer)).toEqual(["for the newer poll"]);
  });

  it("types filters updates; the marker passes the ones filtered out", async () => {
    const other = await world.createBot("Types bot");
    const group = await alice.createGroup("Types group", []);
    await world.admin("POST", `/_sandbox/maxbot/bots/${other.userId}/chats`, {
      chatId: group.id,
      admin: true,
      byUserId: alice.userId,
    });
    await alice.sendMessage(group.id, "hello bots");
    // The bot_added and the message are both queued.
    const all = await updates("timeout=5", other.token);
    const types = new Set(all.updates.map((u) => u.update_type));
    expect(types.has("bot_added") || types.has("message_created")).toBe(true);
    const added = await updates("timeout=0&types=bot_added", other.token);
    expect(added.updates.map((u) => u.update_type)).toEqual(["bot_added"]);
    expect(added.updates[0]).toMatchObject({ chat_id: group.id, is_channel: false });
    const messages = await updates("timeout=0&types=message_created,message_edited", other.token);
    expect(messages.updates.map((u) => u.message?.body.text)).toEqual(["hello bots"]);
    // A marker past the message commits the bot_added before it too.
    const after = await updates(`timeout=0&marker=${messages.marker}`, other.token);
    expect(after.updates).toEqual([]);
  });

  it("refuses out-of-range and malformed parameters with a 400 error body", async () => {
    for (const query of [
      "limit=0",
      "limit=1001",
      "timeout=91",
      "timeout=-1",
      "marker=abc",
      "types=no_such_type",
    ]) {
      const r = await call(bot.token, "GET", `/updates?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.body, query).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    }
  });

  it("refuses a request without a valid token with 401 verify.token", async () => {
    const r = await call("not-a-token", "GET", "/updates?timeout=0");
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ code: "verify.token" });
  });
});
