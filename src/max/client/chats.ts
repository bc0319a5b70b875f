/** Chats: lists, history, read marks, typing, settings, links, members, creation, search. */
import type { CallOptions } from "../../core/call.js";
import { ApiError } from "../../core/errors.js";
import { byTimeThenId } from "./catch-up.js";
import type { MaxEngine } from "./engine.js";
import { num } from "./engine.js";
import {
  isObject,
  listOf,
  type MaxAttach,
  type MaxChat,
  type MaxMessage,
  type MaxUser,
  splitKnown,
  toMaxChat,
  toMaxMessage,
  toMaxUser,
} from "./types.js";

/** A fresh client-side message id, as web clients make them. */
export function newCid(): number {
  return Date.now() * 1000 + Math.floor(Math.random() * 1000);
}

export async function getChats(e: MaxEngine, chatIds: number[], options: CallOptions): Promise<MaxChat[]> {
  return listOf(await e.call("getChats", { chatIds }, options), "chats", toMaxChat);
}

export async function listChats(
  e: MaxEngine,
  options: CallOptions & { marker?: number; count?: number },
): Promise<{ chats: MaxChat[]; marker?: number }> {
  const payload: Record<string, unknown> = { count: options.count ?? 40 };
  if (options.marker !== undefined) payload.marker = options.marker;
  const a = await e.call("chatsList", payload, options);
  const out: { chats: MaxChat[]; marker?: number } = { chats: listOf(a, "chats", toMaxChat) };
  const marker = num(a.marker);
  if (marker !== undefined) out.marker = marker;
  return out;
}

export async function getHistory(
  e: MaxEngine,
  chatId: number,
  options: CallOptions & { from?: number; backward?: number; forward?: number },
): Promise<MaxMessage[]> {
  const a = await e.call(
    "getChat",
    {
      chatId,
      from: options.from ?? Date.now() + 60_000,
      backward: options.backward ?? 30,
      forward: options.forward ?? 0,
      getMessages: true,
    },
    options,
  );
  return listOf(a, "messages", (m) => toMaxMessage(m, chatId)).sort(byTimeThenId);
}

export async function readMark(e: MaxEngine, payload: Record<string, unknown>, options: CallOptions) {
  const a = await e.call("readMessage", payload, options);
  return { unread: num(a.unread) ?? 0, mark: num(a.mark) ?? 0 };
}

export async function getTyping(e: MaxEngine, chatId: number, options: CallOptions): Promise<number[]> {
  const a = await e.call("getTyping", { chatId }, options);
  const list = Array.isArray(a.typing) ? a.typing : Array.isArray(a.userIds) ? a.userIds : [];
  return list.map((u) => num(isObject(u) ? (u.userId ?? u.id) : u)).filter((n) => n !== undefined);
}

/** 55: title (`theme`), description, options, pin / unpin. */
export async function chatSettings(
  e: MaxEngine,
  payload: Record<string, unknown>,
  options: CallOptions,
): Promise<MaxChat | undefined> {
  return toMaxChat((await e.call("chatSettings", payload, options)).chat);
}

export async function getInviteLink(
  e: MaxEngine,
  chatId: number,
  options: CallOptions & { revoke?: boolean },
): Promise<string> {
  const payload: Record<string, unknown> = { chatId };
  if (options.revoke) payload.revokePrivateLink = true;
  const a = await e.call("getInviteLink", payload, options);
  const link = a.link ?? (isObject(a.chat) ? a.chat.link : undefined);
  if (typeof link !== "string")
    throw new ApiError("invite link answer had no link", { platform: "max", code: "bad_answer" });
  return link;
}

export async function joinByLink(e: MaxEngine, link: string, options: CallOptions): Promise<MaxChat> {
  const chat = toMaxChat((await e.call("joinByLink", { link }, options)).chat);
  if (!chat) throw new ApiError("join answer had no chat", { platform: "max", code: "bad_answer" });
  e.tracker.track(chat.id, Date.now());
  return chat;
}

export async function resolveLink(
  e: MaxEngine,
  link: string,
  options: CallOptions,
): Promise<{ chat?: MaxChat; user?: MaxUser }> {
  const a = await e.call("resolveLink", { link }, options);
  const out: { chat?: MaxChat; user?: MaxUser } = {};
  const chat = toMaxChat(a.chat);
  if (chat) out.chat = chat;
  const user = toMaxUser(a.user ?? a.contact);
  if (user) out.user = user;
  return out;
}

