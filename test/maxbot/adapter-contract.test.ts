/**
 * MaxBotAdapter held to the Adapter contract (the same checks as test/adapters/conformance.test.ts)
 * plus what the Bot API adds: edits and deletes by MAX users arrive as message.edited /
 * message.deleted, segments survive the trip (formatting, links, replies), no reactions.
 * All over loopback against the sandbox's MAX and Bot API emulators.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdapterEvent } from "../../src/core/adapter.js";
import { UnsupportedError, ValidationError } from "../../src/core/errors.js";
import type { Message, Ref, Segment } from "../../src/core/model.js";
import { ref } from "../../src/core/model.js";
import { type MaxBotFixture, startMaxBotFixture } from "./adapter-harness.js";

const textOf = (content: readonly Segment[]) =>
  content.map((s) => (s.type === "text" ? s.text : s.type === "link" ? (s.text ?? s.url) : "")).join("");

let f: MaxBotFixture;

function nextEvent(pick: (e: AdapterEvent) => boolean, ms = 10_000): Promise<AdapterEvent> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching event within ${ms} ms; saw: ${seen.join(", ") || "nothing"}`));
    }, ms);
    const off = f.adapter.onEvent((e) => {
      seen.push(`${e.type}(${e.id})`);
      if (!pick(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

const created = (chat: Ref, text: string) => (e: AdapterEvent) =>
  e.type === "message.created" && e.message.chat.id === chat.id && textOf(e.message.content).includes(text);

beforeAll(async () => {
  f = await startMaxBotFixture();
}, 60_000);

afterAll(async () => {
  await f?.close();
});

describe("MaxBotAdapter: the Adapter contract", () => {
  it("declares its platform and honest capabilities (no reactions in the Bot API)", () => {
    expect(f.adapter.platform).toBe("maxbot");
    expect(f.adapter.capabilities.platform).toBe("maxbot");
    expect(f.adapter.capabilities.operations).toEqual({
      edit: true,
      delete: true,
      react: false,
      history: true,
    });
    expect(f.adapter.capabilities.maxTextLength).toBe(4000);
    expect(f.adapter.capabilities.events).toContain("message.created");
    expect(f.chat.account).toBe(f.adapter.account);
  });

  it("connect() twice is harmless", async () => {
    await f.adapter.connect();
  });

  it("delivers a peer's message as message.created, the same event (same id) to events() and onEvent", async () => {
    const text = `hello from the peer ${Date.now()}`;
    const iterator = f.adapter.events({ types: ["message.created"] });
    const pushed = nextEvent(created(f.chat, text));
    await f.peerSend(text);
    const viaPush = await pushed;
    let viaIterator: AdapterEvent | undefined;
    for await (const e of iterator) {
      if (created(f.chat, text)(e)) {
        viaIterator = e;
        break;
      }
    }
    expect(viaPush.id).toMatch(/^message_created:mid\./);
    expect(viaIterator?.id).toBe(viaPush.id);
    if (viaPush.type !== "message.created") throw new Error("unreachable");
    expect(viaPush.message.chat).toEqual(f.chat);
    expect(viaPush.message.author).toEqual(f.peer);
    expect(viaPush.id).toBe(`message_created:${viaPush.message.ref.id}`);
  });

  it("a peer's edit and delete arrive as message.edited and message.deleted", async () => {
    const text = `will change ${Date.now()}`;
    const createdEvent = nextEvent((e) => e.type === "message.created" && textOf(e.message.content) === text);
    const sent = await f.alice.sendMessage(f.groupId, text);
    const first = await createdEvent;
    if (first.type !== "message.created") throw new Error("unreachable");
    const edited = nextEvent((e) => e.type === "message.edited" && e.message.ref.id === first.message.ref.id);
    await f.alice.editMessage(f.groupId, sent.id, "changed by Alice");
    const e1 = await edited;
    if (e1.type !== "message.edited") throw new Error("unreachable");
    expect(textOf(e1.message.content)).toBe("changed by Alice");
    expect(e1.message.edited).toBe(true);
    const deleted = nextEvent((e) => e.type === "message.deleted" && e.message.id === first.message.ref.id);
    await f.alice.deleteMessage(f.groupId, sent.id);
    const e2 = await deleted;
    if (e2.type !== "message.deleted") throw new Error("unreachable");
    expect(e2.chat).toEqual(f.chat);
  });

  it("send() returns the sent message's ids; history() has it, oldest first, strictly after `after`", async () => {
    const first = `first ${Date.now()}`;
    const second = `second ${Date.now()}`;
    const a = await f.adapter.send(f.chat, first);
    const b = await f.adapter.send(f.chat, [{ type: "text", text: second }]);
    expect(a.ids).toHaveLength(1);
    expect(b.ids).toHaveLength(1);
    expect(a.ids[0]?.id).toMatch(/^mid\./);
    expect(a.ids[0]?.id).not.toBe(b.ids[0]?.id);
    const all = await f.adapter.history(f.chat, { limit: 50 });
    const texts = all.map((m) => textOf(m.content));
    const i = texts.indexOf(first);
    const j = texts.indexOf(second);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(j).toBeGreaterThan(i);
    for (let k = 1; k < all.length; k++) expect(all[k]!.time).toBeGreaterThanOrEqual(all[k - 1]!.time);
    const after = await f.adapter.history(f.chat, { after: a.ids[0]!, limit: 50 });
    const afterTexts = after.map((m) => textOf(m.content));
    expect(afterTexts).not.toContain(first);
    expect(afterTexts).toContain(second);
  });

  it("the same idempotencyKey sends once, even when the two sends race", async () => {
    const key = `key-${Date.now()}`;
    const text = `once only ${Date.now()}`;
    const [x, y] = await Promise.all([
      f.adapter.send(f.chat, text, { idempotencyKey: key }),
      f.adapter.send(f.chat, text, { idempotencyKey: key }),
    ]);
    const z = await f.adapter.send(f.chat, text, { idempotencyKey: key });
    expect(y.ids).toEqual(x.ids);
    expect(z.ids).toEqual(x.ids);
    const all = await f.adapter.history(f.chat, { limit: 100 });
    expect(all.filter((m: Message) => textOf(m.content) === text)).toHaveLength(1);
  });

  it("a text longer than 4000 becomes several messages, every id returned in order", async () => {
    const word = "abcdefghi ";
    const text = word.repeat(Math.ceil(4020 / word.length)).trim();
    const r = await f.adapter.send(f.chat, text);
    expect(r.ids.length).toBeGreaterThanOrEqual(2);
    const all = await f.adapter.history(f.chat, { limit: 100 });
    const byId = new Map(all.map((m) => [m.ref.id, m]));
    const parts = r.ids.map((id) => byId.get(id.id));
    for (const p of parts) expect(p, "every part is in history").toBeDefined();
    expect(
      parts
        .map((p) => textOf(p!.content))
        .join("")
        .replace(/\s+/g, ""),
    ).toBe(text.replace(/\s+/g, ""));
  });

  it("edit and delete work; react throws UnsupportedError", async () => {
    const sent = await f.adapter.send(f.chat, `to be changed ${Date.now()}`);
    const id = sent.ids[0]!;
    await expect(f.adapter.react(f.chat, id, "👍")).rejects.toBeInstanceOf(UnsupportedError);
    await f.adapter.edit(f.chat, id, "edited by the bot");
    let all = await f.adapter.history(f.chat, { limit: 100 });
    expect(textOf(all.find((m) => m.ref.id === id.id)?.content ?? [])).toBe("edited by the bot");
    await f.adapter.delete(f.chat, id);
    all = await f.adapter.history(f.chat, { limit: 100 });
    expect(all.find((m) => m.ref.id === id.id)).toBeUndefined();
  });

  it("history after a message that was deleted still answers what came after it", async () => {
    const gone = await f.adapter.send(f.chat, `soon gone ${Date.now()}`);
    const later = `after the gone one ${Date.now()}`;
    await f.adapter.send(f.chat, later);
    await f.adapter.delete(f.chat, gone.ids[0]!);
    const after = await f.adapter.history(f.chat, { after: gone.ids[0]!, limit: 50 });
    expect(after.map((m) => textOf(m.content))).toEqual([later]);
  });

  it("segments survive the trip: bold, code, a link, a reply", async () => {
    const target = await f.adapter.send(f.chat, "the original");
    const r = await f.adapter.send(
      f.chat,
      [
        { type: "text", text: "bold", bold: true },
        { type: "text", text: " and " },
        { type: "text", text: "code", code: true },
        { type: "text", text: " see " },
        { type: "link", url: "https://example.com/", text: "this" },
      ],
      { replyTo: target.ids[0]! },
    );
    const all = await f.adapter.history(f.chat, { limit: 100 });
    const m = all.find((x) => x.ref.id === r.ids[0]?.id);
    expect(m).toBeDefined();
    expect(m?.replyTo).toEqual(target.ids[0]);
    expect(m?.content).toEqual(
      expect.arrayContaining([
        { type: "text", text: "bold", bold: true },
        { type: "text", text: "code", code: true },
        { type: "link", url: "https://example.com/", text: "this" },
      ]),
    );
    expect(textOf(m?.content ?? [])).toBe("bold and code see this");
  });

  it("refuses refs of other platforms and non-numeric chat ids before sending", async () => {
    await expect(f.adapter.send(ref("maxim", f.adapter.account, f.chat.id), "x")).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(f.adapter.send(ref("maxbot", f.adapter.account, "abc"), "x")).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it("getChat and getUser answer in the unified model", async () => {
    const chat = await f.adapter.getChat(f.chat);
    expect(chat).toMatchObject({ ref: f.chat, kind: "group", title: "Adapter group" });
    const user = await f.adapter.getUser(f.peer);
    expect(user.ref).toEqual(f.peer);
    expect(user.name).toBe("Alice");
    const me = await f.adapter.getUser(ref("maxbot", f.adapter.account, f.botId));
    expect(me.isBot).toBe(true);
  });

  it("close() ends open iterators and may be called twice", async () => {
    const iterator = f.adapter.events();
    await f.adapter.close();
    await f.adapter.close();
    // What was queued before close (the connection.state event) is still read, then it ends.
    const rest: string[] = [];
    for await (const e of iterator) rest.push(e.type);
    expect(rest.every((t) => t === "connection.state")).toBe(true);
    expect(await f.adapter.events().next()).toEqual({ value: undefined, done: true });
  });
});
