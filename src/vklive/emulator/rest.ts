/**
 * The DevAPI REST methods (`/v1/*`): one RouteDef per method with the seed's auth level,
 * scope, parameters and limits. Handlers run inside a transaction and throw VkFault.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import {
  type ALLOW_ACCESS,
  type Category,
  type ChannelData,
  ChannelsBody,
  ChatSettingsEditBody,
  DemandResolveBody,
  LIMITS,
  MessageSendBody,
  type Part,
  parseWsChannel,
  type Reward,
  RewardActivateBody,
  type RewardDemand,
  type Scope,
  type SendPart,
  StreamEditBody,
  type StreamRecord,
  wsChannelNames,
} from "../protocol.js";
import {
  type ChannelRow,
  channelByUrl,
  chatMessage,
  chatSettings,
  type Emu,
  emitEvent,
  fail,
  getUser,
  isModerator,
  liveStream,
  type MessageRow,
  type Principal,
  type StreamRow,
  sec,
  streamInfo,
  type UserRow,
  userShort,
} from "./context.js";
import { signJwt } from "./jwt.js";

export interface Ctx {
  emu: Emu;
  p: Principal;
  now: number;
  /** Base URL of the emulator as the caller reached it (for source/stream URLs). */
  origin: string;
}

export interface RouteDef {
  method: "GET" | "POST";
  path: string;
  /** `user`: a user token only; `any`: user token, app token or Basic secret. */
  auth: "user" | "any";
  scope?: Scope;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Answer the handler's value as the whole body instead of `{data: …}`. */
  raw?: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: each route's schemas type its own handler
  handle(ctx: Ctx, query: any, body: any): unknown;
}

/** A builder that keeps each handler typed by its schemas. */
function route<Q extends z.ZodType = z.ZodUndefined, B extends z.ZodType = z.ZodUndefined>(def: {
  method: "GET" | "POST";
  path: string;
  auth: "user" | "any";
  scope?: Scope;
  query?: Q;
  body?: B;
  raw?: boolean;
  handle(ctx: Ctx, query: z.output<Q>, body: z.output<B>): unknown;
}): RouteDef {
  return def as RouteDef;
}

// ---------- parameter schemas (query values arrive as strings) ----------

const Url = z.string().min(1).max(200);
const Int = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d{1,16}$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const Limit = Int(1, LIMITS.listLimit);
const Bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");
const ChannelQ = z.object({ channel_url: Url });

// ---------- static catalogue of categories ----------

export const CATEGORIES: Category[] = [
  { id: "irl", title: "Общение", type: "irl", cover_url: "" },
  { id: "music", title: "Музыка", type: "irl", cover_url: "" },
  { id: "dota2", title: "Dota 2", type: "game", cover_url: "" },
  { id: "cs2", title: "Counter-Strike 2", type: "game", cover_url: "" },
  { id: "minecraft", title: "Minecraft", type: "game", cover_url: "" },
];

// ---------- helpers ----------

function requireUser(ctx: Ctx): UserRow {
  const id = ctx.p.userId ?? fail("forbidden");
  return getUser(ctx.emu, id) ?? fail("unauthorized");
}

function isStaff(ctx: Ctx, ch: ChannelRow): boolean {
  const uid = ctx.p.userId;
  return uid !== null && (ch.owner_id === uid || isModerator(ctx.emu, ch.id, uid));
}

function requireOwner(ctx: Ctx, ch: ChannelRow): void {
  if (ctx.p.userId !== ch.owner_id) fail("forbidden");
}

function requireStaff(ctx: Ctx, ch: ChannelRow): void {
  if (!isStaff(ctx, ch)) fail("forbidden");
}

