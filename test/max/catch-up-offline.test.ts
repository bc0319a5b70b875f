/**
 * Offline changes caught up by MaxClient: another user sends, edits, deletes and reacts while the
 * client's connection is dropped at random points (seeded), over a real emulator on loopback.
 * The client's view, built only from its events, must end equal to the server's state, and no
 * event may repeat what was already delivered (a message twice, an edit to the text it already
 * has, a delete of a deleted message, reaction counters equal to the current ones).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MaxClient } from "../../src/max/index.js";
import { Opcode } from "../../src/max/index.js";
import { type Emulator, nextPhone, signedIn, startEmulator, until } from "./client-helpers.js";
import { loggedIn, type RawClient } from "./raw.js";

const RUNS = 30;
const MAX_OPS = 40;
const EMOJI = ["👍", "❤️", "🔥"];

/** Small seeded generator (mulberry32): a failing run can be replayed from its seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface View {
  text: string;
  deleted: boolean;
  reactions: string;
}

function countersKey(info: unknown): string {
  const counters = (info as { counters?: { reaction: string; count: number }[] } | undefined)?.counters ?? [];
  return counters
    .filter((c) => c.count > 0)
    .map((c) => `${c.reaction}=${c.count}`)
    .sort()
    .join(",");
}

/** The client's view of every message, built from its events; repeats are counted, not applied. */
function watch(client: MaxClient) {
  const view = new Map<string, View>();
  const doubled: string[] = [];
  const fromCatchUp = { messages: 0 };
  let deletesSeen = 0;
  let editsSeen = 0;
  let reactionsSeen = 0;
  client.on("message", (e) => {
    if (view.has(e.message.id)) doubled.push(`message ${e.message.id}`);
    else
      view.set(e.message.id, {
        text: e.message.text,
        deleted: false,
        reactions: countersKey(e.message.reactionInfo),
      });
    if (e.catchUp) fromCatchUp.messages++;
  });
  client.on("messageEdited", (e) => {
    editsSeen++;
    const v = view.get(e.message.id);
    if (!v || v.deleted || v.text === e.message.text) doubled.push(`edit ${e.message.id} ${e.message.text}`);
    else v.text = e.message.text;
  });
  client.on("messageDeleted", (e) => {
    for (const id of e.messageIds) {
      deletesSeen++;
      const v = view.get(id);
      if (v?.deleted) doubled.push(`delete ${id}`);
      else if (v) v.deleted = true;
      else view.set(id, { text: "", deleted: true, reactions: "" });
    }
  });
  client.on("reaction", (e) => {
    reactionsSeen++;
    const v = view.get(e.messageId);
    const key = countersKey(e);
    if (!v || v.reactions === key) doubled.push(`reaction ${e.messageId} ${key}`);
    else v.reactions = key;
  });
  return {
    view,
    doubled,
    fromCatchUp,
    counts: () => ({ deletesSeen, editsSeen, reactionsSeen }),
  };
}

let emu: Emulator;
let client: MaxClient & { phone: string };
let other: RawClient;
let chats: number[];
let watcher: ReturnType<typeof watch>;

beforeAll(async () => {
  emu = await startEmulator();
  client = await signedIn(emu, { reconnect: { baseMs: 5, maxMs: 30 } });
  other = (await loggedIn(emu.url, nextPhone())).client;
  const dialog = await other.ok(Opcode.SEND_MESSAGE, {
    userId: client.userId,
    message: { text: "hi", cid: 1 },
  });
  const group = await other.ok(Opcode.SEND_MESSAGE, {
    message: {
      cid: 2,
      attaches: [{ _type: "CONTROL", event: "new", chatType: "CHAT", title: "g", userIds: [client.userId] }],
    },
  });
  chats = [dialog.chatId as number, group.chat.id as number];
  await until(() => client.loggedIn);
  watcher = watch(client);
}, 30_000);

afterAll(async () => {
  other?.close();
  await client?.close();
  await emu?.close();
});

