import type { Database } from "../../../core/storage.js";

export type ChatKind = "DIALOG" | "CHAT" | "CHANNEL";
export type Role = "OWNER" | "ADMIN" | "MEMBER";

export interface ChatRow {
  id: number;
  type: ChatKind;
  title: string | null;
  description: string;
  owner_id: number;
  status: string;
  /** Public name (`https://max.ru/<link>`), null for private chats. */
  link: string | null;
  invite_hash: string | null;
  pinned_message_id: number | null;
  options: string;
  created_at: number;
  modified_at: number;
  last_event_time: number;
  cid: number | null;
  dialog_key: string | null;
  /** The chat's icon (`baseIconUrl`), null when it has none. */
  icon_url: string | null;
}

export interface MemberRow {
  chat_id: number;
  user_id: number;
  role: Role;
  permissions: number;
  joined_at: number;
  read_mark: number;
  history_from: number;
  invited_by: number | null;
}

/** `min:max` of a dialog's two users: the unique key of a dialog. */
export function dialogKey(a: number, b: number): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

/** Cached member lists are dropped past this many chats (bounded memory). */
const MEMBER_CACHE_LIMIT = 5_000;

interface CachedMembers {
  ids: readonly number[];
  roles: ReadonlyMap<number, Role>;
}

/**
 * Chats and their members (`max_chats`, `max_members`). Membership checks are single
 * primary-key lookups; the member list (ids and roles) used for fan-out and the send path is
 * cached per chat and dropped on every membership write that goes through this repository.
 * A chat's type never changes, so it is cached for good.
 */
export class ChatsRepo {
  private readonly s;
  private readonly membersCache = new Map<number, CachedMembers>();
  private readonly kinds = new Map<number, ChatKind>();

  constructor(readonly db: Database) {
    this.s = {
      byId: db.prepare("SELECT * FROM max_chats WHERE id = ?"),
      byDialogKey: db.prepare("SELECT * FROM max_chats WHERE dialog_key = ?"),
      byInviteHash: db.prepare("SELECT * FROM max_chats WHERE invite_hash = ?"),
      byLink: db.prepare("SELECT * FROM max_chats WHERE link = ? COLLATE NOCASE"),
      recent: db.prepare("SELECT * FROM max_chats ORDER BY last_event_time DESC, id DESC LIMIT 500"),
      byTitle: db.prepare(
        "SELECT * FROM max_chats WHERE type = ? AND title = ? AND owner_id = ? ORDER BY id LIMIT 1",
      ),
      insert: db.prepare(
        `INSERT INTO max_chats (id, type, title, description, owner_id, status, options, created_at, modified_at,
           last_event_time, cid, dialog_key)
         VALUES (@id, @type, @title, @description, @owner_id, 'ACTIVE', '{}', @now, @now, @now, @cid, @dialog_key)`,
      ),
      member: db.prepare("SELECT * FROM max_members WHERE chat_id = ? AND user_id = ?"),
      memberRoles: db.prepare("SELECT user_id, role FROM max_members WHERE chat_id = ?").raw(),
      kind: db.prepare("SELECT type FROM max_chats WHERE id = ?").pluck(),
      count: db.prepare("SELECT COUNT(*) FROM max_members WHERE chat_id = ?").pluck(),
      participants: db.prepare(
        "SELECT user_id, read_mark, joined_at FROM max_members WHERE chat_id = ? ORDER BY joined_at, user_id LIMIT ?",
      ),
      adminIds: db
        .prepare(
          "SELECT user_id FROM max_members WHERE chat_id = ? AND role IN ('OWNER','ADMIN') ORDER BY joined_at, user_id",
        )
        .pluck(),
      insertMember: db.prepare(
        `INSERT OR IGNORE INTO max_members (chat_id, user_id, role, permissions, joined_at, read_mark, history_from, invited_by)
         VALUES (@chat_id, @user_id, @role, @permissions, @joined_at, @joined_at - 1, @history_from, @invited_by)`,
      ),
      deleteMember: db.prepare("DELETE FROM max_members WHERE chat_id = ? AND user_id = ?"),
      setRole: db.prepare(
        "UPDATE max_members SET role = ?, permissions = ? WHERE chat_id = ? AND user_id = ?",
      ),
      setIcon: db.prepare(
        "UPDATE max_chats SET icon_url = ?, modified_at = ?, last_event_time = MAX(last_event_time, ?) WHERE id = ?",
      ),
      setOwner: db.prepare("UPDATE max_chats SET owner_id = ?, modified_at = ? WHERE id = ?"),
      setReadMark: db.prepare("UPDATE max_members SET read_mark = ? WHERE chat_id = ? AND user_id = ?"),
      bumpReadMark: db.prepare(
        "UPDATE max_members SET read_mark = MAX(read_mark, ?) WHERE chat_id = ? AND user_id = ?",
      ),
      touch: db.prepare("UPDATE max_chats SET last_event_time = MAX(last_event_time, ?) WHERE id = ?"),
      update: db.prepare(
        `UPDATE max_chats SET title = @title, description = @description, options = @options, link = @link,
           invite_hash = @invite_hash, pinned_message_id = @pinned_message_id, modified_at = @now,
           last_event_time = MAX(last_event_time, @now) WHERE id = @id`,
      ),
      chatsOf: db.prepare(
        `SELECT c.* FROM max_members m JOIN max_chats c ON c.id = m.chat_id
         WHERE m.user_id = ? AND c.last_event_time < ? AND c.last_event_time > ?
         ORDER BY c.last_event_time DESC, c.id DESC LIMIT ?`,
      ),
      membersPage: db.prepare(
        "SELECT * FROM max_members WHERE chat_id = ? AND user_id > ? ORDER BY user_id LIMIT ?",
      ),
      adminsPage: db.prepare(
        "SELECT * FROM max_members WHERE chat_id = ? AND user_id > ? AND role IN ('OWNER','ADMIN') ORDER BY user_id LIMIT ?",
      ),
      successor: db.prepare(
        `SELECT * FROM max_members WHERE chat_id = ? AND user_id <> ?
         ORDER BY CASE role WHEN 'ADMIN' THEN 0 ELSE 1 END, joined_at, user_id LIMIT 1`,
      ),
    };
  }

