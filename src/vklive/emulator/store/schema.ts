import type { Migration, StoreModule } from "../../../core/storage.js";

/**
 * Tables owned by the VK Video Live emulator (prefix `vklive_`). Secrets that are looked up
 * (access / refresh tokens, codes, app secrets) are stored as SHA-256 hashes; the webhook
 * signature key is kept because the emulator must sign with it.
 */
const initial: Migration = {
  id: "vklive:001-initial",
  up(db) {
    db.exec(`
      CREATE TABLE vklive_apps (
        client_id TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        signature_key TEXT NOT NULL,
        redirect_uri TEXT NOT NULL,
        webhook_url TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE vklive_users (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        nick TEXT NOT NULL,
        nick_color INTEGER NOT NULL DEFAULT 0,
        avatar_url TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL
      );
      CREATE TABLE vklive_channels (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        url TEXT NOT NULL UNIQUE,
        owner_id INTEGER NOT NULL REFERENCES vklive_users(id),
        status TEXT NOT NULL DEFAULT 'active',
        stream_title TEXT NOT NULL DEFAULT '',
        category TEXT,
        planned_at INTEGER,
        stream_key TEXT NOT NULL,
        chat_settings TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL
      );
      CREATE TABLE vklive_moderators (
        channel_id INTEGER NOT NULL REFERENCES vklive_channels(id),
        user_id INTEGER NOT NULL REFERENCES vklive_users(id),
        PRIMARY KEY (channel_id, user_id)
      );
      CREATE TABLE vklive_follows (
        channel_id INTEGER NOT NULL REFERENCES vklive_channels(id),
        user_id INTEGER NOT NULL REFERENCES vklive_users(id),
        created_at INTEGER NOT NULL,
        PRIMARY KEY (channel_id, user_id)
      );
      CREATE TABLE vklive_streams (
        id TEXT PRIMARY KEY,
        channel_id INTEGER NOT NULL REFERENCES vklive_channels(id),
        title TEXT NOT NULL,
        category TEXT,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        viewers INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX vklive_streams_channel ON vklive_streams (channel_id, started_at);
      CREATE TABLE vklive_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel_id INTEGER NOT NULL REFERENCES vklive_channels(id),
        stream_id TEXT,
        author_id INTEGER NOT NULL REFERENCES vklive_users(id),
        parts TEXT NOT NULL,
        text TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX vklive_messages_channel ON vklive_messages (channel_id, id);
      CREATE INDEX vklive_messages_author ON vklive_messages (channel_id, author_id, id);
      CREATE TABLE vklive_codes (
        code_hash TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        redirect_uri TEXT NOT NULL,
        scopes TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        used INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE vklive_tokens (
        token_hash TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        grant_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        user_id INTEGER,
        scopes TEXT NOT NULL,
        flow TEXT NOT NULL,
        redirect_uri TEXT,
        expires_at INTEGER NOT NULL,
        revoked INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX vklive_tokens_grant ON vklive_tokens (grant_id);
      CREATE INDEX vklive_tokens_user ON vklive_tokens (client_id, user_id);
      CREATE TABLE vklive_rewards (
        id TEXT PRIMARY KEY,
        channel_id INTEGER NOT NULL REFERENCES vklive_channels(id),
        name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        price INTEGER NOT NULL,
        is_enabled INTEGER NOT NULL DEFAULT 1,
        is_message_required INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE vklive_balances (
        channel_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        balance INTEGER NOT NULL,
        PRIMARY KEY (channel_id, user_id)
      );
      CREATE TABLE vklive_demands (
        id TEXT PRIMARY KEY,
        channel_id INTEGER NOT NULL REFERENCES vklive_channels(id),
        reward_id TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        message TEXT,
        status TEXT NOT NULL DEFAULT 'pending',
        created_at INTEGER NOT NULL
      );
      CREATE TABLE vklive_webhook_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        client_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        url TEXT NOT NULL,
        event TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        reply_status TEXT,
        last_error TEXT,
        created_at INTEGER NOT NULL
      );
    `);
  },
};

/**
 * Token families (OAuth 2.0 Security BCP, RFC 9700): every token descending from one
 * authorization (a code exchange, an admin issue) shares `family_id`, so a replayed code or a
 * reused rotated refresh token revokes them all. The code remembers the family it started.
 */
const families: Migration = {
  id: "vklive:002-token-families",
  up(db) {
    db.exec(`
      ALTER TABLE vklive_tokens ADD COLUMN family_id TEXT;
      UPDATE vklive_tokens SET family_id = grant_id;
      CREATE INDEX vklive_tokens_family ON vklive_tokens (family_id);
      ALTER TABLE vklive_codes ADD COLUMN family_id TEXT;
    `);
  },
};

/**
 * Bounded cost per request (issue 12 item 6): every list the API answers reads an index in the
 * order it answers, stopping at `limit` (≤ 200). Chat members come from `vklive_chatters` (one
 * row per author and channel, kept by a trigger) instead of grouping every message of the chat;
 * a member's message count is a counter there.
 */
const boundedLists: Migration = {
  id: "vklive:003-bounded-lists",
  up(db) {
    db.exec(`
      CREATE TABLE vklive_chatters (
        channel_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        last_message_id INTEGER NOT NULL,
        messages INTEGER NOT NULL,
        PRIMARY KEY (channel_id, user_id)
      ) WITHOUT ROWID;
      INSERT INTO vklive_chatters (channel_id, user_id, last_message_id, messages)
        SELECT channel_id, author_id, MAX(id), COUNT(*) FROM vklive_messages GROUP BY channel_id, author_id;
      CREATE INDEX vklive_chatters_recent ON vklive_chatters (channel_id, last_message_id DESC);
      CREATE TRIGGER vklive_messages_chatter AFTER INSERT ON vklive_messages BEGIN
        INSERT OR IGNORE INTO vklive_chatters (channel_id, user_id, last_message_id, messages)
          VALUES (new.channel_id, new.author_id, new.id, 0);
        UPDATE vklive_chatters SET last_message_id = new.id, messages = messages + 1
          WHERE channel_id = new.channel_id AND user_id = new.author_id;
      END;
      CREATE INDEX vklive_channels_owner ON vklive_channels (owner_id, id);
      CREATE INDEX vklive_streams_live ON vklive_streams (viewers DESC, channel_id) WHERE ended_at IS NULL;
      CREATE INDEX vklive_streams_ended ON vklive_streams (channel_id, started_at DESC, id)
        WHERE ended_at IS NOT NULL;
      CREATE INDEX vklive_rewards_channel ON vklive_rewards (channel_id, price, id);
      CREATE INDEX vklive_demands_channel ON vklive_demands (channel_id, created_at DESC, id);
      CREATE INDEX vklive_tokens_live_user ON vklive_tokens (user_id, kind, revoked, expires_at);
    `);
  },
};

export const vkliveStoreModule: StoreModule = {
  platform: "vklive",
  migrations: [initial, families, boundedLists],
};
