/**
 * The switchboard/bot examples (bot-echo, vklive-moderator, max-faq) run verbatim as child
 * processes against a sandbox started the documented way (`switchboard sandbox --port 0 --json
 * --memory --seed demo`), each in the same working directory on every run, so their
 * .switchboard/ state carries over as it does for a user. Demo users write to them through the
 * admin API (and, for slow mode, through the VK Live DevAPI as a viewer); what the sandbox
 * stored in each chat is read back through the console API.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "../../src/core/errors.js";
import { VkLiveClient } from "../../src/vklive/client/index.js";
import { root } from "../package/entries.js";
import {
  adminCall,
  describeRun,
  type RunningSandbox,
  type ScriptResult,
  startNode,
  startSandbox,
} from "./sandbox-process.js";

const EXAMPLE_LIMIT_MS = 90_000;
const WAIT_MS = 30_000;
const examples = join(root, "examples");
const tsx = join(root, "node_modules", "tsx", "dist", "loader.mjs");
const cwd = mkdtempSync(join(tmpdir(), "switchboard-bot-examples-"));
let sandbox: RunningSandbox;
const killed = new Set<ChildProcess>();

function exampleEnv(env: Record<string, string>): Record<string, string> {
  return { ...sandbox.env, TSX_TSCONFIG_PATH: join(root, "tsconfig.json"), ...env };
}

function start(example: string, env: Record<string, string> = {}) {
  return startNode(["--import", tsx, join(examples, example)], cwd, exampleEnv(env), EXAMPLE_LIMIT_MS);
}

function admin<T>(path: string, body?: unknown): Promise<T> {
  return adminCall<T>(sandbox.urls.console, path, body);
}

interface ConsoleMessage {
  id: string;
  authorId: string | number;
  text: string;
}

/** A chat's messages as the console shows them (as a member), oldest first. */
async function chat(
  platform: string,
  chatId: string | number,
  as?: string | number,
): Promise<ConsoleMessage[]> {
  const who = as === undefined ? "" : `as=${as}&`;
  const path = `/_sandbox/console/${platform}/chats/${encodeURIComponent(String(chatId))}/messages?${who}limit=200`;
  return (await admin<{ messages: ConsoleMessage[] }>(path)).messages;
}

/** Polls (every 100 ms, at most WAIT_MS) until `probe` gives a value. */
async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until the chat holds a message with exactly `text` by `authorId`. */
function arrives(
  platform: string,
  chatId: string | number,
  authorId: string | number,
  text: string,
  as?: string | number,
) {
  return until(`"${text}" by ${authorId} in ${platform} ${chatId}`, async () => {
    const found = (await chat(platform, chatId, as)).find(
      (m) => m.text === text && String(m.authorId) === String(authorId),
    );
    return found;
  });
}

function count(messages: ConsoleMessage[], text: string): number {
  return messages.filter((m) => m.text === text).length;
}

async function expectClean(done: Promise<ScriptResult>, what: string): Promise<ScriptResult> {
  const result = await done;
  expect(result.code, describeRun(what, result)).toBe(0);
  return result;
}

beforeAll(async () => {
  sandbox = await startSandbox(
    join(root, "bin", "switchboard.js"),
    ["--port", "0", "--memory", "--seed", "demo"],
    cwd,
  );
}, 120_000);

afterAll(async () => {
  for (const child of killed) child.kill("SIGKILL");
  expect(await sandbox?.stop()).toBe(0);
  rmSync(cwd, { recursive: true, force: true });
});

// Demo ids (--seed demo): MAX users get 10000001.. in seed order, the Bot API bot is the fifth.
const ANNA = 10000001;
const BORIS = 10000002;
const SVETA = 10000003;
const DMITRY = 10000004;
const DEMO_BOT = 10000005;
const VK = { streamer: 1, fan: 2, owl: 3, kate: 4 } as const;

