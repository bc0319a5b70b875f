/**
 * dialog_muted / dialog_unmuted: a MAX user mutes their dialog with a bot through the user API's
 * settings (opcode 22, `chats: {<chatId>: {dontDisturbUntil}}`), and the bot gets the update.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BotWorld, type CreatedBot, startBotWorld } from "./harness.js";

let world: BotWorld;
let bot: CreatedBot;
beforeAll(async () => {
  world = await startBotWorld();
  bot = await world.createBot("Mute bot");
});
afterAll(async () => {
  await world?.close();
});

interface Page {
  updates: { update_type: string; chat_id?: number; muted_until?: number; user?: { user_id: number } }[];
  marker: number;
}

async function updates(types: string): Promise<Page> {
  const res = await fetch(`${world.botApi}/updates?timeout=0&types=${types}`, {
    headers: { authorization: bot.token },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Page;
}

const mute = (chatId: number, until: number) => ({
  settings: { chats: { [String(chatId)]: { dontDisturbUntil: until } } },
});

describe("muting a dialog with a bot", () => {
  it("reaches the bot as dialog_muted with muted_until, and unmuting as dialog_unmuted", async () => {
    const user = await world.user("Muter");
    const { chatId } = await user.sendToUser(bot.userId, "hi");
    const until = Date.now() + 3_600_000;
    await user.invoke(22, mute(chatId, until));
    const muted = await updates("dialog_muted");
    expect(muted.updates).toHaveLength(1);
    expect(muted.updates[0]).toMatchObject({
      update_type: "dialog_muted",
      chat_id: chatId,
      muted_until: until,
      user: { user_id: user.userId },
    });
    await user.invoke(22, mute(chatId, 0));
    const unmuted = await updates("dialog_unmuted");
    expect(unmuted.updates.map((u) => u.update_type)).toEqual(["dialog_unmuted"]);
    expect(unmuted.updates[0]).toMatchObject({ chat_id: chatId, user: { user_id: user.userId } });
  });

  it("a dialog between two people, or a group, makes no bot update", async () => {
    const a = await world.user("A");
    const b = await world.user("B");
    const { chatId } = await a.sendToUser(b.userId, "hello");
    const group = await a.createGroup("Muted group", [b.userId]);
    await a.invoke(22, mute(chatId, Date.now() + 60_000));
    await a.invoke(22, mute(group.id, Date.now() + 60_000));
    // (The first test's update is still uncommitted: only these chats matter here.)
    const ours = (await updates("dialog_muted")).updates.filter(
      (u) => u.chat_id === chatId || u.chat_id === group.id,
    );
    expect(ours).toEqual([]);
  });
});
