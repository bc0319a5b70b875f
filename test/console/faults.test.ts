/** The MAX emulator's rate-limit fault (src/max/emulator/faults.ts), and the console's list of faults in force. */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../src/core/emulator/clock.js";
import { Faults } from "../../src/max/emulator/faults.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { RawClient } from "../max/raw.js";
import { api } from "../sandbox/proc.js";

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

describe("console: the MAX 'Active faults' table lists only faults in force", () => {
  let sb: Sandbox;
  const clock = new ManualClock(1_800_000_000_000);
  const rows = async () => {
    const { body } = await api(sb.urls.console, "GET", "/_sandbox/console/max/tables");
    return body.tables.find((t: { id: string }) => t.id === "faults").rows as Record<string, unknown>[];
  };
  const fault = async (body: Record<string, unknown>) =>
    expect((await api(sb.urls.console, "POST", "/_sandbox/console/max/faults", body)).status).toBe(200);

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, data: null, clock });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("one row per fault; a used-up failure and expired delays and limits are gone", async () => {
    // Nothing injected: no rows (the page's title reads "Active faults (0)").
    expect(await rows()).toEqual([]);
    await fault({ action: "fail", count: 1, opcode: 6, error: "error.test" });
    await fault({ action: "delay", ms: 5, durationMs: 1000 });
    await fault({ action: "ratelimit", limit: 100, durationMs: 2000 });
    expect(await rows()).toEqual([
      { kind: "fail", user: "everyone", detail: "error.test on opcode 6", remaining: 1, until: "" },
      {
        kind: "delay",
        user: "everyone",
        detail: "5 ms",
        remaining: "",
        until: new Date(clock.now() + 1000).toISOString(),
      },
      {
        kind: "ratelimit",
        user: "everyone",
        detail: "100 per 1000 ms",
        remaining: "",
        until: new Date(clock.now() + 2000).toISOString(),
      },
    ]);
    // A client's hello (opcode 6) uses the failure up.
    const c = await RawClient.connect(sb.urls.max);
    try {
      const answer = await c.call(6, { userAgent: { deviceType: "WEB" }, deviceId: "x" });
      expect(answer.cmd).toBe(3);
    } finally {
      c.close();
    }
    expect((await rows()).map((r) => r.kind)).toEqual(["delay", "ratelimit"]);
    // Past its duration the delay is not in force, though no request has swept it yet.
    clock.advance(1500);
    expect((await rows()).map((r) => r.kind)).toEqual(["ratelimit"]);
    expect((await api(sb.urls.console, "GET", "/_sandbox/max/stats")).body.faults).toEqual({
      fails: 0,
      delays: 0,
    });
    clock.advance(1000);
    expect(await rows()).toEqual([]);
  });
});
