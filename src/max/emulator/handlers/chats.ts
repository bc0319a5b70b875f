import { randomBytes } from "node:crypto";
import { z } from "zod";
import { ErrorCode, LIMITS, Opcode, TYPING_EVENT_OPCODE } from "../../protocol.js";
import type { MaxConnection } from "../connection.js";
import { type HandlerContext, handlers, type MaxEmulator, me } from "../context.js";
import { accessDenied, badPayload, chatNotFound, MaxProtocolError, notFound } from "../errors.js";
import type { ChatKind, ChatRow, MemberRow, Role } from "../store/chats.js";
import { dialogKey } from "../store/chats.js";
import type { MessageRow, Viewer, WireMessage } from "../store/messages.js";

/** Group and channel ids are this counter negated (real ones look like -68093732121255). */
export const CHAT_ID_START = 68_000_000_000_001;
/** Chat objects list at most this many participants (a 10 000-member map per push would be waste). */
const PARTICIPANTS_IN_CHAT = 1000;
const TYPING_TTL_MS = 5_000;
const PUBLIC_NAME = /^[A-Za-z0-9_]{3,64}$/;

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

function requireAdmin(m: Membership): void {
  if (!isAdmin(m.member)) throw accessDenied("Only the owner or an admin can do this");
}

function requireGroup(m: Membership): void {
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

const limitMembers = () =>
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
    participantsCount: chats.countMembers(chat.id),
    access: chat.link ? "PUBLIC" : "PRIVATE",
    options: JSON.parse(chat.options) as unknown,
  };
  if (chat.type !== "DIALOG") {
    wire.title = chat.title ?? "";
    wire.description = chat.description;
  }
  if (chat.link) wire.link = `https://max.ru/${chat.link}`;
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

// ── storing and pushing messages ────────────────────────────────────────────

export interface NewMessage {
  text: string;
  cid?: number;
  elements: unknown[];
  attaches: Record<string, unknown>[];
  link?: Record<string, unknown>;
}

/** Builds the row and the wire form of a new message (id and time taken now). */
function newMessageRow(emu: MaxEmulator, chatId: number, senderId: number, input: NewMessage) {
  const time = emu.now();
  const id = emu.ids.messageId(time);
  const cid = input.cid ?? null;
  const row: MessageRow = {
    id,
    chat_id: chatId,
    sender_id: senderId,
    time,
    type: "USER",
    text: input.text,
    cid,
    elements: input.elements.length ? JSON.stringify(input.elements) : "[]",
    attaches: input.attaches.length ? JSON.stringify(input.attaches) : "[]",
    link: input.link ? JSON.stringify(input.link) : null,
    status: null,
    update_time: null,
  };
  const wire: WireMessage = {
    id: String(id),
    time,
    sender: senderId,
    text: input.text,
    type: "USER",
    elements: input.elements,
    attaches: input.attaches,
  };
  if (cid !== null) wire.cid = cid;
  if (input.link) wire.link = input.link;
  return { row, wire };
}

/**
 * Writes a batch of messages in one transaction: the rows, each chat's last event time and
 * each sender's read mark (once per chat / sender, not once per message).
 */
function writeMessages(emu: MaxEmulator, rows: readonly MessageRow[]): void {
  const { chats, messages } = emu.repos;
  const touched = new Map<number, number>();
  const marks = new Map<string, { chatId: number; userId: number; time: number }>();
  for (const row of rows) {
    messages.insert(row);
    touched.set(row.chat_id, Math.max(touched.get(row.chat_id) ?? 0, row.time));
    marks.set(`${row.chat_id}:${row.sender_id}`, {
      chatId: row.chat_id,
      userId: row.sender_id,
      time: row.time,
    });
  }
  for (const [chatId, time] of touched) chats.touch(chatId, time);
  for (const m of marks.values()) chats.bumpReadMark(m.chatId, m.userId, m.time);
}

const writeTx = new WeakMap<MaxEmulator, (rows: readonly MessageRow[]) => void>();
function writeTxOf(emu: MaxEmulator): (rows: readonly MessageRow[]) => void {
  let tx = writeTx.get(emu);
  if (!tx) {
    tx = emu.db.transaction((rows: readonly MessageRow[]) => writeMessages(emu, rows));
    writeTx.set(emu, tx);
  }
  return tx;
}

