/**
 * The outbox under the sandbox's network faults (POST /_sandbox/<platform>/faults/http) and a
 * forwarder that loses an answer after the server committed the send: rate limits pause and
 * slow the account, dropped connections and 5xx are retried, and every text reaches the
 * platform exactly once (counted in the emulator's own store or the platform's history).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createOutbox } from "../../src/bot/outbox.js";
import { MemoryBotStore } from "../../src/bot/store/memory.js";
import { ApiError, TransportError } from "../../src/core/errors.js";
import {
  AnswerCutter,
  historyTexts,
  type MaxImSide,
  maximSide,
  startWorld,
  type VkLiveSide,
  vkliveSide,
  type World,
} from "./outbox-fixtures.js";

const text = (t: string) => [{ type: "text" as const, text: t }];

describe("outbox under faults", () => {
  let world: World;
  let maxim: MaxImSide;
  let vk: VkLiveSide;

  beforeAll(async () => {
    world = await startWorld();
    maxim = await maximSide(world);
    vk = await vkliveSide(world);
  }, 30_000);

  afterEach(async () => {
    await world.fault("maxim", { action: "clear" });
    await world.fault("vklive", { action: "clear" });
  });

  afterAll(async () => {
    await vk?.close();
    await maxim?.close();
    await world?.close();
  });

  it("a 429 with Retry-After pauses the account, lowers its rate, and each message arrives once", async () => {
    // One send per second per token; the next answers 429 ratelimit_exceeded with Retry-After.
    await world.fault("vklive", {
      action: "rate-limit",
      limit: 1,
      windowMs: 1000,
      path: "/v1/chat/message/send",
    });
    const store = new MemoryBotStore();
    const outbox = createOutbox({ store, adapters: new Map([[vk.accountKey, vk.adapter]]) });
    const before = Date.now();
    const done: number[] = [];
    const sends = ["rl-1", "rl-2", "rl-3"].map((t) =>
      outbox
        .submit({
          key: t,
          account: vk.accountKey,
          chat: vk.chat,
          op: "send",
          content: text(t),
          priority: "reply",
        })
        .then((r) => {
          done.push(Date.now() - before);
          return r;
        }),
    );
    outbox.start();
    const results = await Promise.all(sends);
    expect(results.every((r) => r?.ids.length === 1)).toBe(true);
    // rl-2 and rl-3 each waited out a Retry-After of ~1 s.
    expect(done[1] ?? 0).toBeGreaterThanOrEqual(800);
    expect((done[2] ?? 0) - (done[1] ?? 0)).toBeGreaterThanOrEqual(800);
    // Learned: the account's bucket is below its starting 8/s (10/s × 0.8).
    expect(outbox.bucketOf(vk.accountKey)?.rate).toBeLessThan(8);
    expect((await historyTexts(vk.adapter, vk.chat)).filter((t) => t.startsWith("rl-"))).toEqual([
      "rl-1",
      "rl-2",
      "rl-3",
    ]);
    // A rate limit is not the item's failure: one attempt each on the record.
    expect(store.outboxItem("rl-3")?.attempts).toBe(1);
    await outbox.drain(2000);
  }, 20_000);

  it("retries 5xx answers with backoff and delivers once", async () => {
    await world.fault("vklive", {
      action: "fail",
      error: "service_unavailable",
      times: 2,
      path: "/v1/chat/message/send",
    });
    const store = new MemoryBotStore();
    const outbox = createOutbox({
      store,
      adapters: new Map([[vk.accountKey, vk.adapter]]),
      backoffBaseMs: 50,
    });
    outbox.start();
    const r = await outbox.submit({
      key: "5xx",
      account: vk.accountKey,
      chat: vk.chat,
      op: "send",
      content: text("after two 503s"),
      priority: "reply",
    });
    expect(r?.ids).toHaveLength(1);
    expect(store.outboxItem("5xx")).toMatchObject({ status: "sent", attempts: 3 });
    expect((await historyTexts(vk.adapter, vk.chat)).filter((t) => t === "after two 503s")).toHaveLength(1);
    await outbox.drain(2000);
  }, 20_000);

  it("fails a non-retryable error at once; the same key later answers that failure", async () => {
    await world.fault("vklive", {
      action: "fail",
      error: "forbidden",
      times: 1,
      path: "/v1/chat/message/send",
    });
    const store = new MemoryBotStore();
    const outbox = createOutbox({
      store,
      adapters: new Map([[vk.accountKey, vk.adapter]]),
      backoffBaseMs: 50,
    });
    outbox.start();
    const item = {
      key: "forbidden",
      account: vk.accountKey,
      chat: vk.chat,
      op: "send" as const,
      content: text("never sent"),
      priority: "reply" as const,
    };
    await expect(outbox.submit(item)).rejects.toBeInstanceOf(ApiError);
    expect(store.outboxItem("forbidden")).toMatchObject({ status: "failed", attempts: 1 });
    expect(store.outboxItem("forbidden")?.error).toMatch(/^forbidden: /);
    await expect(outbox.submit(item)).rejects.toThrow(/failed earlier/);
    expect((await historyTexts(vk.adapter, vk.chat)).includes("never sent")).toBe(false);
    await outbox.drain(2000);
  }, 20_000);

  it("a connection dropped mid-send is retried and the message is stored once", async () => {
    await world.fault("maxim", { action: "drop", times: 1, path: "/message/send" });
    const store = new MemoryBotStore();
    const outbox = createOutbox({
      store,
      adapters: new Map([[maxim.accountKey, maxim.adapter]]),
      backoffBaseMs: 50,
    });
    outbox.start();
    const r = await outbox.submit({
      key: "drop-1",
      account: maxim.accountKey,
      chat: maxim.group,
      op: "send",
      content: text("through a drop"),
      priority: "reply",
    });
    expect(r?.ids).toHaveLength(1);
    expect(store.outboxItem("drop-1")).toMatchObject({ status: "sent", attempts: 2 });
    expect(maxim.stored(maxim.group).filter((t) => t === "through a drop")).toHaveLength(1);
    await outbox.drain(2000);
  }, 20_000);

  it("gives up after maxAttempts and rejects with the last error", async () => {
    await world.fault("maxim", { action: "drop", times: 10, path: "/message/send" });
    const store = new MemoryBotStore();
    const outbox = createOutbox({
      store,
      adapters: new Map([[maxim.accountKey, maxim.adapter]]),
      backoffBaseMs: 20,
      maxAttempts: 3,
    });
    outbox.start();
    await expect(
      outbox.submit({
        key: "drop-all",
        account: maxim.accountKey,
        chat: maxim.group,
        op: "send",
        content: text("never through"),
        priority: "reply",
      }),
    ).rejects.toBeInstanceOf(TransportError);
    expect(store.outboxItem("drop-all")).toMatchObject({ status: "failed", attempts: 3 });
    expect(maxim.stored(maxim.group)).not.toContain("never through");
    await outbox.drain(2000);
  }, 20_000);

  it("an answer lost after the server stored the message: the retry (same transaction_id) adds nothing", async () => {
    const cutter = new AnswerCutter();
    const side = await maximSide(world, (url) => cutter.start(url));
    try {
      const store = new MemoryBotStore();
      const outbox = createOutbox({
        store,
        adapters: new Map([[side.accountKey, side.adapter]]),
        backoffBaseMs: 50,
      });
      outbox.start();
      cutter.arm("POST /message/send");
      const r = await outbox.submit({
        key: "lost-answer",
        account: side.accountKey,
        chat: side.group,
        op: "send",
        content: text("answer lost"),
        priority: "reply",
      });
      expect(cutter.cut).toBe(1);
      expect(store.outboxItem("lost-answer")).toMatchObject({ status: "sent", attempts: 2 });
      // The first attempt reached the server; the retry was acknowledged without a second message.
      expect(side.stored(side.group).filter((t) => t === "answer lost")).toHaveLength(1);
      expect(r?.ids).toHaveLength(1);
      await outbox.drain(2000);
    } finally {
      await side.close();
      await cutter.close();
    }
  }, 20_000);
});
