/**
 * The MAX side of the world the MAX Bot API emulator shares (its shape: MaxBotWorld in
 * src/maxbot/emulator/world.ts, matched structurally). Bots are MAX users flagged `is_bot`; every
 * change a bot makes runs through the same code the user API's handlers use (message-ops.ts,
 * chat-ops.ts), so MAX clients get their ordinary pushes, and the world's listeners are called
 * inside the transaction of each change (world-events.ts).
 */
import { z } from "zod";
import { Element } from "../protocol/objects.js";
import { ChatSettingsPayload, ManageMembersPayload } from "../protocol/requests.js";
import { Opcode } from "../protocol.js";
import { type BotStoredFile, storeBotFile } from "./bot-files.js";
import {
  type BotWorldChat,
  BotWorldError,
  type BotWorldMember,
  type BotWorldUser,
  worldCall,
  worldChat,
  worldMember,
  worldUser,
} from "./bot-world-views.js";
import type { MaxEmulator } from "./context.js";
import { USER_ID_START } from "./handlers/auth.js";
import { notifyCallback, pressButton, startBot } from "./handlers/bots.js";
import {
  changeChatSettings,
  changeMembers,
  chatWire,
  leaveChat,
  notifyTyping,
  openDialog,
  PUBLIC_NAME,
  parseLink,
  pushMessage,
  requireMember,
  storeMessage,
  viewerOf,
} from "./handlers/chats.js";
import { deleteMessages, editMessage, prepareSend } from "./handlers/message-ops.js";
import type { ChatRow } from "./store/chats.js";
import { type BotWorldEvent, type BotWorldMessage, worldMessage } from "./world-events.js";

export { BotWorldError } from "./bot-world-views.js";

export interface BotWorldSend {
  text: string;
  elements?: unknown[];
  attaches?: Record<string, unknown>[];
  link?: { type: "REPLY" | "FORWARD"; chatId: number; messageId: number };
  notify?: boolean;
}

const Elements = z.array(Element).max(1000);
const ACTION_TYPING: Record<string, string> = {
  typing_on: "TEXT",
  sending_photo: "PHOTO",
  sending_video: "VIDEO",
  sending_audio: "AUDIO",
  sending_file: "FILE",
};

function attachesOf(
  given: Record<string, unknown>[] | undefined,
): ({ _type: string } & Record<string, unknown>)[] {
  const list = given ?? [];
  for (const a of list) {
    if (typeof a !== "object" || a === null || typeof a._type !== "string") {
      throw new BotWorldError("bad.request", "every attach needs a string `_type`");
    }
  }
  return list as ({ _type: string } & Record<string, unknown>)[];
}

function elementsOf(given: unknown[] | undefined): unknown[] {
  if (given === undefined) return [];
  const parsed = Elements.safeParse(given);
  if (!parsed.success) throw new BotWorldError("bad.request", "invalid markup elements");
  return parsed.data;
}

/** The bots' world of one MAX emulator. */
export class MaxBotWorldImpl {
  constructor(private readonly emu: MaxEmulator) {}

  // ── users ─────────────────────────────────────────────────────────────────

  createBot(input: { name: string; username?: string; description?: string }): { userId: number } {
    const { emu } = this;
    const name = input.name.trim();
    if (name === "" || name.length > 64)
      throw new BotWorldError("bad.request", "a bot name has 1 to 64 characters");
    const username = this.freeUsername(input.username ?? null, undefined);
    const description = (input.description ?? "").slice(0, 400);
    const row = emu.db.transaction(() => {
      const id = emu.ids.next("user", USER_ID_START);
      return emu.repos.users.createBot({ id, name, username, description }, emu.now());
    })();
    return { userId: row.id };
  }

  user(userId: number): BotWorldUser | undefined {
    const row = this.emu.repos.users.byId(userId);
    return row ? worldUser(this.emu, row) : undefined;
  }

  editBotProfile(
    userId: number,
    patch: { name?: string; description?: string | null; username?: string | null },
  ): BotWorldUser {
    const { emu } = this;
    const row = emu.repos.users.byId(userId);
    if (row?.is_bot !== 1) throw new BotWorldError("not.found", "no such bot");
    const name = patch.name === undefined ? row.first_name : patch.name.trim();
    if (name === "" || name.length > 64)
      throw new BotWorldError("bad.request", "a bot name has 1 to 64 characters");
    const username = patch.username === undefined ? row.link : this.freeUsername(patch.username, userId);
    const description =
      patch.description === undefined ? row.description : (patch.description ?? "").slice(0, 400);
    emu.repos.users.updateBot(userId, { name, description, username }, emu.now());
    return worldUser(emu, emu.repos.users.byId(userId)!);
  }

