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

  touch(updatedAt: number, groupId: number): RunResult {
    return this.sql.get("UPDATE maxim_groups SET updated_at = ? WHERE group_id = ?").run(updatedAt, groupId);
  }
  /** Alive groups of the app, counted up to `cap` (the limit checked): never a scan past it. */
  countAlive(appId: string, cap: number): unknown {
    return this.sql
      .get("SELECT COUNT(*) AS n FROM (SELECT 1 FROM maxim_groups WHERE app_id = ? AND status = 0 LIMIT ?)")
      .get(appId, cap);
  }
  /** Alive groups the user owns, counted up to `cap`. */
  countOwned(ownerId: number, cap: number): unknown {
    return this.sql
      .get("SELECT COUNT(*) AS n FROM (SELECT 1 FROM maxim_groups WHERE owner_id = ? AND status = 0 LIMIT ?)")
      .get(ownerId, cap);
  }
  insertGroup(
    groupId: number,
    appId: string,
    name: string,
    description: string,
    avatar: string,
    type: number,
    ownerId: number,
    capacity: number,
    createdAt: number,
    updatedAt: number,
  ): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_groups (group_id, app_id, name, description, avatar, type, owner_id, capacity, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(groupId, appId, name, description, avatar, type, ownerId, capacity, createdAt, updatedAt);
  }
  dissolve(updatedAt: number, groupId: number): RunResult {
    return this.sql
      .get("UPDATE maxim_groups SET status = 1, updated_at = ? WHERE group_id = ?")
      .run(updatedAt, groupId);
  }
  deleteAllMembers(groupId: number): RunResult {
    return this.sql.get("DELETE FROM maxim_group_members WHERE group_id = ?").run(groupId);
  }
  setApplyApproval(applyApproval: number, updatedAt: number, groupId: number): RunResult {
    return this.sql
      .get("UPDATE maxim_groups SET apply_approval = ?, updated_at = ? WHERE group_id = ?")
      .run(applyApproval, updatedAt, groupId);
  }
  setBanAll(banExpireTime: number, groupId: number): RunResult {
    return this.sql
      .get("UPDATE maxim_groups SET ban_expire_time = ? WHERE group_id = ?")
      .run(banExpireTime, groupId);
  }
  clearBanAll(groupId: number): RunResult {
    return this.sql.get("UPDATE maxim_groups SET ban_expire_time = 0 WHERE group_id = ?").run(groupId);
  }
  demoteOwner(groupId: number, userId: number): RunResult {
    return this.sql
      .get("UPDATE maxim_group_members SET role = 0 WHERE group_id = ? AND user_id = ?")
      .run(groupId, userId);
  }
  promoteOwner(groupId: number, userId: number): RunResult {
    return this.sql
      .get("UPDATE maxim_group_members SET role = 2 WHERE group_id = ? AND user_id = ?")
      .run(groupId, userId);
  }
  setOwner(ownerId: number, updatedAt: number, groupId: number): RunResult {
    return this.sql
      .get("UPDATE maxim_groups SET owner_id = ?, updated_at = ? WHERE group_id = ?")
      .run(ownerId, updatedAt, groupId);
  }
  makeAdmin(seq: number): RunResult {
    return this.sql.get("UPDATE maxim_group_members SET role = 1 WHERE seq = ?").run(seq);
  }
  makeMember(seq: number): RunResult {
    return this.sql.get("UPDATE maxim_group_members SET role = 0 WHERE seq = ?").run(seq);
  }
  admins(groupId: number): unknown[] {
    return this.sql
      .get("SELECT * FROM maxim_group_members WHERE group_id = ? AND role = 1 ORDER BY seq")
      .all(groupId);
  }
  membersAfter(groupId: number, seq: number, limit: number): unknown[] {
    return this.sql
      .get(`SELECT * FROM maxim_group_members WHERE group_id = ? AND seq > ? ORDER BY seq LIMIT ?`)
      .all(groupId, seq, limit);
  }
  joinedGroupIds(userId: number): unknown[] {
    return this.sql
      .get("SELECT group_id FROM maxim_group_members WHERE user_id = ? ORDER BY seq")
      .all(userId);
  }
  insertInvite(
    groupId: number,
    userId: number,
    inviterId: number,
    reason: string | null,
    createdAt: number,
    updatedAt: number,
    expiredTime: number,
  ): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_group_requests (kind, group_id, user_id, inviter_id, reason, created_at, updated_at, expired_time) VALUES ('invite', ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(groupId, userId, inviterId, reason, createdAt, updatedAt, expiredTime);
  }
  pendingInvite(groupId: number, userId: number, inviterId: number, expiredTime: number): unknown {
    return this.sql
      .get(
        `SELECT * FROM maxim_group_requests WHERE kind = 'invite' AND group_id = ? AND user_id = ? AND inviter_id = ? AND status = 0 AND expired_time > ? ORDER BY id DESC`,
      )
      .get(groupId, userId, inviterId, expiredTime);
  }
  setRequestStatus(status: number, updatedAt: number, id: number): RunResult {
    return this.sql
      .get("UPDATE maxim_group_requests SET status = ?, updated_at = ? WHERE id = ?")
      .run(status, updatedAt, id);
  }
  invitesAfter(userId: number, id: number, limit: number): unknown[] {
    return this.sql
      .get(
        `SELECT * FROM maxim_group_requests WHERE kind = 'invite' AND user_id = ? AND id > ? ORDER BY id LIMIT ?`,
      )
      .all(userId, id, limit);
  }
  isBlocked(groupId: number, userId: number): unknown {
    return this.sql
      .get("SELECT 1 FROM maxim_group_blocks WHERE group_id = ? AND user_id = ?")
      .get(groupId, userId);
  }
  insertApplication(
    groupId: number,
    userId: number,
    reason: string | null,
    createdAt: number,
    updatedAt: number,
    expiredTime: number,
  ): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_group_requests (kind, group_id, user_id, reason, created_at, updated_at, expired_time) VALUES ('apply', ?, ?, ?, ?, ?, ?)`,
      )
      .run(groupId, userId, reason, createdAt, updatedAt, expiredTime);
  }
  pendingApplication(groupId: number, userId: number, expiredTime: number): unknown {
    return this.sql
      .get(
        `SELECT * FROM maxim_group_requests WHERE kind = 'apply' AND group_id = ? AND user_id = ? AND status = 0 AND expired_time > ? ORDER BY id DESC`,
      )
      .get(groupId, userId, expiredTime);
  }
  deleteMember(seq: number): RunResult {
    return this.sql.get("DELETE FROM maxim_group_members WHERE seq = ?").run(seq);
  }
  countKick(groupId: number, userId: number): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_group_kicks (group_id, user_id, count) VALUES (?, ?, 1) ON CONFLICT (group_id, user_id) DO UPDATE SET count = count + 1`,
      )
      .run(groupId, userId);
  }
  insertBlock(groupId: number, userId: number, createdAt: number): RunResult {
    return this.sql.get("INSERT INTO maxim_group_blocks VALUES (?, ?, ?)").run(groupId, userId, createdAt);
  }
  deleteBlock(groupId: number, userId: number): RunResult {
    return this.sql
      .get("DELETE FROM maxim_group_blocks WHERE group_id = ? AND user_id = ?")
      .run(groupId, userId);
  }
  /** One page of the group's blacklist, by user id after `afterUserId`. */
  blocks(groupId: number, afterUserId: number, limit: number): unknown[] {
    return this.sql
      .get("SELECT * FROM maxim_group_blocks WHERE group_id = ? AND user_id > ? ORDER BY user_id LIMIT ?")
      .all(groupId, afterUserId, limit);
  }
  setMemberBan(banExpire: number, seq: number): RunResult {
    return this.sql.get("UPDATE maxim_group_members SET ban_expire = ? WHERE seq = ?").run(banExpire, seq);
  }
  clearMemberBan(seq: number): RunResult {
    return this.sql.get("UPDATE maxim_group_members SET ban_expire = 0 WHERE seq = ?").run(seq);
  }
  bannedMembers(groupId: number, banExpire: number): unknown[] {
    return this.sql
      .get(
        `SELECT * FROM maxim_group_members WHERE group_id = ? AND (ban_expire = -1 OR ban_expire > ?) ORDER BY seq`,
      )
      .all(groupId, banExpire);
  }
  insertAnnouncement(
    groupId: number,
    author: number,
    title: string,
    content: string,
    createdAt: number,
  ): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_group_announcements (group_id, author, title, content, created_at) VALUES (?, ?, ?, ?, ?)`,
      )
      .run(groupId, author, title, content, createdAt);
  }
  lastAnnouncement(groupId: number): unknown {
    return this.sql
      .get(`SELECT * FROM maxim_group_announcements WHERE group_id = ? ORDER BY id DESC LIMIT 1`)
      .get(groupId);
  }
  /** The newest `limit` announcements, newest first. */
  announcements(groupId: number, limit: number): unknown[] {
    return this.sql
      .get("SELECT * FROM maxim_group_announcements WHERE group_id = ? ORDER BY id DESC LIMIT ?")
      .all(groupId, limit);
  }
  deleteAnnouncement(id: number, groupId: number): RunResult {
    return this.sql
      .get("DELETE FROM maxim_group_announcements WHERE id = ? AND group_id = ?")
      .run(id, groupId);
  }
  insertFile(
    groupId: number,
    uploader: number,
    name: string,
    size: number,
    type: string,
    url: string,
    createdAt: number,
    updatedAt: number,
  ): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_group_files (group_id, uploader, name, size, type, url, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(groupId, uploader, name, size, type, url, createdAt, updatedAt);
  }
  file(fileId: number): unknown {
    return this.sql.get("SELECT * FROM maxim_group_files WHERE file_id = ?").get(fileId);
  }
  /** The newest `limit` shared files, oldest of them first. */
  files(groupId: number, limit: number): unknown[] {
    return this.sql
      .get(
        `SELECT * FROM (SELECT * FROM maxim_group_files WHERE group_id = ? ORDER BY file_id DESC LIMIT ?) ORDER BY file_id`,
      )
      .all(groupId, limit);
  }
  fileUploader(fileId: number, groupId: number): unknown {
    return this.sql
      .get("SELECT uploader FROM maxim_group_files WHERE file_id = ? AND group_id = ?")
      .get(fileId, groupId);
  }
  deleteFile(fileId: number): RunResult {
    return this.sql.get("DELETE FROM maxim_group_files WHERE file_id = ?").run(fileId);
  }
  renameFile(name: string, updatedAt: number, fileId: number): RunResult {
    return this.sql
      .get("UPDATE maxim_group_files SET name = ?, updated_at = ? WHERE file_id = ?")
      .run(name, updatedAt, fileId);
  }
  memberIds(groupId: number): unknown[] {
    return this.sql.get("SELECT user_id FROM maxim_group_members WHERE group_id = ?").all(groupId);
  }
  aliveGroup(groupId: number, appId: string): unknown {
    return this.sql
      .get("SELECT * FROM maxim_groups WHERE group_id = ? AND app_id = ? AND status = 0")
      .get(groupId, appId);
  }
  member(groupId: number, userId: number): unknown {
    return this.sql
      .get("SELECT * FROM maxim_group_members WHERE group_id = ? AND user_id = ?")
      .get(groupId, userId);
  }
  countMembers(groupId: number): unknown {
    return this.sql.get("SELECT COUNT(*) AS n FROM maxim_group_members WHERE group_id = ?").get(groupId);
  }
  /** Groups the user is a member of, counted up to `cap`. */
  countJoined(userId: number, cap: number): unknown {
    return this.sql
      .get("SELECT COUNT(*) AS n FROM (SELECT 1 FROM maxim_group_members WHERE user_id = ? LIMIT ?)")
      .get(userId, cap);
  }
  kicks(groupId: number, userId: number): unknown {
    return this.sql
      .get("SELECT count FROM maxim_group_kicks WHERE group_id = ? AND user_id = ?")
      .get(groupId, userId);
  }
  insertMember(groupId: number, userId: number, role: number, joinTime: number): RunResult {
    return this.sql
      .get(`INSERT INTO maxim_group_members (group_id, user_id, role, join_time) VALUES (?, ?, ?, ?)`)
      .run(groupId, userId, role, joinTime);
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