/**
 * Stores a message durably (committed when this returns) and returns its wire form.
 * Nothing is pushed here.
 */
export function storeMessage(
  emu: MaxEmulator,
  chatId: number,
  senderId: number,
  input: NewMessage,
): WireMessage {
  const { row, wire } = newMessageRow(emu, chatId, senderId, input);
  writeTxOf(emu)([row]);
  return wire;
}

interface PendingBatch {
  rows: MessageRow[];
  waiters: { resolve: () => void; reject: (err: unknown) => void }[];
}
const batches = new WeakMap<MaxEmulator, PendingBatch>();

/**
 * Group commit: messages sent in the same event-loop turn (a client with many requests in
 * flight) are written in one transaction; the promise resolves once that commit is done, so
 * a message is still durable before its response or any event goes out. Ids and times are
 * fixed now, in arrival order; nobody can refer to a message before its response, so the
 * short delay before it becomes readable is invisible to clients.
 */
export function storeMessageBatched(
  emu: MaxEmulator,
  chatId: number,
  senderId: number,
  input: NewMessage,
): Promise<WireMessage> {
  const { row, wire } = newMessageRow(emu, chatId, senderId, input);
  let batch = batches.get(emu);
  if (!batch) {
    const fresh: PendingBatch = { rows: [], waiters: [] };
    batch = fresh;
    batches.set(emu, fresh);
    setImmediate(() => {
      batches.delete(emu);
      try {
        writeTxOf(emu)(fresh.rows);
      } catch (err) {
        for (const w of fresh.waiters) w.reject(err);
        return;
      }
      // Responses and events of the whole batch go out in the microtasks that follow; each
      // connection coalesces its share into one socket write (MaxConnection.sendRaw).
      for (const w of fresh.waiters) w.resolve();
    });
  }
  batch.rows.push(row);
  return new Promise<WireMessage>((resolve, reject) => {
    batch.waiters.push({ resolve: () => resolve(wire), reject });
  });
}

function* without(ids: readonly number[], skip: number): Generator<number> {
  for (const id of ids) if (id !== skip) yield id;
}

/** Pushes 128 for `message` to every session of every member (plus `extra` users) but `except`. */
export function pushMessage(
  emu: MaxEmulator,
  chatId: number,
  message: WireMessage,
  except: MaxConnection | undefined,
  extra: readonly number[] = [],
): void {
  const payload = { chatId, message, unread: 0, mark: message.time, ttl: false };
  const ids = emu.repos.chats.memberIds(chatId);
  emu.hub.emit(extra.length ? [...ids, ...extra] : ids, Opcode.NEW_MESSAGE, payload, except);
}

/** A CONTROL service message (`add`, `remove`, `leave`, `joinByLink`, `title` …) stored and pushed. */
export function postControl(
  emu: MaxEmulator,
  chat: ChatRow,
  actorId: number,
  control: Record<string, unknown>,
  except: MaxConnection | undefined,
  extra: readonly number[] = [],
): WireMessage {
  const message = storeMessage(emu, chat.id, actorId, {
    text: "",
    elements: [],
    attaches: [{ _type: "CONTROL", ...control }],
  });
  pushMessage(emu, chat.id, message, except, extra);
  return message;
}

/** Pushes 135 with the neutral chat object to every member session but `except`. */
export function pushChat(emu: MaxEmulator, chatId: number, except: MaxConnection | undefined): void {
  const chat = emu.repos.chats.byId(chatId);
  if (!chat) return;
  emu.hub.emit(emu.repos.chats.memberIds(chatId), Opcode.CHAT_UPDATED, { chat: chatWire(emu, chat) }, except);
}

/** Tells users who are no longer members that the chat is gone for them (135 with their status). */
function pushGone(
  emu: MaxEmulator,
  chat: ChatRow,
  userIds: readonly number[],
  status: "LEFT" | "REMOVED",
): void {
  const wire = { ...chatWire(emu, chat, undefined, { preview: true }), status };
  emu.hub.emit(userIds, Opcode.CHAT_UPDATED, { chat: wire });
}

// ── typing ──────────────────────────────────────────────────────────────────