  private freeUsername(username: string | null, ownerId: number | undefined): string | null {
    if (username === null || username === "") return null;
    if (!PUBLIC_NAME.test(username)) {
      throw new BotWorldError("bad.request", "a username has 3 to 64 letters, digits or underscores");
    }
    const holder = this.emu.repos.users.byLink(username) ?? this.emu.repos.chats.byLink(username);
    if (holder && holder.id !== ownerId) throw new BotWorldError("conflict", "this username is taken");
    return username;
  }

  // ── chats ─────────────────────────────────────────────────────────────────

  chat(chatId: number, viewerId: number): BotWorldChat | undefined {
    const chat = this.emu.repos.chats.byId(chatId);
    if (!chat || !this.emu.repos.chats.member(chatId, viewerId)) return undefined;
    return worldChat(this.emu, chat, viewerId);
  }

  chatByLink(link: string, viewerId: number): BotWorldChat | undefined {
    const parsed = parseLink(link);
    if (!parsed) return undefined;
    const { chats } = this.emu.repos;
    const chat = parsed.kind === "join" ? chats.byInviteHash(parsed.hash) : chats.byLink(parsed.name);
    return chat && chat.type !== "DIALOG" ? worldChat(this.emu, chat, viewerId) : undefined;
  }

  chatsOf(
    userId: number,
    count: number,
    marker: number | null,
  ): { chats: BotWorldChat[]; marker: number | null } {
    const { emu } = this;
    const after = marker === null ? undefined : emu.repos.chats.byId(marker);
    if (marker !== null && !after) return { chats: [], marker: null };
    const rows = emu.repos.bots.chatsPage(userId, after, count + 1);
    const page = rows.slice(0, count);
    const last = page[page.length - 1];
    return {
      chats: page.map((c) => worldChat(emu, c, userId)),
      marker: rows.length > count && last ? last.id : null,
    };
  }

  dialog(botId: number, userId: number): BotWorldChat {
    const { emu } = this;
    if (botId === userId) throw new BotWorldError("bad.request", "a dialog needs two users");
    if (!emu.repos.users.byId(botId) || !emu.repos.users.byId(userId))
      throw new BotWorldError("not.found", "no such user");
    const existed = emu.repos.chats.dialogOf(botId, userId);
    const chat = existed ?? openDialog(emu, botId, userId);
    if (!existed) {
      emu.hub.emit(emu.repos.chats.memberIds(chat.id), Opcode.CHAT_UPDATED, { chat: chatWire(emu, chat) });
    }
    return worldChat(emu, chat, botId);
  }

  editChat(
    chatId: number,
    byUserId: number,
    patch: { title?: string; description?: string; iconUrl?: string },
  ): BotWorldChat {
    return worldCall(() => {
      this.requireMembership(chatId, byUserId);
      const settings = ChatSettingsPayload.safeParse({
        chatId,
        title: patch.title,
        description: patch.description,
      });
      if (!settings.success) throw new BotWorldError("bad.request", "invalid title or description");
      changeChatSettings(this.emu, byUserId, settings.data, undefined);
      return worldChat(this.emu, this.emu.repos.chats.byId(chatId)!, byUserId);
    });
  }

  /** Only the owner may delete a group: every member is removed and told the chat is gone. */
  deleteChat(chatId: number, byUserId: number): void {
    worldCall(() => {
      const chat = this.requireMembership(chatId, byUserId);
      if (chat.type === "DIALOG") throw new BotWorldError("bad.request", "a dialog cannot be deleted");
      if (chat.owner_id !== byUserId)
        throw new BotWorldError("access.denied", "only the owner can delete the chat");
      const others = this.emu.repos.chats.memberIds(chatId).filter((id) => id !== byUserId);
      for (let i = 0; i < others.length; i += 1000) {
        const payload = ManageMembersPayload.parse({
          chatId,
          operation: "remove",
          userIds: others.slice(i, i + 1000),
        });
        changeMembers(this.emu, byUserId, payload, undefined);
      }
      leaveChat(this.emu, byUserId, chatId, undefined);
    });
  }

