/**
 * VK Video Live DevAPI (seed 003): endpoints, field names, error constants, scopes, realtime
 * events and webhooks as zod schemas. Response schemas are loose (unknown fields kept) so the
 * client survives new server fields; request schemas are what the emulator enforces.
 */
import { z } from "zod";

export const DEFAULT_API_URL = "https://apidev.live.vkvideo.ru";
export const DEFAULT_AUTH_URL = "https://auth.live.vkvideo.ru";
export const DEFAULT_OAUTH_URL = "https://api.live.vkvideo.ru";
export const DEFAULT_PUBSUB_URL = "wss://pubsub-dev.live.vkvideo.ru/connection/websocket";

export const Paths = {
  authorize: "/app/oauth2/authorize",
  token: "/oauth/server/token",
  revoke: "/oauth/server/revoke",
  websocket: "/connection/websocket",
} as const;

export const LIMITS = {
  /** `limit` of chat/members, chat/messages and the catalog. */
  listLimit: 200,
  /** `channels` of POST /v1/channels. */
  channels: 100,
  /** Characters of one chat message (all text parts together). */
  messageLength: 500,
  parts: 100,
  bodyBytes: 1024 * 1024,
} as const;

// ---------- errors ----------

/** Every `error` constant of the DevAPI with its HTTP status. */
export const ERROR_STATUS = {
  invalid_param: 400,
  missing_param: 400,
  unauthorized: 401,
  forbidden: 403,
  invalid_scope: 403,
  not_found: 404,
  unknown_api_method: 404,
  unprocessable_entity: 422,
  ratelimit_exceeded: 429,
  internal_server_error: 500,
  service_unavailable: 503,
  channel_not_found: 404,
  channel_banned: 403,
  message_too_long: 400,
  same_message: 400,
  send_too_fast: 400,
  // OAuth token endpoint (RFC 6749 names, answered by /oauth/server/*).
  invalid_grant: 400,
  unsupported_grant_type: 400,
  access_denied: 403,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_DESCRIPTION: Record<ErrorCode, string> = {
  invalid_param: "Invalid parameter",
  missing_param: "Missing required parameter",
  unauthorized: "Not authorized",
  forbidden: "Access to resource forbidden",
  invalid_scope: "Scope is not granted to the application",
  not_found: "Not found",
  unknown_api_method: "Unknown API method",
  unprocessable_entity: "Unprocessable entity",
  ratelimit_exceeded: "Rate limit exceeded",
  internal_server_error: "Internal server error",
  service_unavailable: "Service unavailable",
  channel_not_found: "Channel not found",
  channel_banned: "Channel banned",
  message_too_long: "Text too long",
  same_message: "Message is the same",
  send_too_fast: "Sending messages too fast",
  invalid_grant: "Invalid or expired grant",
  unsupported_grant_type: "Unsupported grant_type",
  access_denied: "The user denied access",
};

export const ErrorBody = z.looseObject({
  error: z.string(),
  error_description: z.string().optional(),
  data: z.unknown().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

// ---------- scopes ----------

export const SCOPES = [
  "channel:credentials",
  "channel:stream:settings",
  "channel:roles",
  "channel:points",
  "channel:points:rewards",
  "channel:points:rewards:demands",
  "chat:settings",
  "chat:message:send",
] as const;
export type Scope = (typeof SCOPES)[number];
export const ScopeSchema = z.enum(SCOPES);

// ---------- OAuth ----------

/** CodeFlow / refresh answer. */
export const TokenResponse = z.looseObject({
  access_token: z.string(),
  refresh_token: z.string().optional(),
  expires_in: z.number().optional(),
  /** ClientCredentials names the lifetime `expire_time` (seconds from issue). */
  expire_time: z.number().optional(),
  token_type: z.string(),
  state: z.string().optional(),
  scope: z.string().optional(),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

/** ImplicitFlow: the `#fragment` of the redirect. */
export interface ImplicitToken {
  access_token: string;
  state?: string;
  /** Unix time (seconds) when the token expires. */
  expire_time: number;
  token_type: "Bearer";
}

export const GrantType = z.enum(["authorization_code", "refresh_token", "client_credentials"]);

// ---------- shared objects ----------

export const Category = z.looseObject({
  id: z.string(),
  title: z.string(),
  type: z.string(),
  cover_url: z.string().optional(),
  counters: z.looseObject({ viewers: z.number() }).optional(),
});
export type Category = z.infer<typeof Category>;

export const Badge = z.looseObject({
  id: z.string(),
  name: z.string(),
  achievement_name: z.string().optional(),
  small_url: z.string().optional(),
  medium_url: z.string().optional(),
  large_url: z.string().optional(),
});
export const Role = z.looseObject({
  id: z.string(),
  name: z.string(),
  small_url: z.string().optional(),
  medium_url: z.string().optional(),
  large_url: z.string().optional(),
});

export const UserShort = z.looseObject({
  id: z.number(),
  nick: z.string(),
  nick_color: z.number().optional(),
  avatar_url: z.string().optional(),
  is_owner: z.boolean().optional(),
  is_moderator: z.boolean().optional(),
  badges: z.array(Badge).optional(),
  roles: z.array(Role).optional(),
});
export type UserShort = z.infer<typeof UserShort>;

export const WS_CHANNEL_KINDS = [
  "chat",
  "private_chat",
  "info",
  "private_info",
  "channel_points",
  "private_channel_points",
  "limited_chat",
  "limited_private_chat",
] as const;
export type WsChannelKind = (typeof WS_CHANNEL_KINDS)[number];
export const WebSocketChannels = z.looseObject(
  Object.fromEntries(WS_CHANNEL_KINDS.map((k) => [k, z.string().optional()])) as Record<
    WsChannelKind,
    z.ZodOptional<z.ZodString>
  >,
);
export type WebSocketChannels = z.infer<typeof WebSocketChannels>;

export const ChannelInfo = z.looseObject({
  id: z.number(),
  url: z.string(),
  nick: z.string().optional(),
  nick_color: z.number().optional(),
  status: z.string(),
  avatar_url: z.string().optional(),
  counters: z.looseObject({ subscribers: z.number() }).optional(),
  web_socket_channels: WebSocketChannels.optional(),
});
export type ChannelInfo = z.infer<typeof ChannelInfo>;

export const StreamInfo = z.looseObject({
  id: z.string(),
  title: z.string(),
  status: z.string(),
  started_at: z.number().optional(),
  ended_at: z.number().optional(),
  planned_at: z.number().optional(),
  category: Category.optional(),
  counters: z.looseObject({ viewers: z.number(), views: z.number() }).partial().optional(),
  source_urls: z.array(z.looseObject({ type: z.string(), url: z.string() })).optional(),
});
export type StreamInfo = z.infer<typeof StreamInfo>;

export const ChannelData = z.looseObject({
  channel: ChannelInfo,
  owner: UserShort.optional(),
  stream: StreamInfo.nullish(),
});
export type ChannelData = z.infer<typeof ChannelData>;

// ---------- chat parts ----------

/** A part as sent: exactly one of link / mention / smile / text. */
export const SendPart = z.union([
  z.strictObject({ text: z.strictObject({ content: z.string() }) }),
  z.strictObject({ link: z.strictObject({ url: z.string().min(1).max(2048) }) }),
  z.strictObject({ mention: z.strictObject({ id: z.number().int().positive() }) }),
  z.strictObject({ smile: z.strictObject({ id: z.string().min(1).max(200) }) }),
]);
export type SendPart = z.infer<typeof SendPart>;

export const MessageSendBody = z.strictObject({
  parts: z.array(SendPart).min(1).max(LIMITS.parts),
});
export type MessageSendBody = z.infer<typeof MessageSendBody>;

/** A part as received. */
export const Part = z.looseObject({
  text: z.looseObject({ content: z.string() }).optional(),
  mention: z.looseObject({ id: z.number(), nick: z.string().optional() }).optional(),
  smile: z
    .looseObject({
      id: z.string(),
      name: z.string().optional(),
      animated: z.boolean().optional(),
      small_url: z.string().optional(),
      medium_url: z.string().optional(),
      large_url: z.string().optional(),
    })
    .optional(),
  link: z.looseObject({ url: z.string(), content: z.string().optional() }).optional(),
});
export type Part = z.infer<typeof Part>;

/** Parts in a typed, discriminated form (`parts` ⇄ typed parts). */
export type TypedPart =
  | { type: "text"; content: string }
  | { type: "mention"; id: number; nick?: string }
  | { type: "smile"; id: string; name?: string; animated?: boolean; url?: string }
  | { type: "link"; url: string; content?: string };

export function toTypedParts(parts: readonly Part[]): TypedPart[] {
  const out: TypedPart[] = [];
  for (const p of parts) {
    if (p.text) out.push({ type: "text", content: p.text.content });
    else if (p.mention) out.push({ type: "mention", id: p.mention.id, nick: p.mention.nick });
    else if (p.smile) {
      out.push({
        type: "smile",
        id: p.smile.id,
        name: p.smile.name,
        animated: p.smile.animated,
        url: p.smile.medium_url ?? p.smile.small_url ?? p.smile.large_url,
      });
    } else if (p.link) out.push({ type: "link", url: p.link.url, content: p.link.content });
  }
  return out;
}

export function fromTypedParts(parts: readonly TypedPart[]): SendPart[] {
  return parts.map((p): SendPart => {
    if (p.type === "text") return { text: { content: p.content } };
    if (p.type === "mention") return { mention: { id: p.id } };
    if (p.type === "smile") return { smile: { id: p.id } };
    return { link: { url: p.url } };
  });
}

/** Plain text of parts, as a reader would see it. */
export function partsText(parts: readonly Part[]): string {
  return toTypedParts(parts)
    .map((p) =>
      p.type === "text"
        ? p.content
        : p.type === "mention"
          ? `@${p.nick ?? p.id}`
          : p.type === "smile"
            ? `:${p.name ?? p.id}:`
            : (p.content ?? p.url),
    )
    .join("");
}

export const ChatMessage = z.looseObject({
  id: z.number(),
  created_at: z.number(),
  is_private: z.boolean().optional(),
  author: UserShort,
  parts: z.array(Part),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

export const ChatSettings = z.looseObject({
  allow_access: z.string(),
  allow_access_after: z.number(),
  any_message_timeout: z.number(),
  follow_alert: z.boolean(),
  mode: z
    .looseObject({
      general: z
        .looseObject({
          is_caps_prohibited: z.boolean(),
          is_links_prohibited: z.boolean(),
          is_ru_en_numbers: z.boolean(),
        })
        .partial()
        .optional(),
      only_smiles: z.looseObject({}).optional(),
    })
    .optional(),
  same_message_timeout: z.number(),
  subscription_alert: z.boolean(),
});
export type ChatSettings = z.infer<typeof ChatSettings>;

/** Who may write: everyone, followers (for `allow_access_after` s), or only owner/moderators. */
export const ALLOW_ACCESS = ["all", "followers", "subscribers", "moderators"] as const;

export const ChatSettingsEditBody = z.strictObject({
  chat_settings: z.strictObject({
    allow_access: z.enum(ALLOW_ACCESS).optional(),
    allow_access_after: z.number().int().min(0).max(31_536_000).optional(),
    any_message_timeout: z.number().int().min(0).max(86_400).optional(),
    follow_alert: z.boolean().optional(),
    mode: z
      .strictObject({
        general: z
          .strictObject({
            is_caps_prohibited: z.boolean().optional(),
            is_links_prohibited: z.boolean().optional(),
            is_ru_en_numbers: z.boolean().optional(),
          })
          .optional(),
        only_smiles: z.strictObject({}).optional(),
      })
      .optional(),
    same_message_timeout: z.number().int().min(0).max(86_400).optional(),
    subscription_alert: z.boolean().optional(),
  }),
});
export type ChatSettingsEditBody = z.infer<typeof ChatSettingsEditBody>;

export const ChatMemberData = z.looseObject({
  channel: z.looseObject({ status: z.string(), url: z.string() }).optional(),
  statistics: z
    .looseObject({
      chat_messages_count: z.number(),
      permanent_bans_count: z.number(),
      temporary_bans_count: z.number(),
      total_watched_time: z.number(),
    })
    .partial()
    .optional(),
  user: UserShort.extend({ registered_at: z.number().optional() }),
});
export type ChatMemberData = z.infer<typeof ChatMemberData>;

// ---------- channel / stream edits ----------

export const StreamEditBody = z.strictObject({
  stream: z.strictObject({
    category: z
      .strictObject({
        id: z.string().max(200),
        title: z.string().max(200).optional(),
        type: z.string().max(100).optional(),
        cover_url: z.string().max(2048).optional(),
      })
      .optional(),
    planned_at: z.number().int().min(0).optional(),
    title: z.string().max(140).optional(),
  }),
});
export type StreamEditBody = z.infer<typeof StreamEditBody>;

export const ChannelsBody = z.strictObject({
  channels: z
    .array(z.strictObject({ url: z.string().min(1).max(200) }))
    .min(1)
    .max(LIMITS.channels),
});

export const Credentials = z.looseObject({ token: z.string(), url: z.string() });

// ---------- channel points ----------

export const Reward = z.looseObject({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  price: z.number(),
  is_enabled: z.boolean().optional(),
  is_message_required: z.boolean().optional(),
});
export type Reward = z.infer<typeof Reward>;

export const RewardDemand = z.looseObject({
  id: z.string(),
  reward: Reward,
  user: UserShort,
  message: z.looseObject({ parts: z.array(Part) }).nullish(),
  status: z.string(),
  created_at: z.number(),
});
export type RewardDemand = z.infer<typeof RewardDemand>;

export const RewardActivateBody = z.strictObject({
  reward: z.strictObject({
    id: z.string().min(1).max(100),
    message: z.strictObject({ parts: z.array(SendPart).min(1).max(LIMITS.parts) }).optional(),
  }),
});

export const DemandResolveBody = z.strictObject({
  demand_id: z.string().min(1).max(100),
  status: z.enum(["approved", "rejected"]),
});

export const StreamRecord = z.looseObject({
  id: z.string(),
  title: z.string(),
  created_at: z.number(),
  duration: z.number(),
  stream_started_at: z.number().optional(),
  video_id: z.string().optional(),
  preview_url: z.string().optional(),
  category: Category.optional(),
  counters: z.looseObject({ views: z.number() }).optional(),
});
export type StreamRecord = z.infer<typeof StreamRecord>;

export const TokenInfo = z.looseObject({ expired_at: z.number(), type: z.string() });
export type TokenInfo = z.infer<typeof TokenInfo>;

export const CurrentUser = z.looseObject({
  user: UserShort.extend({ registered_at: z.number().optional() }),
  channel: z.looseObject({ id: z.number(), url: z.string() }).nullish(),
});
export type CurrentUser = z.infer<typeof CurrentUser>;

export const ChannelTokens = z.looseObject({
  channel_tokens: z.array(z.looseObject({ channel: z.string(), token: z.string() })),
});

// ---------- realtime events ----------

export const EVENT_TYPES = [
  "channel_chat_message_send",
  "channel_chat_message_delete",
  "channel_follow_create",
  "channel_raid_income",
  "channel_points_reward_demand_create",
  "channel_stream_start",
  "channel_stream_end",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface EventDataMap {
  channel_chat_message_send: { chat_message: ChatMessage; channel_url: string };
  channel_chat_message_delete: { chat_message: { id: number }; channel_url: string };
  channel_follow_create: { user: UserShort; channel_url: string };
  channel_raid_income: {
    from_channel: { id: number; url: string; nick?: string };
    viewers: number;
    channel_url: string;
  };
  channel_points_reward_demand_create: { demand: RewardDemand; channel_url: string };
  channel_stream_start: { stream: StreamInfo; channel_url: string };
  channel_stream_end: { stream: StreamInfo; channel_url: string };
}

export type VkEvent = { [K in EventType]: { type: K; data: EventDataMap[K] } }[EventType];

/** The payload a Centrifugo publication carries (`pub.data`). */
export const EventEnvelope = z.looseObject({ type: z.string(), data: z.looseObject({}) });

/** Which ws channel (kind) carries which event type. */
export const EVENT_CHANNEL: Record<EventType, WsChannelKind> = {
  channel_chat_message_send: "chat",
  channel_chat_message_delete: "chat",
  channel_follow_create: "private_info",
  channel_raid_income: "info",
  channel_points_reward_demand_create: "private_channel_points",
  channel_stream_start: "info",
  channel_stream_end: "info",
};

/** Centrifugo channel names of a channel id; `$` prefix = needs a subscription token. */
export function wsChannelNames(channelId: number): Record<WsChannelKind, string> {
  return {
    chat: `channel-chat:${channelId}`,
    private_chat: `$channel-chat-private:${channelId}`,
    info: `channel-info:${channelId}`,
    private_info: `$channel-info-private:${channelId}`,
    channel_points: `channel-points:${channelId}`,
    private_channel_points: `$channel-points-private:${channelId}`,
    limited_chat: `$limited-chat:${channelId}`,
    limited_private_chat: `$limited-chat-private:${channelId}`,
  };
}

export function parseWsChannel(name: string): { kind: WsChannelKind; channelId: number } | undefined {
  const m = /^(\$?)([a-z-]+):([1-9][0-9]{0,15})$/.exec(name);
  if (!m) return undefined;
  const id = Number(m[3]);
  const names = wsChannelNames(id);
  for (const kind of WS_CHANNEL_KINDS) if (names[kind] === name) return { kind, channelId: id };
  return undefined;
}

// ---------- webhooks ----------

export const WebhookEvent = z.looseObject({
  id: z.string().min(1),
  time: z.number(),
  user_id: z.number(),
  type: z.string(),
  data: z.unknown(),
});
export type WebhookEvent = z.infer<typeof WebhookEvent>;

export const WEBHOOK_STATUSES = [
  "ok",
  "already_processed",
  "not_linked",
  "invalid_signature",
  "unprocessable",
] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

export const WebhookReply = z.looseObject({ id: z.string(), status: z.enum(WEBHOOK_STATUSES) });
export type WebhookReply = z.infer<typeof WebhookReply>;

// ---------- Centrifugo client protocol v2 (JSON) ----------

/** Centrifugo reply error codes used by the emulator. */
export const CentrifugoError = {
  internal: { code: 100, message: "internal server error" },
  unauthorized: { code: 101, message: "unauthorized" },
  unknownChannel: { code: 102, message: "unknown channel" },
  permissionDenied: { code: 103, message: "permission denied" },
  methodNotFound: { code: 104, message: "method not found" },
  alreadySubscribed: { code: 105, message: "already subscribed" },
  limitExceeded: { code: 106, message: "limit exceeded" },
  badRequest: { code: 107, message: "bad request" },
  notAvailable: { code: 108, message: "not available" },
  tokenExpired: { code: 109, message: "token expired" },
  unrecoverablePosition: { code: 112, message: "unrecoverable position" },
} as const;

/** Close codes: < 3500 the client reconnects, 3500..3999 it stops. */
export const CentrifugoDisconnect = {
  shutdown: { code: 3001, reason: "shutdown" },
  expired: { code: 3005, reason: "expired" },
  noPong: { code: 3012, reason: "no pong" },
  slow: { code: 3008, reason: "slow" },
  invalidToken: { code: 3500, reason: "invalid token" },
  badRequest: { code: 3501, reason: "bad request" },
  forceNoReconnect: { code: 3503, reason: "force disconnect" },
  inappropriateProtocol: { code: 3506, reason: "inappropriate protocol" },
} as const;
