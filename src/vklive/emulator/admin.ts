/** The admin object of the VK Live emulator: what the sandbox's `/_sandbox/vklive/…` routes, seeds and tests drive. */
import { randomBytes } from "node:crypto";
import { type ErrorCode, LIMITS, SCOPES } from "../protocol/index.js";
import type { CentrifugoHub } from "./centrifugo.js";
import {
  type ChannelRow,
  chatMessage,
  type Emu,
  emitEvent,
  type FaultRule,
  fail,
  getUser,
  hashSecret,
  liveStream,
  type MessageRow,
  newToken,
  streamInfo,
  userShort,
  VkFault,
} from "./context.js";
import { CATEGORIES } from "./devapi/shared.js";
import {
  type AuthorizeParams,
  checkAuthorize,
  consent,
  errorRedirect,
  getApp,
  issueTokens,
  PageError,
  parseScopes,
} from "./oauth.js";
import { SQL } from "./store/sql.js";
import type { DeliveryRecord, WebhookDispatcher } from "./webhooks.js";

export interface VkLiveAdmin {
  createApp(o: { redirectUri: string; webhookUrl?: string | null; clientId?: string }): {
    clientId: string;
    secret: string;
    signatureKey: string;
  };
  setWebhook(clientId: string, url: string | null): void;
  createUser(o: { nick: string; nickColor?: number }): { userId: number };
  createChannel(o: { ownerId: number; url: string }): { channelId: number; url: string };
  issueToken(o: { clientId: string; userId: number; scopes: readonly string[]; expiresIn?: number }): {
    access_token: string;
    refresh_token: string;
    expires_in: number;
  };
  /** What the consent page does when `userId` clicks Allow (or Deny): the redirect location. */
  consent(o: {
    clientId: string;
    userId: number;
    redirectUri: string;
    scopes?: readonly string[];
    responseType?: "code" | "token";
    state?: string;
    allow?: boolean;
  }): { location: string };
  startStream(o: { channelUrl: string; title?: string; categoryId?: string; viewers?: number }): {
    streamId: string;
  };
  stopStream(o: { channelUrl: string }): { streamId: string | null };
  postMessage(o: { channelUrl: string; userId: number; text: string }): { messageId: number };
  deleteMessage(o: { channelUrl: string; messageId: number }): void;
  follow(o: { channelUrl: string; userId: number }): void;
  raid(o: { channelUrl: string; fromChannelUrl: string; viewers?: number }): void;
  addModerator(o: { channelUrl: string; userId: number }): void;
  createReward(o: {
    channelUrl: string;
    name: string;
    price: number;
    description?: string;
    messageRequired?: boolean;
  }): { rewardId: string };
  grantPoints(o: { channelUrl: string; userId: number; amount: number }): { balance: number };
  demandReward(o: { channelUrl: string; userId: number; rewardId: string; text?: string }): {
    demandId: string;
  };
  banChannel(o: { channelUrl: string; banned: boolean }): void;
  /** The next `times` REST/OAuth requests (optionally only to `path`) answer `error`. */
  failNext(error: ErrorCode, o?: { path?: string; times?: number }): void;
  deliveries(clientId?: string): DeliveryRecord[];
  redeliver(id: number): boolean;
  /** Drops realtime connections (of one user id, "" for app connections, or all). */
  dropConnections(userId?: number | ""): number;
  stats(): { tokenRequests: Record<string, number>; connections: number; published: number };
}

