/**
 * A marker kept from an earlier database (the sandbox restarted with --memory, as the pack test's
 * quick start does) must not commit the new database's updates: seqs start at the database's
 * creation time × 1000, so an old marker is below all of them.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type BotWorld, startBotWorld } from "./harness.js";

const TOKEN = "stale-marker-bot-token-000001";
let world: BotWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function updates(w: BotWorld, marker?: number) {
  const q = `timeout=0${marker === undefined ? "" : `&marker=${marker}`}`;
  const res = await fetch(`${w.botApi}/updates?${q}`, { headers: { authorization: TOKEN } });
  expect(res.status).toBe(200);
  return (await res.json()) as { updates: { message?: { body: { text: string } } }[]; marker: number };
}

describe("a stale marker from an earlier database", () => {
  it("commits nothing of a new database: its messages are still delivered", async () => {
    world = await startBotWorld();
    let bot = await world.admin<{ userId: number }>("POST", "/_sandbox/maxbot/bots", {
      name: "Stale",
      token: TOKEN,
    });
    let user = await world.user("Old");
    await user.sendToUser(bot.userId, "one");
    await user.sendToUser(bot.userId, "two");
    const first = await updates(world);
    expect(first.updates.length).toBeGreaterThanOrEqual(2);
    const kept = (await updates(world, first.marker)).marker;
    await world.close();

    await new Promise((r) => setTimeout(r, 5));
    world = await startBotWorld();
    bot = await world.admin<{ userId: number }>("POST", "/_sandbox/maxbot/bots", {
      name: "Stale",
      token: TOKEN,
    });
    user = await world.user("New");
    await user.sendToUser(bot.userId, "after the restart");
    const got = await updates(world, kept);
    expect(got.updates.map((u) => u.message?.body.text)).toContain("after the restart");
  });
});
