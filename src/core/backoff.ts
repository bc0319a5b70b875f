import { abortedError, type Platform } from "./errors.js";

export interface BackoffOptions {
  /** Delay ceiling of the first retry, ms (default 500). */
  baseMs?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** Upper bound of any single delay, ms (default 30 000). */
  maxMs?: number;
  /** Uniform [0, 1) source; injectable so tests are deterministic. */
  random?: () => number;
}

const DEFAULTS = { baseMs: 500, factor: 2, maxMs: 30_000 } as const;

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(max, base·factor^(attempt-1))].
 * Full jitter spreads reconnect storms best when many clients drop together.
 * `attempt` counts from 1.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? DEFAULTS.baseMs;
  const factor = options.factor ?? DEFAULTS.factor;
  const max = options.maxMs ?? DEFAULTS.maxMs;
  const random = options.random ?? Math.random;
  const n = Math.max(1, Math.floor(attempt));
  // Cap the exponent so huge attempt counts can't overflow to Infinity·0 = NaN.
  const ceiling = Math.min(max, base * factor ** Math.min(n - 1, 64));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceiling);
}

/** Stateful helper: `next()` yields successive delays, `reset()` after a success. */
export class Backoff {
  #attempt = 0;
  constructor(private readonly options: BackoffOptions = {}) {}

  /** Number of delays handed out since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  next(): number {
    this.#attempt += 1;
    return backoffDelay(this.#attempt, this.options);
  }

  reset(): void {
    this.#attempt = 0;
  }
}

/**
 * Sleeps `ms`, rejecting with AbortError as soon as `signal` aborts. The timer and the
 * abort listener are always removed, so nothing dangles after either outcome.
 */
export function sleep(ms: number, signal?: AbortSignal, platform: Platform = "core"): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortedError(platform, signal.reason));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError(platform, signal?.reason));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
