/**
 * VK Video Live stream-chat moderator on switchboard/bot: removes messages with banned words and
 * warns their author, bans after STRIKES_TO_BAN strikes, and takes `!ban <nick> [minutes]`,
 * `!unban <nick>` and `!slow <seconds>|off` from the channel's owner and moderators only
 * (checked with the DevAPI's chat member info). Strikes and bans live in the bot's session, in
 * .switchboard/vklive-moderator.db: they survive restarts.
 *
 *   npm start
 *   node --import tsx examples/vklive-moderator.ts   # then write in pixel_streamer's chat
 *
 * What the DevAPI can and cannot do (seed 003, docs/vklive.md): slow mode is the chat setting
 * `any_message_timeout` (POST /v1/chat/settings/edit; the platform then refuses fast sends with
 * `send_too_fast`). The DevAPI has NO method to delete a message or to ban a user: on the real
 * service a moderator does that in the web chat. This bot therefore keeps its own ban list and
 * removes a banned user's messages as they arrive; the removal goes through MODERATION_URL
 * (default: the sandbox's admin API, `POST /_sandbox/vklive/messages/delete`, standing in for the
 * moderator's click). Without one (MODERATION_URL=none) it only warns and logs.
 *
 * Environment (optional): SWITCHBOARD_VKLIVE_URL and SWITCHBOARD_SANDBOX_URL (`npm start`'s by
 * default), VKLIVE_CHANNEL (default pixel_streamer), VKLIVE_BOT_USER (the user the bot acts as;
 * default 4, mod_kate, a moderator of pixel_streamer in --seed demo), BANNED_WORDS
 * (comma-separated, default spam,casino,казино), STRIKES_TO_BAN (default 3), STRIKE_BAN_MINUTES
 * (default 10), ACTION_LIMIT (stop after that many moderation actions; default: until Ctrl+C).
 */
import { Bot, type Context, type SessionFlavor, session } from "switchboard/bot";
import { VkLiveAdapter, VkLiveClient } from "switchboard/vklive";

const env = process.env;
const url = env.SWITCHBOARD_VKLIVE_URL ?? "http://127.0.0.1:8704";
const sandbox = env.SWITCHBOARD_SANDBOX_URL ?? "http://127.0.0.1:8700";
const moderationUrl = env.MODERATION_URL ?? sandbox;
const channel = env.VKLIVE_CHANNEL ?? "pixel_streamer";
const bannedWords = (env.BANNED_WORDS ?? "spam,casino,казино")
  .split(",")
  .map((w) => w.trim().toLowerCase())
  .filter((w) => w !== "");
const strikesToBan = Number(env.STRIKES_TO_BAN ?? 3);
const strikeBanMinutes = Number(env.STRIKE_BAN_MINUTES ?? 10);
const limit = Number(env.ACTION_LIMIT ?? Number.POSITIVE_INFINITY);

/** Per chat, per user id: strikes so far, and bans (until when, ms; null = until !unban). */
interface Moderation {
  strikes: Record<string, number>;
  bans: Record<string, number | null>;
}
type Ctx = Context & SessionFlavor<Moderation>;

// A user token for the bot's account, from the sandbox (the real service: the CodeFlow login of
// docs/vklive.md, with these scopes).
const issued = await fetch(`${sandbox}/_sandbox/vklive/tokens`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({
    clientId: "demo-app",
    userId: Number(env.VKLIVE_BOT_USER ?? 4),
    scopes: ["chat:message:send", "chat:settings"],
  }),
});
const token = (await issued.json()) as { access_token: string; refresh_token: string; expires_in: number };
const vk = new VkLiveClient({
  url,
  clientId: "demo-app",
  clientSecret: "demo-app-secret",
  account: "moderator",
  tokens: {
    accessToken: token.access_token,
    refreshToken: token.refresh_token,
    expiresAt: Date.now() + token.expires_in * 1000,
    tokenType: "Bearer",
  },
});

const bot = new Bot<Ctx>({
  store: ".switchboard/vklive-moderator.db",
  accounts: [new VkLiveAdapter(vk, { channels: [channel] })],
  prefixes: ["!"],
});
bot.use(session<Moderation, Ctx>({ initial: () => ({ strikes: {}, bans: {} }) }));

let actions = 0;
/** Logs a moderation action; at ACTION_LIMIT the bot stops (after this handler finished). */
function acted(what: string): void {
  console.log(what);
  if (++actions >= limit) void bot.stop();
}

/** Removes a chat message (see the header: not a DevAPI method). A second removal is harmless. */
async function removeMessage(messageId: string): Promise<boolean> {
  if (moderationUrl === "none") return false;
  const response = await fetch(`${moderationUrl}/_sandbox/vklive/messages/delete`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ channelUrl: channel, messageId: Number(messageId) }),
  });
  if (!response.ok && response.status !== 404)
    throw new Error(`delete ${messageId}: HTTP ${response.status}`);
  return true;
}

/** The user's nick and whether they are the channel's owner or a moderator (DevAPI chat member). */
async function member(userId: string): Promise<{ nick: string; staff: boolean }> {
  const { user } = await vk.chatMember(channel, Number(userId));
  return { nick: user.nick, staff: user.is_owner === true || user.is_moderator === true };
}