export async function leaveChat(
  e: MaxEngine,
  chatId: number,
  options: CallOptions & { pymaxOpcode?: boolean },
): Promise<void> {
  // PyMax leaves with 58 CHAT_LEAVE; the seed (and vkmax, for channels) with 75.
  if (options.pymaxOpcode) await e.call("chatLeave", { chatId }, options);
  else await e.call("leaveChat", { chatId }, options);
  e.tracker.forget(chatId);
}

export type MaxMember = {
  user: MaxUser;
  presence?: { seen?: number; status?: number; on?: string; extra?: Record<string, unknown> };
  joinTime?: number;
  /** `ADMIN` or `OWNER`; absent for a plain member. */
  role?: string;
  permissions?: number;
  /** Fields this type does not name, as the server sent them. */
  extra?: Record<string, unknown>;
};
const MEMBER_KEYS: ReadonlySet<string> = new Set(["presence", "joinTime", "role", "permissions"]);
const PRESENCE_KEYS: ReadonlySet<string> = new Set(["seen", "status", "on"]);

export async function getMembers(
  e: MaxEngine,
  chatId: number,
  options: CallOptions & { marker?: number; count?: number; admins?: boolean },
): Promise<{ members: MaxMember[]; marker?: number }> {
  const payload: Record<string, unknown> = {
    chatId,
    type: options.admins ? "ADMIN" : "MEMBER",
    count: options.count ?? 50,
  };
  if (options.marker !== undefined) payload.marker = options.marker;
  const a = await e.call("getMembers", payload, options);
  const members = listOf(a, "members", (m) => {
    const user = toMaxUser(m);
    if (!user || !isObject(m)) return undefined;
    // `contact` (or a bare user) became `user`; the rest is the membership.
    const { contact: _contact, ...membership } = m;
    const member = {
      ...(splitKnown(isObject(m.contact) ? membership : {}, MEMBER_KEYS) as Partial<MaxMember>),
      user,
    };
    if (isObject(m.presence))
      member.presence = splitKnown(m.presence, PRESENCE_KEYS) as MaxMember["presence"];
    return member;
  });
  // The service answers marker 0 on the last page (member ids start at 1): no next page.
  const marker = num(a.marker);
  return marker === undefined || marker === 0 ? { members } : { members, marker };
}

export async function manageMembers(
  e: MaxEngine,
  payload: Record<string, unknown>,
  options: CallOptions,
): Promise<MaxChat | undefined> {
  return toMaxChat((await e.call("manageMembers", payload, options)).chat);
}

/** 64 with a CONTROL attach, as web clients create groups and channels. */
export async function createChat(e: MaxEngine, control: MaxAttach, options: CallOptions): Promise<MaxChat> {
  const a = await e.call(
    "sendMessage",
    { message: { cid: newCid(), text: "", attaches: [control] }, notify: true },
    options,
  );
  const chat = toMaxChat(a.chat);
  if (!chat) throw new ApiError("create answer had no chat", { platform: "max", code: "bad_answer" });
  const message = toMaxMessage(a, chat.id);
  e.tracker.track(chat.id, message?.time ?? Date.now());
  if (message) e.tracker.admit(message);
  return chat;
}

export async function search(
  e: MaxEngine,
  query: string,
  options: CallOptions & { chatId?: number; count?: number },
): Promise<MaxMessage[]> {
  const payload: Record<string, unknown> = { query, count: options.count ?? 30 };
  if (options.chatId !== undefined) payload.chatId = options.chatId;
  const a = await e.call("search", payload, options);
  const raw = Array.isArray(a.messages) ? a.messages : Array.isArray(a.result) ? a.result : [];
  return raw.map((m) => toMaxMessage(m, options.chatId)).filter((m) => m !== undefined);
}

/**
 * 54 CHAT_CLEAR: the chat's history up to `until` (default now) goes, for this account or, with
 * `forAll`, for everyone (a dialog's other side; in a group or channel only its owner may).
 * The chat stays in the list; every session whose history went gets 135 (`chatUpdated`).
 */
export async function clearHistory(
  e: MaxEngine,
  chatId: number,
  options: CallOptions & { forAll?: boolean | undefined; until?: number | undefined },
): Promise<void> {
  const lastEventTime = options.until ?? Date.now();
  await e.call("clearChat", { chatId, lastEventTime, forAll: options.forAll ?? false }, options);
}
