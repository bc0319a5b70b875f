/**
 * VkLiveClient: the VK Video Live DevAPI as one object. A thin facade: every method calls
 * through the endpoint table (client/transport.ts) and lives in its area's file (channels,
 * chat, streams, rewards; OAuth in oauth.ts, realtime in realtime.ts).
 *
 * Lifecycle: `new VkLiveClient({...})` → `connect()` (checks the credentials with one cheap call
 * and, when `channels` are given, opens realtime and subscribes their chats) → `on()` /
 * `events()` → calls with `{signal, timeoutMs}` last → `close()`. `state` tells where it is.
 */
import type { CallOptions, ClientOptions, PlatformClient } from "../../core/call.js";
import { type CredentialStore, MemoryCredentialStore } from "../../core/credentials.js";
import { type EmittedEvent, Emitter, type EventsOptions, type Listener } from "../../core/emitter.js";
import { TransportError, ValidationError } from "../../core/errors.js";
import type { ConnectionState } from "../../core/model.js";
import {
  type Category,
  type ChannelData,
  type ChatMemberData,
  type ChatMessage,
  type ChatSettings,
  type ChatSettingsEditBody,
  type CurrentUser,
  DEFAULT_API_URL,
  DEFAULT_AUTH_URL,
  DEFAULT_OAUTH_URL,
  DEFAULT_PUBSUB_URL,
  Paths,
  type Reward,
  type RewardDemand,
  type Scope,
  type StreamEditBody,
  type StreamInfo,
  type StreamRecord,
  type TokenInfo,
  type UserShort,
  type WebSocketChannels,
} from "../protocol/index.js";
import * as channels from "./channels.js";
import * as chat from "./chat.js";
import { ChatHandle } from "./handle.js";
import { authorizeUrl, type OAuthClient, type TokenManager, type TokenSet } from "./oauth.js";
import { type VkLiveEventMap, VkLiveRealtime } from "./realtime.js";
import * as rewards from "./rewards.js";
import { VkLiveSession } from "./session.js";
import * as streams from "./streams.js";
import { VkLiveTransport } from "./transport.js";

export { ChatHandle } from "./handle.js";

export interface VkLiveClientOptions extends ClientOptions<TokenSet> {
  /**
   * DevAPI base URL (default https://apidev.live.vkvideo.ru). When set and the other URLs are
   * not, the OAuth window, token endpoint and pubsub live on this same origin (the emulator).
   */
  url?: string;
  oauthUrl?: string;
  authUrl?: string;
  pubsubUrl?: string;
  clientId?: string;
  clientSecret?: string;
  redirectUri?: string;
  /**
   * `user` (default when tokens or stored credentials are given): Bearer user tokens, renewed
   * by refresh. `app`: Bearer app token from ClientCredentials, fetched and renewed
   * automatically. `basic`: the app secret on every call (server side only).
   */
  auth?: "user" | "app" | "basic";
  /** User tokens to start with (saved to `credentials` under `account`). */
  tokens?: TokenSet;
  /** Channel urls whose chat (and info) `connect()` subscribes to; realtime opens lazily otherwise. */
  channels?: readonly string[];
  /** Also the private channels (follows, reward demands) of `channels`, where the token may. */
  privateChannels?: boolean;
  /** Renew this long before expiry, default 60 s. */
  refreshSkewMs?: number;
  /** Retries of GETs on transport errors / 5xx / 429, and of any call answered 429. Default 2. */
  retries?: number;
  fetch?: typeof fetch;
}

export class VkLiveClient implements PlatformClient<VkLiveEventMap> {
  readonly platform = "vklive" as const;
  readonly account: string;
  readonly options: VkLiveClientOptions;
  readonly tokens: TokenManager;
  readonly oauth: OAuthClient | undefined;
  readonly credentials: CredentialStore<TokenSet>;
  readonly #emitter: Emitter<VkLiveEventMap>;
  readonly #t: VkLiveTransport;
  readonly #closed = new AbortController();
  readonly #session: VkLiveSession;
  #state: ConnectionState = "disconnected";
  #realtime: Promise<VkLiveRealtime> | undefined;
  #connecting: Promise<TokenInfo | undefined> | undefined;

