/**
 * MAX echo bot: logs in as a demo user and answers every text message with the same text.
 *
 *   npm start                               # the sandbox with the demo accounts
 *   node --import tsx examples/max-echo.ts  # then write to Борис, e.g. as Анна in the console
 *
 * Environment (all optional): SWITCHBOARD_MAX_URL and SWITCHBOARD_SANDBOX_URL (the `max` and
 * `console` URLs of the sandbox's --json line; `npm start`'s by default), MAX_PHONE (default
 * Борис, +79000000002), ECHO_LIMIT (stop after that many answers; default: until Ctrl+C).
 * The login is kept in .switchboard/max-echo-session.json: the next run logs in by token.
 */
import { MaxClient, maxSessionFile } from "switchboard/max";

const url = process.env.SWITCHBOARD_MAX_URL ?? "ws://127.0.0.1:8701/websocket";
const sandbox = process.env.SWITCHBOARD_SANDBOX_URL ?? "http://127.0.0.1:8700";
const phone = process.env.MAX_PHONE ?? "+79000000002";
const limit = Number(process.env.ECHO_LIMIT ?? Number.POSITIVE_INFINITY);

const client = new MaxClient({
  url,
  credentials: maxSessionFile(".switchboard/max-echo-session.json"),
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

let answered = 0;
client.on("message", async ({ chatId, message, catchUp }) => {
  // Our own messages come back as pushes too; messages missed while offline are not answered.
  if (catchUp || message.sender === client.userId || message.text === "") return;
  await client.sendMessage(chatId, message.text, { replyTo: message.id });
  console.log(`echoed "${message.text}" in chat ${chatId}`);
  if (++answered >= limit) await client.close();
});
client.on("error", (err) => console.error(err.name, err.message));
process.once("SIGINT", () => void client.close());
console.log(`MAX echo bot: logged in as ${client.userId}, waiting for messages`);
