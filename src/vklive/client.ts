/**
 * Typed client of the VK Video Live DevAPI: one method per endpoint, user / app / Basic
 * authorization with automatic token renewal (before expiry and after a 401, single-flight),
 * errors typed by the `error` constant, 429 answered with backoff, AbortSignal everywhere.
 */
import type { z } from "zod";
import { backoffDelay, sleep } from "../core/backoff.js";
import { ApiError, AuthError, RateLimitError, ValidationError } from "../core/errors.js";
import { HttpClient, type HttpResponse, parseRetryAfter, type Query } from "../core/http.js";
import type { Logger } from "../core/log.js";
import { authorizeUrl, basicAuthHeader, OAuthClient, TokenManager, type TokenSet } from "./client/oauth.js";
import { type RealtimeEvent, VkLiveRealtime } from "./client/realtime.js";
import type { TokenStore } from "./client/token-store.js";
import {
  type Category,
  type ChannelData,
  ChannelTokens,
  type ChatMemberData,
  type ChatMessage,
  type ChatSettings,
  type ChatSettingsEditBody,
  type CurrentUser,
  DEFAULT_API_URL,
  DEFAULT_AUTH_URL,
  DEFAULT_OAUTH_URL,
  DEFAULT_PUBSUB_URL,
  ERROR_STATUS,
  ErrorBody,
  type ErrorCode,
  fromTypedParts,
  LIMITS,
  MessageSendBody,
  Paths,
  type Reward,
  type RewardDemand,
  type Scope,
  type SendPart,
  type StreamEditBody,
  type StreamInfo,
  type StreamRecord,
  type TokenInfo,
  type TypedPart,
  type UserShort,
  type VkEvent,
  type WebSocketChannels,
} from "./protocol/index.js";

export interface VkLiveClientOptions {
  /**
   * DevAPI base URL (default https://apidev.live.vkvideo.ru). When set and the other URLs are
   * not, the OAuth window, token endpoint and pubsub live on this same origin (the emulator).
   */
  baseUrl?: string;
  oauthUrl?: string;
  authUrl?: string;
  pubsubUrl?: string;
  clientId?: string;
  clientSecret?: string;
  redirectUri?: string;
  /**
   * `user` (default when tokens or a store are given): Bearer user tokens, renewed by refresh.
   * `app`: Bearer app token from ClientCredentials, fetched and renewed automatically.
   * `basic`: the app secret on every call (server side only).
   */
  auth?: "user" | "app" | "basic";
  tokens?: TokenSet;
  tokenStore?: TokenStore;
  /** Renew this long before expiry, default 60 s. */
  refreshSkewMs?: number;
  timeoutMs?: number;
  /** Retries of GETs on transport errors / 5xx / 429, and of any call answered 429. Default 2. */
  retries?: number;
  fetch?: typeof fetch;
  logger?: Logger;
}

export interface CallOptions {
  signal?: AbortSignal;
}

const AUTH_CODES = new Set(["unauthorized"]);

function validate<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  throw new ValidationError(`Invalid ${what}: ${issues.join("; ")}`, {
    platform: "vklive",
    code: "invalid_param",
    issues,
  });
}

function checkLimit(limit: number, max: number, name = "limit"): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new ValidationError(`${name} must be an integer from 1 to ${max}`, {
      platform: "vklive",
      code: "invalid_param",
      issues: [`${name}: 1..${max}`],
    });
  }
}

/** Maps an answer with `{error}` (or a bare error status) to the typed error family. */
export function mapVkError(res: HttpResponse<unknown>, method: string, url: string): Error | undefined {
  if (res.status < 400) return undefined;
  const body = ErrorBody.safeParse(res.data);
  const code = body.success ? body.data.error : `http_${res.status}`;
  const description = body.success ? body.data.error_description : undefined;
  const details = { method, url, status: res.status, error: code };
  const msg = `${method} ${url}: ${code}${description ? ` (${description})` : ""}`;
  if (res.status === 429 || code === "ratelimit_exceeded") {
    return new RateLimitError(msg, {
      platform: "vklive",
      code,
      details,
      retryAfterMs: parseRetryAfter(res.headers.get("retry-after")),
    });
  }
  if (res.status === 401 || AUTH_CODES.has(code))
    return new AuthError(msg, { platform: "vklive", code, details });
  const retryable = res.status >= 500 && res.status !== 501;
  return new ApiError(msg, { platform: "vklive", code, retryable, details });
}

