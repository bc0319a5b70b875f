import type { z } from "zod";
import {
  type Category,
  type ChannelData,
  type Part,
  parseWsChannel,
  type Reward,
  type RewardDemand,
  type SendPart,
  type StreamRecord,
  type VKLIVE_ENDPOINTS,
  wsChannelNames,
} from "../../protocol/index.js";
import {
  type ChannelRow,
  type Emu,
  fail,
  getUser,
  isModerator,
  liveStream,
  type Principal,
  type StreamRow,
  sec,
  streamInfo,
  type UserRow,
  userShort,
} from "../context.js";
import { SQL } from "../store/sql.js";

export interface Ctx {
  emu: Emu;
  p: Principal;
  now: number;
  /** Base URL of the emulator as the caller reached it (for source/stream URLs). */
  origin: string;
}

// ---------- static catalogue of categories ----------

export const CATEGORIES: Category[] = [
  { id: "irl", title: "Общение", type: "irl", cover_url: "" },
  { id: "music", title: "Музыка", type: "irl", cover_url: "" },
  { id: "dota2", title: "Dota 2", type: "game", cover_url: "" },
  { id: "cs2", title: "Counter-Strike 2", type: "game", cover_url: "" },
  { id: "minecraft", title: "Minecraft", type: "game", cover_url: "" },
];

// ---------- helpers ----------

export function requireUser(ctx: Ctx): UserRow {
  const id = ctx.p.userId ?? fail("forbidden");
  return getUser(ctx.emu, id) ?? fail("unauthorized");
}

export function isStaff(ctx: Ctx, ch: ChannelRow): boolean {
  const uid = ctx.p.userId;
  return uid !== null && (ch.owner_id === uid || isModerator(ctx.emu, ch.id, uid));
}

export function requireOwner(ctx: Ctx, ch: ChannelRow): void {
  if (ctx.p.userId !== ch.owner_id) fail("forbidden");
}

export function requireStaff(ctx: Ctx, ch: ChannelRow): void {
  if (!isStaff(ctx, ch)) fail("forbidden");
}

export function followers(emu: Emu, channelId: number): number {
  return (emu.q(SQL.countFollowers).get(channelId) as { n: number }).n;
}

export function channelData(ctx: Ctx, ch: ChannelRow, withSourceUrls = false): ChannelData {
  const owner = getUser(ctx.emu, ch.owner_id);
  const live = liveStream(ctx.emu, ch.id);
  let stream: ChannelData["stream"] = null;
  if (live) {
    stream = streamInfo(live);
    if (withSourceUrls) stream.source_urls = [{ type: "hls", url: `${ctx.origin}/hls/${live.id}.m3u8` }];
  }
  return {
    channel: {
      id: ch.id,
      url: ch.url,
      nick: owner?.nick ?? "",
      nick_color: owner?.nick_color ?? 0,
      status: live ? "online" : "offline",
      avatar_url: owner?.avatar_url ?? "",
      counters: { subscribers: followers(ctx.emu, ch.id) },
      web_socket_channels: wsChannelNames(ch.id),
    },
    owner: owner ? userShort(ctx.emu, owner, ch) : undefined,
    stream,
  };
}

/** Server-side form of sent parts: mentions get nicks, links get content, smiles names. */
export function expandParts(ctx: Ctx, parts: readonly SendPart[]): Part[] {
  return parts.map((p): Part => {
    if ("text" in p) return { text: { content: p.text.content } };
    if ("link" in p) {
      let ok = false;
      try {
        const u = new URL(p.link.url);
        ok = u.protocol === "http:" || u.protocol === "https:";
      } catch {
        ok = false;
      }
      if (!ok) fail("invalid_param", "parts: link.url must be an http(s) URL");
      return { link: { url: p.link.url, content: p.link.url } };
    }
    if ("mention" in p) {
      const u = getUser(ctx.emu, p.mention.id) ?? fail("invalid_param", "parts: mention.id is not a user");
      return { mention: { id: u.id, nick: u.nick } };
    }
    const id = p.smile.id;
    const base = `${ctx.origin}/smiles/${encodeURIComponent(id)}`;
    return {
      smile: {
        id,
        name: id,
        animated: false,
        small_url: `${base}/small.png`,
        medium_url: `${base}/medium.png`,
        large_url: `${base}/large.png`,
      },
    };
  });
}

export function partsLength(parts: readonly Part[]): number {
  let n = 0;
  for (const p of parts) n += (p.text?.content.length ?? 0) + (p.link?.url.length ?? 0);
  return n;
}

export function rewardOf(row: {
  id: string;
  name: string;
  description: string;
  price: number;
  is_enabled: number;
  is_message_required: number;
}): Reward {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    price: row.price,
    is_enabled: row.is_enabled === 1,
    is_message_required: row.is_message_required === 1,
  };
}

export interface DemandRow {
  id: string;
  channel_id: number;
  reward_id: string;
  user_id: number;
  message: string | null;
  status: string;
  created_at: number;
}

export function demandOf(ctx: Ctx, ch: ChannelRow, row: DemandRow): RewardDemand {
  const reward = ctx.emu.q(SQL.selectRewardById).get(row.reward_id) as
    | Parameters<typeof rewardOf>[0]
    | undefined;
  const user = getUser(ctx.emu, row.user_id);
  return {
    id: row.id,
    reward: reward ? rewardOf(reward) : { id: row.reward_id, name: "", price: 0 },
    user: user ? userShort(ctx.emu, user, ch) : { id: row.user_id, nick: "deleted" },
    message: row.message ? { parts: JSON.parse(row.message) as Part[] } : null,
    status: row.status,
    created_at: sec(row.created_at),
  };
}

export function recordOf(row: StreamRow): StreamRecord {
  const out: StreamRecord = {
    id: row.id,
    title: row.title,
    created_at: sec(row.ended_at ?? row.started_at),
    duration: sec((row.ended_at ?? row.started_at) - row.started_at),
    stream_started_at: sec(row.started_at),
    video_id: `v${row.id}`,
    preview_url: "",
    counters: { views: row.viewers },
  };
  if (row.category) out.category = JSON.parse(row.category);
  return out;
}

/** Who may subscribe to which ws channel. */
export function maySubscribe(ctx: Ctx, name: string): boolean {
  const parsed = parseWsChannel(name);
  if (!parsed) return false;
  const ch = ctx.emu.q(SQL.selectChannelById).get(parsed.channelId) as ChannelRow | undefined;
  if (!ch || ch.status === "banned") return false;
  switch (parsed.kind) {
    case "chat":
    case "info":
    case "channel_points":
    case "limited_chat":
      return true;
    default:
      return isStaff(ctx, ch);
  }
}

// ---------- routes ----------

type Endpoints = typeof VKLIVE_ENDPOINTS;
type Out<T> = T extends z.ZodType ? z.output<T> : undefined;
/** The DevAPI's endpoint names (`/v1/*`). */
export type DevApiName = {
  [K in keyof Endpoints]: Endpoints[K]["path"] extends `/v1/${string}` ? K : never;
}[keyof Endpoints];
/** Handlers of some DevAPI endpoints, typed by their entry's query and body schemas. */
export type Handlers<K extends DevApiName> = {
  [N in K]: (
    ctx: Ctx,
    query: Out<NonNullable<Endpoints[N]["query"]>>,
    body: Out<NonNullable<Endpoints[N]["body"]>>,
  ) => unknown;
};
