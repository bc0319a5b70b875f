/**
 * Update delivery of the Bot API emulator. startUpdates subscribes to the MAX world: for each
 * event it decides which bots receive it (routing.ts) and appends their Update JSON to
 * maxbot_updates inside the world's own transaction, so an update commits with the change it
 * describes. After the transaction it wakes the bots' waiting long polls and their webhook
 * delivery (queueMicrotask). Queues are bounded: an update lives at most `retentionMs`
 * (platform: 24 h) and a bot keeps at most `maxQueuedPerBot` (oldest dropped first).
 */
import type { MaxBotContext } from "../context.js";
import { listBots } from "../store/bots.js";
import { hasSubscription, subscribedBots } from "../store/subscriptions.js";
import {
  botsWithUpdates,
  insertUpdate,
  pruneCallbacks,
  pruneUpdates,
  saveCallback,
} from "../store/updates.js";
import { prunePendingUploads } from "../store/uploads.js";
import type { WorldEvent } from "../world.js";
import { type RoutingInput, routeEvent } from "./routing.js";
import { PollWaiters, type WaitEnd } from "./waiters.js";
import {
  DEFAULT_WEBHOOK_OPTIONS,
  type ResolvedWebhookOptions,
  WebhookDispatcher,
  type WebhookOptions,
} from "./webhooks.js";

export type { WaitEnd } from "./waiters.js";
export type { WebhookOptions } from "./webhooks.js";

export interface UpdatesOptions {
  /** How long an undelivered update is kept (default 24 h, as the platform). */
  retentionMs?: number;
  /** Most updates queued per bot; older ones are dropped beyond it (default 100,000). */
  maxQueuedPerBot?: number;
  webhook?: WebhookOptions;
}

/** Update delivery of the Bot API emulator: per-bot queues, long-poll wake-ups, webhooks. */
export interface UpdatesService {
  close(): Promise<void>;
  /** Waits (long poll) until the bot gets a new update, `ms` passes, the client leaves or the service closes. */
  waitForUpdate(botId: number, ms: number, signal?: AbortSignal): Promise<WaitEnd>;
  /** A subscription of the bot was added or removed. */
  subscriptionsChanged(botId: number): void;
  /** Ends every waiting long poll now and any later one at once (the server is closing). */
  endPolls(): void;
  readonly webhookOptions: ResolvedWebhookOptions;
}

const PRUNE_EVERY_MS = 60_000;
/** A bot's queue is checked against its cap every this many inserts. */
const CAP_CHECK_EVERY = 256;

/** Subscribes to the MAX world and stores each bot's updates inside the world's transaction. */
export function startUpdates(ctx: MaxBotContext, options: UpdatesOptions = {}): UpdatesService {
  const retentionMs = options.retentionMs ?? 24 * 3600_000;
  const maxQueued = options.maxQueuedPerBot ?? 100_000;
  const webhookOptions: ResolvedWebhookOptions = { ...DEFAULT_WEBHOOK_OPTIONS, ...options.webhook };
  const waiters = new PollWaiters();
  const webhooks = new WebhookDispatcher(ctx, webhookOptions);
  const subscribed = new Set(subscribedBots(ctx.db));
  const insertsSinceCheck = new Map<number, number>();
  let pending = new Set<number>();
  // Known bot ids, re-read when membership changes or after a second (bots are few; routing
  // asks each one's membership in group chats).
  let knownBots: number[] | null = null;
  let knownBotsAt = 0;
  const routing: RoutingInput = {
    world: ctx.world,
    knownBots() {
      const now = performance.now();
      if (knownBots === null || now - knownBotsAt > 1000) {
        knownBots = listBots(ctx.db).map((b) => b.userId);
        knownBotsAt = now;
      }
      return knownBots;
    },
  };
  let closed = false;

  const wakePending = () => {
    const bots = pending;
    pending = new Set();
    for (const botId of bots) {
      waiters.wake(botId);
      if (subscribed.has(botId)) webhooks.kick(botId);
    }
  };

  const onEvent = (event: WorldEvent) => {
    if (closed) return;
    try {
      const now = ctx.clock.now();
      if (event.type === "members.added" || event.type === "member.removed") knownBots = null;
      const routed = routeEvent(routing, event, now);
      if (event.type === "callback.pressed") {
        for (const u of routed)
          saveCallback(ctx.db, event.callbackId, {
            botId: u.botId,
            chatId: event.chatId,
            messageId: event.messageId,
            userId: event.userId,
            time: event.time,
          });
      }
      for (const u of routed) {
        insertUpdate(ctx.db, u.botId, u.updateType, u.time, JSON.stringify(u.body));
        const n = (insertsSinceCheck.get(u.botId) ?? 0) + 1;
        if (n >= CAP_CHECK_EVERY) {
          insertsSinceCheck.delete(u.botId);
          const dropped = pruneUpdates(ctx.db, u.botId, now - retentionMs, maxQueued);
          if (dropped > 0)
            ctx.log.warn({ botId: u.botId, dropped }, "maxbot: update queue over its cap, oldest dropped");
        } else insertsSinceCheck.set(u.botId, n);
        if (pending.size === 0) queueMicrotask(wakePending);
        pending.add(u.botId);
      }
    } catch (err) {
      // Listeners must not throw into the world's transaction: the change stands, the update is lost.
      ctx.log.error({ err, event: event.type }, "maxbot: could not store an update");
    }
  };

  const unsubscribe = ctx.world.subscribe(onEvent);

  const pruneAll = () => {
    try {
      const now = ctx.clock.now();
      for (const botId of botsWithUpdates(ctx.db)) pruneUpdates(ctx.db, botId, now - retentionMs, maxQueued);
      pruneCallbacks(ctx.db, now - retentionMs);
      prunePendingUploads(ctx.db, now - retentionMs);
    } catch (err) {
      ctx.log.error({ err }, "maxbot: pruning the update queues failed");
    }
  };
  const pruneTimer = setInterval(pruneAll, PRUNE_EVERY_MS);
  pruneTimer.unref();

  webhooks.resumeAll();

  return {
    webhookOptions,
    waitForUpdate: (botId, ms, signal) =>
      closed ? Promise.resolve("closed") : waiters.wait(botId, ms, signal),
    subscriptionsChanged(botId) {
      if (hasSubscription(ctx.db, botId)) {
        subscribed.add(botId);
        webhooks.kick(botId);
      } else subscribed.delete(botId);
      waiters.wake(botId);
    },
    endPolls() {
      waiters.close();
    },
    async close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(pruneTimer);
      waiters.close();
      await webhooks.close();
    },
  };
}
