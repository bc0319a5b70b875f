/**
 * MAX Bot API for the shared adapter conformance suite (test/adapters/conformance.test.ts can
 * re-export `harness` from test/adapters/maxbot.harness.ts): the whole sandbox on loopback, a bot
 * the MAX user Alice added as an admin to her group with Bob, the bot's MaxBotAdapter connected
 * (long polling), and Alice writing into the group through her own MaxClient.
 */

import { ref } from "../../src/core/model.js";
import { MaxBotAdapter } from "../../src/maxbot/adapter.js";
import { MaxBotClient } from "../../src/maxbot/client/index.js";
import type { AdapterFixture, AdapterHarness } from "../adapters/harness.js";
import { type BotWorld, type SignedInUser, startBotWorld } from "./harness.js";

export interface MaxBotFixture extends AdapterFixture {
  adapter: MaxBotAdapter;
  world: BotWorld;
  alice: SignedInUser;
  bob: SignedInUser;
  groupId: number;
  botId: number;
}

export async function startMaxBotFixture(): Promise<MaxBotFixture> {
  const world = await startBotWorld();
  const bot = await world.createBot("Adapter bot", "adapter_bot");
  const alice = await world.user("Alice");
  const bob = await world.user("Bob");
  const group = await alice.createGroup("Adapter group", [bob.userId]);
  await world.admin("POST", `/_sandbox/maxbot/bots/${bot.userId}/chats`, {
    chatId: group.id,
    admin: true,
    byUserId: alice.userId,
  });
  const client = new MaxBotClient({ url: world.botApi, token: bot.token, account: "adapter_bot" });
  const adapter = new MaxBotAdapter(client, { pollTimeout: 1 });
  await adapter.connect();
  return {
    adapter,
    world,
    alice,
    bob,
    groupId: group.id,
    botId: bot.userId,
    chat: ref("maxbot", adapter.account, group.id),
    peer: ref("maxbot", adapter.account, alice.userId),
    async peerSend(text: string) {
      await alice.sendMessage(group.id, text);
    },
    async close() {
      await adapter.close();
      await world.close();
    },
  };
}

export const harness: AdapterHarness = { platform: "maxbot", start: startMaxBotFixture };
