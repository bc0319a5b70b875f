/**
 * One Bot, one handler set, four platforms at once over their emulators on loopback (MAX Bot API,
 * MAX userbot, MaxIM, VK Live): commands in each platform's chat, hears, replies that reach the chat,
 * a throwing handler reported to bot.catch while the others keep working, a hanging handler cut
 * by the timeout. Replies are read back from the platform (the MAX user's own client for the MAX
 * Bot API; the chat's history on the others).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bot } from "../../src/bot/bot.js";
import { BotError, HandlerTimeoutError } from "../../src/bot/errors.js";
import { MemoryBotStore } from "../../src/bot/store/memory.js";
import type { PlatformName } from "../../src/core/model.js";
import type { AdapterFixture } from "../adapters/harness.js";
import { harness as maxHarness } from "../adapters/max.harness.js";
import { harness as maximHarness } from "../adapters/maxim.harness.js";
import { harness as vkliveHarness } from "../adapters/vklive.harness.js";
import { type MaxBotFixture, startMaxBotFixture } from "../maxbot/adapter-harness.js";

const PLATFORMS = ["maxbot", "max", "maxim", "vklive"] as const;
type P = (typeof PLATFORMS)[number];

let fixtures: Record<P, AdapterFixture>;
let bot: Bot;
const errors: BotError[] = [];
const seen: { platform: PlatformName; text: string; from?: string }[] = [];
let releaseHang: () => void = () => {};
const hang = new Promise<void>((resolve) => {
  releaseHang = resolve;
});

/** Texts in the fixture's chat as the platform stores them (for maxbot: as Alice's own client sees them). */
async function chatTexts(p: P): Promise<string[]> {
  const f = fixtures[p];
  if (p === "maxbot") {
    const m = f as MaxBotFixture;
    return (await m.alice.getHistory(m.groupId, { backward: 100 })).map((x) => x.text);
  }
  const messages = await f.adapter.history(f.chat, { limit: 100 });
  return messages.map((m) =>
    m.content
      .filter((s) => s.type === "text")
      .map((s) => (s as { text: string }).text)
      .join(""),
  );
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 8000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function expectReply(p: P, text: string): Promise<void> {
  await waitFor(`"${text}" on ${p}`, async () => ((await chatTexts(p)).includes(text) ? true : undefined));
}

describe("Bot on four platforms at once", () => {
  beforeAll(async () => {
    fixtures = {
      maxbot: await startMaxBotFixture(),
      maxim: await maximHarness.start(),
      max: await maxHarness.start(),
      vklive: await vkliveHarness.start(),
    };
    bot = new Bot({
      store: new MemoryBotStore(),
      accounts: PLATFORMS.map((p) => fixtures[p].adapter),
      handlerTimeoutMs: 400,
      maxAttempts: 1,
      prefixes: { vklive: ["!", "/"] },
      stopTimeoutMs: 3000,
    });
    bot.catch((err) => {
      errors.push(err);
    });
    bot.use(async (ctx, next) => {
      if (ctx.text !== undefined) seen.push({ platform: ctx.platform, text: ctx.text, from: ctx.from?.id });
      await next();
    });
    bot.command("echo", async (ctx) => {
      await ctx.reply(`echo(${ctx.platform}): ${ctx.args}`);
    });
    bot.command("boom", () => {
      throw new Error("kaboom");
    });
    bot.command("hang", async () => {
      await hang;
    });
    bot.hears(/^ping (\d+)$/, async (ctx) => {
      await ctx.reply(`pong ${ctx.match[1]} from ${ctx.platform}`, { replyTo: true });
    });
    await bot.start();
  }, 60_000);

  afterAll(async () => {
    releaseHang();
    await bot?.stop();
    for (const f of Object.values(fixtures ?? {})) await f.close();
  }, 30_000);

  it("a command in each platform's chat is answered in that chat", async () => {
    for (const p of PLATFORMS) await fixtures[p].peerSend(`/echo hello ${p}  `);
    for (const p of PLATFORMS) await expectReply(p, `echo(${p}): hello ${p}`);
    // VK Live echoes our own sends as new messages: the bot does not handle its own replies.
    await new Promise((r) => setTimeout(r, 500));
    expect(seen.filter((s) => s.text.startsWith("echo("))).toEqual([]);
    // The unified context: each update seen with its platform and the peer as the sender.
    for (const p of PLATFORMS) {
      const entry = seen.find((s) => s.platform === p && s.text === `/echo hello ${p}  `);
      expect(entry?.from).toBe(fixtures[p].peer.id);
    }
  }, 30_000);

  it("platform prefixes: VK Live takes !echo, the others do not", async () => {
    await fixtures.vklive.peerSend("!echo bang");
    await fixtures.maxim.peerSend("!echo bang");
    await fixtures.maxim.peerSend("/echo after bang");
    await expectReply("vklive", "echo(vklive): bang");
    await expectReply("maxim", "echo(maxim): after bang");
    expect(await chatTexts("maxim")).not.toContain("echo(maxim): bang");
  }, 20_000);

  it("hears() answers with the match", async () => {
    await fixtures.max.peerSend("ping 42");
    await fixtures.maxbot.peerSend("ping 7");
    await expectReply("max", "pong 42 from max");
    await expectReply("maxbot", "pong 7 from maxbot");
  }, 20_000);

  it("a throwing handler is reported to bot.catch with its update; other updates keep working", async () => {
    const before = errors.length;
    await fixtures.maxim.peerSend("/boom");
    await fixtures.maxim.peerSend("/echo still alive");
    await fixtures.vklive.peerSend("/echo vk alive");
    await expectReply("maxim", "echo(maxim): still alive");
    await expectReply("vklive", "echo(vklive): vk alive");
    const err = await waitFor("the error", () =>
      errors.slice(before).find((e) => !(e.error instanceof HandlerTimeoutError)),
    );
    expect(err).toBeInstanceOf(BotError);
    expect(err.error).toEqual(new Error("kaboom"));
    expect(err.platform).toBe("maxim");
    expect(err.chat?.id).toBe(fixtures.maxim.chat.id);
    expect(err.updateKey.startsWith(`maxim:${fixtures.maxim.adapter.account}:`)).toBe(true);
    expect(err.message).toContain("kaboom");
  }, 20_000);

  it("a hanging handler hits the timeout, is reported, and the chat goes on", async () => {
    const before = errors.length;
    const sent = Date.now();
    await fixtures.max.peerSend("/hang");
    await fixtures.max.peerSend("/echo after hang");
    const err = await waitFor("the timeout", () =>
      errors.slice(before).find((e) => e.error instanceof HandlerTimeoutError),
    );
    expect(Date.now() - sent).toBeGreaterThanOrEqual(400);
    expect(err.platform).toBe("max");
    expect((err.error as HandlerTimeoutError).timeoutMs).toBe(400);
    await expectReply("max", "echo(max): after hang");
  }, 20_000);
});
