/**
 * MAX user-API client (`import { MaxClient } from "switchboard/max"`).
 *
 * Built on the generic RPC WebSocket (src/core/rpc-ws.ts) with the MAX codec. What it adds:
 * hello + login by token on every socket, history catch-up after a reconnect (missed
 * messages delivered once, in order per chat), typed methods per opcode, typed events, uploads.
 * A revoked session ends in an AuthError and no reconnect loop.
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { sleep } from "../core/backoff.js";
import {
  ApiError,
  AuthError,
  type SwitchboardError,
  TimeoutError,
  TransportError,
  ValidationError,
} from "../core/errors.js";
import { type Logger, silentLogger } from "../core/log.js";
import {
  type CallOptions,
  type CloseInfo,
  type OpenContext,
  type ReconnectOptions,
  RpcWebSocket,
  type StateChange,
} from "../core/rpc-ws.js";
import { ChatTracker, splitText } from "./client/catch-up.js";
import { type MaxPush, maxCodec } from "./client/codec.js";
import { type MaxSession, MemorySessionStore, type SessionStore } from "./client/session-store.js";
import {
  isObject,
  listOf,
  type MaxAttach,
  type MaxChat,
  type MaxElement,
  type MaxEvent,
  type MaxEventMap,
  type MaxEventName,
  type MaxLink,
  type MaxMessage,
  type MaxProfile,
  type MaxUser,
  parsePush,
  toMaxChat,
  toMaxMessage,
  toMaxUser,
} from "./client/types.js";
import {
  download,
  type HttpOptions,
  postMultipart,
  type UploadProgress,
  type UploadSource,
} from "./client/uploads.js";
import { DEFAULT_URL, LIMITS, Opcode, RequestSchemas, WEB_ORIGIN } from "./protocol.js";

export interface MaxClientOptions {
  /** WebSocket URL (default production `wss://ws-api.oneme.ru/websocket`). */
  url?: string;
  /** Origin header (default `https://web.max.ru`, which the service expects). */
  origin?: string;
  /** Name of the stored session to use (default `"default"`). */
  account?: string;
  /** Where token and deviceId live between runs (default: in memory). */
  sessionStore?: SessionStore;
  /** Login token to use instead of (and saved into) the stored one. */
  token?: string;
  /** Overrides fields of the hello (opcode 6) user agent. */
  userAgent?: Record<string, string>;
  /** Default per-request time limit (15 s). */
  requestTimeoutMs?: number;
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
  logger?: Logger;
}

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

export interface RequestOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface OutgoingMessage {
  text?: string;
  elements?: MaxElement[];
  attaches?: MaxAttach[];
  link?: MaxLink;
}

export interface SendOptions extends RequestOptions {
  /** Reply to this message id (sets `link: {type:"REPLY"}`). */
  replyTo?: string;
  notify?: boolean;
  /** Overrides the client's `splitLongText` for this call. */
  split?: boolean;
}

export type MediaKind = "photo" | "video" | "voice" | "file";

export interface UploadOptions extends RequestOptions {
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
  [key: string]: unknown;
}

type Listener<K extends MaxEventName> = (data: MaxEventMap[K]) => void;

const DEFAULT_USER_AGENT = {
  deviceType: "WEB",
  locale: "ru_RU",
  deviceLocale: "ru-RU",
  osVersion: "Linux",
  deviceName: "Switchboard",
  headerUserAgent:
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0 Safari/537.36",
  appVersion: "25.11.2",
  screen: "1920x1080 1.0x",
  timezone: "Europe/Moscow",
};

const UPLOAD_OPCODE = {
  photo: Opcode.PHOTO_UPLOAD_URL,
  video: Opcode.VIDEO_UPLOAD_URL,
  voice: Opcode.VOICE_UPLOAD_URL,
  file: Opcode.FILE_UPLOAD_URL,
} as const satisfies Record<MediaKind, keyof typeof RequestSchemas>;
const UPLOAD_TYPE: Record<MediaKind, string> = {
  photo: "PHOTO",
  video: "VIDEO",
  voice: "VOICE",
  file: "FILE",
};

function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

function compareIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function byTimeThenId(a: MaxMessage, b: MaxMessage): number {
  return a.time - b.time || compareIds(a.id, b.id);
}

/** A fresh client-side message id, as web clients make them. */
function newCid(): number {
  return Date.now() * 1000 + Math.floor(Math.random() * 1000);
}

export class MaxClient {
  readonly account: string;
  readonly url: string;
  /** Profile of the logged-in user (set after any successful login). */
  profile: MaxProfile | undefined;
  /** Contacts from the last login-by-token answer. */
  contacts: MaxUser[] = [];

  private readonly o: MaxClientOptions;
  private readonly log: Logger;
  private readonly store: SessionStore;
  private readonly transport: RpcWebSocket<number, MaxPush>;
  private readonly listeners = new Map<MaxEventName, Set<(data: unknown) => void>>();
  private readonly tracker = new ChatTracker();
  /** Uploads waiting for their 136 push, by `kind:id`. */
  private readonly uploadWaiters = new Map<
    string,
    { resolve: (data: MaxEventMap["uploadComplete"]) => void; reject: (err: Error) => void }
  >();
  private readonly lastPresence = new Map<number, string>();
  private readonly iterators = new Set<() => void>();
  private session: MaxSession | undefined;
  private sessionLoading: Promise<void> | undefined;
  private authToken: string | undefined;
  private passwordTrack: string | undefined;
  private authPhone: string | undefined;
  private online = false;
  private everOnline = false;
  /** Server time of the last login: chats first seen after a reconnect are caught up from here. */
  private onlineSince = 0;
  private buffer: MaxPush[] | undefined;
  private fatal: SwitchboardError | undefined;
  private closed = false;
  private loggingOut = false;

  constructor(options: MaxClientOptions = {}) {
    this.o = options;
    this.account = options.account ?? "default";
    this.url = options.url ?? DEFAULT_URL;
    this.log = options.logger ?? silentLogger;
    this.store = options.sessionStore ?? new MemorySessionStore();
    this.transport = new RpcWebSocket<number, MaxPush>({
      url: this.url,
      headers: { Origin: options.origin ?? WEB_ORIGIN, "User-Agent": DEFAULT_USER_AGENT.headerUserAgent },
      codec: maxCodec,
      platform: "max",
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 60_000,
      keepalive: {
        intervalMs: options.keepaliveIntervalMs ?? LIMITS.keepaliveIntervalMs,
        make: () => ({ method: Opcode.KEEPALIVE, payload: { interactive: false } }),
      },
      reconnect: options.reconnect ?? { baseMs: 250, maxMs: 15_000 },
      maxPayload: LIMITS.frameBytes * 4,
      onOpen: (ctx) => this.onOpen(ctx),
      onClose: (info) => this.classifyClose(info),
      logger: this.log,
    });
    this.transport.on("event", (push) => this.onPush(push));
    this.transport.on("state", (change) => this.onState(change));
  }

  // ── connection ────────────────────────────────────────────────────────────

  /** Connection state of the underlying socket. */
  get state(): StateChange["state"] {
    return this.transport.state;
  }

  /** True once a login succeeded on the current session (and until it is revoked). */
  get loggedIn(): boolean {
    return this.online;
  }

  /** The logged-in user's id. */
  get userId(): number | undefined {
    return this.profile?.contact.id;
  }

