/**
 * MAX FAQ userbot on switchboard/bot: a MAX user (Дмитрий of the demo seed) who answers questions
 * in his dialogs. `/faq` lists the topics and asks which one; the next message is the answer to
 * that question (a conversation, kept in .switchboard/max-faq.db: it survives a restart, even a
 * kill -9, between the question and the answer). An unknown topic gets the offer of a human.
 *
 *   npm start
 *   node --import tsx examples/max-faq.ts   # then write /faq to Дмитрий, e.g. as Анна in the console
 *
 * Environment (optional): SWITCHBOARD_MAX_URL and SWITCHBOARD_SANDBOX_URL (`npm start`'s by
 * default), MAX_PHONE (default Дмитрий, +79000000004), FAQ_TIMEOUT_S (how long a question waits
 * for its answer; default 300), ANSWER_LIMIT (stop after that many answers; default: until
 * Ctrl+C). The login is kept in .switchboard/max-faq-session.json: the next run logs in by token.
 */
import {
  Bot,
  type Context,
  type Conversation,
  type ConversationFlavor,
  ConversationTimeout,
  conversation,
} from "switchboard/bot";
import { MaxAdapter, MaxClient, maxSessionFile } from "switchboard/max";

const env = process.env;
const sandbox = env.SWITCHBOARD_SANDBOX_URL ?? "http://127.0.0.1:8700";
const phone = env.MAX_PHONE ?? "+79000000004";
const timeoutMs = Number(env.FAQ_TIMEOUT_S ?? 300) * 1000;
const limit = Number(env.ANSWER_LIMIT ?? Number.POSITIVE_INFINITY);

/** Topic → answer. A question matches a topic by its number or a word of its name. */
const FAQ: { topic: string; words: string[]; answer: string }[] = [
  {
    topic: "Delivery",
    words: ["delivery", "доставка"],
    answer: "Delivery takes 2–3 working days in the city, up to a week elsewhere.",
  },
  {
    topic: "Payment",
    words: ["payment", "оплата", "pay"],
    answer: "We take cards, SBP transfers and cash on delivery.",
  },
  {
    topic: "Returns",
    words: ["returns", "return", "возврат"],
    answer: "Returns within 14 days with the receipt; the money is back in 3 days.",
  },
];

function findTopic(text: string): (typeof FAQ)[number] | undefined {
  const t = text.trim().toLowerCase();
  const n = Number(t);
  if (Number.isInteger(n) && n >= 1 && n <= FAQ.length) return FAQ[n - 1];
  return FAQ.find((f) => f.words.some((w) => t.includes(w)));
}

const client = new MaxClient({
  url: env.SWITCHBOARD_MAX_URL ?? "ws://127.0.0.1:8701/websocket",
  credentials: maxSessionFile(".switchboard/max-faq-session.json"),
  account: phone,
});
const { loggedIn } = await client.connect();
if (!loggedIn) {
  await client.requestCode(phone);
  // The sandbox's SMS inbox; against the real service a human types the code.
  const sms = await fetch(`${sandbox}/_sandbox/max/sms?phone=${encodeURIComponent(phone)}`);
  const { code } = (await sms.json()) as { code: string };
  if ((await client.signIn(code)).status === "password") throw new Error(`${phone} has a 2FA password`);
}

type Ctx = Context & ConversationFlavor;
const bot = new Bot<Ctx>({ store: ".switchboard/max-faq.db", accounts: [new MaxAdapter(client)] });

let answered = 0;
/** Logs an answer; at ANSWER_LIMIT the bot stops (after this handler finished). */
function done(what: string): void {
  console.log(what);
  if (++answered >= limit) void bot.stop();
}

// Only dialogs, and never our own messages (a userbot's own sends come back as updates).
bot.use(async (ctx, next) => {
  const self = ctx.adapter.self;
  if (self && ctx.from?.id === self.id) return;
  if (ctx.chat === undefined || (await ctx.getChat()).kind !== "direct") return;
  await next();
});

/** The user's next message; undefined (after a note) when it came later than FAQ_TIMEOUT_S. */
async function nextAnswer(conv: Conversation<Ctx>, asker: Ctx): Promise<Ctx | undefined> {
  try {
    return await conv.wait({ timeoutMs });
  } catch (err) {
    if (!(err instanceof ConversationTimeout)) throw err;
    await asker.reply("That took a while, so I stopped waiting. Write /faq to start again.");
    done("faq timed out");
    return undefined;
  }
}

// The conversation: replayed from its recorded answers on every message, so it is written as
// straight-line code; no clock or random numbers between the waits (see docs/bot.md).
bot.use(
  conversation<Ctx>("faq", async (conv, ctx) => {
    const list = FAQ.map((f, i) => `${i + 1}. ${f.topic}`).join("\n");
    await ctx.reply(`Which topic?\n${list}\nAnswer with a number or a word.`);
    const question = await nextAnswer(conv, ctx);
    if (!question) return;
    const topic = findTopic(question.text ?? "");
    if (topic) {
      await question.reply(topic.answer);
      done(`answered ${topic.topic}`);
      return;
    }
    await question.reply("I don't know that one. Shall I ask a human to write to you? (yes/no)");
    const human = await nextAnswer(conv, question);
    if (!human) return;
    if (/^(yes|да|y)\b/i.test(human.text?.trim() ?? "")) {
      await human.reply("Done: a human will write to you here soon.");
      done(`handed over to a human: ${question.text ?? ""}`);
    } else {
      await human.reply("OK. Write /faq any time.");
      done("declined a human");
    }
  }),
);

bot.command(["faq", "start"], (ctx) => ctx.conversation.enter("faq"));

bot.catch((err) => console.error(`[max-faq] ${err.updateKey}: ${err.message}`));
process.once("SIGINT", () => void bot.stop());
process.once("SIGTERM", () => void bot.stop());
await bot.start();
console.log(`MAX FAQ bot: ${phone} (user ${client.userId}) answers /faq in dialogs`);
