/**
 * Comments of channel posts (`/messages/{messageId}/comments`, the SDK's CommentsApi). The MAX
 * world the emulator shares has no comment threads, so every post answers as one without
 * comments: 404 not.found, after the request itself was checked (a bad request is still 400).
 */
import type { MaxBotContext } from "../context.js";
import { notFound } from "../errors.js";
import type { BotHandlers } from "../routes.js";
import { messageByMid } from "./messages.js";

/** 404 for an unknown post, else 404 "no comments". */
function noCommentsOn(ctx: MaxBotContext, botId: number, mid: string | undefined): never {
  messageByMid(ctx, mid ?? "", botId);
  throw notFound(`Message ${mid} has no comments`);
}

export const commentHandlers: BotHandlers = {
  getComments: (ctx, { botId, params }) => noCommentsOn(ctx, botId, params.messageId),
  getComment: (ctx, { botId, params }) => noCommentsOn(ctx, botId, params.messageId),
  sendComment: (ctx, { botId, params }) => noCommentsOn(ctx, botId, params.messageId),
  // The SDK sends edits to the literal path `/messages/{messageId}/comments`: the post is in the query.
  editComment: (ctx, { botId, query }) => noCommentsOn(ctx, botId, query.message_id),
  deleteComment: (ctx, { botId, params }) => noCommentsOn(ctx, botId, params.messageId),
};
