/**
 * Echo and commands bot: ONE switchboard/bot Bot with accounts on every platform of the sandbox,
 * one handler set. `/echo <text>`, `/help`, `/whoami`, and `ping` → `pong`.
 *
 *   npm start
 *   node --import tsx examples/bot-echo.ts
 *   # then, in the console: write to Борис (MAX), start Демо-бот and write to it (MAX Bot API),
 *   # write to bob as alice (MaxIM), to 小红 10002 as 小明 (WebQQ), or in pixel_streamer's chat
 *   # (VK Live, where `!echo` works too)
 *
 * Accounts (the demo seed's): MAX user Борис +79000000002 (SMS login, code from the sandbox's
 * inbox), the MAX Bot API bot demo_bot, MaxIM user bob of the app switchboard-demo, WebQQ 10002
 * 小红, VK Live user pixel_streamer on its own channel (a token from the sandbox's admin API).
 *
 * Environment (optional): SWITCHBOARD_SANDBOX_URL, SWITCHBOARD_MAX_URL, SWITCHBOARD_MAXBOT_URL,
 * SWITCHBOARD_MAXIM_URL, SWITCHBOARD_WEBQQ_URL, SWITCHBOARD_VKLIVE_URL (`npm start`'s by default),
 * BOT_PLATFORMS (a subset, e.g. `max,webqq`; default all five: max,maxbot,maxim,webqq,vklive),
 * ECHO_LIMIT (stop after that many answers; default: until Ctrl+C).
 * Durable state (updates, replies, logins) lives in .switchboard/: bot-echo.db and the sessions.
 */
import { FileCredentialStore } from "switchboard";
import { Bot } from "switchboard/bot";
import type { Adapter } from "switchboard/core";
import { MaxAdapter, MaxClient, maxSessionFile } from "switchboard/max";
import { FileMarkerStore, MaxBotAdapter, MaxBotClient } from "switchboard/maxbot";
import { MaxImAdapter, MaxImClient } from "switchboard/maxim";
import { VkLiveAdapter, VkLiveClient } from "switchboard/vklive";
import { WebQQAdapter, WebQQClient, type WebQQSession } from "switchboard/webqq";

const env = process.env;
const sandbox = env.SWITCHBOARD_SANDBOX_URL ?? "http://127.0.0.1:8700";
const limit = Number(env.ECHO_LIMIT ?? Number.POSITIVE_INFINITY);
const ALL = ["max", "maxbot", "maxim", "webqq", "vklive"] as const;
type Platform = (typeof ALL)[number];

const chosen = (env.BOT_PLATFORMS ?? ALL.join(","))
  .split(",")
  .map((p) => p.trim())
  .filter((p) => p !== "");
for (const p of chosen) {
  if (!(ALL as readonly string[]).includes(p)) throw new Error(`BOT_PLATFORMS: unknown platform ${p}`);
}

