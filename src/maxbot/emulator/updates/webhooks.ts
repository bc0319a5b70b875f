/**
 * Webhook delivery, as the platform describes it: each update is POSTed as JSON to every
 * subscription of its bot (with X-Max-Bot-Api-Secret when the subscription has a secret); only
 * a 200 answer counts as delivered; a failure is retried after 30–60 s until 8 h after the
 * update happened, then skipped. Per bot one request is in flight and updates go in order; at
 * most `maxConcurrentBots` bots deliver at once and at most `perSecond` notifications leave per
 * second in all. Progress (last delivered seq, retry time) is in SQLite, so a restart resumes
 * where it stopped and no update is lost or skipped.
 */
import type { Logger } from "../../../core/log.js";
import { redactUrl } from "../../../core/redact.js";
import type { MaxBotContext } from "../context.js";
import {
  clearRetryTime,
  markDelivered,
  markFailed,
  type Subscription,
  subscribedBots,
  subscriptionsOf,
} from "../store/subscriptions.js";
import { commitUpTo, newestSeq, updatesAfter } from "../store/updates.js";

export interface WebhookOptions {
  /** Retry delay after a failed delivery: a random time in [min, max] ms (platform: 30–60 s). */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** An update not delivered this long after it happened is skipped (platform: 8 h). */
  giveUpAfterMs?: number;
  /** How long one POST may take before it counts as failed. */
  requestTimeoutMs?: number;
  /** Bots delivering at the same time. */
  maxConcurrentBots?: number;
  /** Notifications per second across all bots (platform: 100). */
  perSecond?: number;
  /** Accept plain http:// subscription URLs on any host (default: only https, and http on loopback). */
  allowHttp?: boolean;
}

export type ResolvedWebhookOptions = Required<WebhookOptions>;

export const DEFAULT_WEBHOOK_OPTIONS: ResolvedWebhookOptions = {
  retryMinMs: 30_000,
  retryMaxMs: 60_000,
  giveUpAfterMs: 8 * 3600_000,
  requestTimeoutMs: 30_000,
  maxConcurrentBots: 16,
  perSecond: 100,
  allowHttp: false,
};

/** A counting semaphore (bots delivering at once). */
class Slots {
  private readonly queue: (() => void)[] = [];
  constructor(private free: number) {}
  async take(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.queue.push(resolve));
  }
  give(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.free++;
  }
}

/** At most `perSecond` sends in any sliding second. */
class Pace {
  private readonly sent: number[] = [];
  constructor(private readonly perSecond: number) {}
  /** Milliseconds to wait before the next send may leave (0 = now); records it when 0. */
  reserve(): number {
    const now = performance.now();
    while (this.sent.length > 0 && now - (this.sent[0] as number) >= 1000) this.sent.shift();
    if (this.sent.length < this.perSecond) {
      this.sent.push(now);
      return 0;
    }
    return 1000 - (now - (this.sent[0] as number)) + 1;
  }
}

