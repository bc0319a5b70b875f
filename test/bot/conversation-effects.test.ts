/**
 * Conversation side effects through Bot over the sandbox (MAX Bot API emulator, SQLite file):
 * conv.external runs once and replays (also after a restart) get its recorded result; ctx.session
 * is refused on a conversation's contexts; wait({ filter }) lets other messages pass; an error thrown by the function ends the conversation
 * and reaches bot.catch, and the user's next messages go to the other handlers again.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Bot } from "../../src/bot/bot.js";
import type { Context } from "../../src/bot/context.js";
import { type ConversationFlavor, conversation } from "../../src/bot/conversation.js";
import { type SessionFlavor, session } from "../../src/bot/session.js";
import { type SessionWorld, startSessionWorld } from "./session-fixtures.js";

type Ctx = Context & ConversationFlavor & SessionFlavor<{ n: number }>;

let w: SessionWorld;

beforeEach(async () => {
  w = await startSessionWorld();
});

afterEach(async () => {
  await w.close();
});

const last = (texts: string[]) => texts[texts.length - 1];

describe("conversation side effects", () => {
  it("external() runs once; replays, also after a restart, get the recorded result; ctx.session is refused", async () => {
    let tickets = 0;
    const setup = (bot: Bot<Ctx>) => {
      bot.use(session({ initial: () => ({ n: 0 }) }));
      bot.use(
        conversation<Ctx>("ticket", async (conv, ctx) => {
          const ticket = await conv.external(() => ++tickets);
          const refused = await conv.external(() => {
            try {
              void ctx.session;
              return "allowed";
            } catch (error) {
              return (error as Error).message.includes("a replay would apply its changes again")
                ? "refused"
                : "other";
            }
          });
          await ctx.reply(`ticket ${ticket}, session ${refused}`);
          const name = await conv.wait();
          await name.reply(`ticket ${ticket} for ${name.text}`);
        }),
      );
      bot.command("ticket", (ctx) => ctx.conversation.enter("ticket"));
    };
    const first = await w.startBot(setup);
    await w.alice.sendMessage(w.group, "/ticket");
    await w.until(w.group, (t) => last(t) === "ticket 1, session refused");
    await first.stop();
    first.store.close();

    await w.startBot(setup);
    await w.alice.sendMessage(w.group, "Ann");
    const texts = await w.until(w.group, (t) => last(t) === "ticket 1 for Ann");
    expect(texts).toEqual(["/ticket", "ticket 1, session refused", "Ann", "ticket 1 for Ann"]);
    expect(tickets).toBe(1);
  });

  it("wait({ filter }): a message the filter refuses goes on to the other handlers, the conversation keeps waiting", async () => {
    await w.startBot((bot: Bot<Ctx>) => {
      bot.use(
        conversation<Ctx>("age", async (conv, ctx) => {
          await ctx.reply("age?");
          const age = await conv.wait({ filter: (c) => /^\d+$/.test(c.text ?? "") });
          await age.reply(`age ${age.text}`);
        }),
      );
      bot.command("age", (ctx) => ctx.conversation.enter("age"));
      bot.on("message:text", async (ctx) => {
        if (ctx.from?.id === String(w.botUserId)) return;
        await ctx.reply(`echo: ${ctx.text}`);
      });
    });
    await w.alice.sendMessage(w.group, "/age");
    await w.until(w.group, (t) => last(t) === "age?");
    await w.alice.sendMessage(w.group, "thirty");
    await w.until(w.group, (t) => last(t) === "echo: thirty");
    await w.alice.sendMessage(w.group, "30");
    const texts = await w.until(w.group, (t) => last(t) === "age 30");
    expect(texts).toEqual(["/age", "age?", "thirty", "echo: thirty", "30", "age 30"]);
  });

  it("an error thrown by the function ends the conversation and reaches bot.catch", async () => {
    const caught: string[] = [];
    await w.startBot((bot: Bot<Ctx>) => {
      bot.catch((error) => void caught.push(error.message));
      bot.use(
        conversation<Ctx>("fragile", async (conv, ctx) => {
          await ctx.reply("name?");
          const name = await conv.wait();
          if (name.text === "Ann") throw new Error("boom");
          await name.reply("ok");
        }),
      );
      bot.command("fragile", (ctx) => ctx.conversation.enter("fragile"));
      bot.on("message:text", async (ctx) => {
        if (ctx.from?.id === String(w.botUserId)) return;
        await ctx.reply(`echo: ${ctx.text}`);
      });
    });
    await w.alice.sendMessage(w.group, "/fragile");
    await w.until(w.group, (t) => last(t) === "name?");
    await w.alice.sendMessage(w.group, "Ann");
    // The failed run ended the conversation; the update's retry reaches the other handlers.
    await w.until(w.group, (t) => last(t) === "echo: Ann");
    await w.alice.sendMessage(w.group, "hello");
    const texts = await w.until(w.group, (t) => last(t) === "echo: hello");
    expect(texts).toEqual(["/fragile", "name?", "Ann", "echo: Ann", "hello", "echo: hello"]);
    expect(caught.some((m) => m.includes("boom"))).toBe(true);
  });
});
