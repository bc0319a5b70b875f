/**
 * Context over a real MAX userbot account on the MAX emulator (loopback): the unified fields of a
 * peer's message, and answers (reply, replyWith, edit, react, delete) through the real outbox with
 * keys `<updateKey>:<op>:<n>`, so a second run of the same update sends nothing new. What was sent
 * is read back from the chat's history on the platform.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Context, ContextExpiredError } from "../../src/bot/context.js";
import { createOutbox, type OutboxQueue } from "../../src/bot/outbox.js";
import { chatKeyOf, updateKeyOf } from "../../src/bot/pipeline.js";
import { MemoryBotStore } from "../../src/bot/store/memory.js";
import type { StoredUpdate, UpdateEffects } from "../../src/bot/types.js";
import type { AdapterEvent } from "../../src/core/adapter.js";
import type { Message } from "../../src/core/model.js";
import { MaxClient } from "../../src/max/client/index.js";
import type { AdapterFixture } from "../adapters/harness.js";
import { harness } from "../adapters/max.harness.js";

let f: AdapterFixture;
let store: MemoryBotStore;
let outbox: OutboxQueue;
const effects: UpdateEffects = { onCommit: () => {} };

function textOf(m: Message): string {
  return m.content
    .filter((s) => s.type === "text")
    .map((s) => (s as { text: string }).text)
    .join("");
}

async function history(): Promise<Message[]> {
  return f.adapter.history(f.chat, { limit: 100 });
}

/** The peer writes `text`; resolves with the update as the pipeline would store it. */
async function peerUpdate(text: string): Promise<StoredUpdate> {
  const got = new Promise<AdapterEvent>((resolve) => {
    const off = f.adapter.onEvent((e) => {
      if (e.type === "message.created" && textOf(e.message) === text) {
        off();
        resolve(e);
      }
    });
  });
  await f.peerSend(text);
  const event = await got;
  const account = `${f.adapter.platform}:${f.adapter.account}`;
  return {
    key: updateKeyOf(f.adapter, event),
    chatKey: chatKeyOf(f.adapter, event),
    account,
    event,
    seq: 1,
    attempts: 1,
    receivedAt: Date.now(),
  };
}

function contextFor(update: StoredUpdate): Context {
  return new Context({ update, adapter: f.adapter, store, effects, outbox });
}

describe("Context on a MAX userbot account", () => {
  beforeAll(async () => {
    f = await harness.start();
    store = new MemoryBotStore();
    const adapters = new Map([[`${f.adapter.platform}:${f.adapter.account}`, f.adapter]]);
    outbox = createOutbox({ store, adapters });
    outbox.start();
  }, 30_000);

  afterAll(async () => {
    await outbox?.drain(3000);
    await f?.close();
  });

  it("shows the update in unified form", async () => {
    const update = await peerUpdate("hello **there**");
    const ctx = contextFor(update);
    expect(ctx.platform).toBe("max");
    expect(ctx.account).toBe(f.adapter.account);
    expect(ctx.accountKey).toBe(`max:${f.adapter.account}`);
    expect(ctx.updateKey).toBe(update.key);
    expect(ctx.chatKey).toBe(`max:${f.adapter.account}:${f.chat.id}`);
    expect(ctx.chat).toEqual(f.chat);
    expect(ctx.from).toEqual(f.peer);
    expect(ctx.text).toBe("hello **there**");
    expect(ctx.message?.ref.id).toBeTruthy();
    const chat = await ctx.getChat();
    expect(chat.ref).toEqual(f.chat);
    expect(chat.kind).toBe("group");
    expect(ctx.getChat()).toBe(ctx.getChat());
    expect(ctx.client("max")).toBeInstanceOf(MaxClient);
    expect(() => ctx.client("vklive")).toThrow(/ctx.client\("vklive"\) on a max update/);
  }, 20_000);

  it("replies through the outbox with per-run keys; a re-run of the same update sends nothing twice", async () => {
    const update = await peerUpdate("/twice");
    const run = async () => {
      const ctx = contextFor(update);
      const first = await ctx.reply("first answer", { replyTo: true });
      const second = await ctx.replyWith({ type: "text", text: "second answer" });
      return [first, second];
    };
    const [a1, a2] = await run();
    expect(store.outboxItem(`${update.key}:reply:1`)?.status).toBe("sent");
    expect(store.outboxItem(`${update.key}:reply:2`)?.status).toBe("sent");
    // The handler runs again (a crash before completion): the same keys answer with the first sends.
    const [b1, b2] = await run();
    expect(b1).toEqual(a1);
    expect(b2).toEqual(a2);
    const texts = (await history()).map(textOf);
    expect(texts.filter((t) => t === "first answer")).toHaveLength(1);
    expect(texts.filter((t) => t === "second answer")).toHaveLength(1);
    const first = (await history()).find((m) => m.ref.id === a1?.ids[0]?.id);
    expect(first?.replyTo?.id).toBe(
      update.event.type === "message.created" ? update.event.message.ref.id : "",
    );
  }, 20_000);

  it("edit, react and delete go through the outbox too", async () => {
    const update = await peerUpdate("/manage");
    const ctx = contextFor(update);
    const sent = await ctx.reply("draft");
    const id = sent.ids[0];
    if (!id) throw new Error("no id");
    await ctx.edit(id, "final");
    await ctx.react("👍");
    expect(store.outboxItem(`${update.key}:edit:1`)?.status).toBe("sent");
    expect(store.outboxItem(`${update.key}:react:1`)?.status).toBe("sent");
    expect((await history()).find((m) => m.ref.id === id.id)?.content).toEqual([
      { type: "text", text: "final" },
    ]);
    await ctx.delete(id);
    expect(store.outboxItem(`${update.key}:delete:1`)?.status).toBe("sent");
    const after = (await history()).find((m) => m.ref.id === id.id);
    expect(after === undefined || after.deleted === true).toBe(true);
  }, 20_000);

  it("derive() makes a context for another update with keys in its own scope", async () => {
    const update = await peerUpdate("/derive");
    const ctx = contextFor(update);
    const derived = ctx.derive(update, "conv:quiz");
    expect(derived).toBeInstanceOf(Context);
    expect(derived.updateKey).toBe(update.key);
    await derived.reply("from the conversation");
    expect(store.outboxItem(`${update.key}:conv:quiz:reply:1`)?.status).toBe("sent");
    expect(store.outboxItem(`${update.key}:reply:1`)).toBeUndefined();
  }, 20_000);

  it("after the run ends (expire), sends are refused instead of escaping the timeout", async () => {
    const update = await peerUpdate("/late");
    const ctx = contextFor(update);
    ctx.expire();
    await expect(ctx.reply("too late")).rejects.toBeInstanceOf(ContextExpiredError);
    expect(store.outboxItem(`${update.key}:reply:1`)).toBeUndefined();
  }, 20_000);
});
