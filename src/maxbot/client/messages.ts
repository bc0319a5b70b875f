/** MaxBotClient: sending, editing, deleting and reading messages; callback answers; videos. */
import { backoffDelay, sleep } from "../../core/backoff.js";
import type { CallOptions } from "../../core/call.js";
import { ApiError } from "../../core/errors.js";
import { type CallbackAnswer, MaxBotEndpoints as E, ERROR_CODES, type NewMessageBody } from "../protocol.js";
import { type MaxBotCore, PLATFORM } from "./core.js";

/** Where a message goes: a chat (dialogs included) or a user's dialog with the bot. */
export type MessageTarget = { chatId: number; userId?: never } | { userId: number; chatId?: never };

export interface SendMessageOptions extends CallOptions {
  disableLinkPreview?: boolean;
  /**
   * How often a send is repeated while the platform answers `attachment.not.ready` (an upload
   * still being processed), with growing delays; default 5.
   */
  notReadyRetries?: number;
}

export interface MessagesQuery {
  chatId?: number;
  /** Message ids (`mid`s); then `chatId` is not needed. */
  messageIds?: string[];
  /** Newest message time (ms) to list from, inclusive. */
  from?: number;
  /** Oldest message time (ms) to list to. */
  to?: number;
  count?: number;
}

/** `attachment.not.ready` delays: 0.5 s, 1 s, 2 s … (full jitter), as the official SDK backs off. */
const NOT_READY_BACKOFF = { baseMs: 500, factor: 2, maxMs: 8000 };

/**
 * Sends a message; answers it as the platform stored it (its `body.mid` is the id). Not retried
 * on network errors (it might have arrived); retried on 429 and on `attachment.not.ready`.
 */
async function sendMessage(
  core: MaxBotCore,
  to: MessageTarget,
  body: NewMessageBody,
  options: SendMessageOptions = {},
) {
  const { disableLinkPreview, notReadyRetries, ...call } = options;
  const query = {
    ...(to.chatId !== undefined ? { chat_id: to.chatId } : { user_id: to.userId }),
    ...(disableLinkPreview !== undefined ? { disable_link_preview: disableLinkPreview } : {}),
  };
  const tries = Math.max(0, notReadyRetries ?? 5);
  for (let attempt = 1; ; attempt++) {
    try {
      return (await core.call(E.sendMessage, { input: body, query }, call)).message;
    } catch (err) {
      const notReady = err instanceof ApiError && err.code === ERROR_CODES.attachmentNotReady;
      if (!notReady || attempt > tries) throw err;
      const delay = Math.max(100, backoffDelay(attempt, NOT_READY_BACKOFF));
      core.log.debug({ attempt, delayMs: delay }, "attachment not ready; sending again");
      await sleep(delay, call.signal, PLATFORM);
    }
  }
}

export const messagesApi = {
  /**
   * Sends a message; answers it as the platform stored it (its `body.mid` is the id). Not retried
   * on network errors (it might have arrived); retried on 429 and on `attachment.not.ready`.
   */
  sendMessage(this: MaxBotCore, to: MessageTarget, body: NewMessageBody, options: SendMessageOptions = {}) {
    return sendMessage(this, to, body, options);
  },
  /** Sends plain or formatted text (a shortcut for `sendMessage`). */
  sendText(
    this: MaxBotCore,
    to: MessageTarget,
    text: string,
    extra: Omit<NewMessageBody, "text"> = {},
    options: SendMessageOptions = {},
  ) {
    return sendMessage(this, to, { ...extra, text }, options);
  },
  /** Replaces the text / attachments of one of the bot's messages (within 24 hours on the platform). */
  editMessage(this: MaxBotCore, messageId: string, body: NewMessageBody, options: CallOptions = {}) {
    return this.call(E.editMessage, { input: body, query: { message_id: messageId } }, options);
  },
  deleteMessage(this: MaxBotCore, messageId: string, options: CallOptions = {}) {
    return this.call(E.deleteMessage, { input: { message_id: messageId } }, options);
  },
  getMessage(this: MaxBotCore, messageId: string, options: CallOptions = {}) {
    return this.call(E.getMessageById, { params: { messageId } }, options);
  },
  /** Messages of a chat, newest first, or the messages named by `messageIds`. */
  async getMessages(this: MaxBotCore, query: MessagesQuery, options: CallOptions = {}) {
    const input = {
      ...(query.chatId !== undefined ? { chat_id: query.chatId } : {}),
      ...(query.messageIds ? { message_ids: query.messageIds } : {}),
      ...(query.from !== undefined ? { from: query.from } : {}),
      ...(query.to !== undefined ? { to: query.to } : {}),
      ...(query.count !== undefined ? { count: query.count } : {}),
    };
    return (await this.call(E.getMessages, { input }, options)).messages;
  },
  /** URLs and size of an uploaded or received video. */
  getVideo(this: MaxBotCore, videoToken: string, options: CallOptions = {}) {
    return this.call(E.getVideoAttachmentDetails, { params: { videoToken } }, options);
  },
  /**
   * Answers a button press (`message_callback`): a `notification` shown to the user, and/or a
   * `message` that replaces the one with the button.
   */
  answerCallback(this: MaxBotCore, callbackId: string, answer: CallbackAnswer, options: CallOptions = {}) {
    return this.call(E.answerOnCallback, { input: answer, query: { callback_id: callbackId } }, options);
  },
};

export type MessagesApi = typeof messagesApi;
