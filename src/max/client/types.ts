/**
 * What the MAX client hands to its users: messages, chats, users and typed events. Parsing is
 * lenient (unknown fields are kept, ids normalised), so new server fields never break a caller.
 */

import type { SwitchboardError } from "../../core/errors.js";
import type { ConnectionState } from "../../core/model.js";
import { Opcode, TYPING_EVENT_OPCODE } from "../protocol.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: unknown };

/** An attach as the wire carries it: `_type` plus whatever fields that type has. */
export interface MaxAttach {
  _type: string;
  [key: string]: unknown;
}

export interface MaxElement {
  type: string;
  from?: number;
  length?: number;
  entityId?: number;
  attributes?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface MaxLink {
  type: string;
  messageId?: string;
  messageIds?: string[];
  chatId?: number;
  message?: MaxMessage;
  [key: string]: unknown;
}

export interface MaxMessage {
  /** Message ids are strings: they exceed 2^53 on the real service. */
  id: string;
  chatId: number;
  time: number;
  sender: number;
  text: string;
  type: string;
  cid?: number;
  elements: MaxElement[];
  attaches: MaxAttach[];
  link?: MaxLink;
  status?: "EDITED" | "REMOVED" | string;
  updateTime?: number;
  reactionInfo?: unknown;
  [key: string]: unknown;
}

export interface MaxName {
  name: string;
  firstName?: string;
  lastName?: string;
  type: string;
}

export interface MaxUser {
  id: number;
  names: MaxName[];
  phone?: number;
  description?: string;
  baseUrl?: string;
  link?: string;
  [key: string]: unknown;
}

export interface MaxChat {
  id: number;
  type: "DIALOG" | "CHAT" | "CHANNEL" | string;
  status?: string;
  owner?: number;
  title?: string;
  description?: string;
  participants?: Record<string, number>;
  participantsCount?: number;
  admins?: number[];
  link?: string;
  lastEventTime?: number;
  lastMessage?: MaxMessage;
  pinnedMessage?: MaxMessage;
  [key: string]: unknown;
}

export interface MaxProfile {
  contact: MaxUser;
  profileOptions?: number[];
  [key: string]: unknown;
}

// ── events ──────────────────────────────────────────────────────────────────

export interface MessageEvent {
  chatId: number;
  message: MaxMessage;
  /** True when the message was fetched through history after a reconnect, not pushed live. */
  catchUp: boolean;
}
export interface MessageDeletedEvent {
  chatId: number;
  messageIds: string[];
}
export interface ReactionEvent {
  chatId: number;
  messageId: string;
  counters: { reaction: string; count: number }[];
  totalCount: number;
  yourReaction?: string;
}
export interface TypingEvent {
  chatId: number;
  userId: number;
  type?: string;
}
export interface PresenceEvent {
  userId: number;
  online: boolean;
  /** Last seen, as the server sent it. */
  seen?: number;
}
export interface ReadEvent {
  chatId: number;
  userId: number;
  mark: number;
  setAsUnread: boolean;
}
export interface ChatUpdatedEvent {
  chat: MaxChat;
}
export interface UploadCompleteEvent {
  fileId?: number;
  videoId?: number;
  voiceId?: number;
  audioId?: number;
  token?: string;
}
export interface StateEvent {
  state: ConnectionState;
  reason?: string;
  error?: SwitchboardError;
}
export interface RawEvent {
  opcode: number;
  payload: unknown;
}

export interface MaxEventMap {
  message: MessageEvent;
  messageEdited: MessageEvent;
  messageDeleted: MessageDeletedEvent;
  reaction: ReactionEvent;
  typing: TypingEvent;
  presence: PresenceEvent;
  read: ReadEvent;
  chatUpdated: ChatUpdatedEvent;
  uploadComplete: UploadCompleteEvent;
  state: StateEvent;
  /** Fatal or background errors: AuthError when the session was revoked, failed catch-up… */
  error: SwitchboardError;
  /** Every pushed packet, parsed or not (escape hatch for opcodes this SDK doesn't model). */
  raw: RawEvent;
}
export type MaxEventName = keyof MaxEventMap;
export type MaxEvent = { [K in MaxEventName]: { type: K } & { data: MaxEventMap[K] } }[MaxEventName];

// ── lenient normalisers ─────────────────────────────────────────────────────

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

function str(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  return undefined;
}

/** Reads a message object, lifting the `{chatId, message}` wrapper the 64 answer and 128 push use. */
export function toMaxMessage(raw: unknown, chatIdHint?: number): MaxMessage | undefined {
  if (!isObject(raw)) return undefined;
  const inner = isObject(raw.message) ? raw.message : raw;
  const id = str(inner.id);
  if (id === undefined) return undefined;
  const chatId = num(raw.chatId) ?? num(inner.chatId) ?? chatIdHint ?? 0;
  const link = isObject(inner.link) ? normaliseLink(inner.link) : undefined;
  const msg: MaxMessage = {
    ...inner,
    id,
    chatId,
    time: num(inner.time) ?? 0,
    sender: num(inner.sender) ?? 0,
    text: typeof inner.text === "string" ? inner.text : "",
    type: typeof inner.type === "string" ? inner.type : "USER",
    elements: Array.isArray(inner.elements) ? inner.elements.filter(isElement) : [],
    attaches: Array.isArray(inner.attaches) ? inner.attaches.filter(isAttach) : [],
  };
  if (link) msg.link = link;
  else delete msg.link;
  return msg;
}

function normaliseLink(raw: JsonObject): MaxLink {
  const link: MaxLink = { ...raw, type: typeof raw.type === "string" ? raw.type : "REPLY" };
  const messageId = str(raw.messageId);
  if (messageId !== undefined) link.messageId = messageId;
  if (Array.isArray(raw.messageIds)) link.messageIds = raw.messageIds.map(str).filter((s) => s !== undefined);
  const chatId = num(raw.chatId);
  if (chatId !== undefined) link.chatId = chatId;
  const nested = isObject(raw.message) ? toMaxMessage(raw.message, chatId) : undefined;
  if (nested) link.message = nested;
  return link;
}

function isAttach(v: unknown): v is MaxAttach {
  return isObject(v) && typeof v._type === "string";
}

function isElement(v: unknown): v is MaxElement {
  return isObject(v) && typeof v.type === "string";
}

export function toMaxChat(raw: unknown): MaxChat | undefined {
  if (!isObject(raw)) return undefined;
  const id = num(raw.id);
  if (id === undefined) return undefined;
  const chat: MaxChat = { ...raw, id, type: typeof raw.type === "string" ? raw.type : "CHAT" };
  const last = raw.lastMessage !== undefined ? toMaxMessage(raw.lastMessage, id) : undefined;
  if (last) chat.lastMessage = last;
  else delete chat.lastMessage;
  const pinned = raw.pinnedMessage !== undefined ? toMaxMessage(raw.pinnedMessage, id) : undefined;
  if (pinned) chat.pinnedMessage = pinned;
  else delete chat.pinnedMessage;
  return chat;
}

export function toMaxUser(raw: unknown): MaxUser | undefined {
  if (!isObject(raw)) return undefined;
  const inner = isObject(raw.contact) ? raw.contact : raw;
  const id = num(inner.id);
  if (id === undefined) return undefined;
  const names = Array.isArray(inner.names)
    ? inner.names.filter((n): n is MaxName => isObject(n) && typeof n.name === "string")
    : [];
  return {
    ...inner,
    id,
    names: names.map((n) => ({ ...n, type: typeof n.type === "string" ? n.type : "ONEME" })),
  };
}

/** A user's display name: first `names` entry, else `User <id>`. */
export function displayName(user: MaxUser | undefined, fallbackId?: number): string {
  const n = user?.names[0];
  if (n) return n.name || [n.firstName, n.lastName].filter(Boolean).join(" ");
  return `User ${user?.id ?? fallbackId ?? "?"}`;
}

export function listOf<T>(raw: unknown, key: string, parse: (v: unknown) => T | undefined): T[] {
  if (!isObject(raw) || !Array.isArray(raw[key])) return [];
  const out: T[] = [];
  for (const item of raw[key] as unknown[]) {
    const v = parse(item);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** Pushed packet → typed event(s). Unknown opcodes give only the raw event. */
export type ParsedPush =
  | { type: "message" | "messageEdited"; data: MessageEvent }
  | { type: "messageDeleted"; data: MessageDeletedEvent }
  | { type: "reaction"; data: ReactionEvent }
  | { type: "typing"; data: TypingEvent }
  | { type: "presence"; data: PresenceEvent }
  | { type: "read"; data: ReadEvent }
  | { type: "chatUpdated"; data: ChatUpdatedEvent }
  | { type: "uploadComplete"; data: UploadCompleteEvent };

export function parsePush(opcode: number, payload: unknown): ParsedPush | undefined {
  if (!isObject(payload)) return undefined;
  switch (opcode) {
    case Opcode.NEW_MESSAGE: {
      const message = toMaxMessage(payload);
      if (!message) return undefined;
      const chatId = message.chatId;
      if (message.status === "REMOVED")
        return { type: "messageDeleted", data: { chatId, messageIds: [message.id] } };
      const type = message.status === "EDITED" ? "messageEdited" : "message";
      return { type, data: { chatId, message, catchUp: false } };
    }
    case Opcode.PRESENCE_UPDATE:
    case Opcode.PRESENCE:
    case TYPING_EVENT_OPCODE: {
      // 129 is presence in the seed and typing in PyMax: tell them apart by shape.
      const userId = num(payload.userId);
      if (userId === undefined) return undefined;
      if (isObject(payload.presence)) {
        const p = payload.presence;
        const seen = num(p.seen);
        const on = p.on ?? p.status;
        const online = on === "ON" || on === 1 || on === true || on === "ONLINE";
        return { type: "presence", data: seen === undefined ? { userId, online } : { userId, online, seen } };
      }
      const chatId = num(payload.chatId);
      if (chatId === undefined) return undefined;
      const data: TypingEvent = { chatId, userId };
      if (typeof payload.type === "string") data.type = payload.type;
      return { type: "typing", data };
    }
    case Opcode.MARK: {
      const chatId = num(payload.chatId);
      const userId = num(payload.userId);
      if (chatId === undefined || userId === undefined) return undefined;
      return {
        type: "read",
        data: { chatId, userId, mark: num(payload.mark) ?? 0, setAsUnread: payload.setAsUnread === true },
      };
    }
    case Opcode.CHAT_UPDATED: {
      const chat = toMaxChat(payload.chat);
      return chat ? { type: "chatUpdated", data: { chat } } : undefined;
    }
    case Opcode.UPLOAD_COMPLETE: {
      const data: UploadCompleteEvent = {};
      for (const key of ["fileId", "videoId", "voiceId", "audioId"] as const) {
        const v = num(payload[key]);
        if (v !== undefined) data[key] = v;
      }
      if (typeof payload.token === "string") data.token = payload.token;
      return { type: "uploadComplete", data };
    }
    case Opcode.REACTIONS_CHANGED: {
      const chatId = num(payload.chatId);
      const messageId = str(payload.messageId);
      if (chatId === undefined || messageId === undefined) return undefined;
      const counters = Array.isArray(payload.counters)
        ? payload.counters
            .filter(isObject)
            .map((c) => ({ reaction: String(c.reaction ?? ""), count: num(c.count) ?? 0 }))
        : [];
      const data: ReactionEvent = { chatId, messageId, counters, totalCount: num(payload.totalCount) ?? 0 };
      if (typeof payload.yourReaction === "string") data.yourReaction = payload.yourReaction;
      return { type: "reaction", data };
    }
    case 142: {
      // PyMax's NOTIF_MSG_DELETE `{chat, messageIds}`.
      const chatId = num(isObject(payload.chat) ? payload.chat.id : payload.chatId);
      if (chatId === undefined || !Array.isArray(payload.messageIds)) return undefined;
      return {
        type: "messageDeleted",
        data: { chatId, messageIds: payload.messageIds.map(str).filter((s) => s !== undefined) },
      };
    }
    default:
      return undefined;
  }
}
