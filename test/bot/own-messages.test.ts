/**
 * docs/bot.md "Own messages": a MAX userbot's account also writes by other means (here: a
 * second session of the same account, as the user's phone would). MAX pushes those to the bot's
 * session as new messages; without a guard the bot handles them, and the documented guard
 * comparing `ctx.from` with `ctx.adapter.self` drops exactly them and nothing else.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Bot } from "../../src/bot/bot.js";
import { MemoryBotStore } from "../../src/bot/store/memory.js";
import { ref } from "../../src/core/model.js";
import { MaxAdapter } from "../../src/max/adapter.js";
import { signedIn, startEmulator } from "../max/client-helpers.js";

let cleanup: (() => Promise<void>)[] = [];
let bot: Bot | undefined;

afterEach(async () => {
  await bot?.stop();
  for (const close of cleanup.reverse()) await close();
  bot = undefined;
  cleanup = [];
});

async function run(guard: boolean): Promise<string[]> {
  const emu = await startEmulator();
  cleanup.push(() => emu.close());
  const me = await signedIn(emu, { account: "me" });
  const myPhone = await signedIn(emu, { phone: me.phone, account: "me-phone" });
  const peer = await signedIn(emu, { account: "peer" });
  cleanup.push(
    () => myPhone.close(),
    () => peer.close(),
  );
  const group = await me.createGroup("Own messages", [peer.userId!]);
  const adapter = new MaxAdapter(me);
  bot = new Bot({ store: new MemoryBotStore(), accounts: [adapter], stopTimeoutMs: 3000 });
  const seen: string[] = [];
  if (guard) bot.use((ctx, next) => (ctx.from?.id === ctx.adapter.self?.id ? undefined : next()));
  bot.on("message:text", (ctx) => {
    seen.push(ctx.text);
  });
  await bot.start();
  expect(adapter.self).toEqual(ref("max", adapter.account, me.userId!));
  await myPhone.sendMessage(group.id, "mine");
  await peer.sendMessage(group.id, "theirs");
  const until = Date.now() + 10_000;
  while (!seen.includes("theirs") || (!guard && !seen.includes("mine"))) {
    if (Date.now() > until) throw new Error(`the messages never reached the bot; seen: ${seen}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return seen;
}

describe("own messages on MAX", () => {
  it("arrive as updates without the guard", async () => {
    expect((await run(false)).sort()).toEqual(["mine", "theirs"]);
  }, 30_000);

  it("are dropped by the documented ctx.adapter.self guard, and only they", async () => {
    expect(await run(true)).toEqual(["theirs"]);
  }, 30_000);
});
