/**
 * Platforms that keep no record of idempotency keys (VK Live here): a send whose answer was lost
 * after the server stored it, and an item a crash left queued after its message went out, are
 * recognised by their echo in the chat's history, so the platform still holds one message.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutbox } from "../../src/bot/outbox.js";
import { MemoryBotStore } from "../../src/bot/store/memory.js";
import {
  AnswerCutter,
  historyTexts,
  startWorld,
  type VkLiveSide,
  vkliveSide,
  type World,
} from "./outbox-fixtures.js";

const text = (t: string) => [{ type: "text" as const, text: t }];

describe("outbox echo matching on VK Live", () => {
  let world: World;
  let cutter: AnswerCutter;
  let vk: VkLiveSide;

  beforeAll(async () => {
    world = await startWorld();
    cutter = new AnswerCutter();
    vk = await vkliveSide(world, (url) => cutter.start(url));
  }, 30_000);

  afterAll(async () => {
    await vk?.close();
    await cutter?.close();
    await world?.close();
  });

  it("an answer lost after the message was stored: the retry finds it and sends nothing more", async () => {
    const store = new MemoryBotStore();
    const outbox = createOutbox({
      store,
      adapters: new Map([[vk.accountKey, vk.adapter]]),
      backoffBaseMs: 50,
    });
    outbox.start();
    // A message of ours with the same text from before the item: not taken for its echo.
    await vk.adapter.send(vk.chat, "echo: lost answer");
    await new Promise((r) => setTimeout(r, 20));
    cutter.arm("POST /v1/chat/message/send");
    const r = await outbox.submit({
      key: "vk-lost",
      account: vk.accountKey,
      chat: vk.chat,
      op: "send",
      content: text("echo: lost answer"),
      priority: "reply",
    });
    expect(cutter.cut).toBe(1);
    expect(store.outboxItem("vk-lost")).toMatchObject({ status: "sent", attempts: 2 });
    const history = await vk.adapter.history(vk.chat, { limit: 100 });
    const copies = history.filter((m) =>
      m.content.some((s) => s.type === "text" && s.text === "echo: lost answer"),
    );
    // The one from before and the item's: the retry added none.
    expect(copies).toHaveLength(2);
    expect(r?.ids[0]?.id).toBe(copies[1]?.ref.id);
    await outbox.drain(2000);
  }, 20_000);

  it("an item a crash left queued after its message went out is marked sent, not sent again", async () => {
    const store = new MemoryBotStore();
    // The crashed run: the item was stored, its send reached the platform, the process died before markSent.
    store.enqueue({
      key: "vk-crash",
      account: vk.accountKey,
      chat: vk.chat,
      op: "send",
      content: text("echo: crash window"),
      priority: "broadcast",
      dueAt: Date.now(),
    });
    const sent = await vk.adapter.send(vk.chat, "echo: crash window");
    // A queued item of the same run that never went out is still sent.
    store.enqueue({
      key: "vk-crash-2",
      account: vk.accountKey,
      chat: vk.chat,
      op: "send",
      content: text("echo: never went out"),
      priority: "broadcast",
      dueAt: Date.now(),
    });
    const outbox = createOutbox({ store, adapters: new Map([[vk.accountKey, vk.adapter]]) });
    await outbox.drain(10_000);
    expect(store.outboxItem("vk-crash")).toMatchObject({ status: "sent", result: { ids: sent.ids } });
    expect(store.outboxItem("vk-crash-2")?.status).toBe("sent");
    const texts = await historyTexts(vk.adapter, vk.chat);
    expect(texts.filter((t) => t === "echo: crash window")).toHaveLength(1);
    expect(texts.filter((t) => t === "echo: never went out")).toHaveLength(1);
  }, 20_000);
});
