/** MaxImClient: messages, conversations and unread counts. */
import type { CallOptions } from "../../core/call.js";
import {
  MaxImEndpoints as E,
  type MessageNotifyBody,
  type MessageSendBody,
  type StoredMessage,
} from "../protocol.js";
import type { MaxImCore } from "./core.js";

type PageOptions = CallOptions & { msgIdStart?: number; limit?: number };

function conversationPage(core: MaxImCore, oppositeId: number, options: PageOptions = {}) {
  const { msgIdStart, limit, ...call } = options;
  return core.call(
    E.conversation,
    { opposite_id: oppositeId, msg_id_start: msgIdStart ?? 0, limit: limit ?? 50 },
    call,
  );
}

export const messagesApi = {
  /**
   * Sends one message to every target (all users or all groups, by `type`). Retried on network
   * failures only when `transaction_id` is set: the server de-duplicates by it.
   */
  sendMessage(this: MaxImCore, body: MessageSendBody, options: CallOptions = {}) {
    return this.call(E.sendMessage, body, { ...options, idempotent: body.transaction_id !== undefined });
  },
  /** A system notification (`/message/notify`, app token): from the app unless `from_user_id`. */
  sendNotification(this: MaxImCore, body: MessageNotifyBody, options: CallOptions = {}) {
    return this.call(E.sendNotification, body, {
      ...options,
      idempotent: body.transaction_id !== undefined,
    });
  },
  /** Deletes the conversation from the acting user's view (history and unread); 0 is the app's. */
  deleteConversation(this: MaxImCore, conversationId: number, options: CallOptions = {}) {
    return this.call(E.deleteConversation, { conversation_id: conversationId }, options);
  },
  recallMessage(this: MaxImCore, conversationId: number, msgId: number, options: CallOptions = {}) {
    return this.call(E.recallMessage, { conversation_id: conversationId, msg_id: msgId }, options);
  },
  /** One page, newest first, of messages older than `msgIdStart` (0: the newest). */
  conversationPage(this: MaxImCore, oppositeId: number, options: PageOptions = {}) {
    return conversationPage(this, oppositeId, options);
  },
  /** Newest first, walking `next_msg_id` back to the start of the conversation. */
  async *conversation(
    this: MaxImCore,
    oppositeId: number,
    options: CallOptions & { limit?: number } = {},
  ): AsyncGenerator<StoredMessage> {
    let start = 0;
    for (;;) {
      const page = await conversationPage(this, oppositeId, { ...options, msgIdStart: start });
      yield* page.messages;
      if (page.is_last || !page.next_msg_id) return;
      start = page.next_msg_id;
    }
  },
  unread(this: MaxImCore, options: CallOptions = {}) {
    return this.call(E.unread, {}, options);
  },
  ack(this: MaxImCore, conversationId: number, msgId?: number, options: CallOptions = {}) {
    return this.call(E.ack, { conversation_id: conversationId, msg_id: msgId }, options);
  },
};

export type MessagesApi = typeof messagesApi;
