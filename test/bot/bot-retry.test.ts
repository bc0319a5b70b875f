/**
 * Bot behaviour over MaxIM's emulator (loopback): an account added while the bot runs; a handler
 * that replied and then failed is run again and its reply is not sent twice (same idempotency key
 * on the re-run); the `session` option; stop() lets a running handler finish and its reply go out.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bot } from "../../src/bot/bot.js";
import type { Context } from "../../src/bot/context.js";
import type { BotError } from "../../src/bot/errors.js";
import type { SessionFlavor } from "../../src/bot/session.js";
import { MemoryBotStore } from "../../src/bot/store/memory.js";
import { TransportError } from "../../src/core/errors.js";
import { MaxImAdapter } from "../../src/maxim/adapter.js";
import { MaxImClient } from "../../src/maxim/client/index.js";
import type { AdapterFixture } from "../adapters/harness.js";
import { harness } from "../adapters/maxim.harness.js";

type Ctx = Context & SessionFlavor<{ count: number }>;

let f: AdapterFixture;
let bot: Bot<Ctx>;
const errors: BotError[] = [];
const runs = new Map<string, number>();
const store = new MemoryBotStore();
let slowKey: string | undefined;

async function texts(): Promise<string[]> {
  return (await f.adapter.history(f.chat, { limit: 100 })).map((m) =>
    m.content
      .filter((s) => s.type === "text")
      .map((s) => (s as { text: string }).text)
      .join(""),
  );
}

async function until(done: (t: string[]) => boolean, ms = 8000): Promise<string[]> {
  const end = Date.now() + ms;
  for (;;) {
    const t = await texts();
    if (done(t)) return t;
    if (Date.now() > end) throw new Error(`timed out; chat: ${JSON.stringify(t)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("Bot: retries, sessions, accounts added while running, graceful stop", () => {
  beforeAll(async () => {
    f = await harness.start();
    bot = new Bot<Ctx>({
      store,
      maxAttempts: 3,
      session: { initial: () => ({ count: 0 }) },
    });
    bot.catch((err) => {
      errors.push(err);
    });
    bot.command("flaky", async (ctx) => {
      const n = (runs.get(ctx.updateKey) ?? 0) + 1;
      runs.set(ctx.updateKey, n);
      await ctx.reply("flaky answer");
      if (ctx.update.attempts < 2) throw new Error("first run fails after replying");
    });
    bot.command("count", async (ctx) => {
      ctx.session.count += 1;
      await ctx.reply(`count ${ctx.session.count}`);
    });
    bot.command("slow", async (ctx) => {
      slowKey = ctx.updateKey;
      await new Promise((r) => setTimeout(r, 300));
      await ctx.reply("slow answer");
    });
    await bot.start();
    // No account yet: this one joins a running bot.
    bot.account(f.adapter);
  }, 30_000);

  afterAll(async () => {
    await bot?.stop();
    await f?.close();
  });

  it("an account added while running is connected and answered", async () => {
    expect(bot.accounts).toEqual([f.adapter]);
    await f.peerSend("/count");
    await until((t) => t.includes("count 1"));
  });

  it("a handler that replied and then threw runs again; the reply is sent once", async () => {
    const before = errors.length;
    await f.peerSend("/flaky");
    await until((t) => t.includes("flaky answer"));
    await new Promise((r) => setTimeout(r, 1500));
    expect([...runs.values()]).toEqual([2]);
    expect(errors.slice(before).map((e) => (e.error as Error).message)).toEqual([
      "first run fails after replying",
    ]);
    expect((await texts()).filter((t) => t === "flaky answer")).toHaveLength(1);
  }, 15_000);

  it("the session option keeps a value per chat", async () => {
    await f.peerSend("/count");
    await f.peerSend("/count");
    await until((t) => t.includes("count 3"));
    expect((await texts()).filter((t) => t.startsWith("count "))).toEqual(["count 1", "count 2", "count 3"]);
  }, 15_000);

  it("stop() lets a running handler finish and its reply go out", async () => {
    await f.peerSend("/slow");
    // Wait until the handler runs (it sleeps 300 ms before replying), then stop at once.
    const end = Date.now() + 5000;
    while (slowKey === undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    await bot.stop();
    expect(bot.running).toBe(false);
    // The accounts are closed now: the outbox's record says the platform took the reply.
    expect(slowKey).toBeDefined();
    const item = store.outboxItem(`${slowKey}:reply:1`);
    expect(item?.status).toBe("sent");
    expect(item?.content).toEqual([{ type: "text", text: "slow answer" }]);
    expect(item?.result?.ids).toHaveLength(1);
  }, 15_000);
});

describe("Bot.start() with an account that cannot connect", () => {
  it("rejects, leaves nothing running, and may be started again", async () => {
    // A closed port on loopback: the connection is refused.
    const server = (await import("node:net")).createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const client = new MaxImClient({ url: `http://127.0.0.1:${port}`, appId: "x", token: "t", retries: 0 });
    const broken = new Bot({ store: new MemoryBotStore(), accounts: [new MaxImAdapter(client)] });
    await expect(broken.start()).rejects.toBeInstanceOf(TransportError);
    expect(broken.running).toBe(false);
    await expect(broken.start()).rejects.toBeInstanceOf(TransportError);
    await broken.stop();
  }, 15_000);
});
