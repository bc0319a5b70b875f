/**
 * The unified model: plain JSON-friendly types every adapter converts to and from.
 * Ids are always namespaced: a bare platform id is never assumed unique across
 * platforms or accounts.
 */
export type PlatformName = "max" | "maxim" | "webqq" | "vklive" | "maxbot";

export interface Ref {
  platform: PlatformName;
  /** The account (our logged-in identity) through which this object was seen. */
  account: string;
  id: string;
}

export function ref(platform: PlatformName, account: string, id: string | number): Ref {
  return { platform, account, id: String(id) };
}

export function refKey(r: Ref): string {
  return `${r.platform}:${r.account}:${r.id}`;
}

export function sameRef(a: Ref, b: Ref): boolean {
  return a.platform === b.platform && a.account === b.account && a.id === b.id;
}

export interface User {
  ref: Ref;
  name: string;
  username?: string;
  avatarUrl?: string;
  isBot?: boolean;
}

export type ChatKind = "direct" | "group" | "channel" | "stream-chat";

export interface Chat {
  ref: Ref;
  kind: ChatKind;
  title?: string;
  memberCount?: number;
}

export type Role = "owner" | "admin" | "moderator" | "member" | "guest";

export interface Member {
  user: User;
  chat: Ref;
  role: Role;
}

export interface Attachment {
  /** Platform token or id that lets the platform find the bytes again. */
  id?: string;
  url?: string;
  name?: string;
  mimeType?: string;
  size?: number;
  width?: number;
  height?: number;
  durationMs?: number;
}

export type Segment =
  | { type: "text"; text: string; bold?: boolean; italic?: boolean; code?: boolean }
  | { type: "mention"; user: Ref; text?: string }
  | { type: "link"; url: string; text?: string }
  | { type: "emoji"; id: string; name?: string; url?: string; animated?: boolean }
  | { type: "image"; attachment: Attachment }
  | { type: "video"; attachment: Attachment }
  | { type: "audio"; attachment: Attachment; voice?: boolean }
  | { type: "file"; attachment: Attachment }
  | { type: "sticker"; id: string; url?: string }
  | { type: "location"; lat: number; lon: number; title?: string }
  | { type: "contact"; user?: Ref; name?: string; phone?: string }
  | { type: "poll"; question: string; options: string[]; anonymous?: boolean; multiple?: boolean }
  | { type: "reply"; to: Ref }
  | { type: "forward"; from: Ref[]; chat?: Ref };

export type SegmentType = Segment["type"];

export interface Message {
  ref: Ref;
  chat: Ref;
  author: Ref;
  /** Milliseconds since the epoch. */
  time: number;
  content: Segment[];
  replyTo?: Ref;
  forwarded?: Ref[];
  edited?: boolean;
  deleted?: boolean;
}

export type ConnectionState = "connecting" | "connected" | "reconnecting" | "disconnected" | "closed";

export type Event =
  | { type: "message.created"; message: Message }
  | { type: "message.edited"; message: Message }
  | { type: "message.deleted"; chat: Ref; message: Ref }
  | { type: "reaction"; chat: Ref; message: Ref; user?: Ref; reaction: string; added: boolean }
  | { type: "typing"; chat: Ref; user: Ref }
  | { type: "presence"; user: Ref; online: boolean; lastSeen?: number }
  | { type: "member.joined"; chat: Ref; user: Ref }
  | { type: "member.left"; chat: Ref; user: Ref }
  | { type: "chat.updated"; chat: Chat }
  | { type: "connection.state"; state: ConnectionState; reason?: string };

export type EventType = Event["type"];

/** Adapter operations a platform may lack (send, getChat and getUser always exist). */
export interface AdapterOperations {
  edit: boolean;
  delete: boolean;
  react: boolean;
  history: boolean;
}

/** What an adapter declares about its platform, so callers can feature-detect. */
export interface AdapterCapabilities {
  platform: PlatformName;
  segments: readonly SegmentType[];
  events: readonly EventType[];
  operations: AdapterOperations;
  /** Longest text one message may carry (longer texts are split into several messages). */
  maxTextLength: number;
}
