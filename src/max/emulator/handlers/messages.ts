import {
  ContactAttach,
  ControlAttach,
  ErrorCode,
  LIMITS,
  LocationAttach,
  MessageLink,
  Opcode,
  PollAttach,
  StickerAttach,
} from "../../protocol.js";
import type { MaxConnection } from "../connection.js";
import { type HandlerContext, handlers, type MaxEmulator, me } from "../context.js";
import { accessDenied, badPayload, MaxProtocolError } from "../errors.js";
import { reannounceUploads } from "../http.js";
import type { MemberRow } from "../store/chats.js";
import type { MessageRow, WireMessage } from "../store/messages.js";
import {
  chatWire,
  createGroupChat,
  isAdmin,
  type Membership,
  messageWire,
  type NewMessage,
  notifyTyping,
  openDialog,
  pushMessage,
  requireMember,
  resolveSendTarget,
  storeMessage,
  storeMessageBatched,
  viewerOf,
} from "./chats.js";
import { isBlocked } from "./contacts.js";
import { validateMediaAttach } from "./files.js";

const MEDIA = new Set(["PHOTO", "VIDEO", "FILE", "VOICE", "AUDIO"]);
const PLAIN_SCHEMAS = {
  STICKER: StickerAttach,
  LOCATION: LocationAttach,
  CONTACT: ContactAttach,
  POLL: PollAttach,
};

const messageNotFound = () =>
  new MaxProtocolError(ErrorCode.MESSAGE_NOT_FOUND, "Message not found", "Сообщение не найдено");
const attachInvalid = (why: string) =>
  new MaxProtocolError(ErrorCode.ATTACH_INVALID, why, "Вложение недоступно");

/** Text length in characters (code points), as the service counts them. */
function checkText(text: string): void {
  if (text.length <= LIMITS.textLength) return;
  let n = 0;
  for (const _ of text) if (++n > LIMITS.textLength) break;
  if (n > LIMITS.textLength) {
    throw new MaxProtocolError(
      ErrorCode.TEXT_TOO_LONG,
      `Message text is longer than ${LIMITS.textLength} characters`,
      "Слишком длинное сообщение",
    );
  }
}

/** Checks an outgoing attach and returns what the message stores. */
function storedAttach(
  emu: MaxEmulator,
  attach: { _type: string } & Record<string, unknown>,
  senderId: number,
): Record<string, unknown> {
  if (MEDIA.has(attach._type)) return { ...validateMediaAttach(emu, attach, senderId) };
  const schema = PLAIN_SCHEMAS[attach._type as keyof typeof PLAIN_SCHEMAS];
  if (!schema) throw attachInvalid(`Attach type ${attach._type} cannot be sent`);
  const parsed = schema.safeParse(attach);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw attachInvalid(
      `Invalid ${attach._type} attach: ${issue ? `${issue.path.join(".")} ${issue.message}` : ""}`,
    );
  }
  const out: Record<string, unknown> = { ...parsed.data };
  if (parsed.data._type === "POLL") {
    // Poll ids share the message id sequence: unique and increasing.
    out.pollId = emu.ids.messageId(emu.now());
    out.answers = parsed.data.options.map((o, i) => ({ id: i + 1, text: o.text, votes: 0 }));
  }
  return out;
}

function storedAttaches(
  emu: MaxEmulator,
  attaches: readonly ({ _type: string } & Record<string, unknown>)[],
  senderId: number,
): Record<string, unknown>[] {
  return attaches.map((a) => storedAttach(emu, a, senderId));
}

/** A message stored inside a link (reply / forward): its own link is dropped to keep nesting flat. */
function linkedMessage(emu: MaxEmulator, row: MessageRow): WireMessage {
  const wire = emu.repos.messages.toWire(row);
  delete wire.link;
  return wire;
}

