/**
 * A whole kit session in a child process, for the no-open-handles test (also handy by hand
 * against `npm start`'s sandbox with KIT_SANDBOX=http://127.0.0.1:8700): a kit on the given
 * platforms, a bot that echoes, one user per platform, one reply each, then bot.stop() and
 * kit.close(). It never calls process.exit: the test expects the process to end by itself.
 */
import { Bot } from "../../src/bot/bot.js";
import { MemoryBotStore } from "../../src/bot/store/memory.js";
import type { PlatformName } from "../../src/core/model.js";
import { BotTestKit } from "../../src/testing/index.js";

const platforms = (process.argv[2] ?? "maxim").split(",") as PlatformName[];
// KIT_SANDBOX: a running sandbox's console URL (e.g. `npm start`'s) instead of an in-process one.
const kit = await BotTestKit.start({ platforms, sandbox: process.env.KIT_SANDBOX || undefined });
const bot = new Bot({ store: new MemoryBotStore(), accounts: kit.accounts, stopTimeoutMs: 5000 });
bot.command("echo", (ctx) => ctx.reply(ctx.args));
await bot.start();
for (const p of platforms) {
  const user = await kit.user(p, `Child ${p}`);
  await user.send(`/echo from ${p}`);
  const reply = await user.expectReply(`from ${p}`);
  process.stdout.write(`${p}: ${reply.text}\n`);
}
await bot.stop();
await kit.close();
process.stdout.write("closed\n");
