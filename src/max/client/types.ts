/**
 * What the MAX client hands to its users: messages, chats, users and typed events. Parsing is
 * lenient (ids normalised, a field the server adds never breaks a caller) and the types have no
 * index signature: a field these types do not name is kept under `extra`, so a typo such as
 * `chat.titel` is a compile error.
 */

import type { SwitchboardError } from "../../core/errors.js";
import type { Extra } from "../../core/extra.js";
import type { ConnectionState } from "../../core/model.js";
import type { ScheduledEditedEvent, ScheduledFiredEvent } from "./scheduled-message.js";

export type { MaxScheduledMessage, ScheduledEditedEvent, ScheduledFiredEvent } from "./scheduled-message.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: unknown };

/**
 * An attach: `_type` plus the fields of that type (the ones a client sends and the ones the
 * server adds). Others are under `extra`; a received attach sent on again has them flattened back.
 */
export interface MaxAttach {
  _type: string;
  /** PHOTO */
  photoToken?: string;
  photoId?: number;
  baseUrl?: string;
  width?: number;
  height?: number;
  /** VIDEO / FILE / VOICE / AUDIO / STICKER / CONTACT */
  videoId?: number;
  fileId?: number;
  voiceId?: number;
  audioId?: number;
  stickerId?: number;
  contactId?: number;
  token?: string;
  name?: string;
  size?: number;
  duration?: number;
  url?: string;
  mime?: string;
  mimeType?: string;
  phone?: string;
  firstName?: string;
  lastName?: string;
  /** LOCATION (`latitude`/`longitude` in some clients' shapes) */
  lat?: number;
  lon?: number;
  latitude?: number;
  longitude?: number;
  /** POLL */
  question?: string;
  options?: { text: string }[];
  anonymous?: boolean;
  multipleChoice?: boolean;
  pollId?: number | string;
  answers?: unknown[];
  /** CONTROL */
  event?: string;
  chatType?: "CHAT" | "CHANNEL" | string;
  title?: string;
  userIds?: number[];
  userId?: number;
  extra?: Extra;
}

export interface MaxElement {
  type: string;
  from?: number;
  length?: number;
  entityId?: number;
  attributes?: Record<string, unknown>;
  url?: string;
  extra?: Extra;
}

export interface MaxLink {
  type: string;
  messageId?: string;
  messageIds?: string[];
  chatId?: number;
  message?: MaxMessage;
  extra?: Extra;
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
  stats?: unknown;
  extra?: Extra;
}

export interface MaxName {
  name: string;
  firstName?: string;
  lastName?: string;
  type: string;
  extra?: Extra;
}

export interface MaxUser {
  id: number;
  names: MaxName[];
  phone?: number;
  description?: string;
  baseUrl?: string;
  photoId?: number;
  link?: string;
  updateTime?: number;
  accountStatus?: number;
  options?: string[];
  /** The viewer's relation when it is not a plain contact: `BLOCKED`, `REMOVED`. */
  status?: string;
  extra?: Extra;
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
  created?: number;
  modified?: number;
  lastEventTime?: number;
  lastMessage?: MaxMessage;
  pinnedMessage?: MaxMessage;
  cid?: number;
  extra?: Extra;
}

