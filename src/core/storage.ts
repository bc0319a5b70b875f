import type BetterSqlite3 from "better-sqlite3";

/** The database handle every store module receives (better-sqlite3, synchronous). */
export type Database = BetterSqlite3.Database;

/**
 * One schema step. Ids are global and ordered (`max:001-users`); a step runs once,
 * inside a transaction, and is recorded so restarts skip it.
 */
export interface Migration {
  id: string;
  up(db: Database): void;
}

/** A platform's store module declares the tables it owns through its migrations. */
export interface StoreModule {
  platform: string;
  migrations: readonly Migration[];
}