export class WebhookDispatcher {
  private readonly running = new Map<number, Promise<void>>();
  /** Bots woken again while their loop ran: it goes round once more. */
  private readonly again = new Set<number>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve(): void }>();
  private readonly inFlight = new Set<AbortController>();
  private readonly slots: Slots;
  private readonly pace: Pace;
  private closed = false;
  private readonly log: Logger;

  constructor(
    private readonly ctx: MaxBotContext,
    private readonly options: ResolvedWebhookOptions,
  ) {
    this.slots = new Slots(options.maxConcurrentBots);
    this.pace = new Pace(options.perSecond);
    this.log = ctx.log;
  }

  /** Resumes delivery for every subscribed bot (after a restart). */
  resumeAll(): void {
    for (const botId of subscribedBots(this.ctx.db)) this.kick(botId);
  }

  /** New updates (or a new subscription) for the bot: make sure its delivery loop runs. */
  kick(botId: number): void {
    if (this.closed) return;
    if (this.running.has(botId)) {
      this.again.add(botId);
      return;
    }
    const loop = this.run(botId)
      .catch((err: unknown) => this.log.error({ err, botId }, "maxbot webhook loop failed"))
      .finally(() => {
        this.running.delete(botId);
        if (this.again.delete(botId)) this.kick(botId);
      });
    this.running.set(botId, loop);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) {
      clearTimeout(t.timer);
      t.resolve();
    }
    this.timers.clear();
    for (const c of this.inFlight) c.abort();
    await Promise.allSettled([...this.running.values()]);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.closed) return resolve();
      const entry = {
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.timers.add(entry);
    });
  }

  /** Delivers the bot's pending updates until none is left (or the service closes). */
  private async run(botId: number): Promise<void> {
    const { db, clock } = this.ctx;
    let skipped = 0;
    while (!this.closed) {
      this.again.delete(botId);
      const subs = subscriptionsOf(db, botId);
      if (subs.length === 0) return;
      // The subscription whose next update is due first.
      let chosen: { sub: Subscription; seq: number; body: string; time: number } | null = null;
      for (const sub of subs) {
        const next = updatesAfter(db, botId, sub.deliveredSeq, 1, sub.updateTypes)[0];
        if (!next) {
          // Nothing it wants: every queued update counts as passed for this subscription.
          const newest = newestSeq(db, botId);
          if (newest > sub.deliveredSeq) markDelivered(db, botId, sub.url, newest);
          continue;
        }
        if (!chosen || sub.nextAttemptAt < chosen.sub.nextAttemptAt)
          chosen = { sub, seq: next.seq, body: next.body, time: next.time };
      }
      this.commitDelivered(botId);
      if (!chosen) return;
      const { sub, seq, body, time } = chosen;
      const now = clock.now();
      if (now - time > this.options.giveUpAfterMs) {
        this.log.warn(
          { botId, url: redactUrl(sub.url), seq },
          "maxbot webhook: update expired undelivered, skipped",
        );
        markDelivered(db, botId, sub.url, seq);
        // A long backlog of expired updates must not hold the event loop in one synchronous run.
        if (++skipped % 100 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      if (sub.nextAttemptAt > now) {
        // A retry is scheduled (possibly before a restart); the wait never exceeds one retry delay.
        await this.sleep(Math.min(sub.nextAttemptAt - now, this.options.retryMaxMs));
        if (this.closed) return;
        clearRetryTime(db, botId, sub.url);
        continue;
      }
      await this.slots.take();
      let error: string | null;
      try {
        for (let wait = this.pace.reserve(); wait > 0 && !this.closed; wait = this.pace.reserve())
          await this.sleep(wait);
        if (this.closed) return;
        error = await this.post(sub, body);
      } finally {
        this.slots.give();
      }
      if (this.closed) return;
      if (error === null) {
        markDelivered(db, botId, sub.url, seq);
      } else {
        const { retryMinMs, retryMaxMs } = this.options;
        const delay = retryMinMs + Math.floor(Math.random() * (retryMaxMs - retryMinMs + 1));
        markFailed(db, botId, sub.url, clock.now() + delay, error);
        this.log.info(
          { botId, url: redactUrl(sub.url), seq, error, retryInMs: delay },
          "maxbot webhook delivery failed",
        );
      }
    }
  }

  /** Updates every subscription has passed are committed (removed from the queue). */
  private commitDelivered(botId: number): void {
    const subs = subscriptionsOf(this.ctx.db, botId);
    if (subs.length === 0) return;
    const upTo = Math.min(...subs.map((s) => s.deliveredSeq));
    if (upTo > 0) commitUpTo(this.ctx.db, botId, upTo);
  }

  /** POSTs one update; null on 200, else a short reason (never the secret). */
  private async post(sub: Subscription, body: string): Promise<string | null> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(), this.options.requestTimeoutMs);
    try {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (sub.secret) headers["x-max-bot-api-secret"] = sub.secret;
      const res = await fetch(sub.url, {
        method: "POST",
        headers,
        body,
        signal: controller.signal,
        redirect: "manual",
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.status === 200 ? null : `HTTP ${res.status}`;
    } catch (err) {
      const cause = (err as { cause?: { code?: unknown } }).cause?.code;
      return controller.signal.aborted
        ? "timeout"
        : `network error${typeof cause === "string" ? ` ${cause}` : ""}`;
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }
}
