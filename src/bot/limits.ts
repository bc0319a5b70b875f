/**
 * How fast the outbox may send, per platform, and the token buckets that enforce it. Numbers come
 * from what each platform documents (or, where it documents nothing, what our emulator enforces
 * or a conservative guess, said as such next to the number). Buckets learn: a rate-limit answer
 * halves the rate and pauses the bucket; each later success wins a little of it back.
 */
import type { PlatformName } from "../core/model.js";

export interface PlatformLimit {
  /** Requests per second one account may make (every request counts, not only sends). */
  perSecond: number;
  /** Messages per second into one chat; undefined = only the account's limit applies. */
  perChatPerSecond?: number;
}

/** The documented (or enforced) limits, with where each number comes from. */
export const PLATFORM_LIMITS: Readonly<Record<PlatformName, PlatformLimit>> = {
  // MAX Bot API: "30 requests/s, 429 beyond" (/work/shared/PROTOCOL-NOTES.md, "MAX Bot API",
  // Limits); the emulator enforces the same: src/maxbot/emulator/rate-limit.ts REQUESTS_PER_SECOND = 30
  // in any sliding second, per token. No per-chat limit is documented.
  maxbot: { perSecond: 30 },
  // VK Video Live DevAPI: the emulator's default is 600 requests per 60 s per token, 429
  // ratelimit_exceeded beyond (src/vklive/emulator/context.ts DEFAULT_CONFIG.rateLimit); the seed
  // (seeds/003) names ratelimit_exceeded but no number. Per chat: the channel's slow mode
  // (`any_message_timeout`, seconds, 0 by default) answers send_too_fast, handled as a per-chat
  // rate limit by the outbox (its length is per channel, so no fixed number here).
  vklive: { perSecond: 10 },
  // MAX user API (WebSocket): "Rate limits: не документированы, но есть" (seeds/000, "Ограничения
  // и лимиты"); the emulator has none unless a fault adds one. 10/s and 2/s per chat are our
  // conservative guess for a user account, not a documented number.
  max: { perSecond: 10, perChatPerSecond: 2 },
  // MaxIM server API: the seed (seeds/001) documents no request limit and the emulator enforces
  // none; 20/s is our guess, kept below what one HTTP/1.1 keep-alive client does comfortably.
  maxim: { perSecond: 20 },
  // WebQQ: the seeds (002, 004) give no limit and no retcode for sending too fast (the emulator
  // answers 503 + retcode 1202 under a rate-limit fault, src/webqq/emulator/faults.ts); 5/s per
  // account and 1/s per group are our conservative guess (Smart QQ was known to drop floods).
  webqq: { perSecond: 5, perChatPerSecond: 1 },
};

/**
 * Below a limit with a margin: a bucket of `limit × 0.8` per second holding `limit × 0.1` tokens
 * (at least 1) makes at most `limit × 0.9` requests in any sliding second, which leaves room for
 * the adapter's own requests (long polls, lookups) and for arrival jitter on the server's side
 * (with 0.9 + 0.1 the MAX Bot API emulator's 30/s window still answered an occasional 429).
 */
export function bucketShape(limit: number): { rate: number; capacity: number } {
  return { rate: limit * 0.8, capacity: Math.max(1, Math.floor(limit * 0.1)) };
}

/** The slowest a bucket learns down to (one send per 10 s). */
const MIN_RATE = 0.1;

/**
 * A token bucket with a pause (Retry-After) and learning: a rate limit halves the rate (once per
 * pause, however many sends in flight hit it), and each second of successes after it wins back a
 * tenth of the configured rate.
 */
export class TokenBucket {
  #rate: number;
  readonly #maxRate: number;
  readonly #capacity: number;
  #tokens: number;
  #at: number;
  #pausedUntil = 0;
  /** When the rate last grew back (or the last pause ended). */
  #grewAt = 0;
  /** Rate limits in a row without a success between (backs the pause off when no Retry-After came). */
  #strikes = 0;

  constructor(limitPerSecond: number, now: number) {
    const { rate, capacity } = bucketShape(limitPerSecond);
    this.#rate = rate;
    this.#maxRate = rate;
    this.#capacity = capacity;
    this.#tokens = capacity;
    this.#at = now;
  }