  byId(id: number): ChatRow | undefined {
    return this.s.byId.get(id) as ChatRow | undefined;
  }

  dialogOf(a: number, b: number): ChatRow | undefined {
    return this.s.byDialogKey.get(dialogKey(a, b)) as ChatRow | undefined;
  }

  byInviteHash(hash: string): ChatRow | undefined {
    return this.s.byInviteHash.get(hash) as ChatRow | undefined;
  }

  byLink(name: string): ChatRow | undefined {
    return this.s.byLink.get(name) as ChatRow | undefined;
  }

  /** The 500 chats with the latest activity (the web console's list). */
  recent(): ChatRow[] {
    return this.s.recent.all() as ChatRow[];
  }

  /** The oldest group or channel of that owner with that title (seeds find theirs by it). */
  byTitle(type: ChatKind, title: string, ownerId: number): ChatRow | undefined {
    return this.s.byTitle.get(type, title, ownerId) as ChatRow | undefined;
  }

  create(
    input: {
      id: number;
      type: ChatKind;
      title?: string;
      description?: string;
      ownerId: number;
      cid?: number;
      dialogKey?: string;
    },
    now: number,
  ): ChatRow {
    this.s.insert.run({
      id: input.id,
      type: input.type,
      title: input.title ?? null,
      description: input.description ?? "",
      owner_id: input.ownerId,
      now,
      cid: input.cid ?? null,
      dialog_key: input.dialogKey ?? null,
    });
    return this.byId(input.id)!;
  }

  member(chatId: number, userId: number): MemberRow | undefined {
    return this.s.member.get(chatId, userId) as MemberRow | undefined;
  }

  private members(chatId: number): CachedMembers {
    let cached = this.membersCache.get(chatId);
    if (!cached) {
      const rows = this.s.memberRoles.all(chatId) as [number, Role][];
      cached = { ids: rows.map((r) => r[0]), roles: new Map(rows) };
      if (this.membersCache.size >= MEMBER_CACHE_LIMIT) this.membersCache.clear();
      this.membersCache.set(chatId, cached);
    }
    return cached;
  }

  /** Every member id (fan-out); cached until a membership write. */
  memberIds(chatId: number): readonly number[] {
    return this.members(chatId).ids;
  }