  /**
   * Opens the connection: hello, and login by token when a session is stored (or `token` was
   * given). Resolves with whether the client is logged in; rejects with AuthError when the
   * stored token is no longer valid.
   */
  async connect(options: { signal?: AbortSignal } = {}): Promise<{ loggedIn: boolean }> {
    if (this.fatal) throw this.fatal;
    if (this.closed) throw this.closedError();
    await this.loadSession();
    await this.transport.connect(options.signal);
    return { loggedIn: this.online };
  }

  /** Closes the socket for good: pending requests fail, iterators end. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.online = false;
    await this.transport.close(1000, "client closed");
    this.endIterators();
  }

  private async loadSession(): Promise<void> {
    this.sessionLoading ??= (async () => {
      const stored = await this.store.load(this.account);
      this.session = stored ?? { deviceId: randomUUID() };
      if (this.o.token) this.session.token = this.o.token;
    })();
    return this.sessionLoading;
  }

  private helloPayload(): Record<string, unknown> {
    return {
      userAgent: { ...DEFAULT_USER_AGENT, ...this.o.userAgent },
      deviceId: this.session?.deviceId ?? randomUUID(),
    };
  }

  private async onOpen(ctx: OpenContext<number>): Promise<void> {
    this.online = false;
    // Pushes that arrive while we log in and catch up wait, so history comes out first.
    this.buffer = [];
    let ok = false;
    try {
      await ctx.request(Opcode.HELLO, this.helloPayload());
      const token = this.session?.token;
      if (token) {
        const catchUp = this.everOnline && this.o.catchUp !== false;
        const previousSince = this.onlineSince;
        const answer = await ctx.request(Opcode.LOGIN_BY_TOKEN, {
          interactive: true,
          token,
          chatsCount: 100,
          chatsSync: 0,
          contactsSync: 0,
          presenceSync: 0,
          draftsSync: 0,
        });
        const chats = this.afterTokenLogin(answer, !catchUp);
        if (catchUp) await this.catchUp(ctx, chats, previousSince);
      }
      ok = true;
    } finally {
      const pending = this.buffer ?? [];
      this.buffer = undefined;
      for (const push of pending) {
        // After a failed catch-up, buffered messages are fetched again by the next one;
        // delivering them now would skip the gap before them.
        if (!ok && push.opcode === Opcode.NEW_MESSAGE) continue;
        this.dispatchPush(push);
      }
    }
  }

  private classifyClose(info: CloseInfo): "reconnect" | "stop" | undefined {
    if (this.loggingOut || this.closed) return "stop";
    if (info.error instanceof AuthError) return "stop";
    return undefined;
  }

  private onState(change: StateChange): void {
    if (change.state !== "connected") this.online = false;
    const event: MaxEventMap["state"] = { state: change.state };
    if (change.error) {
      event.reason = change.error.message;
      if (
        change.error instanceof ApiError ||
        change.error instanceof AuthError ||
        change.error instanceof TransportError
      ) {
        event.error = change.error;
      }
    }
    this.emit("state", event);
    if (change.state === "disconnected" && change.error instanceof AuthError && !this.loggingOut) {
      void this.onRevoked(change.error);
    }
  }

  /** The token no longer works (revoked, terminated elsewhere): forget it and stop for good. */
  private async onRevoked(error: AuthError): Promise<void> {
    if (this.fatal) return;
    this.fatal = error;
    this.log.warn({ account: this.account, code: error.code }, "MAX session revoked; log in again");
    this.emit("error", error);
    this.rejectUploadWaiters(error);
    if (this.session?.token) {
      this.session = { ...this.session, token: undefined };
      await this.store.save(this.account, this.session).catch(() => undefined);
    }
    this.closed = true;
    await this.transport.close(1000, "session revoked").catch(() => undefined);
    this.endIterators();
  }

  private closedError(): TransportError {
    return new TransportError("MAX client is closed", { platform: "max", code: "closed", retryable: false });
  }

  // ── requests ──────────────────────────────────────────────────────────────

  /**
   * Raw escape hatch: sends any opcode with any payload and resolves with the answer payload.
   * Errors: ApiError / AuthError / RateLimitError (server said no), TimeoutError,
   * TransportError (connection dropped while waiting), AbortError.
   */
  async invoke<T = unknown>(opcode: number, payload: unknown = {}, options: RequestOptions = {}): Promise<T> {
    if (this.fatal) throw this.fatal;
    if (this.closed) throw this.closedError();
    if (this.transport.state === "disconnected")
      await this.connect(options.signal ? { signal: options.signal } : {});
    const call: CallOptions = {};
    if (options.timeoutMs !== undefined) call.timeoutMs = options.timeoutMs;
    if (options.signal) call.signal = options.signal;
    this.log.debug({ opcode }, "MAX request");
    return (await this.transport.request(opcode, payload, call)) as T;
  }

