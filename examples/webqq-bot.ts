/**
 * WebQQ bot: logs in as a demo account and answers "ping" from a friend with "pong".
 *
 *   npm start
 *   node --import tsx examples/webqq-bot.ts   # then send "ping" to 10001 (e.g. from the console)
 *
 * Environment (optional): SWITCHBOARD_WEBQQ_URL (the sandbox's `webqq` URL; `npm start`'s by
 * default), WEBQQ_QQ and WEBQQ_PASSWORD (default 10001 小明 of --seed demo), REPLY_LIMIT (stop
 * after that many answers; default: until Ctrl+C). The session is kept in
 * .switchboard/webqq-bot-session.json and reused (relinked, or a new login, when it went stale).
 */
import { FileCredentialStore } from "switchboard";
import { WebQQClient, type WebQQSession } from "switchboard/webqq";

const url = process.env.SWITCHBOARD_WEBQQ_URL ?? "http://127.0.0.1:8703";
const limit = Number(process.env.REPLY_LIMIT ?? Number.POSITIVE_INFINITY);

const qq = new WebQQClient({
  url,
  credentials: new FileCredentialStore<WebQQSession>(".switchboard/webqq-bot-session.json"),
  login: { qq: Number(process.env.WEBQQ_QQ ?? 10001), password: process.env.WEBQQ_PASSWORD ?? "xiaoming-pw" },
});

let answered = 0;
qq.on("message", async (m) => {
  // `content` is [font, ...segments]: the text segments are strings.
  const text = m.content
    .filter((part): part is string => typeof part === "string")
    .join("")
    .trim();
  if (text.toLowerCase() !== "ping") return;
  await qq.sendBuddy(m.from_uin, [{ type: "text", text: "pong" }]);
  console.log(`answered ping from uin ${m.from_uin}`);
  if (++answered >= limit) await qq.close();
});
qq.on("kicked", (why) => console.error("logged in elsewhere:", why));
qq.on("error", (err) => console.error(err.name, err.message));
process.once("SIGINT", () => void qq.close());
await qq.connect(); // the stored session, else a password login; then the poll loop
console.log("WebQQ bot: logged in, waiting for ping");