/** Is `err` the DevAPI error `code`? (`isVkError(e, "send_too_fast")`) */
export function isVkError(err: unknown, code: ErrorCode): boolean {
  return (
    err instanceof Error &&
    "platform" in err &&
    (err as { platform: unknown }).platform === "vklive" &&
    (err as { code?: unknown }).code === code
  );
}

export { ERROR_STATUS };

interface Req {
  method: "GET" | "POST";
  path: string;
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

/** A channel's chat: read, send and stream. */
export class ChatHandle {
  constructor(
    readonly client: VkLiveClient,
    readonly channelUrl: string,
  ) {}

  messages(limit = 50, o?: CallOptions): Promise<ChatMessage[]> {
    return this.client.chatMessages(this.channelUrl, limit, o);
  }

  send(
    content: string | readonly TypedPart[] | readonly SendPart[],
    o?: CallOptions & { streamId?: string },
  ): Promise<void> {
    return this.client.sendMessage(this.channelUrl, content, o);
  }

  /**
   * Connects realtime (once per client) and yields the chat channel's events; also the
   * private channels the token gives access to when `private` is set.
   */
  async *events(o: { signal?: AbortSignal; private?: boolean } = {}): AsyncGenerator<RealtimeEvent> {
    const data = await this.client.channel(this.channelUrl, { signal: o.signal });
    const ws = data.channel.web_socket_channels ?? {};
    const rt = await this.client.realtime();
    const names = [
      ws.chat,
      ws.info,
      ...(o.private ? [ws.private_info, ws.private_channel_points] : []),
    ].filter((n): n is string => typeof n === "string");
    const wanted = new Set(names);
    const iter = rt.events(o.signal);
    await Promise.all(names.map((n) => rt.subscribe(n)));
    for await (const e of iter) if (wanted.has(e.channel)) yield e;
  }
}

export class VkLiveClient {
  readonly options: VkLiveClientOptions;
  readonly tokens: TokenManager;
  readonly oauth: OAuthClient | undefined;
  readonly #api: HttpClient;
  #mode: "user" | "app" | "basic" | "none";
  #realtime: Promise<VkLiveRealtime> | undefined;

  constructor(options: VkLiveClientOptions = {}) {
    this.options = options;
    const common = {
      platform: "vklive" as const,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      fetch: options.fetch,
      logger: options.logger,
      mapResponse: (res: HttpResponse<unknown>, ctx: { method: string; url: string }) =>
        mapVkError(res, ctx.method, ctx.url),
    };
    this.#api = new HttpClient({ ...common, baseUrl: options.baseUrl ?? DEFAULT_API_URL });
    const oauthHttp = new HttpClient({ ...common, baseUrl: this.oauthUrl });
    if (options.clientId && options.clientSecret) {
      this.oauth = new OAuthClient({
        http: oauthHttp,
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        redirectUri: options.redirectUri,
      });
    }
    const stored = options.tokens ?? options.tokenStore?.load();
    this.#mode =
      options.auth ?? (stored ? "user" : options.clientId && options.clientSecret ? "app" : "none");
    this.tokens = new TokenManager({
      tokens: this.#mode === "app" ? undefined : stored,
      skewMs: options.refreshSkewMs,
      onTokens: (t) => options.tokenStore?.save(t),
    });
    this.#setRenew();
  }

  /** User mode renews by refresh token; app mode fetches client-credentials tokens. */
  #setRenew(): void {
    const oauth = this.oauth;
    if (!oauth) return;
    if (this.#mode === "user") {
      this.tokens.setRenew((t) => {
        if (!t?.refreshToken) {
          return Promise.reject(
            new AuthError("the token expired and there is no refresh token: log in again", {
              platform: "vklive",
              code: "unauthorized",
            }),
          );
        }
        return oauth.refresh(t.refreshToken);
      });
    } else if (this.#mode === "app") {
      this.tokens.setRenew(() => oauth.clientCredentials(), true);
    }
  }

