/**
 * BotStore in memory: the same contract as the SQLite store (test/bot/store-contract.test.ts runs
 * one suite against both), for tests and throwaway bots. Values are copied in and out through
 * JSON, as the SQLite store stores them, so both behave alike; a transaction that throws restores
 * the state it started from (an undo journal of its writes: the cost of a transaction does not
 * grow with the store). Pending updates are indexed in admission order, so reading them costs
 * what is read, not the whole inbox kept for de-duplication.
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
  /** The inbox rows not done yet, in admission (seq) order. */
  pending: Map<string, InboxRow>;
  /** The same rows by chat key, each in admission order (the pipeline reads a chat's backlog). */
  pendingByChat: Map<string, Map<string, InboxRow>>;
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
    pending: new Map(),
    pendingByChat: new Map(),
    cursors: new Map(),
    outbox: new Map(),
    outboxOrder: 0,
    sessions: new Map(),
    conversations: new Map(),
  };
}

export class MemoryBotStore implements BotStore {
  private readonly state: State = emptyState();
  private depth = 0;
  private closed = false;
  /** Inside a transaction: how to undo each write made so far, newest last. */
  private journal: (() => void)[] | undefined;
  /** A rolled-back completion put a row back: the pending index is rebuilt in seq order on next read. */
  private pendingUnordered = false;
  /** The same for one chat's index. */
  private readonly chatsUnordered = new Set<string>();

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
    const journal: (() => void)[] = [];
    this.journal = journal;
    this.depth = 1;
    try {
      const result = fn();
      if (result instanceof Promise) {
        throw new TypeError("BotStore.transaction takes a synchronous function");
      }
      return result;
    } catch (error) {
      for (let i = journal.length - 1; i >= 0; i--) (journal[i] as () => void)();
      throw error;
    } finally {
      this.depth = 0;
      this.journal = undefined;
    }
  }

  /** Records how to undo a write (inside a transaction only). */
  private undo(step: () => void): void {
    this.journal?.push(step);
  }

  /** `map.set`, undone on rollback. */
  private put<K, V>(map: Map<K, V>, key: K, value: V): void {
    if (this.journal) {
      const had = map.has(key);
      const before = map.get(key) as V;
      this.undo(() => (had ? map.set(key, before) : map.delete(key)));
    }
    map.set(key, value);
  }

  /** `map.delete`, undone on rollback. */
  private remove<K, V>(map: Map<K, V>, key: K): void {
    if (!map.has(key)) return;
    if (this.journal) {
      const before = map.get(key) as V;
      this.undo(() => map.set(key, before));
    }
    map.delete(key);
  }

  // ── inbox ──

  admit(update: Omit<StoredUpdate, "seq" | "attempts">): boolean {
    this.assertOpen();
    if (this.state.inbox.has(update.key)) return false;
    const seq = this.state.seq;
    this.undo(() => {
      this.state.seq = seq;
    });
    const stored: StoredUpdate = { ...copy(update), seq: ++this.state.seq, attempts: 0 };
    const row: InboxRow = { update: stored };
    this.put(this.state.inbox, update.key, row);
    this.put(this.state.pending, update.key, row);
    this.put(this.chatIndex(update.chatKey), update.key, row);
    return true;
  }

  private chatIndex(chatKey: string): Map<string, InboxRow> {
    let index = this.state.pendingByChat.get(chatKey);
    if (!index) {
      index = new Map();
      this.state.pendingByChat.set(chatKey, index);
    }
    return index;
  }

  pendingOf(chatKey: string, limit: number, afterSeq = 0): StoredUpdate[] {
    this.assertOpen();
    const index = this.state.pendingByChat.get(chatKey);
    if (!index) return [];
    if (this.chatsUnordered.delete(chatKey)) {
      const rows = [...index.values()].sort((a, b) => a.update.seq - b.update.seq);
      index.clear();
      for (const row of rows) index.set(row.update.key, row);
    }
    const out: StoredUpdate[] = [];
    for (const row of index.values()) {
      if (out.length >= limit) break;
      if (row.update.seq > afterSeq) out.push(lazyCopy(row));
    }
    return out;
  }

  pendingChats(): { chatKey: string; account: string; lastSeq: number }[] {
    this.assertOpen();
    const chats: { chatKey: string; account: string; lastSeq: number; first: number }[] = [];
    for (const [chatKey, index] of this.state.pendingByChat) {
      let first = Number.POSITIVE_INFINITY;
      let lastSeq = 0;
      let account = "";
      for (const { update } of index.values()) {
        first = Math.min(first, update.seq);
        lastSeq = Math.max(lastSeq, update.seq);
        account = update.account;
      }
      if (index.size > 0) chats.push({ chatKey, account, lastSeq, first });
    }
    return chats
      .sort((a, b) => a.first - b.first)
      .map(({ chatKey, account, lastSeq }) => ({ chatKey, account, lastSeq }));
  }

  pending(limit: number): StoredUpdate[] {
    this.assertOpen();
    if (this.pendingUnordered) {
      // In place: undo steps of a running transaction hold this Map.
      const index = this.state.pending;
      const rows = [...index.values()].sort((a, b) => a.update.seq - b.update.seq);
      index.clear();
      for (const row of rows) index.set(row.update.key, row);
      this.pendingUnordered = false;
    }
    const out: StoredUpdate[] = [];
    for (const row of this.state.pending.values()) {
      if (out.length >= limit) break;
      out.push(lazyCopy(row));
    }
    return out;
  }

  started(key: string): number {
    this.assertOpen();
    const row = this.state.inbox.get(key);
    if (!row) throw new Error(`unknown update ${key}`);
    const attempts = row.update.attempts;
    this.undo(() => {
      row.update.attempts = attempts;
    });
    row.update.attempts += 1;
    return row.update.attempts;
  }

  complete(key: string): void {
    this.assertOpen();
    const row = this.state.inbox.get(key);
    if (!row) throw new Error(`unknown update ${key}`);
    if (row.doneAt !== undefined) return;
    const chatKey = row.update.chatKey;
    this.undo(() => {
      row.doneAt = undefined;
      this.state.pending.set(key, row);
      this.pendingUnordered = true;
      this.chatIndex(chatKey).set(key, row);
      this.chatsUnordered.add(chatKey);
    });
    row.doneAt = Date.now();
    this.state.pending.delete(key);
    const index = this.state.pendingByChat.get(chatKey);
    index?.delete(key);
    if (index?.size === 0) this.state.pendingByChat.delete(chatKey);
  }

  prune(olderThanMs: number, now: number): number {
    this.assertOpen();
    const limit = now - olderThanMs;
    let removed = 0;
    for (const [key, row] of this.state.inbox) {
      if (row.doneAt !== undefined && row.doneAt < limit) {
        this.remove(this.state.inbox, key);
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
    this.put(this.state.cursors, chatKey, cursor);
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
    const order = this.state.outboxOrder;
    this.undo(() => {
      this.state.outboxOrder = order;
    });
    this.put(this.state.outbox, item.key, { item: stored, order: ++this.state.outboxOrder });
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
    this.updateItem(key, (item) => {
      item.status = "sent";
      item.attempts += 1;
      item.result = copy(result);
      delete item.error;
    });
  }

  retryLater(key: string, dueAt: number, error: string): void {
    this.updateItem(key, (item) => {
      item.attempts += 1;
      item.dueAt = dueAt;
      item.error = error;
    });
  }

  markFailed(key: string, error: string): void {
    this.updateItem(key, (item) => {
      item.status = "failed";
      item.attempts += 1;
      item.error = error;
    });
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
    this.put(this.state.sessions, key, next);
    return true;
  }

  deleteSession(key: string): void {
    this.assertOpen();
    this.remove(this.state.sessions, key);
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
    this.put(this.state.conversations, key, { state: copy(state), expiresAt });
  }

  deleteConversation(key: string): void {
    this.assertOpen();
    this.remove(this.state.conversations, key);
  }

  close(): void {
    this.closed = true;
  }

  /** Changes a copy of the item and puts it in place (the old one comes back on rollback). */
  private updateItem(key: string, change: (item: OutboxItem) => void): void {
    this.assertOpen();
    const row = this.state.outbox.get(key);
    if (!row) throw new Error(`unknown outbox item ${key}`);
    const item = { ...row.item };
    change(item);
    this.put(this.state.outbox, key, { item, order: row.order });
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("the bot store is closed");
  }
}

/** A stored event never changes: copied when first read, as the SQLite store parses it. */
function lazyCopy(row: InboxRow): StoredUpdate {
  const { event, ...fields } = row.update;
  return withLazyEvent(fields as StoredUpdate, () => copy(event));
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

/**
 * `update.event`, made on first read (then a plain property). The pipeline reads pending updates
 * back oldest first and skips those it holds already: most rows it reads, it never parses.
 */
export function withLazyEvent(update: StoredUpdate, make: () => StoredUpdate["event"]): StoredUpdate {
  const set = (event: StoredUpdate["event"]) =>
    Object.defineProperty(update, "event", {
      value: event,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  Object.defineProperty(update, "event", {
    enumerable: true,
    configurable: true,
    get() {
      const event = make();
      set(event);
      return event;
    },
    set,
  });
  return update;
}
