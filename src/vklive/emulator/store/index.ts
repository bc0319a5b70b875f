/**
 * Read and write helpers on the `vklive_*` tables for the parts of the emulator around the
 * protocol handlers: the console (lists and tables), the seed section and the fault profile.
 * They never return a secret: token values, secret hashes and signature keys stay in the tables.
 */
import { StatementCache } from "../../../core/emulator/store.js";
import type { Database } from "../../../core/storage.js";

export { vkliveStoreModule } from "./schema.js";

export interface ConsoleUserRow {
  id: number;
  nick: string;
  nick_color: number;
  channels: string | null;
  created_at: number;
}

export interface ConsoleChannelRow {
  id: number;
  url: string;
  owner_id: number;
  owner: string | null;
  status: string;
  stream: "online" | "offline";
  stream_id: string | null;
  stream_title: string | null;
  started_at: number | null;
  viewers: number | null;
  followers: number;
  moderators: number;
  last_message: number | null;
  created_at: number;
}

export interface ConsoleMessageRow {
  id: number;
  author_id: number;
  nick: string | null;
  text: string;
  deleted: number;
  created_at: number;
}

const SQL = {
  users: `SELECT u.id, u.nick, u.nick_color, u.created_at,
      (SELECT group_concat(c.url, ', ') FROM vklive_channels c WHERE c.owner_id = u.id) AS channels
    FROM vklive_users u ORDER BY u.id LIMIT 1000`,
  channels: `SELECT c.id, c.url, c.owner_id, u.nick AS owner, c.status,
      CASE WHEN s.id IS NULL THEN 'offline' ELSE 'online' END AS stream,
      s.id AS stream_id, s.title AS stream_title, s.started_at, s.viewers,
      (SELECT COUNT(*) FROM vklive_follows f WHERE f.channel_id = c.id) AS followers,
      (SELECT COUNT(*) FROM vklive_moderators m WHERE m.channel_id = c.id) AS moderators,
      (SELECT MAX(m.created_at) FROM vklive_messages m WHERE m.channel_id = c.id) AS last_message,
      c.created_at
    FROM vklive_channels c
    LEFT JOIN vklive_users u ON u.id = c.owner_id
    LEFT JOIN vklive_streams s ON s.id = (
      SELECT id FROM vklive_streams WHERE channel_id = c.id AND ended_at IS NULL
      ORDER BY started_at DESC LIMIT 1)
    ORDER BY c.id LIMIT 1000`,
  channelByUrl: "SELECT id, url FROM vklive_channels WHERE url = ?",
  recentMessages: `SELECT m.id, m.author_id, u.nick, m.text, m.deleted, m.created_at FROM vklive_messages m
    LEFT JOIN vklive_users u ON u.id = m.author_id
    WHERE m.channel_id = ? ORDER BY m.id DESC LIMIT ?`,
  // Never the secret hash or the signature key.
  apps: `SELECT a.client_id, a.redirect_uri, a.webhook_url, a.created_at,
      (SELECT COUNT(DISTINCT t.grant_id) FROM vklive_tokens t
        WHERE t.client_id = a.client_id AND t.revoked = 0) AS grants
    FROM vklive_apps a ORDER BY a.created_at`,
  // Never the token (nor its hash).
  tokens: `SELECT t.kind, t.grant_id, t.client_id, t.user_id, u.nick, t.scopes, t.flow, t.expires_at,
      t.revoked, t.created_at FROM vklive_tokens t LEFT JOIN vklive_users u ON u.id = t.user_id
    ORDER BY t.created_at DESC, t.kind LIMIT 500`,
  codes: `SELECT c.client_id, c.user_id, u.nick, c.redirect_uri, c.scopes, c.expires_at, c.used
    FROM vklive_codes c LEFT JOIN vklive_users u ON u.id = c.user_id
    ORDER BY c.expires_at DESC LIMIT 200`,
  userExists: "SELECT id FROM vklive_users WHERE id = ?",
  tokenUser: "SELECT user_id FROM vklive_tokens WHERE token_hash = ?",
  appById: "SELECT client_id FROM vklive_apps WHERE client_id = ?",
  appByRedirect: "SELECT client_id FROM vklive_apps WHERE redirect_uri = ? ORDER BY created_at LIMIT 1",
  setAppSecretHash: "UPDATE vklive_apps SET secret_hash = ? WHERE client_id = ?",
  userByNick: "SELECT id FROM vklive_users WHERE nick = ? ORDER BY id LIMIT 1",
  channelExists: "SELECT 1 AS one FROM vklive_channels WHERE url = ?",
} as const;

/** The `vklive_*` queries of the console, the seed section and the fault profile. */
export class VkLiveStore {
  private readonly statements: StatementCache;
  constructor(readonly db: Database) {
    this.statements = new StatementCache(db);
  }
  private get(sql: string, ...args: unknown[]): unknown {
    return this.statements.get(sql).get(...args);
  }
  private all(sql: string, ...args: unknown[]): unknown[] {
    return this.statements.get(sql).all(...args);
  }

  // ── console ──
  consoleUsers(): ConsoleUserRow[] {
    return this.all(SQL.users) as ConsoleUserRow[];
  }
  consoleChannels(): ConsoleChannelRow[] {
    return this.all(SQL.channels) as ConsoleChannelRow[];
  }
  channelByUrl(url: string): { id: number; url: string } | undefined {
    return this.get(SQL.channelByUrl, url) as { id: number; url: string } | undefined;
  }
  /** The newest `limit` messages of a channel, newest first. */
  recentMessages(channelId: number, limit: number): ConsoleMessageRow[] {
    return this.all(SQL.recentMessages, channelId, limit) as ConsoleMessageRow[];
  }
  consoleApps(): Record<string, unknown>[] {
    return this.all(SQL.apps) as Record<string, unknown>[];
  }
  consoleTokens(): Record<string, unknown>[] {
    return this.all(SQL.tokens) as Record<string, unknown>[];
  }
  consoleCodes(): Record<string, unknown>[] {
    return this.all(SQL.codes) as Record<string, unknown>[];
  }
  userExists(id: number): boolean {
    return this.get(SQL.userExists, id) !== undefined;
  }
  /** The user a token (by its hash) acts for: a number, null for app tokens, undefined if unknown. */
  tokenUserId(tokenHash: string): number | null | undefined {
    const row = this.get(SQL.tokenUser, tokenHash) as { user_id: number | null } | undefined;
    return row?.user_id;
  }

  // ── seed ──
  appClientId(by: { clientId: string } | { redirectUri: string }): string | undefined {
    const row = (
      "clientId" in by ? this.get(SQL.appById, by.clientId) : this.get(SQL.appByRedirect, by.redirectUri)
    ) as { client_id: string } | undefined;
    return row?.client_id;
  }
  setAppSecretHash(clientId: string, secretHash: string): void {
    this.statements.get(SQL.setAppSecretHash).run(secretHash, clientId);
  }
  userIdByNick(nick: string): number | undefined {
    return (this.get(SQL.userByNick, nick) as { id: number } | undefined)?.id;
  }
  channelExists(url: string): boolean {
    return this.get(SQL.channelExists, url) !== undefined;
  }
}