export interface MaxProfile {
  contact: MaxUser;
  profileOptions?: number[];
  extra?: Extra;
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
  scheduledFired: ScheduledFiredEvent;
  scheduledEdited: ScheduledEditedEvent;
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

export function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

export function str(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  return undefined;
}

const MESSAGE_KEYS: ReadonlySet<string> = new Set([
  "id",
  "chatId",
  "time",
  "sender",
  "text",
  "type",
  "cid",
  "elements",
  "attaches",
  "link",
  "status",
  "updateTime",
  "reactionInfo",
  "stats",
]);
const LINK_KEYS: ReadonlySet<string> = new Set(["type", "messageId", "messageIds", "chatId", "message"]);
const ELEMENT_KEYS: ReadonlySet<string> = new Set([
  "type",
  "from",
  "length",
  "entityId",
  "attributes",
  "url",
]);
const ATTACH_KEYS: ReadonlySet<string> = new Set([
  "_type",
  "photoToken",
  "photoId",
  "baseUrl",
  "width",
  "height",
  "videoId",
  "fileId",
  "voiceId",
  "audioId",
  "stickerId",
  "contactId",
  "token",
  "name",
  "size",
  "duration",
  "url",
  "mime",
  "mimeType",
  "phone",
  "firstName",
  "lastName",
  "lat",
  "lon",
  "latitude",
  "longitude",
  "question",
  "options",
  "anonymous",
  "multipleChoice",
  "pollId",
  "answers",
  "event",
  "chatType",
  "title",
  "userIds",
  "userId",
]);
const CHAT_KEYS: ReadonlySet<string> = new Set([
  "id",
  "type",
  "status",
  "owner",
  "title",
  "description",
  "participants",
  "participantsCount",
  "admins",
  "link",
  "created",
  "modified",
  "lastEventTime",
  "lastMessage",
  "pinnedMessage",
  "cid",
]);
const USER_KEYS: ReadonlySet<string> = new Set([
  "id",
  "names",
  "phone",
  "description",
  "baseUrl",
  "photoId",
  "link",
  "updateTime",
  "accountStatus",
  "options",
  "status",
]);
const NAME_KEYS: ReadonlySet<string> = new Set(["name", "firstName", "lastName", "type"]);

/** The fields `known` names, copied, plus `extra` when there are others. For a fast path too. */
export function splitKnown(raw: JsonObject, known: ReadonlySet<string>): JsonObject {
  const out: JsonObject = {};
  let extra: Extra | undefined;
  for (const key in raw) {
    if (known.has(key)) out[key] = raw[key];
    else if (key !== "__proto__" && key !== "extra") {
      extra ??= {};
      extra[key] = raw[key];
    }
  }
  if (extra) out.extra = extra;
  return out;
}

/** True when `raw` has no field outside `known`: read as it is, it needs no `extra`. */
export function onlyKnownKeys(raw: JsonObject, known: ReadonlySet<string>): boolean {
  for (const key in raw) if (!known.has(key)) return false;
  return true;
}

/** Field names of the MAX types, for a fast path that must give what the normalisers give. */
export const MAX_KEYS = {
  message: MESSAGE_KEYS,
  link: LINK_KEYS,
  element: ELEMENT_KEYS,
  attach: ATTACH_KEYS,
  chat: CHAT_KEYS,
  user: USER_KEYS,
  name: NAME_KEYS,
} as const;

/** Reads a message object, lifting the `{chatId, message}` wrapper the 64 answer and 128 push use. */
export function toMaxMessage(raw: unknown, chatIdHint?: number): MaxMessage | undefined {
  if (!isObject(raw)) return undefined;
  const inner = isObject(raw.message) ? raw.message : raw;
  const id = str(inner.id);
  if (id === undefined) return undefined;
  const chatId = num(raw.chatId) ?? num(inner.chatId) ?? chatIdHint ?? 0;
  const link = isObject(inner.link) ? normaliseLink(inner.link) : undefined;
  const msg = {
    ...splitKnown(inner, MESSAGE_KEYS),
    id,
    chatId,
    time: num(inner.time) ?? 0,
    sender: num(inner.sender) ?? 0,
    text: typeof inner.text === "string" ? inner.text : "",
    type: typeof inner.type === "string" ? inner.type : "USER",
    elements: Array.isArray(inner.elements) ? inner.elements.filter(isElement).map(toElement) : [],
    attaches: Array.isArray(inner.attaches) ? inner.attaches.filter(isAttach).map(toAttach) : [],
  } as MaxMessage;
  if (link) msg.link = link;
  else delete msg.link;
  return msg;
}

function normaliseLink(raw: JsonObject): MaxLink {
  const link = {
    ...splitKnown(raw, LINK_KEYS),
    type: typeof raw.type === "string" ? raw.type : "REPLY",
  } as MaxLink;
  const messageId = str(raw.messageId);
  if (messageId !== undefined) link.messageId = messageId;
  if (Array.isArray(raw.messageIds)) link.messageIds = raw.messageIds.map(str).filter((s) => s !== undefined);
  const chatId = num(raw.chatId);
  if (chatId !== undefined) link.chatId = chatId;
  const nested = isObject(raw.message) ? toMaxMessage(raw.message, chatId) : undefined;
  if (nested) link.message = nested;
  else delete link.message;
  return link;
}

function isAttach(v: unknown): v is JsonObject & { _type: string } {
  return isObject(v) && typeof v._type === "string";
}

function isElement(v: unknown): v is JsonObject & { type: string } {
  return isObject(v) && typeof v.type === "string";
}

/** A received attach: known fields as they came, others under `extra`. */
function toAttach(raw: JsonObject & { _type: string }): MaxAttach {
  return splitKnown(raw, ATTACH_KEYS) as unknown as MaxAttach;
}

function toElement(raw: JsonObject & { type: string }): MaxElement {
  return splitKnown(raw, ELEMENT_KEYS) as unknown as MaxElement;
}

/**
 * An attach, element or link as the wire carries it: `extra` fields back at the top level. What
 * the client sends goes through this, so a received attach can be sent on as it is.
 */
export function toWire<T extends { extra?: Extra | undefined }>(value: T): JsonObject {
  const { extra, ...rest } = value;
  return extra ? { ...extra, ...rest } : rest;
}

export function toMaxChat(raw: unknown): MaxChat | undefined {
  if (!isObject(raw)) return undefined;
  const id = num(raw.id);
  if (id === undefined) return undefined;
  const chat = {
    ...splitKnown(raw, CHAT_KEYS),
    id,
    type: typeof raw.type === "string" ? raw.type : "CHAT",
  } as MaxChat;
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
    ? inner.names.filter((n): n is JsonObject & { name: string } => isObject(n) && typeof n.name === "string")
    : [];
  return {
    ...splitKnown(inner, USER_KEYS),
    id,
    names: names.map(
      (n) =>
        ({ ...splitKnown(n, NAME_KEYS), type: typeof n.type === "string" ? n.type : "ONEME" }) as MaxName,
    ),
  } as MaxUser;
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
