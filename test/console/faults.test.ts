/** The MAX emulator's rate-limit fault (src/max/emulator/faults.ts), without sockets. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { Faults } from "../../src/max/emulator/faults.js";

describe("Faults.rateLimit", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("serves `limit` requests per window per user, then refuses until the window turns", () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const f = new Faults();
    f.rateLimit(2, 1000, 10_000, {});
    expect([f.overRate(7, 1, 64), f.overRate(7, 1, 64), f.overRate(7, 1, 64)]).toEqual([false, false, true]);
    // Another user has a window of their own; keepalives never count.
    expect(f.overRate(8, 2, 64)).toBe(false);
    expect(f.overRate(7, 1, 1)).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(f.overRate(7, 1, 64)).toBe(false);
    expect(f.activeRateLimits()).toBe(1);
    // After its duration the limit is gone.
    vi.advanceTimersByTime(10_000);
    expect([f.overRate(7, 1, 64), f.overRate(7, 1, 64), f.overRate(7, 1, 64)]).toEqual([false, false, false]);
    expect(f.activeRateLimits()).toBe(0);
  });

  it("targets one user, counts connections without a user separately, and clears", () => {
    const f = new Faults();
    f.rateLimit(0, 60_000, 60_000, { userId: 5 });
    expect(f.overRate(5, 1, 48)).toBe(true);
    expect(f.overRate(6, 2, 48)).toBe(false);
    expect(f.overRate(undefined, 3, 17)).toBe(false);
    const g = new Faults();
    g.rateLimit(1, 60_000, 60_000, {});
    expect(g.overRate(undefined, 3, 17)).toBe(false);
    expect(g.overRate(undefined, 4, 17)).toBe(false);
    expect(g.overRate(undefined, 3, 17)).toBe(true);
    g.clear();
    expect(g.overRate(undefined, 3, 17)).toBe(false);
    expect(g.snapshot()).toEqual({ fails: 0, delays: 0 });
  });
});
