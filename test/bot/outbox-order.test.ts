/**
 * The outbox against the MaxIM emulator over loopback: replies before broadcasts, the per-chat
 * limit measured on the wire, one chat's items in order, the same key sent once, bad items
 * rejected before anything is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutbox } from "../../src/bot/outbox.js";
import { MemoryBotStore } from "../../src/bot/store/memory.js";
import { ValidationError } from "../../src/core/errors.js";
import { type MaxImSide, maximSide, startWorld, type World } from "./outbox-fixtures.js";

const text = (t: string) => [{ type: "text" as const, text: t }];

describe("outbox on MaxIM", () => {
  let world: World;
  let side: MaxImSide;

  beforeAll(async () => {
    world = await startWorld();
    side = await maximSide(world);
  }, 30_000);

  afterAll(async () => {
    await side?.close();
    await world?.close();
  });

  it("sends queued replies before queued broadcasts", async () => {
    const store = new MemoryBotStore();
    const outbox = createOutbox({ store, adapters: new Map([[side.accountKey, side.adapter]]) });
    const submit = (key: string, priority: "reply" | "broadcast") =>
      outbox.submit({
        key,
        account: side.accountKey,
        chat: side.group,
        op: "send",
        content: text(key),
        priority,
      });
    // Queued before the outbox starts: broadcasts first, then replies.
    const sends = [
      submit("order-b1", "broadcast"),
      submit("order-b2", "broadcast"),
      submit("order-r1", "reply"),
      submit("order-r2", "reply"),
    ];
    outbox.start();
    const results = await Promise.all(sends);
    expect(results.every((r) => r !== undefined && r.ids.length === 1)).toBe(true);
    expect(side.stored(side.group)).toEqual(["order-r1", "order-r2", "order-b1", "order-b2"]);
    expect(store.outboxItem("order-b2")?.status).toBe("sent");
    await outbox.drain(2000);
  }, 20_000);

  it("keeps to the per-chat limit (send times measured) while another chat is not held back", async () => {
    const store = new MemoryBotStore();
    // 5 per second per chat: a bucket of 4/s holding 1 token.
    const outbox = createOutbox({
      store,
      adapters: new Map([[side.accountKey, side.adapter]]),
      limits: { maxim: { perChatPerSecond: 5, perSecond: 100 } },
    });
    outbox.start();
    const sentAt: number[] = [];
    const started = Date.now();
    const n = 8;
    const chat1 = Array.from({ length: n }, (_, i) =>
      outbox
        .submit({
          key: `rate-${i}`,
          account: side.accountKey,
          chat: side.group,
          op: "send",
          content: text(`rate-${i}`),
          priority: "broadcast",
        })
        .then(() => sentAt.push(Date.now() - started)),
    );
    const other = outbox.submit({
      key: "rate-other",
      account: side.accountKey,
      chat: side.group2,
      op: "send",
      content: text("rate-other"),
      priority: "broadcast",
    });
    const otherDone = other.then(() => Date.now() - started);
    await Promise.all(chat1);
    // The first goes at once; each later one waits ~1/4 s for a token: 7 × 250 ms ≈ 1.75 s.
    expect(sentAt.length).toBe(n);
    const span = (sentAt[n - 1] ?? 0) - (sentAt[0] ?? 0);
    expect(span).toBeGreaterThanOrEqual(1400);
    expect(span).toBeLessThan(6000);
    // No sliding second held more than 5 sends of the chat.
    for (let i = 0; i + 5 < n; i++)
      expect((sentAt[i + 5] ?? 0) - (sentAt[i] ?? 0)).toBeGreaterThanOrEqual(950);
    // The other chat was not queued behind the first one's limit.
    expect(await otherDone).toBeLessThan(1000);
    expect(side.stored(side.group).filter((t) => t.startsWith("rate-"))).toEqual(
      Array.from({ length: n }, (_, i) => `rate-${i}`),
    );
    await outbox.drain(2000);
  }, 20_000);

  it("sends the same key once and answers both submits with the first result", async () => {
    const store = new MemoryBotStore();
    const outbox = createOutbox({ store, adapters: new Map([[side.accountKey, side.adapter]]) });
    outbox.start();
    const item = {
      key: "same-key",
      account: side.accountKey,
      chat: side.group2,
      op: "send" as const,
      content: text("same key"),
      priority: "reply" as const,
    };
    const [a, b] = await Promise.all([outbox.submit(item), outbox.submit(item)]);
    const c = await outbox.submit({ ...item, content: text("same key, other text") });
    expect(a?.ids[0]?.id).toBeDefined();
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(side.stored(side.group2).filter((t) => t.startsWith("same key"))).toEqual(["same key"]);
    await outbox.drain(2000);
  }, 20_000);

  it("rejects bad items before storing them", async () => {
    const store = new MemoryBotStore();
    const outbox = createOutbox({ store, adapters: new Map([[side.accountKey, side.adapter]]) });
    const base = {
      account: side.accountKey,
      chat: side.group,
      content: text("x"),
      priority: "reply" as const,
    };
    await expect(outbox.submit({ ...base, key: "bad-1", op: "edit" })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(
      outbox.submit({ ...base, key: "bad-2", op: "send", account: "maxim:nobody" }),
    ).rejects.toThrow(/no adapter/);
    await expect(outbox.submit({ ...base, key: "", op: "send" })).rejects.toThrow(/key/);
    const noContent = { ...base, key: "bad-3", op: "send", content: "text" } as unknown as Parameters<
      typeof outbox.submit
    >[0];
    await expect(outbox.submit(noContent)).rejects.toThrow(/content: an array/);
    expect(store.outboxItem("bad-3")).toBeUndefined();
    expect(store.outboxItem("bad-1")).toBeUndefined();
    expect(store.outboxItem("bad-2")).toBeUndefined();
  });
});
