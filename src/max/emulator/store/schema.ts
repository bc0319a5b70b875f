import type { Migration, StoreModule } from "../../../core/storage.js";

/**
 * Tables owned by the MAX emulator (prefix `max_`). Ids are INTEGER; message ids are kept
 * as INTEGER too and serialised as strings on the wire, as the real service does.
 */
const initial: Migration = {
  id: "max:001-initial",
  up(db) {
    db.exec(`
      CREATE TABLE max_users (
        id INTEGER PRIMARY KEY,
        phone TEXT NOT NULL UNIQUE,
        first_name TEXT NOT NULL,
        last_name TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT '',
        photo_id INTEGER,
        link TEXT UNIQUE,
        password_hash TEXT,
        password_hint TEXT,
        settings TEXT NOT NULL DEFAULT '{}',
        hidden INTEGER NOT NULL DEFAULT 0,
        last_seen INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE max_sessions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        token_hash TEXT NOT NULL UNIQUE,
        user_id INTEGER NOT NULL REFERENCES max_users(id),
        device_id TEXT NOT NULL DEFAULT '',
        device_type TEXT NOT NULL DEFAULT 'WEB',
        device_name TEXT NOT NULL DEFAULT '',
        app_version TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        last_active INTEGER NOT NULL,
        revoked_at INTEGER
      );
      CREATE INDEX max_sessions_user ON max_sessions(user_id);
      CREATE TABLE max_sms (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        phone TEXT NOT NULL,
        code TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX max_sms_phone ON max_sms(phone, id);
      CREATE TABLE max_contacts (
        owner_id INTEGER NOT NULL,
        contact_id INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'CONTACT',
        first_name TEXT,
        last_name TEXT,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (owner_id, contact_id)
      );
      CREATE TABLE max_chats (
        id INTEGER PRIMARY KEY,
        type TEXT NOT NULL,
        title TEXT,
        description TEXT NOT NULL DEFAULT '',
        owner_id INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'ACTIVE',
        link TEXT UNIQUE,
        invite_hash TEXT UNIQUE,
        pinned_message_id INTEGER,
        options TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL,
        modified_at INTEGER NOT NULL,
        last_event_time INTEGER NOT NULL
      );
      CREATE TABLE max_members (
        chat_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        role TEXT NOT NULL DEFAULT 'MEMBER',
        permissions INTEGER NOT NULL DEFAULT 0,
        joined_at INTEGER NOT NULL,
        read_mark INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (chat_id, user_id)
      );
      CREATE INDEX max_members_user ON max_members(user_id);
      CREATE TABLE max_messages (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        sender_id INTEGER NOT NULL,
        time INTEGER NOT NULL,
        type TEXT NOT NULL DEFAULT 'USER',
        text TEXT NOT NULL DEFAULT '',
        cid INTEGER,
        elements TEXT NOT NULL DEFAULT '[]',
        attaches TEXT NOT NULL DEFAULT '[]',
        link TEXT,
        status TEXT,
        update_time INTEGER
      );
      CREATE INDEX max_messages_chat_time ON max_messages(chat_id, time, id);
      CREATE TABLE max_hidden_messages (
        user_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        PRIMARY KEY (user_id, message_id)
      );
      CREATE TABLE max_reactions (
        message_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        reaction TEXT NOT NULL,
        time INTEGER NOT NULL,
        PRIMARY KEY (message_id, user_id)
      );
      CREATE TABLE max_files (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        token TEXT NOT NULL UNIQUE,
        owner_id INTEGER NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        mime TEXT NOT NULL DEFAULT 'application/octet-stream',
        size INTEGER NOT NULL DEFAULT 0,
        path TEXT,
        state TEXT NOT NULL DEFAULT 'PENDING',
        created_at INTEGER NOT NULL
      );
      CREATE TABLE max_presence_subs (
        user_id INTEGER NOT NULL,
        target_id INTEGER NOT NULL,
        PRIMARY KEY (user_id, target_id)
      );
      CREATE TABLE max_sequences (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      );
    `);
  },
};

/**
 * Chats & messages: a dialog is found by its member pair (`dialog_key`, since XOR ids can
 * collide), the chat remembers the `cid` of the message that created it, members joined with
 * `showHistory: false` only see messages from `history_from` on.
 */
const chatsExtra: Migration = {
  id: "max:002-chats-extra",
  up(db) {
    db.exec(`
      ALTER TABLE max_chats ADD COLUMN cid INTEGER;
      ALTER TABLE max_chats ADD COLUMN dialog_key TEXT;
      CREATE UNIQUE INDEX max_chats_dialog ON max_chats(dialog_key);
      ALTER TABLE max_members ADD COLUMN history_from INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE max_members ADD COLUMN invited_by INTEGER;
    `);
  },
};

