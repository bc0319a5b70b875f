/** MaxClient's options and the option bags of its calls (every one extends core's CallOptions). */
import type { CallOptions, ClientOptions } from "../../core/call.js";
import type { ReconnectOptions } from "../../core/rpc-ws.js";
import type { MaxSession } from "./session.js";
import type { MaxSocketTls } from "./socket-wire.js";
import type { MaxAttach, MaxElement, MaxLink, MaxProfile } from "./types.js";
import type { UploadProgress } from "./uploads.js";

export interface MaxClientOptions extends ClientOptions<MaxSession> {
  /**
   * WebSocket URL (default production `wss://ws-api.oneme.ru/websocket`); with
   * `transport: "socket"` a `tls://host:port` or `tcp://host:port` (default `tls://api.oneme.ru:443`).
   */
  url?: string;
  /**
   * `"socket"`: the mobile apps' transport (binary header + MessagePack, LZ4 above 4 KiB, over
   * TLS or TCP) instead of the web client's WebSocket (default `"websocket"`). Same API.
   */
  transport?: "websocket" | "socket";
  /** Socket transport: the device type of the hello (default ANDROID). */
  deviceType?: "ANDROID" | "IOS";
  /** Socket transport over TLS: a CA to trust (e.g. the sandbox's certificate), or no verification. */
  tls?: MaxSocketTls;
  /** Default per-request time limit (15 s). */
  timeoutMs?: number;
  /** Where token and deviceId live between runs, per `account` (default: in memory). */
  credentials?: NonNullable<ClientOptions<MaxSession>["credentials"]>;
  /** Origin header (default `https://web.max.ru`, which the service expects). */
  origin?: string;
  /** Login token to use instead of (and saved into) the stored one. */
  token?: string;
  /** Overrides fields of the hello (opcode 6) user agent. */
  userAgent?: Record<string, string>;
  /** Keepalive period (30 s, the seed's). */
  keepaliveIntervalMs?: number;
  /** Reconnect policy (backoff with jitter); `false` disables reconnecting. */
  reconnect?: boolean | ReconnectOptions;
  /** Socket open + hello + login + catch-up must finish within this (60 s). */
  connectTimeoutMs?: number;
  /** How long an upload waits for the server's "processed" notice, opcode 136 (60 s). */
  uploadTimeoutMs?: number;
  /** Split texts over 4000 chars into several messages instead of failing (default false). */
  splitLongText?: boolean;
  /** Catch-up after reconnects (default on): history page size and a per-chat cap. */
  catchUp?: boolean | { pageSize?: number; maxPerChat?: number };
  /** Bound of each `events()` iterator's buffer (default 10 000). */
  eventBuffer?: number;
}

/** The last argument of MaxClient calls: `{signal, timeoutMs}`. */
export type MaxCallOptions = CallOptions;

export type SignInResult =
  | { status: "ok"; profile: MaxProfile }
  | { status: "password"; hint: string; trackId: string };

export interface QrInfo {
  qrLink: string;
  trackId: string;
  expiresAt: number;
  pollingInterval: number;
}

export type QrLoginStep = { type: "qr"; qr: QrInfo } | { type: "done"; profile: MaxProfile };

export interface OutgoingMessage {
  text?: string;
  elements?: MaxElement[];
  attaches?: MaxAttach[];
  link?: MaxLink;
}

export interface MaxSendOptions extends CallOptions {
  /** Reply to this message id (sets `link: {type:"REPLY"}`). */
  replyTo?: string;
  notify?: boolean;
  /** Overrides the client's `splitLongText` for this call. */
  split?: boolean;
  /**
   * The message's client id (`cid`): the service answers a repeated cid with the message it
   * already has instead of sending it twice. Random when absent.
   */
  cid?: number;
}

export type MediaKind = "photo" | "video" | "voice" | "file";

export interface UploadOptions extends CallOptions {
  onProgress?: (progress: UploadProgress) => void;
  /** Wait for 136 this long (default: the client's `uploadTimeoutMs`). */
  processTimeoutMs?: number;
  /** Whole HTTP transfer limit. */
  transferTimeoutMs?: number;
  /** Voice duration in ms (sent with the attach). */
  durationMs?: number;
}

export interface SessionInfo {
  id: number;
  current: boolean;
  online?: boolean;
  deviceType?: string;
  client?: string;
  deviceName?: string;
  appVersion?: string;
  info?: string;
  location?: string;
  created?: number;
  lastActive?: number;
  /** Fields this type does not name, as the server sent them. */
  extra?: Record<string, unknown>;
}
