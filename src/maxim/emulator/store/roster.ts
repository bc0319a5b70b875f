import type { RunResult } from "better-sqlite3";
import type { StatementCache } from "../../../core/emulator/store.js";

/** Friends (`maxim_rosters`), applications and the per-user blacklist. */
export class RosterStore {
  constructor(private readonly sql: StatementCache) {}

  friendship(...params: unknown[]): unknown {
    return this.sql.get("SELECT * FROM maxim_rosters WHERE user_id = ? AND friend_id = ?").get(...params);
  }
  isBlocked(...params: unknown[]): unknown {
    return this.sql
      .get("SELECT 1 FROM maxim_roster_blocks WHERE user_id = ? AND blocked_id = ?")
      .get(...params);
  }
  insertApply(...params: unknown[]): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_roster_applies (from_id, to_id, reason, alias, created_at, expired_time) VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(...params);
  }
  pendingApply(...params: unknown[]): unknown {
    return this.sql
      .get(
        `SELECT id FROM maxim_roster_applies WHERE from_id = ? AND to_id = ? AND status = 0 AND expired_time > ?`,
      )
      .get(...params);
  }
  friendsWithNames(...params: unknown[]): unknown[] {
    return this.sql
      .get(
        `SELECT u.user_id, COALESCE(NULLIF(r.alias, ''), NULLIF(u.nick_name, ''), u.username) AS name FROM maxim_rosters r JOIN maxim_users u ON u.user_id = r.friend_id WHERE r.user_id = ? ORDER BY r.seq`,
      )
      .all(...params);
  }
  friendsAfter(...params: unknown[]): unknown[] {
    return this.sql
      .get(`SELECT friend_id, seq FROM maxim_rosters WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?`)
      .all(...params);
  }
  appliesAfter(...params: unknown[]): unknown[] {
    return this.sql
      .get(
        `SELECT id, from_id, reason, status, expired_time FROM maxim_roster_applies WHERE to_id = ? AND id > ? ORDER BY id LIMIT ?`,
      )
      .all(...params);
  }
  acceptApply(...params: unknown[]): RunResult {
    return this.sql.get("UPDATE maxim_roster_applies SET status = 1 WHERE id = ?").run(...params);
  }
  declineApply(...params: unknown[]): RunResult {
    return this.sql.get("UPDATE maxim_roster_applies SET status = 2 WHERE id = ?").run(...params);
  }
  deleteFriend(...params: unknown[]): RunResult {
    return this.sql.get("DELETE FROM maxim_rosters WHERE user_id = ? AND friend_id = ?").run(...params);
  }
  updateFriend(...params: unknown[]): RunResult {
    return this.sql
      .get(
        `UPDATE maxim_rosters SET alias = COALESCE(?, alias), ext = COALESCE(?, ext), mute_notification = COALESCE(?, mute_notification) WHERE user_id = ? AND friend_id = ?`,
      )
      .run(...params);
  }
  insertBlock(...params: unknown[]): RunResult {
    return this.sql.get("INSERT INTO maxim_roster_blocks VALUES (?, ?, ?)").run(...params);
  }
  deleteBlock(...params: unknown[]): RunResult {
    return this.sql
      .get("DELETE FROM maxim_roster_blocks WHERE user_id = ? AND blocked_id = ?")
      .run(...params);
  }
  blockedIds(...params: unknown[]): unknown[] {
    return this.sql
      .get("SELECT blocked_id FROM maxim_roster_blocks WHERE user_id = ? ORDER BY created_at")
      .all(...params);
  }

  /** One side of a friendship (user_id, friend_id, alias, seq, created_at). */
  insertFriend(...params: unknown[]): RunResult {
    return this.sql
      .get(
        "INSERT OR IGNORE INTO maxim_rosters (user_id, friend_id, alias, seq, created_at) VALUES (?, ?, ?, ?, ?)",
      )
      .run(...params);
  }
}
