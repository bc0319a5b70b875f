/**
 * dialog_cleared: a MAX user clears the history of their dialog with a bot (user API opcode 54
 * CHAT_CLEAR, `{chatId, lastEventTime, forAll}`), and the bot gets the update. Deleting the dialog
 * (52) stays dialog_removed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BotWorld, type CreatedBot, startBotWorld } from "./harness.js";

let world: BotWorld;
let bot: CreatedBot;
beforeAll(async () => {
  world = await startBotWorld();
  bot = await world.createBot("Clear bot");
});
afterAll(async () => {
  await world?.close();
});

interface Page {
  updates: { update_type: string; chat_id?: number; user?: { user_id: number } }[];
  marker: number;
}

async function updates(types: string, marker?: number): Promise<Page> {
  const from = marker === undefined ? "" : `&marker=${marker}`;
  const res = await fetch(`${world.botApi}/updates?timeout=0&types=${types}${from}`, {
    headers: { authorization: bot.token },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Page;
}

describe("clearing a dialog with a bot", () => {
  it("reaches the bot as dialog_cleared with the chat and the user; 52 stays dialog_removed", async () => {
    const user = await world.user("Clearer");
    const { chatId } = await user.sendToUser(bot.userId, "hi");
    await user.invoke(54, { chatId, lastEventTime: Date.now(), forAll: false });
    const cleared = await updates("dialog_cleared,dialog_removed");
    expect(cleared.updates).toHaveLength(1);
    expect(cleared.updates[0]).toMatchObject({
      update_type: "dialog_cleared",
      chat_id: chatId,
      user: { user_id: user.userId },
    });
    await user.invoke(52, { chatId, lastEventTime: Date.now(), forAll: false });
    const removed = await updates("dialog_cleared,dialog_removed", cleared.marker);
    expect(removed.updates.map((u) => u.update_type)).toEqual(["dialog_removed"]);
  });

  it("clearing a dialog between two people makes no bot update", async () => {
    const a = await world.user("A");
    const b = await world.user("B");
    const { chatId } = await a.sendToUser(b.userId, "hello");
    await a.invoke(54, { chatId, forAll: true });
    const ours = (await updates("dialog_cleared")).updates.filter((u) => u.chat_id === chatId);
    expect(ours).toEqual([]);
  });
});