/** The MAX userbot: Борис, logged in by SMS once, by the stored token after that. */
async function maxAccount(): Promise<Adapter> {
  const phone = "+79000000002";
  const client = new MaxClient({
    url: env.SWITCHBOARD_MAX_URL ?? "ws://127.0.0.1:8701/websocket",
    credentials: maxSessionFile(".switchboard/bot-echo-max-session.json"),
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
  return new MaxAdapter(client);
}

/** The MAX Bot API bot of the demo seed (its token is fixed so that examples can hold it). */
function maxbotAccount(): Adapter {
  const client = new MaxBotClient({
    url: env.SWITCHBOARD_MAXBOT_URL ?? "http://127.0.0.1:8705",
    token: "demo-bot-token-0123456789",
  });
  // The long-poll marker survives restarts, so updates are asked for from where we were.
  return new MaxBotAdapter(client, {
    markerStore: new FileMarkerStore(".switchboard/bot-echo-maxbot-markers.json"),
  });
}

/** MaxIM user bob: the app's back end asks for his user token (a fresh one every run). */
async function maximAccount(): Promise<Adapter> {
  const url = env.SWITCHBOARD_MAXIM_URL ?? "http://127.0.0.1:8702";
  const appId = "switchboard-demo";
  const app = new MaxImClient({ url, appId, adminToken: "demo-admin-token" });
  const { token } = await app.userToken({ name: "bob", password: "bob-pass" });
  await app.close();
  return new MaxImAdapter(new MaxImClient({ url, appId, token, account: "bob" }), { pollIntervalMs: 500 });
}

/** WebQQ 10002 小红: a password login, the session kept and relinked on the next run. */
function webqqAccount(): Adapter {
  const client = new WebQQClient({
    url: env.SWITCHBOARD_WEBQQ_URL ?? "http://127.0.0.1:8703",
    credentials: new FileCredentialStore<WebQQSession>(".switchboard/bot-echo-webqq-session.json"),
    login: { qq: 10002, password: "xiaohong-pw" },
  });
  return new WebQQAdapter(client);
}

/** VK Live pixel_streamer on its channel's chat. The real service: the CodeFlow login of docs/vklive.md. */
async function vkliveAccount(): Promise<Adapter> {
  const issued = await fetch(`${sandbox}/_sandbox/vklive/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ clientId: "demo-app", userId: 1, scopes: ["chat:message:send"] }),
  });
  const token = (await issued.json()) as { access_token: string; refresh_token: string; expires_in: number };
  const client = new VkLiveClient({
    url: env.SWITCHBOARD_VKLIVE_URL ?? "http://127.0.0.1:8704",
    clientId: "demo-app",
    clientSecret: "demo-app-secret",
    account: "pixel_streamer",
    tokens: {
      accessToken: token.access_token,
      refreshToken: token.refresh_token,
      expiresAt: Date.now() + token.expires_in * 1000,
      tokenType: "Bearer",
    },
  });
  return new VkLiveAdapter(client, { channels: ["pixel_streamer"] });
}

const makers: Record<Platform, () => Adapter | Promise<Adapter>> = {
  max: maxAccount,
  maxbot: maxbotAccount,
  maxim: maximAccount,
  webqq: webqqAccount,
  vklive: vkliveAccount,
};

const bot = new Bot({
  store: ".switchboard/bot-echo.db",
  accounts: await Promise.all(chosen.map((p) => makers[p as Platform]())),
  // VK Live chats use "!" for commands; "/" works there too.
  prefixes: { vklive: ["!", "/"] },
});

let answered = 0;
// Messages our own account wrote (by hand, or replies seen again after a restart) are not handled.
bot.use(async (ctx, next) => {
  const self = ctx.adapter.self;
  if (self && ctx.from?.id === self.id) return;
  await next();
});

bot.command("echo", async (ctx) => {
  await ctx.reply(ctx.args === "" ? "usage: /echo <text>" : (ctx.args ?? ""), { replyTo: true });
  said(ctx.platform, "echo");
});
bot.command(["help", "start"], async (ctx) => {
  await ctx.reply("Commands: /echo <text> repeats the text, /whoami says who you are here, ping → pong.");
  said(ctx.platform, "help");
});
bot.command("whoami", async (ctx) => {
  await ctx.reply(`you are ${ctx.from?.id ?? "nobody"} on ${ctx.platform} (this bot is ${ctx.account})`);
  said(ctx.platform, "whoami");
});
bot.hears(/^ping$/i, async (ctx) => {
  await ctx.reply("pong");
  said(ctx.platform, "ping");
});

/** Logs an answer; at ECHO_LIMIT the bot stops (stop() lets this handler finish first). */
function said(platform: string, what: string): void {
  console.log(`answered ${what} on ${platform}`);
  if (++answered >= limit) void bot.stop();
}

bot.catch((err) => console.error(`[bot-echo] ${err.platform} ${err.updateKey}: ${err.message}`));
process.once("SIGINT", () => void bot.stop());
process.once("SIGTERM", () => void bot.stop());
await bot.start();
console.log(`bot-echo: running on ${chosen.join(", ")}; waiting for /echo, /help, /whoami, ping`);
