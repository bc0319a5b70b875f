/**
 * The platform's limit of 30 requests per second per bot token, in raw HTTP: a burst beyond it
 * gets 429 {code: "too.many.requests"}; another bot is not affected; a second later the bot is
 * served again; a waiting long poll counts once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BotWorld, startBotWorld } from "./harness.js";

let world: BotWorld;

async function me(token: string) {
  const res = await fetch(`${world.botApi}/me`, { headers: { authorization: token } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  world = await startBotWorld();
}, 60_000);

afterAll(async () => {
  await world?.close();
});

describe("30 requests per second per bot", () => {
  it("answers 429 too.many.requests beyond 30 in a second, per token", async () => {
    const busy = await world.createBot("Busy bot");
    const calm = await world.createBot("Calm bot");
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 45 }, () => me(busy.token)));
    const elapsed = Date.now() - started;
    const ok = results.filter((r) => r.status === 200).length;
    const limited = results.filter((r) => r.status === 429);
    // All 45 left within one second on loopback, so exactly 30 were served.
    if (elapsed < 1000) {
      expect(ok).toBe(30);
      expect(limited.length).toBe(15);
    } else {
      expect(ok).toBeLessThan(45);
    }
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) {
      expect(r.body).toEqual({ code: "too.many.requests", message: expect.any(String) });
    }
    // Another bot's token has its own budget.
    expect((await me(calm.token)).status).toBe(200);
    // A second later the busy bot is served again.
    await new Promise((r) => setTimeout(r, 1100));
    expect((await me(busy.token)).status).toBe(200);
  });

  it("a waiting long poll counts once, when it arrives", async () => {
    const poller = await world.createBot("Poller bot");
    const poll = fetch(`${world.botApi}/updates?timeout=3`, { headers: { authorization: poller.token } });
    await new Promise((r) => setTimeout(r, 1100));
    // The poll is still open; the bot still has 30 requests in this second.
    const results = await Promise.all(Array.from({ length: 30 }, () => me(poller.token)));
    expect(results.filter((r) => r.status === 200).length).toBe(30);
    const answered = await poll;
    expect(answered.status).toBe(200);
  });
});
