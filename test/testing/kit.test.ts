/**
 * switchboard/testing against the real emulators on loopback: one kit with a bot answering on all
 * five platforms, users who write and hear the bot through their own accounts, the reply wait's
 * error, two users in one chat, edit / react where a platform has them, two kits sharing a sandbox
 * started separately (`sandbox:` URL), typed errors for misuse, and a child process that must end
 * by itself after kit.close() (no open handles).
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bot } from "../../src/bot/bot.js";
import { MemoryBotStore } from "../../src/bot/store/memory.js";
import { UnsupportedError } from "../../src/core/errors.js";
import { type PlatformName, type Ref, sameRef } from "../../src/core/model.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/runner.js";
import {
  BotTestKit,
  BotTestKitError,
  KIT_PLATFORMS,
  NoReplyError,
  type TestUser,
} from "../../src/testing/index.js";

interface Seen {
  platform: PlatformName;
  chat: Ref | undefined;
  from: Ref | undefined;
  text: string | undefined;
}

/** The rejection of `promise` (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

/** Polls `done` every 20 ms, at most 10 s. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; !done(); i++) {
    if (i >= 500) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function echoBot(kit: BotTestKit, prefix: string, seen: Seen[]): Bot {
  const bot = new Bot({ store: new MemoryBotStore(), accounts: kit.accounts, stopTimeoutMs: 5000 });
  bot.use(async (ctx, next) => {
    seen.push({ platform: ctx.platform, chat: ctx.chat, from: ctx.from, text: ctx.text });
    await next();
  });
  bot.command("echo", (ctx) => ctx.reply(`${prefix}${ctx.args}`));
  bot.command("whoami", (ctx) => ctx.reply(ctx.from?.id ?? "nobody"));
  bot.on("edited", (ctx) => ctx.reply(`edited: ${ctx.text}`));
  bot.on("reaction", (ctx) => ctx.reply(`reaction: ${ctx.event.reaction}`));
  bot.on("deleted", (ctx) => ctx.reply("deleted"));
  return bot;
}

describe("BotTestKit on all five platforms (in-process sandbox)", () => {
  let kit: BotTestKit;
  let bot: Bot;
  const seen: Seen[] = [];

  beforeAll(async () => {
    kit = await BotTestKit.start();
    bot = echoBot(kit, "", seen);
    await bot.start();
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await kit?.close();
  }, 30_000);

  it("the bot answers a user on each platform, in the test chat, seeing that user as the sender", async () => {
    expect(kit.platforms).toEqual([...KIT_PLATFORMS]);
    expect(kit.accounts.map((a) => a.platform)).toEqual([...KIT_PLATFORMS]);
    const users = await Promise.all(KIT_PLATFORMS.map((p) => kit.user(p, `Alice ${p}`)));
    await Promise.all(users.map((u) => u.send(`/echo hi from ${u.platform}`)));
    for (const user of users) {
      const reply = await user.nextReply();
      expect(reply.text).toBe(`hi from ${user.platform}`);
      // The reply is read in the user's own view of the chat; the bot saw the user's message in its view.
      expect(sameRef(reply.chat, user.chat)).toBe(true);
      expect(user.replies).toEqual([reply]);
      const heard = seen.find((s) => s.text === `/echo hi from ${user.platform}`);
      expect(heard?.platform).toBe(user.platform);
      expect(heard?.chat && sameRef(heard.chat, kit.chat(user.platform))).toBe(true);
      expect(heard?.from?.id).toBe(user.ref.id);
      expect(user.ref.id).not.toBe(kit.botUser(user.platform).id);
    }
  }, 40_000);

  // VK Live echoes the user's own messages back to them: they are listed once.
  it.each(["maxim", "vklive"] as const)(
    "nextReply on %s waits in vain with an error listing what did arrive; expectReply names its matcher",
    async (platform) => {
      const carol = await kit.user(platform, "Carol");
      await carol.send("/echo first");
      expect((await carol.expectReply(/^fir/)).text).toBe("first");
      await carol.send("just chatting, no command");
      const err = await rejection(carol.nextReply({ timeoutMs: 500 }));
      expect(err).toBeInstanceOf(NoReplyError);
      const noReply = err as NoReplyError;
      expect(noReply.code).toBe("no_reply");
      expect(noReply.timeoutMs).toBe(500);
      expect(noReply.message).toContain(`Carol on ${platform}: no reply from the bot within 500 ms`);
      expect(noReply.message).toContain('bot: "first"');
      expect(noReply.message).toContain('you: "just chatting, no command"');
      expect(noReply.seen).toEqual([
        { from: "you", text: "/echo first" },
        { from: "bot", text: "first" },
        { from: "you", text: "just chatting, no command" },
      ]);

      await carol.send("/echo second");
      // Let "second" arrive first (buffered, unread), so the failed match surely saw it.
      await until(() => carol.replies.length === 2, "the second reply");
      const mismatch = await rejection(carol.expectReply("something else", { timeoutMs: 500 }));
      expect(mismatch).toBeInstanceOf(NoReplyError);
      expect((mismatch as Error).message).toContain('no reply matching "something else"');
      expect((mismatch as Error).message).toContain('bot: "second"');
      // The reply that did not match was consumed; both replies stay in `replies`.
      expect(carol.replies.map((r) => r.text)).toEqual(["first", "second"]);
    },
    20_000,
  );

  it("two users in one chat both hear the bot, which tells them apart", async () => {
    for (const p of ["maxim", "webqq"] as const) {
      const alice = await kit.user(p, "Alice");
      const bob = await kit.user(p, "Bob");
      expect(alice.ref.id).not.toBe(bob.ref.id);
      await alice.send("/whoami");
      expect((await alice.nextReply()).text).toBe(alice.ref.id);
      expect((await bob.nextReply()).text).toBe(alice.ref.id);
      await bob.send("/whoami");
      await bob.expectReply(bob.ref.id);
      await alice.expectReply((r) => r.text === bob.ref.id);
    }
  }, 30_000);

  it("edit, react and delete where the platform has them; a typed UnsupportedError where not", async () => {
    const dora = await kit.user("max", "Dora");
    const [sent] = await dora.send("/echo before");
    const before = await dora.nextReply();
    expect(before.text).toBe("before");
    await dora.edit(sent as Ref, "/echo after");
    await dora.expectReply("edited: /echo after");
    await dora.react(before.ref, "👍");
    await dora.expectReply("reaction: 👍");
    await dora.delete(sent as Ref);
    await dora.expectReply("deleted");

    const evan = await kit.user("webqq", "Evan");
    const [qqSent] = await evan.send("plain words");
    expect(await rejection(evan.react(qqSent as Ref, "👍"))).toBeInstanceOf(UnsupportedError);
    expect(await rejection(evan.edit(qqSent as Ref, "changed"))).toBeInstanceOf(UnsupportedError);
    expect(await rejection(evan.delete(qqSent as Ref))).toBeInstanceOf(UnsupportedError);
  }, 20_000);

  it("misuse gets typed errors: an unknown platform, a closed user", async () => {
    const unknown = await rejection(BotTestKit.start({ platforms: ["telegram" as PlatformName] }));
    expect(unknown).toBeInstanceOf(BotTestKitError);
    expect((unknown as BotTestKitError).code).toBe("unknown_platform");
    expect((unknown as Error).message).toContain('unknown platform "telegram": expected one of max, maxbot');
    const none = await rejection(BotTestKit.start({ platforms: [] }));
    expect((none as BotTestKitError).code).toBe("unknown_platform");
    expect((none as Error).message).toContain("no platforms given");
    const noSuch = await rejection(kit.user("telegram" as PlatformName, "X"));
    expect((noSuch as BotTestKitError).code).toBe("unknown_platform");

    const fay = await kit.user("vklive", "Fay");
    const waiting = fay.nextReply({ timeoutMs: 5000 });
    await fay.close();
    expect(((await rejection(waiting)) as BotTestKitError).code).toBe("closed");
    expect(((await rejection(fay.send("/echo x"))) as BotTestKitError).code).toBe("closed");
  }, 20_000);
});

describe("BotTestKit on WebQQ, whose groups take no new members", () => {
  it("users are made up front: a named seat keeps its nick; when none is left, a typed no_seat error", async () => {
    const kit = await BotTestKit.start({ platforms: ["webqq"], webqqUsers: ["Hana"] });
    try {
      const hana = await kit.user("webqq", "Hana");
      // The bot's account sees Hana under her QQ nick (read over the wire, before any Bot runs).
      expect((await kit.account("webqq").getUser(hana.ref)).name).toBe("Hana");
      const err = await rejection(kit.user("webqq", "Ivan"));
      expect(err).toBeInstanceOf(BotTestKitError);
      expect((err as BotTestKitError).code).toBe("no_seat");
      expect((err as Error).message).toContain("pass webqqUsers");
    } finally {
      await kit.close();
    }
  }, 20_000);
});

describe("BotTestKit on a sandbox started separately (sandbox: URL)", () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    // As `npm start` runs it (the demo world), on random ports.
    sandbox = await startSandbox({ port: 0, seed: "demo", maxSocketTls: false });
  }, 30_000);

  afterAll(async () => {
    await sandbox?.close();
  });

  it("two kits share one sandbox without clashing; each user hears only their own kit's bot", async () => {
    const platforms: PlatformName[] = ["max", "maxbot", "maxim", "webqq", "vklive"];
    const kits = await Promise.all(
      [1, 2].map(() => BotTestKit.start({ sandbox: sandbox.urls.console, platforms })),
    );
    const bots = kits.map((k, i) => echoBot(k, `kit${i + 1}: `, []));
    try {
      expect(kits[0]?.sandboxUrl).toBe(sandbox.urls.console);
      expect(kits[0]?.id).not.toBe(kits[1]?.id);
      await Promise.all(bots.map((b) => b.start()));
      const users: [number, TestUser][] = [];
      for (const [i, k] of kits.entries())
        for (const p of platforms) users.push([i + 1, await k.user(p, `Gus ${p}`)]);
      await Promise.all(users.map(([, u]) => u.send(`/echo ${u.platform}`)));
      for (const [n, u] of users) expect((await u.nextReply()).text).toBe(`kit${n}: ${u.platform}`);
      for (const p of platforms) expect(kits[0]?.chat(p).id).not.toBe(kits[1]?.chat(p).id);
    } finally {
      await Promise.all(bots.map((b) => b.stop()));
      await Promise.all(kits.map((k) => k.close()));
    }
    // The kit does not stop a sandbox it did not start.
    expect(await (await fetch(`${sandbox.urls.console}/_sandbox/health`)).json()).toEqual({ ok: true });
  }, 40_000);

  it("a URL where no sandbox answers is a typed error", async () => {
    const free = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    for (const url of [`http://127.0.0.1:${free}`, sandbox.urls.maxim, "not a url"]) {
      const err = await rejection(BotTestKit.start({ sandbox: url, platforms: ["maxim"] }));
      expect(err).toBeInstanceOf(BotTestKitError);
      expect((err as BotTestKitError).code).toBe("sandbox_unreachable");
      expect((err as Error).message).toMatch(/no sandbox answers at|is not a URL/);
    }
  }, 20_000);
});

describe("BotTestKit.close()", () => {
  it("leaves no open handles: a process that used the kit on every platform ends by itself", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "kit-child.ts"), KIT_PLATFORMS.join(",")],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let errText = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      errText += d.toString();
    });
    // A bound on the wait, not a timing assertion: a process held open by a handle never exits.
    const killer = setTimeout(() => child.kill("SIGKILL"), 50_000);
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    clearTimeout(killer);
    // One comparison, with the child's stderr in the failure message, so a failure says why.
    expect({ code, lines: out.trim().split("\n") }, `child stderr: ${errText.slice(-3000)}`).toEqual({
      code: 0,
      lines: [...KIT_PLATFORMS.map((p) => `${p}: from ${p}`), "closed"],
    });
  }, 60_000);
});