  /** Validates against the wire schema first (ValidationError names fields, never values). */
  private async call(
    opcode: keyof typeof RequestSchemas,
    payload: Record<string, unknown>,
    options: RequestOptions = {},
  ) {
    const schema = RequestSchemas[opcode] as z.ZodType;
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "payload"}: ${i.message}`);
      throw new ValidationError(`invalid request for opcode ${opcode}: ${issues.join("; ")}`, {
        platform: "max",
        code: "validation",
        issues,
        details: { opcode },
      });
    }
    const answer = await this.invoke(opcode, payload, options);
    return isObject(answer) ? answer : {};
  }

  // ── auth ──────────────────────────────────────────────────────────────────

  /** Step 1 of SMS login (17): the service texts a code to `phone`. */
  async requestCode(
    phone: string,
    options: RequestOptions & { resend?: boolean } = {},
  ): Promise<{ codeLength: number }> {
    const answer = await this.call(
      Opcode.START_AUTH,
      { phone, type: options.resend ? "RESEND" : "START_AUTH", language: "ru" },
      options,
    );
    if (typeof answer.token !== "string") {
      throw new ApiError("START_AUTH answer had no token", { platform: "max", code: "bad_answer" });
    }
    this.authToken = answer.token;
    this.authPhone = phone;
    return { codeLength: num(answer.codeLength) ?? 6 };
  }

  /** Step 2 (18): the SMS code. With 2FA on, answers `{status:"password"}`: call checkPassword. */
  async signIn(code: string, options: RequestOptions = {}): Promise<SignInResult> {
    if (!this.authToken)
      throw new ValidationError("call requestCode(phone) before signIn(code)", { platform: "max" });
    const answer = await this.call(
      Opcode.VERIFY_CODE,
      { token: this.authToken, verifyCode: String(code), authTokenType: "CHECK_CODE" },
      options,
    );
    const challenge = isObject(answer.passwordChallenge) ? answer.passwordChallenge : undefined;
    if (challenge && typeof challenge.trackId === "string") {
      this.passwordTrack = challenge.trackId;
      return {
        status: "password",
        hint: typeof challenge.hint === "string" ? challenge.hint : "",
        trackId: challenge.trackId,
      };
    }
    return { status: "ok", profile: await this.afterAuth(answer) };
  }

  /** Step 3 with 2FA (115 `{trackId, password}`). */
  async checkPassword(password: string, options: RequestOptions = {}): Promise<MaxProfile> {
    if (!this.passwordTrack) {
      throw new ValidationError("no password challenge pending: call signIn(code) first", {
        platform: "max",
      });
    }
    const answer = await this.call(Opcode.CHECK_PASSWORD, { trackId: this.passwordTrack, password }, options);
    this.passwordTrack = undefined;
    return this.afterAuth(answer);
  }

  /**
   * QR login (288 → poll 289 → 291). Yields the QR link to show, then the profile once a
   * logged-in device confirmed it. Throws ApiError `qr.expired` when nobody did in time.
   */
  async *qrLogin(
    options: RequestOptions & { seedOpcode?: boolean } = {},
  ): AsyncGenerator<QrLoginStep, void, void> {
    // The seed names 20 QR_LOGIN for the start; web clients use 288. Both answer the same.
    const started = await this.call(options.seedOpcode ? Opcode.QR_LOGIN : Opcode.QR_START, {}, options);
    const qr: QrInfo = {
      qrLink: String(started.qrLink ?? ""),
      trackId: String(started.trackId ?? ""),
      expiresAt: num(started.expiresAt) ?? Date.now() + 120_000,
      pollingInterval: Math.max(100, num(started.pollingInterval) ?? 1000),
    };
    yield { type: "qr", qr };
    for (;;) {
      await sleep(qr.pollingInterval, options.signal, "max");
      const status = await this.call(Opcode.QR_POLL, { trackId: qr.trackId }, options);
      const s = isObject(status.status) ? status.status : status;
      if (s.loginAvailable === true) break;
      if (Date.now() > qr.expiresAt) {
        throw new ApiError("QR login expired before it was confirmed", {
          platform: "max",
          code: "qr.expired",
        });
      }
    }
    const answer = await this.call(Opcode.QR_FINISH, { trackId: qr.trackId }, options);
    yield { type: "done", profile: await this.afterAuth(answer) };
  }

  /** QR login with a callback for the link; resolves with the profile. */
  async loginWithQr(onQr: (qr: QrInfo) => void, options: RequestOptions = {}): Promise<MaxProfile> {
    for await (const step of this.qrLogin(options)) {
      if (step.type === "qr") onQr(step.qr);
      else return step.profile;
    }
    throw new ApiError("QR login ended without a login", { platform: "max", code: "qr.incomplete" });
  }

  /** Confirms another device's QR login from this logged-in one (290; the seed's 21 QR_CONFIRM with `seedOpcode`). */
  async approveQr(qrLink: string, options: RequestOptions & { seedOpcode?: boolean } = {}): Promise<void> {
    await this.call(options.seedOpcode ? Opcode.QR_CONFIRM : Opcode.QR_APPROVE, { qrLink }, options);
  }

  /** Logs in with a saved token (19) and stores it for this account. */
  async loginByToken(token: string, options: RequestOptions = {}): Promise<MaxProfile> {
    await this.loadSession();
    this.session = { ...(this.session ?? { deviceId: randomUUID() }), token };
    if (this.transport.state !== "connected") {
      await this.connect(options.signal ? { signal: options.signal } : {});
    } else {
      const answer = await this.call(
        Opcode.LOGIN_BY_TOKEN,
        { interactive: true, token, chatsCount: 100, chatsSync: 0, contactsSync: 0 },
        options,
      );
      this.afterTokenLogin(answer, true);
    }
    await this.store.save(this.account, this.session);
    if (!this.profile)
      throw new AuthError("login by token gave no profile", { platform: "max", code: "login.token" });
    return this.profile;
  }

  /** Ends this session on the server, forgets the token and closes the client. */
  async logout(options: RequestOptions = {}): Promise<void> {
    if (this.online) {
      this.loggingOut = true;
      try {
        const sessions = await this.sessions(options);
        const current = sessions.find((s) => s.current);
        if (current)
          await this.call(Opcode.SESSIONS, { action: "TERMINATE", sessionId: current.id }, options);
      } catch (err) {
        this.log.warn({ err }, "logout: could not end the session on the server");
      }
    }
    await this.loadSession();
    if (this.session) await this.store.save(this.account, { ...this.session, token: undefined });
    await this.close();
  }

  private async afterAuth(answer: Record<string, unknown>): Promise<MaxProfile> {
    const attrs = isObject(answer.tokenAttrs) ? answer.tokenAttrs : {};
    const login = isObject(attrs.LOGIN) ? attrs.LOGIN : {};
    const token =
      typeof login.token === "string"
        ? login.token
        : typeof answer.token === "string"
          ? answer.token
          : undefined;
    if (!token) throw new AuthError("login answer carried no token", { platform: "max", code: "no_token" });
    const profile = this.readProfile(answer.profile);
    await this.loadSession();
    const session: MaxSession = { ...(this.session ?? { deviceId: randomUUID() }), token };
    if (profile) session.userId = profile.contact.id;
    if (this.authPhone) session.phone = this.authPhone;
    this.session = session;
    await this.store.save(this.account, session);
    this.authToken = undefined;
    this.markOnline(Date.now());
    if (!profile)
      throw new AuthError("login answer carried no profile", { platform: "max", code: "no_profile" });
    return profile;
  }

  private readProfile(raw: unknown): MaxProfile | undefined {
    if (!isObject(raw)) return undefined;
    const contact = toMaxUser(raw.contact ?? raw);
    if (!contact) return undefined;
    this.profile = { ...raw, contact };
    return this.profile;
  }

  /** Reads the 19 answer; on a first login, starts following every chat it lists from now. */
  private afterTokenLogin(answer: unknown, baseline: boolean): MaxChat[] {
    const a = isObject(answer) ? answer : {};
    this.readProfile(a.profile);
    this.contacts = listOf(a, "contacts", toMaxUser);
    const chats = listOf(a, "chats", toMaxChat);
    if (baseline) {
      for (const chat of chats)
        this.tracker.track(chat.id, chat.lastMessage?.time ?? 0, chat.lastMessage?.id);
    }
    this.markOnline(num(a.time) ?? Date.now());
    return chats;
  }

  private markOnline(serverTime: number): void {
    this.online = true;
    this.everOnline = true;
    this.onlineSince = serverTime;
  }

  // ── catch-up ──────────────────────────────────────────────────────────────

  /** Fetches what arrived while we were away, chat by chat, through history (49). */
  private async catchUp(ctx: OpenContext<number>, loginChats: MaxChat[], since: number): Promise<void> {
    const opts = typeof this.o.catchUp === "object" ? this.o.catchUp : {};
    const pageSize = Math.min(1000, Math.max(1, opts.pageSize ?? 200));
    const maxPerChat = opts.maxPerChat ?? 10_000;
    const targets = new Map<number, number>();
    for (const id of this.tracker.chatIds()) targets.set(id, this.tracker.lastTime(id) ?? since);
    for (const chat of loginChats) {
      const last = chat.lastMessage;
      if (last && this.tracker.has(chat.id, last.id)) {
        targets.delete(chat.id);
        continue;
      }
      if (!targets.has(chat.id)) {
        const activity = last?.time ?? chat.lastEventTime ?? 0;
        if (activity >= since) targets.set(chat.id, since);
      }
    }
    for (const [chatId, from] of targets) {
      try {
        await this.catchUpChat(ctx, chatId, from, pageSize, maxPerChat);
      } catch (err) {
        if (err instanceof ApiError) {
          // Left or lost the chat meanwhile: stop following it, keep going with the rest.
          this.tracker.forget(chatId);
          this.emit("error", err);
          continue;
        }
        throw err;
      }
    }
  }

  private async catchUpChat(
    ctx: OpenContext<number>,
    chatId: number,
    from: number,
    pageSize: number,
    maxPerChat: number,
  ): Promise<void> {
    // History's `forward` is strictly after `from`: start 1 ms early so same-ms messages come
    // too; the seen set drops the ones already delivered.
    let cursor = Math.max(0, from - 1);
    let delivered = 0;
    for (;;) {
      const answer = await ctx.request(Opcode.GET_CHAT, {
        chatId,
        from: cursor,
        forward: pageSize,
        backward: 0,
        getMessages: true,
      });
      const page = listOf(answer, "messages", (m) => toMaxMessage(m, chatId)).sort(byTimeThenId);
      let fresh = 0;
      for (const raw of page) {
        const message = raw.chatId === chatId ? raw : { ...raw, chatId };
        if (message.status === "REMOVED" || !this.tracker.admit(message)) continue;
        fresh++;
        this.emit("message", { chatId, message, catchUp: true });
      }
      delivered += fresh;
      const last = page[page.length - 1];
      if (!last || page.length < pageSize || fresh === 0 || delivered >= maxPerChat) return;
      cursor = Math.max(cursor + 1, last.time - 1);
    }
  }

  // ── events ────────────────────────────────────────────────────────────────

  private onPush(push: MaxPush): void {
    if (this.buffer) {
      this.buffer.push(push);
      return;
    }
    this.dispatchPush(push);
  }

  private dispatchPush(push: MaxPush): void {
    this.emit("raw", { opcode: push.opcode, payload: push.payload });
    const parsed = parsePush(push.opcode, push.payload);
    if (!parsed) return;
    switch (parsed.type) {
      case "message":
        if (!this.tracker.admit(parsed.data.message)) return;
        this.emit("message", parsed.data);
        return;
      case "messageEdited":
        this.emit("messageEdited", parsed.data);
        return;
      case "presence": {
        // The emulator (and service) send 129 and 132 for one change: deliver it once.
        const key = `${parsed.data.online}:${parsed.data.seen ?? ""}`;
        if (this.lastPresence.get(parsed.data.userId) === key) return;
        this.lastPresence.set(parsed.data.userId, key);
        this.emit("presence", parsed.data);
        return;
      }
      case "chatUpdated":
        // Not seeded with lastMessage: that message's own 128 may still be on its way.
        this.tracker.track(parsed.data.chat.id, this.onlineSince);
        this.emit("chatUpdated", parsed.data);
        return;
      case "uploadComplete": {
        const d = parsed.data;
        for (const key of [
          `file:${d.fileId}`,
          `video:${d.videoId}`,
          `voice:${d.voiceId}`,
          `voice:${d.audioId}`,
        ]) {
          this.uploadWaiters.get(key)?.resolve(d);
        }
        this.emit("uploadComplete", d);
        return;
      }
      default:
        this.emit(parsed.type, parsed.data as never);
    }
  }

  /** Subscribes to one event type; returns the unsubscribe function. */
  on<K extends MaxEventName>(type: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    const l = listener as (data: unknown) => void;
    set.add(l);
    return () => this.listeners.get(type)?.delete(l);
  }

  off<K extends MaxEventName>(type: K, listener: Listener<K>): void {
    this.listeners.get(type)?.delete(listener as (data: unknown) => void);
  }

  once<K extends MaxEventName>(type: K, listener: Listener<K>): () => void {
    const off = this.on(type, (data) => {
      off();
      listener(data);
    });
    return off;
  }

  private emit<K extends MaxEventName>(type: K, data: MaxEventMap[K]): void {
    const set = this.listeners.get(type);
    if (!set) return;
    for (const l of [...set]) {
      try {
        l(data);
      } catch (err) {
        this.log.error({ err, event: type }, "MAX event listener threw");
      }
    }
  }

  /**
   * Every event (or those of `types`) as an async iterator. It ends when the client closes or
   * the session is revoked (after yielding that `error`). A consumer that falls more than
   * `eventBuffer` events behind gets a TransportError instead of silent loss.
   */
  events(
    options: { types?: MaxEventName[]; signal?: AbortSignal; bufferSize?: number } = {},
  ): AsyncIterableIterator<MaxEvent> {
    const names: MaxEventName[] = options.types ?? [
      "message",
      "messageEdited",
      "messageDeleted",
      "reaction",
      "typing",
      "presence",
      "read",
      "chatUpdated",
      "uploadComplete",
      "state",
      "error",
    ];
    const limit = options.bufferSize ?? this.o.eventBuffer ?? 10_000;
    const queue: MaxEvent[] = [];
    let wake: (() => void) | undefined;
    let done = this.closed;
    let failure: Error | undefined;
    const offs = names.map((type) =>
      this.on(type, (data) => {
        if (done) return;
        if (queue.length >= limit) {
          failure = new TransportError(`event consumer fell ${limit} events behind`, {
            platform: "max",
            code: "events_overflow",
            retryable: false,
          });
          finish();
          return;
        }
        queue.push({ type, data } as MaxEvent);
        wake?.();
      }),
    );
    const finish = () => {
      done = true;
      for (const off of offs) off();
      this.iterators.delete(finish);
      options.signal?.removeEventListener("abort", finish);
      wake?.();
    };
    this.iterators.add(finish);
    options.signal?.addEventListener("abort", finish, { once: true });
    const iterator: AsyncIterableIterator<MaxEvent> = {
      [Symbol.asyncIterator]: () => iterator,
      next: async () => {
        for (;;) {
          const item = queue.shift();
          if (item) return { value: item, done: false };
          if (failure) {
            const f = failure;
            failure = undefined;
            throw f;
          }
          if (done) return { value: undefined, done: true };
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
      },
      return: async () => {
        finish();
        queue.length = 0;
        return { value: undefined, done: true };
      },
    };
    return iterator;
  }

  private endIterators(): void {
    for (const finish of [...this.iterators]) finish();
  }

  // ── account ───────────────────────────────────────────────────────────────

  async ping(options: RequestOptions = {}): Promise<void> {
    await this.call(Opcode.KEEPALIVE, { interactive: false }, options);
  }

  async updateProfile(
    patch: { firstName?: string; lastName?: string; description?: string; photoToken?: string },
    options: RequestOptions = {},
  ): Promise<MaxProfile> {
    const answer = await this.call(Opcode.CHANGE_PROFILE, { ...patch }, options);
    const profile = this.readProfile(answer.profile);
    if (!profile)
      throw new ApiError("profile answer had no profile", { platform: "max", code: "bad_answer" });
    return profile;
  }

  /** Privacy and chat settings (22): `{user:{HIDDEN:true}}`, `{chats:{"<id>":{dontDisturbUntil:-1}}}`. */
  async settings(
    settings: Record<string, unknown>,
    options: RequestOptions = {},
  ): Promise<Record<string, unknown>> {
    return this.call(Opcode.SETTINGS, { settings }, options);
  }

  async getTwoFactor(options: RequestOptions = {}): Promise<{ enabled: boolean; hint: string }> {
    const a = await this.call(Opcode.TWO_FA_MANAGE, { action: "GET" }, options);
    return { enabled: a.enabled === true, hint: typeof a.hint === "string" ? a.hint : "" };
  }

  async setTwoFactor(
    password: string,
    options: RequestOptions & { currentPassword?: string; hint?: string } = {},
  ): Promise<{ enabled: boolean; hint: string }> {
    const payload: Record<string, unknown> = { action: "SET", password };
    if (options.currentPassword !== undefined) payload.currentPassword = options.currentPassword;
    if (options.hint !== undefined) payload.hint = options.hint;
    const a = await this.call(Opcode.TWO_FA_MANAGE, payload, options);
    return { enabled: a.enabled === true, hint: typeof a.hint === "string" ? a.hint : "" };
  }

  async removeTwoFactor(currentPassword: string, options: RequestOptions = {}): Promise<void> {
    await this.call(Opcode.TWO_FA_MANAGE, { action: "REMOVE", currentPassword }, options);
  }

  async sessions(options: RequestOptions = {}): Promise<SessionInfo[]> {
    const a = await this.call(Opcode.SESSIONS, { action: "LIST" }, options);
    return listOf(a, "sessions", (s) => {
      if (!isObject(s)) return undefined;
      const id = num(s.id);
      return id === undefined ? undefined : { ...s, id, current: s.current === true };
    });
  }

  async terminateSession(sessionId: number, options: RequestOptions = {}): Promise<void> {
    await this.call(Opcode.SESSIONS, { action: "TERMINATE", sessionId }, options);
  }

  /** Sessions as PyMax lists them (96). */
  async sessionsInfo(options: RequestOptions = {}): Promise<SessionInfo[]> {
    const a = await this.call(Opcode.SESSIONS_INFO, {}, options);
    return listOf(a, "sessions", (s) => {
      if (!isObject(s)) return undefined;
      const id = num(s.id);
      return id === undefined ? undefined : { ...s, id, current: s.current === true };
    });
  }

  /**
   * Ends every other session and rotates this one's token (97). The new token is stored, so
   * reconnects keep working; the old one stops working everywhere.
   */
  async resetSessions(options: RequestOptions = {}): Promise<void> {
    const a = await this.call(Opcode.SESSIONS_CLOSE, {}, options);
    if (typeof a.token !== "string") return;
    await this.loadSession();
    this.session = { ...(this.session ?? { deviceId: randomUUID() }), token: a.token };
    await this.store.save(this.account, this.session);
  }

  async terminateOtherSessions(options: RequestOptions = {}): Promise<void> {
    await this.call(Opcode.SESSIONS, { action: "TERMINATE_OTHERS" }, options);
  }

  // ── contacts and presence ─────────────────────────────────────────────────

  /** Users by id (32). */
  async getUsers(userIds: number[], options: RequestOptions = {}): Promise<MaxUser[]> {
    return listOf(
      await this.call(Opcode.GET_CONTACTS, { contactIds: userIds }, options),
      "contacts",
      toMaxUser,
    );
  }

  /** The contact list: from the login answer, refreshed through 32. */
  async getContacts(options: RequestOptions = {}): Promise<MaxUser[]> {
    if (this.contacts.length === 0) return [];
    this.contacts = await this.getUsers(
      this.contacts.map((c) => c.id),
      options,
    );
    return this.contacts;
  }

  private async contactAction(
    contactId: number,
    action: "ADD" | "REMOVE" | "BLOCK" | "UNBLOCK" | "UPDATE",
    names: { firstName?: string; lastName?: string },
    options: RequestOptions,
  ): Promise<MaxUser> {
    const a = await this.call(Opcode.CONTACT_ACTION, { contactId, action, ...names }, options);
    const user = toMaxUser(a.contact);
    if (!user) throw new ApiError("contact answer had no contact", { platform: "max", code: "bad_answer" });
    return user;
  }

  addContact(
    userId: number,
    names: { firstName?: string; lastName?: string } = {},
    options: RequestOptions = {},
  ) {
    return this.contactAction(userId, "ADD", names, options);
  }
  removeContact(userId: number, options: RequestOptions = {}) {
    return this.contactAction(userId, "REMOVE", {}, options);
  }
  renameContact(
    userId: number,
    names: { firstName: string; lastName?: string },
    options: RequestOptions = {},
  ) {
    return this.contactAction(userId, "UPDATE", names, options);
  }
  blockContact(userId: number, options: RequestOptions = {}) {
    return this.contactAction(userId, "BLOCK", {}, options);
  }
  unblockContact(userId: number, options: RequestOptions = {}) {
    return this.contactAction(userId, "UNBLOCK", {}, options);
  }

  /** Subscribes to presence pushes of these users (35); answers their presence now. */
  async subscribePresence(
    userIds: number[],
    options: RequestOptions & { subscribe?: boolean } = {},
  ): Promise<Record<string, { seen?: number; status?: number }>> {
    const a = await this.call(
      Opcode.PRESENCE_SUBSCRIBE,
      { contactIds: userIds, subscribe: options.subscribe ?? true },
      options,
    );
    return (isObject(a.presence) ? a.presence : {}) as Record<string, { seen?: number; status?: number }>;
  }

  /** Own presence (36): ONLINE, or OFFLINE / HIDDEN to look offline. */
  async setPresence(status: "ONLINE" | "OFFLINE" | "HIDDEN", options: RequestOptions = {}): Promise<void> {
    await this.call(Opcode.SET_PRESENCE, { status }, options);
  }

  // ── chats ─────────────────────────────────────────────────────────────────

  /** Chats by id (48). */
  async getChats(chatIds: number[], options: RequestOptions = {}): Promise<MaxChat[]> {
    const chats = listOf(await this.call(Opcode.GET_CHATS, { chatIds }, options), "chats", toMaxChat);
    return chats;
  }

  async getChat(chatId: number, options: RequestOptions = {}): Promise<MaxChat | undefined> {
    return (await this.getChats([chatId], options))[0];
  }

  /** One page of the chat list (53), newest first; pass the answer's `marker` for the next. */
  async listChats(
    options: RequestOptions & { marker?: number; count?: number } = {},
  ): Promise<{ chats: MaxChat[]; marker?: number }> {
    const payload: Record<string, unknown> = { count: options.count ?? 40 };
    if (options.marker !== undefined) payload.marker = options.marker;
    const a = await this.call(Opcode.CHATS_LIST, payload, options);
    const out: { chats: MaxChat[]; marker?: number } = { chats: listOf(a, "chats", toMaxChat) };
    const marker = num(a.marker);
    if (marker !== undefined) out.marker = marker;
    return out;
  }

  /**
   * History (49) around `from` (default now): `backward` messages at or before it, `forward`
   * after it, oldest first.
   */
  async getHistory(
    chatId: number,
    options: RequestOptions & { from?: number; backward?: number; forward?: number } = {},
  ): Promise<MaxMessage[]> {
    const a = await this.call(
      Opcode.GET_CHAT,
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

  /** Marks the chat read up to `messageId` (50). */
  async markRead(chatId: number, messageId: string, options: RequestOptions & { mark?: number } = {}) {
    const payload: Record<string, unknown> = { type: "READ_MESSAGE", chatId, messageId };
    if (options.mark !== undefined) payload.mark = options.mark;
    const a = await this.call(Opcode.READ_MESSAGE, payload, options);
    return { unread: num(a.unread) ?? 0, mark: num(a.mark) ?? 0 };
  }

  async markUnread(chatId: number, options: RequestOptions = {}) {
    const a = await this.call(Opcode.READ_MESSAGE, { type: "SET_AS_UNREAD", chatId }, options);
    return { unread: num(a.unread) ?? 0, mark: num(a.mark) ?? 0 };
  }

  /** "Typing…" in a chat (51); `type` for uploads in progress (PHOTO, VIDEO, FILE…). */
  async setTyping(chatId: number, options: RequestOptions & { type?: string } = {}): Promise<void> {
    const payload: Record<string, unknown> = { chatId };
    if (options.type) payload.type = options.type;
    await this.call(Opcode.SET_TYPING, payload, options);
  }

  /** Who is typing in a chat now (52). */
  async getTyping(chatId: number, options: RequestOptions = {}): Promise<number[]> {
    const a = await this.call(Opcode.GET_TYPING, { chatId }, options);
    const list = Array.isArray(a.typing) ? a.typing : Array.isArray(a.userIds) ? a.userIds : [];
    return list.map((u) => num(isObject(u) ? (u.userId ?? u.id) : u)).filter((n) => n !== undefined);
  }

  /** Title, description, options (55). */
  async updateChat(
    chatId: number,
    patch: { title?: string; description?: string; options?: Record<string, boolean> },
    options: RequestOptions = {},
  ): Promise<MaxChat | undefined> {
    const payload: Record<string, unknown> = { chatId };
    if (patch.title !== undefined) payload.theme = patch.title;
    if (patch.description !== undefined) payload.description = patch.description;
    if (patch.options !== undefined) payload.options = patch.options;
    return toMaxChat((await this.call(Opcode.CHAT_SETTINGS, payload, options)).chat);
  }

  async pinMessage(chatId: number, messageId: string, options: RequestOptions & { notify?: boolean } = {}) {
    return toMaxChat(
      (
        await this.call(
          Opcode.CHAT_SETTINGS,
          { chatId, pinMessageId: messageId, notifyPin: options.notify ?? true },
          options,
        )
      ).chat,
    );
  }

  async unpinMessage(chatId: number, options: RequestOptions = {}) {
    return toMaxChat((await this.call(Opcode.CHAT_SETTINGS, { chatId, unpin: true }, options)).chat);
  }

  /** The chat's invite link (56); `revoke` makes a new one. */
  async getInviteLink(chatId: number, options: RequestOptions & { revoke?: boolean } = {}): Promise<string> {
    const payload: Record<string, unknown> = { chatId };
    if (options.revoke) payload.revokePrivateLink = true;
    const a = await this.call(Opcode.GET_INVITE_LINK, payload, options);
    const link = a.link ?? (isObject(a.chat) ? a.chat.link : undefined);
    if (typeof link !== "string")
      throw new ApiError("invite link answer had no link", { platform: "max", code: "bad_answer" });
    return link;
  }

  /** Joins a group or channel by link (57): `join/<hash>` or `https://max.ru/<name>`. */
  async joinByLink(link: string, options: RequestOptions = {}): Promise<MaxChat> {
    const chat = toMaxChat((await this.call(Opcode.JOIN_BY_LINK, { link }, options)).chat);
    if (!chat) throw new ApiError("join answer had no chat", { platform: "max", code: "bad_answer" });
    this.tracker.track(chat.id, Date.now());
    return chat;
  }

