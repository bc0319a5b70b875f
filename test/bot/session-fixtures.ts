/**
 * A world for the session and conversation tests: the whole sandbox on loopback, a MAX Bot API
 * bot that Alice added to two groups (with Bob), and bots run on a SQLite file so a "restart" is
 * a new Bot, a new store and a new adapter on the same file. What the users see is read back from
 * the emulator through Alice's own MAX client (chat history), never from the bot.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bot } from "../../src/bot/bot.js";
import type { Context } from "../../src/bot/context.js";
import { SqliteBotStore } from "../../src/bot/store/sqlite.js";
import { MaxBotAdapter } from "../../src/maxbot/adapter.js";
import { MaxBotClient } from "../../src/maxbot/client/index.js";
import { type BotWorld, type SignedInUser, startBotWorld } from "../maxbot/harness.js";

export interface SessionWorld {
  world: BotWorld;
  alice: SignedInUser;
  bob: SignedInUser;
  group: number;
  group2: number;
  botUserId: number;
  /** The bot's token and username (for a bot run in a child process). */
  token: string;
  username: string;
  /** The folder of the world's files (removed by close()). */
  dir: string;
  /** The SQLite file every bot of this world uses. */
  file: string;
  /** A bot on a fresh store and adapter over the world's file; `setup` adds its handlers. Started. */
  startBot<C extends Context>(setup: (bot: Bot<C>) => void): Promise<Bot<C>>;
  /** Texts of a group as Alice sees them, oldest first. */
  texts(group: number): Promise<string[]>;
  /** Waits (bounded) until `group`'s texts satisfy `done`; returns them. */
  until(group: number, done: (texts: string[]) => boolean, timeoutMs?: number): Promise<string[]>;
  close(): Promise<void>;
}

let bots = 0;

export async function startSessionWorld(): Promise<SessionWorld> {
  const world = await startBotWorld();
  const dir = mkdtempSync(join(tmpdir(), "bot-sessions-"));
  const file = join(dir, "bot.db");
  const username = `session_bot_${process.pid}_${++bots}`;
  const created = await world.createBot("Session bot", username);
  const alice = await world.user("Alice");
  const bob = await world.user("Bob");
  const g1 = await alice.createGroup("Sessions one", [bob.userId]);
  const g2 = await alice.createGroup("Sessions two", [bob.userId]);
  for (const chatId of [g1.id, g2.id]) {
    await world.admin("POST", `/_sandbox/maxbot/bots/${created.userId}/chats`, {
      chatId,
      admin: true,
      byUserId: alice.userId,
    });
  }
  const running: Bot<never>[] = [];
  const texts = async (group: number) =>
    (await alice.getHistory(group, { backward: 100 })).filter((m) => m.text !== "").map((m) => m.text);
  return {
    world,
    alice,
    bob,
    group: g1.id,
    group2: g2.id,
    botUserId: created.userId,
    token: created.token,
    username,
    dir,
    file,
    async startBot<C extends Context>(setup: (bot: Bot<C>) => void) {
      const client = new MaxBotClient({ url: world.botApi, token: created.token, account: username });
      const adapter = new MaxBotAdapter(client, { pollTimeout: 1 });
      const bot = new Bot<C>({
        store: new SqliteBotStore(file),
        accounts: [adapter],
        handlerTimeoutMs: 5000,
      });
      setup(bot);
      await bot.start();
      running.push(bot as unknown as Bot<never>);
      return bot;
    },
    texts,
    async until(group, done, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const seen = await texts(group);
        if (done(seen)) return seen;
        if (Date.now() > deadline) throw new Error(`timed out; the chat shows ${JSON.stringify(seen)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      await Promise.allSettled(running.map((b) => b.stop()));
      for (const b of running) {
        try {
          b.store.close();
        } catch {
          // already closed by stop()
        }
      }
      await world.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
