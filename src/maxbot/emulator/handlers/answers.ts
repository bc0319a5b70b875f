/**
 * POST /answers: the bot's answer to a pressed callback button. `message` edits the message
 * that carried the keyboard, `notification` shows a one-time notice to the user who pressed;
 * both in one transaction. An unknown callback_id, or one pressed on another bot's message, is 404.
 */
import { badRequest, notFound } from "../errors.js";
import type { BotHandlers } from "../routes.js";
import { findCallback } from "../store/updates.js";
import { editByBody } from "./messages.js";

export const answerHandlers: BotHandlers = {
  answerOnCallback: (ctx, { botId, query, body }) => {
    if (!body.message && !body.notification) throw badRequest("message or notification is required");
    const callback = findCallback(ctx.db, query.callback_id);
    if (!callback || callback.botId !== botId) throw notFound(`Callback ${query.callback_id} not found`);
    ctx.db.transaction(() => {
      if (body.message) {
        const message = ctx.world.message(callback.chatId, callback.messageId, botId);
        if (!message || message.status === "REMOVED")
          throw notFound("The message of this callback was deleted");
        editByBody(ctx, botId, message, body.message);
      }
      if (body.notification) ctx.world.notifyCallback(callback.userId, query.callback_id, body.notification);
    })();
    return { success: true };
  },
};
