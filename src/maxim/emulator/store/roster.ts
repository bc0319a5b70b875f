import type { RunResult } from "better-sqlite3";
import type { StatementCache } from "../../../core/emulator/store.js";

/** Friends (`maxim_rosters`), applications and the per-user blacklist. */
export class RosterStore {
  constructor(private readonly sql: StatementCache) {}

  friendship(userId: number, friendId: number): unknown {
    return this.sql
      .get("SELECT * FROM maxim_rosters WHERE user_id = ? AND friend_id = ?")
      .get(userId, friendId);
  }
  isBlocked(userId: number, blockedId: number): unknown {
    return this.sql
      .get("SELECT 1 FROM maxim_roster_blocks WHERE user_id = ? AND blocked_id = ?")
      .get(userId, blockedId);
  }
  insertApply(
    fromId: number,
    toId: number,
    reason: string | null,
    alias: string | null,
    createdAt: number,
    expiredTime: number,
  ): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_roster_applies (from_id, to_id, reason, alias, created_at, expired_time) VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(fromId, toId, reason, alias, createdAt, expiredTime);
  }
  pendingApply(fromId: number, toId: number, expiredTime: number): unknown {
    return this.sql
      .get(
        `SELECT id FROM maxim_roster_applies WHERE from_id = ? AND to_id = ? AND status = 0 AND expired_time > ?`,
      )
      .get(fromId, toId, expiredTime);
  }
  friendsWithNames(userId: number): unknown[] {
    return this.sql
      .get(
        `SELECT u.user_id, COALESCE(NULLIF(r.alias, ''), NULLIF(u.nick_name, ''), u.username) AS name FROM maxim_rosters r JOIN maxim_users u ON u.user_id = r.friend_id WHERE r.user_id = ? ORDER BY r.seq`,
      )
      .all(userId);
  }
  friendsAfter(userId: number, seq: number, limit: number): unknown[] {
    return this.sql
      .get(`SELECT friend_id, seq FROM maxim_rosters WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?`)
      .all(userId, seq, limit);
  }
  appliesAfter(toId: number, id: number, limit: number): unknown[] {
    return this.sql
      .get(
        `SELECT id, from_id, reason, status, expired_time FROM maxim_roster_applies WHERE to_id = ? AND id > ? ORDER BY id LIMIT ?`,
      )
      .all(toId, id, limit);
  }
  acceptApply(id: number): RunResult {
    return this.sql.get("UPDATE maxim_roster_applies SET status = 1 WHERE id = ?").run(id);
  }
  declineApply(id: number): RunResult {
    return this.sql.get("UPDATE maxim_roster_applies SET status = 2 WHERE id = ?").run(id);
  }
  deleteFriend(userId: number, friendId: number): RunResult {
    return this.sql
      .get("DELETE FROM maxim_rosters WHERE user_id = ? AND friend_id = ?")
      .run(userId, friendId);
  }
  updateFriend(
    alias: string | null,
    ext: string | null,
    muteNotification: number | null,
    userId: number,
    friendId: number,
  ): RunResult {
    return this.sql
      .get(
        `UPDATE maxim_rosters SET alias = COALESCE(?, alias), ext = COALESCE(?, ext), mute_notification = COALESCE(?, mute_notification) WHERE user_id = ? AND friend_id = ?`,
      )
      .run(alias, ext, muteNotification, userId, friendId);
  }
  insertBlock(userId: number, blockedId: number, createdAt: number): RunResult {
    return this.sql.get("INSERT INTO maxim_roster_blocks VALUES (?, ?, ?)").run(userId, blockedId, createdAt);
  }
  deleteBlock(userId: number, blockedId: number): RunResult {
    return this.sql
      .get("DELETE FROM maxim_roster_blocks WHERE user_id = ? AND blocked_id = ?")
      .run(userId, blockedId);
  }
  blockedIds(userId: number): unknown[] {
    return this.sql
      .get("SELECT blocked_id FROM maxim_roster_blocks WHERE user_id = ? ORDER BY created_at")
      .all(userId);
  }

  /** One side of a friendship (user_id, friend_id, alias, seq, created_at). */
  insertFriend(
    userId: number,
    friendId: number,
    alias: string | null,
    seq: number,
    createdAt: number,
  ): RunResult {
    return this.sql
      .get(
        "INSERT OR IGNORE INTO maxim_rosters (user_id, friend_id, alias, seq, created_at) VALUES (?, ?, ?, ?, ?)",
      )
      .run(userId, friendId, alias, seq, createdAt);
  }
}
