/** Conversions between MaxIM wire objects and the unified model (the MaxImAdapter is built on them). */
import type {
  AdapterCapabilities,
  Attachment,
  Chat,
  Event,
  Member,
  Message,
  Ref,
  Segment,
  User,
} from "../core/model.js";
import { ref } from "../core/model.js";
import {
  ContentType,
  type Group,
  type GroupMember,
  type MessageSendBody,
  type StoredMessage,
  TargetType,
} from "./protocol.js";

/**
 * What the MaxIM converters map to in the unified model. The server API has no event stream, so
 * events are derived from what the client reads (stored messages, recalls, online status, member
 * lists). The MaxImAdapter emits only what it can see by polling: see `maximCapabilities`.
 */
export const capabilities: AdapterCapabilities = {
  platform: "maxim",
  operations: { edit: false, delete: true, react: false, history: true },
  maxTextLength: 5000,
  segments: ["text", "mention", "link", "image", "audio", "video", "file", "location", "forward"],
  events: ["message.created", "message.deleted", "presence", "member.joined", "member.left", "chat.updated"],
};

/*
 * Our encoding of the fields the seed leaves open (strings of JSON, read leniently):
 * - media `attachment`: {url, dName (file name), fLen (bytes), width, height, duration (ms), mime};
 * - LOCATION `attachment`: {lat, lon, addr}; older messages with lat/lon in `content` still read;
 * - FORWARD `attachment`: {forward: {msg_ids: [..], chat_id?}};
 * - mentions in `config`: {mentionList: [user ids], mentionAll};
 * - a reply in `ext`: {reply_to: msg_id}.
 */

