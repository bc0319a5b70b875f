/** Chat access checks, dialogs and group creation, and the wire form of chats and messages. */
import { ErrorCode, LIMITS } from "../../protocol.js";
import type { MaxEmulator } from "../context.js";
import { accessDenied, badPayload, chatNotFound, MaxProtocolError, notFound } from "../errors.js";
import type { ChatKind, ChatRow, MemberRow, Role } from "../store/chats.js";
import { dialogKey } from "../store/chats.js";
import type { MessageRow, Viewer, WireMessage } from "../store/messages.js";

/** Group and channel ids are this counter negated (real ones look like -68093732121255). */
export const CHAT_ID_START = 68_000_000_000_001;
/** Chat objects list at most this many participants (a 10 000-member map per push would be waste). */
const PARTICIPANTS_IN_CHAT = 1000;

// ── access ──────────────────────────────────────────────────────────────────

export interface Membership {
  chat: ChatRow;
  member: MemberRow;
}

export function isAdmin(member: MemberRow): boolean {
  return member.role === "OWNER" || member.role === "ADMIN";
}

export function viewerOf(member: MemberRow): Viewer {
  return { userId: member.user_id, historyFrom: member.history_from };
}

/** The chat and the caller's membership; "not found" for unknown chats, "no access" for non-members. */
export function requireMember(emu: MaxEmulator, chatId: number, userId: number): Membership {
  const chat = emu.repos.chats.byId(chatId);
  if (!chat) throw chatNotFound();
  const member = emu.repos.chats.member(chatId, userId);
  if (!member) throw accessDenied("You are not a member of this chat");
  return { chat, member };
}

export function requireAdmin(m: Membership): void {
  if (!isAdmin(m.member)) throw accessDenied("Only the owner or an admin can do this");
}

export function requireGroup(m: Membership): void {
  if (m.chat.type === "DIALOG") throw accessDenied("Not allowed in a dialog");
}

/**
 * Where a 64 goes: an existing chat the sender is in, or a dialog to open lazily (`userId`,
 * or a chat id equal to `me XOR other` as MAX numbers dialogs). Served from the member cache:
 * this is the send hot path.
 */
export type SendTarget = { chatId: number; kind: ChatKind; role: Role } | { dialogWith: number };

export function resolveSendTarget(
  emu: MaxEmulator,
  userId: number,
  chatId: number | undefined,
  otherUserId: number | undefined,
): SendTarget {
  const { chats, users } = emu.repos;
  if (chatId === undefined) {
    if (otherUserId === undefined) throw badPayload("chatId or userId is required");
    if (otherUserId === userId || !users.byId(otherUserId)) throw notFound("User");
    return dialogTarget(emu, userId, otherUserId);
  }
  const kind = chats.kindOf(chatId);
  const role = kind ? chats.roleOf(chatId, userId) : undefined;
  if (kind && role) return { chatId, kind, role };
  const other = chatId > 0 ? chatId ^ userId : 0;
  if (other > 0 && other !== userId && users.byId(other)) return dialogTarget(emu, userId, other);
  if (!kind) throw chatNotFound();
  throw accessDenied("You are not a member of this chat");
}

function dialogTarget(emu: MaxEmulator, userId: number, other: number): SendTarget {
  const chat = emu.repos.chats.dialogOf(userId, other);
  const role = chat ? emu.repos.chats.roleOf(chat.id, userId) : undefined;
  return chat && role ? { chatId: chat.id, kind: chat.type, role } : { dialogWith: other };
}

/** Finds or creates the dialog of two users. Its id is `a XOR b` unless another chat holds it. */
export function openDialog(emu: MaxEmulator, a: number, b: number): ChatRow {
  const { chats } = emu.repos;
  const existing = chats.dialogOf(a, b);
  if (existing) return existing;
  const now = emu.now();
  return emu.db.transaction(() => {
    const xor = a ^ b;
    const id = xor > 0 && !chats.byId(xor) ? xor : emu.ids.next("chat", CHAT_ID_START);
    const chat = chats.create({ id, type: "DIALOG", ownerId: a, dialogKey: dialogKey(a, b) }, now);
    chats.addMember({ chatId: id, userId: a, role: "MEMBER" }, now);
    chats.addMember({ chatId: id, userId: b, role: "MEMBER" }, now);
    return chat;
  })();
}

/** Creates a group (`CHAT`) or channel owned by `ownerId` with the given members. */
export function createGroupChat(
  emu: MaxEmulator,
  ownerId: number,
  input: { type: Exclude<ChatKind, "DIALOG">; title?: string; userIds?: readonly number[]; cid?: number },
): ChatRow {
  const { chats, users } = emu.repos;
  const memberIds = [...new Set(input.userIds ?? [])].filter((id) => id !== ownerId);
  for (const id of memberIds) if (!users.byId(id)) throw notFound(`User ${id}`);
  if (memberIds.length + 1 > LIMITS.groupMembers) throw limitMembers();
  const now = emu.now();
  return emu.db.transaction(() => {
    const id = -emu.ids.next("chat", CHAT_ID_START);
    const chat = chats.create(
      {
        id,
        type: input.type,
        title: input.title ?? "",
        ownerId,
        ...(input.cid !== undefined ? { cid: input.cid } : {}),
      },
      now,
    );
    chats.addMember({ chatId: id, userId: ownerId, role: "OWNER" }, now);
    for (const userId of memberIds)
      chats.addMember({ chatId: id, userId, role: "MEMBER", invitedBy: ownerId }, now);
    return chat;
  })();
}