  /** What a link points at (89): a chat, a channel or a user. */
  async resolveLink(link: string, options: RequestOptions = {}): Promise<{ chat?: MaxChat; user?: MaxUser }> {
    const a = await this.call(Opcode.RESOLVE_LINK, { link }, options);
    const out: { chat?: MaxChat; user?: MaxUser } = {};
    const chat = toMaxChat(a.chat);
    if (chat) out.chat = chat;
    const user = toMaxUser(a.user ?? a.contact);
    if (user) out.user = user;
    return out;
  }

  /** Leaves a group or channel (75, the seed's LEAVE_CHAT). */
  async leaveChat(chatId: number, options: RequestOptions & { pymaxOpcode?: boolean } = {}): Promise<void> {
    // PyMax leaves with 58 CHAT_LEAVE; the seed (and vkmax, for channels) with 75.
    if (options.pymaxOpcode) await this.call(Opcode.CHAT_LEAVE, { chatId }, options);
    else await this.call(Opcode.LEAVE_CHAT, { chatId }, options);
    this.tracker.forget(chatId);
  }

  /** Members (59), a page at a time: pass the answer's `marker` for the next. */
  async getMembers(
    chatId: number,
    options: RequestOptions & { marker?: number; count?: number; admins?: boolean } = {},
  ): Promise<{ members: { user: MaxUser; presence?: unknown; [key: string]: unknown }[]; marker?: number }> {
    const payload: Record<string, unknown> = {
      chatId,
      type: options.admins ? "ADMIN" : "MEMBER",
      count: options.count ?? 50,
    };
    if (options.marker !== undefined) payload.marker = options.marker;
    const a = await this.call(Opcode.GET_MEMBERS, payload, options);
    const members = listOf(a, "members", (m) => {
      const user = toMaxUser(m);
      return user && isObject(m) ? { ...m, user } : undefined;
    });
    const marker = num(a.marker);
    return marker === undefined ? { members } : { members, marker };
  }

