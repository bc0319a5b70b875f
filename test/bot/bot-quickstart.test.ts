/**
 * docs/bot.md's quick start, verbatim (only its two package imports pointed at the checkout's
 * sources), run with tsx in a child process against a whole sandbox whose MAX Bot API has the demo
 * bot's token: a MAX user writes in a group with the bot and reads the answers with her own client;
 * Ctrl+C (SIGINT) stops the bot cleanly; the default store file is created in the working directory.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BotWorld, type SignedInUser, startBotWorld } from "../maxbot/harness.js";

const root = resolve(import.meta.dirname, "../..");
const DEMO_TOKEN = "demo-bot-token-0123456789";

function quickStart(): string {
  const doc = readFileSync(join(root, "docs/bot.md"), "utf8");
  const block = /^```ts bot-quickstart\n([\s\S]*?)^```$/m.exec(doc)?.[1];
  if (!block) throw new Error("docs/bot.md has no bot-quickstart block");
  return block
    .replace('"switchboard/bot"', JSON.stringify(join(root, "src/bot/index.ts")))
    .replace('"switchboard/maxbot"', JSON.stringify(join(root, "src/maxbot/index.ts")));
}

let world: BotWorld;
let alice: SignedInUser;
let group: number;
let dir: string;
let child: ChildProcess | undefined;
let output = "";

async function texts(): Promise<string[]> {
  return (await alice.getHistory(group, { backward: 100 })).map((m) => m.text);
}

async function until(done: (t: string[]) => boolean, ms = 15_000): Promise<string[]> {
  const end = Date.now() + ms;
  for (;;) {
    const t = await texts();
    if (done(t)) return t;
    if (Date.now() > end) throw new Error(`timed out; chat: ${JSON.stringify(t)}; bot output: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("docs/bot.md quick start", () => {
  beforeAll(async () => {
    world = await startBotWorld();
    const bot = await world.admin<{ userId: number }>("POST", "/_sandbox/maxbot/bots", {
      name: "Демо-бот",
      username: "demo_bot",
      token: DEMO_TOKEN,
    });
    alice = await world.user("Alice");
    group = (await alice.createGroup("Quick start", [])).id;
    await world.admin("POST", `/_sandbox/maxbot/bots/${bot.userId}/chats`, {
      chatId: group,
      admin: true, // a bot that is no admin sees only commands in a group, as on MAX
      byUserId: alice.userId,
    });
    dir = mkdtempSync(join(tmpdir(), "bot-quickstart-"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(join(dir, "bot.ts"), quickStart());
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await world?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it("answers /start, ping and text in the chat, once each, and stops on SIGINT", async () => {
    child = spawn(join(root, "node_modules/.bin/tsx"), ["bot.ts"], {
      cwd: dir,
      env: { ...process.env, SWITCHBOARD_MAXBOT_URL: world.botApi },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    const exited = new Promise<number | null>((r) => child?.once("exit", (code) => r(code)));

    // The bot is up once it answers; messages written before it started are caught up from history too.
    await alice.sendMessage(group, "/start");
    await until((t) => t.includes("Hello from maxbot!"), 30_000);
    await alice.sendMessage(group, "ping");
    await alice.sendMessage(group, "hello bot");
    const seen = await until((t) => t.includes("pong") && t.includes("echo: hello bot"));
    // Give a doubled or self-answering reply time to show up, then check there is none.
    await new Promise((r) => setTimeout(r, 1000));
    const final = await texts();
    expect(final.filter((t) => t === "Hello from maxbot!")).toHaveLength(1);
    expect(final.filter((t) => t === "pong")).toHaveLength(1);
    expect(final.filter((t) => t.startsWith("echo:"))).toEqual(["echo: hello bot"]);
    expect(seen.indexOf("pong")).toBeLessThan(seen.indexOf("echo: hello bot"));

    child.kill("SIGINT");
    const code = await Promise.race([
      exited,
      new Promise((r) => setTimeout(() => r("still running"), 15_000)),
    ]);
    expect(code, output).toBe(0);
    expect(existsSync(join(dir, ".switchboard/bot.db"))).toBe(true);
  }, 90_000);
});