/** `run` is the emulator's transaction runner (pushes deferred until commit). */
export function createAdmin(
  emu: Emu,
  run: <T>(fn: () => T) => T,
  hub: CentrifugoHub,
  webhooks: WebhookDispatcher,
): VkLiveAdmin {
  const now = emu.now;

  const channel = (url: string): ChannelRow => {
    const row = emu.q(SQL.selectChannelByUrl).get(url) as ChannelRow | undefined;
    if (!row) throw new VkFault("channel_not_found");
    return row;
  };
  const user = (id: number) => getUser(emu, id) ?? fail("not_found", `User ${id} not found`);

  return {
    createApp(o) {
      if (!/^https?:\/\/[^\s#]+$/.test(o.redirectUri))
        fail("invalid_param", "redirectUri must be an http(s) URL");
      const clientId = o.clientId ?? `app${randomBytes(6).toString("hex")}`;
      const secret = newToken(24);
      const signatureKey = newToken(24);
      run(() =>
        emu
          .q(SQL.insertApp)
          .run(clientId, hashSecret(secret), signatureKey, o.redirectUri, o.webhookUrl ?? null, now()),
      );
      return { clientId, secret, signatureKey };
    },
    setWebhook(clientId, url) {
      if (!getApp(emu, clientId)) fail("not_found", "Unknown clientId");
      emu.q(SQL.updateAppWebhook).run(url, clientId);
    },
    createUser(o) {
      const info = emu.q(SQL.insertUser).run(o.nick, o.nickColor ?? 0, now());
      return { userId: Number(info.lastInsertRowid) };
    },
    createChannel(o) {
      user(o.ownerId);
      if (!/^[A-Za-z0-9_.-]{1,100}$/.test(o.url))
        fail("invalid_param", "url must be 1-100 of [A-Za-z0-9_.-]");
      if (emu.q(SQL.channelUrlExists).get(o.url)) fail("invalid_param", "url is taken");
      const info = emu.q(SQL.insertChannel).run(o.url, o.ownerId, newToken(16), now());
      return { channelId: Number(info.lastInsertRowid), url: o.url };
    },
    issueToken(o) {
      if (!getApp(emu, o.clientId)) fail("not_found", "Unknown clientId");
      user(o.userId);
      const scopes =
        parseScopes(o.scopes.join(",")) ?? fail("invalid_scope", `scopes must be of ${SCOPES.join(", ")}`);
      const t = run(() =>
        issueTokens(emu, {
          clientId: o.clientId,
          userId: o.userId,
          scopes,
          flow: "admin",
          refresh: true,
          ttlSec: o.expiresIn,
        }),
      );
      return { access_token: t.access_token, refresh_token: t.refresh_token ?? "", expires_in: t.expires_in };
    },
    consent(o) {
      const query: Record<string, unknown> = {
        client_id: o.clientId,
        redirect_uri: o.redirectUri,
        response_type: o.responseType ?? "code",
        scope: (o.scopes ?? []).join(","),
      };
      if (o.state !== undefined) query.state = o.state;
      try {
        const { params, redirectError } = checkAuthorize(emu, query);
        if (redirectError) return { location: errorRedirect(params, redirectError) };
        return { location: run(() => consent(emu, params as AuthorizeParams, o.userId, o.allow !== false)) };
      } catch (err) {
        if (err instanceof PageError) fail("invalid_param", err.message);
        throw err;
      }
    },
    startStream(o) {
      const ch = channel(o.channelUrl);
      const category = o.categoryId
        ? (CATEGORIES.find((c) => c.id === o.categoryId) ?? fail("invalid_param", "unknown categoryId"))
        : ch.category
          ? JSON.parse(ch.category)
          : CATEGORIES[0];
      return run(() => {
        const old = liveStream(emu, ch.id);
        if (old) return { streamId: old.id };
        const id = randomBytes(8).toString("hex");
        emu
          .q(SQL.insertStream)
          .run(
            id,
            ch.id,
            o.title ?? (ch.stream_title || `${ch.url} live`),
            JSON.stringify(category),
            now(),
            o.viewers ?? 0,
          );
        const row = liveStream(emu, ch.id);
        if (row) emitEvent(emu, ch, "channel_stream_start", { stream: streamInfo(row), channel_url: ch.url });
        return { streamId: id };
      });
    },
    stopStream(o) {
      const ch = channel(o.channelUrl);
      return run(() => {
        const live = liveStream(emu, ch.id);
        if (!live) return { streamId: null };
        emu.q(SQL.endStream).run(Math.max(now(), live.started_at + 1), live.id);
        const row = emu.q(SQL.selectStreamById).get(live.id) as typeof live;
        emitEvent(emu, ch, "channel_stream_end", { stream: streamInfo(row), channel_url: ch.url });
        return { streamId: live.id };
      });
    },
    postMessage(o) {
      const ch = channel(o.channelUrl);
      user(o.userId);
      if (o.text.length === 0 || o.text.length > LIMITS.messageLength) fail("message_too_long");
      return run(() => {
        const parts = JSON.stringify([{ text: { content: o.text } }]);
        const info = emu
          .q(SQL.insertMessage)
          .run(ch.id, liveStream(emu, ch.id)?.id ?? null, o.userId, parts, o.text, now());
        const row = emu.q(SQL.selectMessageById).get(info.lastInsertRowid) as MessageRow;
        emitEvent(emu, ch, "channel_chat_message_send", {
          chat_message: chatMessage(emu, row, ch),
          channel_url: ch.url,
        });
        return { messageId: row.id };
      });
    },
    deleteMessage(o) {
      const ch = channel(o.channelUrl);
      run(() => {
        const r = emu.q(SQL.markMessageDeleted).run(o.messageId, ch.id);
        if (r.changes === 0) fail("not_found", "Message not found");
        emitEvent(emu, ch, "channel_chat_message_delete", {
          chat_message: { id: o.messageId },
          channel_url: ch.url,
        });
      });
    },
    follow(o) {
      const ch = channel(o.channelUrl);
      const u = user(o.userId);
      run(() => {
        const r = emu.q(SQL.insertFollow).run(ch.id, u.id, now());
        if (r.changes)
          emitEvent(emu, ch, "channel_follow_create", { user: userShort(emu, u, ch), channel_url: ch.url });
      });
    },
    raid(o) {
      const ch = channel(o.channelUrl);
      const from = channel(o.fromChannelUrl);
      const owner = getUser(emu, from.owner_id);
      run(() =>
        emitEvent(emu, ch, "channel_raid_income", {
          from_channel: { id: from.id, url: from.url, nick: owner?.nick },
          viewers: o.viewers ?? 0,
          channel_url: ch.url,
        }),
      );
    },
    addModerator(o) {
      const ch = channel(o.channelUrl);
      user(o.userId);
      emu.q(SQL.insertModerator).run(ch.id, o.userId);
    },
    createReward(o) {
      const ch = channel(o.channelUrl);
      if (!Number.isSafeInteger(o.price) || o.price < 0)
        fail("invalid_param", "price must be a non-negative integer");
      const id = randomBytes(6).toString("hex");
      emu.q(SQL.insertReward).run(id, ch.id, o.name, o.description ?? "", o.price, o.messageRequired ? 1 : 0);
      return { rewardId: id };
    },
    grantPoints(o) {
      const ch = channel(o.channelUrl);
      user(o.userId);
      const row = emu.q(SQL.addBalance).get(ch.id, o.userId, o.amount) as { balance: number };
      return { balance: row.balance };
    },
    demandReward(o) {
      const ch = channel(o.channelUrl);
      const u = user(o.userId);
      const reward = emu.q(SQL.selectRewardInChannel).get(o.rewardId, ch.id) as
        | {
            id: string;
            name: string;
            description: string;
            price: number;
            is_enabled: number;
            is_message_required: number;
          }
        | undefined;
      if (!reward) fail("not_found", "Reward not found");
      return run(() => {
        const id = randomBytes(8).toString("hex");
        const parts = o.text ? [{ text: { content: o.text } }] : null;
        emu.q(SQL.insertDemand).run(id, ch.id, reward.id, u.id, parts ? JSON.stringify(parts) : null, now());
        emitEvent(emu, ch, "channel_points_reward_demand_create", {
          demand: {
            id,
            reward: {
              id: reward.id,
              name: reward.name,
              description: reward.description,
              price: reward.price,
              is_enabled: reward.is_enabled === 1,
              is_message_required: reward.is_message_required === 1,
            },
            user: userShort(emu, u, ch),
            message: parts ? { parts } : null,
            status: "pending",
            created_at: Math.floor(now() / 1000),
          },
          channel_url: ch.url,
        });
        return { demandId: id };
      });
    },
    banChannel(o) {
      const ch = channel(o.channelUrl);
      emu.q(SQL.updateChannelStatus).run(o.banned ? "banned" : "active", ch.id);
    },
    failNext(error, o = {}) {
      const rule: FaultRule = { error, remaining: o.times ?? 1 };
      if (o.path !== undefined) rule.path = o.path;
      emu.faults.push(rule);
    },
    deliveries: (clientId) => webhooks.list(clientId),
    redeliver: (id) => webhooks.redeliver(id),
    dropConnections: (userId) => hub.drop(userId === undefined ? undefined : String(userId)),
    stats: () => ({
      tokenRequests: { ...emu.stats.tokenRequests },
      connections: hub.connections,
      published: hub.published,
    }),
  };
}
