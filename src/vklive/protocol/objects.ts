/** Objects of the DevAPI: channels, streams, users, chat messages and parts, settings, channel points, records. */
import { z } from "zod";
import { lenient } from "../../core/extra.js";
import { LIMITS } from "./base.js";

// ---------- shared objects ----------

export const Category = lenient({
  id: z.string(),
  title: z.string(),
  type: z.string(),
  cover_url: z.string().optional(),
  counters: lenient({ viewers: z.number() }).optional(),
});
export type Category = z.infer<typeof Category>;

export const Badge = lenient({
  id: z.string(),
  name: z.string(),
  achievement_name: z.string().optional(),
  small_url: z.string().optional(),
  medium_url: z.string().optional(),
  large_url: z.string().optional(),
});
export const Role = lenient({
  id: z.string(),
  name: z.string(),
  small_url: z.string().optional(),
  medium_url: z.string().optional(),
  large_url: z.string().optional(),
});

export const UserShort = lenient({
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
export const WebSocketChannels = lenient(
  Object.fromEntries(WS_CHANNEL_KINDS.map((k) => [k, z.string().optional()])) as Record<
    WsChannelKind,
    z.ZodOptional<z.ZodString>
  >,
);
export type WebSocketChannels = z.infer<typeof WebSocketChannels>;

export const ChannelInfo = lenient({
  id: z.number(),
  url: z.string(),
  nick: z.string().optional(),
  nick_color: z.number().optional(),
  status: z.string(),
  avatar_url: z.string().optional(),
  counters: lenient({ subscribers: z.number() }).optional(),
  web_socket_channels: WebSocketChannels.optional(),
});
export type ChannelInfo = z.infer<typeof ChannelInfo>;

export const StreamInfo = lenient({
  id: z.string(),
  title: z.string(),
  status: z.string(),
  started_at: z.number().optional(),
  ended_at: z.number().optional(),
  planned_at: z.number().optional(),
  category: Category.optional(),
  counters: lenient({ viewers: z.number().optional(), views: z.number().optional() }).optional(),
  source_urls: z.array(lenient({ type: z.string(), url: z.string() })).optional(),
});
export type StreamInfo = z.infer<typeof StreamInfo>;

export const ChannelData = lenient({
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
export const Part = lenient({
  text: lenient({ content: z.string() }).optional(),
  mention: lenient({ id: z.number(), nick: z.string().optional() }).optional(),
  smile: lenient({
    id: z.string(),
    name: z.string().optional(),
    animated: z.boolean().optional(),
    small_url: z.string().optional(),
    medium_url: z.string().optional(),
    large_url: z.string().optional(),
  }).optional(),
  link: lenient({ url: z.string(), content: z.string().optional() }).optional(),
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

export const ChatMessage = lenient({
  id: z.number(),
  created_at: z.number(),
  is_private: z.boolean().optional(),
  author: UserShort,
  parts: z.array(Part),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

export const ChatSettings = lenient({
  allow_access: z.string(),
  allow_access_after: z.number(),
  any_message_timeout: z.number(),
  follow_alert: z.boolean(),
  mode: lenient({
    general: lenient({
      is_caps_prohibited: z.boolean().optional(),
      is_links_prohibited: z.boolean().optional(),
      is_ru_en_numbers: z.boolean().optional(),
    }).optional(),
    only_smiles: lenient({}).optional(),
  }).optional(),
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

export const ChatMemberData = lenient({
  channel: lenient({ status: z.string(), url: z.string() }).optional(),
  statistics: lenient({
    chat_messages_count: z.number().optional(),
    permanent_bans_count: z.number().optional(),
    temporary_bans_count: z.number().optional(),
    total_watched_time: z.number().optional(),
  }).optional(),
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

export const Credentials = lenient({ token: z.string(), url: z.string() });

// ---------- channel points ----------

export const Reward = lenient({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  price: z.number(),
  is_enabled: z.boolean().optional(),
  is_message_required: z.boolean().optional(),
});
export type Reward = z.infer<typeof Reward>;

export const RewardDemand = lenient({
  id: z.string(),
  reward: Reward,
  user: UserShort,
  message: lenient({ parts: z.array(Part) }).nullish(),
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

export const StreamRecord = lenient({
  id: z.string(),
  title: z.string(),
  created_at: z.number(),
  duration: z.number(),
  stream_started_at: z.number().optional(),
  video_id: z.string().optional(),
  preview_url: z.string().optional(),
  category: Category.optional(),
  counters: lenient({ views: z.number() }).optional(),
});
export type StreamRecord = z.infer<typeof StreamRecord>;

export const TokenInfo = lenient({ expired_at: z.number(), type: z.string() });
export type TokenInfo = z.infer<typeof TokenInfo>;

export const CurrentUser = lenient({
  user: UserShort.extend({ registered_at: z.number().optional() }),
  channel: lenient({ id: z.number(), url: z.string() }).nullish(),
});
export type CurrentUser = z.infer<typeof CurrentUser>;

export const ChannelTokens = lenient({
  channel_tokens: z.array(lenient({ channel: z.string(), token: z.string() })),
});
