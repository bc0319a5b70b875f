/**
 * BotStore in memory: the same contract as the SQLite store (test/bot/store-contract.test.ts runs
 * one suite against both), for tests and throwaway bots. Values are copied in and out through
 * JSON, as the SQLite store stores them, so both behave alike; a transaction that throws restores
 * the state it started from.
 */
import type { SendResult } from "../../core/adapter.js";
import type { BotStore, OutboxItem, SessionRecord, StoredUpdate } from "../types.js";

interface InboxRow {
  update: StoredUpdate;
  /** ms when completed; undefined while pending. */
  doneAt?: number;
}

interface ConversationRow {
  state: unknown;
  expiresAt?: number;
}

interface State {
  seq: number;
  inbox: Map<string, InboxRow>;
  cursors: Map<string, string>;
  outbox: Map<string, { item: OutboxItem; order: number }>;
  outboxOrder: number;
  sessions: Map<string, SessionRecord>;
  conversations: Map<string, ConversationRow>;
}

function copy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function emptyState(): State {
  return {
    seq: 0,
    inbox: new Map(),
    cursors: new Map(),
    outbox: new Map(),
    outboxOrder: 0,
    sessions: new Map(),
    conversations: new Map(),
  };
}

function cloneState(s: State): State {
  return {
    seq: s.seq,
    inbox: new Map([...s.inbox].map(([k, v]) => [k, { update: { ...v.update }, doneAt: v.doneAt }])),
    cursors: new Map(s.cursors),
    outbox: new Map([...s.outbox].map(([k, v]) => [k, { item: { ...v.item }, order: v.order }])),
    outboxOrder: s.outboxOrder,
    sessions: new Map([...s.sessions].map(([k, v]) => [k, { ...v }])),
    conversations: new Map([...s.conversations].map(([k, v]) => [k, { ...v }])),
  };
}

export class MemoryBotStore implements BotStore {
  private state: State = emptyState();
  private depth = 0;
  private closed = false;

  transaction<T>(fn: () => T): T {
    this.assertOpen();
    if (this.depth > 0) {
      // Nested: joins the outer transaction (its failure rolls back with the outer one).
      this.depth++;
      try {
        return fn();
      } finally {
        this.depth--;
      }
    }
    const snapshot = cloneState(this.state);
    this.depth = 1;
    try {
      const result = fn();
      if (result instanceof Promise) {
        throw new TypeError("BotStore.transaction takes a synchronous function");
      }
      return result;
    } catch (error) {
      this.state = snapshot;
      throw error;
    } finally {
      this.depth = 0;
    }
  }

  // ── inbox ──

  admit(update: Omit<StoredUpdate, "seq" | "attempts">): boolean {
    this.assertOpen();
    if (this.state.inbox.has(update.key)) return false;
    const stored: StoredUpdate = { ...copy(update), seq: ++this.state.seq, attempts: 0 };
    this.state.inbox.set(update.key, { update: stored });
    return true;
  }

  pending(limit: number): StoredUpdate[] {
    this.assertOpen();
    const rows = [...this.state.inbox.values()].filter((r) => r.doneAt === undefined);
    rows.sort((a, b) => a.update.seq - b.update.seq);
    return rows.slice(0, Math.max(0, limit)).map((r) => copy(r.update));
  }

  started(key: string): number {
    this.assertOpen();
    const row = this.state.inbox.get(key);
    if (!row) throw new Error(`unknown update ${key}`);
    row.update.attempts += 1;
    return row.update.attempts;
  }

  complete(key: string): void {
    this.assertOpen();
    const row = this.state.inbox.get(key);
    if (!row) throw new Error(`unknown update ${key}`);
    if (row.doneAt === undefined) row.doneAt = Date.now();
  }

  prune(olderThanMs: number, now: number): number {
    this.assertOpen();
    const limit = now - olderThanMs;
    let removed = 0;
    for (const [key, row] of this.state.inbox) {
      if (row.doneAt !== undefined && row.doneAt < limit) {
        this.state.inbox.delete(key);
        removed++;
      }
    }
    return removed;
  }

  cursor(chatKey: string): string | undefined {
    this.assertOpen();
    return this.state.cursors.get(chatKey);
  }

  setCursor(chatKey: string, cursor: string): void {
    this.assertOpen();
    this.state.cursors.set(chatKey, cursor);
  }

