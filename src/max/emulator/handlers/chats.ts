import { DeleteChatFields } from "../../protocol/requests.js";
import { ErrorCode, Opcode } from "../../protocol.js";
import { type HandlerContext, handlers, type MaxEmulator, me } from "../context.js";
import { accessDenied, badPayload, chatNotFound, MaxProtocolError } from "../errors.js";
import type { ChatRow, MemberRow } from "../store/chats.js";
import {
  chatFor,
  chatWire,
  isAdmin,
  messageWire,
  optionOn,
  requireAdmin,
  requireGroup,
  requireMember,
  viewerOf,
} from "./chat-access.js";
import { notifyTyping, pushChat, typingNow } from "./chat-messages.js";
import {
  changeChatSettings,
  changeMembers,
  joinChat,
  leaveChat,
  linkInvalid,
  newInviteHash,
  PUBLIC_NAME,
} from "./chat-ops.js";
import { listDelayed } from "./delayed.js";

export * from "./chat-access.js";
export * from "./chat-messages.js";
export * from "./chat-ops.js";

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

function chatByLink(emu: MaxEmulator, parsed: ParsedLink): ChatRow | undefined {
  const chat =
    parsed.kind === "join" ? emu.repos.chats.byInviteHash(parsed.hash) : emu.repos.chats.byLink(parsed.name);
  return chat && chat.type !== "DIALOG" ? chat : undefined;
}

// ── leaving and members ─────────────────────────────────────────────────────

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

/** A member search (59 with `query`) reads at most this many members of the chat. */
const MEMBER_SEARCH_SCAN = 10_000;

/** "first last", lower-cased, for a member search. */
function memberName(emu: MaxEmulator, userId: number): string {
  const user = emu.repos.users.byId(userId);
  return user ? `${user.first_name} ${user.last_name}`.toLocaleLowerCase() : "";
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
      if (payload.itemType === "DELAYED") {
        // The caller's scheduled messages of the chat (all of them: there are at most 1,000).
        out.messages = listDelayed(emu, m);
      } else if (payload.getMessages) {
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
      // PyMax's CHAT_DELETE shares 52: `{chatId, lastEventTime, forAll}`.
      if ("lastEventTime" in payload || "forAll" in payload) return clearChat(ctx, payload, "delete");
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
  [Opcode.CHAT_CLEAR]: { handle: (ctx, payload) => clearChat(ctx, payload, "clear") },
  [Opcode.CHAT_SETTINGS]: {
    handle: (ctx, payload) => ({ chat: changeChatSettings(ctx.emu, me(ctx), payload, ctx.conn) }),
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
      return { chat: joinChat(ctx.emu, chat, me(ctx), ctx.conn) };
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
      const query = payload.query?.trim().toLocaleLowerCase();
      let rows = emu.repos.chats.membersPage(
        m.chat.id,
        payload.marker ?? 0,
        query ? MEMBER_SEARCH_SCAN : payload.count + 1,
        adminsOnly,
      );
      if (query)
        rows = rows.filter((r) => memberName(emu, r.user_id).includes(query)).slice(0, payload.count + 1);
      const page = rows.slice(0, payload.count);
      const members = page.map((r) => memberWire(emu, r)).filter((w) => w !== undefined);
      // Always a marker, 0 when there is no next page: PyMax 1.x reads it unconditionally.
      const last = page[page.length - 1];
      return { members, marker: rows.length > payload.count && last ? last.user_id : 0 };
    },
  },
  [Opcode.CHAT_LEAVE]: {
    handle: (ctx, payload) => leaveChat(ctx.emu, me(ctx), payload.chatId, ctx.conn),
  },
  [Opcode.LEAVE_CHAT]: {
    handle: (ctx, payload) => {
      if (payload.subscribe !== true) return leaveChat(ctx.emu, me(ctx), payload.chatId, ctx.conn);
      // CHAT_SUBSCRIBE {subscribe: true}: (re)join a public group or channel.
      const { emu } = ctx;
      const chat = emu.repos.chats.byId(payload.chatId);
      if (!chat) throw chatNotFound();
      const userId = me(ctx);
      if (emu.repos.chats.member(chat.id, userId)) return { chat: chatFor(emu, chat.id, userId) };
      if (chat.type === "DIALOG" || !chat.link) throw accessDenied("This chat is private");
      return { chat: joinChat(ctx.emu, chat, userId, ctx.conn) };
    },
  },
  [Opcode.MANAGE_MEMBERS]: {
    handle: (ctx, payload) => ({ chat: changeMembers(ctx.emu, me(ctx), payload, ctx.conn) }),
  },
});

/**
 * PyMax CHAT_DELETE (52) and CHAT_CLEAR (54): the chat's history up to `lastEventTime` (default:
 * now) is cleared for the caller, and with `forAll` in a dialog for the other side too (groups
 * and channels: only their owner may clear for all). The chat stays in the list either way; it
 * shows the next message that arrives. In a dialog with a bot, 52 is what the Bot API reports as
 * `dialog_removed` and 54 as `dialog_cleared`, in the same transaction.
 */
function clearChat(ctx: HandlerContext, raw: unknown, kind: "delete" | "clear"): Record<string, never> {
  const parsed = DeleteChatFields.safeParse(raw);
  if (!parsed.success) throw badPayload("CHAT_DELETE / CHAT_CLEAR need chatId, lastEventTime and forAll");
  const { chatId, lastEventTime, forAll } = parsed.data;
  const { emu } = ctx;
  const userId = me(ctx);
  const { chat } = requireMember(emu, chatId, userId);
  const cut = Math.min(lastEventTime ?? emu.now(), emu.now());
  let who: readonly number[] = [userId];
  if (forAll && (chat.type === "DIALOG" || chat.owner_id === userId)) who = emu.repos.chats.memberIds(chatId);
  const bot =
    chat.type === "DIALOG"
      ? emu.repos.chats.memberIds(chatId).find((id) => id !== userId && emu.repos.users.isBot(id))
      : undefined;
  emu.db.transaction(() => {
    for (const id of who) {
      emu.repos.chats.clearHistoryBefore(chatId, id, cut);
      // The cut's own millisecond goes message by message, so one sent later in that same
      // millisecond (right after the clear) stays visible.
      emu.repos.messages.hideAtTime(chatId, id, cut);
    }
    if (bot !== undefined && emu.events.active) {
      const type = kind === "clear" ? "dialog.cleared" : "dialog.removed";
      emu.events.emit({ type, chatId, userId, botId: bot });
    }
  })();
  if (kind === "clear") {
    // Every session of each user whose history went (the caller's others too) gets the chat as
    // that user now sees it (135, no lastMessage up to the cut), so open windows empty themselves.
    for (const id of who) {
      const member = emu.repos.chats.member(chatId, id);
      if (member) emu.hub.emit([id], Opcode.CHAT_UPDATED, { chat: chatWire(emu, chat, member) }, ctx.conn);
    }
  }
  return {};
}
