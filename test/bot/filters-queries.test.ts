import { describe, expect, expectTypeOf, it } from "vitest";
import { Composer } from "../../src/bot/composer.js";
import type { Context } from "../../src/bot/context.js";
import { type Filter, type FilterQuery, matchFilter, parseQuery } from "../../src/bot/filters.js";
import type { AdapterEvent } from "../../src/core/adapter.js";
import { type Message, type PlatformName, type Ref, ref } from "../../src/core/model.js";
import type { MaxBotAdapter } from "../../src/maxbot/adapter.js";
import type { MaxBotClient } from "../../src/maxbot/client/index.js";
import type { VkLiveAdapter } from "../../src/vklive/adapter.js";
import { messageEvent } from "./composer-fixtures.js";

const chat = ref("vklive", "acct", "c1");
const user = ref("vklive", "acct", "u1");
const events: Record<string, AdapterEvent> = {
  text: messageEvent("hello", { platform: "vklive" }),
  photo: messageEvent([{ type: "image", attachment: { url: "http://127.0.0.1/p.png" } }], {
    platform: "vklive",
  }),
  file: messageEvent([{ type: "file", attachment: { name: "a.txt" } }], { platform: "vklive" }),
  sticker: messageEvent([{ type: "sticker", id: "s1" }], { platform: "vklive" }),
  edited: messageEvent("hello!", { platform: "vklive", type: "message.edited" }),
  deleted: { id: "d", type: "message.deleted", chat, message: ref("vklive", "acct", "m1") },
  reaction: {
    id: "r",
    type: "reaction",
    chat,
    message: ref("vklive", "acct", "m1"),
    user,
    reaction: "👍",
    added: true,
  },
  joined: { id: "j", type: "member.joined", chat, user },
  left: { id: "l", type: "member.left", chat, user },
  chat: { id: "c", type: "chat.updated", chat: { ref: chat, kind: "stream-chat", title: "t" } },
  presence: { id: "p", type: "presence", user, online: true },
};

function matching(query: FilterQuery | FilterQuery[], platform: PlatformName = "vklive"): string[] {
  const match = matchFilter(query);
  return Object.entries(events)
    .filter(([, event]) => match({ event, platform }))
    .map(([name]) => name);
}

describe("filter queries at run time", () => {
  it.each([
    ["message", ["text", "photo", "file", "sticker"]],
    ["message:text", ["text"]],
    ["message:media", ["photo", "file"]],
    ["edited", ["edited"]],
    ["deleted", ["deleted"]],
    ["reaction", ["reaction"]],
    ["member:joined", ["joined"]],
    ["member:left", ["left"]],
    ["chat:updated", ["chat"]],
    ["message_created", ["text", "photo", "file", "sticker"]],
    ["message_edited", ["edited"]],
    ["message_removed", ["deleted"]],
    ["user_added", ["joined"]],
    ["user_removed", ["left"]],
    ["chat_title_changed", ["chat"]],
    ["vklive:message:text", ["text"]],
    ["vklive:reaction", ["reaction"]],
  ] as [FilterQuery, string[]][])("%s", (query, expected) => {
    expect(matching(query)).toEqual(expected);
  });

  it("a platform prefix matches only that platform", () => {
    expect(matching("max:message", "vklive")).toEqual([]);
    expect(matching("max:message:text", "max")).toEqual(["text"]);
  });

  it("several queries match any of them", () => {
    expect(matching(["deleted", "member:left", "webqq:message"])).toEqual(["deleted", "left"]);
  });

  it("unknown queries are rejected with the query in the message", () => {
    for (const q of ["messages", "telegram:message", "max:", ":message", "max:message_created", ""]) {
      expect(() => parseQuery(q)).toThrow(`unknown filter query "${q}"`);
    }
  });
});

describe("filter queries narrow the context type", () => {
  it("message / message:text / edited", () => {
    expectTypeOf<Filter<Context, "message">["message"]>().toEqualTypeOf<Message>();
    expectTypeOf<Filter<Context, "message">["chat"]>().toEqualTypeOf<Ref>();
    expectTypeOf<Filter<Context, "message">["from"]>().toEqualTypeOf<Ref>();
    expectTypeOf<Filter<Context, "message">["text"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Filter<Context, "message:text">["text"]>().toEqualTypeOf<string>();
    expectTypeOf<Filter<Context, "message_created">["event"]["type"]>().toEqualTypeOf<"message.created">();
    expectTypeOf<Filter<Context, "edited">["event"]["type"]>().toEqualTypeOf<"message.edited">();
    expectTypeOf<Filter<Context, "message_edited">["message"]>().toEqualTypeOf<Message>();
    // Without a filter nothing is promised.
    expectTypeOf<Context["text"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Context["chat"]>().toEqualTypeOf<Ref | undefined>();
  });

  it("deleted / reaction / member / chat events", () => {
    expectTypeOf<Filter<Context, "deleted">["event"]>().toHaveProperty("message").toEqualTypeOf<Ref>();
    expectTypeOf<Filter<Context, "reaction">["event"]["reaction"]>().toEqualTypeOf<string>();
    expectTypeOf<Filter<Context, "reaction">["chat"]>().toEqualTypeOf<Ref>();
    expectTypeOf<Filter<Context, "user_added">["event"]["type"]>().toEqualTypeOf<"member.joined">();
    expectTypeOf<Filter<Context, "member:left">["from"]>().toEqualTypeOf<Ref>();
    expectTypeOf<Filter<Context, "chat_title_changed">["event"]["chat"]["kind"]>().toEqualTypeOf<
      "direct" | "group" | "channel" | "stream-chat"
    >();
  });

  it("a platform prefix narrows ctx.platform and ctx.adapter (so its client)", () => {
    expectTypeOf<Filter<Context, "vklive:message">["platform"]>().toEqualTypeOf<"vklive">();
    expectTypeOf<Filter<Context, "vklive:message">["adapter"]>().toExtend<VkLiveAdapter>();
    expectTypeOf<Filter<Context, "maxbot:message:text">["adapter"]["client"]>().toEqualTypeOf<MaxBotClient>();
    expectTypeOf<Filter<Context, "maxbot:message:text">["text"]>().toEqualTypeOf<string>();
    expectTypeOf<Filter<Context, "message">["platform"]>().toEqualTypeOf<PlatformName>();
  });

  it("handlers registered with on() get the narrowed type; several queries give a union", () => {
    const bot = new Composer<Context>();
    bot.on("message:text", (ctx) => {
      expectTypeOf(ctx.text).toEqualTypeOf<string>();
    });
    bot.on("maxbot:message", (ctx) => {
      expectTypeOf(ctx.adapter).toExtend<MaxBotAdapter>();
      expectTypeOf(ctx.adapter.client).toEqualTypeOf<MaxBotClient>();
    });
    bot.on(["edited", "deleted"], (ctx) => {
      expectTypeOf(ctx.event.type).toEqualTypeOf<"message.edited" | "message.deleted">();
      expectTypeOf(ctx.chat).toEqualTypeOf<Ref>();
    });
    bot.command("start", (ctx) => {
      expectTypeOf(ctx.args).toEqualTypeOf<string>();
      expectTypeOf(ctx.command).toEqualTypeOf<string>();
      expectTypeOf(ctx.message).toEqualTypeOf<Message>();
    });
    bot.hears(/x/, (ctx) => {
      expectTypeOf(ctx.match).toEqualTypeOf<RegExpMatchArray>();
    });
    // @ts-expect-error: not a filter query
    expect(() => bot.on("message:photo", () => {})).toThrow();
  });
});