/** A nick → user id, from the chat's members and its recent messages. */
async function findUser(nick: string): Promise<string | undefined> {
  const wanted = nick.replace(/^@/, "").toLowerCase();
  const members = await vk.chatMembers(channel, 200);
  const found = members.find((u) => u.nick.toLowerCase() === wanted);
  if (found) return String(found.id);
  const recent = await vk.chatMessages(channel, 200);
  const author = recent.find((m) => m.author.nick.toLowerCase() === wanted)?.author;
  return author ? String(author.id) : undefined;
}

function banned(m: Moderation, userId: string, now: number): boolean {
  if (!(userId in m.bans)) return false;
  const until = m.bans[userId];
  return until === null || until === undefined || until > now;
}

// Our own messages (warnings) are not moderated.
bot.use(async (ctx, next) => {
  const self = ctx.adapter.self;
  if (self && ctx.from?.id === self.id) return;
  await next();
});

// A banned user's messages are removed as they arrive; an expired ban is forgotten.
bot.on("message", async (ctx, next) => {
  const userId = ctx.from?.id;
  if (userId === undefined) return next();
  const m = ctx.session;
  if (!banned(m, userId, Date.now())) {
    if (userId in m.bans) delete m.bans[userId];
    return next();
  }
  if (await removeMessage(ctx.message.ref.id)) acted(`removed a message of banned user ${userId}`);
});

const staffOnly = async (ctx: Ctx, next: () => Promise<void>) => {
  const from = ctx.from;
  if (from && (await member(from.id)).staff) return next();
  await ctx.reply("only the channel's owner and moderators can do that", { replyTo: true });
};

bot.command("ban", staffOnly, async (ctx) => {
  const [nick, minutesText] = (ctx.args ?? "").split(/\s+/);
  const minutes = minutesText === undefined ? undefined : Number(minutesText);
  if (!nick || (minutes !== undefined && !(minutes > 0))) {
    await ctx.reply("usage: !ban <nick> [minutes]");
    return;
  }
  const userId = await findUser(nick);
  if (!userId) {
    await ctx.reply(`no ${nick} in this chat`);
    return;
  }
  ctx.session.bans[userId] = minutes === undefined ? null : Date.now() + minutes * 60_000;
  await ctx.reply(`${nick} is banned${minutes === undefined ? "" : ` for ${minutes} min`}`);
  acted(`banned ${nick}`);
});

bot.command("unban", staffOnly, async (ctx) => {
  const nick = (ctx.args ?? "").split(/\s+/)[0];
  const userId = nick ? await findUser(nick) : undefined;
  if (!nick || !userId) {
    await ctx.reply(nick ? `no ${nick} in this chat` : "usage: !unban <nick>");
    return;
  }
  delete ctx.session.bans[userId];
  delete ctx.session.strikes[userId];
  await ctx.reply(`${nick} is unbanned`);
  acted(`unbanned ${nick}`);
});

bot.command("slow", staffOnly, async (ctx) => {
  const arg = (ctx.args ?? "").trim().toLowerCase();
  const seconds = arg === "off" ? 0 : Number(arg);
  if (arg === "" || !Number.isInteger(seconds) || seconds < 0 || seconds > 86_400) {
    await ctx.reply("usage: !slow <seconds>|off");
    return;
  }
  // The escape hatch to the platform client: chat settings are VK Live's own.
  await ctx.client("vklive").editChatSettings(channel, { any_message_timeout: seconds });
  await ctx.reply(seconds === 0 ? "slow mode is off" : `slow mode: one message per ${seconds} s`);
  acted(`slow mode ${seconds}`);
});

// Banned words: the message goes, its author gets a strike; at STRIKES_TO_BAN, a timed ban.
bot.on("message:text", async (ctx, next) => {
  const text = ctx.text.toLowerCase();
  const word = bannedWords.find((w) => text.includes(w));
  const userId = ctx.from?.id;
  if (!word || userId === undefined) return next();
  const { nick, staff } = await member(userId);
  if (staff) return next();
  await removeMessage(ctx.message.ref.id);
  const strikes = (ctx.session.strikes[userId] ?? 0) + 1;
  if (strikes >= strikesToBan) {
    delete ctx.session.strikes[userId];
    ctx.session.bans[userId] = Date.now() + strikeBanMinutes * 60_000;
    await ctx.reply(`@${nick} is banned for ${strikeBanMinutes} min (${strikes} strikes)`);
    acted(`banned ${nick} after ${strikes} strikes`);
    return;
  }
  ctx.session.strikes[userId] = strikes;
  await ctx.reply(`@${nick}, warning ${strikes}/${strikesToBan}: "${word}" is not welcome here`);
  acted(`removed "${word}" from ${nick}, strike ${strikes}`);
});

bot.catch((err) => console.error(`[vklive-moderator] ${err.updateKey}: ${err.message}`));
process.once("SIGINT", () => void bot.stop());
process.once("SIGTERM", () => void bot.stop());
await bot.start();
console.log(`VK Live moderator: watching ${channel}'s chat`);