  private async manageMembers(
    payload: Record<string, unknown>,
    options: RequestOptions,
  ): Promise<MaxChat | undefined> {
    return toMaxChat((await this.call(Opcode.MANAGE_MEMBERS, payload, options)).chat);
  }

  addMembers(chatId: number, userIds: number[], options: RequestOptions & { showHistory?: boolean } = {}) {
    return this.manageMembers(
      { chatId, userIds, operation: "add", showHistory: options.showHistory ?? true },
      options,
    );
  }
  removeMembers(
    chatId: number,
    userIds: number[],
    options: RequestOptions & { cleanMsgPeriod?: number } = {},
  ) {
    const payload: Record<string, unknown> = { chatId, userIds, operation: "remove" };
    if (options.cleanMsgPeriod !== undefined) payload.cleanMsgPeriod = options.cleanMsgPeriod;
    return this.manageMembers(payload, options);
  }
  /** Makes users admins (77 `type:"ADMIN"`); `permissions` is MAX's bitmask. */
  makeAdmin(chatId: number, userIds: number[], options: RequestOptions & { permissions?: number } = {}) {
    return this.manageMembers(
      { chatId, userIds, operation: "add", type: "ADMIN", permissions: options.permissions ?? 255 },
      options,
    );
  }
  removeAdmin(chatId: number, userIds: number[], options: RequestOptions = {}) {
    return this.manageMembers({ chatId, userIds, operation: "remove", type: "ADMIN" }, options);
  }