  constructor(options: VkLiveClientOptions = {}) {
    this.options = options;
    this.account = options.account ?? "default";
    this.credentials = options.credentials ?? new MemoryCredentialStore<TokenSet>();
    this.#emitter = new Emitter({ platform: "vklive", logger: options.logger });
    this.#session = new VkLiveSession({
      ...options,
      account: this.account,
      credentials: this.credentials,
      storedCredentials: options.credentials !== undefined,
      oauthUrl: this.oauthUrl,
    });
    this.tokens = this.#session.tokens;
    this.oauth = this.#session.oauth;
    this.#t = new VkLiveTransport({
      baseUrl: options.url ?? DEFAULT_API_URL,
      timeoutMs: options.timeoutMs,
      retries: options.retries ?? 2,
      fetch: options.fetch,
      logger: options.logger,
      tokens: this.tokens,
      mode: () => this.#session.mode,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      closed: this.#closed.signal,
      ready: () => this.#session.load(),
    });
  }

  // ---------- lifecycle ----------

  get state(): ConnectionState {
    return this.#state;
  }

  /**
   * Checks the credentials with one cheap call (token info; the catalog for Basic) and, when
   * `channels` were given, opens realtime and subscribes to them. Resolves to the token's info
   * (undefined for Basic, and when the stored tokens were refused: they are removed from the
   * store and the client is logged out, so `exchangeCode` works on it). A second call while
   * connected answers at once.
   */
  connect(options: CallOptions = {}): Promise<TokenInfo | undefined> {
    if (this.#state === "closed")
      return Promise.reject(
        new TransportError("the client is closed", { platform: "vklive", code: "closed" }),
      );
    this.#connecting ??= (async () => {
      this.#setState("connecting");
      try {
        let info: TokenInfo | undefined;
        let loggedOut = false;
        if (this.#session.mode === "basic") await streams.onlineCategories(this.#t, { ...options, limit: 1 });
        else
          info = await channels.tokenInfo(this.#t, options).catch(async (err: unknown) => {
            // Stored tokens the server refused were removed: connected, logged out (undefined).
            if (!(await this.#session.storedTokensRefused(err))) throw err;
            loggedOut = true;
            return undefined;
          });
        if (!loggedOut) for (const url of this.options.channels ?? []) await this.subscribe(url, options);
        if (this.#state === "connecting") this.#setState("connected");
        return info;
      } catch (err) {
        this.#connecting = undefined;
        if (this.#state !== "closed")
          this.#setState("disconnected", err instanceof Error ? err.message : String(err));
        throw err;
      }
    })();
    return this.#connecting;
  }

  /** Ends realtime, pending calls and `events()` iterators. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#closed.abort(new TransportError("the client is closed", { platform: "vklive", code: "closed" }));
    const rt = this.#realtime;
    this.#realtime = undefined;
    if (rt) (await rt.catch(() => undefined))?.close();
    this.#setState("closed");
    this.#emitter.end();
  }

  on<K extends keyof VkLiveEventMap>(type: K, listener: Listener<VkLiveEventMap[K]>): () => void {
    return this.#emitter.on(type, listener);
  }

  off<K extends keyof VkLiveEventMap>(type: K, listener: Listener<VkLiveEventMap[K]>): void {
    this.#emitter.off(type, listener);
  }

  once<K extends keyof VkLiveEventMap>(type: K, listener: Listener<VkLiveEventMap[K]>): () => void {
    return this.#emitter.once(type, listener);
  }

  /** Events as a bounded async iterator (ends on close, or when `signal` aborts). */
  events<K extends keyof VkLiveEventMap = keyof VkLiveEventMap>(
    options?: EventsOptions<K>,
  ): AsyncIterableIterator<EmittedEvent<VkLiveEventMap, K>> {
    return this.#emitter.events(options);
  }

  #setState(state: ConnectionState, reason?: string): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#emitter.emit("state", reason === undefined ? { state } : { state, reason });
  }

  get oauthUrl(): string {
    return this.options.oauthUrl ?? this.options.url ?? DEFAULT_OAUTH_URL;
  }

  get authUrl(): string {
    return this.options.authUrl ?? this.options.url ?? DEFAULT_AUTH_URL;
  }

  get pubsubUrl(): string {
    if (this.options.pubsubUrl) return this.options.pubsubUrl;
    if (!this.options.url) return DEFAULT_PUBSUB_URL;
    const u = new URL(Paths.websocket, this.options.url);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    return u.toString();
  }

  // ---------- OAuth ----------

  /** The authorize window URL (CodeFlow by default; `responseType: "token"` for ImplicitFlow). */
  authorizeUrl(
    o: {
      scopes?: readonly Scope[];
      state?: string;
      responseType?: "code" | "token";
      redirectUri?: string;
    } = {},
  ): string {
    const clientId = this.options.clientId;
    const redirectUri = o.redirectUri ?? this.options.redirectUri;
    if (!clientId || !redirectUri) {
      throw new ValidationError("clientId and redirectUri are required", {
        platform: "vklive",
        code: "missing_param",
      });
    }
    return authorizeUrl({
      clientId,
      redirectUri,
      scopes: o.scopes,
      state: o.state,
      responseType: o.responseType,
      authUrl: this.authUrl,
    });
  }

  /** CodeFlow step 2: the code from the redirect → tokens (kept, and saved to `credentials`). */
  exchangeCode(code: string, o: CallOptions & { redirectUri?: string } = {}): Promise<TokenSet> {
    return this.#session.exchangeCode(code, o);
  }

  /** Refreshes now (parallel callers share one request). */
  refresh(_o: CallOptions = {}): Promise<TokenSet> {
    return this.#session.refresh();
  }

  /** ClientCredentials: an app token (not kept as the client's user tokens). */
  clientCredentials(o: CallOptions = {}): Promise<TokenSet> {
    return this.#session.needOAuth().clientCredentials(o);
  }

  /** Revokes a token (default: the current access token). */
  revoke(
    token?: string,
    hint: "access_token" | "refresh_token" = "access_token",
    o: CallOptions = {},
  ): Promise<void> {
    return this.#session.revoke(token, hint, o);
  }

  // ---------- realtime ----------

  websocketToken(o: CallOptions = {}): Promise<string> {
    return channels.websocketToken(this.#t, o);
  }

  subscriptionTokens(
    names: readonly string[],
    o: CallOptions = {},
  ): Promise<{ channel: string; token: string }[]> {
    return channels.subscriptionTokens(this.#t, names, o);
  }

  /**
   * The realtime connection of this client (one per client, connected on first use). Its
   * events reach this client's `on()` / `events()`; its states are this client's `state`.
   */
  realtime(o: CallOptions = {}): Promise<VkLiveRealtime> {
    if (this.#state === "closed")
      return Promise.reject(
        new TransportError("the client is closed", { platform: "vklive", code: "closed" }),
      );
    this.#realtime ??= (async () => {
      const rt = new VkLiveRealtime({
        url: this.pubsubUrl,
        getToken: () => this.websocketToken(),
        getSubscriptionToken: async (channel) =>
          (await this.subscriptionTokens([channel])).find((t) => t.channel === channel)?.token ?? "",
        timeoutMs: o.timeoutMs ?? this.options.timeoutMs,
        emitter: this.#emitter,
        logger: this.options.logger,
        onState: (state, reason) => {
          if (state !== "closed" && this.#state !== "closed") this.#setState(state, reason);
        },
      });
      try {
        await rt.connect();
      } catch (err) {
        rt.close();
        this.#realtime = undefined;
        throw err;
      }
      return rt;
    })();
    return this.#realtime;
  }

  /**
   * Subscribes to a channel's chat and info (and its private channels with `private`), opening
   * realtime if needed; events arrive on `on()` / `events()`. Returns the ws channel names.
   */
  async subscribe(channelUrl: string, o: CallOptions & { private?: boolean } = {}): Promise<string[]> {
    const ws = await this.wsChannels(channelUrl, o);
    const priv = o.private ?? this.options.privateChannels ?? false;
    const names = [ws.chat, ws.info, ...(priv ? [ws.private_info, ws.private_channel_points] : [])].filter(
      (n): n is string => typeof n === "string",
    );
    const rt = await this.realtime(o);
    await Promise.all(names.map((n) => rt.subscribe(n, o.timeoutMs)));
    return names;
  }

  // ---------- channel ----------

  channel(
    channelUrl: string,
    o: CallOptions & { withSourceUrls?: boolean; ip?: string } = {},
  ): Promise<ChannelData> {
    return channels.channel(this.#t, channelUrl, o);
  }

  channelCredentials(
    channelUrl: string,
    o: CallOptions & { slotUrl?: string } = {},
  ): Promise<{ token: string; url: string }> {
    return channels.channelCredentials(this.#t, channelUrl, o);
  }

  editStream(
    channelUrl: string,
    stream: StreamEditBody["stream"],
    o: CallOptions & { slotUrl?: string } = {},
  ): Promise<void> {
    return channels.editStream(this.#t, channelUrl, stream, o);
  }

  channels(urls: readonly string[], o: CallOptions = {}): Promise<ChannelData[]> {
    return channels.channels(this.#t, urls, o);
  }

  /** The ws channel names of a channel (from GET /v1/channel). */
  wsChannels(channelUrl: string, o: CallOptions = {}): Promise<WebSocketChannels> {
    return channels.wsChannels(this.#t, channelUrl, o);
  }

  // ---------- chat ----------

  chat(channelUrl: string): ChatHandle {
    return new ChatHandle(this, channelUrl);
  }

  chatMember(channelUrl: string, userId: number, o: CallOptions = {}): Promise<ChatMemberData> {
    return chat.chatMember(this.#t, channelUrl, userId, o);
  }

  chatMembers(channelUrl: string, limit?: number, o: CallOptions = {}): Promise<UserShort[]> {
    return chat.chatMembers(this.#t, channelUrl, limit, o);
  }

  /** Sends text, typed parts or raw parts. Not retried except on 429 (never sent twice). */
  sendMessage(
    channelUrl: string,
    content: chat.MessageContent,
    o: CallOptions & { streamId?: string } = {},
  ): Promise<void> {
    return chat.sendMessage(this.#t, channelUrl, content, o);
  }

  /** The newest `limit` messages, newest first. */
  chatMessages(channelUrl: string, limit = 50, o: CallOptions = {}): Promise<ChatMessage[]> {
    return chat.chatMessages(this.#t, channelUrl, limit, o);
  }

  chatSettings(channelUrl: string, o: CallOptions = {}): Promise<ChatSettings> {
    return chat.chatSettings(this.#t, channelUrl, o);
  }

  editChatSettings(
    channelUrl: string,
    settings: ChatSettingsEditBody["chat_settings"],
    o: CallOptions = {},
  ): Promise<void> {
    return chat.editChatSettings(this.#t, channelUrl, settings, o);
  }

  // ---------- catalog / category / stream ----------

  onlineChannels(
    o: CallOptions & { limit?: number; categoryId?: string; categoryType?: string } = {},
  ): Promise<ChannelData[]> {
    return streams.onlineChannels(this.#t, o);
  }

  onlineCategories(o: CallOptions & { limit?: number; categoryType?: string } = {}): Promise<Category[]> {
    return streams.onlineCategories(this.#t, o);
  }

  category(categoryId: string, o: CallOptions = {}): Promise<Category> {
    return streams.category(this.#t, categoryId, o);
  }

  searchCategories(query: string, type: string, limit = 20, o: CallOptions = {}): Promise<Category[]> {
    return streams.searchCategories(this.#t, query, type, limit, o);
  }

  stream(channelUrl: string, o: CallOptions = {}): Promise<StreamInfo | null> {
    return streams.stream(this.#t, channelUrl, o);
  }

  streamRecords(
    channelUrl: string,
    o: CallOptions & { limit?: number; offset?: number } = {},
  ): Promise<{ records: StreamRecord[]; isLast: boolean; offset: number }> {
    return streams.streamRecords(this.#t, channelUrl, o);
  }

  streamRecord(recordId: string, o: CallOptions & { withSourceUrls?: boolean } = {}): Promise<StreamRecord> {
    return streams.streamRecord(this.#t, recordId, o);
  }

  video(videoId: string, o: CallOptions = {}): Promise<Record<string, unknown>> {
    return streams.video(this.#t, videoId, o);
  }

  // ---------- user / roles / points / token ----------

  currentUser(o: CallOptions = {}): Promise<CurrentUser> {
    return channels.currentUser(this.#t, o);
  }

  channelRoles(
    channelUrl: string,
    o: CallOptions = {},
  ): Promise<{ roles: { id: string; name: string; users?: UserShort[] }[] }> {
    return channels.channelRoles(this.#t, channelUrl, o);
  }

  channelPoints(
    channelUrl: string,
    o: CallOptions = {},
  ): Promise<{ balance: number; channel_point?: unknown }> {
    return rewards.channelPoints(this.#t, channelUrl, o);
  }

  rewards(channelUrl: string, o: CallOptions = {}): Promise<Reward[]> {
    return rewards.rewards(this.#t, channelUrl, o);
  }

  activateReward(
    channelUrl: string,
    rewardId: string,
    message?: string,
    o: CallOptions = {},
  ): Promise<RewardDemand> {
    return rewards.activateReward(this.#t, channelUrl, rewardId, message, o);
  }

  rewardDemands(channelUrl: string, o: CallOptions & { limit?: number } = {}): Promise<RewardDemand[]> {
    return rewards.rewardDemands(this.#t, channelUrl, o);
  }

  resolveDemand(
    channelUrl: string,
    demandId: string,
    status: "approved" | "rejected",
    o: CallOptions = {},
  ): Promise<void> {
    return rewards.resolveDemand(this.#t, channelUrl, demandId, status, o);
  }

  tokenInfo(o: CallOptions = {}): Promise<TokenInfo> {
    return channels.tokenInfo(this.#t, o);
  }
}

export type { MessageContent } from "./chat.js";