  /** A member's role, undefined for non-members (cached). */
  roleOf(chatId: number, userId: number): Role | undefined {
    return this.members(chatId).roles.get(userId);
  }

  /** A chat's type, undefined when there is no such chat (cached: types never change). */
  kindOf(chatId: number): ChatKind | undefined {
    let kind = this.kinds.get(chatId);
    if (kind === undefined) {
      kind = this.s.kind.get(chatId) as ChatKind | undefined;
      if (kind === undefined) return undefined;
      if (this.kinds.size >= 100_000) this.kinds.clear();
      this.kinds.set(chatId, kind);
    }
    return kind;
  }

  /** Drops the cached member list (after writes made outside this repository). */
  invalidate(chatId: number): void {
    this.membersCache.delete(chatId);
  }

  countMembers(chatId: number): number {
    return this.s.count.get(chatId) as number;
  }

  participants(chatId: number, limit: number): { user_id: number; read_mark: number; joined_at: number }[] {
    return this.s.participants.all(chatId, limit) as {
      user_id: number;
      read_mark: number;
      joined_at: number;
    }[];
  }

  adminIds(chatId: number): number[] {
    return this.s.adminIds.all(chatId) as number[];
  }

  addMember(
    input: {
      chatId: number;
      userId: number;
      role: Role;
      permissions?: number;
      historyFrom?: number;
      invitedBy?: number;
    },
    now: number,
  ): boolean {
    const added =
      this.s.insertMember.run({
        chat_id: input.chatId,
        user_id: input.userId,
        role: input.role,
        permissions: input.permissions ?? 0,
        joined_at: now,
        history_from: input.historyFrom ?? 0,
        invited_by: input.invitedBy ?? null,
      }).changes > 0;
    this.membersCache.delete(input.chatId);
    return added;
  }

  /** Hides a member's history before `from` (PyMax CHAT_DELETE: "delete the chat for me"). */
  clearHistoryBefore(chatId: number, userId: number, from: number): void {
    this.db
      .prepare("UPDATE max_members SET history_from = MAX(history_from, ?) WHERE chat_id = ? AND user_id = ?")
      .run(from, chatId, userId);
  }

  removeMember(chatId: number, userId: number): boolean {
    const removed = this.s.deleteMember.run(chatId, userId).changes > 0;
    this.membersCache.delete(chatId);
    return removed;
  }

  setRole(chatId: number, userId: number, role: Role, permissions: number): void {
    this.s.setRole.run(role, permissions, chatId, userId);
    this.membersCache.delete(chatId);
  }

  setIcon(chatId: number, url: string | null, now: number): void {
    this.s.setIcon.run(url, now, now, chatId);
  }

  setOwner(chatId: number, userId: number, now: number): void {
    this.s.setOwner.run(userId, now, chatId);
  }

  setReadMark(chatId: number, userId: number, mark: number): void {
    this.s.setReadMark.run(mark, chatId, userId);
  }

  bumpReadMark(chatId: number, userId: number, mark: number): void {
    this.s.bumpReadMark.run(mark, chatId, userId);
  }

  touch(chatId: number, time: number): void {
    this.s.touch.run(time, chatId);
  }

  update(chat: ChatRow, now: number): void {
    this.s.update.run({
      id: chat.id,
      title: chat.title,
      description: chat.description,
      options: chat.options,
      link: chat.link,
      invite_hash: chat.invite_hash,
      pinned_message_id: chat.pinned_message_id,
      now,
    });
  }

  /** A user's chats with `since < lastEventTime < before`, newest first. */
  chatsOf(userId: number, before: number, since: number, limit: number): ChatRow[] {
    return this.s.chatsOf.all(userId, before, since, limit) as ChatRow[];
  }

  membersPage(chatId: number, afterUserId: number, limit: number, adminsOnly: boolean): MemberRow[] {
    const stmt = adminsOnly ? this.s.adminsPage : this.s.membersPage;
    return stmt.all(chatId, afterUserId, limit) as MemberRow[];
  }

  /** Who inherits a group when its owner leaves: the oldest admin, else the oldest member. */
  successor(chatId: number, leavingUserId: number): MemberRow | undefined {
    return this.s.successor.get(chatId, leavingUserId) as MemberRow | undefined;
  }
}