  /** Creates a group with these members (64 with a CONTROL attach, as web clients do). */
  async createGroup(title: string, userIds: number[], options: RequestOptions = {}): Promise<MaxChat> {
    return this.createChat({ _type: "CONTROL", event: "new", chatType: "CHAT", title, userIds }, options);
  }

  async createChannel(title: string, options: RequestOptions = {}): Promise<MaxChat> {
    return this.createChat({ _type: "CONTROL", event: "new", chatType: "CHANNEL", title }, options);
  }

  private async createChat(control: MaxAttach, options: RequestOptions): Promise<MaxChat> {
    const a = await this.call(
      Opcode.SEND_MESSAGE,
      { message: { cid: newCid(), text: "", attaches: [control] }, notify: true },
      options,
    );
    const chat = toMaxChat(a.chat);
    if (!chat) throw new ApiError("create answer had no chat", { platform: "max", code: "bad_answer" });
    const message = toMaxMessage(a, chat.id);
    this.tracker.track(chat.id, message?.time ?? Date.now());
    if (message) this.tracker.admit(message);
    return chat;
  }

  /** Message search (90), across chats or in one. */
  async search(
    query: string,
    options: RequestOptions & { chatId?: number; count?: number } = {},
  ): Promise<MaxMessage[]> {
    const payload: Record<string, unknown> = { query, count: options.count ?? 30 };
    if (options.chatId !== undefined) payload.chatId = options.chatId;
    const a = await this.call(Opcode.SEARCH, payload, options);
    const raw = Array.isArray(a.messages) ? a.messages : Array.isArray(a.result) ? a.result : [];
    return raw.map((m) => toMaxMessage(m, options.chatId)).filter((m) => m !== undefined);
  }

