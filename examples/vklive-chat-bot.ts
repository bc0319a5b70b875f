/**
 * VK Video Live chat bot: reads a channel's chat as it happens and greets whoever writes
 * "!hello".
 *
 *   npm start
 *   node --import tsx examples/vklive-chat-bot.ts   # then write "!hello" in pixel_streamer's chat
 *
 * Environment (optional): SWITCHBOARD_VKLIVE_URL and SWITCHBOARD_SANDBOX_URL (the sandbox's
 * `vklive` and `console` URLs; `npm start`'s by default), VKLIVE_CHANNEL (default pixel_streamer),
 * VKLIVE_BOT_USER (the sandbox user the bot writes as; default 4, mod_kate of --seed demo),
 * REPLY_LIMIT (stop after that many answers; default: until Ctrl+C).
 */
import { partsText, VkLiveClient } from "switchboard/vklive";

const url = process.env.SWITCHBOARD_VKLIVE_URL ?? "http://127.0.0.1:8704";
const sandbox = process.env.SWITCHBOARD_SANDBOX_URL ?? "http://127.0.0.1:8700";
const channel = process.env.VKLIVE_CHANNEL ?? "pixel_streamer";
const limit = Number(process.env.REPLY_LIMIT ?? Number.POSITIVE_INFINITY);

// The sandbox hands out a user token for the demo app (the real service: the CodeFlow login of
// docs/vklive.md). A fresh token per run, so nothing goes stale.
const issued = await fetch(`${sandbox}/_sandbox/vklive/tokens`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({
    clientId: "demo-app",
    userId: Number(process.env.VKLIVE_BOT_USER ?? 4),
    scopes: ["chat:message:send"],
  }),
});
const token = (await issued.json()) as { access_token: string; refresh_token: string; expires_in: number };

const vk = new VkLiveClient({
  url,
  clientId: "demo-app",
  clientSecret: "demo-app-secret",
  tokens: {
    accessToken: token.access_token,
    refreshToken: token.refresh_token,
    expiresAt: Date.now() + token.expires_in * 1000,
    tokenType: "Bearer",
  },
});
await vk.connect(); // checks the token

let answered = 0;
vk.on("channel_chat_message_send", async ({ event }) => {
  const message = event.data.chat_message;
  if (partsText(message.parts).trim() !== "!hello") return;
  await vk.sendMessage(channel, `hi @${message.author.nick}!`);
  console.log(`greeted ${message.author.nick}`);
  if (++answered >= limit) await vk.close();
});
vk.on("error", (err) => console.error(err.name, err.message));
process.once("SIGINT", () => void vk.close());
await vk.subscribe(channel); // resolves once the chat's realtime channel is subscribed
console.log(`VK Live chat bot: reading ${channel}, waiting for !hello`);
