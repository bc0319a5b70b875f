/**
 * `switchboard vklive auth | channel | chat send | chat tail`. Tokens live in
 * `$XDG_CONFIG_HOME/switchboard/vklive-tokens.json` (or ~/.config/…), mode 0600, refreshed
 * automatically. Settings come from flags or VKLIVE_* environment variables.
 */
import { createServer } from "node:http";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { FileCredentialStore } from "../core/credentials.js";
import { VkLiveClient } from "../vklive/client/index.js";
import { OAuthState, parseCodeRedirect, type TokenSet } from "../vklive/client/oauth.js";
import { DEFAULT_API_URL, partsText, SCOPES, type Scope } from "../vklive/protocol/index.js";

interface Common {
  baseUrl?: string;
  clientId?: string;
  clientSecret?: string;
  redirectUri?: string;
  tokenFile?: string;
  token?: string;
  json?: boolean;
}

function tokenFile(o: Common): string {
  if (o.tokenFile) return o.tokenFile;
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "switchboard", "vklive-tokens.json");
}

function client(o: Common, mode?: "user" | "app"): VkLiveClient {
  const token = o.token ?? process.env.VKLIVE_ACCESS_TOKEN;
  // One credentials file ({version: 1, accounts: {default: tokens}}), atomic, 0600.
  const credentials = new FileCredentialStore<TokenSet>(tokenFile(o));
  return new VkLiveClient({
    url: o.baseUrl ?? process.env.VKLIVE_BASE_URL ?? DEFAULT_API_URL,
    clientId: o.clientId ?? process.env.VKLIVE_CLIENT_ID,
    clientSecret: o.clientSecret ?? process.env.VKLIVE_CLIENT_SECRET,
    redirectUri: o.redirectUri ?? process.env.VKLIVE_REDIRECT_URI,
    ...(token ? { tokens: { accessToken: token, tokenType: "Bearer" } } : { credentials }),
    ...(mode ? { auth: mode } : {}),
  });
}

function out(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}

function common(cmd: Command): Command {
  return cmd
    .option("--base-url <url>", "DevAPI base URL (the sandbox: http://127.0.0.1:8704)")
    .option("--client-id <id>", "application client_id (default $VKLIVE_CLIENT_ID)")
    .option("--client-secret <secret>", "application secret (default $VKLIVE_CLIENT_SECRET)")
    .option("--token-file <file>", "where user tokens are kept (0600)")
    .option("--token <token>", "use this access token (default $VKLIVE_ACCESS_TOKEN)");
}

/** CodeFlow from a terminal: open the printed URL; a loopback redirect_uri is caught here. */
async function auth(o: Common & { scopes: string; code?: string; port?: string }): Promise<void> {
  const redirectUri = o.redirectUri ?? process.env.VKLIVE_REDIRECT_URI;
  if (!redirectUri) throw new Error("--redirect-uri (or $VKLIVE_REDIRECT_URI) is required");
  const scopes = o.scopes
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length) throw new Error(`unknown scopes: ${unknown.join(", ")} (known: ${SCOPES.join(", ")})`);
  const c = client({ ...o, redirectUri, token: undefined });
  if (o.code) {
    await c.exchangeCode(o.code);
    process.stderr.write(`tokens saved to ${tokenFile(o)}\n`);
    return;
  }
  const states = new OAuthState();
  const state = states.create("cli");
  const url = c.authorizeUrl({ scopes: scopes as Scope[], state });
  const redirect = new URL(redirectUri);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(redirect.hostname)) {
    process.stderr.write(`Open this URL, then run again with --code <code from the redirect>:\n${url}\n`);
    return;
  }
  process.stderr.write(`Open this URL in a browser to authorize:\n${url}\n`);
  const code = await new Promise<string>((resolve, reject) => {
    const server = createServer((req, res) => {
      const got = parseCodeRedirect(req.url ?? "/");
      if (new URL(req.url ?? "/", redirectUri).pathname !== redirect.pathname) {
        res.writeHead(404).end();
        return;
      }
      const finish = (status: number, text: string, err?: Error) => {
        res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(text);
        server.close();
        server.closeAllConnections();
        if (err) reject(err);
        else resolve(got.code ?? "");
      };
      if (got.error)
        return finish(
          400,
          `Authorization failed: ${got.error}`,
          new Error(`authorization failed: ${got.error}`),
        );
      if (!states.verify(got.state, "cli"))
        return finish(400, "State mismatch", new Error("state mismatch (possible CSRF)"));
      if (!got.code) return finish(400, "No code", new Error("no code in the redirect"));
      finish(200, "Authorized: you can close this window.");
    });
    server.once("error", reject);
    server.listen(Number(redirect.port || 80), redirect.hostname.replace(/^\[|\]$/g, ""));
  });
  await c.exchangeCode(code);
  process.stderr.write(`tokens saved to ${tokenFile(o)}\n`);
  out((await c.currentUser()).user);
}

export function registerVkLiveCommands(program: Command): void {
  const vk = program.command("vklive").description("VK Video Live DevAPI");

  common(vk.command("auth").description("log in with CodeFlow and keep the tokens (0600)"))
    .option("--redirect-uri <uri>", "registered redirect URI (a loopback one is served here)")
    .option("--scopes <list>", "comma-separated scopes", "chat:message:send")
    .option("--code <code>", "finish with a code copied from the redirect")
    .action(auth);

  common(
    vk.command("channel <channelUrl>").description("channel, owner and stream (GET /v1/channel)"),
  ).action(async (channelUrl: string, o: Common) => {
    const c = client(o);
    try {
      out(await c.channel(channelUrl));
    } finally {
      await c.close();
    }
  });

  const chat = vk.command("chat").description("read and write a channel's chat");
  common(
    chat.command("send <channelUrl> <text>").description("send a message (POST /v1/chat/message/send)"),
  ).action(async (channelUrl: string, text: string, o: Common) => {
    const c = client(o);
    try {
      await c.sendMessage(channelUrl, text);
      process.stderr.write("sent\n");
    } finally {
      await c.close();
    }
  });

  common(chat.command("tail <channelUrl>").description("print recent messages, then follow new ones"))
    .option("--limit <n>", "recent messages to print first (≤ 200)", "20")
    .option("--no-follow", "exit after the recent messages")
    .option("--json", "one JSON event per line")
    .action(async (channelUrl: string, o: Common & { limit: string; follow: boolean }) => {
      const c = client(o);
      const line = (nick: string, text: string) => process.stdout.write(`${nick}: ${text}\n`);
      const recent = await c.chatMessages(channelUrl, Number(o.limit));
      for (const m of recent.reverse()) {
        if (o.json) process.stdout.write(`${JSON.stringify(m)}\n`);
        else line(m.author.nick, partsText(m.parts));
      }
      if (!o.follow) return;
      const ctl = new AbortController();
      const stop = () => ctl.abort();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      process.stderr.write("following (Ctrl-C to stop)\n");
      try {
        for await (const e of c.chat(channelUrl).events({ signal: ctl.signal })) {
          if (o.json) process.stdout.write(`${JSON.stringify(e.event)}\n`);
          else if (e.event.type === "channel_chat_message_send") {
            line(e.event.data.chat_message.author.nick, partsText(e.event.data.chat_message.parts));
          } else process.stdout.write(`* ${e.event.type}\n`);
        }
      } finally {
        await c.close();
      }
    });
}
