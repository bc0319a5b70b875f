/**
 * Tables of the Bot API's update delivery (long polling, webhooks), uploads and callbacks.
 * Idempotent (IF NOT EXISTS) so the api helper's store module can append it to its migrations.
 *
 * - maxbot_updates: one row per update per bot, in the order it happened (`seq` is global and
 *   only grows, so it doubles as the long-poll marker). Rows are deleted once committed (a
 *   marker passed them, or every webhook subscription delivered them) or pruned by age.
 * - maxbot_markers: per bot, the highest seq committed by long polling (a later GET /updates
 *   without a marker starts after it).
 * - maxbot_subscriptions: webhook subscriptions (secret kept as given: it is sent back in
 *   X-Max-Bot-Api-Secret, so it cannot be hashed).
 * - maxbot_webhook_state: per subscription, the last seq delivered and the retry schedule.
 * - maxbot_uploads: one row per upload URL handed out; token → MAX attach once the bytes arrived.
 * - maxbot_callbacks: callback_id → who pressed which button (for POST /answers).
 */
export const MAXBOT_UPDATES_SQL = `
CREATE TABLE IF NOT EXISTS maxbot_updates (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  bot_id INTEGER NOT NULL,
  update_type TEXT NOT NULL,
  time INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS maxbot_updates_bot ON maxbot_updates (bot_id, seq);
CREATE TABLE IF NOT EXISTS maxbot_markers (
  bot_id INTEGER PRIMARY KEY,
  committed_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS maxbot_subscriptions (
  bot_id INTEGER NOT NULL,
  url TEXT NOT NULL,
  secret TEXT,
  update_types TEXT,
  version TEXT,
  time INTEGER NOT NULL,
  PRIMARY KEY (bot_id, url)
);
CREATE TABLE IF NOT EXISTS maxbot_webhook_state (
  bot_id INTEGER NOT NULL,
  url TEXT NOT NULL,
  delivered_seq INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  PRIMARY KEY (bot_id, url)
);
CREATE TABLE IF NOT EXISTS maxbot_uploads (
  upload_id TEXT PRIMARY KEY,
  bot_id INTEGER NOT NULL,
  type TEXT NOT NULL,
  token TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  attach TEXT,
  file_url TEXT,
  size INTEGER,
  name TEXT,
  received INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS maxbot_upload_chunks (
  upload_id TEXT NOT NULL,
  start INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  PRIMARY KEY (upload_id, start)
);
CREATE TABLE IF NOT EXISTS maxbot_callbacks (
  callback_id TEXT PRIMARY KEY,
  bot_id INTEGER NOT NULL,
  chat_id INTEGER NOT NULL,
  message_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  time INTEGER NOT NULL
);
`;