  // ── messages ──────────────────────────────────────────────────────────────

  /**
   * Sends a message (64). Text over 4000 chars is a ValidationError unless splitting is on
   * (`split` / `splitLongText`), in which case the parts go out in order and the last is returned.
   */
  async sendMessage(
    chatId: number,
    message: string | OutgoingMessage,
    options: SendOptions = {},
  ): Promise<MaxMessage> {
    return this.send({ chatId }, typeof message === "string" ? { text: message } : message, options);
  }

  /** Sends to a user by id; MAX opens the dialog if there is none. */
  async sendToUser(
    userId: number,
    message: string | OutgoingMessage,
    options: SendOptions = {},
  ): Promise<MaxMessage> {
    return this.send({ userId }, typeof message === "string" ? { text: message } : message, options);
  }

  private async send(
    target: { chatId?: number; userId?: number },
    msg: OutgoingMessage,
    options: SendOptions,
  ) {
    const text = msg.text ?? "";
    if (text.length > LIMITS.textLength) {
      if (!(options.split ?? this.o.splitLongText)) {
        throw new ValidationError(
          `message text is ${text.length} characters; MAX allows ${LIMITS.textLength} (pass split: true to send it in parts)`,
          { platform: "max", code: "text_too_long", issues: ["message.text: too long"] },
        );
      }
      const parts = splitText(text, LIMITS.textLength);
      let last: MaxMessage | undefined;
      for (const [i, part] of parts.entries()) {
        const end = part.start + part.text.length;
        const elements = (msg.elements ?? []).flatMap((e) => {
          const from = e.from ?? 0;
          const to = from + (e.length ?? 0);
          const a = Math.max(from, part.start);
          const b = Math.min(to, end);
          return b > a ? [{ ...e, from: a - part.start, length: b - a }] : [];
        });
        const body: OutgoingMessage = { text: part.text, elements };
        // Attaches and the reply go with the first part, so they stay next to the start.
        if (i === 0) {
          if (msg.attaches) body.attaches = msg.attaches;
          if (msg.link) body.link = msg.link;
        }
        last = await this.sendOne(target, body, i === 0 ? options : { ...options, replyTo: undefined });
      }
      return last as MaxMessage;
    }
    return this.sendOne(target, msg, options);
  }

  private async sendOne(
    target: { chatId?: number; userId?: number },
    msg: OutgoingMessage,
    options: SendOptions,
  ): Promise<MaxMessage> {
    const message: Record<string, unknown> = {
      text: msg.text ?? "",
      cid: newCid(),
      elements: msg.elements ?? [],
      attaches: msg.attaches ?? [],
    };
    if (options.replyTo !== undefined) message.link = { type: "REPLY", messageId: options.replyTo };
    else if (msg.link) message.link = msg.link;
    const a = await this.call(
      Opcode.SEND_MESSAGE,
      { ...target, message, notify: options.notify ?? true },
      options,
    );
    const sent = toMaxMessage(a, target.chatId);
    if (!sent) throw new ApiError("send answer had no message", { platform: "max", code: "bad_answer" });
    // Our own message must not come back as "missed" from a catch-up.
    this.tracker.admit(sent);
    return sent;
  }

  /** Forwards messages from one chat to another (64 with a FORWARD link). */
  async forwardMessages(
    fromChatId: number,
    messageIds: string[],
    toChatId: number,
    options: SendOptions & { text?: string } = {},
  ): Promise<MaxMessage> {
    return this.sendOne(
      { chatId: toChatId },
      { text: options.text ?? "", link: { type: "FORWARD", chatId: fromChatId, messageIds } },
      options,
    );
  }

  /** Edits text (and optionally elements / attaches) of a message (67). */
  async editMessage(
    chatId: number,
    messageId: string,
    text: string,
    options: RequestOptions & { elements?: MaxElement[]; attaches?: MaxAttach[] } = {},
  ): Promise<MaxMessage> {
    if (text.length > LIMITS.textLength) {
      throw new ValidationError(
        `message text is ${text.length} characters; MAX allows ${LIMITS.textLength}`,
        {
          platform: "max",
          code: "text_too_long",
        },
      );
    }
    const payload: Record<string, unknown> = { chatId, messageId, text, elements: options.elements ?? [] };
    if (options.attaches) payload.attaches = options.attaches;
    const a = await this.call(Opcode.EDIT_MESSAGE, payload, options);
    const m = toMaxMessage(a, chatId);
    if (!m) throw new ApiError("edit answer had no message", { platform: "max", code: "bad_answer" });
    return m;
  }

  /** Deletes messages (66), for everyone unless `forMe`. */
  async deleteMessages(
    chatId: number,
    messageIds: string[],
    options: RequestOptions & { forMe?: boolean } = {},
  ): Promise<void> {
    await this.call(Opcode.DELETE_MESSAGE, { chatId, messageIds, forMe: options.forMe ?? false }, options);
  }

  deleteMessage(
    chatId: number,
    messageId: string,
    options: RequestOptions & { forMe?: boolean } = {},
  ): Promise<void> {
    return this.deleteMessages(chatId, [messageId], options);
  }

  /** Messages by id (71). */
  async getMessages(
    chatId: number,
    messageIds: string[],
    options: RequestOptions = {},
  ): Promise<MaxMessage[]> {
    const a = await this.call(Opcode.GET_MESSAGES, { chatId, messageIds }, options);
    return listOf(a, "messages", (m) => toMaxMessage(m, chatId));
  }

  /** Sets this account's reaction (178). */
  async react(chatId: number, messageId: string, emoji: string, options: RequestOptions = {}) {
    const a = await this.call(
      Opcode.REACTION,
      { chatId, messageId, reaction: { reactionType: "EMOJI", id: emoji } },
      options,
    );
    return a.reactionInfo;
  }

  /** Removes this account's reaction (179). */
  async unreact(chatId: number, messageId: string, options: RequestOptions = {}) {
    return (await this.call(Opcode.REACTION_REMOVE, { chatId, messageId }, options)).reactionInfo;
  }

  /** Reaction counters of several messages (180): message id → info. */
  async getReactions(
    chatId: number,
    messageIds: string[],
    options: RequestOptions = {},
  ): Promise<Record<string, unknown>> {
    const a = await this.call(Opcode.GET_REACTIONS, { chatId, messageIds }, options);
    return isObject(a.messagesReactions) ? a.messagesReactions : {};
  }

  /** Who reacted how to one message (181). */
  async getReactionDetails(
    chatId: number,
    messageId: string,
    options: RequestOptions & { count?: number } = {},
  ) {
    const payload: Record<string, unknown> = { chatId, messageId };
    if (options.count !== undefined) payload.count = options.count;
    return this.call(Opcode.GET_REACTIONS_DETAIL, payload, options);
  }