function followers(emu: Emu, channelId: number): number {
  return (
    emu.q("SELECT COUNT(*) AS n FROM vklive_follows WHERE channel_id = ?").get(channelId) as { n: number }
  ).n;
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
function expandParts(ctx: Ctx, parts: readonly SendPart[]): Part[] {
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

function partsLength(parts: readonly Part[]): number {
  let n = 0;
  for (const p of parts) n += (p.text?.content.length ?? 0) + (p.link?.url.length ?? 0);
  return n;
}

function rewardOf(row: {
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

interface DemandRow {
  id: string;
  channel_id: number;
  reward_id: string;
  user_id: number;
  message: string | null;
  status: string;
  created_at: number;
}

function demandOf(ctx: Ctx, ch: ChannelRow, row: DemandRow): RewardDemand {
  const reward = ctx.emu.q("SELECT * FROM vklive_rewards WHERE id = ?").get(row.reward_id) as
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

function recordOf(row: StreamRow): StreamRecord {
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
function maySubscribe(ctx: Ctx, name: string): boolean {
  const parsed = parseWsChannel(name);
  if (!parsed) return false;
  const ch = ctx.emu.q("SELECT * FROM vklive_channels WHERE id = ?").get(parsed.channelId) as
    | ChannelRow
    | undefined;
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

export const ROUTES: readonly RouteDef[] = [
  route({
    method: "GET",
    path: "/v1/websocket/token",
    auth: "any",
    handle(ctx) {
      const exp = sec(ctx.p.expiresAt ?? ctx.now + ctx.emu.config.tokenTtlSec * 1000);
      return {
        token: signJwt({ sub: ctx.p.userId === null ? "" : String(ctx.p.userId), exp }, ctx.emu.jwtSecret),
      };
    },
  }),
  route({
    method: "GET",
    path: "/v1/websocket/subscription_token",
    auth: "user",
    query: z.object({ channels: z.string().max(10_000).optional() }),
    handle(ctx, q) {
      const names = (q.channels ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
        .slice(0, LIMITS.channels);
      const sub = String(ctx.p.userId);
      const exp = sec(ctx.p.expiresAt ?? ctx.now + ctx.emu.config.tokenTtlSec * 1000);
      return {
        channel_tokens: [...new Set(names)]
          .filter((n) => maySubscribe(ctx, n))
          .map((channel) => ({ channel, token: signJwt({ sub, channel, exp }, ctx.emu.jwtSecret) })),
      };
    },
  }),
  route({
    method: "GET",
    path: "/v1/channel",
    auth: "any",
    query: z.object({
      channel_url: Url,
      with_source_urls: Bool.optional(),
      ip: z.string().max(64).optional(),
    }),
    handle(ctx, q) {
      return channelData(ctx, channelByUrl(ctx.emu, q.channel_url), q.with_source_urls === true);
    },
  }),
  route({
    method: "GET",
    path: "/v1/channel/credentials",
    auth: "user",
    scope: "channel:credentials",
    query: z.object({ channel_url: Url, slot_url: Url.optional() }),
    handle(ctx, q) {
      const ch = channelByUrl(ctx.emu, q.channel_url);
      requireOwner(ctx, ch);
      return { token: ch.stream_key, url: `rtmp://${new URL(ctx.origin).hostname}/live` };
    },
  }),
  route({
    method: "POST",
    path: "/v1/channel/stream/edit",
    auth: "user",
    scope: "channel:stream:settings",
    query: z.object({ channel_url: Url, slot_url: Url.optional() }),
    body: StreamEditBody,
    raw: true,
    handle(ctx, q, b) {
      const ch = channelByUrl(ctx.emu, q.channel_url);
      requireOwner(ctx, ch);
      const s = b.stream;
      let category: string | null = ch.category;
      if (s.category) {
        const known = CATEGORIES.find((c) => c.id === s.category?.id);
        if (!known) fail("invalid_param", "stream.category.id is not a known category");
        category = JSON.stringify(known);
      }
      ctx.emu
        .q("UPDATE vklive_channels SET stream_title = ?, category = ?, planned_at = ? WHERE id = ?")
        .run(s.title ?? ch.stream_title, category, s.planned_at ?? ch.planned_at, ch.id);
      const live = liveStream(ctx.emu, ch.id);
      if (live) {
        ctx.emu
          .q("UPDATE vklive_streams SET title = ?, category = ? WHERE id = ?")
          .run(s.title ?? live.title, category, live.id);
      }
      return {};
    },
  }),
  route({
    method: "POST",
    path: "/v1/channels",
    auth: "any",
    body: ChannelsBody,
    handle(ctx, _q, b) {
      const out: ChannelData[] = [];
      for (const { url } of b.channels) {
        const ch = ctx.emu.q("SELECT * FROM vklive_channels WHERE url = ?").get(url) as
          | ChannelRow
          | undefined;
        if (ch && ch.status !== "banned") out.push(channelData(ctx, ch));
      }
      return { channels: out };
    },
  }),
  route({
    method: "GET",
    path: "/v1/chat/member",
    auth: "any",
    query: z.object({ channel_url: Url, user_id: Int(1, Number.MAX_SAFE_INTEGER) }),
    handle(ctx, q) {
      const ch = channelByUrl(ctx.emu, q.channel_url);
      const u = getUser(ctx.emu, q.user_id) ?? fail("not_found", "User not found");
      const count = ctx.emu
        .q("SELECT COUNT(*) AS n FROM vklive_messages WHERE channel_id = ? AND author_id = ?")
        .get(ch.id, u.id) as { n: number };
      return {
        channel: { status: liveStream(ctx.emu, ch.id) ? "online" : "offline", url: ch.url },
        statistics: {
          chat_messages_count: count.n,
          permanent_bans_count: 0,
          temporary_bans_count: 0,
          total_watched_time: 0,
        },
        user: { ...userShort(ctx.emu, u, ch), registered_at: sec(u.created_at) },
      };
    },
  }),
  route({
    method: "GET",
    path: "/v1/chat/members",
    auth: "any",
    query: z.object({ channel_url: Url, limit: Limit }),
    handle(ctx, q) {
      const ch = channelByUrl(ctx.emu, q.channel_url);
      // Those who write in the chat (most recent first), then the owner.
      const ids = ctx.emu
        .q(
          `SELECT author_id AS id FROM vklive_messages WHERE channel_id = ?
           GROUP BY author_id ORDER BY MAX(id) DESC LIMIT ?`,
        )
        .all(ch.id, q.limit) as { id: number }[];
      const list = ids.map((r) => r.id);
      if (!list.includes(ch.owner_id) && list.length < q.limit) list.push(ch.owner_id);
      const users = list
        .map((id) => getUser(ctx.emu, id))
        .filter((u): u is UserRow => u !== undefined)
        .map((u) => userShort(ctx.emu, u, ch));
      return { users };
    },
  }),
  route({
    method: "POST",
    path: "/v1/chat/message/send",
    auth: "user",
    scope: "chat:message:send",
    query: z.object({ channel_url: Url, stream_id: z.string().max(100).optional() }),
    body: MessageSendBody,
    raw: true,
    handle(ctx, q, b) {
      const ch = channelByUrl(ctx.emu, q.channel_url);
      const me = requireUser(ctx);
      const settings = chatSettings(ch);
      const staff = isStaff(ctx, ch);
      if (!staff) {
        const access = settings.allow_access as (typeof ALLOW_ACCESS)[number];
        if (access === "moderators") fail("forbidden", "Sending messages to the chat is forbidden");
        if (access === "followers" || access === "subscribers") {
          const f = ctx.emu
            .q("SELECT created_at FROM vklive_follows WHERE channel_id = ? AND user_id = ?")
            .get(ch.id, me.id) as { created_at: number } | undefined;
          if (!f || ctx.now - f.created_at < settings.allow_access_after * 1000) {
            fail("forbidden", "Sending messages to the chat is forbidden");
          }
        }
      }
      let streamId: string | null = liveStream(ctx.emu, ch.id)?.id ?? null;
      if (q.stream_id !== undefined && q.stream_id !== "") {
        const s = ctx.emu
          .q("SELECT id FROM vklive_streams WHERE id = ? AND channel_id = ?")
          .get(q.stream_id, ch.id) as { id: string } | undefined;
        if (!s) fail("invalid_param", "stream_id is not a stream of this channel");
        streamId = s.id;
      }
      const parts = expandParts(ctx, b.parts);
      if (partsLength(parts) > LIMITS.messageLength) fail("message_too_long");
      const text = parts
        .map((p) => p.text?.content ?? p.link?.url ?? `\u0000${p.mention?.id ?? p.smile?.id}`)
        .join("");
      if (text.trim() === "") fail("invalid_param", "parts: the message is empty");
      if (settings.mode?.general?.is_links_prohibited && !staff && parts.some((p) => p.link)) {
        fail("forbidden", "Links are prohibited in this chat");
      }
      if (!staff) {
        const last = ctx.emu
          .q(
            `SELECT text, created_at FROM vklive_messages WHERE channel_id = ? AND author_id = ?
             ORDER BY id DESC LIMIT 1`,
          )
          .get(ch.id, me.id) as { text: string; created_at: number } | undefined;
        if (last && settings.same_message_timeout > 0 && last.text === text) {
          if (ctx.now - last.created_at < settings.same_message_timeout * 1000) fail("same_message");
        }
        if (last && settings.any_message_timeout > 0) {
          if (ctx.now - last.created_at < settings.any_message_timeout * 1000) fail("send_too_fast");
        }
      }
      const info = ctx.emu
        .q(
          `INSERT INTO vklive_messages (channel_id, stream_id, author_id, parts, text, created_at)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(ch.id, streamId, me.id, JSON.stringify(parts), text, ctx.now);
      const row = ctx.emu
        .q("SELECT * FROM vklive_messages WHERE id = ?")
        .get(info.lastInsertRowid) as MessageRow;
      emitEvent(ctx.emu, ch, "channel_chat_message_send", {
        chat_message: chatMessage(ctx.emu, row, ch),
        channel_url: ch.url,
      });
      return {};
    },
  }),
  route({
    method: "GET",
    path: "/v1/chat/messages",
    auth: "any",
    query: z.object({ channel_url: Url, limit: Limit }),
    handle(ctx, q) {
      const ch = channelByUrl(ctx.emu, q.channel_url);
      const rows = ctx.emu
        .q("SELECT * FROM vklive_messages WHERE channel_id = ? AND deleted = 0 ORDER BY id DESC LIMIT ?")
        .all(ch.id, q.limit) as MessageRow[];
      return { chat_messages: rows.map((r) => chatMessage(ctx.emu, r, ch)) };
    },
  }),
  route({
    method: "GET",
    path: "/v1/chat/settings",
    auth: "user",
    scope: "chat:settings",
    query: ChannelQ,
    handle(ctx, q) {
      const ch = channelByUrl(ctx.emu, q.channel_url);
      requireStaff(ctx, ch);
      return { chat_settings: chatSettings(ch) };
    },
  }),
  route({
    method: "POST",
    path: "/v1/chat/settings/edit",
    auth: "user",
    scope: "chat:settings",
    query: z.object({ channel_url: Url.optional() }),
    body: ChatSettingsEditBody,
    raw: true,
    handle(ctx, q, b) {
      let ch: ChannelRow;
      if (q.channel_url !== undefined) ch = channelByUrl(ctx.emu, q.channel_url);
      else {
        // The method's channel_url is optional: the caller's own channel.
        ch =
          (ctx.emu
            .q("SELECT * FROM vklive_channels WHERE owner_id = ? ORDER BY id LIMIT 1")
            .get(ctx.p.userId) as ChannelRow | undefined) ?? fail("missing_param", "channel_url is required");
      }
      requireStaff(ctx, ch);
      const cur = chatSettings(ch);
      const patch = b.chat_settings;
      const next = {
        ...cur,
        ...patch,
        mode: { ...cur.mode, ...patch.mode, general: { ...cur.mode?.general, ...patch.mode?.general } },
      };
      ctx.emu.q("UPDATE vklive_channels SET chat_settings = ? WHERE id = ?").run(JSON.stringify(next), ch.id);
      return {};
    },
  }),
  route({
    method: "GET",
    path: "/v1/catalog/online_channels",
    auth: "any",
    query: z.object({
      limit: Limit,
      category_id: z.string().max(200).optional(),
      category_type: z.string().max(100).optional(),
    }),
    handle(ctx, q) {
      const rows = ctx.emu
        .q(
          `SELECT c.*, s.category AS s_category FROM vklive_channels c JOIN vklive_streams s ON s.channel_id = c.id
           WHERE s.ended_at IS NULL AND c.status != 'banned' ORDER BY s.viewers DESC, c.id`,
        )
        .all() as (ChannelRow & { s_category: string | null })[];
      const out: ChannelData[] = [];
      for (const r of rows) {
        const cat = r.s_category ? (JSON.parse(r.s_category) as Category) : undefined;
        if (q.category_id && cat?.id !== q.category_id) continue;
        if (q.category_type && cat?.type !== q.category_type) continue;
        out.push(channelData(ctx, r));
        if (out.length >= q.limit) break;
      }
      return { channels: out };
    },
  }),
  route({
    method: "GET",
    path: "/v1/catalog/online_categories",
    auth: "any",
    query: z.object({ limit: Limit, category_type: z.string().max(100).optional() }),
    handle(ctx, q) {
      const rows = ctx.emu
        .q("SELECT category, viewers FROM vklive_streams WHERE ended_at IS NULL AND category IS NOT NULL")
        .all() as { category: string; viewers: number }[];
      const byId = new Map<string, Category & { counters: { viewers: number } }>();
      for (const r of rows) {
        const c = JSON.parse(r.category) as Category;
        if (q.category_type && c.type !== q.category_type) continue;
        const cur = byId.get(c.id) ?? { ...c, counters: { viewers: 0 } };
        cur.counters.viewers += r.viewers;
        byId.set(c.id, cur);
      }
      return {
        categories: [...byId.values()]
          .sort((a, b) => b.counters.viewers - a.counters.viewers)
          .slice(0, q.limit),
      };
    },
  }),
  route({
    method: "GET",
    path: "/v1/category",
    auth: "any",
    query: z.object({ category_id: z.string().min(1).max(200) }),
    handle(_ctx, q) {
      const c = CATEGORIES.find((x) => x.id === q.category_id) ?? fail("not_found", "Category not found");
      return { category: { ...c, counters: { viewers: 0 } } };
    },
  }),
  route({
    method: "GET",
    path: "/v1/category/search",
    auth: "any",
    query: z.object({ query: z.string().min(1).max(200), type: z.string().min(1).max(100), limit: Limit }),
    handle(_ctx, q) {
      const needle = q.query.toLowerCase();
      return {
        categories: CATEGORIES.filter((c) => c.type === q.type && c.title.toLowerCase().includes(needle))
          .slice(0, q.limit)
          .map((c) => ({ ...c, counters: { viewers: 0 } })),
      };
    },
  }),
  route({
    method: "GET",
    path: "/v1/current_user",
    auth: "user",
    handle(ctx) {
      const me = requireUser(ctx);
      const ch = ctx.emu
        .q("SELECT id, url FROM vklive_channels WHERE owner_id = ? ORDER BY id LIMIT 1")
        .get(me.id) as { id: number; url: string } | undefined;
      return { user: { ...userShort(ctx.emu, me), registered_at: sec(me.created_at) }, channel: ch ?? null };
    },
  }),
  route({
    method: "GET",
    path: "/v1/channel_roles",
    auth: "user",
    scope: "channel:roles",
    query: ChannelQ,
    handle(ctx, q) {
      const ch = channelByUrl(ctx.emu, q.channel_url);
      requireStaff(ctx, ch);
      const mods = ctx.emu
        .q("SELECT user_id FROM vklive_moderators WHERE channel_id = ? ORDER BY user_id")
        .all(ch.id) as {
        user_id: number;
      }[];
      return {
        roles: [
          {
            id: "moderator",
            name: "Модератор",
            users: mods
              .map((m) => getUser(ctx.emu, m.user_id))
              .filter((u): u is UserRow => u !== undefined)
              .map((u) => userShort(ctx.emu, u, ch)),
          },
        ],
      };
    },
  }),
  route({
    method: "GET",
    path: "/v1/channel_point",
    auth: "user",
    scope: "channel:points",
    query: ChannelQ,
    handle(ctx, q) {
      const ch = channelByUrl(ctx.emu, q.channel_url);
      const row = ctx.emu
        .q("SELECT balance FROM vklive_balances WHERE channel_id = ? AND user_id = ?")
        .get(ch.id, ctx.p.userId) as { balance: number } | undefined;
      return { balance: row?.balance ?? 0, channel_point: { name: "Баллы канала", icon_url: "" } };
    },
  }),
  route({
    method: "GET",
    path: "/v1/channel_point/rewards",
    auth: "any",
    query: ChannelQ,
    handle(ctx, q) {
      const ch = channelByUrl(ctx.emu, q.channel_url);
      const rows = ctx.emu
        .q("SELECT * FROM vklive_rewards WHERE channel_id = ? ORDER BY price, id")
        .all(ch.id) as Parameters<typeof rewardOf>[0][];
      return { rewards: rows.map(rewardOf) };
    },
  }),
  route({
    method: "POST",
    path: "/v1/channel_point/reward/activate",
    auth: "user",
    scope: "channel:points",
    query: ChannelQ,
    body: RewardActivateBody,
    handle(ctx, q, b) {
      const ch = channelByUrl(ctx.emu, q.channel_url);
      const me = requireUser(ctx);
      const reward = ctx.emu
        .q("SELECT * FROM vklive_rewards WHERE id = ? AND channel_id = ?")
        .get(b.reward.id, ch.id) as Parameters<typeof rewardOf>[0] | undefined;
      if (!reward) fail("not_found", "Reward not found");
      if (!reward.is_enabled) fail("unprocessable_entity", "Reward is disabled");
      if (reward.is_message_required && !b.reward.message)
        fail("missing_param", "reward.message is required");
      const bal = ctx.emu
        .q("SELECT balance FROM vklive_balances WHERE channel_id = ? AND user_id = ?")
        .get(ch.id, me.id) as { balance: number } | undefined;
      if ((bal?.balance ?? 0) < reward.price) fail("unprocessable_entity", "Not enough channel points");
      ctx.emu
        .q("UPDATE vklive_balances SET balance = balance - ? WHERE channel_id = ? AND user_id = ?")
        .run(reward.price, ch.id, me.id);
      const parts = b.reward.message ? expandParts(ctx, b.reward.message.parts) : null;
      if (parts && partsLength(parts) > LIMITS.messageLength) fail("message_too_long");
      const id = randomUUID();
      ctx.emu
        .q(
          `INSERT INTO vklive_demands (id, channel_id, reward_id, user_id, message, created_at)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(id, ch.id, reward.id, me.id, parts ? JSON.stringify(parts) : null, ctx.now);
      const demand = demandOf(
        ctx,
        ch,
        ctx.emu.q("SELECT * FROM vklive_demands WHERE id = ?").get(id) as DemandRow,
      );
      emitEvent(ctx.emu, ch, "channel_points_reward_demand_create", { demand, channel_url: ch.url });
      return { demand };
    },
  }),
  route({
    method: "GET",
    path: "/v1/channel_point/reward/demands",
    auth: "user",
    scope: "channel:points:rewards:demands",
    query: z.object({ channel_url: Url, limit: Limit.optional() }),
    handle(ctx, q) {
      const ch = channelByUrl(ctx.emu, q.channel_url);
      requireStaff(ctx, ch);
      const rows = ctx.emu
        .q("SELECT * FROM vklive_demands WHERE channel_id = ? ORDER BY created_at DESC, id LIMIT ?")
        .all(ch.id, q.limit ?? LIMITS.listLimit) as DemandRow[];
      return { demands: rows.map((r) => demandOf(ctx, ch, r)) };
    },
  }),
  route({
    method: "POST",
    path: "/v1/channel_point/reward/demand/resolve",
    auth: "user",
    scope: "channel:points:rewards:demands",
    query: ChannelQ,
    body: DemandResolveBody,
    raw: true,
    handle(ctx, q, b) {
      const ch = channelByUrl(ctx.emu, q.channel_url);
      requireStaff(ctx, ch);
      const d = ctx.emu
        .q("SELECT * FROM vklive_demands WHERE id = ? AND channel_id = ?")
        .get(b.demand_id, ch.id) as DemandRow | undefined;
      if (!d) fail("not_found", "Demand not found");
      if (d.status !== "pending") fail("unprocessable_entity", "Demand is already resolved");
      ctx.emu.q("UPDATE vklive_demands SET status = ? WHERE id = ?").run(b.status, d.id);
      if (b.status === "rejected") {
        const reward = ctx.emu.q("SELECT price FROM vklive_rewards WHERE id = ?").get(d.reward_id) as
          | { price: number }
          | undefined;
        ctx.emu
          .q("UPDATE vklive_balances SET balance = balance + ? WHERE channel_id = ? AND user_id = ?")
          .run(reward?.price ?? 0, ch.id, d.user_id);
      }
      return {};
    },
  }),
  route({
    method: "GET",
    path: "/v1/stream",
    auth: "any",
    query: ChannelQ,
    handle(ctx, q) {
      const ch = channelByUrl(ctx.emu, q.channel_url);
      const live = liveStream(ctx.emu, ch.id);
      return { stream: live ? streamInfo(live) : null };
    },
  }),
  route({
    method: "GET",
    path: "/v1/stream_records",
    auth: "any",
    query: z.object({ channel_url: Url, limit: Limit, offset: Int(0, 1_000_000).optional() }),
    raw: true,
    handle(ctx, q) {
      const ch = channelByUrl(ctx.emu, q.channel_url);
      const offset = q.offset ?? 0;
      const rows = ctx.emu
        .q(
          `SELECT * FROM vklive_streams WHERE channel_id = ? AND ended_at IS NOT NULL
           ORDER BY started_at DESC, id LIMIT ? OFFSET ?`,
        )
        .all(ch.id, q.limit + 1, offset) as StreamRow[];
      const page = rows.slice(0, q.limit);
      return {
        data: { stream_records: page.map(recordOf) },
        extra: { is_last: rows.length <= q.limit, offset: offset + page.length },
      };
    },
  }),
  route({
    method: "GET",
    path: "/v1/stream_record",
    auth: "any",
    query: z.object({
      record_id: z.string().min(1).max(100),
      with_source_urls: Bool.optional(),
      ip: z.string().max(64).optional(),
      user_agent: z.string().max(1000).optional(),
    }),
    handle(ctx, q) {
      const row = ctx.emu
        .q("SELECT * FROM vklive_streams WHERE id = ? AND ended_at IS NOT NULL")
        .get(q.record_id) as StreamRow | undefined;
      if (!row) fail("not_found", "Stream record not found");
      const rec = { ...recordOf(row), reactions: [] as { count: number; type: string }[] };
      return {
        stream_record: q.with_source_urls
          ? { ...rec, source_urls: [{ type: "hls", url: `${ctx.origin}/records/${row.id}.m3u8` }] }
          : rec,
      };
    },
  }),
  route({
    method: "GET",
    path: "/v1/video",
    auth: "any",
    query: z.object({ video_id: z.string().min(1).max(100) }),
    handle(ctx, q) {
      const id = q.video_id.startsWith("v") ? q.video_id.slice(1) : "";
      const row = ctx.emu.q("SELECT * FROM vklive_streams WHERE id = ? AND ended_at IS NOT NULL").get(id) as
        | StreamRow
        | undefined;
      if (!row) fail("not_found", "Video not found");
      const r = recordOf(row);
      return { video: { id: q.video_id, title: r.title, duration: r.duration, created_at: r.created_at } };
    },
  }),
  route({
    method: "GET",
    path: "/v1/token",
    auth: "any",
    handle(ctx) {
      if (ctx.p.kind === "basic") fail("forbidden", "Not available with Basic authorization");
      return { expired_at: sec(ctx.p.expiresAt ?? 0), type: ctx.p.kind };
    },
  }),
];

export type { ChannelRow };
