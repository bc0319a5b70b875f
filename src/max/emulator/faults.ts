import { ErrorCode } from "../protocol.js";

/** Which connections a fault applies to: one user's, or everyone's. */
export interface FaultTarget {
  userId?: number;
}

interface FailRule extends FaultTarget {
  remaining: number;
  error: string;
  message: string;
  opcode?: number;
}

interface DelayRule extends FaultTarget {
  ms: number;
  until: number;
}

interface RateRule extends FaultTarget {
  /** Requests served per window (per user, or per connection before login); the rest fail. */
  limit: number;
  windowMs: number;
  until: number;
  /** Window start and count per user id (or `c<connection id>` for connections without a user). */
  windows: Map<string, { start: number; count: number }>;
}

/**
 * Injected network trouble for MAX connections (admin API): delayed responses and
 * failed requests. Drops act directly on sockets (see server.ts `dropConnections`).
 */
export class Faults {
  private fails: FailRule[] = [];
  private delays: DelayRule[] = [];
  private rates: RateRule[] = [];

  /** `now` is the emulator's clock (the sandbox's), so fault windows move with it in tests. */
  constructor(private readonly now: () => number = Date.now) {}

  failNext(count: number, target: FaultTarget & { error?: string; message?: string; opcode?: number }): void {
    this.fails.push({
      remaining: count,
      error: target.error ?? ErrorCode.SERVICE,
      message: target.message ?? "Service temporarily unavailable",
      userId: target.userId,
      opcode: target.opcode,
    });
  }

  delay(ms: number, durationMs: number, target: FaultTarget): void {
    this.delays.push({ ms, until: this.now() + durationMs, userId: target.userId });
  }

  /** For `durationMs`, at most `limit` requests per `windowMs` are served; the rest get error.rate_limited. */
  rateLimit(limit: number, windowMs: number, durationMs: number, target: FaultTarget): void {
    this.rates.push({
      limit,
      windowMs,
      until: this.now() + durationMs,
      userId: target.userId,
      windows: new Map(),
    });
  }

  clear(): void {
    this.fails = [];
    this.delays = [];
    this.rates = [];
  }

  /** Counts one request against the active rate limits; true when it is over a limit. Keepalives are free. */
  overRate(userId: number | undefined, connId: number, opcode: number): boolean {
    if (this.rates.length === 0 || opcode === 1) return false;
    const now = this.now();
    this.rates = this.rates.filter((r) => r.until > now);
    let over = false;
    for (const r of this.rates) {
      if (r.userId !== undefined && r.userId !== userId) continue;
      const key = userId === undefined ? `c${connId}` : String(userId);
      let w = r.windows.get(key);
      if (!w || now - w.start >= r.windowMs) {
        w = { start: now, count: 0 };
        r.windows.set(key, w);
      }
      if (++w.count > r.limit) over = true;
    }
    return over;
  }

  /** Consumes one matching fail rule, if any. Keepalives are never failed (they'd just drop the link). */
  takeFailure(userId: number | undefined, opcode: number): { error: string; message: string } | undefined {
    if (this.fails.length === 0 || opcode === 1) return undefined;
    const rule = this.fails.find(
      (r) =>
        r.remaining > 0 &&
        (r.userId === undefined || r.userId === userId) &&
        (r.opcode === undefined || r.opcode === opcode),
    );
    if (!rule) return undefined;
    rule.remaining--;
    if (rule.remaining === 0) this.fails = this.fails.filter((r) => r.remaining > 0);
    return { error: rule.error, message: rule.message };
  }

  delayFor(userId: number | undefined): number {
    if (this.delays.length === 0) return 0;
    const now = this.now();
    this.delays = this.delays.filter((d) => d.until > now);
    let ms = 0;
    for (const d of this.delays) if (d.userId === undefined || d.userId === userId) ms = Math.max(ms, d.ms);
    return ms;
  }

  snapshot(): { fails: number; delays: number } {
    // Expired delays are only swept when a request asks; they are not in force.
    const now = this.now();
    return {
      fails: this.fails.reduce((n, r) => n + r.remaining, 0),
      delays: this.delays.filter((d) => d.until > now).length,
    };
  }

  /** Every fault in force now, one entry each (the console's table): no used-up or expired ones. */
  active(): {
    kind: "fail" | "delay" | "ratelimit";
    userId?: number;
    detail: string;
    remaining?: number;
    until?: number;
  }[] {
    const now = this.now();
    const who = (r: FaultTarget) => (r.userId === undefined ? {} : { userId: r.userId });
    return [
      ...this.fails
        .filter((r) => r.remaining > 0)
        .map((r) => ({
          kind: "fail" as const,
          ...who(r),
          detail: `${r.error}${r.opcode === undefined ? "" : ` on opcode ${r.opcode}`}`,
          remaining: r.remaining,
        })),
      ...this.delays
        .filter((d) => d.until > now)
        .map((d) => ({ kind: "delay" as const, ...who(d), detail: `${d.ms} ms`, until: d.until })),
      ...this.rates
        .filter((r) => r.until > now)
        .map((r) => ({
          kind: "ratelimit" as const,
          ...who(r),
          detail: `${r.limit} per ${r.windowMs} ms`,
          until: r.until,
        })),
    ];
  }

  /** Rate limits still in force (for the console). */
  activeRateLimits(): number {
    const now = this.now();
    return this.rates.filter((r) => r.until > now).length;
  }
}
