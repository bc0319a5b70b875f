/**
 * Chats the bot is in: list (paged by `marker`), one chat by id or by public link / @username,
 * edit (title, description, icon by URL or uploaded image token, pin), delete, typing actions, and the pinned message.
 */

import type { PhotoAttachmentRequestPayload } from "../../protocol.js";
import type { MaxBotContext } from "../context.js";
import { decodeMid, toBotChat, toBotMessage } from "../convert.js";
import { BotApiError, badRequest, notFound } from "../errors.js";
import { type BotHandlers, pathInt } from "../routes.js";
import { uploadByToken } from "../store/uploads.js";
import type { WorldChat } from "../world.js";

const SUCCESS = { success: true } as const;

/** The chat as the bot sees it, or 404. */
export function chatOf(ctx: MaxBotContext, chatId: number, botId: number): WorldChat {
  const chat = ctx.world.chat(chatId, botId);
  if (!chat) throw notFound(`Chat ${chatId} not found`);
  return chat;
}

/** The MAX message id a `mid` names inside `chatId`, or 404. */
export function messageIdIn(mid: string, chatId: number): number {
  const ids = decodeMid(mid);
  if (!ids || ids.chatId !== chatId) throw notFound(`Message ${mid} not found in chat ${chatId}`);
  return ids.messageId;
}

/** The icon's URL: given as is, or the stored image of an uploaded photo token. */
function iconUrlOf(ctx: MaxBotContext, icon: PhotoAttachmentRequestPayload): string {
  if (icon.url) return icon.url;
  const token =
    icon.token ?? Object.values(icon.photos ?? {}).map((p) => (typeof p === "string" ? p : p.token))[0];
  if (!token) throw badRequest("icon needs url, token or photos");
  const upload = uploadByToken(ctx.db, token);
  if (upload?.type !== "image") throw notFound("Unknown image token");
  const url = upload.attach?.baseUrl ?? upload.fileUrl;
  if (upload.status !== "ready" || typeof url !== "string") {
    throw new BotApiError(400, "attachment.not.ready", "The image is not uploaded yet");
  }
  return url;
}

export const chatHandlers: BotHandlers = {
  getChats: (ctx, { botId, query }) => {
    const page = ctx.world.chatsOf(botId, query.count ?? 50, query.marker ?? null);
    return { chats: page.chats.map((c) => toBotChat(ctx.world, c, botId)), marker: page.marker };
  },

  // One route serves getChat and getChatByLink: an integer segment is a chat id, anything else
  // a public link name or `@username`.
  getChat: (ctx, call) => {
    const raw = call.params.chatId ?? "";
    if (/^-?\d+$/.test(raw)) {
      const chatId = pathInt(call, "chatId");
      return toBotChat(ctx.world, chatOf(ctx, chatId, call.botId), call.botId, true);
    }
    if (!/^@?[a-zA-Z]+[\w-]*$/.test(raw)) throw badRequest("Invalid chat link");
    const chat = ctx.world.chatByLink(raw.replace(/^@/, ""), call.botId);
    if (!chat) throw notFound(`Chat ${raw} not found`);
    return toBotChat(ctx.world, chat, call.botId, true);
  },

  editChat: (ctx, call) => {
    const chatId = pathInt(call, "chatId");
    const { body, botId } = call;
    chatOf(ctx, chatId, botId);
    const iconUrl = body.icon ? iconUrlOf(ctx, body.icon) : undefined;
    return ctx.db.transaction(() => {
      const patch: { title?: string; description?: string; iconUrl?: string } = {};
      if (body.title) patch.title = body.title;
      if (body.description !== undefined && body.description !== null) patch.description = body.description;
      if (iconUrl !== undefined) patch.iconUrl = iconUrl;
      if (Object.keys(patch).length > 0) ctx.world.editChat(chatId, botId, patch);
      if (body.pin) ctx.world.pin(chatId, botId, messageIdIn(body.pin, chatId), body.notify ?? true);
      return toBotChat(ctx.world, chatOf(ctx, chatId, botId), botId, true);
    })();
  },

  deleteChat: (ctx, call) => {
    const chatId = pathInt(call, "chatId");
    chatOf(ctx, chatId, call.botId);
    ctx.world.deleteChat(chatId, call.botId);
    return SUCCESS;
  },

  sendAction: (ctx, call) => {
    const chatId = pathInt(call, "chatId");
    chatOf(ctx, chatId, call.botId);
    ctx.world.action(chatId, call.botId, call.body.action);
    return SUCCESS;
  },

  getPinnedMessage: (ctx, call) => {
    const chatId = pathInt(call, "chatId");
    const chat = chatOf(ctx, chatId, call.botId);
    const pinned =
      chat.pinnedMessageId === null ? undefined : ctx.world.message(chatId, chat.pinnedMessageId, call.botId);
    return { message: pinned ? toBotMessage(ctx.world, pinned, call.botId) : null };
  },

  pinMessage: (ctx, call) => {
    const chatId = pathInt(call, "chatId");
    chatOf(ctx, chatId, call.botId);
    const messageId = messageIdIn(call.body.message_id, chatId);
    if (!ctx.world.message(chatId, messageId, call.botId))
      throw notFound(`Message ${call.body.message_id} not found`);
    ctx.world.pin(chatId, call.botId, messageId, call.body.notify ?? true);
    return SUCCESS;
  },

  unpinMessage: (ctx, call) => {
    const chatId = pathInt(call, "chatId");
    chatOf(ctx, chatId, call.botId);
    ctx.world.unpin(chatId, call.botId);
    return SUCCESS;
  },
};