describe("edits, deletes and reactions made while the client was away", () => {
  it(`${RUNS} seeded runs of ≤${MAX_OPS} operations with random drops: 0 lost, 0 doubled`, async () => {
    let cid = 1000;
    let drops = 0;
    let offlineEdits = 0;
    let offlineDeletes = 0;
    let offlineReactions = 0;
    const truth = new Map<string, View & { chatId: number }>();
    for (let run = 0; run < RUNS; run++) {
      const rnd = seeded(0x5eed + run);
      const ops = 10 + Math.floor(rnd() * (MAX_OPS - 9));
      const alive = () => [...truth.entries()].filter(([, t]) => !t.deleted);
      for (let op = 0; op < ops; op++) {
        if (rnd() < 0.15 && client.loggedIn) drops += emu.admin.drop({ userId: client.userId! });
        const offline = !client.loggedIn;
        const kind = rnd();
        const live = alive();
        const pick = live.length > 0 ? live[Math.floor(rnd() * live.length)]! : undefined;
        if (kind < 0.35 || !pick) {
          const chatId = chats[Math.floor(rnd() * chats.length)]!;
          const text = `r${run}o${op}`;
          const r = await other.ok(Opcode.SEND_MESSAGE, { chatId, message: { text, cid: cid++ } });
          truth.set(String(r.message.id), { chatId, text, deleted: false, reactions: "" });
        } else if (kind < 0.6) {
          const [id, t] = pick;
          t.text = `r${run}o${op} edited`;
          await other.ok(Opcode.EDIT_MESSAGE, { chatId: t.chatId, messageId: id, text: t.text });
          if (offline) offlineEdits++;
        } else if (kind < 0.75) {
          const [id, t] = pick;
          await other.ok(Opcode.DELETE_MESSAGE, { chatId: t.chatId, messageIds: [id], forMe: false });
          t.deleted = true;
          if (offline) offlineDeletes++;
        } else {
          const [id, t] = pick;
          const remove = t.reactions !== "" && rnd() < 0.4;
          const r = remove
            ? await other.ok(Opcode.REACTION_REMOVE, { chatId: t.chatId, messageId: id })
            : await other.ok(Opcode.REACTION, {
                chatId: t.chatId,
                messageId: id,
                reaction: { reactionType: "EMOJI", id: EMOJI[Math.floor(rnd() * EMOJI.length)] },
              });
          t.reactions = countersKey(r.reactionInfo);
          if (offline) offlineReactions++;
        }
      }
      // Converged: every message the client should know is in its final state.
      const matches = () =>
        [...truth.entries()].every(([id, t]) => {
          const v = watcher.view.get(id);
          if (t.deleted) return v === undefined || v.deleted;
          return v !== undefined && !v.deleted && v.text === t.text && v.reactions === t.reactions;
        });
      await until(() => client.loggedIn && matches(), 15_000, `run ${run} converged`);
    }
    // Nothing late or doubled after the last run: a sentinel message on the same ordered
    // connection arrives after anything still on its way.
    const sentinel = `sentinel ${cid}`;
    await other.ok(Opcode.SEND_MESSAGE, { chatId: chats[0], message: { text: sentinel, cid: cid++ } });
    await until(() => [...watcher.view.values()].some((v) => v.text === sentinel), 5000, "sentinel");

    const mismatched = [...truth.entries()].filter(([id, t]) => {
      const v = watcher.view.get(id);
      return t.deleted ? v !== undefined && !v.deleted : v?.text !== t.text || v.reactions !== t.reactions;
    });
    expect(mismatched).toEqual([]);
    expect(watcher.doubled).toEqual([]);
    // The runs did exercise what they claim: drops, and each kind of change made while offline.
    expect(drops).toBeGreaterThanOrEqual(RUNS);
    expect(offlineEdits).toBeGreaterThan(0);
    expect(offlineDeletes).toBeGreaterThan(0);
    expect(offlineReactions).toBeGreaterThan(0);
    const seen = watcher.counts();
    expect(seen.editsSeen).toBeGreaterThan(0);
    expect(seen.deletesSeen).toBeGreaterThan(0);
    expect(seen.reactionsSeen).toBeGreaterThan(0);
    expect(watcher.fromCatchUp.messages).toBeGreaterThan(0);
  }, 120_000);

  it("the client's own edits, deletes and reactions are not reported back by a catch-up", async () => {
    const chatId = chats[1]!;
    const a = await client.sendMessage(chatId, "own a");
    const b = await client.sendMessage(chatId, "own b");
    const own = new Set([a.id, b.id]);
    const echoed: string[] = [];
    const offs = [
      client.on("messageEdited", (e) => {
        if (own.has(e.message.id)) echoed.push(`edit ${e.message.id}`);
      }),
      client.on("reaction", (e) => {
        if (own.has(e.messageId)) echoed.push(`reaction ${e.messageId}`);
      }),
      client.on("messageDeleted", (e) => {
        for (const id of e.messageIds) if (own.has(id)) echoed.push(`delete ${id}`);
      }),
    ];
    await client.editMessage(chatId, a.id, "own a edited");
    await client.react(chatId, a.id, "👍");
    await client.deleteMessage(chatId, b.id);
    // Someone else's change in the same chat, so the catch-up does re-read it.
    const c = await other.ok(Opcode.SEND_MESSAGE, { chatId, message: { text: "theirs", cid: 9_000 } });
    await until(() => watcher.view.has(String(c.message.id)), 5000, "their message");
    const back = new Promise<void>((resolve) => {
      const off = client.on("state", (s) => {
        if (s.state === "connected") {
          off();
          resolve();
        }
      });
    });
    expect(emu.admin.drop({ userId: client.userId! })).toBeGreaterThan(0);
    await other.ok(Opcode.EDIT_MESSAGE, { chatId, messageId: c.message.id, text: "theirs edited" });
    await back;
    await until(() => watcher.view.get(String(c.message.id))?.text === "theirs edited", 5000, "their edit");
    const sentinel = "own sentinel";
    await other.ok(Opcode.SEND_MESSAGE, { chatId, message: { text: sentinel, cid: 9_001 } });
    await until(() => [...watcher.view.values()].some((v) => v.text === sentinel), 5000, "sentinel");
    for (const off of offs) off();
    expect(echoed).toEqual([]);
    expect(watcher.doubled).toEqual([]);
  }, 30_000);
});
