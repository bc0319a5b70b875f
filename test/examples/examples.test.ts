/**
 * Every script in examples/ runs verbatim against a sandbox started the documented way
 * (`switchboard sandbox --port 0 --json --memory --seed demo`), as a child process with a time
 * limit, twice (they must be safe to run again). Each test drives the example through the
 * sandbox's admin API (a demo user writes to the bot) and checks both what the example printed
 * and what the sandbox stored. The examples import "switchboard/…" by name; tsx maps that to the
 * sources through tsconfig.json "paths", as it does for a user running them from the checkout.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
const examples = join(root, "examples");
const tsx = join(root, "node_modules", "tsx", "dist", "loader.mjs");
const cwd = mkdtempSync(join(tmpdir(), "switchboard-examples-"));
let sandbox: RunningSandbox;

function start(example: string, env: Record<string, string> = {}) {
  return startNode(
    ["--import", tsx, join(examples, example)],
    cwd,
    { ...sandbox.env, TSX_TSCONFIG_PATH: join(root, "tsconfig.json"), ...env },
    EXAMPLE_LIMIT_MS,
  );
}

function admin<T>(path: string, body?: unknown): Promise<T> {
  return adminCall<T>(sandbox.urls.console, path, body);
}

interface ConsoleMessage {
  authorId: string | number;
  text: string;
}
interface ConsoleChat {
  id: string | number;
  kind: string;
  title: string;
}

/** What the console shows in a chat (as a member sees it), through the admin API. */
async function chatTexts(
  platform: string,
  chatId: string | number,
  as: string | number,
): Promise<ConsoleMessage[]> {
  const path = `/_sandbox/console/${platform}/chats/${encodeURIComponent(String(chatId))}/messages?as=${as}&limit=50`;
  return (await admin<{ messages: ConsoleMessage[] }>(path)).messages;
}

async function expectClean(done: Promise<ScriptResult>, what: string): Promise<void> {
  const result = await done;
  expect(result.code, describeRun(what, result)).toBe(0);
}

beforeAll(async () => {
  sandbox = await startSandbox(
    join(root, "bin", "switchboard.js"),
    ["--port", "0", "--memory", "--seed", "demo"],
    cwd,
  );
}, 120_000);

afterAll(async () => {
  expect(await sandbox?.stop()).toBe(0);
  rmSync(cwd, { recursive: true, force: true });
});

describe("examples/", () => {
  it("has the four client scripts this test runs and the three bots bot-examples.test.ts runs", () => {
    expect(readdirSync(examples).sort()).toEqual([
      "bot-echo.ts",
      "max-echo.ts",
      "max-faq.ts",
      "maxim-backend.ts",
      "vklive-chat-bot.ts",
      "vklive-moderator.ts",
      "webqq-bot.ts",
    ]);
  });

  it("max-echo answers a message with the same text, on two runs", async () => {
    const anna = await admin<{ userId: number }>("/_sandbox/max/users?phone=%2B79000000001");
    const boris = await admin<{ userId: number }>("/_sandbox/max/users?phone=%2B79000000002");
    for (const run of [1, 2]) {
      const bot = start("max-echo.ts", { ECHO_LIMIT: "1" });
      await bot.line(/waiting for messages/);
      const text = `ping ${run}`;
      const { chatId } = await admin<{ chatId: number }>("/_sandbox/max/messages", {
        fromUserId: anna.userId,
        toUserId: boris.userId,
        text,
      });
      expect(await bot.line(/^echoed/)).toBe(`echoed "${text}" in chat ${chatId}`);
      await expectClean(bot.done, `max-echo run ${run}`);
      const stored = (await chatTexts("max", chatId, anna.userId)).filter((m) => m.text === text);
      expect(stored.map((m) => Number(m.authorId))).toEqual([anna.userId, boris.userId]);
    }
  }, 240_000);

  it("maxim-backend creates its users and group once, and posts on every run", async () => {
    const outputs: string[] = [];
    for (const run of [1, 2]) {
      const script = start("maxim-backend.ts");
      await expectClean(script.done, `maxim-backend run ${run}`);
      outputs.push((await script.done).stdout);
    }
    const groups = outputs.map((out) => /group (\d+) \((created|found)\)/.exec(out));
    expect(groups.map((m) => m?.[2])).toEqual(["created", "found"]);
    expect(groups[0]?.[1]).toBe(groups[1]?.[1]);
    const groupId = Number(groups[0]?.[1]);
    const { messages } = await admin<{ messages: { to: number; toType: unknown; content: string }[] }>(
      "/_sandbox/maxim/messages?appId=switchboard-demo",
    );
    const posted = messages.filter((m) => m.to === groupId && m.content.startsWith("build finished at "));
    expect(posted).toHaveLength(2);
  }, 240_000);

  it("webqq-bot answers ping with pong, on two runs", async () => {
    for (const run of [1, 2]) {
      const bot = start("webqq-bot.ts", { REPLY_LIMIT: "1" });
      await bot.line(/waiting for ping/);
      await admin("/_sandbox/webqq/messages", { from: 10002, to: 10001, text: "ping" });
      await bot.line(/^answered ping from uin \d+$/);
      await expectClean(bot.done, `webqq-bot run ${run}`);
    }
    const { chats } = await admin<{ chats: ConsoleChat[] }>("/_sandbox/console/webqq/chats?as=10001");
    const texts = (
      await Promise.all(chats.filter((c) => c.kind === "direct").map((c) => chatTexts("webqq", c.id, 10001)))
    ).flat();
    expect(texts.filter((m) => m.text === "pong")).toHaveLength(2);
  }, 240_000);

  it("vklive-chat-bot greets !hello in the channel's chat, on two runs", async () => {
    for (const run of [1, 2]) {
      const bot = start("vklive-chat-bot.ts", { REPLY_LIMIT: "1" });
      await bot.line(/waiting for !hello/);
      await admin("/_sandbox/vklive/messages", { channelUrl: "pixel_streamer", userId: 2, text: "!hello" });
      expect(await bot.line(/^greeted/)).toBe("greeted chat_fan");
      await expectClean(bot.done, `vklive-chat-bot run ${run}`);
    }
    const { chats } = await admin<{ chats: ConsoleChat[] }>("/_sandbox/console/vklive/chats");
    const chat = chats.find((c) => c.kind === "stream" && c.title.includes("pixel_streamer"));
    expect(chat, JSON.stringify(chats)).toBeDefined();
    const texts = await chatTexts("vklive", chat!.id, 4);
    expect(texts.filter((m) => m.text === "hi @chat_fan!")).toHaveLength(2);
  }, 240_000);
});