/** Resolves a REPLY / FORWARD link into what the message stores (with the linked messages). */
function storedLink(
  emu: MaxEmulator,
  raw: Record<string, unknown>,
  chatId: number | undefined,
  userId: number,
): Record<string, unknown> {
  const parsed = MessageLink.safeParse(raw);
  if (!parsed.success) throw badPayload("message.link must be a REPLY or FORWARD link");
  const link = parsed.data;
  const sourceChatId = link.chatId ?? chatId;
  if (sourceChatId === undefined) throw messageNotFound();
  const source = requireMember(emu, sourceChatId, userId);
  const viewer = viewerOf(source.member);
  const find = (id: string): MessageRow => {
    const row = /^\d{1,16}$/.test(id)
      ? emu.repos.messages.visible(sourceChatId, Number(id), viewer)
      : undefined;
    if (!row) throw messageNotFound();
    return row;
  };
  if (link.type === "REPLY") {
    const row = find(link.messageId);
    return {
      type: "REPLY",
      messageId: String(row.id),
      chatId: sourceChatId,
      message: linkedMessage(emu, row),
    };
  }
  const ids = link.messageIds ?? (link.messageId !== undefined ? [link.messageId] : []);
  if (ids.length === 0) throw badPayload("FORWARD link needs messageId or messageIds");
  const rows = ids.map(find);
  const first = rows[0]!;
  const out: Record<string, unknown> = {
    type: "FORWARD",
    chatId: sourceChatId,
    messageId: String(first.id),
    message: linkedMessage(emu, first),
  };
  if (rows.length > 1) {
    out.messageIds = rows.map((r) => String(r.id));
    out.messages = rows.map((r) => linkedMessage(emu, r));
  }
  return out;
}

/** 64 with a CONTROL `new` attach and no chat: creates a group or channel. */
function createFromControl(ctx: HandlerContext, raw: Record<string, unknown>, cid: number | undefined) {
  const { emu, conn } = ctx;
  const userId = me(ctx);
  const parsed = ControlAttach.safeParse(raw);
  if (!parsed.success || parsed.data.event !== "new")
    throw attachInvalid("Only a CONTROL `new` attach may be sent");
  const control = parsed.data;
  const type = control.chatType ?? "CHAT";
  const chat = createGroupChat(emu, userId, {
    type,
    title: control.title ?? "",
    userIds: control.userIds ?? [],
    ...(cid !== undefined ? { cid } : {}),
  });
  const attach: Record<string, unknown> = {
    _type: "CONTROL",
    event: "new",
    chatType: type,
    title: chat.title ?? "",
  };
  if (control.userIds) attach.userIds = control.userIds;
  const message = storeMessage(emu, chat.id, userId, {
    text: "",
    elements: [],
    attaches: [attach],
    ...(cid !== undefined ? { cid } : {}),
  });
  const fresh = emu.repos.chats.byId(chat.id)!;
  emu.hub.emit(emu.repos.chats.memberIds(chat.id), Opcode.CHAT_UPDATED, { chat: chatWire(emu, fresh) }, conn);
  pushMessage(emu, chat.id, message, conn);
  const own = chatWire(emu, fresh, emu.repos.chats.member(chat.id, userId));
  return { chatId: chat.id, message, chat: own, unread: 0, mark: message.time };
}

function requireVisible(emu: MaxEmulator, m: Membership, messageId: string): MessageRow {
  const row = /^\d{1,16}$/.test(messageId)
    ? emu.repos.messages.visible(m.chat.id, Number(messageId), viewerOf(m.member))
    : undefined;
  if (!row) throw messageNotFound();
  return row;
}

function isControl(row: MessageRow): boolean {
  return row.attaches.includes('"_type":"CONTROL"');
}

/** 155 to every session of every member but the requester's connection. */
function pushReactions(
  emu: MaxEmulator,
  chatId: number,
  messageId: number,
  conn: MaxConnection,
): Record<string, unknown> {
  const info = emu.repos.messages.reactionInfo(messageId);
  emu.repos.chats.touch(chatId, emu.now());
  emu.hub.emit(
    emu.repos.chats.memberIds(chatId),
    Opcode.REACTIONS_CHANGED,
    { chatId, messageId: String(messageId), counters: info.counters, totalCount: info.totalCount },
    conn,
  );
  return info as unknown as Record<string, unknown>;
}

function reactionsMap(emu: MaxEmulator, m: Membership, ids: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const viewer = viewerOf(m.member);
  for (const id of ids) {
    const row = /^\d{1,16}$/.test(id) ? emu.repos.messages.visible(m.chat.id, Number(id), viewer) : undefined;
    if (row) out[String(row.id)] = emu.repos.messages.reactionInfo(row.id, viewer.userId);
  }
  return out;
}

function canDeleteForAll(member: MemberRow, chatType: string, row: MessageRow): boolean {
  if (row.sender_id === member.user_id) return true;
  return chatType !== "DIALOG" && isAdmin(member);
}

