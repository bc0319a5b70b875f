import type { StatementCache } from "../../../core/emulator/store.js";

/** A row of `maxim_apps`. */
export interface AppRow {
  app_id: string;
  admin_token_hash: string;
  license: string;
  config: string;
}

/** Apps, their admin tokens, user tokens and id sequences. */
export class AppsStore {
  constructor(private readonly sql: StatementCache) {}

  find(appId: string): AppRow | undefined {
    return this.sql.get("SELECT * FROM maxim_apps WHERE app_id = ?").get(appId) as AppRow | undefined;
  }

  /** Creates the app or resets its main admin token and config. */
  upsert(appId: string, adminTokenHash: string, config: string, now: number): void {
    this.sql
      .get(
        `INSERT INTO maxim_apps (app_id, admin_token_hash, config, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (app_id) DO UPDATE SET admin_token_hash = excluded.admin_token_hash, config = excluded.config`,
      )
      .run(appId, adminTokenHash, config, now);
  }

  setConfig(appId: string, config: string): void {
    this.sql.get("UPDATE maxim_apps SET config = ? WHERE app_id = ?").run(config, appId);
  }

  setLicense(appId: string, license: string): void {
    this.sql.get("UPDATE maxim_apps SET license = ? WHERE app_id = ?").run(license, appId);
  }

  /** One more admin token for the app (kept next to the main one); ignored when already there. */
  addAdminToken(tokenHash: string, appId: string, now: number): void {
    this.sql
      .get("INSERT OR IGNORE INTO maxim_admin_tokens (token_hash, app_id, created_at) VALUES (?, ?, ?)")
      .run(tokenHash, appId, now);
  }

  deleteAdminToken(tokenHash: string): void {
    this.sql.get("DELETE FROM maxim_admin_tokens WHERE token_hash = ?").run(tokenHash);
  }

  isExtraAdminToken(tokenHash: string, appId: string): boolean {
    return !!this.sql
      .get("SELECT 1 FROM maxim_admin_tokens WHERE token_hash = ? AND app_id = ?")
      .get(tokenHash, appId);
  }

  /** A user token by its hash. */
  userToken(
    tokenHash: string,
    appId: string,
  ): { user_id: number; expire: number; last_used: number } | undefined {
    return this.sql
      .get("SELECT user_id, expire, last_used FROM maxim_tokens WHERE token_hash = ? AND app_id = ?")
      .get(tokenHash, appId) as { user_id: number; expire: number; last_used: number } | undefined;
  }

  touchUserToken(tokenHash: string, now: number): void {
    this.sql.get("UPDATE maxim_tokens SET last_used = ? WHERE token_hash = ?").run(now, tokenHash);
  }

  /** The next value of a sequence (starting at `first`). */
  nextId(name: string, first: number): number {
    const row = this.sql
      .get(
        `INSERT INTO maxim_sequences (name, value) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value`,
      )
      .get(name, first) as { value: number };
    return row.value;
  }

  /** Moves a sequence to at least `value`. */
  raiseSequence(name: string, value: number): void {
    this.sql
      .get(
        `INSERT INTO maxim_sequences (name, value) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)`,
      )
      .run(name, value);
  }
}
