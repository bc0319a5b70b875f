/**
 * Fidelity: the official MAX Bot API SDK (@maxhub/max-bot-api, installed from npm unmodified,
 * pointed at the emulator by its `clientOptions.baseUrl`) runs a bot that answers commands,
 * handles a callback button, answers the callback and edits its message, while a user-API
 * MaxClient in the same dialog (and in a group the bot was added to) sends and receives ordinary
 * MAX messages.
 */
import { Bot, Keyboard } from "@maxhub/max-bot-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MaxMessage } from "../../src/max/client/types.js";
import { type BotWorld, type CreatedBot, type SignedInUser, startBotWorld } from "./harness.js";

let world: BotWorld;
let created: CreatedBot;
let bot: Bot;
let polling: Promise<void>;
let user: SignedInUser;
const pollErrors: unknown[] = [];

/** The next message pushed to the user that matches, as the user's client reads it. */
function nextMessage(
  event: "message" | "messageEdited",
  match: (m: MaxMessage) => boolean,
  timeoutMs = 8000,
): Promise<MaxMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${event} push within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = user.on(event, (e) => {
      if (!match(e.message)) return;
      clearTimeout(timer);
      off();
      resolve(e.message);
    });
  });
}

beforeAll(async () => {
  world = await startBotWorld();
  created = await world.createBot("Official SDK bot", "sdk_echo_bot");
  user = await world.user("Alice");

  bot = new Bot(created.token, { clientOptions: { baseUrl: world.botApi } });
  bot.catch((err) => {
    pollErrors.push(err);
  });
  bot.command("start", (ctx) =>
    ctx.reply("Hello from the SDK", {
      attachments: [Keyboard.inlineKeyboard([[Keyboard.button.callback("Press me", "pressed")]])],
    }),
  );
  // The SDK's string triggers match the whole command line; arguments need a RegExp.
  bot.command(/^echo (.+)$/, (ctx) => ctx.reply(`echo: ${ctx.match?.[1] ?? ""}`));
  bot.hears(/^ping$/i, (ctx) => ctx.reply("pong"));
  bot.action("pressed", async (ctx) => {
    // The SDK answers a callback with a new version of its message (POST /answers {message})…
    await ctx.answerOnCallback({ message: { text: "Answered", attachments: [] } });
    // …and edits a message by its mid (PUT /messages?message_id=).
    await ctx.editMessage({ text: "You pressed the button", attachments: [] });
  });
  polling = bot.start();
  // start() first reads /me; wait until it did, so the bot is polling before users write.
  for (let i = 0; i < 200 && bot.botInfo === undefined; i++) await new Promise((r) => setTimeout(r, 25));
  expect(bot.botInfo?.user_id).toBe(created.userId);
}, 60_000);

afterAll(async () => {
  bot?.stopPolling();
  await polling?.catch(() => undefined);
  await world?.close();
});

describe("the official SDK against the emulator", () => {
  it("reads its own profile from /me", () => {
    expect(bot.botInfo).toMatchObject({ user_id: created.userId, is_bot: true, username: "sdk_echo_bot" });
  });

  it("answers a command in a dialog; the user gets it as an ordinary MAX message", async () => {
    const reply = nextMessage(
      "message",
      (m) => m.sender === created.userId && m.text === "Hello from the SDK",
    );
    const sent = await user.sendToUser(created.userId, "/start");
    const got = await reply;
    expect(got.chatId).toBe(sent.chatId);
    const keyboard = got.attaches.find((a) => a._type === "INLINE_KEYBOARD");
    expect(keyboard).toBeDefined();
    expect(JSON.stringify(keyboard)).toContain("Press me");
  });

  it("handles a callback button: answers it and edits the message", async () => {
    const greeting = nextMessage(
      "message",
      (m) => m.sender === created.userId && m.text === "Hello from the SDK",
    );
    const sent = await user.sendToUser(created.userId, "/start");
    const message = await greeting;
    const answered: string[] = [];
    const offAnswered = user.on("messageEdited", (e) => {
      if (e.message.id === message.id && e.message.text === "Answered") answered.push(e.message.text);
    });
    const edited = nextMessage(
      "messageEdited",
      (m) => m.id === message.id && m.text === "You pressed the button",
    );
    await world.admin("POST", "/_sandbox/max/bots/press", {
      userId: user.userId,
      chatId: sent.chatId,
      messageId: message.id,
      payload: "pressed",
    });
    const after = await edited;
    expect(answered.length).toBeGreaterThan(0);
    expect(after.text).toBe("You pressed the button");
    expect(after.attaches.find((a) => a._type === "INLINE_KEYBOARD")).toBeUndefined();
    offAnswered();
  });

  it("answers a command with arguments and a hears trigger", async () => {
    const echo = nextMessage("message", (m) => m.sender === created.userId && m.text.startsWith("echo:"));
    await user.sendToUser(created.userId, "/echo one two");
    expect((await echo).text).toBe("echo: one two");
    const pong = nextMessage("message", (m) => m.sender === created.userId && m.text === "pong");
    await user.sendToUser(created.userId, "PING");
    await pong;
  });

  it("works in a group the bot was added to as an admin", async () => {
    const bob = await world.user("Bob");
    const group = await user.createGroup("SDK group", [bob.userId]);
    await world.admin("POST", `/_sandbox/maxbot/bots/${created.userId}/chats`, {
      chatId: group.id,
      admin: true,
      byUserId: user.userId,
    });
    const seenByBob = new Promise<MaxMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("Bob saw no echo")), 8000);
      const off = bob.on("message", (e) => {
        if (e.message.sender === created.userId && e.message.text === "echo: hi all") {
          clearTimeout(timer);
          off();
          resolve(e.message);
        }
      });
    });
    await user.sendMessage(group.id, "/echo hi all");
    const got = await seenByBob;
    expect(got.chatId).toBe(group.id);
  });

  it("polled without a single error", () => {
    expect(pollErrors).toEqual([]);
  });
});
