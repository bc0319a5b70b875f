import { ControlAttach, ErrorCode, Opcode } from "../../protocol.js";
import type { MaxConnection } from "../connection.js";
import { type HandlerContext, handlers, type MaxEmulator, me } from "../context.js";
import { badPayload, MaxProtocolError } from "../errors.js";
import { reannounceUploads } from "../http.js";
import type { WireMessage } from "../store/messages.js";
import { startOnFirstMessage } from "./bots.js";
import {
  chatWire,
  createGroupChat,
  type Membership,
  messageWire,
  notifyTyping,
  openDialog,
  pushMessage,
  requireMember,
  storeMessage,
  storeMessageBatched,
  viewerOf,
} from "./chats.js";
import { cancelDelayed, editDelayed, holdMessage } from "./delayed.js";
import { deleteMessages, editMessage, prepareSend, requireVisible } from "./message-ops.js";

const attachInvalid = (why: string) =>
  new MaxProtocolError(ErrorCode.ATTACH_INVALID, why, "Вложение недоступно");

/** 64 with a CONTROL `new` attach and no chat: creates a group or channel. */
function createFromControl(ctx: HandlerContext, raw: Record<string, unknown>, cid: number | undefined) {
  const { emu, conn } = ctx;
  const userId = me(ctx);
  const parsed = ControlAttach.safeParse(raw);
  if (!parsed.success || parsed.data.event !== "new")
    throw attachInvalid("Only a CONTROL `new` attach may be sent");
  const control = parsed.data;
  const type = control.chatType ?? "CHAT";
  const attach: Record<string, unknown> = {
    _type: "CONTROL",
    event: "new",
    chatType: type,
    title: control.title ?? "",
  };
  if (control.userIds) attach.userIds = control.userIds;
  // The chat, its members, the CONTROL message and the world's members.added commit together.
  const { chat, message } = emu.db.transaction(() => {
    const chat = createGroupChat(emu, userId, {
      type,
      title: control.title ?? "",
      userIds: control.userIds ?? [],
      ...(cid !== undefined ? { cid } : {}),
    });
    attach.title = chat.title ?? "";
    const message = storeMessage(emu, chat.id, userId, {
      text: "",
      elements: [],
      attaches: [attach],
      ...(cid !== undefined ? { cid } : {}),
    });
    const added = emu.repos.chats.memberIds(chat.id).filter((id) => id !== userId);
    if (emu.events.active && added.length > 0) {
      emu.events.emit({
        type: "members.added",
        chatId: chat.id,
        userIds: [...added],
        byUserId: userId,
        viaLink: false,
      });
    }
    return { chat, message };
  })();
  const fresh = emu.repos.chats.byId(chat.id)!;
  emu.hub.emit(emu.repos.chats.memberIds(chat.id), Opcode.CHAT_UPDATED, { chat: chatWire(emu, fresh) }, conn);
  pushMessage(emu, chat.id, message, conn);
  const own = chatWire(emu, fresh, emu.repos.chats.member(chat.id, userId));
  return { chatId: chat.id, message, chat: own, unread: 0, mark: message.time };
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
      if (msg.delayedAttributes) return holdMessage(ctx, payload, msg.delayedAttributes);
      const { target, input, peer } = prepareSend(emu, userId, payload.chatId, payload.userId, msg);
      let targetChatId: number;
      let created = false;
      if ("chatId" in target) targetChatId = target.chatId;
      else {
        targetChatId = openDialog(emu, userId, target.dialogWith).id;
        created = true;
      }
      // A user's first message to a bot starts it (bot_started), before the message itself.
      if (peer !== undefined && emu.repos.users.isBot(peer))
        startOnFirstMessage(emu, peer, userId, targetChatId, msg.text);
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
      if (payload.type !== "TEXT") reannounceUploads(ctx.emu, ctx.conn, userId, payload.type);
      return {};
    },
  },
  [Opcode.DELETE_MESSAGE]: {
    handle: (ctx, payload) => {
      if (payload.itemType === "DELAYED") {
        return { messageIds: cancelDelayed(ctx, payload.chatId, payload.messageIds) };
      }
      deleteMessages(ctx.emu, me(ctx), payload.chatId, payload.messageIds, payload.forMe, ctx.conn);
      return {};
    },
  },
  [Opcode.EDIT_MESSAGE]: {
    handle: (ctx, payload) => {
      const edit = {
        text: payload.text,
        elements: payload.elements,
        attaches: payload.attaches ?? payload.attachments,
      };
      const held = editDelayed(ctx, { ...payload, ...edit });
      if (held) return { message: held };
      return { message: editMessage(ctx.emu, me(ctx), payload.chatId, payload.messageId, edit, ctx.conn) };
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