  get rate(): number {
    return this.#rate;
  }

  get pausedUntil(): number {
    return this.#pausedUntil;
  }

  #refill(now: number): void {
    if (now > this.#at) {
      this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#at) / 1000) * this.#rate);
      this.#at = now;
    }
  }

  /** When a token is available (now or later), without taking it. */
  readyAt(now: number): number {
    this.#refill(now);
    const after = Math.max(now, this.#pausedUntil);
    if (this.#tokens >= 1) return after;
    return Math.max(after, now + Math.ceil(((1 - this.#tokens) / this.#rate) * 1000));
  }

  /** Takes a token; call only when `readyAt(now) <= now`. */
  take(now: number): void {
    this.#refill(now);
    this.#tokens -= 1;
  }

  /** A send went through: win back a tenth of the configured rate per second of successes. */
  succeeded(now: number): void {
    this.#strikes = 0;
    if (this.#rate < this.#maxRate && now - this.#grewAt >= 1000) {
      this.#rate = Math.min(this.#maxRate, this.#rate + this.#maxRate * 0.1);
      this.#grewAt = now;
    }
  }

  /**
   * The platform said "too fast": pause for `retryAfterMs` (or 1 s, doubling with each strike in a
   * row, up to 60 s, when it said nothing), halve the rate and empty the bucket. Returns the pause end.
   */
  rateLimited(now: number, retryAfterMs: number | undefined): number {
    // Another send of the same burst: the pause already in force covers it.
    if (now < this.#pausedUntil) {
      if (retryAfterMs !== undefined) this.#pausedUntil = Math.max(this.#pausedUntil, now + retryAfterMs);
      return this.#pausedUntil;
    }
    this.#strikes += 1;
    const pause = retryAfterMs ?? Math.min(60_000, 1000 * 2 ** (this.#strikes - 1));
    this.#pausedUntil = Math.max(this.#pausedUntil, now + pause);
    this.#rate = Math.max(MIN_RATE, this.#rate / 2);
    this.#tokens = 0;
    this.#at = now;
    this.#grewAt = this.#pausedUntil;
    return this.#pausedUntil;
  }
}

/** The limit of `platform` with the caller's overrides. */
export function limitFor(
  platform: string,
  overrides: Partial<Record<string, { perSecond?: number; perChatPerSecond?: number }>> | undefined,
): PlatformLimit {
  const base: PlatformLimit = PLATFORM_LIMITS[platform as PlatformName] ?? { perSecond: 5 };
  const o = overrides?.[platform];
  const perChat = o?.perChatPerSecond ?? base.perChatPerSecond;
  return {
    perSecond: positive(o?.perSecond) ?? base.perSecond,
    ...(positive(perChat) !== undefined ? { perChatPerSecond: perChat } : {}),
  };
}

function positive(n: number | undefined): number | undefined {
  return n !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * Whether the platform itself drops a repeated send made with the same idempotency key (so a
 * retry after a lost answer cannot make a second message). Where it does not, the outbox looks
 * for its own echo in the chat's history before sending again.
 */
export const SERVER_DEDUPE: Readonly<Record<PlatformName, boolean>> = {
  // MaxIM: `transaction_id` per sender, a repeat inside the window is acknowledged and not stored
  // again (src/maxim/emulator/handlers/messages.ts, claimTransaction; the adapter derives it from the key).
  maxim: true,
  // WebQQ: sender + clientid + msg_id + content repeated inside the window is a retry, stored and
  // delivered once (src/webqq/emulator/deliver.ts storeAndFanOut; the adapter derives msg_id from the key).
  webqq: true,
  // MAX user API: the adapter sends a cid derived from the key, but the server stores it without
  // refusing a repeat (src/max/emulator/handlers/chat-messages.ts keeps cid only as a field).
  max: false,
  // MAX Bot API: no idempotency field on POST /messages (src/maxbot/adapter.ts: "the Bot API has
  // no server-side de-duplication").
  maxbot: false,
  // VK Live DevAPI: none (src/vklive/adapter.ts: "no server-side de-duplication").
  vklive: false,
};