  get oauthUrl(): string {
    return this.options.oauthUrl ?? this.options.baseUrl ?? DEFAULT_OAUTH_URL;
  }

  get authUrl(): string {
    return this.options.authUrl ?? this.options.baseUrl ?? DEFAULT_AUTH_URL;
  }

  get pubsubUrl(): string {
    if (this.options.pubsubUrl) return this.options.pubsubUrl;
    if (!this.options.baseUrl) return DEFAULT_PUBSUB_URL;
    const u = new URL(Paths.websocket, this.options.baseUrl);
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

  /** CodeFlow step 2: the code from the redirect → tokens (kept and stored). */
  async exchangeCode(code: string, o: CallOptions & { redirectUri?: string } = {}): Promise<TokenSet> {
    const t = await this.#needOAuth().exchangeCode(code, o.redirectUri, o.signal);
    // From now on this client acts as the user who logged in.
    if (this.#mode !== "user") {
      this.#mode = "user";
      this.#setRenew();
    }
    this.tokens.set(t);
    this.options.tokenStore?.save(t);
    return t;
  }

  /** Refreshes now (parallel callers share one request). */
  refresh(): Promise<TokenSet> {
    return this.tokens.renew();
  }

  /** ClientCredentials: an app token (not kept as the client's user tokens). */
  clientCredentials(o: CallOptions = {}): Promise<TokenSet> {
    return this.#needOAuth().clientCredentials(o.signal);
  }

  /** Revokes a token (default: the current access token). */
  async revoke(
    token?: string,
    hint: "access_token" | "refresh_token" = "access_token",
    o: CallOptions = {},
  ): Promise<void> {
    const t = token ?? this.tokens.tokens?.accessToken;
    if (!t) throw new ValidationError("no token to revoke", { platform: "vklive", code: "missing_param" });
    await this.#needOAuth().revoke(t, hint, o.signal);
  }

  #needOAuth(): OAuthClient {
    if (!this.oauth) {
      throw new ValidationError("clientId and clientSecret are required for OAuth calls", {
        platform: "vklive",
        code: "missing_param",
      });
    }
    return this.oauth;
  }

  // ---------- transport ----------