/** Upload bookkeeping for max_files: upload secret, download secret, media facts. */
const filesUpload: Migration = {
  id: "max:003-files-upload",
  up(db) {
    db.exec(`
      ALTER TABLE max_files ADD COLUMN upload_key TEXT;
      ALTER TABLE max_files ADD COLUMN download_key TEXT;
      ALTER TABLE max_files ADD COLUMN media_type INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE max_files ADD COLUMN width INTEGER;
      ALTER TABLE max_files ADD COLUMN height INTEGER;
      ALTER TABLE max_files ADD COLUMN completed_at INTEGER;
      CREATE INDEX max_files_upload_key ON max_files(upload_key);
      CREATE UNIQUE INDEX max_files_download_key ON max_files(download_key);
    `);
  },
};

/**
 * Was a trigram full-text index for search, kept by triggers on every insert; it halved send
 * throughput, so search became a bounded scan of recent messages. The id stays so databases
 * that ran it are cleaned up by the next step; on new databases it does nothing.
 */
const messagesFts: Migration = {
  id: "max:004-messages-fts",
  up() {},
};

const dropMessagesFts: Migration = {
  id: "max:005-drop-messages-fts",
  up(db) {
    db.exec(`
      DROP TRIGGER IF EXISTS max_messages_fts_insert;
      DROP TRIGGER IF EXISTS max_messages_fts_delete;
      DROP TRIGGER IF EXISTS max_messages_fts_update;
      DROP TABLE IF EXISTS max_messages_fts;
    `);
  },
};

/**
 * Bots (the MAX Bot API shares this world): a bot is a `max_users` row with `is_bot = 1` and a
 * phone placeholder `bot:<id>` no login accepts. Inline keyboards get a `callbackId` each
 * (`max_keyboards`, so a press names its message), and `max_bot_starts` remembers which users
 * started which bot (the first message into a bot's dialog starts it).
 */
const bots: Migration = {
  id: "max:006-bots",
  up(db) {
    db.exec(`
      ALTER TABLE max_users ADD COLUMN is_bot INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE max_keyboards (
        callback_id TEXT PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL
      );
      CREATE INDEX max_keyboards_message ON max_keyboards(message_id);
      CREATE TABLE max_bot_starts (
        bot_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        payload TEXT,
        started_at INTEGER NOT NULL,
        PRIMARY KEY (bot_id, user_id)
      );
    `);
  },
};

/** A chat's icon (`baseIconUrl` on the wire), set by bots through the Bot API. */
const chatIcons: Migration = {
  id: "max:007-chat-icons",
  up(db) {
    db.exec("ALTER TABLE max_chats ADD COLUMN icon_url TEXT");
  },
};

/**
 * Chat folders (PyMax FOLDERS_GET / UPDATE / DELETE): each user's folders in their order, and
 * the user's folder sync mark.
 */
const folders: Migration = {
  id: "max:008-folders",
  up(db) {
    db.exec(`
      CREATE TABLE max_folders (
        user_id INTEGER NOT NULL,
        id TEXT NOT NULL,
        title TEXT NOT NULL,
        include TEXT NOT NULL DEFAULT '[]',
        filters TEXT NOT NULL DEFAULT '[]',
        options TEXT NOT NULL DEFAULT '[]',
        position INTEGER NOT NULL,
        update_time INTEGER NOT NULL,
        PRIMARY KEY (user_id, id)
      );
      CREATE TABLE max_folder_sync (
        user_id INTEGER PRIMARY KEY,
        folder_sync INTEGER NOT NULL
      );
    `);
  },
};

/** Poll votes (PyMax SEND_VOTE 304): who chose which answers of which poll. */
const pollVotes: Migration = {
  id: "max:009-poll-votes",
  up(db) {
    db.exec(`
      CREATE TABLE max_poll_votes (
        poll_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        answer_id INTEGER NOT NULL,
        time INTEGER NOT NULL,
        PRIMARY KEY (poll_id, user_id, answer_id)
      );
    `);
  },
};

/** The email confirmed during 2FA setup (109 / 110, applied by 111), shown by 104. */
const userEmail: Migration = {
  id: "max:010-user-email",
  up(db) {
    db.exec("ALTER TABLE max_users ADD COLUMN email TEXT");
  },
};

/**
 * Scheduled messages (64 with `delayedAttributes`): held here, visible only to their sender
 * (49 DELAYED), until `fire_at`, when they are moved into max_messages in one transaction.
 */
const delayedMessages: Migration = {
  id: "max:011-delayed-messages",
  up(db) {
    db.exec(`
      CREATE TABLE max_delayed_messages (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        sender_id INTEGER NOT NULL,
        cid INTEGER,
        text TEXT NOT NULL,
        elements TEXT NOT NULL DEFAULT '[]',
        attaches TEXT NOT NULL DEFAULT '[]',
        link TEXT,
        notify_sender INTEGER NOT NULL DEFAULT 0,
        fire_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        update_time INTEGER NOT NULL
      );
      CREATE INDEX max_delayed_due ON max_delayed_messages (fire_at, id);
      CREATE INDEX max_delayed_by_sender ON max_delayed_messages (chat_id, sender_id, fire_at);
    `);
  },
};

export const maxStoreModule: StoreModule = {
  platform: "max",
  migrations: [
    initial,
    chatsExtra,
    filesUpload,
    messagesFts,
    dropMessagesFts,
    bots,
    chatIcons,
    folders,
    pollVotes,
    userEmail,
    delayedMessages,
  ],
};
