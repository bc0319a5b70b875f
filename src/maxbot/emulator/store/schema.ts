/**
 * The maxbot store module: every maxbot_ table. Bots (token hashes → MAX user ids) are the api
 * side's; update delivery, webhooks, uploads and callbacks are the updates side's
 * (MAXBOT_UPDATES_SQL, idempotent, appended here).
 */
import type { StoreModule } from "../../../core/storage.js";
import { MAXBOT_UPDATES_SQL } from "./updates-schema.js";

export const maxbotStoreModule: StoreModule = {
  platform: "maxbot",
  migrations: [
    {
      id: "maxbot:001-bots",
      up(db) {
        db.exec(`
          CREATE TABLE IF NOT EXISTS maxbot_bots (
            user_id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            commands TEXT NOT NULL DEFAULT '[]',
            created_at INTEGER NOT NULL
          );
        `);
      },
    },
    {
      id: "maxbot:002-updates",
      up(db) {
        db.exec(MAXBOT_UPDATES_SQL);
      },
    },
    {
      // Update seqs (the long-poll markers) start at the database's creation time × 1000, so a
      // marker a bot kept from an earlier database (a sandbox restarted with --memory, a deleted
      // file) is below every seq of this one and commits nothing here; it never skips updates.
      id: "maxbot:003-seq-epoch",
      up(db) {
        const start = Date.now() * 1000;
        const row = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'maxbot_updates'").get() as
          | { seq: number }
          | undefined;
        if (!row)
          db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('maxbot_updates', ?)").run(start);
        else if (row.seq < start)
          db.prepare("UPDATE sqlite_sequence SET seq = ? WHERE name = 'maxbot_updates'").run(start);
      },
    },
  ],
};
