import type { Migration, StoreModule } from "../../../core/storage.js";

/**
 * Tables owned by the WebQQ emulator (prefix `webqq_`). Passwords are kept as md5(password) —
 * what the password hash of the login needs — and session secrets (psessionid, vfwebqq,
 * ptwebqq) only as SHA-256 hashes, so a copied database hands out no live session.
 */
const initial: Migration = {
  id: "webqq:001-initial",
  up(db) {
    db.exec(`
      CREATE TABLE webqq_accounts (
        qq INTEGER PRIMARY KEY,
        uin INTEGER NOT NULL UNIQUE,
        password_md5 TEXT NOT NULL,
        nick TEXT NOT NULL,
        face INTEGER NOT NULL DEFAULT 0,
        long_nick TEXT NOT NULL DEFAULT '',
        gender TEXT NOT NULL DEFAULT 'unknown',
        captcha INTEGER NOT NULL DEFAULT 0,
        blocked INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE webqq_categories (
        qq INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (qq, idx)
      );
      CREATE TABLE webqq_friends (
        qq INTEGER NOT NULL,
        friend INTEGER NOT NULL,
        category INTEGER NOT NULL DEFAULT 0,
        markname TEXT,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (qq, friend)
      );
      CREATE TABLE webqq_groups (
        gid INTEGER PRIMARY KEY,
        code INTEGER NOT NULL UNIQUE,
        account INTEGER NOT NULL UNIQUE,
        name TEXT NOT NULL,
        owner INTEGER NOT NULL,
        memo TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL
      );
      CREATE TABLE webqq_group_members (
        gid INTEGER NOT NULL,
        qq INTEGER NOT NULL,
        mflag INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (gid, qq)
      );
      CREATE INDEX webqq_group_members_qq ON webqq_group_members(qq);
      CREATE TABLE webqq_discus (
        did INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        owner INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE webqq_discu_members (
        did INTEGER NOT NULL,
        qq INTEGER NOT NULL,
        PRIMARY KEY (did, qq)
      );
      CREATE INDEX webqq_discu_members_qq ON webqq_discu_members(qq);
      CREATE TABLE webqq_sessions (
        psessionid_hash TEXT PRIMARY KEY,
        vfwebqq_hash TEXT NOT NULL UNIQUE,
        qq INTEGER NOT NULL,
        clientid TEXT NOT NULL,
        status TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'active',
        created_at INTEGER NOT NULL
      );
      CREATE INDEX webqq_sessions_qq ON webqq_sessions(qq);
      CREATE TABLE webqq_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        from_qq INTEGER NOT NULL,
        target INTEGER NOT NULL,
        clientid TEXT NOT NULL,
        client_msg_id INTEGER NOT NULL,
        content TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (from_qq, clientid, client_msg_id)
      );
      CREATE TABLE webqq_files (
        name TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        owner INTEGER NOT NULL,
        data BLOB NOT NULL,
        size INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
    `);
  },
};

/**
 * Sessions survive a restart: the ptwebqq hash (s.web2 cookie check, relink), the last activity
 * (idle TTL) and the per-session poll queue (items delivered but not yet polled). Sessions from
 * before this step were memory-only and are gone, so they are closed.
 */
const sessionPersistence: Migration = {
  id: "webqq:002-session-persistence",
  up(db) {
    db.exec(`
      ALTER TABLE webqq_sessions ADD COLUMN ptwebqq_hash TEXT NOT NULL DEFAULT '';
      ALTER TABLE webqq_sessions ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;
      UPDATE webqq_sessions SET state = 'closed' WHERE state <> 'closed';
      CREATE INDEX webqq_sessions_live ON webqq_sessions(state) WHERE state <> 'closed';
      CREATE INDEX webqq_sessions_ptwebqq ON webqq_sessions(ptwebqq_hash);
      CREATE TABLE webqq_session_queue (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        psessionid_hash TEXT NOT NULL,
        item TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX webqq_session_queue_session ON webqq_session_queue(psessionid_hash, id);
    `);
  },
};

/**
 * De-duplication of sends moves out of `webqq_messages` (whose UNIQUE key dropped a repeat of
 * sender + clientid + msg_id forever) into `webqq_send_ids`: one row per accepted send, keyed by
 * sender + clientid + msg_id + a hash of the content, pruned by age (the window) and by count per
 * sender + clientid. `webqq_messages` is rebuilt without the UNIQUE key, with indexes for the
 * recent-chats query. `webqq_session_queue` gets no new column: its size is counted per session.
 */
const sendDedup: Migration = {
  id: "webqq:003-send-dedup",
  up(db) {
    db.exec(`
      CREATE TABLE webqq_messages_new (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        from_qq INTEGER NOT NULL,
        target INTEGER NOT NULL,
        clientid TEXT NOT NULL,
        client_msg_id INTEGER NOT NULL,
        content TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      INSERT INTO webqq_messages_new SELECT id, kind, from_qq, target, clientid, client_msg_id, content, created_at
        FROM webqq_messages;
      DROP TABLE webqq_messages;
      ALTER TABLE webqq_messages_new RENAME TO webqq_messages;
      CREATE INDEX webqq_messages_from ON webqq_messages(from_qq, id);
      CREATE INDEX webqq_messages_target ON webqq_messages(target, id);
      CREATE TABLE webqq_send_ids (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        from_qq INTEGER NOT NULL,
        clientid TEXT NOT NULL,
        client_msg_id INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (from_qq, clientid, client_msg_id, content_hash)
      );
      CREATE INDEX webqq_send_ids_age ON webqq_send_ids(created_at);
      CREATE INDEX webqq_send_ids_scope ON webqq_send_ids(from_qq, clientid, seq);
    `);
  },
};

export const webqqStoreModule: StoreModule = {
  platform: "webqq",
  migrations: [initial, sessionPersistence, sendDedup],
};
