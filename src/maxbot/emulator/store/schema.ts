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
  ],
};
