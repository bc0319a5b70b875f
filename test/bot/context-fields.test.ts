/**
 * Context's unified fields for every kind of event (no server needed: the adapter is never
 * connected, only its platform and account are read).
 */
import { describe, expect, it } from "vitest";
import { Context } from "../../src/bot/context.js";
import { MemoryBotStore } from "../../src/bot/store/memory.js";
import type { AdapterEvent } from "../../src/core/adapter.js";
import { ref } from "../../src/core/model.js";
import { MaxImAdapter } from "../../src/maxim/adapter.js";
import { MaxImClient } from "../../src/maxim/client/index.js";

const adapter = new MaxImAdapter(
  new MaxImClient({ url: "http://127.0.0.1:9", appId: "app", token: "t", account: "acct" }),
);
const r = (id: string) => ref("maxim", "acct", id);

function ctxOf(event: AdapterEvent): Context {
  return new Context({
    update: {
      key: `maxim:acct:${event.id}`,
      chatKey: "maxim:acct:c",
      account: "maxim:acct",
      event,
      seq: 1,
      attempts: 1,
      receivedAt: 0,
    },
    adapter,
    store: new MemoryBotStore(),
    effects: { onCommit: () => {} },
  });
}

const message = {
  ref: r("m1"),
  chat: r("c"),
  author: r("u"),
  time: 0,
  content: [
    { type: "mention" as const, user: r("bot"), text: "@bot" },
    { type: "text" as const, text: " see " },
    { type: "link" as const, url: "https://example.org" },
    { type: "image" as const, attachment: { url: "https://example.org/a.png" } },
  ],
};

describe("Context fields", () => {
  it("a new message: chat, from, message, text (text, mentions and links, not media)", () => {
    const ctx = ctxOf({ id: "e1", type: "message.created", message });
    expect(ctx.platform).toBe("maxim");
    expect(ctx.account).toBe("acct");
    expect(ctx.accountKey).toBe("maxim:acct");
    expect(ctx.updateKey).toBe("maxim:acct:e1");
    expect(ctx.chat).toEqual(r("c"));
    expect(ctx.from).toEqual(r("u"));
    expect(ctx.message).toBe(message);
    expect(ctx.text).toBe("@bot see https://example.org");
  });

  it("a message with no text segment has no text", () => {
    const ctx = ctxOf({
      id: "e2",
      type: "message.created",
      message: { ...message, content: [message.content[3]!] },
    });
    expect(ctx.text).toBeUndefined();
  });

  it.each([
    [{ id: "d", type: "message.deleted", chat: r("c"), message: r("m") }, r("c"), undefined],
    [
      {
        id: "x",
        type: "reaction",
        chat: r("c"),
        message: r("m"),
        user: r("u2"),
        reaction: "👍",
        added: true,
      },
      r("c"),
      r("u2"),
    ],
    [{ id: "j", type: "member.joined", chat: r("c"), user: r("u3") }, r("c"), r("u3")],
    [{ id: "l", type: "member.left", chat: r("c"), user: r("u4") }, r("c"), r("u4")],
    [{ id: "t", type: "typing", chat: r("c"), user: r("u5") }, r("c"), r("u5")],
    [
      { id: "c", type: "chat.updated", chat: { ref: r("c2"), kind: "group", title: "T" } },
      r("c2"),
      undefined,
    ],
    [{ id: "p", type: "presence", user: r("u6"), online: true }, undefined, r("u6")],
  ] as [AdapterEvent, unknown, unknown][])("%o", (event, chat, from) => {
    const ctx = ctxOf(event);
    expect(ctx.chat).toEqual(chat);
    expect(ctx.from).toEqual(from);
    expect(ctx.message).toBeUndefined();
    expect(ctx.text).toBeUndefined();
  });

  it("answers that need a chat or a message say so clearly", async () => {
    const presence = ctxOf({ id: "p2", type: "presence", user: r("u"), online: false });
    await expect(presence.reply("x")).rejects.toThrow("ctx.reply: this presence update has no chat");
    const joined = ctxOf({ id: "j2", type: "member.joined", chat: r("c"), user: r("u") });
    await expect(joined.react("👍")).rejects.toThrow("ctx.react: this member.joined update has no message");
    await expect(joined.delete()).rejects.toThrow("ctx.delete: this member.joined update has no message");
  });
});
