/**
 * The one endpoint table of VK Video Live: every DevAPI method (`/v1/*`) and the OAuth server's
 * paths with their HTTP method, who may call them, their query / body schemas (strict: the
 * emulator enforces them and the client checks them before sending) and their response bodies
 * (lenient: unknown fields kept). The client's methods call through this table and the
 * emulator's routes are registered from it (test/vklive/endpoints.test.ts checks both ways).
 */
import { z } from "zod";
import { defineEndpoints, type HttpEndpoint, type HttpMethod } from "../../core/endpoint.js";
import { lenient } from "../../core/extra.js";
import { LIMITS, type Scope, TokenResponse } from "./base.js";
import {
  Category,
  ChannelData,
  ChannelsBody,
  ChannelTokens,
  ChatMemberData,
  ChatMessage,
  ChatSettings,
  ChatSettingsEditBody,
  Credentials,
  CurrentUser,
  DemandResolveBody,
  MessageSendBody,
  Reward,
  RewardActivateBody,
  RewardDemand,
  Role,
  StreamEditBody,
  StreamInfo,
  StreamRecord,
  TokenInfo,
  UserShort,
} from "./objects.js";

/**
 * Who may call: `none` (the authorize window), `client` (the app's id and secret: OAuth server),
 * `user` (a user's Bearer token only), `any` (a user token, an app token or the app's Basic secret).
 */
export type VkLiveAuth = "none" | "client" | "user" | "any";

export interface VkLiveEndpoint<
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> extends HttpEndpoint<z.ZodType, R, VkLiveAuth> {
  /** The scope a user token must carry. */
  scope?: Scope;
  /** Query parameters (values arrive as strings on the wire; numbers and booleans accepted too). */
  query?: Q;
  /** JSON body (`/v1`) or form fields (`/oauth/server`). */
  body?: B;
  /** The answer is the whole body (`{}` or `{data, extra}`), not `{data: …}`. */
  raw?: boolean;
}

// ---------- parameter schemas ----------

/** A wire string, or a number / boolean the client gives (turned into its wire string first). */
const wire = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === "number" || typeof v === "boolean" ? String(v) : v), schema);

const Url = z.string().min(1).max(200);
const Int = (min: number, max: number) =>
  wire(
    z
      .string()
      .regex(/^-?\d{1,16}$/)
      .transform(Number)
      .pipe(z.number().int().min(min).max(max)),
  );
