/**
 * MaxBotClient: the typed client of the MAX Bot API (platform-api2.max.ru). A thin facade:
 * lifecycle, credentials, events and durable polling here; one method per endpoint in the area
 * files (bots, chats, messages, uploads, subscriptions), all going through `call(endpoint, …)`
 * over the protocol's endpoint table.
 */
import type { CallOptions, ClientEventMap, ClientOptions, PlatformClient } from "../../core/call.js";
import { type CredentialStore, MemoryCredentialStore, serverCredentials } from "../../core/credentials.js";
import { type EmittedEvent, Emitter, type EventsOptions, type Listener } from "../../core/emitter.js";
import { AuthError } from "../../core/errors.js";
import type { Logger } from "../../core/log.js";
import { silentLogger } from "../../core/log.js";
import type { ConnectionState } from "../../core/model.js";
import type { BotInfo } from "../protocol.js";
import { type BotsApi, botsApi } from "./bots.js";
import { type ChatsApi, chatsApi } from "./chats.js";
import { MaxBotCore, PLATFORM } from "./core.js";
import { type MessagesApi, messagesApi } from "./messages.js";
import {
  alreadyPolling,
  type PollingClient,
  type PollOptions,
  pollUpdates,
  type UpdateHandler,
} from "./polling.js";
import { type SubscriptionsApi, subscriptionsApi } from "./subscriptions.js";
import { type UploadsApi, uploadsApi } from "./uploads.js";

export type { MaxBotCallOptions, MaxBotInput, MaxBotOutput } from "./core.js";
export { FileMarkerStore, type MarkerStore, MemoryMarkerStore, markerKey } from "./markers.js";
export type { MessagesQuery, MessageTarget, SendMessageOptions } from "./messages.js";
export type { PollOptions, UpdateContext, UpdateHandler } from "./polling.js";
export type { GetUpdatesQuery, UpdateBatch } from "./subscriptions.js";
export type { UploadedAttachment, UploadSource } from "./uploads.js";

/** The production Bot API (the older platform-api.max.ru is deprecated). */
export const MAXBOT_DEFAULT_URL = "https://platform-api2.max.ru";

/** What a Bot API login is: the bot's token (and, once checked, its user id). */
export interface MaxBotCredentials {
  token: string;
  botId?: number;
}

export interface MaxBotClientOptions extends ClientOptions<MaxBotCredentials> {
  /** Base URL (default https://platform-api2.max.ru; a sandbox's http://127.0.0.1:8705). */
  url?: string;
  /** The bot's token; else the one stored under `account` in `credentials`. */
  token?: string;
  /** Retries of safe requests (and of any request refused with 429), default 3. */
  retries?: number;
  fetch?: typeof fetch;
  /** Bound of each `events()` iterator's buffer (default 10 000). */
  eventBuffer?: number;
}

export interface MaxBotClientEvents extends ClientEventMap {
  state: { state: ConnectionState; reason?: string };
  error: Error;
}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the area methods are assigned to the prototype at the end of this file
export class MaxBotClient extends MaxBotCore implements PlatformClient<MaxBotClientEvents> {
  readonly platform = "maxbot" as const;
  readonly account: string;
  readonly logger: Logger;
  readonly #credentials: CredentialStore<MaxBotCredentials>;
  readonly #emitter: Emitter<MaxBotClientEvents>;
  #closed = new AbortController();
  #state: ConnectionState = "disconnected";
  #token: string | undefined;
  #me: BotInfo | undefined;
  #connecting: Promise<BotInfo> | undefined;
  #polling = false;