const typingState = new WeakMap<MaxEmulator, Map<number, Map<number, number>>>();

/** Records that `userId` is typing and tells the chat's other members (not the typist's own sessions). */
export function notifyTyping(
  emu: MaxEmulator,
  chatId: number,
  userId: number,
  type: string | undefined,
): void {
  let chats = typingState.get(emu);
  if (!chats) {
    chats = new Map();
    typingState.set(emu, chats);
  }
  let users = chats.get(chatId);
  if (!users) {
    users = new Map();
    chats.set(chatId, users);
  }
  users.set(userId, emu.now());
  const payload: Record<string, unknown> = { chatId, userId, type: type ?? "TEXT" };
  emu.hub.emit(without(emu.repos.chats.memberIds(chatId), userId), TYPING_EVENT_OPCODE, payload);
}

function typingNow(emu: MaxEmulator, chatId: number, exceptUserId: number): number[] {
  const users = typingState.get(emu)?.get(chatId);
  if (!users) return [];
  const cutoff = emu.now() - TYPING_TTL_MS;
  const out: number[] = [];
  for (const [userId, at] of users) {
    if (at < cutoff) users.delete(userId);
    else if (userId !== exceptUserId) out.push(userId);
  }
  return out;
}

// ── links ───────────────────────────────────────────────────────────────────

type ParsedLink = { kind: "join"; hash: string } | { kind: "name"; name: string };