const Limit = Int(1, LIMITS.listLimit);
const Bool = wire(z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1"));
const ChannelQ = z.object({ channel_url: Url });

/** `{data: schema}` (lenient). */
const data = <T extends z.ZodType>(schema: T) => lenient({ data: schema });
const Empty = lenient({});

/** The `request` of an entry: its query and body together, as the client gives them. */
function requestOf(query: z.ZodType | undefined, body: z.ZodType | undefined): z.ZodType {
  return z.strictObject({
    ...(query ? { query } : {}),
    ...(body ? { body } : {}),
  });
}

function endpoint<
  const P extends string,
  Q extends z.ZodType = z.ZodUndefined,
  B extends z.ZodType = z.ZodUndefined,
  R extends z.ZodType = z.ZodType,
>(def: {
  method: HttpMethod;
  path: P;
  auth: VkLiveAuth;
  scope?: Scope;
  query?: Q;
  body?: B;
  raw?: boolean;
  response: R;
}): VkLiveEndpoint<Q, B, R> & { path: P } {
  return { ...def, request: requestOf(def.query, def.body) };
}

// ---------- the table ----------

export const VKLIVE_ENDPOINTS = defineEndpoints({
  // OAuth (the window and the server).
  authorizeWindow: endpoint({
    method: "GET",
    path: "/app/oauth2/authorize",
    auth: "none",
    query: z.looseObject({ client_id: z.string(), redirect_uri: z.string(), response_type: z.string() }),
    raw: true,
    response: z.string(),
  }),
  authorizeDecision: endpoint({
    method: "POST",
    path: "/app/oauth2/authorize",
    auth: "none",
    body: z.looseObject({ consent: z.string(), decision: z.string() }),
    raw: true,
    response: z.string(),
  }),
  token: endpoint({
    method: "POST",
    path: "/oauth/server/token",
    auth: "client",
    body: z.looseObject({
      grant_type: z.enum(["authorization_code", "refresh_token", "client_credentials"]),
    }),
    raw: true,
    response: TokenResponse,
  }),
  revoke: endpoint({
    method: "POST",
    path: "/oauth/server/revoke",
    auth: "client",
    body: z.looseObject({ token: z.string().min(1), token_type_hint: z.string().optional() }),
    raw: true,
    response: Empty,
  }),

  // DevAPI
  websocketToken: endpoint({
    method: "GET",
    path: "/v1/websocket/token",
    auth: "any",
    response: data(lenient({ token: z.string() })),
  }),
  subscriptionTokens: endpoint({
    method: "GET",
    path: "/v1/websocket/subscription_token",
    auth: "user",
    query: z.object({ channels: z.string().max(10_000).optional() }),
    response: data(ChannelTokens),
  }),
  channel: endpoint({
    method: "GET",
    path: "/v1/channel",
    auth: "any",
    query: z.object({
      channel_url: Url,
      with_source_urls: Bool.optional(),
      ip: z.string().max(64).optional(),
    }),
    response: data(ChannelData),
  }),
  channelCredentials: endpoint({
    method: "GET",
    path: "/v1/channel/credentials",
    auth: "user",
    scope: "channel:credentials",
    query: z.object({ channel_url: Url, slot_url: Url.optional() }),
    response: data(Credentials),
  }),
  editStream: endpoint({
    method: "POST",
    path: "/v1/channel/stream/edit",
    auth: "user",
    scope: "channel:stream:settings",
    query: z.object({ channel_url: Url, slot_url: Url.optional() }),
    body: StreamEditBody,
    raw: true,
    response: Empty,
  }),
  channels: endpoint({
    method: "POST",
    path: "/v1/channels",
    auth: "any",
    body: ChannelsBody,
    response: data(lenient({ channels: z.array(ChannelData).default([]) })),
  }),
  chatMember: endpoint({
    method: "GET",
    path: "/v1/chat/member",
    auth: "any",
    query: z.object({ channel_url: Url, user_id: Int(1, Number.MAX_SAFE_INTEGER) }),
    response: data(ChatMemberData),
  }),
  chatMembers: endpoint({
    method: "GET",
    path: "/v1/chat/members",
    auth: "any",
    query: z.object({ channel_url: Url, limit: Limit }),
    response: data(lenient({ users: z.array(UserShort).default([]) })),
  }),
  sendMessage: endpoint({
    method: "POST",
    path: "/v1/chat/message/send",
    auth: "user",
    scope: "chat:message:send",
    query: z.object({ channel_url: Url, stream_id: z.string().max(100).optional() }),
    body: MessageSendBody,
    raw: true,
    response: Empty,
  }),
  chatMessages: endpoint({
    method: "GET",
    path: "/v1/chat/messages",
    auth: "any",
    query: z.object({ channel_url: Url, limit: Limit }),
    response: data(lenient({ chat_messages: z.array(ChatMessage).default([]) })),
  }),
  chatSettings: endpoint({
    method: "GET",
    path: "/v1/chat/settings",
    auth: "user",
    scope: "chat:settings",
    query: ChannelQ,
    response: data(lenient({ chat_settings: ChatSettings })),
  }),
  editChatSettings: endpoint({
    method: "POST",
    path: "/v1/chat/settings/edit",
    auth: "user",
    scope: "chat:settings",
    query: z.object({ channel_url: Url.optional() }),
    body: ChatSettingsEditBody,
    raw: true,
    response: Empty,
  }),
  onlineChannels: endpoint({
    method: "GET",
    path: "/v1/catalog/online_channels",
    auth: "any",
    query: z.object({
      limit: Limit,
      category_id: z.string().max(200).optional(),
      category_type: z.string().max(100).optional(),
    }),
    response: data(lenient({ channels: z.array(ChannelData).default([]) })),
  }),
  onlineCategories: endpoint({
    method: "GET",
    path: "/v1/catalog/online_categories",
    auth: "any",
    query: z.object({ limit: Limit, category_type: z.string().max(100).optional() }),
    response: data(lenient({ categories: z.array(Category).default([]) })),
  }),
  category: endpoint({
    method: "GET",
    path: "/v1/category",
    auth: "any",
    query: z.object({ category_id: z.string().min(1).max(200) }),
    response: data(lenient({ category: Category })),
  }),
  searchCategories: endpoint({
    method: "GET",
    path: "/v1/category/search",
    auth: "any",
    query: z.object({ query: z.string().min(1).max(200), type: z.string().min(1).max(100), limit: Limit }),
    response: data(lenient({ categories: z.array(Category).default([]) })),
  }),
  currentUser: endpoint({
    method: "GET",
    path: "/v1/current_user",
    auth: "user",
    response: data(CurrentUser),
  }),
  channelRoles: endpoint({
    method: "GET",
    path: "/v1/channel_roles",
    auth: "user",
    scope: "channel:roles",
    query: ChannelQ,
    response: data(lenient({ roles: z.array(Role.extend({ users: z.array(UserShort).optional() })) })),
  }),
  channelPoints: endpoint({
    method: "GET",
    path: "/v1/channel_point",
    auth: "user",
    scope: "channel:points",
    query: ChannelQ,
    response: data(lenient({ balance: z.number(), channel_point: z.unknown().optional() })),
  }),
  rewards: endpoint({
    method: "GET",
    path: "/v1/channel_point/rewards",
    auth: "any",
    query: ChannelQ,
    response: data(lenient({ rewards: z.array(Reward).default([]) })),
  }),
  activateReward: endpoint({
    method: "POST",
    path: "/v1/channel_point/reward/activate",
    auth: "user",
    scope: "channel:points",
    query: ChannelQ,
    body: RewardActivateBody,
    response: data(lenient({ demand: RewardDemand })),
  }),
  rewardDemands: endpoint({
    method: "GET",
    path: "/v1/channel_point/reward/demands",
    auth: "user",
    scope: "channel:points:rewards:demands",
    query: z.object({ channel_url: Url, limit: Limit.optional() }),
    response: data(lenient({ demands: z.array(RewardDemand).default([]) })),
  }),
  resolveDemand: endpoint({
    method: "POST",
    path: "/v1/channel_point/reward/demand/resolve",
    auth: "user",
    scope: "channel:points:rewards:demands",
    query: ChannelQ,
    body: DemandResolveBody,
    raw: true,
    response: Empty,
  }),
  stream: endpoint({
    method: "GET",
    path: "/v1/stream",
    auth: "any",
    query: ChannelQ,
    response: data(lenient({ stream: StreamInfo.nullish() })),
  }),
  streamRecords: endpoint({
    method: "GET",
    path: "/v1/stream_records",
    auth: "any",
    query: z.object({ channel_url: Url, limit: Limit, offset: Int(0, 1_000_000).optional() }),
    raw: true,
    // A plain object (unknown fields dropped, never refused): the wire's own `extra` is a field here.
    response: z.object({
      data: lenient({ stream_records: z.array(StreamRecord).default([]) }).optional(),
      extra: lenient({ is_last: z.boolean().optional(), offset: z.number().optional() }).optional(),
    }),
  }),
  streamRecord: endpoint({
    method: "GET",
    path: "/v1/stream_record",
    auth: "any",
    query: z.object({
      record_id: z.string().min(1).max(100),
      with_source_urls: Bool.optional(),
      ip: z.string().max(64).optional(),
      user_agent: z.string().max(1000).optional(),
    }),
    response: data(lenient({ stream_record: StreamRecord })),
  }),
  video: endpoint({
    method: "GET",
    path: "/v1/video",
    auth: "any",
    query: z.object({ video_id: z.string().min(1).max(100) }),
    response: data(lenient({ video: z.record(z.string(), z.unknown()) })),
  }),
  tokenInfo: endpoint({
    method: "GET",
    path: "/v1/token",
    auth: "any",
    response: data(TokenInfo),
  }),
});

export type VkLiveEndpointName = keyof typeof VKLIVE_ENDPOINTS;

/** The DevAPI entries (`/v1/*`): what the emulator's REST dispatcher serves. */
export const DEVAPI_ENDPOINTS = Object.entries(VKLIVE_ENDPOINTS)
  .filter(([, e]) => e.path.startsWith("/v1/"))
  .map(([name, e]) => ({ name: name as VkLiveEndpointName, ...(e as VkLiveEndpoint) }));

/** The OAuth window and server paths and the Centrifugo socket path (not a REST method). */
export const Paths = {
  authorize: VKLIVE_ENDPOINTS.authorizeWindow.path,
  token: VKLIVE_ENDPOINTS.token.path,
  revoke: VKLIVE_ENDPOINTS.revoke.path,
  websocket: "/connection/websocket",
} as const;