export const limitMembers = () =>
  new MaxProtocolError(
    ErrorCode.LIMIT_MEMBERS,
    `A chat can have at most ${LIMITS.groupMembers} members`,
    "Достигнут лимит участников",
  );

// ── wire objects ────────────────────────────────────────────────────────────

export function messageWire(emu: MaxEmulator, row: MessageRow, viewerId?: number): WireMessage {
  const wire = emu.repos.messages.toWire(row);
  if (emu.repos.messages.hasReactions(row.id))
    wire.reactionInfo = emu.repos.messages.reactionInfo(row.id, viewerId);
  return wire;
}

/**
 * The wire's chat object. With a `viewer` it carries their view (unread count, join time,
 * hidden messages left out); without one it is the neutral form pushed to every member.
 * `preview` is what non-members see through a link: no participants, no messages.
 */
export function chatWire(
  emu: MaxEmulator,
  chat: ChatRow,
  viewer?: MemberRow,
  options: { preview?: boolean } = {},
): Record<string, unknown> {
  const { chats, messages } = emu.repos;
  const wire: Record<string, unknown> = {
    id: chat.id,
    type: chat.type,
    status: chat.status,
    owner: chat.owner_id,
    created: chat.created_at,
    modified: chat.modified_at,
    lastEventTime: chat.last_event_time,
    // PyMax's Dialog parser reads both unconditionally (a dialog without them is dropped from its
    // list). The emulator keeps no per-chat mark of scheduled messages (49 DELAYED lists them,
    // 154 carries lastDelayedUpdateTime), so these stay 0, what the service sends without any.
    lastFireDelayedErrorTime: 0,
    lastDelayedUpdateTime: 0,
    participantsCount: chats.countMembers(chat.id),
    access: chat.link ? "PUBLIC" : "PRIVATE",
    options: JSON.parse(chat.options) as unknown,
  };
  if (chat.type !== "DIALOG") {
    wire.title = chat.title ?? "";
    wire.description = chat.description;
  }
  if (chat.link) wire.link = `https://max.ru/${chat.link}`;
  if (chat.icon_url) wire.baseIconUrl = chat.icon_url;
  // vkmax / vkmax-node join_group_by_link read `chat.cid` (vkmax raises without it) and pass it
  // as `from` to 49; a chat made outside a client gets its creation time, as clients' cids are.
  if (chat.cid !== null) wire.cid = chat.cid;
  else if (chat.type !== "DIALOG") wire.cid = chat.created_at;
  if (options.preview) return wire;
  const participants: Record<string, number> = {};
  for (const p of chats.participants(chat.id, PARTICIPANTS_IN_CHAT)) participants[p.user_id] = p.read_mark;
  wire.participants = participants;
  wire.admins = chat.type === "DIALOG" ? [] : chats.adminIds(chat.id);
  const v = viewer ? viewerOf(viewer) : undefined;
  const last = messages.last(chat.id, v);
  if (last) wire.lastMessage = messageWire(emu, last, v?.userId);
  if (chat.pinned_message_id !== null) {
    const pinned = v
      ? messages.visible(chat.id, chat.pinned_message_id, v)
      : messages.inChat(chat.id, chat.pinned_message_id);
    if (pinned && pinned.status !== "REMOVED") wire.pinnedMessage = messageWire(emu, pinned, v?.userId);
  }
  if (viewer && v) {
    // A private chat's invite link, for those who may share it (PyMax reads it from `chat.link`
    // after 55 `{revokePrivateLink}`); never in the neutral form every member receives.
    if (
      !chat.link &&
      chat.invite_hash &&
      chat.type !== "DIALOG" &&
      (isAdmin(viewer) || optionOn(chat, "MEMBERS_CAN_SEE_PRIVATE_LINK"))
    ) {
      wire.link = `https://max.ru/join/${chat.invite_hash}`;
    }
    wire.joinTime = viewer.joined_at;
    wire.newMessages = messages.unread(chat.id, v, viewer.read_mark);
    if (viewer.invited_by !== null) wire.invitedBy = viewer.invited_by;
  }
  return wire;
}

/** The caller's view of a chat they belong to. */
export function chatFor(emu: MaxEmulator, chatId: number, userId: number): Record<string, unknown> {
  const chat = emu.repos.chats.byId(chatId);
  if (!chat) throw chatNotFound();
  const member = emu.repos.chats.member(chatId, userId);
  return member ? chatWire(emu, chat, member) : chatWire(emu, chat, undefined, { preview: true });
}

/** Chats for the login answer (19): newest first, at most `count`, changed after `since` (ms). */
export function listChatsForLogin(emu: MaxEmulator, userId: number, count: number, since: number): unknown[] {
  const rows = emu.repos.chats.chatsOf(
    userId,
    Number.MAX_SAFE_INTEGER,
    since > 0 ? since : -1,
    Math.max(count, 0),
  );
  return rows.map((chat) => chatWire(emu, chat, emu.repos.chats.member(chat.id, userId)));
}

export function optionOn(chat: ChatRow, name: string): boolean {
  const options = JSON.parse(chat.options) as Record<string, unknown>;
  return options[name] === true;
}
