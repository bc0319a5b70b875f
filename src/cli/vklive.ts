/**
 * `switchboard vklive login (auth) | channel | chat send | chat tail`. Tokens live in
 * `$XDG_CONFIG_HOME/switchboard/vklive-tokens.json` (or ~/.config/…), mode 0600, refreshed
 * automatically; `login` remembers the URL, client id and secret and redirect URI in the profile.
 */
import { createServer } from "node:http";
import { join } from "node:path";
import type { Command } from "commander";
import { FileCredentialStore } from "../core/credentials.js";
import { VkLiveClient } from "../vklive/client/index.js";
import { OAuthState, parseCodeRedirect, type TokenSet } from "../vklive/client/oauth.js";
import { type ChatMessage, partsText, SCOPES, type Scope } from "../vklive/protocol/index.js";
import { cliAction as action, CliError } from "./errors.js";
import {
  type CommonFlags,
  emit,
  PLATFORMS,
  type Resolved,
  required,
  resolve,
  withCommon,
} from "./options.js";
import { configDir, saveProfile } from "./profile.js";

interface VkFlags extends CommonFlags {
  clientId?: string;
  clientSecret?: string;
  redirectUri?: string;
  tokenFile?: string;
  token?: string;
}

interface VkRun extends Resolved {
  tokenFile: string;
  client: VkLiveClient;
}

async function setup(o: VkFlags, opts: { useToken?: boolean; mode?: "user" | "app" } = {}): Promise<VkRun> {
  const r = await resolve("vklive", o);
  const tokenFile = r.setting("tokenFile", o.tokenFile) ?? join(configDir(), "vklive-tokens.json");
  const token = opts.useToken === false ? undefined : r.setting("token", o.token);
  // One credentials file ({version: 1, accounts: {default: tokens}}), atomic, 0600.
  const credentials = new FileCredentialStore<TokenSet>(tokenFile);
  const client = new VkLiveClient({
    ...(r.url ? { url: r.url } : {}),
    clientId: r.setting("clientId", o.clientId),
    clientSecret: r.setting("clientSecret", o.clientSecret),
    redirectUri: r.setting("redirectUri", o.redirectUri),
    logger: r.log,
    ...(token ? { tokens: { accessToken: token, tokenType: "Bearer" } } : { credentials }),
    ...(opts.mode ? { auth: opts.mode } : {}),
  });
  return { ...r, tokenFile, client };
}

function common(cmd: Command): Command {
  return withCommon(cmd, "vklive")
    .option(
      "--client-id <id>",
      "application client_id (default $SWITCHBOARD_VKLIVE_CLIENT_ID, the profile's)",
    )
    .option(
      "--client-secret <secret>",
      "application secret (default $SWITCHBOARD_VKLIVE_CLIENT_SECRET, the profile's)",
    )
    .option("--token-file <file>", "where user tokens are kept (0600)")
    .option("--token <token>", "use this access token (default $SWITCHBOARD_VKLIVE_TOKEN)");
}

/** Waits for the browser's redirect on a loopback redirect URI and answers it. */
function catchRedirect(redirectUri: string, states: OAuthState): Promise<string> {
  const redirect = new URL(redirectUri);
  return new Promise<string>((resolveCode, reject) => {
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
        else resolveCode(got.code ?? "");
      };
      if (got.error)
        return finish(
          400,
          `Authorization failed: ${got.error}`,
          new CliError(`authorization failed: ${got.error}`),
        );
      if (!states.verify(got.state, "cli"))
        return finish(400, "State mismatch", new CliError("state mismatch in the redirect (possible CSRF)"));
      if (!got.code) return finish(400, "No code", new CliError("no code in the redirect"));
      finish(200, "Authorized: you can close this window.");
    });
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new CliError(
          `cannot listen on the redirect URI ${redirectUri} (${err.code ?? err.message}): is the port free?`,
        ),
      ),
    );
    server.listen(Number(redirect.port || 80), redirect.hostname.replace(/^\[|\]$/g, ""));
  });
}

