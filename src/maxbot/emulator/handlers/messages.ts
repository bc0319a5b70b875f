/**
 * Messages: read (a chat's history by time, or by `mid`s), send to a chat or (through the dialog)
 * to a user, edit, delete. A NewMessageBody becomes a MAX message: `format` text is parsed into
 * markup elements, attachments into user API attaches, `link` into a reply/forward link.
 */
import type { NewMessageBody } from "../../protocol.js";
import type { MaxBotContext } from "../context.js";
import { decodeMid, toBotMessage, toMaxAttaches } from "../convert.js";
import { badRequest, notFound } from "../errors.js";
import { formatText } from "../format.js";
import type { BotHandlers } from "../routes.js";
import type { WorldMessage, WorldSend } from "../world.js";
import { chatOf } from "./chats.js";

const SUCCESS = { success: true } as const;
const TEXT_MAX = 4000;

/** The chat and MAX message a `mid` names, readable by the bot, or 404. */
export function messageByMid(ctx: MaxBotContext, mid: string, botId: number): WorldMessage {
  const ids = decodeMid(mid);
  const message = ids ? ctx.world.message(ids.chatId, ids.messageId, botId) : undefined;
  if (!message || message.status === "REMOVED") throw notFound(`Message ${mid} not found`);
  return message;
}

/**
 * What the world sends or stores for a NewMessageBody. For an edit `current` is the message as
 * it is: a missing text keeps its text, missing (null) attachments keep its attaches, `[]` drops them.
 */
export function toWorldSend(
  ctx: MaxBotContext,
  botId: number,
  body: NewMessageBody,
  current?: WorldMessage,
): WorldSend {
  const send: WorldSend = { text: "" };
  if (body.text !== undefined && body.text !== null) {
    const formatted = formatText(body.text, body.format);
    if (formatted.text.length > TEXT_MAX) throw badRequest(`Text is longer than ${TEXT_MAX} characters`);
    send.text = formatted.text;
    send.elements = formatted.elements;
  } else if (current) {
    send.text = current.text;
    send.elements = current.elements;
  }
  if (body.attachments !== undefined && body.attachments !== null) {
    send.attaches = toMaxAttaches(ctx, botId, body.attachments);
  } else if (current) {
    send.attaches = current.attaches;
  }
  if (body.link) {
    const linked = messageByMid(ctx, body.link.mid, botId);
    send.link = {
      type: body.link.type === "reply" ? "REPLY" : "FORWARD",
      chatId: linked.chatId,
      messageId: linked.messageId,
    };
  } else if (current?.link) {
    send.link = current.link;
  }
  if (body.notify === false) send.notify = false;
  if (send.text.trim() === "" && (send.attaches?.length ?? 0) === 0 && !send.link) {
    throw badRequest("Message must have text, attachments or a forwarded message");
  }
  return send;
}

/** Edits a message the bot may edit with a NewMessageBody (PUT /messages, POST /answers). */
export function editByBody(
  ctx: MaxBotContext,
  botId: number,
  message: WorldMessage,
  body: NewMessageBody,
): void {
  if (body.link) throw badRequest("A message's link cannot be changed by an edit");
  ctx.world.edit(message.chatId, botId, message.messageId, toWorldSend(ctx, botId, body, message));
}

export const messageHandlers: BotHandlers = {
  getMessages: (ctx, { botId, query }) => {
    if (query.message_ids && query.message_ids.length > 0) {
      const messages = [];
      for (const mid of query.message_ids.slice(0, 100)) {
        const ids = decodeMid(mid);
        const m = ids ? ctx.world.message(ids.chatId, ids.messageId, botId) : undefined;
        if (m && m.status !== "REMOVED") messages.push(toBotMessage(ctx.world, m, botId));
      }
      return { messages };
    }
    if (query.chat_id === undefined) throw badRequest("chat_id or message_ids is required");
    chatOf(ctx, query.chat_id, botId);
    // Traversed newest first: `from` is the later bound and `to` the earlier one (the world
    // takes them in either order).
    const bounds: { from?: number; to?: number } = {};
    if (query.from !== undefined) bounds.from = query.from;
    if (query.to !== undefined) bounds.to = query.to;
    const history = ctx.world.history(query.chat_id, botId, { ...bounds, count: query.count ?? 50 });
    return {
      messages: history.filter((m) => m.status !== "REMOVED").map((m) => toBotMessage(ctx.world, m, botId)),
    };
  },

  sendMessage: async (ctx, { botId, query, body }) => {
    let chatId: number;
    if (query.chat_id !== undefined) {
      chatOf(ctx, query.chat_id, botId);
      chatId = query.chat_id;
    } else if (query.user_id !== undefined) {
      if (!ctx.world.user(query.user_id)) throw notFound(`User ${query.user_id} not found`);
      chatId = ctx.world.dialog(botId, query.user_id).chatId;
    } else {
      throw badRequest("chat_id or user_id is required");
    }
    // Group-committed with the other sends of this moment; resolves once committed.
    const sent = await ctx.world.sendAsync(chatId, botId, toWorldSend(ctx, botId, body));
    return { message: toBotMessage(ctx.world, sent, botId) };
  },

  editMessage: (ctx, { botId, query, body }) => {
    editByBody(ctx, botId, messageByMid(ctx, query.message_id, botId), body);
    return SUCCESS;
  },

  deleteMessage: (ctx, { botId, query }) => {
    const message = messageByMid(ctx, query.message_id, botId);
    ctx.world.remove(message.chatId, botId, message.messageId);
    return SUCCESS;
  },

  getMessageById: (ctx, { botId, params }) => {
    const mid = params.messageId ?? "";
    return toBotMessage(ctx.world, messageByMid(ctx, mid, botId), botId);
  },
};
