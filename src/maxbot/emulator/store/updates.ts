import { StatementCache } from "../../../core/emulator/store.js";
import type { Database } from "../../../core/storage.js";

/** One stored update: its place in the bot's queue and the Bot API JSON. */
export interface StoredUpdate {
  seq: number;
  updateType: string;
  time: number;
  body: string;
}

export interface StoredCallback {
  botId: number;
  chatId: number;
  messageId: number;
  userId: number;
  time: number;
}

interface UpdateRow {
  seq: number;
  update_type: string;
  time: number;
  body: string;
}

const caches = new WeakMap<Database, StatementCache>();
function sql(db: Database): StatementCache {
  let cache = caches.get(db);
  if (!cache) {
    cache = new StatementCache(db);
    caches.set(db, cache);
  }
  return cache;
}

/** Appends an update to a bot's queue; returns its seq. */
export function insertUpdate(
  db: Database,
  botId: number,
  updateType: string,
  time: number,
  body: string,
): number {
  const info = sql(db)
    .get("INSERT INTO maxbot_updates (bot_id, update_type, time, body) VALUES (?, ?, ?, ?)")
    .run(botId, updateType, time, body);
  return Number(info.lastInsertRowid);
}

/** The highest seq long polling has committed for the bot (0 before the first commit). */
export function committedSeq(db: Database, botId: number): number {
  const row = sql(db).get("SELECT committed_seq FROM maxbot_markers WHERE bot_id = ?").get(botId) as
    | { committed_seq: number }
    | undefined;
  return row?.committed_seq ?? 0;
}

/** Commits (deletes) every update of the bot with seq ≤ `upTo` and remembers the point. */
export function commitUpTo(db: Database, botId: number, upTo: number): void {
  if (upTo <= 0) return;
  const s = sql(db);
  s.get(
    `INSERT INTO maxbot_markers (bot_id, committed_seq) VALUES (?, ?)
     ON CONFLICT (bot_id) DO UPDATE SET committed_seq = MAX(committed_seq, excluded.committed_seq)`,
  ).run(botId, upTo);
  s.get("DELETE FROM maxbot_updates WHERE bot_id = ? AND seq <= ?").run(botId, upTo);
}

/** Up to `limit` updates after `afterSeq`, oldest first; `types` null = every type. */
export function updatesAfter(
  db: Database,
  botId: number,
  afterSeq: number,
  limit: number,
  types: readonly string[] | null,
): StoredUpdate[] {
  const rows = (
    types
      ? sql(db)
          .get(
            `SELECT seq, update_type, time, body FROM maxbot_updates
             WHERE bot_id = ? AND seq > ? AND update_type IN (SELECT value FROM json_each(?))
             ORDER BY seq LIMIT ?`,
          )
          .all(botId, afterSeq, JSON.stringify(types), limit)
      : sql(db)
          .get(
            "SELECT seq, update_type, time, body FROM maxbot_updates WHERE bot_id = ? AND seq > ? ORDER BY seq LIMIT ?",
          )
          .all(botId, afterSeq, limit)
  ) as UpdateRow[];
  return rows.map((r) => ({ seq: r.seq, updateType: r.update_type, time: r.time, body: r.body }));
}

/** The newest seq in the bot's queue, or 0 when it is empty. */
export function newestSeq(db: Database, botId: number): number {
  const row = sql(db).get("SELECT MAX(seq) AS seq FROM maxbot_updates WHERE bot_id = ?").get(botId) as {
    seq: number | null;
  };
  return row.seq ?? 0;
}

/**
 * Drops a bot's updates older than `olderThan` (the platform keeps them ~24 h) and, beyond
 * that, all but the newest `keep`. Returns how many rows went.
 */
export function pruneUpdates(db: Database, botId: number, olderThan: number, keep: number): number {
  const s = sql(db);
  let removed = s
    .get("DELETE FROM maxbot_updates WHERE bot_id = ? AND time < ?")
    .run(botId, olderThan).changes;
  removed += s
    .get(
      `DELETE FROM maxbot_updates WHERE bot_id = ? AND seq <= (
         SELECT seq FROM maxbot_updates WHERE bot_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
    )
    .run(botId, botId, keep).changes;
  return removed;
}

/** How many updates wait in the bot's queue. */
export function queuedCount(db: Database, botId: number): number {
  return (
    sql(db).get("SELECT COUNT(*) AS n FROM maxbot_updates WHERE bot_id = ?").get(botId) as { n: number }
  ).n;
}

export function saveCallback(db: Database, callbackId: string, cb: StoredCallback): void {
  sql(db)
    .get(
      `INSERT OR REPLACE INTO maxbot_callbacks (callback_id, bot_id, chat_id, message_id, user_id, time)
       VALUES (?, ?, ?, ?, ?, ?)`,
    )
    .run(callbackId, cb.botId, cb.chatId, cb.messageId, cb.userId, cb.time);
}

/** Who pressed which button, for POST /answers; undefined for an unknown callback_id. */
export function findCallback(db: Database, callbackId: string): StoredCallback | undefined {
  const row = sql(db)
    .get("SELECT bot_id, chat_id, message_id, user_id, time FROM maxbot_callbacks WHERE callback_id = ?")
    .get(callbackId) as
    | { bot_id: number; chat_id: number; message_id: number; user_id: number; time: number }
    | undefined;
  return row
    ? {
        botId: row.bot_id,
        chatId: row.chat_id,
        messageId: row.message_id,
        userId: row.user_id,
        time: row.time,
      }
    : undefined;
}

/** Forgets callbacks older than `olderThan` (they can no longer be answered). */
export function pruneCallbacks(db: Database, olderThan: number): void {
  sql(db).get("DELETE FROM maxbot_callbacks WHERE time < ?").run(olderThan);
}

/** Bots that have queued updates. */
export function botsWithUpdates(db: Database): number[] {
  return (sql(db).get("SELECT DISTINCT bot_id FROM maxbot_updates").all() as { bot_id: number }[]).map(
    (r) => r.bot_id,
  );
}

/** The highest seq ever given to an update (0 before the first): markers beyond it mean nothing. */
export function lastAssignedSeq(db: Database): number {
  const row = sql(db).get("SELECT seq FROM sqlite_sequence WHERE name = 'maxbot_updates'").get() as
    | { seq: number }
    | undefined;
  return row?.seq ?? 0;
}