  cursors(): { chatKey: string; cursor: string }[] {
    this.assertOpen();
    return [...this.state.cursors]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([chatKey, cursor]) => ({ chatKey, cursor }));
  }

  // ── outbox ──

  enqueue(item: Omit<OutboxItem, "status" | "attempts" | "createdAt">): OutboxItem {
    this.assertOpen();
    const existing = this.state.outbox.get(item.key);
    if (existing) return copy(existing.item);
    const stored: OutboxItem = { ...copy(item), status: "queued", attempts: 0, createdAt: Date.now() };
    this.state.outbox.set(item.key, { item: stored, order: ++this.state.outboxOrder });
    return copy(stored);
  }

  outboxItem(key: string): OutboxItem | undefined {
    this.assertOpen();
    return copy(this.state.outbox.get(key)?.item);
  }

  due(now: number, limit: number): OutboxItem[] {
    this.assertOpen();
    const rows = [...this.state.outbox.values()].filter(
      (r) => r.item.status === "queued" && r.item.dueAt <= now,
    );
    const rank = (p: OutboxItem["priority"]) => (p === "reply" ? 0 : 1);
    rows.sort(
      (a, b) =>
        rank(a.item.priority) - rank(b.item.priority) ||
        a.item.createdAt - b.item.createdAt ||
        a.order - b.order,
    );
    return rows.slice(0, Math.max(0, limit)).map((r) => copy(r.item));
  }

  markSent(key: string, result: SendResult | undefined): void {
    const item = this.outboxRow(key);
    item.status = "sent";
    item.attempts += 1;
    item.result = copy(result);
    delete item.error;
  }

  retryLater(key: string, dueAt: number, error: string): void {
    const item = this.outboxRow(key);
    item.attempts += 1;
    item.dueAt = dueAt;
    item.error = error;
  }

  markFailed(key: string, error: string): void {
    const item = this.outboxRow(key);
    item.status = "failed";
    item.attempts += 1;
    item.error = error;
  }

  // ── sessions ──

  getSession(key: string, now: number): SessionRecord | undefined {
    this.assertOpen();
    const record = this.state.sessions.get(key);
    if (!record || isExpired(record.expiresAt, now)) return undefined;
    return copy(record);
  }

  putSession(key: string, record: Omit<SessionRecord, "version">, expectVersion: number): boolean {
    this.assertOpen();
    const stored = this.state.sessions.get(key);
    if (!versionMatches(stored, expectVersion, Date.now())) return false;
    const next: SessionRecord = { ...copy(record), version: (stored?.version ?? 0) + 1 };
    this.state.sessions.set(key, next);
    return true;
  }

  deleteSession(key: string): void {
    this.assertOpen();
    this.state.sessions.delete(key);
  }

  // ── conversations ──

  getConversation(key: string): unknown | undefined {
    this.assertOpen();
    const row = this.state.conversations.get(key);
    if (!row || isExpired(row.expiresAt, Date.now())) return undefined;
    return copy(row.state);
  }

  putConversation(key: string, state: unknown, expiresAt?: number): void {
    this.assertOpen();
    this.state.conversations.set(key, { state: copy(state), expiresAt });
  }

  deleteConversation(key: string): void {
    this.assertOpen();
    this.state.conversations.delete(key);
  }

  close(): void {
    this.closed = true;
  }

  private outboxRow(key: string): OutboxItem {
    this.assertOpen();
    const row = this.state.outbox.get(key);
    if (!row) throw new Error(`unknown outbox item ${key}`);
    return row.item;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("the bot store is closed");
  }
}

export function isExpired(expiresAt: number | undefined | null, now: number): boolean {
  return expiresAt !== undefined && expiresAt !== null && expiresAt <= now;
}

/**
 * Optimistic concurrency: the write names the version it read. An expired record reads as absent,
 * so a writer that saw nothing (0) may replace it; versions keep growing so an old reader still loses.
 */
export function versionMatches(
  stored: { version: number; expiresAt?: number } | undefined,
  expectVersion: number,
  now: number,
): boolean {
  if (!stored) return expectVersion === 0;
  if (stored.version === expectVersion) return true;
  return expectVersion === 0 && isExpired(stored.expiresAt, now);
}