function json(raw: string | null | undefined): Record<string, unknown> {
  if (!raw) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

function attachmentOf(raw: string | null | undefined): Attachment {
  const a = json(raw);
  // A bare URL string (not JSON) is an attachment too.
  const url = str(a.url) ?? (raw && !raw.trimStart().startsWith("{") ? raw : undefined);
  const out: Attachment = {};
  if (url) out.url = url;
  const name = str(a.dName);
  if (name) out.name = name;
  const size = num(a.fLen);
  if (size !== undefined) out.size = size;
  const width = num(a.width);
  if (width !== undefined) out.width = width;
  const height = num(a.height);
  if (height !== undefined) out.height = height;
  const duration = num(a.duration);
  if (duration !== undefined) out.durationMs = duration;
  const mime = str(a.mime);
  if (mime) out.mimeType = mime;
  return out;
}

function attachmentJson(a: Attachment): string {
  return JSON.stringify({
    url: a.url,
    dName: a.name,
    fLen: a.size,
    width: a.width,
    height: a.height,
    duration: a.durationMs,
    mime: a.mimeType,
  });
}

export function toUser(
  account: string,
  u: {
    user_id: number;
    username?: string | null;
    nick_name?: string | null;
    name?: string | null;
    alias?: string | null;
    avatar?: string | null;
  },
): User {
  const name = u.alias || u.nick_name || u.name || u.username || String(u.user_id);
  const out: User = { ref: ref("maxim", account, u.user_id), name };
  if (u.username) out.username = u.username;
  if (u.avatar) out.avatarUrl = u.avatar;
  return out;
}

/** A group is a unified group chat. */
export function toChat(account: string, g: { group_id: number; name: string; count?: number | null }): Chat {
  const chat: Chat = { ref: ref("maxim", account, g.group_id), kind: "group", title: g.name };
  if (typeof g.count === "number") chat.memberCount = g.count;
  return chat;
}

/** A one-to-one conversation is keyed by the other user's id. */
export function toDirectChat(
  account: string,
  other: { user_id: number; nick_name?: string | null; username?: string | null },
): Chat {
  const title = other.nick_name || other.username || undefined;
  const chat: Chat = { ref: ref("maxim", account, other.user_id), kind: "direct" };
  if (title) chat.title = title;
  return chat;
}

export function toMember(
  account: string,
  groupId: number,
  m: GroupMember,
  ownerId?: number,
  admins: number[] = [],
): Member {
  const role = m.user_id === ownerId ? "owner" : admins.includes(m.user_id) ? "admin" : "member";
  return {
    user: toUser(account, { user_id: m.user_id, name: m.display_name }),
    chat: ref("maxim", account, groupId),
    role,
  };
}

function mediaSegment(ctype: string, attachment: Attachment): Segment | undefined {
  switch (ctype) {
    case "IMAGE":
      return { type: "image", attachment };
    case "AUDIO":
      return { type: "audio", attachment, voice: true };
    case "VIDEO":
      return { type: "video", attachment };
    case "FILE":
      return { type: "file", attachment };
    default:
      return undefined;
  }
}

/**
 * A stored message → unified Message. Group messages belong to the group; direct ones to the
 * other party (`self` is the account's user id). COMMAND messages read as their text.
 */
export function toMessage(account: string, self: number, m: StoredMessage, isGroup: boolean): Message {
  const chatId = isGroup ? m.to_xid.uid : m.from_xid.uid === self ? m.to_xid.uid : m.from_xid.uid;
  const r = (id: number | string) => ref("maxim", account, id);
  const content: Segment[] = [];
  const text = m.content ?? "";
  let forwarded: Ref[] | undefined;
  const media = mediaSegment(m.ctype, attachmentOf(m.attachment));
  if (media) {
    content.push(media);
    if (text) content.push({ type: "text", text });
  } else if (m.ctype === "LOCATION") {
    const a = json(m.attachment);
    const loc = num(a.lat) !== undefined ? a : json(m.content);
    const seg: Segment = { type: "location", lat: num(loc.lat) ?? 0, lon: num(loc.lon) ?? 0 };
    const title = str(loc.addr);
    if (title) seg.title = title;
    content.push(seg);
  } else if (m.ctype === "FORWARD") {
    const fwd = json(m.attachment).forward as { msg_ids?: unknown; chat_id?: unknown } | undefined;
    const ids = Array.isArray(fwd?.msg_ids)
      ? fwd.msg_ids.filter((x) => typeof x === "number" || typeof x === "string")
      : [];
    forwarded = ids.map((x) => r(x));
    const seg: Segment = { type: "forward", from: forwarded };
    if (typeof fwd?.chat_id === "number") seg.chat = r(fwd.chat_id);
    content.push(seg);
    if (text) content.push({ type: "text", text });
  } else {
    const cfg = json(m.config);
    const mentions = Array.isArray(cfg.mentionList)
      ? cfg.mentionList.filter((x) => typeof x === "number")
      : [];
    for (const id of mentions) content.push({ type: "mention", user: r(id) });
    content.push({ type: "text", text });
  }
  const out: Message = {
    ref: r(m.msg_id),
    chat: r(chatId),
    author: r(m.from_xid.uid),
    time: m.timestamp,
    content,
  };
  if (forwarded) out.forwarded = forwarded;
  // Our encoding of a reply (the seed has none): `ext` {reply_to: msg_id}.
  const replyTo = num(json(m.ext).reply_to);
  if (replyTo !== undefined) out.replyTo = r(replyTo);
  return out;
}

export interface SegmentOptions {
  /** Send as COMMAND (6): a pass-through message clients don't display. */
  command?: boolean;
}

/**
 * Unified segments → a `/message/send` body. One media, location or forward segment decides the
 * content_type (the first wins); text and links become `content`, mentions go to `config`.
 */
export function fromSegments(
  target: { id: number; group: boolean },
  segments: Segment[],
  options: SegmentOptions = {},
): MessageSendBody {
  const text = segments
    .flatMap((s) =>
      s.type === "text"
        ? [s.text]
        : s.type === "link"
          ? [s.text ? `${s.text} ${s.url}` : s.url]
          : s.type === "mention" && s.text
            ? [s.text]
            : [],
    )
    .join("");
  const base: MessageSendBody = {
    targets: [target.id],
    type: target.group ? TargetType.GROUP : TargetType.USER,
    content_type: ContentType.TEXT,
    content: text,
  };
  const mentions = segments.flatMap((s) => (s.type === "mention" ? [Number(s.user.id)] : []));
  if (mentions.length) base.config = JSON.stringify({ mentionList: mentions, mentionAll: false });
  if (options.command) return { ...base, content_type: ContentType.COMMAND };
  const media: Record<string, number> = {
    image: ContentType.IMAGE,
    audio: ContentType.AUDIO,
    video: ContentType.VIDEO,
    file: ContentType.FILE,
  };
  for (const s of segments) {
    if (
      (s.type === "image" || s.type === "audio" || s.type === "video" || s.type === "file") &&
      s.attachment.url
    ) {
      return { ...base, content_type: media[s.type] as number, attachment: attachmentJson(s.attachment) };
    }
    if (s.type === "location") {
      const attachment = JSON.stringify({ lat: s.lat, lon: s.lon, addr: s.title });
      return { ...base, content_type: ContentType.LOCATION, content: s.title ?? text, attachment };
    }
    if (s.type === "forward") {
      const forward: Record<string, unknown> = { msg_ids: s.from.map((x) => Number(x.id)) };
      if (s.chat) forward.chat_id = Number(s.chat.id);
      return { ...base, content_type: ContentType.FORWARD, attachment: JSON.stringify({ forward }) };
    }
  }
  return base;
}

// ---------------------------------------------------------------- events

/** A message read from a conversation (or the unread list) that the caller had not seen yet. */
export function messageEvent(account: string, self: number, m: StoredMessage, isGroup: boolean): Event {
  return { type: "message.created", message: toMessage(account, self, m, isGroup) };
}

/** A recall (`/message/recall`) of `msgId` in `conversationId`. */
export function recallEvent(account: string, conversationId: number, msgId: number): Event {
  return {
    type: "message.deleted",
    chat: ref("maxim", account, conversationId),
    message: ref("maxim", account, msgId),
  };
}

/** `/user/online_status` of a user. */
export function presenceEvent(account: string, userId: number, status: { online: boolean }): Event {
  return { type: "presence", user: ref("maxim", account, userId), online: status.online };
}

/** Joins and leaves between two reads of a group's member list. */
export function memberEvents(
  account: string,
  groupId: number,
  before: readonly { user_id: number }[],
  after: readonly { user_id: number }[],
): Event[] {
  const chat = ref("maxim", account, groupId);
  const was = new Set(before.map((m) => m.user_id));
  const is = new Set(after.map((m) => m.user_id));
  const events: Event[] = [];
  for (const id of is)
    if (!was.has(id)) events.push({ type: "member.joined", chat, user: ref("maxim", account, id) });
  for (const id of was)
    if (!is.has(id)) events.push({ type: "member.left", chat, user: ref("maxim", account, id) });
  return events;
}

/** A group whose info changed (`updated_at` moved on). */
export function chatUpdatedEvent(account: string, g: Pick<Group, "group_id" | "name" | "count">): Event {
  return { type: "chat.updated", chat: toChat(account, g) };
}