  async #authHeader(): Promise<{ header?: string; token?: string }> {
    if (this.#mode === "basic") {
      const { clientId, clientSecret } = this.options;
      if (!clientId || !clientSecret)
        throw new AuthError("clientId and clientSecret are required", {
          platform: "vklive",
          code: "unauthorized",
        });
      return { header: basicAuthHeader(clientId, clientSecret) };
    }
    const token = await this.tokens.accessToken();
    return token ? { header: `Bearer ${token}`, token } : {};
  }

  async #call(req: Req): Promise<unknown> {
    const retries = Math.max(0, this.options.retries ?? 2);
    let renewed = false;
    for (let attempt = 1; ; attempt++) {
      const auth = await this.#authHeader();
      try {
        const res = await this.#api.request({
          method: req.method,
          path: req.path,
          query: req.query,
          json: req.body,
          headers: auth.header ? { authorization: auth.header } : {},
          signal: req.signal,
          // POSTs are retried here only on 429 (not processed); the HTTP layer retries GETs.
          retries: req.method === "GET" ? retries : 0,
        });
        return res.data;
      } catch (err) {
        if (err instanceof AuthError && !renewed && this.tokens.canRenew && this.#mode !== "basic") {
          renewed = true;
          const next = await this.tokens.afterUnauthorized(auth.token);
          if (next) continue;
        }
        if (err instanceof RateLimitError && req.method === "POST" && attempt <= retries) {
          await sleep(err.retryAfterMs ?? backoffDelay(attempt), req.signal, "vklive");
          continue;
        }
        throw err;
      }
    }
  }

  async #data<T>(req: Req): Promise<T> {
    const body = (await this.#call(req)) as { data?: T } | undefined;
    return (body?.data ?? {}) as T;
  }

  // ---------- websocket ----------

  async websocketToken(o: CallOptions = {}): Promise<string> {
    return (
      await this.#data<{ token: string }>({ method: "GET", path: "/v1/websocket/token", signal: o.signal })
    ).token;
  }

  async subscriptionTokens(
    channels: readonly string[],
    o: CallOptions = {},
  ): Promise<{ channel: string; token: string }[]> {
    const d = await this.#data<unknown>({
      method: "GET",
      path: "/v1/websocket/subscription_token",
      query: { channels: channels.join(",") },
      signal: o.signal,
    });
    const parsed = ChannelTokens.safeParse(d);
    return parsed.success ? parsed.data.channel_tokens : [];
  }

  /** The realtime connection of this client (one per client, connected on first use). */
  realtime(): Promise<VkLiveRealtime> {
    this.#realtime ??= (async () => {
      const rt = new VkLiveRealtime({
        url: this.pubsubUrl,
        getToken: () => this.websocketToken(),
        getSubscriptionToken: async (channel) =>
          (await this.subscriptionTokens([channel])).find((t) => t.channel === channel)?.token ?? "",
        timeoutMs: this.options.timeoutMs,
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

  /** Closes realtime (if open). */
  async close(): Promise<void> {
    const rt = this.#realtime;
    this.#realtime = undefined;
    if (rt) (await rt.catch(() => undefined))?.close();
  }

  // ---------- channel ----------

  channel(
    channelUrl: string,
    o: CallOptions & { withSourceUrls?: boolean; ip?: string } = {},
  ): Promise<ChannelData> {
    return this.#data({
      method: "GET",
      path: "/v1/channel",
      query: { channel_url: channelUrl, with_source_urls: o.withSourceUrls, ip: o.ip },
      signal: o.signal,
    });
  }

  channelCredentials(
    channelUrl: string,
    o: CallOptions & { slotUrl?: string } = {},
  ): Promise<{ token: string; url: string }> {
    return this.#data({
      method: "GET",
      path: "/v1/channel/credentials",
      query: { channel_url: channelUrl, slot_url: o.slotUrl },
      signal: o.signal,
    });
  }

  async editStream(
    channelUrl: string,
    stream: StreamEditBody["stream"],
    o: CallOptions & { slotUrl?: string } = {},
  ): Promise<void> {
    await this.#call({
      method: "POST",
      path: "/v1/channel/stream/edit",
      query: { channel_url: channelUrl, slot_url: o.slotUrl },
      body: { stream },
      signal: o.signal,
    });
  }

  async channels(urls: readonly string[], o: CallOptions = {}): Promise<ChannelData[]> {
    checkLimit(urls.length, LIMITS.channels, "channels");
    const d = await this.#data<{ channels?: ChannelData[] }>({
      method: "POST",
      path: "/v1/channels",
      body: { channels: urls.map((url) => ({ url })) },
      signal: o.signal,
    });
    return d.channels ?? [];
  }

  /** The ws channel names of a channel (from GET /v1/channel). */
  async wsChannels(channelUrl: string, o: CallOptions = {}): Promise<WebSocketChannels> {
    return (await this.channel(channelUrl, o)).channel.web_socket_channels ?? {};
  }

  // ---------- chat ----------

  chat(channelUrl: string): ChatHandle {
    return new ChatHandle(this, channelUrl);
  }

  chatMember(channelUrl: string, userId: number, o: CallOptions = {}): Promise<ChatMemberData> {
    return this.#data({
      method: "GET",
      path: "/v1/chat/member",
      query: { channel_url: channelUrl, user_id: userId },
      signal: o.signal,
    });
  }

  async chatMembers(
    channelUrl: string,
    limit: number = LIMITS.listLimit,
    o: CallOptions = {},
  ): Promise<UserShort[]> {
    checkLimit(limit, LIMITS.listLimit);
    const d = await this.#data<{ users?: UserShort[] }>({
      method: "GET",
      path: "/v1/chat/members",
      query: { channel_url: channelUrl, limit },
      signal: o.signal,
    });
    return d.users ?? [];
  }

  /** Sends text, typed parts or raw parts. Not retried except on 429 (never sent twice). */
  async sendMessage(
    channelUrl: string,
    content: string | readonly TypedPart[] | readonly SendPart[],
    o: CallOptions & { streamId?: string } = {},
  ): Promise<void> {
    let parts: SendPart[];
    if (typeof content === "string") parts = [{ text: { content } }];
    else if (content.every((p) => "type" in p)) parts = fromTypedParts(content as TypedPart[]);
    else parts = [...(content as SendPart[])];
    const body = validate(MessageSendBody, { parts }, "message");
    let length = 0;
    for (const p of body.parts)
      length += "text" in p ? p.text.content.length : "link" in p ? p.link.url.length : 0;
    if (length > LIMITS.messageLength) {
      throw new ValidationError(`message is longer than ${LIMITS.messageLength} characters`, {
        platform: "vklive",
        code: "message_too_long",
      });
    }
    await this.#call({
      method: "POST",
      path: "/v1/chat/message/send",
      query: { channel_url: channelUrl, stream_id: o.streamId },
      body,
      signal: o.signal,
    });
  }

  async chatMessages(channelUrl: string, limit = 50, o: CallOptions = {}): Promise<ChatMessage[]> {
    checkLimit(limit, LIMITS.listLimit);
    const d = await this.#data<{ chat_messages?: ChatMessage[] }>({
      method: "GET",
      path: "/v1/chat/messages",
      query: { channel_url: channelUrl, limit },
      signal: o.signal,
    });
    return d.chat_messages ?? [];
  }

  async chatSettings(channelUrl: string, o: CallOptions = {}): Promise<ChatSettings> {
    return (
      await this.#data<{ chat_settings: ChatSettings }>({
        method: "GET",
        path: "/v1/chat/settings",
        query: { channel_url: channelUrl },
        signal: o.signal,
      })
    ).chat_settings;
  }

  async editChatSettings(
    channelUrl: string,
    settings: ChatSettingsEditBody["chat_settings"],
    o: CallOptions = {},
  ): Promise<void> {
    await this.#call({
      method: "POST",
      path: "/v1/chat/settings/edit",
      query: { channel_url: channelUrl },
      body: { chat_settings: settings },
      signal: o.signal,
    });
  }

  // ---------- catalog / category ----------

  async onlineChannels(
    o: CallOptions & { limit?: number; categoryId?: string; categoryType?: string } = {},
  ): Promise<ChannelData[]> {
    const limit = o.limit ?? LIMITS.listLimit;
    checkLimit(limit, LIMITS.listLimit);
    const d = await this.#data<{ channels?: ChannelData[] }>({
      method: "GET",
      path: "/v1/catalog/online_channels",
      query: { limit, category_id: o.categoryId, category_type: o.categoryType },
      signal: o.signal,
    });
    return d.channels ?? [];
  }

  async onlineCategories(
    o: CallOptions & { limit?: number; categoryType?: string } = {},
  ): Promise<Category[]> {
    const limit = o.limit ?? LIMITS.listLimit;
    checkLimit(limit, LIMITS.listLimit);
    const d = await this.#data<{ categories?: Category[] }>({
      method: "GET",
      path: "/v1/catalog/online_categories",
      query: { limit, category_type: o.categoryType },
      signal: o.signal,
    });
    return d.categories ?? [];
  }

  async category(categoryId: string, o: CallOptions = {}): Promise<Category> {
    return (
      await this.#data<{ category: Category }>({
        method: "GET",
        path: "/v1/category",
        query: { category_id: categoryId },
        signal: o.signal,
      })
    ).category;
  }

  async searchCategories(query: string, type: string, limit = 20, o: CallOptions = {}): Promise<Category[]> {
    checkLimit(limit, LIMITS.listLimit);
    const d = await this.#data<{ categories?: Category[] }>({
      method: "GET",
      path: "/v1/category/search",
      query: { query, type, limit },
      signal: o.signal,
    });
    return d.categories ?? [];
  }

  // ---------- user / roles / points ----------

  currentUser(o: CallOptions = {}): Promise<CurrentUser> {
    return this.#data({ method: "GET", path: "/v1/current_user", signal: o.signal });
  }

  channelRoles(
    channelUrl: string,
    o: CallOptions = {},
  ): Promise<{ roles: { id: string; name: string; users?: UserShort[] }[] }> {
    return this.#data({
      method: "GET",
      path: "/v1/channel_roles",
      query: { channel_url: channelUrl },
      signal: o.signal,
    });
  }

  channelPoints(
    channelUrl: string,
    o: CallOptions = {},
  ): Promise<{ balance: number; channel_point?: unknown }> {
    return this.#data({
      method: "GET",
      path: "/v1/channel_point",
      query: { channel_url: channelUrl },
      signal: o.signal,
    });
  }

  async rewards(channelUrl: string, o: CallOptions = {}): Promise<Reward[]> {
    return (
      (
        await this.#data<{ rewards?: Reward[] }>({
          method: "GET",
          path: "/v1/channel_point/rewards",
          query: { channel_url: channelUrl },
          signal: o.signal,
        })
      ).rewards ?? []
    );
  }

  async activateReward(
    channelUrl: string,
    rewardId: string,
    message?: string,
    o: CallOptions = {},
  ): Promise<RewardDemand> {
    const reward: { id: string; message?: { parts: SendPart[] } } = { id: rewardId };
    if (message) reward.message = { parts: [{ text: { content: message } }] };
    return (
      await this.#data<{ demand: RewardDemand }>({
        method: "POST",
        path: "/v1/channel_point/reward/activate",
        query: { channel_url: channelUrl },
        body: { reward },
        signal: o.signal,
      })
    ).demand;
  }

  async rewardDemands(channelUrl: string, o: CallOptions & { limit?: number } = {}): Promise<RewardDemand[]> {
    if (o.limit !== undefined) checkLimit(o.limit, LIMITS.listLimit);
    return (
      (
        await this.#data<{ demands?: RewardDemand[] }>({
          method: "GET",
          path: "/v1/channel_point/reward/demands",
          query: { channel_url: channelUrl, limit: o.limit },
          signal: o.signal,
        })
      ).demands ?? []
    );
  }

  async resolveDemand(
    channelUrl: string,
    demandId: string,
    status: "approved" | "rejected",
    o: CallOptions = {},
  ): Promise<void> {
    await this.#call({
      method: "POST",
      path: "/v1/channel_point/reward/demand/resolve",
      query: { channel_url: channelUrl },
      body: { demand_id: demandId, status },
      signal: o.signal,
    });
  }

  // ---------- stream / records / video / token ----------

  async stream(channelUrl: string, o: CallOptions = {}): Promise<StreamInfo | null> {
    return (
      (
        await this.#data<{ stream: StreamInfo | null }>({
          method: "GET",
          path: "/v1/stream",
          query: { channel_url: channelUrl },
          signal: o.signal,
        })
      ).stream ?? null
    );
  }

  async streamRecords(
    channelUrl: string,
    o: CallOptions & { limit?: number; offset?: number } = {},
  ): Promise<{ records: StreamRecord[]; isLast: boolean; offset: number }> {
    const limit = o.limit ?? 20;
    checkLimit(limit, LIMITS.listLimit);
    const body = (await this.#call({
      method: "GET",
      path: "/v1/stream_records",
      query: { channel_url: channelUrl, limit, offset: o.offset },
      signal: o.signal,
    })) as
      | { data?: { stream_records?: StreamRecord[] }; extra?: { is_last?: boolean; offset?: number } }
      | undefined;
    return {
      records: body?.data?.stream_records ?? [],
      isLast: body?.extra?.is_last ?? true,
      offset: body?.extra?.offset ?? 0,
    };
  }

  async streamRecord(
    recordId: string,
    o: CallOptions & { withSourceUrls?: boolean } = {},
  ): Promise<StreamRecord> {
    return (
      await this.#data<{ stream_record: StreamRecord }>({
        method: "GET",
        path: "/v1/stream_record",
        query: { record_id: recordId, with_source_urls: o.withSourceUrls },
        signal: o.signal,
      })
    ).stream_record;
  }

  async video(videoId: string, o: CallOptions = {}): Promise<Record<string, unknown>> {
    return (
      await this.#data<{ video: Record<string, unknown> }>({
        method: "GET",
        path: "/v1/video",
        query: { video_id: videoId },
        signal: o.signal,
      })
    ).video;
  }

  tokenInfo(o: CallOptions = {}): Promise<TokenInfo> {
    return this.#data({ method: "GET", path: "/v1/token", signal: o.signal });
  }
}

export type { RealtimeEvent, TokenSet, VkEvent };
