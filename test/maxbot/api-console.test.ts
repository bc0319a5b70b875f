/**
 * The Bot API in the sandbox console: the platform is listed, its bots are accounts, the Bots
 * table counts queued updates, and the traffic inspector records Bot API exchanges without the
 * token (header or query) appearing anywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BotWorld, type CreatedBot, startBotWorld } from "./harness.js";

let world: BotWorld;
let bot: CreatedBot;

beforeAll(async () => {
  world = await startBotWorld();
  bot = await world.createBot("Console bot", "console_bot");
}, 60_000);

afterAll(async () => {
  await world?.close();
});

describe("console provider", () => {
  it("lists the platform and its bots as accounts", async () => {
    const platforms = await world.admin<{ platforms: { id: string; title: string; url: string }[] }>(
      "GET",
      "/_sandbox/console/platforms",
    );
    const maxbot = platforms.platforms.find((p) => p.id === "maxbot");
    expect(maxbot).toMatchObject({ title: "MAX Bot API", url: world.botApi });
    const accounts = await world.admin<{ accounts: { id: string; name: string; detail?: string }[] }>(
      "GET",
      "/_sandbox/console/maxbot/accounts",
    );
    expect(accounts.accounts).toContainEqual({
      id: String(bot.userId),
      name: "Console bot",
      detail: "@console_bot",
    });
  });

  it("shows a bot's queued updates in the Bots table", async () => {
    const alice = await world.user("Alice");
    const { chatId } = await world.admin<{ chatId: number }>("POST", "/_sandbox/max/chats", {
      ownerId: alice.userId,
      type: "CHAT",
      title: "Queue",
      memberIds: [],
    });
    await world.admin("POST", `/_sandbox/maxbot/bots/${bot.userId}/chats`, {
      chatId,
      byUserId: alice.userId,
    });
    const { tables } = await world.admin<{ tables: { id: string; rows: Record<string, unknown>[] }[] }>(
      "GET",
      "/_sandbox/console/maxbot/tables",
    );
    const row = tables.find((t) => t.id === "bots")?.rows.find((r) => r.userId === bot.userId);
    // Being added to the chat is a bot_added update waiting in the bot's queue.
    expect(row).toMatchObject({ name: "Console bot", username: "console_bot" });
    expect(row?.queued).toBeGreaterThanOrEqual(1);
  });

  it("records Bot API traffic with the token masked", async () => {
    await world.admin("POST", "/_sandbox/console/traffic/record", { on: true });
    try {
      await fetch(`${world.botApi}/me`, { headers: { Authorization: bot.token } });
      await fetch(`${world.botApi}/chats?access_token=${encodeURIComponent(bot.token)}`);
      // Records are written when the answer is sent: give the hook a moment to run.
      let log = { records: [] as { platform: string; path?: string; dir: string }[] };
      let paths: (string | undefined)[] = [];
      for (let i = 0; i < 40; i++) {
        log = await world.admin("GET", "/_sandbox/console/traffic?platform=maxbot");
        paths = log.records.filter((r) => r.dir === "in").map((r) => r.path);
        if (paths.length >= 2) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(paths).toContain("/me");
      expect(paths.some((p) => p?.startsWith("/chats?access_token="))).toBe(true);
      expect(JSON.stringify(log)).not.toContain(bot.token);
    } finally {
      await world.admin("POST", "/_sandbox/console/traffic/record", { on: false });
    }
  });
});