describe("bot examples", () => {
  it("bot-echo answers on all five accounts, on two runs", async () => {
    const maxim = await admin<{ accounts: { id: string; name: string }[] }>(
      "/_sandbox/console/maxim/accounts",
    );
    const alice = maxim.accounts.find((a) => a.name === "alice")?.id;
    const bob = maxim.accounts.find((a) => a.name === "bob")?.id;
    expect(alice && bob, JSON.stringify(maxim)).toBeTruthy();
    const { chatId: botDialog } = await admin<{ chatId: number }>("/_sandbox/max/bots/start", {
      userId: ANNA,
      botId: DEMO_BOT,
    });
    for (const run of [1, 2]) {
      const bot = start("bot-echo.ts", { ECHO_LIMIT: "5" });
      await bot.line(/waiting for \/echo/);
      const max = await admin<{ chatId: number }>("/_sandbox/max/messages", {
        fromUserId: ANNA,
        toUserId: BORIS,
        text: `/echo привет ${run}`,
      });
      await admin("/_sandbox/max/messages", { fromUserId: ANNA, chatId: botDialog, text: "ping" });
      const mx = await admin<{ chatId: string }>("/_sandbox/console/maxim/messages", {
        as: alice,
        to: bob,
        text: "/whoami",
      });
      await admin("/_sandbox/webqq/messages", { from: 10001, to: 10002, text: `/echo 你好 ${run}` });
      await admin("/_sandbox/vklive/messages", {
        channelUrl: "pixel_streamer",
        userId: VK.fan,
        text: `!echo vk ${run}`,
      });

      await arrives("max", max.chatId, BORIS, `привет ${run}`, ANNA);
      await arrives("max", botDialog, DEMO_BOT, "pong", ANNA);
      await arrives("maxim", mx.chatId, bob as string, `you are ${alice} on maxim (this bot is bob)`, alice);
      await arrives("webqq", "u:10001:10002", 10002, `你好 ${run}`, 10001);
      await arrives("vklive", "pixel_streamer", VK.streamer, `vk ${run}`);
      const result = await expectClean(bot.done, `bot-echo run ${run}`);
      for (const platform of ["max", "maxbot", "maxim", "webqq", "vklive"]) {
        expect(result.stdout, platform).toMatch(new RegExp(`^answered \\w+ on ${platform}$`, "m"));
      }
    }
    // Every question answered once per run: nothing doubled, nothing lost across the restart.
    expect(count(await chat("max", botDialog, ANNA), "pong")).toBe(2);
    const whoami = await chat("maxim", `u:${alice}:${bob}`, alice);
    expect(count(whoami, `you are ${alice} on maxim (this bot is bob)`)).toBe(2);
    const vk = await chat("vklive", "pixel_streamer");
    expect([count(vk, "vk 1"), count(vk, "vk 2")]).toEqual([1, 1]);
  }, 240_000);

  it("bot-echo: BOT_PLATFORMS picks a subset, an unknown name is refused, Ctrl+C stops it cleanly", async () => {
    const bad = await startNode(
      ["--import", tsx, join(examples, "bot-echo.ts")],
      cwd,
      exampleEnv({ BOT_PLATFORMS: "max,icq" }),
      EXAMPLE_LIMIT_MS,
    ).done;
    expect(bad.code, describeRun("bot-echo with icq", bad)).toBe(1);
    expect(bad.stderr).toContain("BOT_PLATFORMS: unknown platform icq");

    const bot = spawnExample("bot-echo.ts", { BOT_PLATFORMS: "webqq" });
    await bot.said(/^bot-echo: running on webqq; waiting/);
    await admin("/_sandbox/webqq/messages", { from: 10001, to: 10002, text: "/whoami" });
    await bot.said(/^answered whoami on webqq$/);
    bot.child.kill("SIGINT");
    expect(await bot.exited, bot.output()).toBe(0);
    const dialog = await chat("webqq", "u:10001:10002", 10001);
    expect(dialog.at(-1)?.text).toMatch(/^you are \d+ on webqq \(this bot is /);
  }, 240_000);

  it("vklive-moderator removes banned words, counts strikes across a restart, bans, unbans and sets slow mode", async () => {
    const say = (userId: number, text: string) =>
      admin<{ messageId: number }>("/_sandbox/vklive/messages", {
        channelUrl: "pixel_streamer",
        userId,
        text,
      });
    const texts = async () => (await chat("vklive", "pixel_streamer")).map((m) => `${m.authorId}: ${m.text}`);
    const env = { STRIKES_TO_BAN: "2", BANNED_WORDS: "spam,casino" };

    // Run 1: a strike, a refused command, slow mode on and off.
    const first = start("vklive-moderator.ts", { ...env, ACTION_LIMIT: "3" });
    await first.line(/watching pixel_streamer/);
    const spam = await say(VK.fan, "buy spam now");
    await first.line(/strike 1$/);
    await arrives("vklive", "pixel_streamer", VK.kate, '@chat_fan, warning 1/2: "spam" is not welcome here');
    await say(VK.owl, "!slow 60");
    await arrives("vklive", "pixel_streamer", VK.kate, "only the channel's owner and moderators can do that");
    await say(VK.streamer, "!slow 60");
    await first.line(/^slow mode 60$/);
    // The platform enforces it: a viewer's second message within 60 s is refused.
    // A viewer who has not written yet, so the first message is within the rule.
    const { userId: newcomer } = await admin<{ userId: number }>("/_sandbox/vklive/users", {
      nick: "newcomer",
    });
    const fan = await viewer(newcomer);
    const settings = await viewerOf(VK.streamer, (c) => c.chatSettings("pixel_streamer"));
    expect(settings.any_message_timeout).toBe(60);
    await fan.sendMessage("pixel_streamer", "first under slow mode");
    const refused = await fan.sendMessage("pixel_streamer", "second too soon").catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).code).toBe("send_too_fast");
    await fan.close();
    await say(VK.streamer, "!slow off");
    await first.line(/^slow mode 0$/);
    await expectClean(first.done, "vklive-moderator run 1");
    expect((await viewerOf(VK.streamer, (c) => c.chatSettings("pixel_streamer"))).any_message_timeout).toBe(
      0,
    );
    const afterFirst = await chat("vklive", "pixel_streamer");
    expect(afterFirst.find((m) => m.id === String(spam.messageId))?.text).toBe("(deleted)");

    // Run 2: the strike of run 1 is remembered, so the second one bans; bans and unbans by command.
    const second = start("vklive-moderator.ts", { ...env, ACTION_LIMIT: "5" });
    await second.line(/watching pixel_streamer/);
    const casino = await say(VK.fan, "casino tonight");
    await second.line(/^banned chat_fan after 2 strikes$/);
    const whileBanned = await say(VK.fan, "am I banned?");
    await second.line(/^removed a message of banned user 2$/);
    await say(VK.streamer, "!unban chat_fan");
    await second.line(/^unbanned chat_fan$/);
    const back = await say(VK.fan, "back again");
    await say(VK.streamer, "!ban night_owl 5");
    await second.line(/^banned night_owl$/);
    const owl = await say(VK.owl, "hello?");
    await second.line(/^removed a message of banned user 3$/);
    await arrives("vklive", "pixel_streamer", VK.kate, "night_owl is banned for 5 min");
    await expectClean(second.done, "vklive-moderator run 2");

    const stored = await chat("vklive", "pixel_streamer");
    const byId = (id: number) => stored.find((m) => m.id === String(id))?.text;
    expect([byId(casino.messageId), byId(whileBanned.messageId), byId(owl.messageId)]).toEqual([
      "(deleted)",
      "(deleted)",
      "(deleted)",
    ]);
    expect(byId(back.messageId)).toBe("back again");
    const all = await texts();
    expect(all).toContain("4: @chat_fan is banned for 10 min (2 strikes)");
    expect(all).toContain("4: chat_fan is unbanned");
    // Each warning once: replies are not sent twice across runs or retries.
    expect(all.filter((t) => t.startsWith("4: @chat_fan, warning 1/2"))).toHaveLength(1);
  }, 240_000);

  it("max-faq answers through a conversation, also across a kill -9 between question and answer", async () => {
    const question = /^Which topic\?/;
    // Run 1: the plain conversation.
    const first = start("max-faq.ts", { ANSWER_LIMIT: "1" });
    await first.line(/answers \/faq in dialogs/);
    const { chatId: annaChat } = await admin<{ chatId: number }>("/_sandbox/max/messages", {
      fromUserId: ANNA,
      toUserId: DMITRY,
      text: "/faq",
    });
    await until("the question to Анна", async () =>
      (await chat("max", annaChat, ANNA)).find((m) => question.test(m.text)),
    );
    await admin("/_sandbox/max/messages", { fromUserId: ANNA, chatId: annaChat, text: "delivery?" });
    expect(await first.line(/^answered/)).toBe("answered Delivery");
    await expectClean(first.done, "max-faq run 1");
    await arrives(
      "max",
      annaChat,
      DMITRY,
      "Delivery takes 2–3 working days in the city, up to a week elsewhere.",
      ANNA,
    );

    // Run 2: asked, then killed (SIGKILL) while waiting; Светлана answers while the bot is down.
    const victim = spawnExample("max-faq.ts", {});
    await victim.said(/answers \/faq in dialogs/);
    const { chatId: svetaChat } = await admin<{ chatId: number }>("/_sandbox/max/messages", {
      fromUserId: SVETA,
      toUserId: DMITRY,
      text: "/faq",
    });
    await until("the question to Светлана", async () =>
      (await chat("max", svetaChat, SVETA)).find((m) => question.test(m.text)),
    );
    victim.child.kill("SIGKILL");
    await victim.exited;
    await admin("/_sandbox/max/messages", { fromUserId: SVETA, chatId: svetaChat, text: "3" });

    // Run 3: the new process picks the conversation up where it was and answers the question.
    const third = start("max-faq.ts", { ANSWER_LIMIT: "1" });
    expect(await third.line(/^answered/)).toBe("answered Returns");
    await expectClean(third.done, "max-faq run 3");
    const dialog = await chat("max", svetaChat, SVETA);
    expect(dialog.filter((m) => question.test(m.text))).toHaveLength(1);
    expect(count(dialog, "Returns within 14 days with the receipt; the money is back in 3 days.")).toBe(1);
    expect(dialog.map((m) => String(m.authorId))).toEqual([
      String(SVETA),
      String(DMITRY),
      String(SVETA),
      String(DMITRY),
    ]);
  }, 240_000);

  it("max-faq offers a human for an unknown topic, and stops waiting for a late answer", async () => {
    const question = /^Which topic\?/;
    // Asks /faq and waits for its question: one per /faq (the dialog may hold an earlier test's).
    const ask = async (from: number) => {
      const { chatId } = await admin<{ chatId: number }>("/_sandbox/max/messages", {
        fromUserId: from,
        toUserId: DMITRY,
        text: "/faq",
      });
      await until(`the question to ${from}`, async () => {
        const dialog = await chat("max", chatId, from);
        const questions = dialog.filter((m) => question.test(m.text)).length;
        return questions >= count(dialog, "/faq") ? true : undefined;
      });
      return chatId;
    };
    const write = (from: number, chatId: number, text: string) =>
      admin("/_sandbox/max/messages", { fromUserId: from, chatId, text });

    // Анна asks about something unknown: a human is offered, and she takes it.
    const helpful = start("max-faq.ts", { ANSWER_LIMIT: "1" });
    await helpful.line(/answers \/faq in dialogs/);
    const unknown = await ask(ANNA);
    await write(ANNA, unknown, "weather tomorrow?");
    await arrives(
      "max",
      unknown,
      DMITRY,
      "I don't know that one. Shall I ask a human to write to you? (yes/no)",
      ANNA,
    );
    await write(ANNA, unknown, "yes");
    expect(await helpful.line(/^handed over/)).toBe("handed over to a human: weather tomorrow?");
    await expectClean(helpful.done, "max-faq (a human)");
    await arrives("max", unknown, DMITRY, "Done: a human will write to you here soon.", ANNA);

    // With questions waiting 0.5 s, Борис answers a second after he was asked: too late.
    const impatient = start("max-faq.ts", { ANSWER_LIMIT: "1", FAQ_TIMEOUT_S: "0.5" });
    await impatient.line(/answers \/faq in dialogs/);
    const late = await ask(BORIS);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await write(BORIS, late, "2");
    expect(await impatient.line(/^faq timed out$/)).toBe("faq timed out");
    await expectClean(impatient.done, "max-faq (timeout)");
    const boris = await chat("max", late, BORIS);
    expect(count(boris, "That took a while, so I stopped waiting. Write /faq to start again.")).toBe(1);
    expect(count(boris, "We take cards, SBP transfers and cash on delivery.")).toBe(0);
  }, 240_000);
});

