/**
 * What the Bot API told a bot it stored survives a restart of the sandbox on the same database
 * file: the bot's token still authenticates (only its hash is stored), its profile edits, the
 * messages it sent (by mid) and its chats are all there.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type BotWorld, startBotWorld } from "./harness.js";

const dir = mkdtempSync(join(tmpdir(), "maxbot-restart-"));
const data = join(dir, "sandbox.db");
let world: BotWorld | undefined;

async function call(base: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers:
      body === undefined
        ? { Authorization: token }
        : { Authorization: token, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

afterAll(async () => {
  await world?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("restart on the same database", () => {
  it("keeps the bot, its token, its profile, its chats and its messages", async () => {
    world = await startBotWorld({ data });
    const bot = await world.createBot("Durable bot", "durable_bot");
    const alice = await world.user("Alice");
    await call(world.botApi, bot.token, "PATCH", "/me", {
      description: "kept",
      commands: [{ name: "start" }],
    });
    const sent = await call(world.botApi, bot.token, "POST", `/messages?user_id=${alice.userId}`, {
      text: "persisted",
    });
    expect(sent.status).toBe(200);
    const message = sent.body.message as { body: { mid: string }; recipient: { chat_id: number } };
    await world.close();
    world = undefined;

    // The token is stored hashed only (database and write-ahead log).
    for (const file of [data, `${data}-wal`]) {
      if (existsSync(file)) expect(readFileSync(file).includes(Buffer.from(bot.token))).toBe(false);
    }

    world = await startBotWorld({ data });
    const me = await call(world.botApi, bot.token, "GET", "/me");
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      user_id: bot.userId,
      description: "kept",
      commands: [{ name: "start" }],
    });
    const read = await call(world.botApi, bot.token, "GET", `/messages/${message.body.mid}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ body: { mid: message.body.mid, text: "persisted" } });
    const chats = await call(world.botApi, bot.token, "GET", "/chats");
    expect((chats.body.chats as { chat_id: number }[]).map((c) => c.chat_id)).toContain(
      message.recipient.chat_id,
    );
  }, 60_000);
});
