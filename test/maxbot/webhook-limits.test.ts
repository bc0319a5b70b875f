/**
 * Webhook delivery limits, with the schedule shortened through the sandbox's options: an update
 * still undelivered when its retry window ends (the platform: 8 h) is skipped and later ones
 * flow; notifications are paced (the platform: ≤ 100 per second; here 10 per second).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { type BotWorld, type SignedInUser, startBotWorld } from "./harness.js";

let world: BotWorld;
let alice: SignedInUser;
const worlds: BotWorld[] = [];
const servers: Server[] = [];

/** Each test runs its own sandbox with its own webhook schedule. */
async function start(webhook: Record<string, number>): Promise<void> {
  world = await startBotWorld({ maxbot: { updates: { webhook } } });
  worlds.push(world);
  alice = await world.user("Alice");
}

interface Hook {
  url: string;
  /** Texts delivered with a 200, with their arrival time. */
  got: { text: string; at: number }[];
  /** Answer 500 while true. */
  failing: boolean;
}

async function hook(): Promise<Hook> {
  const h: Hook = { url: "", got: [], failing: false };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", () => {
      if (h.failing) {
        res.writeHead(500).end();
        return;
      }
      const update = JSON.parse(body) as { message?: { body: { text: string } } };
      h.got.push({ text: update.message?.body.text ?? "", at: Date.now() });
      res.writeHead(200).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  h.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return h;
}

async function subscribe(token: string, url: string): Promise<void> {
  const res = await fetch(`${world.botApi}/subscriptions`, {
    method: "POST",
    headers: { authorization: token, "content-type": "application/json" },
    body: JSON.stringify({ url, update_types: ["message_created"] }),
  });
  expect(res.status).toBe(200);
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterAll(async () => {
  await Promise.allSettled(worlds.map((w) => w.close()));
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

describe("webhook limits", () => {
  it("skips an update still failing when its retry window ends, then delivers the next ones", async () => {
    await start({ retryMinMs: 100, retryMaxMs: 150, giveUpAfterMs: 600 });
    const bot = await world.createBot("Expiring bot");
    const h = await hook();
    h.failing = true;
    await subscribe(bot.token, h.url);
    await alice.sendToUser(bot.userId, "expires");
    // Longer than the 600 ms window: several failed attempts, then the update is given up.
    await new Promise((r) => setTimeout(r, 1200));
    h.failing = false;
    await alice.sendToUser(bot.userId, "arrives");
    await until(() => h.got.length >= 1, "the next delivery");
    await new Promise((r) => setTimeout(r, 300));
    expect(h.got.map((g) => g.text)).toEqual(["arrives"]);
  }, 40_000);

  it("paces notifications: 25 updates at 10 per second take at least 1.5 s", async () => {
    await start({ retryMinMs: 100, retryMaxMs: 150, perSecond: 10 });
    const bot = await world.createBot("Paced bot");
    const h = await hook();
    h.failing = true;
    await subscribe(bot.token, h.url);
    // Queue all 25 while the receiver fails, then let them flow at once.
    const texts = Array.from({ length: 25 }, (_, i) => `p${i}`);
    for (const text of texts) await alice.sendToUser(bot.userId, text);
    h.failing = false;
    h.got.length = 0;
    await until(() => h.got.length >= texts.length, "25 deliveries", 20_000);
    expect(h.got.map((g) => g.text)).toEqual(texts);
    const first = h.got[0]?.at ?? 0;
    const last = h.got[h.got.length - 1]?.at ?? 0;
    expect(last - first).toBeGreaterThanOrEqual(1400);
  }, 40_000);
});
