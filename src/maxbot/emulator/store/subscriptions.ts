import { StatementCache } from "../../../core/emulator/store.js";
import type { Database } from "../../../core/storage.js";

/** A webhook subscription with its delivery state. */
export interface Subscription {
  botId: number;
  url: string;
  /** Sent back in X-Max-Bot-Api-Secret; never logged. */
  secret: string | null;
  /** null = every update type. */
  updateTypes: string[] | null;
  version: string | null;
  time: number;
  /** Every update with seq ≤ this was delivered (or given up after the retry window). */
  deliveredSeq: number;
  attempts: number;
  nextAttemptAt: number;
}

interface Row {
  bot_id: number;
  url: string;
  secret: string | null;
  update_types: string | null;
  version: string | null;
  time: number;
  delivered_seq: number | null;
  attempts: number | null;
  next_attempt_at: number | null;
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

const SELECT = `SELECT s.bot_id, s.url, s.secret, s.update_types, s.version, s.time,
  w.delivered_seq, w.attempts, w.next_attempt_at
  FROM maxbot_subscriptions s LEFT JOIN maxbot_webhook_state w ON w.bot_id = s.bot_id AND w.url = s.url`;

function fromRow(r: Row): Subscription {
  return {
    botId: r.bot_id,
    url: r.url,
    secret: r.secret,
    updateTypes: r.update_types === null ? null : (JSON.parse(r.update_types) as string[]),
    version: r.version,
    time: r.time,
    deliveredSeq: r.delivered_seq ?? 0,
    attempts: r.attempts ?? 0,
    nextAttemptAt: r.next_attempt_at ?? 0,
  };
}

export function subscriptionsOf(db: Database, botId: number): Subscription[] {
  return (sql(db).get(`${SELECT} WHERE s.bot_id = ? ORDER BY s.time, s.url`).all(botId) as Row[]).map(
    fromRow,
  );
}

export function hasSubscription(db: Database, botId: number): boolean {
  return sql(db).get("SELECT 1 FROM maxbot_subscriptions WHERE bot_id = ? LIMIT 1").get(botId) !== undefined;
}

/** Bots with at least one subscription (webhook delivery resumes for them after a restart). */
export function subscribedBots(db: Database): number[] {
  return (sql(db).get("SELECT DISTINCT bot_id FROM maxbot_subscriptions").all() as { bot_id: number }[]).map(
    (r) => r.bot_id,
  );
}

/**
 * Creates or replaces the subscription for `url`. A new one starts delivering after
 * `startAfterSeq` (the long-poll commit point, so nothing queued is lost when a bot switches
 * from polling to a webhook); re-subscribing the same url keeps its delivery position.
 */
export function upsertSubscription(
  db: Database,
  sub: {
    botId: number;
    url: string;
    secret: string | null;
    updateTypes: string[] | null;
    version: string | null;
    time: number;
  },
  startAfterSeq: number,
): void {
  const s = sql(db);
  s.get(
    `INSERT INTO maxbot_subscriptions (bot_id, url, secret, update_types, version, time) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (bot_id, url) DO UPDATE SET secret = excluded.secret, update_types = excluded.update_types,
       version = excluded.version, time = excluded.time`,
  ).run(
    sub.botId,
    sub.url,
    sub.secret,
    sub.updateTypes === null ? null : JSON.stringify(sub.updateTypes),
    sub.version,
    sub.time,
  );
  s.get(
    `INSERT INTO maxbot_webhook_state (bot_id, url, delivered_seq, attempts, next_attempt_at) VALUES (?, ?, ?, 0, 0)
     ON CONFLICT (bot_id, url) DO UPDATE SET attempts = 0, next_attempt_at = 0`,
  ).run(sub.botId, sub.url, startAfterSeq);
}

/** Removes a subscription; true when it existed. */
export function deleteSubscription(db: Database, botId: number, url: string): boolean {
  const s = sql(db);
  s.get("DELETE FROM maxbot_webhook_state WHERE bot_id = ? AND url = ?").run(botId, url);
  return s.get("DELETE FROM maxbot_subscriptions WHERE bot_id = ? AND url = ?").run(botId, url).changes > 0;
}

/** Marks every update up to `seq` delivered to the subscription and clears its retry state. */
export function markDelivered(db: Database, botId: number, url: string, seq: number): void {
  sql(db)
    .get(
      `UPDATE maxbot_webhook_state SET delivered_seq = MAX(delivered_seq, ?), attempts = 0, next_attempt_at = 0,
       last_error = NULL WHERE bot_id = ? AND url = ?`,
    )
    .run(seq, botId, url);
}

/** Records a failed attempt and when to try again. */
export function markFailed(
  db: Database,
  botId: number,
  url: string,
  nextAttemptAt: number,
  error: string,
): void {
  sql(db)
    .get(
      `UPDATE maxbot_webhook_state SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?
       WHERE bot_id = ? AND url = ?`,
    )
    .run(nextAttemptAt, error, botId, url);
}

/** The scheduled retry time has come: the next attempt may go now. */
export function clearRetryTime(db: Database, botId: number, url: string): void {
  sql(db)
    .get("UPDATE maxbot_webhook_state SET next_attempt_at = 0 WHERE bot_id = ? AND url = ?")
    .run(botId, url);
}