  constructor(options: MaxBotClientOptions = {}) {
    const box: { self?: MaxBotClient } = {};
    const url = options.url ?? MAXBOT_DEFAULT_URL;
    super({
      url,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      fetch: options.fetch,
      logger: options.logger,
      token: () => (box.self as MaxBotClient).#token,
      closed: () => (box.self as MaxBotClient).#closed.signal,
    });
    box.self = this;
    this.account = options.account ?? "default";
    this.logger = options.logger ?? silentLogger;
    this.#token = options.token;
    // Tokens are kept per server URL + account: a sandbox token is never sent to production.
    this.#credentials = serverCredentials(options.credentials ?? new MemoryCredentialStore(), {
      url,
      productionUrl: MAXBOT_DEFAULT_URL,
      logger: options.logger,
      platform: "maxbot",
    });
    this.#emitter = new Emitter({
      platform: PLATFORM,
      logger: options.logger,
      bufferSize: options.eventBuffer,
    });
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The bot as `GET /me` answered it on connect (undefined before). */
  get me(): BotInfo | undefined {
    return this.#me;
  }

  /**
   * Checks the token with `GET /me` (AuthError `verify.token` when it is wrong or missing) and
   * keeps it in the credential store; answers the bot.
   */
  connect(options: CallOptions = {}): Promise<BotInfo> {
    if (this.#closed.signal.aborted) this.#reopen();
    if (this.#state === "connected" && this.#me) return Promise.resolve(this.#me);
    this.#connecting ??= this.#connect(options).finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connect(options: CallOptions): Promise<BotInfo> {
    this.#setState("connecting");
    try {
      this.#token ??= (await this.#credentials.load(this.account))?.token;
      if (this.#token === undefined)
        throw new AuthError("MAX Bot API: no token (give `token` or store one for this account)", {
          platform: PLATFORM,
          code: "verify.token",
        });
      const me = await this.getMe(options);
      await this.#credentials.save(this.account, { token: this.#token, botId: me.user_id });
      this.#me = me;
      this.#setState("connected");
      return me;
    } catch (err) {
      this.#setState("disconnected", err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  /** The bot's user id (connects first when needed). */
  async botId(options: CallOptions = {}): Promise<number> {
    return (this.#me ?? (await this.connect(options))).user_id;
  }

  /**
   * Long polling with durable, after-the-fact commits: `handler` runs for each update in order and
   * the batch's marker is saved to `markerStore` (then sent, committing the batch on the server)
   * only after the last handler of the batch returned. Resolves when `signal` aborts or the
   * client closes; rejects when a handler throws (its batch stays uncommitted: delivered again
   * next time) or the token is refused. One poller per client at a time.
   */
  async poll(handler: UpdateHandler, options: PollOptions = {}): Promise<void> {
    if (this.#polling) throw alreadyPolling();
    if (this.#closed.signal.aborted) this.#reopen();
    this.#polling = true;
    try {
      const client: PollingClient = {
        url: this.url,
        logger: this.logger,
        getUpdates: (query, o) => this.getUpdates(query, o),
        botId: (o) => this.botId(o),
        onState: (state, reason) => this.#setState(state, reason),
      };
      await pollUpdates(client, handler, options, this.#closed.signal);
    } finally {
      this.#polling = false;
    }
  }

  /** Ends `events()` iterators, stops polling and fails calls in flight. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#closed.abort();
    this.#setState("closed");
    this.#emitter.end();
  }

  #reopen(): void {
    this.#closed = new AbortController();
    this.#emitter.reopen();
    this.#state = "disconnected";
  }

  on<K extends keyof MaxBotClientEvents>(type: K, listener: Listener<MaxBotClientEvents[K]>): () => void {
    return this.#emitter.on(type, listener);
  }

  off<K extends keyof MaxBotClientEvents>(type: K, listener: Listener<MaxBotClientEvents[K]>): void {
    this.#emitter.off(type, listener);
  }

  once<K extends keyof MaxBotClientEvents>(type: K, listener: Listener<MaxBotClientEvents[K]>): () => void {
    return this.#emitter.once(type, listener);
  }

  events<K extends keyof MaxBotClientEvents = keyof MaxBotClientEvents>(
    options?: EventsOptions<K>,
  ): AsyncIterableIterator<EmittedEvent<MaxBotClientEvents, K>> {
    return this.#emitter.events(options);
  }

  #setState(state: ConnectionState, reason?: string): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#emitter.emit("state", reason === undefined ? { state } : { state, reason });
  }
}

// The per-area methods (client/chats.ts …) are MaxBotClient's own: one prototype, one interface.
export interface MaxBotClient extends BotsApi, ChatsApi, MessagesApi, UploadsApi, SubscriptionsApi {}
Object.assign(MaxBotClient.prototype, botsApi, chatsApi, messagesApi, uploadsApi, subscriptionsApi);
