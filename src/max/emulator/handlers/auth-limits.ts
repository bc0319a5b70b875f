/**
 * Rate limits of the SMS login (opcodes 17 and 18, and the 2FA password step): per phone and per
 * connection, in sliding windows on the emulator's clock. Without them a client could ask for
 * new codes without end and guess about 5,000 codes a second.
 *
 * The seed says rate limits exist but does not document them; the refusal is the protocol's
 * `error.rate_limited` packet, which clients map to a retryable rate-limit error.
 */
import { ErrorCode } from "../../protocol.js";
import type { MaxEmulator } from "../context.js";
import { MaxProtocolError } from "../errors.js";

export const AUTH_WINDOW_MS = 10 * 60_000;
/** Per window: code requests (17) per phone, as the 17 answer's `requestCountLeft` counts them down. */
export const CODE_REQUESTS_PER_PHONE = 10;
/** Per window: code requests (17) per connection, whatever the phones. */
export const CODE_REQUESTS_PER_CONNECTION = 20;
/** Per window: code and password checks (18, 115) per phone (4 codes' worth of guesses). */
export const CODE_CHECKS_PER_PHONE = 20;
/** Per window: code and password checks (18, 115) per connection. */
export const CODE_CHECKS_PER_CONNECTION = 30;

type Bucket = "request" | "check";

/** Recent hits per key; only the last `limit` times of a key are kept. */
class SlidingWindows {
  private readonly hits = new Map<string, number[]>();

  /** Times of the key still inside the window (expired ones dropped). */
  private live(key: string, now: number): number[] {
    const times = this.hits.get(key);
    if (!times) return [];
    const from = now - AUTH_WINDOW_MS;
    while (times.length > 0 && (times[0] as number) <= from) times.shift();
    if (times.length === 0) this.hits.delete(key);
    return times;
  }

  /** Milliseconds until the key may be hit again, or 0 when under `limit` now. */
  waitFor(key: string, limit: number, now: number): number {
    const times = this.live(key, now);
    if (times.length < limit) return 0;
    return (times[times.length - limit] as number) + AUTH_WINDOW_MS - now;
  }

  hit(key: string, limit: number, now: number): void {
    const times = this.live(key, now);
    times.push(now);
    if (times.length > limit) times.splice(0, times.length - limit);
    this.hits.set(key, times);
    if (this.hits.size > 50_000) this.sweep(now);
  }

  remaining(key: string, limit: number, now: number): number {
    return Math.max(0, limit - this.live(key, now).length);
  }

  forget(key: string): void {
    this.hits.delete(key);
  }

  private sweep(now: number): void {
    for (const key of [...this.hits.keys()]) this.live(key, now);
  }
}

const windows = new WeakMap<MaxEmulator, SlidingWindows>();
function windowsOf(emu: MaxEmulator): SlidingWindows {
  let w = windows.get(emu);
  if (!w) {
    w = new SlidingWindows();
    windows.set(emu, w);
  }
  return w;
}

const LIMITS: Record<Bucket, { phone: number; connection: number }> = {
  request: { phone: CODE_REQUESTS_PER_PHONE, connection: CODE_REQUESTS_PER_CONNECTION },
  check: { phone: CODE_CHECKS_PER_PHONE, connection: CODE_CHECKS_PER_CONNECTION },
};

function refuse(waitMs: number): MaxProtocolError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new MaxProtocolError(
    ErrorCode.RATE_LIMIT,
    `Too many attempts, try again in ${seconds} s`,
    "Слишком много попыток, попробуйте позже",
  );
}

/**
 * Counts one attempt of `bucket` for the connection (and the phone, when known), or throws
 * `error.rate_limited` when either is at its limit. Refused attempts are not counted.
 */
export function takeAuthAttempt(
  emu: MaxEmulator,
  bucket: Bucket,
  connId: number,
  phone: string | undefined,
): void {
  const w = windowsOf(emu);
  const now = emu.now();
  const limit = LIMITS[bucket];
  const connKey = `${bucket}:c:${connId}`;
  const phoneKey = phone === undefined ? undefined : `${bucket}:p:${phone}`;
  const wait = Math.max(
    w.waitFor(connKey, limit.connection, now),
    phoneKey === undefined ? 0 : w.waitFor(phoneKey, limit.phone, now),
  );
  if (wait > 0) throw refuse(wait);
  w.hit(connKey, limit.connection, now);
  if (phoneKey !== undefined) w.hit(phoneKey, limit.phone, now);
}

/** Code requests (17) the phone has left in the current window. */
export function codeRequestsLeft(emu: MaxEmulator, phone: string): number {
  return windowsOf(emu).remaining(`request:p:${phone}`, CODE_REQUESTS_PER_PHONE, emu.now());
}

/** Drops a closed connection's counters (phones keep theirs). */
export function forgetConnection(emu: MaxEmulator, connId: number): void {
  const w = windows.get(emu);
  if (!w) return;
  w.forget(`request:c:${connId}`);
  w.forget(`check:c:${connId}`);
}
