/**
 * One contract, two stores: every case runs against MemoryBotStore and SqliteBotStore (in memory
 * and on a file), so the in-memory store used in tests behaves like the durable one.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { MemoryBotStore } from "../../src/bot/store/memory.js";
import { SqliteBotStore } from "../../src/bot/store/sqlite.js";
import type { BotStore, StoredUpdate } from "../../src/bot/types.js";
import type { AdapterEvent } from "../../src/core/adapter.js";
import { ref } from "../../src/core/model.js";

const dir = mkdtempSync(join(tmpdir(), "bot-store-contract-"));
let fileCount = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kinds: [string, () => BotStore][] = [
  ["memory", () => new MemoryBotStore()],
  ["sqlite :memory:", () => new SqliteBotStore(":memory:")],
  ["sqlite file", () => new SqliteBotStore(join(dir, `store-${++fileCount}.db`))],
];

function messageEvent(id: string, chat = "c1", text = `text ${id}`): AdapterEvent {
  return {
    type: "message.created",
    id,
    message: {
      ref: ref("maxbot", "bot", id),
      chat: ref("maxbot", "bot", chat),
      author: ref("maxbot", "bot", "u1"),
      segments: [{ type: "text", text }],
      date: 1_700_000_000_000,
    },
  } as unknown as AdapterEvent;
}

function update(id: string, chat = "c1"): Omit<StoredUpdate, "seq" | "attempts"> {
  return {
    key: `maxbot:bot:${id}`,
    chatKey: `maxbot:bot:${chat}`,
    account: "maxbot:bot",
    event: messageEvent(id, chat),
    receivedAt: 1000,
  };
}

const chat = ref("maxbot", "bot", "c1");

for (const [name, make] of kinds) {
  describe(`BotStore contract: ${name}`, () => {
    let store: BotStore;
    afterEach(() => store?.close());

    it("admits a key once, keeps admission order and round-trips the event", () => {
      store = make();
      expect(store.admit(update("1"))).toBe(true);
      expect(store.admit(update("2", "c2"))).toBe(true);
      expect(store.admit(update("1"))).toBe(false);
      const pending = store.pending(10);
      expect(pending.map((u) => u.key)).toEqual(["maxbot:bot:1", "maxbot:bot:2"]);
      expect(pending[0]?.seq).toBeLessThan(pending[1]?.seq ?? 0);
      expect(pending[0]).toMatchObject({
        chatKey: "maxbot:bot:c1",
        account: "maxbot:bot",
        attempts: 0,
        receivedAt: 1000,
      });
      expect(pending[0]?.event).toEqual(messageEvent("1"));
      expect(store.pending(1)).toHaveLength(1);
    });

    it("counts starts, completes, stays de-duplicated after completion, prunes old done keys", () => {
      store = make();
      store.admit(update("1"));
      store.admit(update("2"));
      expect(store.started("maxbot:bot:1")).toBe(1);
      expect(store.started("maxbot:bot:1")).toBe(2);
      expect(store.pending(10)[0]?.attempts).toBe(2);
      store.complete("maxbot:bot:1");
      expect(store.pending(10).map((u) => u.key)).toEqual(["maxbot:bot:2"]);
      expect(store.admit(update("1"))).toBe(false);
      expect(() => store.started("nope")).toThrow(/unknown update/);
      expect(() => store.complete("nope")).toThrow(/unknown update/);
      // Not old enough yet: kept.
      expect(store.prune(60_000, Date.now())).toBe(0);
      expect(store.prune(0, Date.now() + 10)).toBe(1);
      // A pruned key may come back (only within the retention window are keys de-duplicated).
      expect(store.admit(update("1"))).toBe(true);
      const seqs = store.pending(10).map((u) => u.seq);
      expect(seqs[1]).toBeGreaterThan(seqs[0] ?? Number.POSITIVE_INFINITY);
    });

    it("reads one chat's pending updates in order, after a seq, and lists the chats with pending ones", () => {
      store = make();
      expect(store.pendingChats()).toEqual([]);
      expect(store.pendingOf("maxbot:bot:c1", 10)).toEqual([]);
      for (const [id, c] of [
        ["1", "c2"],
        ["2", "c1"],
        ["3", "c2"],
        ["4", "c1"],
        ["5", "c1"],
        ["6", "c3"],
      ] as const)
        store.admit(update(id, c));
      const c1 = store.pendingOf("maxbot:bot:c1", 10);
      expect(c1.map((u) => u.key)).toEqual(["maxbot:bot:2", "maxbot:bot:4", "maxbot:bot:5"]);
      expect(c1[0]?.event).toEqual(messageEvent("2", "c1"));
      expect(store.pendingOf("maxbot:bot:c1", 2).map((u) => u.key)).toEqual(["maxbot:bot:2", "maxbot:bot:4"]);
      expect(store.pendingOf("maxbot:bot:c1", 10, c1[0]?.seq).map((u) => u.key)).toEqual([
        "maxbot:bot:4",
        "maxbot:bot:5",
      ]);
      // Ordered by each chat's oldest pending update; lastSeq is its newest.
      const seqOf = (id: string) => store.pending(10).find((u) => u.key === `maxbot:bot:${id}`)?.seq;
      expect(store.pendingChats()).toEqual([
        { chatKey: "maxbot:bot:c2", account: "maxbot:bot", lastSeq: seqOf("3") },
        { chatKey: "maxbot:bot:c1", account: "maxbot:bot", lastSeq: seqOf("5") },
        { chatKey: "maxbot:bot:c3", account: "maxbot:bot", lastSeq: seqOf("6") },
      ]);
      store.complete("maxbot:bot:1");
      store.complete("maxbot:bot:3");
      store.complete("maxbot:bot:4");
      expect(store.pendingOf("maxbot:bot:c1", 10).map((u) => u.key)).toEqual([
        "maxbot:bot:2",
        "maxbot:bot:5",
      ]);
      expect(store.pendingChats().map((c) => c.chatKey)).toEqual(["maxbot:bot:c1", "maxbot:bot:c3"]);
      // A rolled-back completion puts the update back in its place.
      expect(() =>
        store.transaction(() => {
          store.complete("maxbot:bot:2");
          store.complete("maxbot:bot:5");
          throw new Error("rollback");
        }),
      ).toThrow("rollback");
      expect(store.pendingOf("maxbot:bot:c1", 10).map((u) => u.key)).toEqual([
        "maxbot:bot:2",
        "maxbot:bot:5",
      ]);
      expect(store.pendingChats().map((c) => c.chatKey)).toEqual(["maxbot:bot:c1", "maxbot:bot:c3"]);
    });

    it("keeps cursors per chat", () => {
      store = make();
      expect(store.cursor("a")).toBeUndefined();
      store.setCursor("b", "2");
      store.setCursor("a", "1");
      store.setCursor("a", "3");
      expect(store.cursor("a")).toBe("3");
      expect(store.cursors()).toEqual([
        { chatKey: "a", cursor: "3" },
        { chatKey: "b", cursor: "2" },
      ]);
    });

    it("transaction commits together, rolls back together on a throw, and nested calls join", () => {
      store = make();
      store.admit(update("1"));
      store.transaction(() => {
        store.setCursor("maxbot:bot:c1", "1");
        store.transaction(() => store.complete("maxbot:bot:1"));
      });
      expect(store.pending(10)).toEqual([]);
      expect(store.cursor("maxbot:bot:c1")).toBe("1");

      store.admit(update("2"));
      expect(() =>
        store.transaction(() => {
          store.complete("maxbot:bot:2");
          store.setCursor("maxbot:bot:c1", "2");
          store.putSession("s", { value: { n: 1 }, schema: 1 }, 0);
          store.putConversation("conv", { step: 1 });
          store.transaction(() => {
            throw new Error("boom");
          });
        }),
      ).toThrow("boom");
      expect(store.pending(10).map((u) => u.key)).toEqual(["maxbot:bot:2"]);
      expect(store.cursor("maxbot:bot:c1")).toBe("1");
      expect(store.getSession("s", Date.now())).toBeUndefined();
      expect(store.getConversation("conv")).toBeUndefined();
      expect(store.transaction(() => 42)).toBe(42);
    });

    it("rejects an async transaction function without committing it", () => {
      store = make();
      store.admit(update("1"));
      expect(() =>
        store.transaction((() => {
          store.complete("maxbot:bot:1");
          return Promise.resolve();
        }) as () => unknown),
      ).toThrow(/synchronous/);
      expect(store.pending(10)).toHaveLength(1);
    });

    it("outbox: enqueue is idempotent per key; due orders replies first, then by creation", async () => {
      store = make();
      const now = Date.now();
      const b1 = store.enqueue({
        key: "b1",
        account: "maxbot:bot",
        chat,
        op: "send",
        content: [{ type: "text", text: "b1" }],
        priority: "broadcast",
        dueAt: now,
      });
      expect(b1).toMatchObject({ key: "b1", status: "queued", attempts: 0, dueAt: now });
      expect(b1.createdAt).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 3));
      store.enqueue({
        key: "r1",
        account: "maxbot:bot",
        chat,
        op: "send",
        content: [{ type: "text", text: "r1" }],
        target: ref("maxbot", "bot", "m1"),
        priority: "reply",
        dueAt: now,
      });
      store.enqueue({
        key: "later",
        account: "maxbot:bot",
        chat,
        op: "react",
        content: [],
        target: ref("maxbot", "bot", "m1"),
        priority: "reply",
        dueAt: now + 60_000,
      });
      const again = store.enqueue({
        key: "b1",
        account: "x",
        chat,
        op: "delete",
        content: [],
        priority: "reply",
        dueAt: 0,
      });
      expect(again).toEqual(b1);
      expect(store.due(now, 10).map((i) => i.key)).toEqual(["r1", "b1"]);
      expect(store.due(now, 1).map((i) => i.key)).toEqual(["r1"]);
      expect(store.due(now + 60_000, 10).map((i) => i.key)).toEqual(["r1", "later", "b1"]);
      expect(store.outboxItem("r1")?.target).toEqual(ref("maxbot", "bot", "m1"));
      expect(store.outboxItem("r1")?.content).toEqual([{ type: "text", text: "r1" }]);
      expect(store.outboxItem("missing")).toBeUndefined();
    });

    it("outbox: retryLater postpones, markSent stores the result, markFailed ends it; each counts an attempt", () => {
      store = make();
      const now = Date.now();
      for (const key of ["a", "b"]) {
        store.enqueue({
          key,
          account: "maxbot:bot",
          chat,
          op: "send",
          content: [{ type: "text", text: key }],
          priority: "reply",
          dueAt: now,
        });
      }
      store.retryLater("a", now + 500, "rate_limited: slow down");
      expect(store.due(now, 10).map((i) => i.key)).toEqual(["b"]);
      expect(store.outboxItem("a")).toMatchObject({
        attempts: 1,
        dueAt: now + 500,
        error: "rate_limited: slow down",
        status: "queued",
      });
      const result = { ids: [ref("maxbot", "bot", "m9")] };
      store.markSent("a", result);
      expect(store.outboxItem("a")).toMatchObject({ status: "sent", attempts: 2, result });
      expect(store.outboxItem("a")?.error).toBeUndefined();
      store.markFailed("b", "forbidden: no access");
      expect(store.outboxItem("b")).toMatchObject({
        status: "failed",
        attempts: 1,
        error: "forbidden: no access",
      });
      expect(store.due(now + 1000, 10)).toEqual([]);
      store.markSent("b", undefined);
      expect(store.outboxItem("b")?.result).toBeUndefined();
      expect(() => store.markSent("nope", undefined)).toThrow(/unknown outbox item/);
      expect(() => store.retryLater("nope", 0, "x")).toThrow(/unknown outbox item/);
      expect(() => store.markFailed("nope", "x")).toThrow(/unknown outbox item/);
    });

    it("sessions: optimistic versions, expiry, delete", () => {
      store = make();
      const now = Date.now();
      expect(store.getSession("k", now)).toBeUndefined();
      expect(store.putSession("k", { value: { n: 1 }, schema: 1 }, 1)).toBe(false);
      expect(store.putSession("k", { value: { n: 1 }, schema: 1 }, 0)).toBe(true);
      expect(store.getSession("k", now)).toEqual({ value: { n: 1 }, version: 1, schema: 1 });
      expect(store.putSession("k", { value: { n: 2 }, schema: 2 }, 0)).toBe(false);
      expect(store.putSession("k", { value: { n: 2 }, schema: 2, expiresAt: now + 1000 }, 1)).toBe(true);
      expect(store.putSession("k", { value: { n: 3 }, schema: 2 }, 1)).toBe(false);
      expect(store.getSession("k", now)).toEqual({
        value: { n: 2 },
        version: 2,
        schema: 2,
        expiresAt: now + 1000,
      });
      expect(store.getSession("k", now + 1000)).toBeUndefined();
      // Expired: reads as absent, and a writer that saw nothing (0) may replace it; versions keep growing.
      expect(store.putSession("e", { value: "old", schema: 1, expiresAt: now - 1 }, 0)).toBe(true);
      expect(store.getSession("e", now)).toBeUndefined();
      expect(store.putSession("e", { value: "new", schema: 1 }, 0)).toBe(true);
      expect(store.getSession("e", now)).toEqual({ value: "new", version: 2, schema: 1 });
      store.deleteSession("k");
      expect(store.getSession("k", now)).toBeUndefined();
      expect(store.putSession("k", { value: null, schema: 1 }, 0)).toBe(true);
      expect(store.getSession("k", now)).toEqual({ value: null, version: 1, schema: 1 });
    });

    it("conversations: put, replace, expire, delete", () => {
      store = make();
      expect(store.getConversation("c")).toBeUndefined();
      store.putConversation("c", { name: "order", answers: [1, "two"] });
      expect(store.getConversation("c")).toEqual({ name: "order", answers: [1, "two"] });
      store.putConversation("c", { name: "order", answers: [] }, Date.now() + 60_000);
      expect(store.getConversation("c")).toEqual({ name: "order", answers: [] });
      store.putConversation("gone", { x: 1 }, Date.now() - 1);
      expect(store.getConversation("gone")).toBeUndefined();
      store.deleteConversation("c");
      expect(store.getConversation("c")).toBeUndefined();
    });

    it("refuses calls after close", () => {
      store = make();
      store.close();
      expect(() => store.admit(update("1"))).toThrow();
      expect(() => store.close()).not.toThrow();
    });
  });
}

describe("SqliteBotStore on a file", () => {
  it("keeps everything across a reopen, applies migrations once, runs in WAL", () => {
    const file = join(dir, "reopen.db");
    const first = new SqliteBotStore(file);
    expect(first.db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(first.db.pragma("synchronous", { simple: true })).toBe(1); // NORMAL, the default
    first.admit(update("1"));
    first.admit(update("2"));
    first.started("maxbot:bot:1");
    first.transaction(() => {
      first.complete("maxbot:bot:1");
      first.setCursor("maxbot:bot:c1", JSON.stringify(ref("maxbot", "bot", "1")));
    });
    first.putSession("s", { value: { a: 1 }, schema: 3 }, 0);
    first.close();

    const second = new SqliteBotStore(file, { synchronous: "FULL" });
    expect(second.db.pragma("synchronous", { simple: true })).toBe(2);
    const migrations = second.db.prepare("SELECT id FROM bot_migrations ORDER BY id").all() as {
      id: string;
    }[];
    expect(migrations.map((m) => m.id)).toEqual([
      "bot:001-inbox",
      "bot:002-outbox",
      "bot:003-sessions",
      "bot:004-inbox-pending-by-chat",
    ]);
    expect(second.pending(10).map((u) => u.key)).toEqual(["maxbot:bot:2"]);
    expect(second.admit(update("1"))).toBe(false);
    expect(second.cursors()).toEqual([
      { chatKey: "maxbot:bot:c1", cursor: JSON.stringify(ref("maxbot", "bot", "1")) },
    ]);
    expect(second.getSession("s", Date.now())).toEqual({ value: { a: 1 }, version: 1, schema: 3 });
    const tables = second.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'bot_%' ORDER BY name")
      .all() as { name: string }[];
    expect(tables.map((t) => t.name)).toEqual([
      "bot_conversations",
      "bot_cursors",
      "bot_inbox",
      "bot_migrations",
      "bot_outbox",
      "bot_sessions",
    ]);
    second.close();
  });
});