/** CodeFlow from a terminal: open the printed URL; a loopback redirect_uri is caught here. */
async function login(o: VkFlags & { scopes: string; code?: string }): Promise<void> {
  const r = await setup(o, { useToken: false });
  const redirectUri = required(r, "redirectUri", "--redirect-uri", r.setting("redirectUri", o.redirectUri));
  const clientId = required(r, "clientId", "--client-id", r.setting("clientId", o.clientId));
  const clientSecret = r.setting("clientSecret", o.clientSecret);
  const scopes = o.scopes
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length)
    throw new CliError(`unknown scopes: ${unknown.join(", ")} (known: ${SCOPES.join(", ")})`);
  let redirect: URL;
  try {
    redirect = new URL(redirectUri);
  } catch {
    throw new CliError(
      `invalid --redirect-uri "${redirectUri}": expected a URL like http://127.0.0.1:5173/cb`,
    );
  }
  const c = r.client;
  let code = o.code;
  if (!code) {
    const states = new OAuthState();
    const state = states.create("cli");
    const url = c.authorizeUrl({ scopes: scopes as Scope[], state });
    if (!["127.0.0.1", "localhost", "[::1]"].includes(redirect.hostname)) {
      process.stderr.write(`Open this URL, then run again with --code <code from the redirect>:\n${url}\n`);
      return;
    }
    process.stderr.write(`Open this URL in a browser to authorize:\n${url}\n`);
    code = await catchRedirect(redirectUri, states);
  }
  await c.exchangeCode(code);
  const url = r.url ?? (PLATFORMS.vklive.production as string);
  await saveProfile(r.profileName, "vklive", {
    url,
    clientId,
    clientSecret,
    redirectUri,
    ...(o.tokenFile ? { tokenFile: o.tokenFile } : {}),
  });
  const user = (await c.currentUser()).user;
  await c.close();
  emit(
    r,
    { user, url, tokenFile: r.tokenFile, profile: r.profileName },
    `logged in as ${user.nick} (id ${user.id}) at ${url}; tokens saved to ${r.tokenFile}, profile "${r.profileName}" remembers the URL and app`,
  );
}

export function registerVkLiveCommands(program: Command): void {
  const vk = program.command("vklive").description("VK Video Live DevAPI");

  common(
    vk
      .command("login")
      .alias("auth")
      .description("log in with CodeFlow; keep the tokens (0600) and remember URL and app in the profile"),
  )
    .option("--redirect-uri <uri>", "registered redirect URI (a loopback one is served here)")
    .option("--scopes <list>", "comma-separated scopes", "chat:message:send")
    .option("--code <code>", "finish with a code copied from the redirect")
    .action(action(login));

  common(
    vk.command("channel <channelUrl>").description("channel, owner and stream (GET /v1/channel)"),
  ).action(
    action(async (channelUrl: string, o: VkFlags) => {
      const r = await setup(o);
      try {
        const ch = await r.client.channel(channelUrl);
        const info = ch as unknown as {
          channel: { url: string; status?: string };
          owner?: { nick?: string };
          stream?: { title?: string } | null;
        };
        emit(r, ch, [
          `channel ${info.channel.url}${info.owner?.nick ? ` of ${info.owner.nick}` : ""}${info.channel.status ? ` (${info.channel.status})` : ""}`,
          info.stream?.title ? `stream: ${info.stream.title}` : "no stream",
        ]);
      } finally {
        await r.client.close();
      }
    }),
  );

  const chat = vk.command("chat").description("read and write a channel's chat");
  common(
    chat.command("send <channelUrl> <text>").description("send a message (POST /v1/chat/message/send)"),
  ).action(
    action(async (channelUrl: string, text: string, o: VkFlags) => {
      const r = await setup(o);
      try {
        await r.client.sendMessage(channelUrl, text);
        emit(r, { sent: true, channel: channelUrl, text }, `sent to the chat of ${channelUrl}: ${text}`);
      } finally {
        await r.client.close();
      }
    }),
  );

  common(chat.command("tail <channelUrl>").description("print recent messages, then follow new ones"))
    .option("--limit <n>", "recent messages to print first (0 to 200)", "20")
    .option("--no-follow", "exit after the recent messages")
    .action(
      action(async (channelUrl: string, o: VkFlags & { limit: string; follow: boolean }) => {
        if (!/^\d+$/.test(o.limit) || Number(o.limit) > 200) throw new CliError("--limit must be 0 to 200");
        const r = await setup(o);
        const c = r.client;
        // With --json every line is one event {type, data}: recent messages come first, in the
        // shape the live feed gives a new message.
        const message = (data: { chat_message: ChatMessage }) =>
          `${data.chat_message.author.nick}: ${partsText(data.chat_message.parts)}`;
        try {
          const recent = Number(o.limit) > 0 ? await c.chatMessages(channelUrl, Number(o.limit)) : [];
          for (const m of recent.reverse()) {
            const data = { chat_message: m, channel_url: channelUrl };
            emit(r, { type: "channel_chat_message_send", data }, message(data));
          }
          if (!o.follow) return;
          const ctl = new AbortController();
          const stop = () => ctl.abort();
          process.once("SIGINT", stop);
          process.once("SIGTERM", stop);
          process.stderr.write("following (Ctrl-C to stop)\n");
          try {
            for await (const e of c.chat(channelUrl).events({ signal: ctl.signal })) {
              const ev = e.event;
              emit(r, ev, ev.type === "channel_chat_message_send" ? message(ev.data) : `* ${ev.type}`);
            }
          } finally {
            process.off("SIGINT", stop);
            process.off("SIGTERM", stop);
          }
        } finally {
          await c.close();
        }
      }),
    );
}
