/**
 * QQ group commands: a Bot on alice's WebQQ account (emulator on loopback); bob writes commands
 * into their group through his own WebQQClient and reads the answers from his own poll loop
 * (group_message), as a QQ user would see them.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bot } from "../../src/bot/bot.js";
import { MemoryBotStore } from "../../src/bot/store/memory.js";
import { systemClock } from "../../src/core/emulator/clock.js";
import { openStore } from "../../src/core/emulator/store.js";
import { silentLogger } from "../../src/core/log.js";
import { WebQQAdapter } from "../../src/webqq/adapter.js";
import { WebQQClient } from "../../src/webqq/client/index.js";
import { createWebQQEmulatorPlugin, webqqStoreModule } from "../../src/webqq/emulator.js";

const ALICE = 10897944;
const BOB = 2440652742;

let close: () => Promise<void>;
let bob: WebQQClient;
let gid: number;
const bobSees: string[] = [];

async function bobWaitsFor(text: string, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!bobSees.includes(text)) {
    if (Date.now() > end) throw new Error(`bob did not see "${text}"; he saw ${JSON.stringify(bobSees)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("Bot on WebQQ: commands in a QQ group", () => {
  beforeAll(async () => {
    const db = openStore({ file: null, modules: [webqqStoreModule] });
    const emu = await createWebQQEmulatorPlugin({ pollTimeoutMs: 1000 }).create({
      db,
      dataDir: mkdtempSync(join(tmpdir(), "bot-webqq-")),
      log: silentLogger,
      clock: systemClock,
      urls: () => ({}),
    });
    const url = await emu.listen(0, "127.0.0.1", "127.0.0.1");
    emu.admin.createAccount({ qq: ALICE, password: "pw-alice", nick: "alice" });
    emu.admin.createAccount({ qq: BOB, password: "pw-bob", nick: "bob" });
    gid = emu.admin.createGroup({ name: "bots", owner: ALICE, members: [BOB] }).gid;

    const alice = new WebQQClient({
      url,
      account: String(ALICE),
      backoffBaseMs: 5,
      login: { qq: ALICE, password: "pw-alice" },
    });
    bob = new WebQQClient({ url, backoffBaseMs: 5, login: { qq: BOB, password: "pw-bob" } });
    bob.on("group_message", (m) => {
      bobSees.push(m.content.filter((part): part is string => typeof part === "string").join(""));
    });
    await bob.connect();

    const bot = new Bot({
      store: new MemoryBotStore(),
      accounts: [new WebQQAdapter(alice)],
      usernames: { webqq: "alicebot" },
    });
    bot.command("echo", (ctx) => ctx.reply(`qq echo: ${ctx.args}`));
    bot.command("help", (ctx) =>
      ctx.reply(`help for ${ctx.chat.id.startsWith("g:") ? "a group" : "a friend"}`),
    );
    await bot.start();
    close = async () => {
      await bot.stop();
      await bob.close();
      await emu.close();
      db.close();
    };
  }, 30_000);

  afterAll(async () => {
    await close?.();
  });

  it("answers /echo with its arguments in the group", async () => {
    await bob.sendGroup(gid, [{ type: "text", text: "/echo  你好 QQ " }]);
    await bobWaitsFor("qq echo: 你好 QQ");
  }, 15_000);

  it("accepts /help@alicebot but not /help@someoneelse", async () => {
    await bob.sendGroup(gid, [{ type: "text", text: "/help@someoneelse" }]);
    await bob.sendGroup(gid, [{ type: "text", text: "/help@alicebot" }]);
    await bobWaitsFor("help for a group");
    await new Promise((r) => setTimeout(r, 500));
    expect(bobSees.filter((t) => t === "help for a group")).toHaveLength(1);
  }, 15_000);
});
