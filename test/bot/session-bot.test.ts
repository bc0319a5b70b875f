/**
 * Sessions through Bot over the sandbox (MAX Bot API emulator, SQLite file): values survive a
 * restart (new Bot, store and adapter on the same file) and a schema change migrates them; two
 * chats of one user racing on a user session conflict, and the pipeline runs the losing handler
 * again on the fresh value, so no increment is lost.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Bot } from "../../src/bot/bot.js";
import type { Context } from "../../src/bot/context.js";
import { type SessionFlavor, session } from "../../src/bot/session.js";
import { type SessionWorld, startSessionWorld } from "./session-fixtures.js";

let w: SessionWorld;

beforeEach(async () => {
  w = await startSessionWorld();
});

afterEach(async () => {
  await w.close();
});

const last = (texts: string[]) => texts[texts.length - 1];

describe("sessions through Bot", () => {
  interface V1 {
    count: number;
  }
  interface V2 {
    visits: number;
    lastText: string;
  }

  it("survive a restart on the same file, per chat, and migrate when the schema changes", async () => {
    type C1 = Context & SessionFlavor<V1>;
    const v1 = (bot: Bot<C1>) => {
      bot.use(session<V1, C1>({ initial: () => ({ count: 0 }), schema: 1 }));
      bot.command("count", async (ctx) => {
        ctx.session.count++;
        await ctx.reply(`count ${ctx.session.count}`);
      });
    };
    const first = await w.startBot(v1);
    await w.alice.sendMessage(w.group, "/count");
    await w.until(w.group, (t) => last(t) === "count 1");
    await w.bob.sendMessage(w.group, "/count"); // per chat: Bob shares it
    await w.until(w.group, (t) => last(t) === "count 2");
    await w.alice.sendMessage(w.group2, "/count"); // another chat starts over
    await w.until(w.group2, (t) => last(t) === "count 1");
    await first.stop();
    first.store.close();

    const second = await w.startBot(v1);
    await w.alice.sendMessage(w.group, "/count");
    await w.until(w.group, (t) => last(t) === "count 3");
    await second.stop();
    second.store.close();

    // The next release stores another shape: values of schema 1 are migrated once, on load.
    type C2 = Context & SessionFlavor<V2>;
    const migrated: number[] = [];
    await w.startBot((bot: Bot<C2>) => {
      bot.use(
        session<V2, C2>({
          initial: () => ({ visits: 0, lastText: "" }),
          schema: 2,
          migrate: (old, from) => {
            migrated.push(from);
            return { visits: (old as V1).count, lastText: "" };
          },
        }),
      );
      bot.on("message:text", async (ctx) => {
        if (ctx.from?.id === String(w.botUserId)) return;
        const before = ctx.session.lastText;
        ctx.session.visits++;
        ctx.session.lastText = ctx.text;
        await ctx.reply(`visits ${ctx.session.visits}, before: ${before || "-"}`);
      });
    });
    await w.alice.sendMessage(w.group, "hi");
    await w.until(w.group, (t) => last(t) === "visits 4, before: -");
    await w.alice.sendMessage(w.group, "again");
    await w.until(w.group, (t) => last(t) === "visits 5, before: hi");
    expect(migrated).toEqual([1]);
  });

  it("a version conflict (one user's session written from two chats at once) reruns the losing handler: nothing lost", async () => {
    type C = Context & SessionFlavor<V1>;
    let runs = 0;
    let reads = 0;
    let bothRead!: () => void;
    const barrier = new Promise<void>((resolve) => {
      bothRead = resolve;
    });
    await w.startBot((bot: Bot<C>) => {
      bot.use(session<V1, C>({ initial: () => ({ count: 0 }), key: "user" }));
      bot.command("inc", async (ctx) => {
        runs++;
        const seen = ctx.session.count;
        if (++reads === 2) bothRead();
        // Both chats' handlers hold the same version before either commits (bounded wait).
        await Promise.race([barrier, new Promise((resolve) => setTimeout(resolve, 3000))]);
        ctx.session.count = seen + 1;
      });
      bot.command("show", (ctx) => ctx.reply(`count ${ctx.session.count}`));
    });
    await Promise.all([w.alice.sendMessage(w.group, "/inc"), w.alice.sendMessage(w.group2, "/inc")]);
    await w.alice.sendMessage(w.group, "/show");
    await w.until(w.group, (t) => last(t) === "count 2");
    expect(reads).toBeGreaterThanOrEqual(2);
    expect(runs).toBe(3); // two first runs and one rerun after the conflict
  });
});
