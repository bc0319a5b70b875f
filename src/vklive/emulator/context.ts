import { createHash, randomBytes } from "node:crypto";
import type { Statement } from "better-sqlite3";
import type { Logger } from "../../core/log.js";
import type { Database } from "../../core/storage.js";
import {
  type ChatMessage,
  type ChatSettings,
  ERROR_DESCRIPTION,
  type ErrorCode,
  EVENT_CHANNEL,
  type EventDataMap,
  type EventType,
  type Part,
  type Scope,
  type StreamInfo,
  type UserShort,
  wsChannelNames,
} from "../protocol/index.js";
import { SQL, type VkLiveSql } from "./store/sql.js";

/** An answer in the platform's error shape: HTTP status + `{error, error_description}`. */
export class VkFault extends Error {
  constructor(
    readonly error: ErrorCode,
    readonly description?: string,
    readonly retryAfterSec?: number,
  ) {
    super(description ?? ERROR_DESCRIPTION[error]);
  }
}

export function fail(error: ErrorCode, description?: string): never {
  throw new VkFault(error, description);
}

export const hashSecret = (s: string) => createHash("sha256").update(s).digest("hex");
export const newToken = (bytes = 32) => randomBytes(bytes).toString("base64url");

export interface EmulatorConfig {
  /** Access token lifetime (s), default 3600. */
  tokenTtlSec: number;
  /** Refresh token lifetime (s), default 30 days. */
  refreshTtlSec: number;
  /** Authorization code lifetime (s), default 600. */
  codeTtlSec: number;
  /** Requests per token per window before 429 (default 600 per 60 s). */
  rateLimit: { requests: number; windowMs: number };
  /** Centrifugo server ping interval (s), default 25. */
  pingIntervalSec: number;
  /** Webhook retries after the first attempt, and their base delay. */
  webhookRetries: number;
  webhookRetryBaseMs: number;
}

export const DEFAULT_CONFIG: EmulatorConfig = {
  tokenTtlSec: 3600,
  refreshTtlSec: 30 * 24 * 3600,
  codeTtlSec: 600,
  rateLimit: { requests: 600, windowMs: 60_000 },
  pingIntervalSec: 25,
  webhookRetries: 4,
  webhookRetryBaseMs: 500,
};

export interface FaultRule {
  error: ErrorCode;
  path?: string;
  remaining: number;
}

export interface Publisher {
  publish(channel: string, data: unknown): void;
}

export interface WebhookSink {
  deliver(ownerId: number, type: string, data: unknown): void;
}

/** What a verified request acts as. */
export interface Principal {
  clientId: string;
  /** Null for app tokens and Basic (secret) auth. */
  userId: number | null;
  scopes: Set<Scope>;
  kind: "user" | "app" | "basic";
  /** Hash of the bearer token (rate-limit key); the client id for Basic. */
  key: string;
  expiresAt: number | null;
}

export interface Stats {
  tokenRequests: Record<string, number>;
}

export interface Emu {
  db: Database;
  log: Logger;
  now(): number;
  /** A prepared statement (made once) of the store's named SQL: `emu.q(SQL.selectUserById)`. */
  q(sql: VkLiveSql): Statement;
  config: EmulatorConfig;
  jwtSecret: string;
  faults: FaultRule[];
  stats: Stats;
  hub: Publisher;
  webhooks: WebhookSink;
  /** Runs `fn` once the current transaction commits (pushes and network sends). */
  defer(fn: () => void): void;
}

// ---------- rows ----------

export interface UserRow {
  id: number;
  nick: string;
  nick_color: number;
  avatar_url: string;
  created_at: number;
}

export interface ChannelRow {
  id: number;
  url: string;
  owner_id: number;
  status: string;
  stream_title: string;
  category: string | null;
  planned_at: number | null;
  stream_key: string;
  chat_settings: string;
  created_at: number;
}

