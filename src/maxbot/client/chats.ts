/** MaxBotClient: chats the bot is in, their pinned message, members and admins. */
import type { z } from "zod";
import type { CallOptions } from "../../core/call.js";
import {
  type Chat,
  type ChatAdminsList,
  type ChatPatch,
  MaxBotEndpoints as E,
  type SenderAction,
} from "../protocol.js";
import type { MaxBotCore } from "./core.js";

type Admin = z.input<typeof ChatAdminsList>["admins"][number];

export const chatsApi = {
  /** One page of the bot's chats, newest activity first; pass the answer's `marker` for the next. */
  getChats(this: MaxBotCore, page: { count?: number; marker?: number } = {}, options: CallOptions = {}) {
    return this.call(E.getChats, { input: page }, options);
  },
  /** Every chat of the bot, page by page. */
  async *chats(this: MaxBotCore, options: CallOptions & { count?: number } = {}): AsyncGenerator<Chat> {
    const { count, ...call } = options;
    let marker: number | undefined;
    for (let pages = 0; pages < 10_000; pages++) {
      const page = await this.call(E.getChats, { input: { count: count ?? 100, marker } }, call);
      yield* page.chats;
      if (page.marker === null || page.marker === undefined || page.chats.length === 0) return;
      marker = page.marker;
    }
  },
  getChat(this: MaxBotCore, chatId: number, options: CallOptions = {}) {
    return this.call(E.getChat, { params: { chatId } }, options);
  },
  /** A chat by its public link name or `@username`. */
  getChatByLink(this: MaxBotCore, link: string, options: CallOptions = {}) {
    return this.call(E.getChatByLink, { params: { chatLink: link } }, options);
  },
  editChat(this: MaxBotCore, chatId: number, patch: ChatPatch, options: CallOptions = {}) {
    return this.call(E.editChat, { params: { chatId }, input: patch }, options);
  },
  deleteChat(this: MaxBotCore, chatId: number, options: CallOptions = {}) {
    return this.call(E.deleteChat, { params: { chatId } }, options);
  },
  /** "typing_on", "sending_photo" … shown to the chat's members for a few seconds. */
  sendAction(this: MaxBotCore, chatId: number, action: SenderAction, options: CallOptions = {}) {
    return this.call(
      E.sendAction,
      { params: { chatId }, input: { action } },
      { ...options, idempotent: true },
    );
  },
  /** The pinned message, or null. */
  async getPinned(this: MaxBotCore, chatId: number, options: CallOptions = {}) {
    return (await this.call(E.getPinnedMessage, { params: { chatId } }, options)).message ?? null;
  },
  pin(
    this: MaxBotCore,
    chatId: number,
    messageId: string,
    pinOptions: { notify?: boolean } = {},
    options: CallOptions = {},
  ) {
    return this.call(
      E.pinMessage,
      { params: { chatId }, input: { message_id: messageId, ...pinOptions } },
      options,
    );
  },
  unpin(this: MaxBotCore, chatId: number, options: CallOptions = {}) {
    return this.call(E.unpinMessage, { params: { chatId } }, options);
  },
  /** The bot as a member of the chat (admin flag, permissions). */
  getMembership(this: MaxBotCore, chatId: number, options: CallOptions = {}) {
    return this.call(E.getMembership, { params: { chatId } }, options);
  },
  leaveChat(this: MaxBotCore, chatId: number, options: CallOptions = {}) {
    return this.call(E.leaveChat, { params: { chatId } }, options);
  },
  getAdmins(this: MaxBotCore, chatId: number, options: CallOptions = {}) {
    return this.call(E.getAdmins, { params: { chatId } }, options);
  },
  addAdmins(this: MaxBotCore, chatId: number, admins: Admin[], options: CallOptions = {}) {
    return this.call(
      E.postAdmins,
      { params: { chatId }, input: { admins } },
      { ...options, idempotent: true },
    );
  },
  removeAdmin(this: MaxBotCore, chatId: number, userId: number, options: CallOptions = {}) {
    return this.call(E.deleteAdmin, { params: { chatId, userId } }, options);
  },
  /** One page of members (or just `userIds`); pass the answer's `marker` for the next. */
  getMembers(
    this: MaxBotCore,
    chatId: number,
    page: { userIds?: number[]; marker?: number; count?: number } = {},
    options: CallOptions = {},
  ) {
    const { userIds, ...rest } = page;
    return this.call(
      E.getMembers,
      { params: { chatId }, input: { ...rest, ...(userIds ? { user_ids: userIds.map(String) } : {}) } },
      options,
    );
  },
  addMembers(this: MaxBotCore, chatId: number, userIds: number[], options: CallOptions = {}) {
    return this.call(
      E.addMembers,
      { params: { chatId }, input: { user_ids: userIds } },
      { ...options, idempotent: true },
    );
  },
  /** Removes a member; `block` also bans them from coming back by link. */
  removeMember(
    this: MaxBotCore,
    chatId: number,
    userId: number,
    removeOptions: { block?: boolean } = {},
    options: CallOptions = {},
  ) {
    return this.call(
      E.removeMember,
      { params: { chatId }, input: { user_id: userId, ...removeOptions } },
      options,
    );
  },
};

export type ChatsApi = typeof chatsApi;