/** A VK Live client of a demo user (a token with every scope the examples use). */
async function viewer(userId: number): Promise<VkLiveClient> {
  const token = await admin<{ access_token: string; refresh_token: string }>("/_sandbox/vklive/tokens", {
    clientId: "demo-app",
    userId,
    scopes: ["chat:message:send", "chat:settings"],
  });
  return new VkLiveClient({
    url: sandbox.urls.vklive,
    clientId: "demo-app",
    clientSecret: "demo-app-secret",
    retries: 0,
    tokens: { accessToken: token.access_token, refreshToken: token.refresh_token, tokenType: "Bearer" },
  });
}

async function viewerOf<T>(userId: number, use: (client: VkLiveClient) => Promise<T>): Promise<T> {
  const client = await viewer(userId);
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

/** An example as a child process the test can SIGKILL (startNode's child is not exposed). */
function spawnExample(example: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", tsx, join(examples, example)], {
    cwd,
    env: { ...process.env, ...exampleEnv(env) },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: EXAMPLE_LIMIT_MS,
    killSignal: "SIGKILL",
  });
  killed.add(child);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  void exited.then(() => killed.delete(child));
  const lines: string[] = [];
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    lines.push(line);
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    child,
    exited,
    output: () => `stdout:\n${lines.join("\n")}\nstderr:\n${stderr}`,
    async said(pattern: RegExp): Promise<void> {
      const deadline = Date.now() + WAIT_MS;
      while (!lines.some((line) => pattern.test(line))) {
        if (child.exitCode !== null || Date.now() > deadline)
          throw new Error(`${example}: no ${pattern}; stdout:\n${lines.join("\n")}\nstderr:\n${stderr}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
  };
}
