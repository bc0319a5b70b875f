/**
 * A world for pipeline tests: the whole sandbox on loopback, one bot admin in `groups` MAX groups
 * that Alice writes into through her own MaxClient, and MaxBotAdapters for the bot (long polling).
 */
import type { AdapterEvent } from "../../src/core/adapter.js";
import { MaxBotAdapter, type MaxBotAdapterOptions } from "../../src/maxbot/adapter.js";
import { MaxBotClient } from "../../src/maxbot/client/index.js";
import { type BotWorld, type SignedInUser, startBotWorld } from "../maxbot/harness.js";

export interface PipelineWorld {
  world: BotWorld;
  token: string;
  alice: SignedInUser;
  groups: number[];
  /** A connected adapter for the bot (closed by close()). */
  adapter(options?: MaxBotAdapterOptions): Promise<MaxBotAdapter>;
  send(group: number, text: string): Promise<void>;
  close(): Promise<void>;
}

export const BOT_ACCOUNT = "pipeline_bot";

export async function startPipelineWorld(groupCount = 1): Promise<PipelineWorld> {
  const world = await startBotWorld();
  const bot = await world.createBot("Pipeline bot", BOT_ACCOUNT);
  const alice = await world.user("Alice");
  const bob = await world.user("Bob");
  const groups: number[] = [];
  for (let i = 0; i < groupCount; i++) {
    const group = await alice.createGroup(`Pipeline group ${i}`, [bob.userId]);
    await world.admin("POST", `/_sandbox/maxbot/bots/${bot.userId}/chats`, {
      chatId: group.id,
      admin: true,
      byUserId: alice.userId,
    });
    groups.push(group.id);
  }
  const adapters: MaxBotAdapter[] = [];
  return {
    world,
    token: bot.token,
    alice,
    groups,
    async adapter(options = {}) {
      const client = new MaxBotClient({ url: world.botApi, token: bot.token, account: BOT_ACCOUNT });
      const adapter = new MaxBotAdapter(client, { pollTimeout: 1, ...options });
      adapters.push(adapter);
      await adapter.connect();
      return adapter;
    },
    async send(group, text) {
      await alice.sendMessage(group, text);
    },
    async close() {
      await Promise.allSettled(adapters.map((a) => a.close()));
      await world.close();
    },
  };
}

/** The plain text of a created message event (undefined for other events). */
export function textOf(event: AdapterEvent): string | undefined {
  if (event.type !== "message.created") return undefined;
  return event.message.content
    .map((s) => (s.type === "text" ? s.text : ""))
    .join("")
    .trim();
}

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