  // ── media ─────────────────────────────────────────────────────────────────

  /**
   * Uploads a photo, video, voice note or file and returns the attach to send. Photos are ready
   * when the POST answers (the token is in its answer); the other kinds wait for the server's
   * "processed" push (136) up to `processTimeoutMs`.
   */
  async uploadAttach(
    kind: MediaKind,
    source: string | UploadSource,
    options: UploadOptions = {},
  ): Promise<MaxAttach> {
    const file: UploadSource = typeof source === "string" ? { source } : source;
    const slot = await this.call(UPLOAD_OPCODE[kind], { count: 1 }, options);
    const info = Array.isArray(slot.info) && isObject(slot.info[0]) ? slot.info[0] : slot;
    const url = typeof info.url === "string" ? info.url : typeof slot.url === "string" ? slot.url : undefined;
    if (!url) throw new ApiError(`upload slot answer had no url`, { platform: "max", code: "bad_answer" });
    const http: HttpOptions = {};
    if (options.onProgress) http.onProgress = options.onProgress;
    if (options.signal) http.signal = options.signal;
    if (options.transferTimeoutMs !== undefined) http.timeoutMs = options.transferTimeoutMs;

    if (kind === "photo") {
      const answer = await postMultipart(url, file, http);
      const photos = isObject(answer) && isObject(answer.photos) ? answer.photos : {};
      const first = Object.values(photos).find(isObject);
      if (!first || typeof first.token !== "string") {
        throw new ApiError("photo upload answer had no token", { platform: "max", code: "bad_answer" });
      }
      return { _type: "PHOTO", photoToken: first.token };
    }

    const id =
      kind === "video"
        ? num(info.videoId)
        : kind === "file"
          ? num(info.fileId)
          : (num(info.voiceId) ?? num(info.audioId) ?? num(info.videoId));
    if (id === undefined)
      throw new ApiError(`${kind} upload slot had no id`, { platform: "max", code: "bad_answer" });
    const processed = this.waitUpload(
      kind === "file" ? "file" : kind === "video" ? "video" : "voice",
      id,
      options,
    );
    try {
      await postMultipart(url, file, http);
    } catch (err) {
      processed.cancel();
      throw err;
    }
    const done = await processed.promise;
    const token = typeof info.token === "string" ? info.token : done.token;
    switch (kind) {
      case "video":
        return token ? { _type: "VIDEO", videoId: id, token } : { _type: "VIDEO", videoId: id };
      case "file":
        return { _type: "FILE", fileId: id };
      default: {
        const a: MaxAttach = { _type: "VOICE", voiceId: id, audioId: id };
        if (token) a.token = token;
        if (options.durationMs !== undefined) a.duration = options.durationMs;
        return a;
      }
    }
  }

  private waitUpload(
    kind: "file" | "video" | "voice",
    id: number,
    options: UploadOptions,
  ): { promise: Promise<MaxEventMap["uploadComplete"]>; cancel: () => void } {
    const key = `${kind}:${id}`;
    const timeoutMs = options.processTimeoutMs ?? this.o.uploadTimeoutMs ?? 60_000;
    let cancel = () => {};
    const promise = new Promise<MaxEventMap["uploadComplete"]>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new TimeoutError(`upload ${kind} ${id} was not processed within ${timeoutMs} ms (no event 136)`, {
            platform: "max",
            code: "upload_timeout",
          }),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.uploadWaiters.delete(key);
      };
      this.uploadWaiters.set(key, {
        resolve: (data) => {
          cleanup();
          resolve(data);
        },
        reject: (err) => {
          cleanup();
          reject(err);
        },
      });
      cancel = cleanup;
    });
    // A cancelled wait's rejection is nobody's business; awaited waits still see it.
    promise.catch(() => undefined);
    return { promise, cancel };
  }

  private rejectUploadWaiters(error: Error): void {
    for (const waiter of [...this.uploadWaiters.values()]) waiter.reject(error);
  }

  /** Tells the chat an upload is starting (65, the seed's UPLOAD_START). */
  async notifyUpload(chatId: number, kind: MediaKind, options: RequestOptions = {}): Promise<void> {
    await this.call(Opcode.UPLOAD_START, { chatId, type: UPLOAD_TYPE[kind] }, options);
  }

  /** Raw upload slots (80 / 82 / 84 / 87): `{url, …ids, token}` per slot. Most callers want uploadAttach. */
  async getUploadSlots(
    kind: MediaKind,
    count = 1,
    options: RequestOptions = {},
  ): Promise<Record<string, unknown>[]> {
    const a = await this.call(UPLOAD_OPCODE[kind], { count }, options);
    if (Array.isArray(a.info)) return a.info.filter(isObject);
    return typeof a.url === "string" ? [{ url: a.url }] : [];
  }

  /** Uploads and sends in one go: 65 notice, upload, then 64 with the attach (and a caption). */
  async sendMedia(
    chatId: number,
    kind: MediaKind,
    source: string | UploadSource,
    options: UploadOptions & SendOptions & { caption?: string } = {},
  ): Promise<MaxMessage> {
    await this.notifyUpload(chatId, kind, options);
    const attach = await this.uploadAttach(kind, source, options);
    return this.sendMessage(chatId, { text: options.caption ?? "", attaches: [attach] }, options);
  }

  /** A download URL for a received attach (83 video, 85 voice, 88 file; photos carry theirs). */
  async getDownloadUrl(
    attach: MaxAttach,
    where: { chatId: number; messageId: string },
    options: RequestOptions = {},
  ): Promise<string> {
    const base = { chatId: where.chatId, messageId: where.messageId };
    let a: Record<string, unknown>;
    switch (attach._type) {
      case "PHOTO": {
        const url = attach.baseUrl ?? attach.url;
        if (typeof url !== "string")
          throw new ApiError("photo attach has no url", { platform: "max", code: "bad_answer" });
        return url;
      }
      case "VIDEO":
        a = await this.call(Opcode.VIDEO_DOWNLOAD_URL, { ...base, videoId: num(attach.videoId) }, options);
        break;
      case "VOICE":
      case "AUDIO": {
        const id = num(attach.audioId) ?? num(attach.voiceId) ?? num(attach.videoId);
        a = await this.call(Opcode.VOICE_DOWNLOAD_URL, { ...base, audioId: id, voiceId: id }, options);
        break;
      }
      case "FILE":
        a = await this.call(Opcode.FILE_DOWNLOAD_URL, { ...base, fileId: num(attach.fileId) }, options);
        break;
      default:
        throw new ValidationError(`${attach._type} attaches have no download`, { platform: "max" });
    }
    if (typeof a.url === "string") return a.url;
    // 83 answers quality → url plus extras (cache, EXTERNAL, FAILOVER_HOSTS).
    for (const [k, v] of Object.entries(a)) {
      if (k !== "EXTERNAL" && typeof v === "string" && /^https?:\/\//.test(v)) return v;
    }
    throw new ApiError("download answer had no url", { platform: "max", code: "bad_answer" });
  }

  /** Downloads a URL to `destination` (mode 0600) or into memory. */
  download(
    url: string,
    destination?: string,
    options: HttpOptions = {},
  ): Promise<{ bytes: number; data?: Buffer }> {
    return download(url, destination, options);
  }
}