export interface StreamRow {
  id: string;
  channel_id: number;
  title: string;
  category: string | null;
  started_at: number;
  ended_at: number | null;
  viewers: number;
}

export interface MessageRow {
  id: number;
  channel_id: number;
  stream_id: string | null;
  author_id: number;
  parts: string;
  text: string;
  deleted: number;
  created_at: number;
}

export const DEFAULT_CHAT_SETTINGS: ChatSettings = {
  allow_access: "all",
  allow_access_after: 0,
  any_message_timeout: 0,
  follow_alert: true,
  mode: { general: { is_caps_prohibited: false, is_links_prohibited: false, is_ru_en_numbers: false } },
  same_message_timeout: 0,
  subscription_alert: true,
};

export const sec = (ms: number) => Math.floor(ms / 1000);

export function getUser(emu: Emu, id: number): UserRow | undefined {
  return emu.q(SQL.selectUserById).get(id) as UserRow | undefined;
}

export function channelByUrl(emu: Emu, url: string): ChannelRow {
  const row = emu.q(SQL.selectChannelByUrl).get(url) as ChannelRow | undefined;
  if (!row) fail("channel_not_found");
  if (row.status === "banned") fail("channel_banned");
  return row;
}

export function isModerator(emu: Emu, channelId: number, userId: number): boolean {
  return emu.q(SQL.isModerator).get(channelId, userId) !== undefined;
}

export function userShort(emu: Emu, user: UserRow, channel?: ChannelRow): UserShort {
  const out: UserShort = {
    id: user.id,
    nick: user.nick,
    nick_color: user.nick_color,
    avatar_url: user.avatar_url,
  };
  if (channel) {
    out.is_owner = channel.owner_id === user.id;
    out.is_moderator = isModerator(emu, channel.id, user.id);
    out.badges = [];
    out.roles = [];
  }
  return out;
}

export function chatSettings(channel: ChannelRow): ChatSettings {
  const stored = JSON.parse(channel.chat_settings) as Partial<ChatSettings>;
  const general = { ...DEFAULT_CHAT_SETTINGS.mode?.general, ...stored.mode?.general };
  return {
    ...DEFAULT_CHAT_SETTINGS,
    ...stored,
    mode: { ...DEFAULT_CHAT_SETTINGS.mode, ...stored.mode, general },
  };
}

export function liveStream(emu: Emu, channelId: number): StreamRow | undefined {
  return emu.q(SQL.selectLiveStream).get(channelId) as StreamRow | undefined;
}

export function streamInfo(row: StreamRow): StreamInfo {
  const out: StreamInfo = {
    id: row.id,
    title: row.title,
    status: row.ended_at === null ? "online" : "offline",
    started_at: sec(row.started_at),
    counters: { viewers: row.ended_at === null ? row.viewers : 0, views: row.viewers },
  };
  if (row.ended_at !== null) out.ended_at = sec(row.ended_at);
  if (row.category) out.category = JSON.parse(row.category);
  return out;
}

export function chatMessage(emu: Emu, row: MessageRow, channel: ChannelRow): ChatMessage {
  const author = getUser(emu, row.author_id);
  const parts = JSON.parse(row.parts) as Part[];
  return {
    id: row.id,
    created_at: sec(row.created_at),
    is_private: false,
    author: author
      ? userShort(emu, author, channel)
      : { id: row.author_id, nick: "deleted", nick_color: 0, avatar_url: "" },
    parts,
  };
}

/** Publishes an event on its ws channel and queues the webhook to apps the owner linked. */
export function emitEvent<K extends EventType>(
  emu: Emu,
  channel: ChannelRow,
  type: K,
  data: EventDataMap[K],
): void {
  const names = wsChannelNames(channel.id);
  const name = names[EVENT_CHANNEL[type]];
  emu.defer(() => emu.hub.publish(name, { type, data }));
  emu.webhooks.deliver(channel.owner_id, type, data);
}