  private requireMembership(chatId: number, userId: number): ChatRow {
    const chat = this.emu.repos.chats.byId(chatId);
    if (!chat) throw new BotWorldError("not.found", "chat not found");
    if (!this.emu.repos.chats.member(chatId, userId))
      throw new BotWorldError("chat.denied", "not a member of this chat");
    return chat;
  }

  // ── members ───────────────────────────────────────────────────────────────

  members(
    chatId: number,
    viewerId: number,
    opts: { count: number; marker: number | null; userIds?: number[]; adminsOnly?: boolean },
  ): { members: BotWorldMember[]; marker: number | null } {
    const { emu } = this;
    const chat = this.requireMembership(chatId, viewerId);
    if (opts.userIds) {
      const members = opts.userIds
        .map((id) => emu.repos.chats.member(chatId, id))
        .filter((r) => r !== undefined)
        .map((r) => worldMember(emu, r))
        .filter((m) => m !== undefined);
      return { members, marker: null };
    }
    const viewer = emu.repos.chats.member(chatId, viewerId)!;
    if (chat.type === "CHANNEL" && !opts.adminsOnly && viewer.role === "MEMBER") {
      throw new BotWorldError("access.denied", "only channel admins can list subscribers");
    }
    const rows = emu.repos.chats.membersPage(
      chatId,
      opts.marker ?? 0,
      opts.count + 1,
      opts.adminsOnly === true,
    );
    const page = rows.slice(0, opts.count);
    const last = page[page.length - 1];
    return {
      members: page.map((r) => worldMember(emu, r)).filter((m) => m !== undefined),
      marker: rows.length > opts.count && last ? last.user_id : null,
    };
  }

  member(chatId: number, userId: number): BotWorldMember | undefined {
    const row = this.emu.repos.chats.member(chatId, userId);
    return row ? worldMember(this.emu, row) : undefined;
  }

  addMembers(chatId: number, byUserId: number, userIds: number[]): void {
    this.manage(chatId, byUserId, { operation: "add", userIds, showHistory: true });
  }

  /** `block` has no effect: the emulator keeps no per-chat ban list (a removed user may rejoin). */
  removeMember(chatId: number, byUserId: number, userId: number, _block: boolean): void {
    if (userId === byUserId) this.leave(chatId, userId);
    else this.manage(chatId, byUserId, { operation: "remove", userIds: [userId] });
  }

  setAdmin(chatId: number, byUserId: number, userId: number, admin: boolean): void {
    this.manage(chatId, byUserId, {
      type: "ADMIN",
      operation: admin ? "add" : "remove",
      userIds: [userId],
      ...(admin ? { permissions: 255 } : {}),
    });
  }

  private manage(chatId: number, byUserId: number, change: Record<string, unknown>): void {
    worldCall(() => {
      this.requireMembership(chatId, byUserId);
      const payload = ManageMembersPayload.safeParse({ chatId, ...change });
      if (!payload.success) throw new BotWorldError("bad.request", "invalid member change");
      changeMembers(this.emu, byUserId, payload.data, undefined);
    });
  }

  leave(chatId: number, userId: number): void {
    worldCall(() => {
      const chat = this.requireMembership(chatId, userId);
      if (chat.type === "DIALOG") throw new BotWorldError("bad.request", "a dialog cannot be left");
      leaveChat(this.emu, userId, chatId, undefined);
    });
  }

  pin(chatId: number, byUserId: number, messageId: number, notify: boolean): void {
    worldCall(() => {
      this.requireMembership(chatId, byUserId);
      const settings = ChatSettingsPayload.parse({
        chatId,
        pinMessageId: String(messageId),
        notifyPin: notify,
      });
      changeChatSettings(this.emu, byUserId, settings, undefined);
    });
  }

  unpin(chatId: number, byUserId: number): void {
    worldCall(() => {
      this.requireMembership(chatId, byUserId);
      changeChatSettings(this.emu, byUserId, ChatSettingsPayload.parse({ chatId, unpin: true }), undefined);
    });
  }

  action(chatId: number, byUserId: number, action: string): void {
    const { emu } = this;
    const chat = this.requireMembership(chatId, byUserId);
    const typing = ACTION_TYPING[action];
    if (typing) {
      notifyTyping(emu, chat.id, byUserId, typing);
      return;
    }
    if (action !== "mark_seen") throw new BotWorldError("bad.request", `unknown action ${action}`);
    // Like a 50: the read mark moves to now and the members hear of it (130).
    const mark = emu.now();
    emu.repos.chats.setReadMark(chatId, byUserId, mark);
    emu.hub.emit(emu.repos.chats.memberIds(chatId), Opcode.MARK, {
      setAsUnread: false,
      chatId,
      userId: byUserId,
      mark,
    });
  }

