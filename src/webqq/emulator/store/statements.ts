/**
 * One prepared-statement cache per database for the WebQQ store modules (better-sqlite3
 * statements are cheap to run, not to prepare).
 */
import type { Statement } from "better-sqlite3";
import { StatementCache } from "../../../core/emulator/store.js";
import type { Database } from "../../../core/storage.js";

const caches = new WeakMap<Database, StatementCache>();

/** The statement for `sql` on `db`, prepared once. */
export function stmt(db: Database, sql: string): Statement {
  let cache = caches.get(db);
  if (!cache) {
    cache = new StatementCache(db);
    caches.set(db, cache);
  }
  return cache.get(sql) as unknown as Statement;
}
