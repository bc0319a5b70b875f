import type { StatementCache } from "../../../core/emulator/store.js";

/** A row of `maxim_users`. */
export interface UserRow {
  user_id: number;
  app_id: string;
  username: string;
  password_hash: string;
  nick_name: string | null;
  avatar: string | null;
  description: string | null;
  email: string | null;
  mobile: string | null;
  public_info: string | null;
  private_info: string | null;
  settings: string;
  disabled: number;
  created_at: number;
}

/** Users, their tokens, devices and push bindings. */
export class UsersStore {
  constructor(private readonly sql: StatementCache) {}

  insertIfAbsent(userId: number, appId: string, username: string, passwordHash: string, now: number): void {
    this.sql
      .get(
        `INSERT OR IGNORE INTO maxim_users (user_id, app_id, username, password_hash, created_at)
         VALUES (?, ?, ?, ?, ?)`,
      )
      .run(userId, appId, username, passwordHash, now);
  }

  /** Whether the user is disabled; undefined when no such user in the app. */
  disabled(userId: number, appId: string): boolean | undefined {
    const u = this.sql
      .get("SELECT disabled FROM maxim_users WHERE user_id = ? AND app_id = ?")
      .get(userId, appId) as { disabled: number } | undefined;
    return u === undefined ? undefined : u.disabled !== 0;
  }
}
