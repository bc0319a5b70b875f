/**
 * Conversations through Bot over the sandbox (MAX Bot API emulator, SQLite file): a conversation
 * takes the waiting user's next messages in that chat and nobody else's; it survives a restart in
 * the middle (new Bot, new store, new adapter on the same file) without a single duplicate reply;
 * a late answer ends it with ConversationTimeout; it stops at its step bound.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Bot } from "../../src/bot/bot.js";
import type { Context } from "../../src/bot/context.js";
import {
  type ConversationFlavor,
  ConversationStepLimit,
  ConversationTimeout,
  conversation,
} from "../../src/bot/conversation.js";
import { type SessionWorld, startSessionWorld } from "./session-fixtures.js";

type Ctx = Context & ConversationFlavor;

let w: SessionWorld;

beforeEach(async () => {
  w = await startSessionWorld();
});

afterEach(async () => {
  await w.close();
});

/** The signup conversation, a command that enters it, and an echo for everything else. */
function signupBot(options: { timeoutMs?: number } = {}) {
  return (bot: Bot<Ctx>) => {
    bot.use(
      conversation<Ctx>("signup", async (conv, ctx) => {
        await ctx.reply("name?");
        try {
          const name = await conv.wait({ timeoutMs: options.timeoutMs });
          await name.reply("age?");
          const age = await conv.wait({ timeoutMs: options.timeoutMs });
          await age.reply(`${name.text} is ${age.text}`);
        } catch (error) {
          if (!(error instanceof ConversationTimeout)) throw error;
          await ctx.reply("too slow");
        }
      }),
    );
    bot.command("signup", (ctx) => ctx.conversation.enter("signup"));
    bot.on("message:text", async (ctx) => {
      if (ctx.from?.id === String(w.botUserId)) return;
      await ctx.reply(`echo: ${ctx.text}`);
    });
  };
}

const last = (texts: string[]) => texts[texts.length - 1];

describe("conversations", () => {
  it("take the waiting user's answers (not another user's), survive a restart mid-way, and send nothing twice", async () => {
    const first = await w.startBot(signupBot());
    await w.alice.sendMessage(w.group, "/signup");
    await w.until(w.group, (t) => last(t) === "name?");
    await w.bob.sendMessage(w.group, "I am Bob"); // not the waiting user: other handlers get it
    await w.until(w.group, (t) => last(t) === "echo: I am Bob");
    await w.alice.sendMessage(w.group, "Ann");
    await w.until(w.group, (t) => last(t) === "age?");

    // Restart in the middle of the conversation: a new bot, store and adapter on the same file.
    await first.stop();
    first.store.close();
    const second = await w.startBot(signupBot());
    await w.alice.sendMessage(w.group, "30");
    await w.until(w.group, (t) => last(t) === "Ann is 30");

    // Over: Alice's next message goes to the other handlers again.
    await w.alice.sendMessage(w.group, "hello");
    const texts = await w.until(w.group, (t) => last(t) === "echo: hello");
    expect(texts).toEqual([
      "/signup",
      "name?",
      "I am Bob",
      "echo: I am Bob",
      "Ann",
      "age?",
      "30",
      "Ann is 30",
      "hello",
      "echo: hello",
    ]);
    expect(
      second.store.getConversation(`conv:maxbot:${second.accounts[0]?.account}:${w.group}:${w.alice.userId}`),
    ).toBeUndefined();
  });

  it("a conversation in one chat does not take the user's messages in another chat", async () => {
    await w.startBot(signupBot());
    await w.alice.sendMessage(w.group, "/signup");
    await w.until(w.group, (t) => last(t) === "name?");
    await w.alice.sendMessage(w.group2, "Ann");
    await w.until(w.group2, (t) => last(t) === "echo: Ann");
    await w.alice.sendMessage(w.group, "Zoe");
    await w.until(w.group, (t) => last(t) === "age?");
  });

  it("an answer after the wait's timeout throws ConversationTimeout into the function; the late message goes on", async () => {
    await w.startBot(signupBot({ timeoutMs: 300 }));
    await w.alice.sendMessage(w.group, "/signup");
    await w.until(w.group, (t) => last(t) === "name?");
    await new Promise((resolve) => setTimeout(resolve, 500));
    await w.alice.sendMessage(w.group, "late");
    const texts = await w.until(w.group, (t) => last(t) === "echo: late");
    expect(texts).toEqual(["/signup", "name?", "late", "too slow", "echo: late"]);
  });

  it("is bounded: past maxSteps recorded answers wait() throws ConversationStepLimit", async () => {
    await w.startBot((bot: Bot<Ctx>) => {
      bot.use(
        conversation<Ctx>(
          "loop",
          async (conv, ctx) => {
            await ctx.reply("talk");
            try {
              for (;;) {
                const answer = await conv.wait();
                await answer.reply(`got ${answer.text} (step ${conv.step})`);
              }
            } catch (error) {
              if (!(error instanceof ConversationStepLimit)) throw error;
              await ctx.reply(`enough after ${error.maxSteps}`);
            }
          },
          { maxSteps: 2 },
        ),
      );
      bot.command("loop", (ctx) => ctx.conversation.enter("loop"));
      bot.on("message:text", (ctx) => ctx.reply(`echo: ${ctx.text}`));
    });
    await w.alice.sendMessage(w.group, "/loop");
    await w.until(w.group, (t) => last(t) === "talk");
    await w.alice.sendMessage(w.group, "a");
    await w.until(w.group, (t) => last(t) === "got a (step 1)");
    await w.alice.sendMessage(w.group, "b");
    // The second answer is recorded; the function's next wait() is past the bound.
    await w.until(w.group, (t) => last(t) === "enough after 2");
    await w.alice.sendMessage(w.group, "c");
    const texts = await w.until(w.group, (t) => last(t) === "echo: c");
    expect(texts).toEqual([
      "/loop",
      "talk",
      "a",
      "got a (step 1)",
      "b",
      "got b (step 2)",
      "enough after 2",
      "c",
      "echo: c",
    ]);
  });
});
