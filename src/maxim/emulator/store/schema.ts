import type { Migration, StoreModule } from "../../../core/storage.js";

/**
 * Tables owned by the MaxIM emulator (prefix `maxim_`). Ids are INTEGER (int64 on the wire);
 * tokens are stored as SHA-256 hashes so a copied database file hands out no credentials.
 */
const initial: Migration = {
  id: "maxim:001-initial",
  up(db) {
    db.exec(`
      CREATE TABLE maxim_apps (
        app_id TEXT PRIMARY KEY,
        admin_token_hash TEXT NOT NULL,
        license TEXT NOT NULL DEFAULT 'valid',
        config TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL
      );
      CREATE TABLE maxim_sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE maxim_users (
        user_id INTEGER PRIMARY KEY,
        app_id TEXT NOT NULL,
        username TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        nick_name TEXT,
        avatar TEXT,
        description TEXT,
        email TEXT,
        mobile TEXT,
        public_info TEXT,
        private_info TEXT,
        settings TEXT NOT NULL DEFAULT '{}',
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        UNIQUE (app_id, username)
      );
      CREATE TABLE maxim_tokens (
        token_hash TEXT PRIMARY KEY,
        app_id TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        expire INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX maxim_tokens_user ON maxim_tokens(user_id);
      CREATE TABLE maxim_push_bindings (
        app_id TEXT NOT NULL,
        push_token TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        alias TEXT,
        PRIMARY KEY (app_id, push_token)
      );
      CREATE TABLE maxim_user_tags (
        user_id INTEGER NOT NULL,
        tag TEXT NOT NULL,
        PRIMARY KEY (user_id, tag)
      );
      CREATE TABLE maxim_rosters (
        user_id INTEGER NOT NULL,
        friend_id INTEGER NOT NULL,
        alias TEXT,
        ext TEXT,
        mute_notification INTEGER NOT NULL DEFAULT 0,
        seq INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, friend_id)
      );
      CREATE TABLE maxim_roster_applies (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        from_id INTEGER NOT NULL,
        to_id INTEGER NOT NULL,
        reason TEXT,
        alias TEXT,
        status INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        expired_time INTEGER NOT NULL
      );
      CREATE INDEX maxim_roster_applies_to ON maxim_roster_applies(to_id, status);
      CREATE TABLE maxim_roster_blocks (
        user_id INTEGER NOT NULL,
        blocked_id INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, blocked_id)
      );
      CREATE TABLE maxim_groups (
        group_id INTEGER PRIMARY KEY,
        app_id TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        avatar TEXT NOT NULL DEFAULT '',
        ext TEXT NOT NULL DEFAULT '',
        type INTEGER NOT NULL DEFAULT 0,
        owner_id INTEGER NOT NULL,
        status INTEGER NOT NULL DEFAULT 0,
        member_invite INTEGER NOT NULL DEFAULT 1,
        apply_approval INTEGER NOT NULL DEFAULT 1,
        read_ack INTEGER NOT NULL DEFAULT 0,
        history_visible INTEGER NOT NULL DEFAULT 0,
        member_modify INTEGER NOT NULL DEFAULT 0,
        ban_expire_time INTEGER NOT NULL DEFAULT 0,
        capacity INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX maxim_groups_app ON maxim_groups(app_id, status);
      CREATE TABLE maxim_group_members (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        group_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        role INTEGER NOT NULL DEFAULT 0,
        display_name TEXT NOT NULL DEFAULT '',
        ban_expire INTEGER NOT NULL DEFAULT 0,
        msg_mute_mode INTEGER NOT NULL DEFAULT 0,
        msg_push_mode INTEGER NOT NULL DEFAULT 0,
        join_time INTEGER NOT NULL,
        UNIQUE (group_id, user_id)
      );
      CREATE INDEX maxim_group_members_user ON maxim_group_members(user_id);
      CREATE TABLE maxim_group_blocks (
        group_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (group_id, user_id)
      );
      CREATE TABLE maxim_group_kicks (
        group_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (group_id, user_id)
      );
      CREATE TABLE maxim_group_requests (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        group_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        inviter_id INTEGER NOT NULL DEFAULT 0,
        reason TEXT,
        status INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        expired_time INTEGER NOT NULL
      );
      CREATE INDEX maxim_group_requests_group ON maxim_group_requests(group_id, kind, status);
      CREATE TABLE maxim_group_announcements (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        group_id INTEGER NOT NULL,
        author INTEGER NOT NULL,
        title TEXT NOT NULL,
        content TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE maxim_group_files (
        file_id INTEGER PRIMARY KEY AUTOINCREMENT,
        group_id INTEGER NOT NULL,
        uploader INTEGER NOT NULL,
        name TEXT NOT NULL,
        size INTEGER NOT NULL,
        type TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE maxim_messages (
        msg_id INTEGER PRIMARY KEY,
        app_id TEXT NOT NULL,
        from_id INTEGER NOT NULL,
        to_id INTEGER NOT NULL,
        to_type INTEGER NOT NULL,
        content_type INTEGER NOT NULL,
        content TEXT NOT NULL DEFAULT '',
        attachment TEXT,
        ext TEXT,
        config TEXT,
        recalled INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX maxim_messages_to ON maxim_messages(to_type, to_id, msg_id);
      CREATE INDEX maxim_messages_from ON maxim_messages(from_id, to_id, msg_id);
      CREATE TABLE maxim_inbox (
        user_id INTEGER NOT NULL,
        conversation_id INTEGER NOT NULL,
        msg_id INTEGER NOT NULL,
        read INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, msg_id)
      );
      CREATE INDEX maxim_inbox_unread ON maxim_inbox(user_id, read, conversation_id);
      CREATE TABLE maxim_transactions (
        app_id TEXT NOT NULL,
        transaction_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (app_id, transaction_id)
      );
      CREATE TABLE maxim_pushes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        app_id TEXT NOT NULL,
        audience TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
    `);
  },
};

