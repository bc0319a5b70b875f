import type { RunResult } from "better-sqlite3";
import type { StatementCache } from "../../../core/emulator/store.js";

/** Group settings a route may set, by column (a fixed list: never a caller's text in SQL). */
const GROUP_COLUMNS = {
  name: "name",
  description: "description",
  avatar: "avatar",
  ext: "ext",
  member_invite: "member_invite",
  member_modify: "member_modify",
  read_ack: "read_ack",
  history_visible: "history_visible",
} as const;
export type GroupColumn = keyof typeof GROUP_COLUMNS;

const MEMBER_COLUMNS = {
  display_name: "display_name",
  msg_push_mode: "msg_push_mode",
  msg_mute_mode: "msg_mute_mode",
} as const;
export type MemberColumn = keyof typeof MEMBER_COLUMNS;

/** Groups, members, invitations and applications, blacklists, kicks, announcements, shared files. */
export class GroupsStore {
  constructor(private readonly sql: StatementCache) {}

  touch(...params: unknown[]): RunResult {
    return this.sql.get("UPDATE maxim_groups SET updated_at = ? WHERE group_id = ?").run(...params);
  }
  countAlive(...params: unknown[]): unknown {
    return this.sql
      .get("SELECT COUNT(*) AS n FROM maxim_groups WHERE app_id = ? AND status = 0")
      .get(...params);
  }
  countOwned(...params: unknown[]): unknown {
    return this.sql
      .get("SELECT COUNT(*) AS n FROM maxim_groups WHERE owner_id = ? AND status = 0")
      .get(...params);
  }
  insertGroup(...params: unknown[]): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_groups (group_id, app_id, name, description, avatar, type, owner_id, capacity, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(...params);
  }
  dissolve(...params: unknown[]): RunResult {
    return this.sql
      .get("UPDATE maxim_groups SET status = 1, updated_at = ? WHERE group_id = ?")
      .run(...params);
  }
  deleteAllMembers(...params: unknown[]): RunResult {
    return this.sql.get("DELETE FROM maxim_group_members WHERE group_id = ?").run(...params);
  }
  setApplyApproval(...params: unknown[]): RunResult {
    return this.sql
      .get("UPDATE maxim_groups SET apply_approval = ?, updated_at = ? WHERE group_id = ?")
      .run(...params);
  }
  setBanAll(...params: unknown[]): RunResult {
    return this.sql.get("UPDATE maxim_groups SET ban_expire_time = ? WHERE group_id = ?").run(...params);
  }
  clearBanAll(...params: unknown[]): RunResult {
    return this.sql.get("UPDATE maxim_groups SET ban_expire_time = 0 WHERE group_id = ?").run(...params);
  }
  demoteOwner(...params: unknown[]): RunResult {
    return this.sql
      .get("UPDATE maxim_group_members SET role = 0 WHERE group_id = ? AND user_id = ?")
      .run(...params);
  }
  promoteOwner(...params: unknown[]): RunResult {
    return this.sql
      .get("UPDATE maxim_group_members SET role = 2 WHERE group_id = ? AND user_id = ?")
      .run(...params);
  }
  setOwner(...params: unknown[]): RunResult {
    return this.sql
      .get("UPDATE maxim_groups SET owner_id = ?, updated_at = ? WHERE group_id = ?")
      .run(...params);
  }
  makeAdmin(...params: unknown[]): RunResult {
    return this.sql.get("UPDATE maxim_group_members SET role = 1 WHERE seq = ?").run(...params);
  }
  makeMember(...params: unknown[]): RunResult {
    return this.sql.get("UPDATE maxim_group_members SET role = 0 WHERE seq = ?").run(...params);
  }
  admins(...params: unknown[]): unknown[] {
    return this.sql
      .get("SELECT * FROM maxim_group_members WHERE group_id = ? AND role = 1 ORDER BY seq")
      .all(...params);
  }
  membersAfter(...params: unknown[]): unknown[] {
    return this.sql
      .get(`SELECT * FROM maxim_group_members WHERE group_id = ? AND seq > ? ORDER BY seq LIMIT ?`)
      .all(...params);
  }
  joinedGroupIds(...params: unknown[]): unknown[] {
    return this.sql
      .get("SELECT group_id FROM maxim_group_members WHERE user_id = ? ORDER BY seq")
      .all(...params);
  }
  insertInvite(...params: unknown[]): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_group_requests (kind, group_id, user_id, inviter_id, reason, created_at, updated_at, expired_time) VALUES ('invite', ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(...params);
  }
  pendingInvite(...params: unknown[]): unknown {
    return this.sql
      .get(
        `SELECT * FROM maxim_group_requests WHERE kind = 'invite' AND group_id = ? AND user_id = ? AND inviter_id = ? AND status = 0 AND expired_time > ? ORDER BY id DESC`,
      )
      .get(...params);
  }
  setRequestStatus(...params: unknown[]): RunResult {
    return this.sql
      .get("UPDATE maxim_group_requests SET status = ?, updated_at = ? WHERE id = ?")
      .run(...params);
  }
  invitesAfter(...params: unknown[]): unknown[] {
    return this.sql
      .get(
        `SELECT * FROM maxim_group_requests WHERE kind = 'invite' AND user_id = ? AND id > ? ORDER BY id LIMIT ?`,
      )
      .all(...params);
  }
  isBlocked(...params: unknown[]): unknown {
    return this.sql.get("SELECT 1 FROM maxim_group_blocks WHERE group_id = ? AND user_id = ?").get(...params);
  }
  insertApplication(...params: unknown[]): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_group_requests (kind, group_id, user_id, reason, created_at, updated_at, expired_time) VALUES ('apply', ?, ?, ?, ?, ?, ?)`,
      )
      .run(...params);
  }
  pendingApplication(...params: unknown[]): unknown {
    return this.sql
      .get(
        `SELECT * FROM maxim_group_requests WHERE kind = 'apply' AND group_id = ? AND user_id = ? AND status = 0 AND expired_time > ? ORDER BY id DESC`,
      )
      .get(...params);
  }
  deleteMember(...params: unknown[]): RunResult {
    return this.sql.get("DELETE FROM maxim_group_members WHERE seq = ?").run(...params);
  }
  countKick(...params: unknown[]): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_group_kicks (group_id, user_id, count) VALUES (?, ?, 1) ON CONFLICT (group_id, user_id) DO UPDATE SET count = count + 1`,
      )
      .run(...params);
  }
  insertBlock(...params: unknown[]): RunResult {
    return this.sql.get("INSERT INTO maxim_group_blocks VALUES (?, ?, ?)").run(...params);
  }
  deleteBlock(...params: unknown[]): RunResult {
    return this.sql.get("DELETE FROM maxim_group_blocks WHERE group_id = ? AND user_id = ?").run(...params);
  }
  blocks(...params: unknown[]): unknown[] {
    return this.sql
      .get("SELECT * FROM maxim_group_blocks WHERE group_id = ? ORDER BY created_at")
      .all(...params);
  }
  setMemberBan(...params: unknown[]): RunResult {
    return this.sql.get("UPDATE maxim_group_members SET ban_expire = ? WHERE seq = ?").run(...params);
  }
  clearMemberBan(...params: unknown[]): RunResult {
    return this.sql.get("UPDATE maxim_group_members SET ban_expire = 0 WHERE seq = ?").run(...params);
  }
  bannedMembers(...params: unknown[]): unknown[] {
    return this.sql
      .get(
        `SELECT * FROM maxim_group_members WHERE group_id = ? AND (ban_expire = -1 OR ban_expire > ?) ORDER BY seq`,
      )
      .all(...params);
  }
  insertAnnouncement(...params: unknown[]): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_group_announcements (group_id, author, title, content, created_at) VALUES (?, ?, ?, ?, ?)`,
      )
      .run(...params);
  }
  lastAnnouncement(...params: unknown[]): unknown {
    return this.sql
      .get(`SELECT * FROM maxim_group_announcements WHERE group_id = ? ORDER BY id DESC LIMIT 1`)
      .get(...params);
  }
  announcements(...params: unknown[]): unknown[] {
    return this.sql
      .get("SELECT * FROM maxim_group_announcements WHERE group_id = ? ORDER BY id DESC")
      .all(...params);
  }
  deleteAnnouncement(...params: unknown[]): RunResult {
    return this.sql.get("DELETE FROM maxim_group_announcements WHERE id = ? AND group_id = ?").run(...params);
  }
  insertFile(...params: unknown[]): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_group_files (group_id, uploader, name, size, type, url, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(...params);
  }
  file(...params: unknown[]): unknown {
    return this.sql.get("SELECT * FROM maxim_group_files WHERE file_id = ?").get(...params);
  }
  files(...params: unknown[]): unknown[] {
    return this.sql.get("SELECT * FROM maxim_group_files WHERE group_id = ? ORDER BY file_id").all(...params);
  }
  fileUploader(...params: unknown[]): unknown {
    return this.sql
      .get("SELECT uploader FROM maxim_group_files WHERE file_id = ? AND group_id = ?")
      .get(...params);
  }
  deleteFile(...params: unknown[]): RunResult {
    return this.sql.get("DELETE FROM maxim_group_files WHERE file_id = ?").run(...params);
  }
  renameFile(...params: unknown[]): RunResult {
    return this.sql
      .get("UPDATE maxim_group_files SET name = ?, updated_at = ? WHERE file_id = ?")
      .run(...params);
  }
  memberIds(...params: unknown[]): unknown[] {
    return this.sql.get("SELECT user_id FROM maxim_group_members WHERE group_id = ?").all(...params);
  }
  aliveGroup(...params: unknown[]): unknown {
    return this.sql
      .get("SELECT * FROM maxim_groups WHERE group_id = ? AND app_id = ? AND status = 0")
      .get(...params);
  }
  member(...params: unknown[]): unknown {
    return this.sql
      .get("SELECT * FROM maxim_group_members WHERE group_id = ? AND user_id = ?")
      .get(...params);
  }
  countMembers(...params: unknown[]): unknown {
    return this.sql.get("SELECT COUNT(*) AS n FROM maxim_group_members WHERE group_id = ?").get(...params);
  }
  countJoined(...params: unknown[]): unknown {
    return this.sql.get("SELECT COUNT(*) AS n FROM maxim_group_members WHERE user_id = ?").get(...params);
  }
  kicks(...params: unknown[]): unknown {
    return this.sql
      .get("SELECT count FROM maxim_group_kicks WHERE group_id = ? AND user_id = ?")
      .get(...params);
  }
  insertMember(...params: unknown[]): RunResult {
    return this.sql
      .get(`INSERT INTO maxim_group_members (group_id, user_id, role, join_time) VALUES (?, ?, ?, ?)`)
      .run(...params);
  }

  /** Sets one of the group's own settings (`name`, `member_invite` …) and its `updated_at`. */
  setColumn(column: GroupColumn, value: string | number, now: number, groupId: number): RunResult {
    return this.sql
      .get(`UPDATE maxim_groups SET ${GROUP_COLUMNS[column]} = ?, updated_at = ? WHERE group_id = ?`)
      .run(value, now, groupId);
  }

  /** Sets one of a member's own settings (`display_name`, `msg_push_mode`, `msg_mute_mode`). */
  setOwnColumn(column: MemberColumn, value: string | number, seq: number): RunResult {
    return this.sql
      .get(`UPDATE maxim_group_members SET ${MEMBER_COLUMNS[column]} = ? WHERE seq = ?`)
      .run(value, seq);
  }

  /** One announcement or shared file of the group (`*` or just its `uploader`). */
  item(kind: "announcement" | "file", columns: "*" | "uploader", id: number, groupId: number): unknown {
    const table = kind === "announcement" ? "maxim_group_announcements" : "maxim_group_files";
    const key = kind === "announcement" ? "id" : "file_id";
    const cols = columns === "*" ? "*" : "uploader";
    return this.sql.get(`SELECT ${cols} FROM ${table} WHERE ${key} = ? AND group_id = ?`).get(id, groupId);
  }

  /** Applications to any of `groupIds` after request `cursor` (one statement per list length). */
  applicationsAfter(groupIds: readonly number[], cursor: number, limit: number): unknown[] {
    const marks = groupIds.map(() => "?").join(",");
    return this.sql
      .get(
        `SELECT * FROM maxim_group_requests WHERE kind = 'apply' AND group_id IN (${marks}) AND id > ? ORDER BY id LIMIT ?`,
      )
      .all(...groupIds, cursor, limit);
  }
}
