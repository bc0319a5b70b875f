import { describe, expect, it } from "vitest";
import { Backoff, backoffDelay, sleep } from "../../src/core/backoff.js";
import { AbortError } from "../../src/core/errors.js";

describe("backoffDelay", () => {
  it("grows exponentially up to the cap with the top of the jitter range", () => {
    const opts = { baseMs: 100, factor: 2, maxMs: 1000, random: () => 0.999999 };
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, opts))).toEqual([99, 199, 399, 799, 999, 999]);
  });

  it("uses full jitter: the whole range down to zero", () => {
    expect(backoffDelay(5, { baseMs: 100, random: () => 0 })).toBe(0);
    expect(backoffDelay(3, { baseMs: 100, factor: 3, random: () => 0.5 })).toBe(450);
  });

  it("stays finite and within bounds for any attempt and random source", () => {
    for (const attempt of [0, 1, 10, 100, 10_000]) {
      for (const r of [0, 0.3, 0.999, 1, 2, -1]) {
        const d = backoffDelay(attempt, { baseMs: 500, maxMs: 30_000, random: () => r });
        expect(Number.isFinite(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(30_000);
      }
    }
  });

  it("Backoff counts attempts and resets", () => {
    const b = new Backoff({ baseMs: 10, random: () => 1 });
    expect([b.next(), b.next(), b.next()]).toEqual([10, 20, 40]);
    expect(b.attempt).toBe(3);
    b.reset();
    expect(b.next()).toBe(10);
  });
});

describe("sleep", () => {
  it("waits at least the given time", async () => {
    const t0 = Date.now();
    await sleep(30);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
  });

  it("rejects with AbortError when aborted, before or during", async () => {
    const pre = new AbortController();
    pre.abort("bye");
    await expect(sleep(10, pre.signal)).rejects.toBeInstanceOf(AbortError);
    const ctl = new AbortController();
    const p = sleep(60_000, ctl.signal, "max");
    ctl.abort();
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).platform).toBe("max");
  });
});