export const messageHandlers = handlers({
  [Opcode.SEND_MESSAGE]: {
    handle: async (ctx, payload) => {
      const { emu, conn } = ctx;
      const userId = me(ctx);
      const msg = payload.message;
      const control = msg.attaches.find((a) => a._type === "CONTROL");
      if (control) {
        if (payload.chatId !== undefined || payload.userId !== undefined || msg.attaches.length > 1) {
          throw attachInvalid("CONTROL attaches only create chats");
        }
        return createFromControl(ctx, control, msg.cid);
      }
      checkText(msg.text);
      const target = resolveSendTarget(emu, userId, payload.chatId, payload.userId);
      if ("chatId" in target && target.kind === "CHANNEL" && target.role === "MEMBER") {
        throw accessDenied("Only channel admins can post");
      }
      const peer =
        "dialogWith" in target
          ? target.dialogWith
          : target.kind === "DIALOG"
            ? emu.repos.chats.memberIds(target.chatId).find((id) => id !== userId)
            : undefined;
      // A user who blocked the sender no longer receives their direct messages.
      if (peer !== undefined && isBlocked(emu, peer, userId)) throw accessDenied("This user has blocked you");
      const attaches = msg.attaches.length ? storedAttaches(emu, msg.attaches, userId) : [];
      const chatId = "chatId" in target ? target.chatId : undefined;
      const link = msg.link ? storedLink(emu, msg.link, chatId, userId) : undefined;
      if (msg.text.trim() === "" && attaches.length === 0 && link?.type !== "FORWARD") {
        throw new MaxProtocolError(ErrorCode.MESSAGE_EMPTY, "Message is empty", "Пустое сообщение");
      }
      let targetChatId: number;
      let created = false;
      if ("chatId" in target) targetChatId = target.chatId;
      else {
        targetChatId = openDialog(emu, userId, target.dialogWith).id;
        created = true;
      }
      const input: NewMessage = { text: msg.text, elements: msg.elements, attaches };
      if (msg.cid !== undefined) input.cid = msg.cid;
      if (link) input.link = link;
      const message = await storeMessageBatched(emu, targetChatId, userId, input);
      if (created) {
        const chat = emu.repos.chats.byId(targetChatId)!;
        emu.hub.emit(
          emu.repos.chats.memberIds(targetChatId),
          Opcode.CHAT_UPDATED,
          { chat: chatWire(emu, chat) },
          conn,
        );
      }
      pushMessage(emu, targetChatId, message, conn);
      return { chatId: targetChatId, message, unread: 0, mark: message.time };
    },
  },
  [Opcode.UPLOAD_START]: {
    handle: (ctx, payload) => {
      const userId = me(ctx);
      requireMember(ctx.emu, payload.chatId, userId);
      notifyTyping(ctx.emu, payload.chatId, userId, payload.type);
      reannounceUploads(ctx.emu, ctx.conn, userId, payload.type);
      return {};
    },
  },
  [Opcode.DELETE_MESSAGE]: {
    handle: (ctx, payload) => {
      const { emu, conn } = ctx;
      const userId = me(ctx);
      const m = requireMember(emu, payload.chatId, userId);
      const rows = [...new Set(payload.messageIds)].map((id) => requireVisible(emu, m, id));
      const now = emu.now();
      if (payload.forMe) {
        emu.db.transaction(() => {
          for (const row of rows) emu.repos.messages.hide(userId, row.id);
        })();
        for (const row of rows) {
          const tomb = emu.repos.messages.toWire({
            ...row,
            status: "REMOVED",
            text: "",
            elements: "[]",
            attaches: "[]",
            link: null,
          });
          emu.hub.emit([userId], Opcode.NEW_MESSAGE, { chatId: m.chat.id, message: tomb, ttl: false }, conn);
        }
        return {};
      }
      for (const row of rows) {
        if (!canDeleteForAll(m.member, m.chat.type, row))
          throw accessDenied("Only the sender or an admin can delete this message");
      }
      emu.db.transaction(() => {
        for (const row of rows) emu.repos.messages.remove(row.id, now);
        // A change to the chat: a client that was away sees it in the chat's lastEventTime.
        emu.repos.chats.touch(m.chat.id, now);
      })();
      const members = emu.repos.chats.memberIds(m.chat.id);
      for (const row of rows) {
        const tomb = emu.repos.messages.toWire(emu.repos.messages.inChat(m.chat.id, row.id)!);
        emu.hub.emit(members, Opcode.NEW_MESSAGE, { chatId: m.chat.id, message: tomb, ttl: false }, conn);
      }
      return {};
    },
  },
  [Opcode.EDIT_MESSAGE]: {
    handle: (ctx, payload) => {
      const { emu, conn } = ctx;
      const userId = me(ctx);
      const m = requireMember(emu, payload.chatId, userId);
      const row = requireVisible(emu, m, payload.messageId);
      if (row.sender_id !== userId || isControl(row))
        throw accessDenied("Only the sender can edit a message");
      checkText(payload.text);
      const given = payload.attaches ?? payload.attachments;
      const attaches = given ? storedAttaches(emu, given, userId) : (JSON.parse(row.attaches) as unknown[]);
      if (payload.text.trim() === "" && attaches.length === 0 && !row.link) {
        throw new MaxProtocolError(ErrorCode.MESSAGE_EMPTY, "Message is empty", "Пустое сообщение");
      }
      const now = emu.now();
      emu.repos.messages.edit(
        row.id,
        payload.text,
        JSON.stringify(payload.elements ?? []),
        JSON.stringify(attaches),
        now,
      );
      emu.repos.chats.touch(m.chat.id, now);
      const message = messageWire(emu, emu.repos.messages.inChat(m.chat.id, row.id)!);
      emu.hub.emit(
        emu.repos.chats.memberIds(m.chat.id),
        Opcode.NEW_MESSAGE,
        { chatId: m.chat.id, message, ttl: false },
        conn,
      );
      return { message };
    },
  },
  [Opcode.GET_MESSAGES]: {
    handle: (ctx, payload) => {
      const { emu } = ctx;
      const userId = me(ctx);
      const m = requireMember(emu, payload.chatId, userId);
      const viewer = viewerOf(m.member);
      const messages: WireMessage[] = [];
      for (const id of payload.messageIds) {
        const row = /^\d{1,16}$/.test(id)
          ? emu.repos.messages.visible(m.chat.id, Number(id), viewer)
          : undefined;
        if (row) messages.push(messageWire(emu, row, userId));
      }
      return { messages };
    },
  },
  [Opcode.SEARCH]: {
    handle: (ctx, payload) => {
      const { emu } = ctx;
      const userId = me(ctx);
      if (payload.chatId !== undefined) requireMember(emu, payload.chatId, userId);
      const { rows, total } = emu.repos.messages.search(userId, payload.query, payload.chatId, payload.count);
      return {
        result: rows.map((r) => ({ chatId: r.chat_id, message: messageWire(emu, r, userId) })),
        total,
      };
    },
  },
  [Opcode.REACTION]: {
    handle: (ctx, payload) => {
      const { emu, conn } = ctx;
      const userId = me(ctx);
      if (!payload.reaction) throw badPayload("reaction is required");
      const m = requireMember(emu, payload.chatId, userId);
      const row = requireVisible(emu, m, payload.messageId);
      emu.repos.messages.setReaction(row.id, userId, payload.reaction.id, emu.now());
      pushReactions(emu, m.chat.id, row.id, conn);
      return { reactionInfo: emu.repos.messages.reactionInfo(row.id, userId) };
    },
  },
  [Opcode.REACTION_REMOVE]: {
    handle: (ctx, payload) => {
      const { emu, conn } = ctx;
      const userId = me(ctx);
      const m = requireMember(emu, payload.chatId, userId);
      const row = requireVisible(emu, m, payload.messageId);
      if (emu.repos.messages.removeReaction(row.id, userId)) pushReactions(emu, m.chat.id, row.id, conn);
      return { reactionInfo: emu.repos.messages.reactionInfo(row.id, userId) };
    },
  },
  [Opcode.GET_REACTIONS]: {
    handle: (ctx, payload) => {
      const m = requireMember(ctx.emu, payload.chatId, me(ctx));
      const ids = payload.messageIds ?? (payload.messageId !== undefined ? [payload.messageId] : []);
      if (ids.length === 0) throw badPayload("messageIds is required");
      return { messagesReactions: reactionsMap(ctx.emu, m, ids) };
    },
  },
  [Opcode.GET_REACTIONS_DETAIL]: {
    handle: (ctx, payload) => {
      const { emu } = ctx;
      const userId = me(ctx);
      const m = requireMember(emu, payload.chatId, userId);
      if (payload.messageIds) return { messagesReactions: reactionsMap(emu, m, payload.messageIds) };
      if (payload.messageId === undefined) throw badPayload("messageId or messageIds is required");
      const row = requireVisible(emu, m, payload.messageId);
      const reactions = emu.repos.messages
        .reactionsOf(row.id, payload.count ?? 100)
        .map((r) => ({ userId: r.userId, reaction: r.reaction }));
      return { ...emu.repos.messages.reactionInfo(row.id, userId), messageId: String(row.id), reactions };
    },
  },
});
