/**
 * The stateful core behind MaxClient: one RPC WebSocket with the MAX codec, hello + login by
 * token on every socket, the stored session, the endpoint-table-driven `call`, push dispatch
 * into the core Emitter, and history catch-up after a reconnect (./catch-up.ts). The area files
 * (auth, account, contacts, chats, messages, media) are functions of this engine; MaxClient
 * (./index.ts) is their facade. Not exported from `switchboard/max`.
 */
import { randomUUID } from "node:crypto";
import { type CallOptions, callSignal } from "../../core/call.js";
import { type CredentialStore, MemoryCredentialStore, serverCredentials } from "../../core/credentials.js";
import { Emitter } from "../../core/emitter.js";
import type { RequestOf, ResponseOf } from "../../core/endpoint.js";
import { ApiError, AuthError, type SwitchboardError, TransportError } from "../../core/errors.js";
import { type Logger, silentLogger } from "../../core/log.js";
import { type CloseInfo, type OpenContext, RpcWebSocket, type StateChange } from "../../core/rpc-ws.js";
import { parseResponse, validateInput } from "../../core/validation.js";
import { DEFAULT_URL, LIMITS, type MaxMethod, type MaxRpc, maxRpc, Opcode, WEB_ORIGIN } from "../protocol.js";
import { ChatTracker, catchUp, supersededChanges } from "./catch-up.js";
import { type MaxPush, maxCodec } from "./codec.js";
import type { MaxClientOptions } from "./options.js";
import { parsePush } from "./push.js";
import { isGivenToken, LOGGED_OUT, type MaxSession, tokenRefused } from "./session.js";
import { binaryCodec, DEFAULT_SOCKET_URL, socketWire } from "./socket-wire.js";
import {
  isObject,
  listOf,
  type MaxChat,
  type MaxEventMap,
  type MaxProfile,
  type MaxUser,
  toMaxChat,
  toMaxUser,
} from "./types.js";

