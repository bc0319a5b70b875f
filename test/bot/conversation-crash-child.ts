/**
 * A bot process for conversation-crash.test.ts: the signup conversation on a SQLite file. With
 * CRASH_AT set, the run that takes that answer prints "crash-point" once its reply is sent and
 * then hangs, so the test can SIGKILL it between the send and the update's completion.
 * Prints "ready" once running. Env: BOT_API, BOT_TOKEN, BOT_ACCOUNT, BOT_DB, BOT_MARKERS, CRASH_AT.
 */
import { Bot } from "../../src/bot/bot.js";
import type { Context } from "../../src/bot/context.js";
import { type ConversationFlavor, conversation } from "../../src/bot/conversation.js";
import { SqliteBotStore } from "../../src/bot/store/sqlite.js";
import { MaxBotAdapter } from "../../src/maxbot/adapter.js";
import { MaxBotClient } from "../../src/maxbot/client/index.js";
import { FileMarkerStore } from "../../src/maxbot/client/markers.js";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const crashAt = process.env.CRASH_AT;

type Ctx = Context & ConversationFlavor;
const client = new MaxBotClient({
  url: env("BOT_API"),
  token: env("BOT_TOKEN"),
  account: env("BOT_ACCOUNT"),
});
const adapter = new MaxBotAdapter(client, {
  pollTimeout: 1,
  markerStore: new FileMarkerStore(env("BOT_MARKERS")),
});
const bot = new Bot<Ctx>({ store: new SqliteBotStore(env("BOT_DB")), accounts: [adapter] });
bot.use(
  conversation<Ctx>("signup", async (conv, ctx) => {
    await ctx.reply("name?");
    const name = await conv.wait();
    await name.reply("age?");
    if (name.text === crashAt) {
      process.stdout.write("crash-point\n");
      await new Promise(() => {});
    }
    const age = await conv.wait();
    await age.reply(`${name.text} is ${age.text}`);
  }),
);
bot.command("signup", (ctx) => ctx.conversation.enter("signup"));
await bot.start();
process.stdout.write("ready\n");
