/** DevAPI handlers: Channels, websocket tokens, the current user, roles and token info. */
import { type ChannelData, LIMITS } from "../../protocol/index.js";
import {
  type ChannelRow,
  channelByUrl,
  fail,
  getUser,
  liveStream,
  sec,
  type UserRow,
  userShort,
} from "../context.js";
import { signJwt } from "../jwt.js";
import { SQL } from "../store/sql.js";
import {
  CATEGORIES,
  channelData,
  type Handlers,
  maySubscribe,
  requireOwner,
  requireStaff,
  requireUser,
} from "./shared.js";

export const channelsHandlers: Handlers<
  | "websocketToken"
  | "subscriptionTokens"
  | "channel"
  | "channelCredentials"
  | "editStream"
  | "channels"
  | "currentUser"
  | "channelRoles"
  | "tokenInfo"
> = {
  websocketToken(ctx) {
    const exp = sec(ctx.p.expiresAt ?? ctx.now + ctx.emu.config.tokenTtlSec * 1000);
    return {
      token: signJwt({ sub: ctx.p.userId === null ? "" : String(ctx.p.userId), exp }, ctx.emu.jwtSecret),
    };
  },
  subscriptionTokens(ctx, q) {
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
  channel(ctx, q) {
    return channelData(ctx, channelByUrl(ctx.emu, q.channel_url), q.with_source_urls === true);
  },
  channelCredentials(ctx, q) {
    const ch = channelByUrl(ctx.emu, q.channel_url);
    requireOwner(ctx, ch);
    return { token: ch.stream_key, url: `rtmp://${new URL(ctx.origin).hostname}/live` };
  },
  editStream(ctx, q, b) {
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
      .q(SQL.updateChannelStreamSettings)
      .run(s.title ?? ch.stream_title, category, s.planned_at ?? ch.planned_at, ch.id);
    const live = liveStream(ctx.emu, ch.id);
    if (live) {
      ctx.emu.q(SQL.updateStreamTitleCategory).run(s.title ?? live.title, category, live.id);
    }
    return {};
  },
  channels(ctx, _q, b) {
    const out: ChannelData[] = [];
    for (const { url } of b.channels) {
      const ch = ctx.emu.q(SQL.selectChannelByUrl).get(url) as ChannelRow | undefined;
      if (ch && ch.status !== "banned") out.push(channelData(ctx, ch));
    }
    return { channels: out };
  },
  currentUser(ctx) {
    const me = requireUser(ctx);
    const ch = ctx.emu.q(SQL.selectFirstChannelRefOfOwner).get(me.id) as
      | { id: number; url: string }
      | undefined;
    return { user: { ...userShort(ctx.emu, me), registered_at: sec(me.created_at) }, channel: ch ?? null };
  },
  channelRoles(ctx, q) {
    const ch = channelByUrl(ctx.emu, q.channel_url);
    requireStaff(ctx, ch);
    const mods = ctx.emu.q(SQL.selectModerators).all(ch.id) as {
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
  tokenInfo(ctx) {
    if (ctx.p.kind === "basic") fail("forbidden", "Not available with Basic authorization");
    return { expired_at: sec(ctx.p.expiresAt ?? 0), type: ctx.p.kind };
  },
};