  // ── messages ──────────────────────────────────────────────────────────────

  send(chatId: number, byUserId: number, message: BotWorldSend): BotWorldMessage {
    return worldCall(() => {
      const { emu } = this;
      this.requireMembership(chatId, byUserId);
      const link = message.link
        ? { type: message.link.type, chatId: message.link.chatId, messageId: String(message.link.messageId) }
        : null;
      const { input } = prepareSend(emu, byUserId, chatId, undefined, {
        text: message.text,
        elements: elementsOf(message.elements),
        attaches: attachesOf(message.attaches),
        link,
      });
      const wire = storeMessage(emu, chatId, byUserId, input);
      pushMessage(emu, chatId, wire, undefined);
      return worldMessage(emu.repos.messages.inChat(chatId, Number(wire.id))!);
    });
  }

  edit(chatId: number, byUserId: number, messageId: number, message: BotWorldSend): BotWorldMessage {
    return worldCall(() => {
      const { emu } = this;
      this.requireMembership(chatId, byUserId);
      editMessage(
        emu,
        byUserId,
        chatId,
        String(messageId),
        {
          text: message.text,
          elements: elementsOf(message.elements),
          ...(message.attaches !== undefined ? { attaches: attachesOf(message.attaches) } : {}),
        },
        undefined,
      );
      return worldMessage(emu.repos.messages.inChat(chatId, messageId)!);
    });
  }

  remove(chatId: number, byUserId: number, messageId: number): void {
    worldCall(() => {
      this.requireMembership(chatId, byUserId);
      deleteMessages(this.emu, byUserId, chatId, [String(messageId)], false, undefined);
    });
  }

  message(chatId: number, messageId: number, viewerId: number): BotWorldMessage | undefined {
    const member = this.emu.repos.chats.member(chatId, viewerId);
    if (!member) return undefined;
    const row = this.emu.repos.messages.visible(chatId, messageId, viewerOf(member));
    return row ? worldMessage(row) : undefined;
  }

  history(
    chatId: number,
    viewerId: number,
    opts: { from?: number; to?: number; count: number },
  ): BotWorldMessage[] {
    const { emu } = this;
    this.requireMembership(chatId, viewerId);
    const m = requireMember(emu, chatId, viewerId);
    const a = opts.from ?? Number.MAX_SAFE_INTEGER;
    const b = opts.to ?? 0;
    const hi = Math.max(a, b);
    const lo = Math.min(a, b);
    const rows = emu.repos.messages.history(chatId, viewerOf(m.member), hi, Math.max(0, opts.count), 0);
    return rows
      .filter((r) => r.time >= lo)
      .reverse()
      .map(worldMessage);
  }

  notifyCallback(userId: number, callbackId: string, text: string): void {
    notifyCallback(this.emu, userId, callbackId, text);
  }

  // ── bots in the user API (admin routes and tests drive these) ─────────────

  /** A user presses a callback button of a message's inline keyboard. */
  press(
    userId: number,
    chatId: number,
    messageId: number,
    payload: string | undefined,
  ): { callbackId: string } {
    return worldCall(() => ({
      callbackId: pressButton(this.emu, userId, { chatId, messageId }, payload).callbackId,
    }));
  }

  /** A user starts a bot (its dialog opened, `payload` from a deep link). */
  start(userId: number, botId: number, payload: string | null): { chatId: number } {
    const { emu } = this;
    if (!emu.repos.users.isBot(botId)) throw new BotWorldError("not.found", "no such bot");
    if (!emu.repos.users.byId(userId) || emu.repos.users.isBot(userId))
      throw new BotWorldError("not.found", "no such user");
    const chat = this.dialog(botId, userId);
    startBot(emu, botId, userId, chat.chatId, payload);
    return { chatId: chat.chatId };
  }

  // ── files and events ──────────────────────────────────────────────────────

  storeFile(
    ownerId: number,
    kind: "image" | "video" | "audio" | "file",
    name: string,
    bytes: Buffer,
  ): BotStoredFile {
    return storeBotFile(this.emu, ownerId, kind, name, bytes);
  }

  subscribe(listener: (event: BotWorldEvent) => void): () => void {
    return this.emu.events.subscribe(listener);
  }
}
