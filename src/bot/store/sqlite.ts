/**
 * BotStore on SQLite (better-sqlite3): the framework's durable state in one file (or ":memory:").
 * Every method is one statement or one transaction; `transaction()` lets the pipeline apply a
 * handler's state changes and the update's completion together.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Sqlite from "better-sqlite3";
import type { SendResult } from "../../core/adapter.js";
import type { Database, Migration } from "../../core/storage.js";
import type { BotStore, OutboxItem, SessionRecord, StoredUpdate } from "../types.js";
import { versionMatches, withLazyEvent } from "./memory.js";

export interface SqliteBotStoreOptions {
  /**
   * NORMAL (default; WAL): every commit survives a crash of the process (kill -9, an exception)
   * the moment it returns; an OS crash or power loss may lose the last commits (never corrupt the
   * file; SQLite's recommended setting for WAL). What such a loss means: updates handled in those
   * last moments run again with their state changes not applied (still exactly once), and where
   * the account's catch-up reads history (MAX user API, VK Live, MaxIM) missed updates are read
   * again; a long-poll account (MAX Bot API, WebQQ) has acknowledged them to the platform already.
   * FULL: each commit is flushed to disk before it returns (an fsync per transaction, several
   * times slower under load): admitted updates survive an OS crash too.
   */
  synchronous?: "FULL" | "NORMAL";
}

/** The store's schema, in order; each step runs once, in a transaction, recorded in bot_migrations. */
export const botStoreMigrations: readonly Migration[] = [
  {
    id: "bot:001-inbox",
    up(db) {
      db.exec(`
        CREATE TABLE bot_inbox (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          key TEXT NOT NULL UNIQUE,
          chat_key TEXT NOT NULL,
          account TEXT NOT NULL,
          event TEXT NOT NULL,
          attempts INTEGER NOT NULL DEFAULT 0,
          received_at INTEGER NOT NULL,
          done_at INTEGER
        );
        CREATE INDEX bot_inbox_pending ON bot_inbox (seq) WHERE done_at IS NULL;
        CREATE INDEX bot_inbox_done ON bot_inbox (done_at) WHERE done_at IS NOT NULL;
        CREATE TABLE bot_cursors (
          chat_key TEXT PRIMARY KEY,
          cursor TEXT NOT NULL,
          updated_at INTEGER NOT NULL
        );
      `);
    },
  },
  {
    id: "bot:002-outbox",
    up(db) {
      db.exec(`
        CREATE TABLE bot_outbox (
          ord INTEGER PRIMARY KEY AUTOINCREMENT,
          key TEXT NOT NULL UNIQUE,
          account TEXT NOT NULL,
          chat TEXT NOT NULL,
          op TEXT NOT NULL CHECK (op IN ('send', 'edit', 'delete', 'react')),
          content TEXT NOT NULL,
          target TEXT,
          priority TEXT NOT NULL CHECK (priority IN ('reply', 'broadcast')),
          status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
          attempts INTEGER NOT NULL DEFAULT 0,
          due_at INTEGER NOT NULL,
          result TEXT,
          error TEXT,
          created_at INTEGER NOT NULL
        );
        CREATE INDEX bot_outbox_due ON bot_outbox (due_at) WHERE status = 'queued';
      `);
    },
  },
  {
    id: "bot:003-sessions",
    up(db) {
      db.exec(`
        CREATE TABLE bot_sessions (
          key TEXT PRIMARY KEY,
          value TEXT,
          version INTEGER NOT NULL,
          expires_at INTEGER,
          schema INTEGER NOT NULL
        );
        CREATE TABLE bot_conversations (
          key TEXT PRIMARY KEY,
          state TEXT,
          expires_at INTEGER,
          updated_at INTEGER NOT NULL
        );
      `);
    },
  },
  {
    // The pipeline reads a chat's backlog back by chat (pendingOf), not by scanning the whole inbox;
    // the index by seq alone served only that scan, and each index is pages written per update.
    id: "bot:004-inbox-pending-by-chat",
    up(db) {
      db.exec(`
        CREATE INDEX bot_inbox_pending_chat ON bot_inbox (chat_key, seq) WHERE done_at IS NULL;
        DROP INDEX bot_inbox_pending;
      `);
    },
  },
];

