import type { RunResult } from "better-sqlite3";
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

const LOGIN_COLUMNS = { username: "username", mobile: "mobile", email: "email" } as const;
const PROFILE_COLUMNS = {
  avatar: "avatar",
  nick_name: "nick_name",
  mobile: "mobile",
  username: "username",
} as const;

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

  deviceByGuid(userId: number, deviceGuid: string): unknown {
    return this.sql
      .get(`SELECT device_sn, push_token FROM maxim_devices WHERE user_id = ? AND device_guid = ?`)
      .get(userId, deviceGuid);
  }
  lastDeviceSn(userId: number): unknown {
    return this.sql.get("SELECT MAX(device_sn) AS n FROM maxim_devices WHERE user_id = ?").get(userId);
  }
  insertDevice(
    userId: number,
    deviceSn: number | null,
    appId: string,
    deviceGuid: string,
    platform: number,
    userAgent: string,
    pushToken: string,
    createdAt: number,
  ): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_devices (user_id, device_sn, app_id, device_guid, platform, user_agent, push_token, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(userId, deviceSn, appId, deviceGuid, platform, userAgent, pushToken, createdAt);
  }
  insertPushBinding(appId: string, pushToken: string, userId: number, deviceSn: number | null): RunResult {
    return this.sql
      .get(`INSERT INTO maxim_push_bindings (app_id, push_token, user_id, device_sn) VALUES (?, ?, ?, ?)`)
      .run(appId, pushToken, userId, deviceSn);
  }
  insertToken(
    tokenHash: string,
    appId: string,
    userId: number,
    expire: number,
    createdAt: number,
    deviceSn: number | null,
    lastUsed: number,
  ): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_tokens (token_hash, app_id, user_id, expire, created_at, device_sn, last_used) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(tokenHash, appId, userId, expire, createdAt, deviceSn, lastUsed);
  }
  hasRecentToken(userId: number, appId: string, expire: number, lastUsed: number): unknown {
    return this.sql
      .get(
        `SELECT 1 FROM maxim_tokens WHERE user_id = ? AND app_id = ? AND expire > ? AND last_used >= ? LIMIT 1`,
      )
      .get(userId, appId, expire, lastUsed);
  }
  usernameTaken(appId: string, username: string): unknown {
    return this.sql.get("SELECT 1 FROM maxim_users WHERE app_id = ? AND username = ?").get(appId, username);
  }
  /** Users of the app, counted up to `cap` (the license's limit): never a scan past it. */
  countUsers(appId: string, cap: number): unknown {
    return this.sql
      .get("SELECT COUNT(*) AS n FROM (SELECT 1 FROM maxim_users WHERE app_id = ? LIMIT ?)")
      .get(appId, cap);
  }
  insertUser(
    userId: number,
    appId: string,
    username: string,
    passwordHash: string,
    createdAt: number,
  ): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_users (user_id, app_id, username, password_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
      )
      .run(userId, appId, username, passwordHash, createdAt);
  }
  setDisabled(disabled: number, userId: number): RunResult {
    return this.sql.get("UPDATE maxim_users SET disabled = ? WHERE user_id = ?").run(disabled, userId);
  }
  deleteTokens(userId: number): RunResult {
    return this.sql.get("DELETE FROM maxim_tokens WHERE user_id = ?").run(userId);
  }
  setPasswordHash(passwordHash: string, userId: number): RunResult {
    return this.sql
      .get("UPDATE maxim_users SET password_hash = ? WHERE user_id = ?")
      .run(passwordHash, userId);
  }
  updateProfile(
    nickName: string | null,
    description: string | null,
    publicInfo: string | null,
    privateInfo: string | null,
    avatar: string | null,
    userId: number,
  ): RunResult {
    return this.sql
      .get(
        `UPDATE maxim_users SET nick_name = COALESCE(?, nick_name), description = COALESCE(?, description), public_info = COALESCE(?, public_info), private_info = COALESCE(?, private_info), avatar = COALESCE(?, avatar) WHERE user_id = ?`,
      )
      .run(nickName, description, publicInfo, privateInfo, avatar, userId);
  }
  setSettings(settings: string, userId: number): RunResult {
    return this.sql.get("UPDATE maxim_users SET settings = ? WHERE user_id = ?").run(settings, userId);
  }
  deleteDeviceTokens(userId: number, deviceSn: number | null): RunResult {
    return this.sql.get("DELETE FROM maxim_tokens WHERE user_id = ? AND device_sn = ?").run(userId, deviceSn);
  }
  pushBindingOwner(appId: string, pushToken: string): unknown {
    return this.sql
      .get("SELECT user_id FROM maxim_push_bindings WHERE app_id = ? AND push_token = ?")
      .get(appId, pushToken);
  }
  upsertPushAlias(appId: string, pushToken: string, userId: number, alias: string | null): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_push_bindings (app_id, push_token, user_id, alias) VALUES (?, ?, ?, ?) ON CONFLICT (app_id, push_token) DO UPDATE SET alias = excluded.alias`,
      )
      .run(appId, pushToken, userId, alias);
  }
  tags(userId: number): unknown[] {
    return this.sql.get("SELECT tag FROM maxim_user_tags WHERE user_id = ? ORDER BY tag").all(userId);
  }
  usersAfter(appId: string, userId: number, limit: number): unknown[] {
    return this.sql
      .get(
        `SELECT user_id, username, disabled FROM maxim_users WHERE app_id = ? AND user_id > ? ORDER BY user_id LIMIT ?`,
      )
      .all(appId, userId, limit);
  }
  usersPage(appId: string, limit: number, offset: number): unknown[] {
    return this.sql
      .get(
        `SELECT user_id, username, disabled FROM maxim_users WHERE app_id = ? ORDER BY user_id LIMIT ? OFFSET ?`,
      )
      .all(appId, limit, offset);
  }
  devices(userId: number): unknown[] {
    return this.sql
      .get(
        `SELECT device_sn, platform, user_agent, user_id FROM maxim_devices WHERE user_id = ? ORDER BY device_sn`,
      )
      .all(userId);
  }
  deleteDevice(userId: number, deviceSn: number | null): RunResult {
    return this.sql
      .get("DELETE FROM maxim_devices WHERE user_id = ? AND device_sn = ?")
      .run(userId, deviceSn);
  }
  deleteDevicePushBindings(userId: number, deviceSn: number | null): RunResult {
    return this.sql
      .get("DELETE FROM maxim_push_bindings WHERE user_id = ? AND device_sn = ?")
      .run(userId, deviceSn);
  }
  byUsername(appId: string, username: string): unknown {
    return this.sql.get("SELECT * FROM maxim_users WHERE app_id = ? AND username = ?").get(appId, username);
  }
  byId(userId: number, appId: string): unknown {
    return this.sql.get("SELECT * FROM maxim_users WHERE user_id = ? AND app_id = ?").get(userId, appId);
  }

  /** The first user of the app whose `column` is `value` (logins by username, mobile or email). */
  byColumn(column: "username" | "mobile" | "email", appId: string, value: string): UserRow | undefined {
    const col = LOGIN_COLUMNS[column];
    return this.sql
      .get(`SELECT * FROM maxim_users WHERE app_id = ? AND ${col} = ? ORDER BY user_id LIMIT 1`)
      .get(appId, value) as UserRow | undefined;
  }

  setColumn(
    column: "avatar" | "nick_name" | "mobile" | "username",
    value: string,
    userId: number,
  ): RunResult {
    const col = PROFILE_COLUMNS[column];
    return this.sql.get(`UPDATE maxim_users SET ${col} = ? WHERE user_id = ?`).run(value, userId);
  }

  /** Adds (or removes) one push tag of the user. */
  setTag(userId: number, tag: string, add: boolean): RunResult {
    return add
      ? this.sql.get("INSERT OR IGNORE INTO maxim_user_tags VALUES (?, ?)").run(userId, tag)
      : this.sql.get("DELETE FROM maxim_user_tags WHERE user_id = ? AND tag = ?").run(userId, tag);
  }

  /**
   * The app's push bindings (devices) with their users' settings: all of them, or those whose
   * user carries one of `values` as a tag, or whose alias / user_id / push_token is in `values`.
   * One statement per list length; lists are ≤ 500, so the cache stays small.
   */
  pushBindings(
    appId: string,
    by?: "tag" | "alias" | "user_id" | "push_token",
    values: readonly (string | number)[] = [],
  ): unknown[] {
    const select = `SELECT b.push_token, b.user_id, b.alias, b.device_sn, u.settings, u.disabled
      FROM maxim_push_bindings b JOIN maxim_users u ON u.user_id = b.user_id WHERE b.app_id = ?`;
    if (by === undefined) return this.sql.get(`${select} ORDER BY b.user_id, b.push_token`).all(appId);
    const marks = values.map(() => "?").join(", ");
    const where =
      by === "tag"
        ? `b.user_id IN (SELECT user_id FROM maxim_user_tags WHERE tag IN (${marks}))`
        : `b.${by} IN (${marks})`;
    return this.sql.get(`${select} AND ${where} ORDER BY b.user_id, b.push_token`).all(appId, ...values);
  }
}
