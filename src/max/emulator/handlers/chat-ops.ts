/**
 * What changing a chat's settings or members does, shared by the user API's handlers (55, 57,
 * 58, 75, 77) and the bots' world (bot-world.ts): checks, one transaction holding the writes,
 * the CONTROL messages and the world events, then the pushes.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { ErrorCode, LIMITS, Opcode, type RequestSchemas } from "../../protocol.js";
import type { MaxConnection } from "../connection.js";
import type { MaxEmulator } from "../context.js";
import { accessDenied, badPayload, MaxProtocolError, notFound } from "../errors.js";
import type { ChatRow } from "../store/chats.js";
import type { WireMessage } from "../store/messages.js";
import {
  chatFor,
  chatWire,
  isAdmin,
  limitMembers,
  optionOn,
  requireAdmin,
  requireGroup,
  requireMember,
  viewerOf,
} from "./chat-access.js";
import { pushChat, pushGone, pushMessage, storeControl } from "./chat-messages.js";

type Settings = z.output<(typeof RequestSchemas)[typeof Opcode.CHAT_SETTINGS]>;
type MembersChange = z.output<(typeof RequestSchemas)[typeof Opcode.MANAGE_MEMBERS]>;

export const PUBLIC_NAME = /^[A-Za-z0-9_]{3,64}$/;

export const linkInvalid = () =>
  new MaxProtocolError(ErrorCode.LINK_INVALID, "Link is invalid or expired", "Ссылка недействительна");

export function newInviteHash(): string {
  return randomBytes(18).toString("base64url");
}

const SettingsExtras = z.looseObject({
  link: z.string().optional(),
  changeOwnerId: z
    .union([z.number().int(), z.string().regex(/^\d+$/)])
    .transform(Number)
    .optional(),
  revokePrivateLink: z.boolean().optional(),
});

/** 55: title, description, options, public link, invite link, pin, owner. Returns the caller's view. */
export function changeChatSettings(
  emu: MaxEmulator,
  userId: number,
  payload: Settings,
  except: MaxConnection | undefined,
): Record<string, unknown> {
  const m = requireMember(emu, payload.chatId, userId);
  const extras = SettingsExtras.safeParse(payload);
  if (!extras.success) throw badPayload("Invalid chat settings");
  const chat: ChatRow = { ...m.chat };
  const group = chat.type !== "DIALOG";
  const admin = isAdmin(m.member);
  const controls: Record<string, unknown>[] = [];
  const title = payload.title ?? payload.theme;
  const profileChange =
    title !== undefined ||
    payload.description !== undefined ||
    payload.options !== undefined ||
    extras.data.link !== undefined ||
    extras.data.revokePrivateLink === true ||
    extras.data.changeOwnerId !== undefined;
  if (profileChange) {
    if (!group) throw accessDenied("Dialogs have no settings");
    if (!admin) throw accessDenied("Only the owner or an admin can change chat settings");
  }
  let titleChanged = false;
  if (title !== undefined && title !== chat.title) {
    if (optionOn(chat, "ONLY_OWNER_CAN_CHANGE_ICON_TITLE") && chat.owner_id !== userId) {
      throw accessDenied("Only the owner can change the title");
    }
    chat.title = title;
    titleChanged = true;
    controls.push({ event: "title", title });
  }
  if (payload.description !== undefined) chat.description = payload.description;
  if (payload.options !== undefined) {
    const current = JSON.parse(chat.options) as Record<string, unknown>;
    for (const [k, v] of Object.entries(payload.options)) if (typeof v === "boolean") current[k] = v;
    chat.options = JSON.stringify(current);
  }
  if (extras.data.link !== undefined) {
    const name = extras.data.link.replace(/^(https?:\/\/)?(web\.)?max\.ru\//i, "").replace(/^@/, "");
    if (name === "") chat.link = null;
    else {
      if (!PUBLIC_NAME.test(name)) throw linkInvalid();
      const holder = emu.repos.chats.byLink(name) ?? emu.repos.users.byLink(name);
      if (holder && holder.id !== chat.id)
        throw new MaxProtocolError(ErrorCode.LINK_INVALID, "Link is taken", "Ссылка занята");
      chat.link = name;
    }
  }
  if (extras.data.revokePrivateLink) chat.invite_hash = newInviteHash();
  const pinId = payload.pinMessageId ?? payload.messageId;
  if (pinId !== undefined || payload.unpin) {
    const canPin =
      chat.type === "DIALOG" || admin || (chat.type === "CHAT" && optionOn(chat, "ALL_CAN_PIN_MESSAGE"));
    if (!canPin) throw accessDenied("Only the owner or an admin can pin messages");
    if (payload.unpin || pinId === "0") chat.pinned_message_id = null;
    else if (pinId !== undefined) {
      const row = emu.repos.messages.visible(chat.id, Number(pinId), viewerOf(m.member));
      if (!row)
        throw new MaxProtocolError(ErrorCode.MESSAGE_NOT_FOUND, "Message not found", "Сообщение не найдено");
      chat.pinned_message_id = row.id;
      if (payload.notifyPin) controls.push({ event: "pin", pinnedMessageId: String(row.id) });
    }
  }
  const newOwner = extras.data.changeOwnerId;
  const handOver = newOwner !== undefined && newOwner !== chat.owner_id;
  if (handOver) {
    if (chat.owner_id !== userId) throw accessDenied("Only the owner can hand over the chat");
    if (!emu.repos.chats.member(chat.id, newOwner)) throw notFound("Member");
  }
  const posted = emu.db.transaction((): WireMessage[] => {
    if (handOver) {
      emu.repos.chats.setOwner(chat.id, newOwner, emu.now());
      emu.repos.chats.setRole(chat.id, newOwner, "OWNER", 0);
      emu.repos.chats.setRole(chat.id, userId, "ADMIN", 0);
      chat.owner_id = newOwner;
    }
    emu.repos.chats.update(chat, emu.now());
    const stored = controls.map((control) => storeControl(emu, chat, userId, control));
    if (titleChanged && emu.events.active) {
      emu.events.emit({
        type: "chat.title_changed",
        chatId: chat.id,
        title: chat.title ?? "",
        byUserId: userId,
      });
    }
    return stored;
  })();
  for (const message of posted) pushMessage(emu, chat.id, message, except);
  pushChat(emu, chat.id, except);
  return chatFor(emu, chat.id, userId);
}

/** 57 / 75: adds `userId` to a group or channel by link; CONTROL message and 135 to the members. */
export function joinChat(
  emu: MaxEmulator,
  chat: ChatRow,
  userId: number,
  except: MaxConnection | undefined,
): Record<string, unknown> {
  const { chats } = emu.repos;
  if (!chats.member(chat.id, userId)) {
    if (chats.countMembers(chat.id) >= LIMITS.groupMembers) throw limitMembers();
    const message = emu.db.transaction(() => {
      chats.addMember({ chatId: chat.id, userId, role: "MEMBER" }, emu.now());
      const stored = storeControl(emu, chat, userId, { event: "joinByLink", userId });
      if (emu.events.active) {
        emu.events.emit({
          type: "members.added",
          chatId: chat.id,
          userIds: [userId],
          byUserId: userId,
          viaLink: true,
        });
      }
      return stored;
    })();
    pushMessage(emu, chat.id, message, except);
    pushChat(emu, chat.id, except);
  }
  return chatFor(emu, chat.id, userId);
}

/** 58 / 75: the caller leaves a group or channel (an owner hands it to a successor). */
export function leaveChat(
  emu: MaxEmulator,
  userId: number,
  chatId: number,
  except: MaxConnection | undefined,
): Record<string, unknown> {
  const m = requireMember(emu, chatId, userId);
  requireGroup(m);
  const { chats } = emu.repos;
  const message = emu.db.transaction(() => {
    chats.removeMember(chatId, userId);
    if (m.chat.owner_id === userId) {
      const heir = chats.successor(chatId, userId);
      if (heir) {
        chats.setOwner(chatId, heir.user_id, emu.now());
        chats.setRole(chatId, heir.user_id, "OWNER", heir.permissions);
      }
    }
    const stored = storeControl(emu, chats.byId(chatId)!, userId, { event: "leave", userId });
    if (emu.events.active) emu.events.emit({ type: "member.removed", chatId, userId, byUserId: userId });
    return stored;
  })();
  const chat = chats.byId(chatId)!;
  pushMessage(emu, chatId, message, except);
  pushChat(emu, chatId, except);
  const gone = { ...chatWire(emu, chat, undefined, { preview: true }), status: "LEFT" };
  emu.hub.emit([userId], Opcode.CHAT_UPDATED, { chat: gone }, except);
  return { chat: gone };
}

/** 77: admins granted or revoked, members added or removed. Returns the caller's view of the chat. */
export function changeMembers(
  emu: MaxEmulator,
  userId: number,
  payload: MembersChange,
  except: MaxConnection | undefined,
): Record<string, unknown> {
  const { chats, users } = emu.repos;
  chats.invalidate(payload.chatId);
  const m = requireMember(emu, payload.chatId, userId);
  requireGroup(m);
  requireAdmin(m);
  const chatId = m.chat.id;
  const targets = [...new Set(payload.userIds)];
  const now = emu.now();
  if (payload.type === "ADMIN") {
    // vkmax's add_admin sends operation "remove" with the new admin's permissions; a real
    // removal (its remove_admin, PyMax) never carries permissions.
    const grant = payload.operation === "add" || payload.permissions !== undefined;
    if (m.member.role !== "OWNER" && (m.member.permissions & 4) === 0) {
      throw accessDenied("No permission to manage admins");
    }
    emu.db.transaction(() => {
      for (const target of targets) {
        const member = chats.member(chatId, target);
        if (!member) throw notFound(`Member ${target}`);
        if (member.role === "OWNER") continue;
        if (grant) chats.setRole(chatId, target, "ADMIN", payload.permissions ?? 255);
        else chats.setRole(chatId, target, "MEMBER", 0);
      }
    })();
    pushChat(emu, chatId, except);
    return chatFor(emu, chatId, userId);
  }
  if (payload.operation === "add") {
    for (const target of targets) if (!users.byId(target)) throw notFound(`User ${target}`);
    const fresh = targets.filter((t) => !chats.member(chatId, t));
    if (fresh.length > 0) {
      if (chats.countMembers(chatId) + fresh.length > LIMITS.groupMembers) throw limitMembers();
      const historyFrom = payload.showHistory === false ? now : 0;
      const message = emu.db.transaction(() => {
        for (const target of fresh) {
          chats.addMember({ chatId, userId: target, role: "MEMBER", historyFrom, invitedBy: userId }, now);
        }
        const stored = storeControl(emu, m.chat, userId, { event: "add", userIds: fresh });
        if (emu.events.active) {
          emu.events.emit({
            type: "members.added",
            chatId,
            userIds: [...fresh],
            byUserId: userId,
            viaLink: false,
          });
        }
        return stored;
      })();
      pushMessage(emu, chatId, message, except);
      pushChat(emu, chatId, except);
    }
    return chatFor(emu, chatId, userId);
  }
  const removed: number[] = [];
  const message = emu.db.transaction(() => {
    for (const target of targets) {
      const member = chats.member(chatId, target);
      if (!member) continue;
      if (member.role === "OWNER" || target === userId) throw accessDenied("The owner cannot be removed");
      if (member.role === "ADMIN" && m.member.role !== "OWNER")
        throw accessDenied("Only the owner can remove admins");
      chats.removeMember(chatId, target);
      removed.push(target);
    }
    if (removed.length === 0) return undefined;
    const stored = storeControl(emu, m.chat, userId, {
      event: "remove",
      userIds: removed,
      userId: removed[0],
    });
    if (emu.events.active) {
      for (const target of removed)
        emu.events.emit({ type: "member.removed", chatId, userId: target, byUserId: userId });
    }
    return stored;
  })();
  if (message) {
    pushMessage(emu, chatId, message, except, removed);
    pushChat(emu, chatId, except);
    pushGone(emu, chats.byId(chatId)!, removed, "REMOVED");
  }
  return chatFor(emu, chatId, userId);
}