/** An inbox row without its event (read only when used, see pending()). */
interface InboxRow {
  seq: number;
  key: string;
  chat_key: string;
  account: string;
  attempts: number;
  received_at: number;
}

interface OutboxRow {
  key: string;
  account: string;
  chat: string;
  op: OutboxItem["op"];
  content: string;
  target: string | null;
  priority: OutboxItem["priority"];
  status: OutboxItem["status"];
  attempts: number;
  due_at: number;
  result: string | null;
  error: string | null;
  created_at: number;
}

interface SessionRow {
  value: string | null;
  version: number;
  expires_at: number | null;
  schema: number;
}

const INBOX_COLUMNS = "seq, key, chat_key, account, attempts, received_at";
const OUTBOX_COLUMNS =
  "key, account, chat, op, content, target, priority, status, attempts, due_at, result, error, created_at";

function toJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function fromJson<T>(text: string | null): T | undefined {
  return text === null ? undefined : (JSON.parse(text) as T);
}

function toOutboxItem(row: OutboxRow): OutboxItem {
  const item: OutboxItem = {
    key: row.key,
    account: row.account,
    chat: JSON.parse(row.chat) as OutboxItem["chat"],
    op: row.op,
    content: JSON.parse(row.content) as OutboxItem["content"],
    priority: row.priority,
    status: row.status,
    attempts: row.attempts,
    dueAt: row.due_at,
    createdAt: row.created_at,
  };
  if (row.target !== null) item.target = JSON.parse(row.target) as OutboxItem["target"];
  if (row.result !== null) item.result = JSON.parse(row.result) as SendResult;
  if (row.error !== null) item.error = row.error;
  return item;
}

export class SqliteBotStore implements BotStore {
  readonly db: Database;
  private readonly statements = new Map<string, Sqlite.Statement>();

  /** `file`: a SQLite file (created with its folder when missing) or ":memory:". */
  constructor(file = ":memory:", options: SqliteBotStoreOptions = {}) {
    const inMemory = file === ":memory:" || file === "";
    if (!inMemory) mkdirSync(dirname(file), { recursive: true });
    this.db = new Sqlite(inMemory ? ":memory:" : file);
    if (!inMemory) this.db.pragma("journal_mode = WAL");
    this.db.pragma(`synchronous = ${options.synchronous === "FULL" ? "FULL" : "NORMAL"}`);
    // Another process (a restarted bot while the old one exits) waits for the lock, not fails.
    this.db.pragma("busy_timeout = 5000");
    this.migrate();
  }

