/**
 * Chats and members in the bots' world (bot-world.ts extends this): reading chats as a bot sees
 * them, and changing them through the user API's own operations (chat-ops.ts), so members get
 * their usual pushes and the world's listeners hear of each change inside its transaction.
 */
import { ChatSettingsPayload, ManageMembersPayload } from "../protocol/requests.js";
import { Opcode } from "../protocol.js";
import {
  type BotWorldChat,
  BotWorldError,
  type BotWorldMember,
  worldCall,
  worldChat,
  worldMember,
} from "./bot-world-views.js";
import type { MaxEmulator } from "./context.js";
import {
  changeChatSettings,
  changeMembers,
  chatWire,
  leaveChat,
  notifyTyping,
  openDialog,
  optionOn,
  parseLink,
  pushChat,
} from "./handlers/chats.js";
import type { ChatRow } from "./store/chats.js";

const ACTION_TYPING: Record<string, string> = {
  typing_on: "TEXT",
  sending_photo: "PHOTO",
  sending_video: "VIDEO",
  sending_audio: "AUDIO",
  sending_file: "FILE",
};

export class BotWorldChats {
  constructor(protected readonly emu: MaxEmulator) {}

  // ── chats ─────────────────────────────────────────────────────────────────

  chat(chatId: number, viewerId: number): BotWorldChat | undefined {
    const chat = this.emu.repos.chats.byId(chatId);
    if (!chat || !this.emu.repos.chats.member(chatId, viewerId)) return undefined;
    return worldChat(this.emu, chat, viewerId);
  }

  /** The chat without a viewer (dialogWithUserId null): for sandbox admin routes only. */
  chatForAdmin(chatId: number): BotWorldChat | undefined {
    const chat = this.emu.repos.chats.byId(chatId);
    return chat ? { ...worldChat(this.emu, chat, 0), dialogWithUserId: null } : undefined;
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
      if (patch.iconUrl !== undefined) this.setIcon(chatId, byUserId, patch.iconUrl);
      if (patch.title !== undefined || patch.description !== undefined) {
        changeChatSettings(this.emu, byUserId, settings.data, undefined);
      }
      return worldChat(this.emu, this.emu.repos.chats.byId(chatId)!, byUserId);
    });
  }

  /** The chat's icon (`baseIconUrl`), under the same rights as its title; 135 to the members. */
  private setIcon(chatId: number, byUserId: number, url: string): void {
    const { emu } = this;
    const chat = this.requireMembership(chatId, byUserId);
    if (chat.type === "DIALOG") throw new BotWorldError("bad.request", "dialogs have no icon");
    const member = emu.repos.chats.member(chatId, byUserId)!;
    if (member.role === "MEMBER")
      throw new BotWorldError("access.denied", "only the owner or an admin can change the icon");
    if (optionOn(chat, "ONLY_OWNER_CAN_CHANGE_ICON_TITLE") && chat.owner_id !== byUserId) {
      throw new BotWorldError("access.denied", "only the owner can change the icon");
    }
    if (!/^https?:\/\/\S+$/i.test(url) || url.length > 2048)
      throw new BotWorldError("bad.request", "the icon must be an http(s) URL");
    emu.repos.chats.setIcon(chatId, url, emu.now());
    pushChat(emu, chatId, undefined);
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

  protected requireMembership(chatId: number, userId: number): ChatRow {
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
}
