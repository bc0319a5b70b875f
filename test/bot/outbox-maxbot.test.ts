/**
 * The outbox against the MAX Bot API emulator's own limit (30 requests per second per token,
 * 429 beyond, no Retry-After): the documented limit keeps a burst below it; told a higher limit,
 * the outbox meets 429s, pauses, learns a lower rate, and still delivers every message once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutbox } from "../../src/bot/outbox.js";
import { MemoryBotStore } from "../../src/bot/store/memory.js";
import { UnsupportedError } from "../../src/core/errors.js";
import type { Ref } from "../../src/core/model.js";
import { ref } from "../../src/core/model.js";
import { MaxBotAdapter } from "../../src/maxbot/adapter.js";
import { MaxBotClient } from "../../src/maxbot/client/index.js";
import { type BotWorld, startBotWorld } from "../maxbot/harness.js";

const text = (t: string) => [{ type: "text" as const, text: t }];

describe("outbox on the MAX Bot API's 30 requests/s", () => {
  let world: BotWorld;
  let adapter: MaxBotAdapter;
  let chat: Ref;
  let accountKey: string;

  beforeAll(async () => {
    world = await startBotWorld();
    const bot = await world.createBot("Outbox bot", "outbox_bot");
    const alice = await world.user("Alice");
    const group = await alice.createGroup("Outbox group", []);
    await world.admin("POST", `/_sandbox/maxbot/bots/${bot.userId}/chats`, {
      chatId: group.id,
      admin: true,
      byUserId: alice.userId,
    });
    // The client never retries a 429 itself: the outbox's handling is under test.
    const client = new MaxBotClient({
      url: world.botApi,
      token: bot.token,
      account: "outbox_bot",
      retries: 0,
    });
    adapter = new MaxBotAdapter(client, { pollTimeout: 1 });
    await adapter.connect();
    chat = ref("maxbot", adapter.account, group.id);
    accountKey = `maxbot:${adapter.account}`;
  }, 30_000);

  afterAll(async () => {
    await adapter?.close();
    await world?.close();
  });

  async function countOf(prefix: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const m of await adapter.history(chat, { limit: 100 })) {
      const t = m.content.map((s) => (s.type === "text" ? s.text : "")).join("");
      if (t.startsWith(prefix)) counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    return counts;
  }

  it("the documented 30/s keeps 45 sends under the emulator's limit (no 429 learned)", async () => {
    const store = new MemoryBotStore();
    const outbox = createOutbox({ store, adapters: new Map([[accountKey, adapter]]) });
    outbox.start();
    const started = Date.now();
    const n = 45;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        outbox.submit({
          key: `doc-${i}`,
          account: accountKey,
          chat,
          op: "send",
          content: text(`doc-${i}`),
          priority: "broadcast",
        }),
      ),
    );
    // 24/s with 3 at once: (45 − 3) / 24 ≈ 1.75 s at least.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(outbox.bucketOf(accountKey)?.rate).toBeCloseTo(24, 5);
    const counts = await countOf("doc-");
    expect(counts.size).toBe(n);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    await outbox.drain(2000);
  }, 30_000);

  it("told 300/s it meets 429s, pauses and learns a lower rate, and delivers each message once", async () => {
    const store = new MemoryBotStore();
    const outbox = createOutbox({
      store,
      adapters: new Map([[accountKey, adapter]]),
      limits: { maxbot: { perSecond: 300 } },
      concurrency: 16,
    });
    outbox.start();
    const n = 50;
    // The rate grows back after each second of successes, so on a slow machine it may be whole
    // again by the end: watch the lowest rate while the sends are in flight.
    let lowest = Number.POSITIVE_INFINITY;
    const watch = setInterval(() => {
      lowest = Math.min(lowest, outbox.bucketOf(accountKey)?.rate ?? lowest);
    }, 5);
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        outbox.submit({
          key: `fast-${i}`,
          account: accountKey,
          chat: { ...chat },
          op: "send",
          content: text(`fast-${i}`),
          priority: "broadcast",
        }),
      ),
    );
    clearInterval(watch);
    expect(results.every((r) => r?.ids.length === 1)).toBe(true);
    // Learned: below the 240/s it started with (halved at the first 429).
    expect(lowest).toBeLessThanOrEqual(120);
    const counts = await countOf("fast-");
    expect(counts.size).toBe(n);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    await outbox.drain(2000);
  }, 30_000);
  it("edit, delete and react go to the adapter's own methods; an unsupported one fails at once", async () => {
    const store = new MemoryBotStore();
    const outbox = createOutbox({ store, adapters: new Map([[accountKey, adapter]]) });
    outbox.start();
    const base = { account: accountKey, chat, priority: "reply" as const };
    const sent = await outbox.submit({ ...base, key: "ops-send", op: "send", content: text("ops: first") });
    const target = sent?.ids[0];
    expect(target).toBeDefined();
    const kept = await outbox.submit({ ...base, key: "ops-keep", op: "send", content: text("ops: kept") });
    await outbox.submit({ ...base, key: "ops-edit", op: "edit", target, content: text("ops: edited") });
    let texts = (await adapter.history(chat, { limit: 100 })).map((m) => ({
      id: m.ref.id,
      text: m.content.map((s) => (s.type === "text" ? s.text : "")).join(""),
    }));
    expect(texts.find((m) => m.id === target?.id)?.text).toBe("ops: edited");
    // The Bot API has no reactions: UnsupportedError, not retried.
    await expect(
      outbox.submit({ ...base, key: "ops-react", op: "react", target, content: text("👍") }),
    ).rejects.toBeInstanceOf(UnsupportedError);
    expect(store.outboxItem("ops-react")).toMatchObject({ status: "failed", attempts: 1 });
    await outbox.submit({ ...base, key: "ops-delete", op: "delete", target, content: [] });
    texts = (await adapter.history(chat, { limit: 100 })).map((m) => ({
      id: m.ref.id,
      text: m.content.map((s) => (s.type === "text" ? s.text : "")).join(""),
    }));
    expect(texts.some((m) => m.id === target?.id)).toBe(false);
    expect(texts.some((m) => m.id === kept?.ids[0]?.id)).toBe(true);
    await outbox.drain(2000);
  }, 20_000);
});