export const DEFAULT_USER_AGENT = {
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

export function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

type UploadWaiter = {
  resolve: (data: MaxEventMap["uploadComplete"]) => void;
  reject: (err: Error) => void;
};

export class MaxEngine {
  readonly account: string;
  readonly url: string;
  /** The binary socket transport (transport: "socket") rather than the WebSocket. */
  readonly socket: boolean;
  readonly o: MaxClientOptions;
  readonly log: Logger;
  readonly store: CredentialStore<MaxSession>;
  readonly emitter: Emitter<MaxEventMap>;
  readonly transport: RpcWebSocket<number, MaxPush>;
  readonly tracker = new ChatTracker();
  /** Uploads waiting for their 136 push, by `kind:id`. */
  readonly uploadWaiters = new Map<string, UploadWaiter>();
  readonly timeoutMs: number;
  profile: MaxProfile | undefined;
  contacts: MaxUser[] = [];
  session: MaxSession | undefined;
  authToken: string | undefined;
  passwordTrack: string | undefined;
  authPhone: string | undefined;
  online = false;
  everOnline = false;
  /** Server time of the last login: chats first seen after a reconnect are caught up from here. */
  onlineSince = 0;
  closed = false;
  loggingOut = false;
  fatal: SwitchboardError | undefined;
  /** The reader of 64 answers (messages.ts), made once: a closure per send costs more than it. */
  sentReader: ((answer: unknown, payload: unknown) => unknown) | undefined;
  private sessionLoading: Promise<void> | undefined;
  private readonly lastPresence = new Map<number, string>();
  private buffer: MaxPush[] | undefined;

  constructor(options: MaxClientOptions) {
    this.o = options;
    this.account = options.account ?? "default";
    this.socket = options.transport === "socket";
    this.url = options.url ?? (this.socket ? DEFAULT_SOCKET_URL : DEFAULT_URL);
    this.log = options.logger ?? silentLogger;
    // Logins are kept per server URL + account, so another sandbox's token is never replayed here.
    this.store = serverCredentials(options.credentials ?? new MemoryCredentialStore<MaxSession>(), {
      url: this.url,
      productionUrl: DEFAULT_URL,
      logger: this.log,
      platform: "max",
    });
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.emitter = new Emitter<MaxEventMap>({
      platform: "max",
      logger: this.log,
      bufferSize: options.eventBuffer ?? 10_000,
    });
    this.transport = new RpcWebSocket<number, MaxPush>({
      url: this.url,
      headers: { Origin: options.origin ?? WEB_ORIGIN, "User-Agent": DEFAULT_USER_AGENT.headerUserAgent },
      // The mobile apps' binary transport (socket-wire.ts) or the web client's WebSocket.
      ...(this.socket ? { codec: binaryCodec(), wire: socketWire(options.tls) } : { codec: maxCodec }),
      platform: "max",
      requestTimeoutMs: this.timeoutMs,
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

  emit<K extends keyof MaxEventMap>(type: K, data: MaxEventMap[K]): void {
    this.emitter.emit(type, data);
  }

  // ── connection ────────────────────────────────────────────────────────────

  async connect(options: CallOptions = {}): Promise<{ loggedIn: boolean }> {
    if (this.fatal) throw this.fatal;
    if (this.closed) throw this.closedError();
    await this.loadSession();
    const signal = callSignal(options.timeoutMs === undefined ? { signal: options.signal } : options);
    await this.transport.connect(signal);
    return { loggedIn: this.online };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.online = false;
    await this.transport.close(1000, "client closed");
    this.emitter.end();
  }

  async loadSession(): Promise<void> {
    this.sessionLoading ??= (async () => {
      const stored = await this.store.load(this.account);
      this.session = stored ?? { deviceId: randomUUID() };
      if (this.o.token) this.session.token = this.o.token;
    })();
    return this.sessionLoading;
  }

  /** Saves the session (stamped with the time) under this account. */
  async saveSession(session: MaxSession): Promise<void> {
    this.session = session;
    await this.store.save(this.account, { ...session, savedAt: Date.now() });
  }

  private helloPayload(): Record<string, unknown> {
    return {
      userAgent: {
        ...DEFAULT_USER_AGENT,
        ...(this.socket ? { deviceType: this.o.deviceType ?? "ANDROID" } : {}),
        ...this.o.userAgent,
      },
      deviceId: this.session?.deviceId ?? randomUUID(),
    };
  }

  private async onOpen(ctx: OpenContext<number>): Promise<void> {
    this.online = false;
    // Pushes that arrive while we log in and catch up wait, so history comes out first.
    this.buffer = [];
    let ok = false;
    try {
      await ctx.request(maxRpc.hello.opcode, this.helloPayload());
      const token = this.session?.token;
      if (token) {
        const wantCatchUp = this.everOnline && this.o.catchUp !== false;
        const previousSince = this.onlineSince;
        const answer = await ctx
          .request(maxRpc.loginByToken.opcode, {
            interactive: true,
            token,
            chatsCount: 100,
            chatsSync: 0,
            contactsSync: 0,
            presenceSync: 0,
            draftsSync: 0,
          })
          .catch((err: unknown) => tokenRefused(this, token, err));
        if (answer !== LOGGED_OUT) {
          const chats = this.afterTokenLogin(answer, !wantCatchUp);
          if (wantCatchUp) {
            // Until catch-up completes, the next one must still start from the old cursor.
            const loginTime = this.onlineSince;
            this.onlineSince = previousSince;
            await catchUp(this, ctx, chats, previousSince);
            this.onlineSince = loginTime;
          }
        }
      }
      ok = true;
    } finally {
      const pending = this.buffer ?? [];
      this.buffer = undefined;
      // History was read after some of these: only a message's newest edit / reaction push is
      // current (an older one would undo what catch-up delivered).
      const superseded = supersededChanges(pending);
      for (const [i, push] of pending.entries()) {
        if (superseded.has(i)) continue;
        // After a failed catch-up, buffered messages (new, edited, removed: all 128) and reaction
        // changes (155) are read again by the next one, from the same cursor; delivering them now
        // would skip the gap before them, or report a reaction on a message not delivered yet.
        if (!ok && (push.opcode === Opcode.NEW_MESSAGE || push.opcode === Opcode.REACTIONS_CHANGED)) continue;
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
    for (const waiter of [...this.uploadWaiters.values()]) waiter.reject(error);
    // A refused token the caller gave is not the stored one: the store is left alone. Awaited
    // either way, so the transport rejects connect() with this AuthError before "closed".
    const stored = this.session?.token !== undefined && !isGivenToken(this, this.session.token);
    await (stored && this.session
      ? this.saveSession({ ...this.session, token: undefined })
      : Promise.resolve()
    ).catch(() => undefined);
    this.closed = true;
    await this.transport.close(1000, "session revoked").catch(() => undefined);
    this.emitter.end();
  }

  closedError(): TransportError {
    return new TransportError("MAX client is closed", { platform: "max", code: "closed", retryable: false });
  }

  // ── requests ──────────────────────────────────────────────────────────────

  /**
   * Any opcode, any payload: the raw escape hatch (MaxClient.invoke). Not async: while the
   * socket is up it hands back the transport's own promise, so the answer reaches the caller
   * without the two promise hops an async wrapper adds (at 1 in flight this code runs before
   * V8 optimises it, where every hop shows). The transport reads only `signal` and `timeoutMs`.
   */
  invoke(opcode: number, payload: unknown, options: CallOptions = {}): Promise<unknown> {
    if (this.fatal || this.closed || this.transport.state === "disconnected") {
      return this.invokeAfterConnect(opcode, payload, options);
    }
    this.log.debug({ opcode }, "MAX request");
    return this.transport.request(opcode, payload, options);
  }

  /** invoke's cold path: refuses on a closed client, connects first when disconnected. */
  private async invokeAfterConnect(opcode: number, payload: unknown, options: CallOptions): Promise<unknown> {
    if (this.fatal) throw this.fatal;
    if (this.closed) throw this.closedError();
    if (this.transport.state === "disconnected")
      await this.connect(options.signal ? { signal: options.signal } : {});
    this.log.debug({ opcode }, "MAX request");
    return this.transport.request(opcode, payload, options);
  }

  /**
   * One method of the endpoint table (protocol/rpc.ts): the payload is checked with its request
   * schema first (ValidationError, nothing sent; it names fields, never values), and the answer
   * read with its lenient response schema (ApiError `bad_response` when it does not fit).
   */
  async call<K extends MaxMethod>(
    method: K,
    payload: RequestOf<MaxRpc[K]> | Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<ResponseOf<MaxRpc[K]>> {
    const endpoint = maxRpc[method];
    const what = `${method} (opcode ${endpoint.opcode})`;
    validateInput(endpoint.request, payload, { platform: "max", what: `invalid request for ${what}` });
    const answer = await this.invoke(endpoint.opcode, payload, options);
    return parseResponse(endpoint.response, isObject(answer) ? answer : {}, {
      platform: "max",
      what,
    }) as ResponseOf<MaxRpc[K]>;
  }

  // ── login bookkeeping ─────────────────────────────────────────────────────

  readProfile(raw: unknown): MaxProfile | undefined {
    if (!isObject(raw)) return undefined;
    const contact = toMaxUser(raw.contact ?? raw);
    if (!contact) return undefined;
    this.profile = { ...raw, contact };
    return this.profile;
  }

  /** Reads the 19 answer; on a first login, starts following every chat it lists from now. */
  afterTokenLogin(answer: unknown, baseline: boolean): MaxChat[] {
    const a = isObject(answer) ? answer : {};
    this.readProfile(a.profile);
    this.contacts = listOf(a, "contacts", toMaxUser);
    const chats = listOf(a, "chats", toMaxChat);
    if (baseline) {
      for (const chat of chats) this.tracker.track(chat.id, chat.lastMessage?.time ?? 0, chat.lastMessage);
    }
    this.markOnline(num(a.time) ?? Date.now());
    return chats;
  }

  markOnline(serverTime: number): void {
    this.online = true;
    this.everOnline = true;
    this.onlineSince = serverTime;
  }

  // ── pushes ────────────────────────────────────────────────────────────────

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
        if (!this.tracker.noteEdit(parsed.data.message)) return;
        this.emit("messageEdited", parsed.data);
        return;
      case "messageDeleted": {
        // Catch-up may have delivered these already: each delete once.
        const messageIds = this.tracker.noteRemoved(parsed.data.chatId, parsed.data.messageIds);
        if (messageIds.length > 0) this.emit("messageDeleted", { ...parsed.data, messageIds });
        return;
      }
      case "reaction": {
        const { chatId, messageId, counters, totalCount } = parsed.data;
        if (!this.tracker.noteReactions(chatId, messageId, counters, totalCount)) return;
        this.emit("reaction", parsed.data);
        return;
      }
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
}
