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

/**
 * Injected network trouble for MAX connections (admin API): delayed responses and
 * failed requests. Drops act directly on sockets (see server.ts `dropConnections`).
 */
export class Faults {
  private fails: FailRule[] = [];
  private delays: DelayRule[] = [];

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
    this.delays.push({ ms, until: Date.now() + durationMs, userId: target.userId });
  }

  clear(): void {
    this.fails = [];
    this.delays = [];
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
    const now = Date.now();
    this.delays = this.delays.filter((d) => d.until > now);
    let ms = 0;
    for (const d of this.delays) if (d.userId === undefined || d.userId === userId) ms = Math.max(ms, d.ms);
    return ms;
  }

  snapshot(): { fails: number; delays: number } {
    return { fails: this.fails.reduce((n, r) => n + r.remaining, 0), delays: this.delays.length };
  }
}
