/** Realtime (Centrifugo) events and channel names, webhooks, and the Centrifugo v2 constants. */
import { z } from "zod";
import { lenient } from "../../core/extra.js";
import {
  ChatMessage,
  RewardDemand,
  StreamInfo,
  UserShort,
  WS_CHANNEL_KINDS,
  type WsChannelKind,
} from "./objects.js";

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

const ChannelUrl = z.string();
const StreamEvent = lenient({ stream: StreamInfo, channel_url: ChannelUrl });

/** The `data` of each realtime event type (lenient: unknown fields under `extra`). */
export const EVENT_DATA = {
  channel_chat_message_send: lenient({ chat_message: ChatMessage, channel_url: ChannelUrl }),
  channel_chat_message_delete: lenient({
    chat_message: lenient({ id: z.number() }),
    channel_url: ChannelUrl,
  }),
  channel_follow_create: lenient({ user: UserShort, channel_url: ChannelUrl }),
  channel_raid_income: lenient({
    from_channel: lenient({ id: z.number(), url: z.string(), nick: z.string().optional() }),
    viewers: z.number(),
    channel_url: ChannelUrl,
  }),
  channel_points_reward_demand_create: lenient({ demand: RewardDemand, channel_url: ChannelUrl }),
  channel_stream_start: StreamEvent,
  channel_stream_end: StreamEvent,
} satisfies Record<EventType, z.ZodType>;

export type EventDataMap = { [K in EventType]: z.infer<(typeof EVENT_DATA)[K]> };

export type VkEvent = { [K in EventType]: { type: K; data: EventDataMap[K] } }[EventType];

/** The payload a Centrifugo publication carries (`pub.data`); `data` is read with `EVENT_DATA[type]`. */
export const EventEnvelope = lenient({ type: z.string(), data: z.unknown() });

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

export const WebhookEvent = lenient({
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

export const WebhookReply = lenient({ id: z.string(), status: z.enum(WEBHOOK_STATUSES) });
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
