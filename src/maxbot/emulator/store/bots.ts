/** Bot accounts of the Bot API: which MAX user a token belongs to (tokens kept as sha256 only). */
import { createHash } from "node:crypto";
import { StatementCache } from "../../../core/emulator/store.js";
import type { Database } from "../../../core/storage.js";

const caches = new WeakMap<Database, StatementCache>();
/** Prepared statements per database (the auth hook looks a token up on every request). */
function sql(db: Database): StatementCache {
  let cache = caches.get(db);
  if (!cache) {
    cache = new StatementCache(db);
    caches.set(db, cache);
  }
  return cache;
}

export interface BotRecord {
  userId: number;
  name: string;
  commands: { name: string; description?: string | null }[];
  createdAt: number;
}

interface Row {
  user_id: number;
  name: string;
  commands: string;
  created_at: number;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

const toRecord = (r: Row): BotRecord => ({
  userId: r.user_id,
  name: r.name,
  commands: JSON.parse(r.commands) as BotRecord["commands"],
  createdAt: r.created_at,
});

export function insertBot(db: Database, userId: number, tokenHash: string, name: string, now: number): void {
  sql(db)
    .get("INSERT INTO maxbot_bots (user_id, token_hash, name, created_at) VALUES (?, ?, ?, ?)")
    .run(userId, tokenHash, name, now);
}

/** The bot a token (already hashed) belongs to. */
export function botIdByTokenHash(db: Database, tokenHash: string): number | undefined {
  const row = sql(db).get("SELECT user_id FROM maxbot_bots WHERE token_hash = ?").get(tokenHash) as
    | { user_id: number }
    | undefined;
  return row?.user_id;
}

export function getBot(db: Database, userId: number): BotRecord | undefined {
  const row = sql(db).get("SELECT * FROM maxbot_bots WHERE user_id = ?").get(userId) as Row | undefined;
  return row ? toRecord(row) : undefined;
}

export function listBots(db: Database): BotRecord[] {
  return (sql(db).get("SELECT * FROM maxbot_bots ORDER BY user_id").all() as Row[]).map(toRecord);
}

export function setCommands(db: Database, userId: number, commands: BotRecord["commands"]): void {
  sql(db).get("UPDATE maxbot_bots SET commands = ? WHERE user_id = ?").run(JSON.stringify(commands), userId);
}

export function setBotName(db: Database, userId: number, name: string): void {
  sql(db).get("UPDATE maxbot_bots SET name = ? WHERE user_id = ?").run(name, userId);
}

export function setTokenHash(db: Database, userId: number, tokenHash: string): void {
  sql(db).get("UPDATE maxbot_bots SET token_hash = ? WHERE user_id = ?").run(tokenHash, userId);
}