  /** Applies the steps of `botStoreMigrations` not applied yet; returns their ids. */
  private migrate(): string[] {
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS bot_migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)",
    );
    const applied = new Set(
      (this.db.prepare("SELECT id FROM bot_migrations").all() as { id: string }[]).map((r) => r.id),
    );
    const ran: string[] = [];
    for (const migration of botStoreMigrations) {
      if (applied.has(migration.id)) continue;
      this.db
        .transaction(() => {
          migration.up(this.db);
          this.db
            .prepare("INSERT INTO bot_migrations (id, applied_at) VALUES (?, ?)")
            .run(migration.id, Date.now());
        })
        .immediate();
      ran.push(migration.id);
    }
    return ran;
  }

  private sql(text: string): Sqlite.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  transaction<T>(fn: () => T): T {
    // Nested calls join the outer transaction (no savepoint), as the memory store does.
    if (this.db.inTransaction) return fn();
    return this.db
      .transaction(() => {
        const result = fn();
        if (result instanceof Promise)
          throw new TypeError("BotStore.transaction takes a synchronous function");
        return result;
      })
      .immediate();
  }

  // ── inbox ──

  admit(update: Omit<StoredUpdate, "seq" | "attempts">): boolean {
    const info = this.sql(
      `INSERT INTO bot_inbox (key, chat_key, account, event, received_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (key) DO NOTHING`,
    ).run(update.key, update.chatKey, update.account, JSON.stringify(update.event), update.receivedAt);
    return info.changes === 1;
  }

  pending(limit: number): StoredUpdate[] {
    const rows = this.sql(
      `SELECT ${INBOX_COLUMNS} FROM bot_inbox WHERE done_at IS NULL ORDER BY seq LIMIT ?`,
    ).all(Math.max(0, Math.floor(limit))) as InboxRow[];
    return rows.map((row) => this.lazyUpdate(row));
  }

  pendingOf(chatKey: string, limit: number, afterSeq = 0): StoredUpdate[] {
    // Read back to be run (nearly all of them): the event comes in the same query.
    const rows = this.sql(
      `SELECT ${INBOX_COLUMNS}, event FROM bot_inbox
       WHERE chat_key = ? AND done_at IS NULL AND seq > ? ORDER BY seq LIMIT ?`,
    ).all(chatKey, afterSeq, Math.max(0, Math.floor(limit))) as (InboxRow & { event: string })[];
    return rows.map((row) => ({
      key: row.key,
      chatKey: row.chat_key,
      account: row.account,
      event: JSON.parse(row.event) as StoredUpdate["event"],
      seq: row.seq,
      attempts: row.attempts,
      receivedAt: row.received_at,
    }));
  }

  pendingChats(): { chatKey: string; account: string; lastSeq: number }[] {
    return this.sql(
      `SELECT chat_key AS chatKey, account, MAX(seq) AS lastSeq FROM bot_inbox WHERE done_at IS NULL
       GROUP BY chat_key ORDER BY MIN(seq)`,
    ).all() as { chatKey: string; account: string; lastSeq: number }[];
  }

  /** The event is read and parsed only when used (a stored event never changes). */
  private lazyUpdate(row: InboxRow): StoredUpdate {
    return withLazyEvent(
      {
        key: row.key,
        chatKey: row.chat_key,
        account: row.account,
        seq: row.seq,
        attempts: row.attempts,
        receivedAt: row.received_at,
      } as StoredUpdate,
      () => this.eventOf(row.seq),
    );
  }

  private eventOf(seq: number): StoredUpdate["event"] {
    const row = this.sql("SELECT event FROM bot_inbox WHERE seq = ?").get(seq) as
      | { event: string }
      | undefined;
    if (!row) throw new Error(`update ${seq} is no longer in the bot store (pruned)`);
    return JSON.parse(row.event) as StoredUpdate["event"];
  }

  started(key: string): number {
    const row = this.sql("UPDATE bot_inbox SET attempts = attempts + 1 WHERE key = ? RETURNING attempts").get(
      key,
    ) as { attempts: number } | undefined;
    if (!row) throw new Error(`unknown update ${key}`);
    return row.attempts;
  }

  complete(key: string): void {
    const info = this.sql("UPDATE bot_inbox SET done_at = COALESCE(done_at, ?) WHERE key = ?").run(
      Date.now(),
      key,
    );
    if (info.changes === 0) throw new Error(`unknown update ${key}`);
  }

  prune(olderThanMs: number, now: number): number {
    return this.sql("DELETE FROM bot_inbox WHERE done_at IS NOT NULL AND done_at < ?").run(now - olderThanMs)
      .changes;
  }

  cursor(chatKey: string): string | undefined {
    const row = this.sql("SELECT cursor FROM bot_cursors WHERE chat_key = ?").get(chatKey) as
      | { cursor: string }
      | undefined;
    return row?.cursor;
  }

  setCursor(chatKey: string, cursor: string): void {
    this.sql(
      `INSERT INTO bot_cursors (chat_key, cursor, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (chat_key) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`,
    ).run(chatKey, cursor, Date.now());
  }

  cursors(): { chatKey: string; cursor: string }[] {
    return this.sql("SELECT chat_key AS chatKey, cursor FROM bot_cursors ORDER BY chat_key").all() as {
      chatKey: string;
      cursor: string;
    }[];
  }

  // ── outbox ──

  enqueue(item: Omit<OutboxItem, "status" | "attempts" | "createdAt">): OutboxItem {
    return this.transaction(() => {
      this.sql(
        `INSERT INTO bot_outbox (key, account, chat, op, content, target, priority, status, attempts, due_at, result, error, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
      ).run(
        item.key,
        item.account,
        JSON.stringify(item.chat),
        item.op,
        JSON.stringify(item.content),
        toJson(item.target),
        item.priority,
        item.dueAt,
        toJson(item.result),
        item.error ?? null,
        Date.now(),
      );
      return this.outboxItem(item.key) as OutboxItem;
    });
  }

  outboxItem(key: string): OutboxItem | undefined {
    const row = this.sql(`SELECT ${OUTBOX_COLUMNS} FROM bot_outbox WHERE key = ?`).get(key) as
      | OutboxRow
      | undefined;
    return row && toOutboxItem(row);
  }

  due(now: number, limit: number): OutboxItem[] {
    const rows = this.sql(
      `SELECT ${OUTBOX_COLUMNS} FROM bot_outbox WHERE status = 'queued' AND due_at <= ?
       ORDER BY CASE priority WHEN 'reply' THEN 0 ELSE 1 END, created_at, ord LIMIT ?`,
    ).all(now, Math.max(0, Math.floor(limit))) as OutboxRow[];
    return rows.map(toOutboxItem);
  }

  markSent(key: string, result: SendResult | undefined): void {
    this.updateOutbox(
      "UPDATE bot_outbox SET status = 'sent', attempts = attempts + 1, result = ?, error = NULL WHERE key = ?",
      key,
      toJson(result),
    );
  }

  retryLater(key: string, dueAt: number, error: string): void {
    this.updateOutbox(
      "UPDATE bot_outbox SET attempts = attempts + 1, due_at = ?, error = ? WHERE key = ?",
      key,
      dueAt,
      error,
    );
  }

  markFailed(key: string, error: string): void {
    this.updateOutbox(
      "UPDATE bot_outbox SET status = 'failed', attempts = attempts + 1, error = ? WHERE key = ?",
      key,
      error,
    );
  }

  private updateOutbox(sql: string, key: string, ...values: unknown[]): void {
    if (this.sql(sql).run(...values, key).changes === 0) throw new Error(`unknown outbox item ${key}`);
  }

  // ── sessions ──

  getSession(key: string, now: number): SessionRecord | undefined {
    const row = this.sql(
      "SELECT value, version, expires_at, schema FROM bot_sessions WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)",
    ).get(key, now) as SessionRow | undefined;
    if (!row) return undefined;
    const record: SessionRecord = { value: fromJson(row.value), version: row.version, schema: row.schema };
    if (row.expires_at !== null) record.expiresAt = row.expires_at;
    return record;
  }

  putSession(key: string, record: Omit<SessionRecord, "version">, expectVersion: number): boolean {
    return this.transaction(() => {
      const stored = this.sql("SELECT version, expires_at FROM bot_sessions WHERE key = ?").get(key) as
        | { version: number; expires_at: number | null }
        | undefined;
      const current = stored && { version: stored.version, expiresAt: stored.expires_at ?? undefined };
      if (!versionMatches(current, expectVersion, Date.now())) return false;
      this.sql(
        `INSERT INTO bot_sessions (key, value, version, expires_at, schema) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version,
           expires_at = excluded.expires_at, schema = excluded.schema`,
      ).run(key, toJson(record.value), (stored?.version ?? 0) + 1, record.expiresAt ?? null, record.schema);
      return true;
    });
  }

  deleteSession(key: string): void {
    this.sql("DELETE FROM bot_sessions WHERE key = ?").run(key);
  }

  // ── conversations ──

  getConversation(key: string): unknown | undefined {
    const row = this.sql(
      "SELECT state FROM bot_conversations WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)",
    ).get(key, Date.now()) as { state: string | null } | undefined;
    return row ? fromJson(row.state) : undefined;
  }

  putConversation(key: string, state: unknown, expiresAt?: number): void {
    this.sql(
      `INSERT INTO bot_conversations (key, state, expires_at, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET state = excluded.state, expires_at = excluded.expires_at,
         updated_at = excluded.updated_at`,
    ).run(key, toJson(state), expiresAt ?? null, Date.now());
  }

  deleteConversation(key: string): void {
    this.sql("DELETE FROM bot_conversations WHERE key = ?").run(key);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