/**
 * Devices and presence (a token's device and last use), admin tokens beyond the first, push
 * recipients, system notifications and per-user conversation deletion.
 */
const devices: Migration = {
  id: "maxim:002-devices-presence-push",
  up(db) {
    db.exec(`
      ALTER TABLE maxim_tokens ADD COLUMN device_sn INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE maxim_tokens ADD COLUMN last_used INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE maxim_devices (
        user_id INTEGER NOT NULL,
        device_sn INTEGER NOT NULL,
        app_id TEXT NOT NULL,
        device_guid TEXT NOT NULL,
        platform INTEGER NOT NULL,
        user_agent TEXT NOT NULL DEFAULT '',
        push_token TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, device_sn),
        UNIQUE (user_id, device_guid)
      );
      ALTER TABLE maxim_push_bindings ADD COLUMN device_sn INTEGER;
      CREATE INDEX maxim_push_bindings_user ON maxim_push_bindings(user_id);
      CREATE INDEX maxim_users_app ON maxim_users(app_id, user_id);
      CREATE INDEX maxim_users_mobile ON maxim_users(app_id, mobile);
      CREATE TABLE maxim_admin_tokens (
        token_hash TEXT PRIMARY KEY,
        app_id TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      ALTER TABLE maxim_messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'message';
      ALTER TABLE maxim_pushes ADD COLUMN recipients TEXT NOT NULL DEFAULT '[]';
      CREATE TABLE maxim_conversation_cleared (
        user_id INTEGER NOT NULL,
        conversation_id INTEGER NOT NULL,
        up_to_msg_id INTEGER NOT NULL,
        PRIMARY KEY (user_id, conversation_id)
      );
    `);
  },
};

/**
 * Issue 12: transaction_id de-duplication per sender (app + from + transaction_id) with its window
 * swept by `created_at`, and an index for every WHERE clause a list or limit check runs per request.
 */
const hardening: Migration = {
  id: "maxim:003-dedupe-per-sender-indexes",
  up(db) {
    db.exec(`
      DROP TABLE maxim_transactions;
      CREATE TABLE maxim_transactions (
        app_id TEXT NOT NULL,
        from_id INTEGER NOT NULL,
        transaction_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (app_id, from_id, transaction_id)
      );
      CREATE INDEX maxim_transactions_created ON maxim_transactions(created_at);
      CREATE INDEX maxim_groups_owner ON maxim_groups(owner_id, status);
      CREATE INDEX maxim_group_requests_user ON maxim_group_requests(user_id, kind, id);
      CREATE INDEX maxim_group_announcements_group ON maxim_group_announcements(group_id, id);
      CREATE INDEX maxim_group_files_group ON maxim_group_files(group_id, file_id);
      CREATE INDEX maxim_roster_applies_to_id ON maxim_roster_applies(to_id, id);
      CREATE INDEX maxim_rosters_seq ON maxim_rosters(user_id, seq);
    `);
  },
};

export const maximStoreModule: StoreModule = {
  platform: "maxim",
  migrations: [initial, devices, hardening],
};
