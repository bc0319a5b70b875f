import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Sqlite from "better-sqlite3";
import type { Database, StoreModule } from "../storage.js";

export interface OpenStoreOptions {
  /** SQLite file path, or `null` for an in-memory database (`--memory`). */
  file: string | null;
  /** Every platform's store module (each owns its `<platform>_*` tables). */
  modules: readonly StoreModule[];
}

/**
 * Opens the sandbox database: WAL journal (readers never block the writer), FULL sync (a
 * commit is on disk, surviving even an OS crash, before any client is told it succeeded;
 * the emulators group-commit their hot writes so one fsync serves a whole batch), foreign
 * keys on, then applies pending migrations of every module in one transaction each.
 */
export function openStore(options: OpenStoreOptions): Database {
  if (options.file) mkdirSync(dirname(options.file), { recursive: true });
  const db = new Sqlite(options.file ?? ":memory:");
  if (options.file) db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db, options.modules);
  return db;
}

export function migrate(db: Database, modules: readonly StoreModule[]): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS sandbox_migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`);
  const applied = new Set(
    (db.prepare("SELECT id FROM sandbox_migrations").all() as { id: string }[]).map((r) => r.id),
  );
  const ran: string[] = [];
  const record = db.prepare("INSERT INTO sandbox_migrations (id, applied_at) VALUES (?, ?)");
  for (const module of modules) {
    for (const migration of module.migrations) {
      if (applied.has(migration.id)) continue;
      db.transaction(() => {
        migration.up(db);
        record.run(migration.id, Date.now());
      })();
      ran.push(migration.id);
    }
  }
  return ran;
}

/**
 * Prepared statements made once per database and reused: a store module asks for its SQL by
 * text and gets the same statement object every time (better-sqlite3 statements are cheap to
 * run, not to prepare).
 */
export class StatementCache {
  private readonly cache = new Map<string, Sqlite.Statement>();
  constructor(readonly db: Database) {}
  get<P extends unknown[] = unknown[], R = unknown>(sql: string): Sqlite.Statement<P, R> {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s as unknown as Sqlite.Statement<P, R>;
  }
}