/** `join/<hash>`, `https://max.ru/join/<hash>`, `https://max.ru/<name>` (bare names too). */
export function parseLink(link: string): ParsedLink | undefined {
  let rest = link.trim().replace(/^(https?:\/\/)?(web\.)?max\.ru\//i, "");
  rest = rest.replace(/[?#].*$/, "").replace(/\/+$/, "");
  if (rest.startsWith("join/")) {
    const hash = rest.slice(5);
    return /^[A-Za-z0-9_-]{8,128}$/.test(hash) ? { kind: "join", hash } : undefined;
  }
  rest = rest.replace(/^@/, "");
  return PUBLIC_NAME.test(rest) ? { kind: "name", name: rest } : undefined;
}

const linkInvalid = () =>
  new MaxProtocolError(ErrorCode.LINK_INVALID, "Link is invalid or expired", "Ссылка недействительна");

function newInviteHash(): string {
  return randomBytes(18).toString("base64url");
}

function chatByLink(emu: MaxEmulator, parsed: ParsedLink): ChatRow | undefined {
  const chat =
    parsed.kind === "join" ? emu.repos.chats.byInviteHash(parsed.hash) : emu.repos.chats.byLink(parsed.name);
  return chat && chat.type !== "DIALOG" ? chat : undefined;
}

/** Adds `userId` to a group or channel by link: CONTROL message and 135 to the members. */
function joinChat(ctx: HandlerContext, chat: ChatRow, userId: number): Record<string, unknown> {
  const { emu, conn } = ctx;
  const { chats } = emu.repos;
  if (!chats.member(chat.id, userId)) {
    if (chats.countMembers(chat.id) >= LIMITS.groupMembers) throw limitMembers();
    chats.addMember({ chatId: chat.id, userId, role: "MEMBER" }, emu.now());
    postControl(emu, chat, userId, { event: "joinByLink", userId }, conn);
    pushChat(emu, chat.id, conn);
  }
  return chatFor(emu, chat.id, userId);
}

// ── leaving and members ─────────────────────────────────────────────────────

function leaveChat(ctx: HandlerContext, chatId: number): Record<string, unknown> {
  const { emu, conn } = ctx;
  const userId = me(ctx);
  const m = requireMember(emu, chatId, userId);
  requireGroup(m);
  const { chats } = emu.repos;
  emu.db.transaction(() => {
    chats.removeMember(chatId, userId);
    if (m.chat.owner_id === userId) {
      const heir = chats.successor(chatId, userId);
      if (heir) {
        chats.setOwner(chatId, heir.user_id, emu.now());
        chats.setRole(chatId, heir.user_id, "OWNER", heir.permissions);
      }
    }
  })();
  const chat = chats.byId(chatId)!;
  postControl(emu, chat, userId, { event: "leave", userId }, conn);
  pushChat(emu, chatId, conn);
  const gone = { ...chatWire(emu, chat, undefined, { preview: true }), status: "LEFT" };
  emu.hub.emit([userId], Opcode.CHAT_UPDATED, { chat: gone }, conn);
  return { chat: gone };
}

function presenceOf(
  emu: MaxEmulator,
  userId: number,
  lastSeen: number,
  hidden: boolean,
): Record<string, number> {
  if (!hidden && emu.hub.isOnline(userId)) return { seen: Math.floor(emu.now() / 1000), status: 1 };
  return { seen: Math.floor(lastSeen / 1000) };
}

function memberWire(emu: MaxEmulator, row: MemberRow): Record<string, unknown> | undefined {
  const user = emu.repos.users.byId(row.user_id);
  if (!user) return undefined;
  const wire: Record<string, unknown> = {
    contact: emu.repos.users.toContact(user),
    presence: presenceOf(emu, user.id, user.last_seen, user.hidden === 1),
    joinTime: row.joined_at,
  };
  if (row.role !== "MEMBER") wire.role = row.role;
  if (row.role === "ADMIN") wire.permissions = row.permissions;
  return wire;
}

const SettingsExtras = z.looseObject({
  link: z.string().optional(),
  changeOwnerId: z
    .union([z.number().int(), z.string().regex(/^\d+$/)])
    .transform(Number)
    .optional(),
  revokePrivateLink: z.boolean().optional(),
});

function optionOn(chat: ChatRow, name: string): boolean {
  const options = JSON.parse(chat.options) as Record<string, unknown>;
  return options[name] === true;
}

// ── handlers ────────────────────────────────────────────────────────────────

export const chatHandlers = handlers({
  [Opcode.GET_CHATS]: {
    handle: (ctx, payload) => {
      const { emu } = ctx;
      const userId = me(ctx);
      const chats: unknown[] = [];
      for (const chatId of payload.chatIds) {
        const chat = emu.repos.chats.byId(chatId);
        const member = chat ? emu.repos.chats.member(chatId, userId) : undefined;
        if (chat && member) chats.push(chatWire(emu, chat, member));
      }
      return { chats };
    },
  },
  [Opcode.GET_CHAT]: {
    handle: (ctx, payload) => {
      const { emu } = ctx;
      const m = requireMember(emu, payload.chatId, me(ctx));
      const out: Record<string, unknown> = {};
      if (payload.getMessages) {
        const v = viewerOf(m.member);
        const from = payload.from ?? Number.MAX_SAFE_INTEGER;
        const rows = emu.repos.messages.history(m.chat.id, v, from, payload.backward, payload.forward);
        out.messages = rows.map((r) => messageWire(emu, r, v.userId));
      } else {
        out.messages = [];
      }
      if (payload.getChat) out.chat = chatWire(emu, m.chat, m.member);
      return out;
    },
  },
  [Opcode.READ_MESSAGE]: {
    handle: (ctx, payload) => {
      const { emu, conn } = ctx;
      const userId = me(ctx);
      const m = requireMember(emu, payload.chatId, userId);
      const v = viewerOf(m.member);
      let at: number | undefined;
      if (payload.messageId !== undefined) {
        const row = emu.repos.messages.visible(m.chat.id, Number(payload.messageId), v);
        if (!row)
          throw new MaxProtocolError(
            ErrorCode.MESSAGE_NOT_FOUND,
            "Message not found",
            "Сообщение не найдено",
          );
        at = row.time;
      }
      const setAsUnread = payload.type === "SET_AS_UNREAD";
      let mark: number;
      if (setAsUnread) {
        const base = at ?? payload.mark ?? emu.repos.messages.last(m.chat.id, v)?.time ?? emu.now();
        mark = Math.max(0, base - 1);
        emu.repos.chats.setReadMark(m.chat.id, userId, mark);
      } else {
        mark = Math.max(m.member.read_mark, at ?? payload.mark ?? emu.now());
        emu.repos.chats.setReadMark(m.chat.id, userId, mark);
      }
      const unread = emu.repos.messages.unread(m.chat.id, v, mark);
      emu.hub.emit(
        emu.repos.chats.memberIds(m.chat.id),
        Opcode.MARK,
        { setAsUnread, chatId: m.chat.id, userId, mark },
        conn,
      );
      return { unread, mark };
    },
  },
  [Opcode.SET_TYPING]: {
    handle: (ctx, payload) => {
      const userId = me(ctx);
      requireMember(ctx.emu, payload.chatId, userId);
      notifyTyping(ctx.emu, payload.chatId, userId, payload.type);
      return {};
    },
  },
  [Opcode.GET_TYPING]: {
    handle: (ctx, payload) => {
      const userId = me(ctx);
      requireMember(ctx.emu, payload.chatId, userId);
      return { chatId: payload.chatId, typing: typingNow(ctx.emu, payload.chatId, userId) };
    },
  },
  [Opcode.CHATS_LIST]: {
    handle: (ctx, payload) => {
      const { emu } = ctx;
      const userId = me(ctx);
      const before = payload.marker ? payload.marker : Number.MAX_SAFE_INTEGER;
      const rows = emu.repos.chats.chatsOf(userId, before, -1, payload.count + 1);
      let page = rows.slice(0, payload.count);
      const next = rows[payload.count];
      if (next) {
        // The marker is a time: don't split chats that share the boundary time across pages.
        const edge = next.last_event_time;
        const cut = page.filter((c) => c.last_event_time !== edge);
        if (cut.length > 0) page = cut;
      }
      const out: Record<string, unknown> = {
        chats: page.map((c) => chatWire(emu, c, emu.repos.chats.member(c.id, userId))),
      };
      const last = page[page.length - 1];
      if (next && last) out.marker = last.last_event_time;
      return out;
    },
  },
  [Opcode.CHAT_SETTINGS]: {
    handle: (ctx, payload) => {
      const { emu, conn } = ctx;
      const userId = me(ctx);
      const m = requireMember(emu, payload.chatId, userId);
      const extras = SettingsExtras.safeParse(payload);
      if (!extras.success) throw badPayload("Invalid chat settings");
      const chat: ChatRow = { ...m.chat };
      const group = chat.type !== "DIALOG";
      const admin = isAdmin(m.member);
      const controls: Record<string, unknown>[] = [];
      const title = payload.title ?? payload.theme;
      const profileChange =
        title !== undefined ||
        payload.description !== undefined ||
        payload.options !== undefined ||
        extras.data.link !== undefined ||
        extras.data.revokePrivateLink === true ||
        extras.data.changeOwnerId !== undefined;
      if (profileChange) {
        if (!group) throw accessDenied("Dialogs have no settings");
        if (!admin) throw accessDenied("Only the owner or an admin can change chat settings");
      }
      if (title !== undefined && title !== chat.title) {
        if (optionOn(chat, "ONLY_OWNER_CAN_CHANGE_ICON_TITLE") && chat.owner_id !== userId) {
          throw accessDenied("Only the owner can change the title");
        }
        chat.title = title;
        controls.push({ event: "title", title });
      }
      if (payload.description !== undefined) chat.description = payload.description;
      if (payload.options !== undefined) {
        const current = JSON.parse(chat.options) as Record<string, unknown>;
        for (const [k, v] of Object.entries(payload.options)) if (typeof v === "boolean") current[k] = v;
        chat.options = JSON.stringify(current);
      }
      if (extras.data.link !== undefined) {
        const name = extras.data.link.replace(/^(https?:\/\/)?(web\.)?max\.ru\//i, "").replace(/^@/, "");
        if (name === "") chat.link = null;
        else {
          if (!PUBLIC_NAME.test(name)) throw linkInvalid();
          const holder = emu.repos.chats.byLink(name) ?? emu.repos.users.byLink(name);
          if (holder && holder.id !== chat.id)
            throw new MaxProtocolError(ErrorCode.LINK_INVALID, "Link is taken", "Ссылка занята");
          chat.link = name;
        }
      }
      if (extras.data.revokePrivateLink) chat.invite_hash = newInviteHash();
      const pinId = payload.pinMessageId ?? payload.messageId;
      if (pinId !== undefined || payload.unpin) {
        const canPin =
          chat.type === "DIALOG" || admin || (chat.type === "CHAT" && optionOn(chat, "ALL_CAN_PIN_MESSAGE"));
        if (!canPin) throw accessDenied("Only the owner or an admin can pin messages");
        if (payload.unpin || pinId === "0") chat.pinned_message_id = null;
        else if (pinId !== undefined) {
          const row = emu.repos.messages.visible(chat.id, Number(pinId), viewerOf(m.member));
          if (!row)
            throw new MaxProtocolError(
              ErrorCode.MESSAGE_NOT_FOUND,
              "Message not found",
              "Сообщение не найдено",
            );
          chat.pinned_message_id = row.id;
          if (payload.notifyPin) controls.push({ event: "pin", pinnedMessageId: String(row.id) });
        }
      }
      const newOwner = extras.data.changeOwnerId;
      if (newOwner !== undefined && newOwner !== chat.owner_id) {
        if (chat.owner_id !== userId) throw accessDenied("Only the owner can hand over the chat");
        const heir = emu.repos.chats.member(chat.id, newOwner);
        if (!heir) throw notFound("Member");
        emu.db.transaction(() => {
          emu.repos.chats.setOwner(chat.id, newOwner, emu.now());
          emu.repos.chats.setRole(chat.id, newOwner, "OWNER", 0);
          emu.repos.chats.setRole(chat.id, userId, "ADMIN", 0);
        })();
        chat.owner_id = newOwner;
      }
      emu.repos.chats.update(chat, emu.now());
      for (const control of controls) postControl(emu, chat, userId, control, conn);
      pushChat(emu, chat.id, conn);
      return { chat: chatFor(emu, chat.id, userId) };
    },
  },
  [Opcode.GET_INVITE_LINK]: {
    handle: (ctx, payload) => {
      const { emu, conn } = ctx;
      const userId = me(ctx);
      const m = requireMember(emu, payload.chatId, userId);
      requireGroup(m);
      if (!isAdmin(m.member) && !optionOn(m.chat, "MEMBERS_CAN_SEE_PRIVATE_LINK")) {
        throw accessDenied("Only the owner or an admin can see the invite link");
      }
      let hash = m.chat.invite_hash;
      if (!hash || payload.revokePrivateLink) {
        if (hash && !isAdmin(m.member)) throw accessDenied("Only the owner or an admin can revoke the link");
        hash = newInviteHash();
        emu.repos.chats.update({ ...m.chat, invite_hash: hash }, emu.now());
        if (m.chat.invite_hash) pushChat(emu, m.chat.id, conn);
      }
      return { link: `https://max.ru/join/${hash}`, chat: chatFor(emu, m.chat.id, userId) };
    },
  },
  [Opcode.JOIN_BY_LINK]: {
    handle: (ctx, payload) => {
      const parsed = parseLink(payload.link);
      const chat = parsed ? chatByLink(ctx.emu, parsed) : undefined;
      if (!chat) throw linkInvalid();
      return { chat: joinChat(ctx, chat, me(ctx)) };
    },
  },
  [Opcode.RESOLVE_LINK]: {
    handle: (ctx, payload) => {
      const { emu } = ctx;
      const parsed = parseLink(payload.link);
      if (!parsed) throw linkInvalid();
      const chat = chatByLink(emu, parsed);
      if (chat) return { chat: chatFor(emu, chat.id, me(ctx)) };
      const user = parsed.kind === "name" ? emu.repos.users.byLink(parsed.name) : undefined;
      if (!user) throw linkInvalid();
      const contact = emu.repos.users.toContact(user);
      return { user: contact, contact };
    },
  },
  [Opcode.GET_MEMBERS]: {
    handle: (ctx, payload) => {
      const { emu } = ctx;
      const m = requireMember(emu, payload.chatId, me(ctx));
      // Nobody asks to join here (links join at once), so the request list is always empty.
      if (payload.type === "JOIN_REQUEST") {
        requireGroup(m);
        requireAdmin(m);
        return { members: [] };
      }
      const adminsOnly = payload.type === "ADMIN";
      if (m.chat.type === "CHANNEL" && !adminsOnly && !isAdmin(m.member)) {
        throw accessDenied("Only channel admins can list subscribers");
      }
      const rows = emu.repos.chats.membersPage(m.chat.id, payload.marker ?? 0, payload.count + 1, adminsOnly);
      const page = rows.slice(0, payload.count);
      const members = page.map((r) => memberWire(emu, r)).filter((w) => w !== undefined);
      const out: Record<string, unknown> = { members };
      const last = page[page.length - 1];
      if (rows.length > payload.count && last) out.marker = last.user_id;
      return out;
    },
  },
  [Opcode.CHAT_LEAVE]: {
    handle: (ctx, payload) => leaveChat(ctx, payload.chatId),
  },
  [Opcode.LEAVE_CHAT]: {
    handle: (ctx, payload) => {
      if (payload.subscribe !== true) return leaveChat(ctx, payload.chatId);
      // CHAT_SUBSCRIBE {subscribe: true}: (re)join a public group or channel.
      const { emu } = ctx;
      const chat = emu.repos.chats.byId(payload.chatId);
      if (!chat) throw chatNotFound();
      const userId = me(ctx);
      if (emu.repos.chats.member(chat.id, userId)) return { chat: chatFor(emu, chat.id, userId) };
      if (chat.type === "DIALOG" || !chat.link) throw accessDenied("This chat is private");
      return { chat: joinChat(ctx, chat, userId) };
    },
  },
  [Opcode.MANAGE_MEMBERS]: {
    handle: (ctx, payload) => {
      const { emu, conn } = ctx;
      const { chats, users } = emu.repos;
      const userId = me(ctx);
      chats.invalidate(payload.chatId);
      const m = requireMember(emu, payload.chatId, userId);
      requireGroup(m);
      requireAdmin(m);
      const chatId = m.chat.id;
      const targets = [...new Set(payload.userIds)];
      const now = emu.now();
      if (payload.type === "ADMIN") {
        // vkmax's add_admin sends operation "remove" with the new admin's permissions; a real
        // removal (its remove_admin, PyMax) never carries permissions.
        const grant = payload.operation === "add" || payload.permissions !== undefined;
        if (m.member.role !== "OWNER" && (m.member.permissions & 4) === 0) {
          throw accessDenied("No permission to manage admins");
        }
        emu.db.transaction(() => {
          for (const target of targets) {
            const member = chats.member(chatId, target);
            if (!member) throw notFound(`Member ${target}`);
            if (member.role === "OWNER") continue;
            if (grant) chats.setRole(chatId, target, "ADMIN", payload.permissions ?? 255);
            else chats.setRole(chatId, target, "MEMBER", 0);
          }
        })();
        pushChat(emu, chatId, conn);
        return { chat: chatFor(emu, chatId, userId) };
      }
      if (payload.operation === "add") {
        for (const target of targets) if (!users.byId(target)) throw notFound(`User ${target}`);
        const fresh = targets.filter((t) => !chats.member(chatId, t));
        if (fresh.length > 0) {
          if (chats.countMembers(chatId) + fresh.length > LIMITS.groupMembers) throw limitMembers();
          const historyFrom = payload.showHistory === false ? now : 0;
          emu.db.transaction(() => {
            for (const target of fresh) {
              chats.addMember(
                { chatId, userId: target, role: "MEMBER", historyFrom, invitedBy: userId },
                now,
              );
            }
          })();
          postControl(emu, m.chat, userId, { event: "add", userIds: fresh }, conn);
          pushChat(emu, chatId, conn);
        }
        return { chat: chatFor(emu, chatId, userId) };
      }
      const removed: number[] = [];
      emu.db.transaction(() => {
        for (const target of targets) {
          const member = chats.member(chatId, target);
          if (!member) continue;
          if (member.role === "OWNER" || target === userId) throw accessDenied("The owner cannot be removed");
          if (member.role === "ADMIN" && m.member.role !== "OWNER")
            throw accessDenied("Only the owner can remove admins");
          chats.removeMember(chatId, target);
          removed.push(target);
        }
      })();
      if (removed.length > 0) {
        postControl(
          emu,
          m.chat,
          userId,
          { event: "remove", userIds: removed, userId: removed[0] },
          conn,
          removed,
        );
        pushChat(emu, chatId, conn);
        pushGone(emu, chats.byId(chatId)!, removed, "REMOVED");
      }
      return { chat: chatFor(emu, chatId, userId) };
    },
  },
});
