/**
 * One suite, every platform: every adapter is held to the same Adapter contract
 * (src/core/adapter.ts) over its own emulator on loopback. Each platform provides a harness in
 * test/adapters/<platform>.harness.ts; a missing harness fails here, it is never skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdapterEvent } from "../../src/core/adapter.js";
import { UnsupportedError } from "../../src/core/errors.js";
import type { Message, Ref, Segment } from "../../src/core/model.js";
import type { AdapterFixture, AdapterHarness } from "./harness.js";

const PLATFORMS = ["max", "maxim", "webqq", "vklive", "maxbot"] as const;

const textOf = (content: readonly Segment[]) =>
  content.map((s) => (s.type === "text" ? s.text : s.type === "link" ? (s.text ?? s.url) : "")).join("");

/** Resolves with the first event `pick` accepts; rejects after `ms` with what was seen. */
function nextEvent(
  fixture: AdapterFixture,
  pick: (e: AdapterEvent) => boolean,
  ms = 10_000,
): Promise<AdapterEvent> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching event within ${ms} ms; saw: ${seen.join(", ") || "nothing"}`));
    }, ms);
    const off = fixture.adapter.onEvent((e) => {
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

describe.each(PLATFORMS)("Adapter contract: %s", (platform) => {
  let harness: AdapterHarness;
  let f: AdapterFixture;

  beforeAll(async () => {
    const mod = (await import(`./${platform}.harness.ts`)) as { harness?: AdapterHarness };
    if (!mod.harness) throw new Error(`test/adapters/${platform}.harness.ts exports no harness`);
    harness = mod.harness;
    f = await harness.start();
  });
  afterAll(async () => {
    await f?.close();
  });

  it("declares its platform and honest capabilities", () => {
    const { adapter } = f;
    expect(harness.platform).toBe(platform);
    expect(adapter.platform).toBe(platform);
    expect(adapter.capabilities.platform).toBe(platform);
    expect(adapter.capabilities.segments).toContain("text");
    expect(adapter.capabilities.events).toContain("message.created");
    expect(adapter.capabilities.maxTextLength).toBeGreaterThan(0);
    expect(f.chat.platform).toBe(platform);
    expect(f.chat.account).toBe(adapter.account);
  });

  it("connect() twice is harmless", async () => {
    await f.adapter.connect();
  });

  it("delivers a peer's message as message.created, the same event (same id) to events() and onEvent", async () => {
    const text = `hello from the peer ${platform} ${Date.now()}`;
    const iterator = f.adapter.events({ types: ["message.created"] });
    const pushed = nextEvent(f, created(f.chat, text));
    await f.peerSend(text);
    const viaPush = await pushed;
    let viaIterator: AdapterEvent | undefined;
    for await (const e of iterator) {
      if (created(f.chat, text)(e)) {
        viaIterator = e;
        break;
      }
    }
    expect(viaPush.id).toBeTruthy();
    expect(viaIterator?.id).toBe(viaPush.id);
    if (viaPush.type !== "message.created") throw new Error("unreachable");
    const m = viaPush.message;
    expect(m.chat.id).toBe(f.chat.id);
    expect(m.author.id).toBe(f.peer.id);
    expect(m.author.platform).toBe(platform);
    expect(m.ref.account).toBe(f.adapter.account);
    expect(typeof m.time).toBe("number");
  });

  it("send() returns the sent message's ids; history() has it, oldest first, strictly after `after`", async () => {
    const first = `first ${platform} ${Date.now()}`;
    const second = `second ${platform} ${Date.now()}`;
    const a = await f.adapter.send(f.chat, first);
    const b = await f.adapter.send(f.chat, [{ type: "text", text: second }]);
    expect(a.ids).toHaveLength(1);
    expect(b.ids).toHaveLength(1);
    for (const id of [...a.ids, ...b.ids]) {
      expect(id.platform).toBe(platform);
      expect(id.account).toBe(f.adapter.account);
    }
    expect(a.ids[0]?.id).not.toBe(b.ids[0]?.id);
    if (!f.adapter.capabilities.operations.history) {
      await expect(f.adapter.history(f.chat)).rejects.toBeInstanceOf(UnsupportedError);
      return;
    }
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

  it("self is our own user: the author of what we send, never the peer", async () => {
    const self = f.adapter.self;
    expect(self, "self is known after connect()").toBeDefined();
    expect(self?.platform).toBe(platform);
    expect(self?.account).toBe(f.adapter.account);
    expect(self?.id).not.toBe(f.peer.id);
    const text = `from self ${platform} ${Date.now()}`;
    if (f.adapter.capabilities.operations.history) {
      await f.adapter.send(f.chat, text);
      const mine = (await f.adapter.history(f.chat, { limit: 50 })).find((m) => textOf(m.content) === text);
      expect(mine?.author).toEqual(self);
    } else {
      // No history here: the peer's message as it arrives is authored by the peer, not by us.
      const pushed = nextEvent(f, created(f.chat, text));
      await f.peerSend(text);
      const e = await pushed;
      expect(e.type === "message.created" && e.message.author.id).toBe(f.peer.id);
    }
  });

  it("the same idempotencyKey sends once, even when the two sends race", async () => {
    const key = `key-${platform}-${Date.now()}`;
    const text = `once only ${platform} ${Date.now()}`;
    const [x, y] = await Promise.all([
      f.adapter.send(f.chat, text, { idempotencyKey: key }),
      f.adapter.send(f.chat, text, { idempotencyKey: key }),
    ]);
    const z = await f.adapter.send(f.chat, text, { idempotencyKey: key });
    expect(y.ids).toEqual(x.ids);
    expect(z.ids).toEqual(x.ids);
    if (f.adapter.capabilities.operations.history) {
      const all = await f.adapter.history(f.chat, { limit: 100 });
      expect(all.filter((m: Message) => textOf(m.content) === text)).toHaveLength(1);
    }
  });

  it("a text longer than maxTextLength becomes several messages, every id returned in order", async () => {
    const limit = f.adapter.capabilities.maxTextLength;
    const word = "abcdefghi ";
    const text = word.repeat(Math.ceil((limit + 20) / word.length)).trim();
    expect(text.length).toBeGreaterThan(limit);
    const r = await f.adapter.send(f.chat, text);
    expect(r.ids.length).toBeGreaterThanOrEqual(2);
    expect(new Set(r.ids.map((id) => id.id)).size).toBe(r.ids.length);
    if (f.adapter.capabilities.operations.history) {
      const all = await f.adapter.history(f.chat, { limit: 100 });
      const byId = new Map(all.map((m) => [m.ref.id, m]));
      const parts = r.ids.map((id) => byId.get(id.id));
      for (const p of parts) expect(p, "every part is in history").toBeDefined();
      for (const p of parts) expect(textOf(p!.content).length).toBeLessThanOrEqual(limit);
      const joined = parts.map((p) => textOf(p!.content)).join("");
      expect(joined.replace(/\s+/g, "")).toBe(text.replace(/\s+/g, ""));
    }
  });

  it("edit, delete and react work where declared, and throw UnsupportedError where not", async () => {
    const ops = f.adapter.capabilities.operations;
    const sent = await f.adapter.send(f.chat, `to be changed ${platform} ${Date.now()}`);
    const id = sent.ids[0]!;
    if (ops.react) await f.adapter.react(f.chat, id, "👍");
    else await expect(f.adapter.react(f.chat, id, "👍")).rejects.toBeInstanceOf(UnsupportedError);
    if (ops.edit) {
      await f.adapter.edit(f.chat, id, `edited ${platform}`);
      if (ops.history) {
        const all = await f.adapter.history(f.chat, { limit: 100 });
        expect(textOf(all.find((m) => m.ref.id === id.id)?.content ?? [])).toBe(`edited ${platform}`);
      }
    } else {
      await expect(f.adapter.edit(f.chat, id, "x")).rejects.toBeInstanceOf(UnsupportedError);
    }
    if (ops.delete) {
      await f.adapter.delete(f.chat, id);
      if (ops.history) {
        const all = await f.adapter.history(f.chat, { limit: 100 });
        const m = all.find((x) => x.ref.id === id.id);
        expect(m === undefined || m.deleted === true).toBe(true);
      }
    } else {
      await expect(f.adapter.delete(f.chat, id)).rejects.toBeInstanceOf(UnsupportedError);
    }
  });

  it("getChat and getUser answer in the unified model", async () => {
    const chat = await f.adapter.getChat(f.chat);
    expect(chat.ref).toEqual(f.chat);
    expect(["direct", "group", "channel", "stream-chat"]).toContain(chat.kind);
    const user = await f.adapter.getUser(f.peer);
    expect(user.ref.id).toBe(f.peer.id);
    expect(user.ref.platform).toBe(platform);
    expect(user.name.length).toBeGreaterThan(0);
  });

  it("close() ends open iterators and may be called twice", async () => {
    const iterator = f.adapter.events();
    await f.adapter.close();
    await f.adapter.close();
    // What was queued before close (a connection.state event, say) is still read, then it ends.
    // The loop ends (or the test times out): what was queued before close is read, then done.
    for await (const _ of iterator) {
      /* drain */
    }
    expect(await f.adapter.events().next()).toEqual({ value: undefined, done: true });
  });
});
