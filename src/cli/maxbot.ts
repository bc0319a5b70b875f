/**
 * `switchboard maxbot create-bot | login | me | send | chats | updates` — the MAX Bot API.
 * Tokens are kept 0600 in `maxbot-tokens.json` (config folder) per server URL + account; the
 * polling marker of `updates` in `maxbot-markers.json`, saved only after the updates it covers
 * were printed, so an interrupted `updates --follow` shows the unfinished ones again.
 */
import { join } from "node:path";
import type { Command } from "commander";
import { credentialKey, FileCredentialStore } from "../core/credentials.js";
import { MAXBOT_DEFAULT_URL, MaxBotClient, type MaxBotCredentials } from "../maxbot/client/index.js";
import { FileMarkerStore, markerKey } from "../maxbot/client/markers.js";
import { updateKey } from "../maxbot/convert.js";
import { UPDATE_TYPES, type Update, type UpdateType } from "../maxbot/protocol.js";
import { cliAction as action, CliError, EXIT } from "./errors.js";
import { type CommonFlags, emit, type Resolved, resolve, withCommon } from "./options.js";
import { type CliPlatform, configDir, saveProfile } from "./profile.js";
import { Prompter } from "./prompt.js";

const P: CliPlatform = "maxbot";

interface MaxBotFlags extends CommonFlags {
  token?: string;
  account?: string;
}

export function maxbotTokensPath(): string {
  return join(configDir(), "maxbot-tokens.json");
}

export function maxbotMarkersPath(): string {
  return join(configDir(), "maxbot-markers.json");
}

function tokenStore() {
  return new FileCredentialStore<MaxBotCredentials>(maxbotTokensPath(), {
    parse: (v) =>
      v !== null && typeof v === "object" && typeof (v as { token?: unknown }).token === "string"
        ? (v as MaxBotCredentials)
        : undefined,
  });
}

function id(text: string, what: string): number {
  const t = text.trim();
  const n = Number(t);
  if (!/^-?\d{1,19}$/.test(t) || !Number.isSafeInteger(n)) throw new CliError(`not a ${what}: "${t}"`);
  return n;
}

interface MaxBotRun extends Resolved {
  client: MaxBotClient;
  account: string;
}

/** A connected client: the token from --token / the environment, else the one kept for this URL + account. */
async function setup(o: MaxBotFlags): Promise<MaxBotRun> {
  const r = await resolve(P, o);
  const token = r.setting("token", o.token);
  const account = r.setting("account", o.account) ?? "default";
  const client = new MaxBotClient({
    ...(r.url ? { url: r.url } : {}),
    account,
    credentials: tokenStore(),
    logger: r.log,
    ...(token ? { token } : {}),
  });
  await client.connect();
  return { ...r, client, account };
}

const common = (cmd: Command) =>
  withCommon(cmd, P)
    .option(
      "--token <token>",
      "bot token (default $SWITCHBOARD_MAXBOT_TOKEN, else the one kept by login/create-bot)",
    )
    .option("--account <name>", "key of the kept token (default the profile's, else default)");

/** The Bot API URL of a sandbox, from its console's list of faces. */
async function sandboxBotUrl(consoleUrl: string): Promise<string> {
  const res = await fetch(new URL("/_sandbox/api", consoleUrl), { headers: { accept: "application/json" } });
  if (!res.ok) throw new CliError(`the sandbox console at ${consoleUrl} answered HTTP ${res.status}`);
  const body = (await res.json()) as { faces?: { id: string; url: string }[] };
  const face = body.faces?.find((f) => f.id === "maxbot");
  if (!face?.url)
    throw new CliError(`the sandbox at ${consoleUrl} runs no MAX Bot API emulator (no "maxbot" face)`);
  return face.url;
}

function describeUpdate(u: Update): string {
  switch (u.update_type) {
    case "message_created":
    case "message_edited": {
      const m = u.message;
      const who = m.sender ? `${m.sender.first_name} (${m.sender.user_id})` : "?";
      return `${u.update_type} chat ${m.recipient.chat_id ?? "?"} ${m.body.mid} from ${who}: ${m.body.text ?? ""}`;
    }
    case "message_callback":
      return `message_callback ${u.callback.callback_id} from ${u.callback.user.user_id}: ${u.callback.payload ?? ""}`;
    case "message_removed":
      return `message_removed chat ${u.chat_id} ${u.message_id}`;
    default: {
      const o = u as { chat_id?: number; user?: { user_id: number } };
      return `${u.update_type} chat ${o.chat_id ?? "?"}${o.user ? ` user ${o.user.user_id}` : ""}`;
    }
  }
}

function parseTypes(list: string | undefined): UpdateType[] | undefined {
  if (!list) return undefined;
  const types = list
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const t of types)
    if (!(UPDATE_TYPES as readonly string[]).includes(t))
      throw new CliError(`unknown update type "${t}"; known: ${UPDATE_TYPES.join(", ")}`);
  return types as UpdateType[];
}

export function registerMaxBotCommands(program: Command): void {
  const maxbot = program.command("maxbot").description("MAX Bot API (bots in MAX)");

  common(
    maxbot
      .command("create-bot <name>")
      .description("create a bot in a sandbox (its admin API), keep its token, print it once"),
  )
    .requiredOption(
      "--sandbox <url>",
      'the sandbox\'s console URL (the "console" value of `switchboard sandbox --json`)',
    )
    .option("--username <name>", "the bot's public username")
    .action(
      action(async (name: string, o: MaxBotFlags & { sandbox: string; username?: string }) => {
        const r = await resolve(P, o);
        const url = r.url ?? (await sandboxBotUrl(o.sandbox));
        const res = await fetch(new URL("/_sandbox/maxbot/bots", o.sandbox), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ name, ...(o.username ? { username: o.username } : {}) }),
        });
        const text = await res.text();
        if (!res.ok) throw new CliError(`the sandbox refused to create the bot: HTTP ${res.status} ${text}`);
        const bot = JSON.parse(text) as { token: string; userId: number };
        const account = r.setting("account", o.account) ?? "default";
        await tokenStore().save(credentialKey(url, account), { token: bot.token, botId: bot.userId });
        await saveProfile(r.profileName, P, { url, account });
        emit(r, { token: bot.token, userId: bot.userId, url, account, profile: r.profileName }, [
          `bot ${name} created: user id ${bot.userId}, Bot API ${url}`,
          `token (shown once; kept in ${maxbotTokensPath()} as account "${account}"): ${bot.token}`,
        ]);
      }),
    );

  common(maxbot.command("login").description("check a bot token (prompted if not given) and keep it")).action(
    action(async (o: MaxBotFlags) => {
      const r = await resolve(P, o);
      let token = r.setting("token", o.token);
      if (!token) {
        const prompt = new Prompter();
        try {
          token = await prompt.askSecret("MAX bot token: ");
        } finally {
          prompt.close();
        }
      }
      const account = r.setting("account", o.account) ?? "default";
      const client = new MaxBotClient({
        ...(r.url ? { url: r.url } : {}),
        token,
        account,
        credentials: tokenStore(),
        logger: r.log,
      });
      const me = await client.connect();
      const url = r.url ?? MAXBOT_DEFAULT_URL;
      await saveProfile(r.profileName, P, { url, account });
      emit(
        r,
        { userId: me.user_id, username: me.username, url, account },
        `token accepted by ${url}: bot ${me.first_name} (${me.user_id}); kept in ${maxbotTokensPath()}`,
      );
    }),
  );

  common(maxbot.command("me").description("the bot's own profile (GET /me)")).action(
    action(async (o: MaxBotFlags) => {
      const r = await setup(o);
      const me = r.client.me ?? (await r.client.getMe());
      emit(r, me, `${me.first_name}${me.username ? ` @${me.username}` : ""} (user id ${me.user_id})`);
    }),
  );

  common(
    maxbot
      .command("send <chatId> [text]")
      .description("send a text message to a chat: send <chatId> <text>, or send --user <userId> <text>"),
  )
    .option("--user <userId>", "send to this user's dialog with the bot (then the only argument is the text)")
    .option("--format <format>", "markdown | html")
    .action(
      action(
        async (
          first: string,
          second: string | undefined,
          o: MaxBotFlags & { user?: string; format?: string },
        ) => {
          if (o.user !== undefined && second !== undefined)
            throw new CliError("with --user give only the text (no chat id)");
          if (o.user === undefined && second === undefined) throw new CliError("give a chat id and the text");
          if (o.format !== undefined && o.format !== "markdown" && o.format !== "html")
            throw new CliError("--format must be markdown or html");
          const to =
            o.user !== undefined ? { userId: id(o.user, "user id") } : { chatId: id(first, "chat id") };
          const text = o.user !== undefined ? first : (second as string);
          const r = await setup(o);
          const format = o.format as "markdown" | "html" | undefined;
          const sent = await r.client.sendMessage(to, { text, ...(format ? { format } : {}) });
          emit(r, sent, `sent ${sent.body.mid} to chat ${sent.recipient.chat_id}`);
        },
      ),
    );

  common(maxbot.command("chats").description("the chats the bot is in")).action(
    action(async (o: MaxBotFlags) => {
      const r = await setup(o);
      const rows = [];
      for await (const c of r.client.chats()) rows.push(c);
      emit(
        r,
        rows,
        rows.length
          ? rows.map(
              (c) =>
                `${String(c.chat_id).padStart(20)}  ${c.type.padEnd(7)}  ${c.title ?? c.dialog_with_user?.first_name ?? ""}`,
            )
          : "no chats",
      );
    }),
  );

  common(
    maxbot
      .command("updates")
      .description("print new updates (one batch, or --follow) and commit them; the marker is kept per bot"),
  )
    .option("--follow", "keep polling until Ctrl+C")
    .option("--types <list>", "comma-separated update types")
    .option("--limit <n>", "updates per batch (1-1000)", "100")
    .option("--timeout <s>", "seconds a poll waits for news (0-90); default 0, or 30 with --follow")
    .action(
      action(
        async (o: MaxBotFlags & { follow?: boolean; types?: string; limit: string; timeout?: string }) => {
          const types = parseTypes(o.types);
          const limit = id(o.limit, "limit");
          const timeout = o.timeout !== undefined ? id(o.timeout, "timeout") : o.follow ? 30 : 0;
          const r = await setup(o);
          const store = new FileMarkerStore(maxbotMarkersPath());
          const key = markerKey(r.client.url, await r.client.botId());
          const print = (u: Update) => {
            if (r.json) process.stdout.write(`${JSON.stringify({ key: updateKey(u), update: u })}\n`);
            else process.stdout.write(`${describeUpdate(u)}\n`);
          };
          if (!o.follow) {
            const marker = await store.load(key);
            const batch = await r.client.getUpdates({
              limit,
              timeout,
              ...(marker !== undefined ? { marker } : {}),
              ...(types ? { types } : {}),
            });
            for (const u of batch.updates) print(u);
            for (const raw of batch.unknown) {
              // A type this version does not know yet: shown as it came, committed like the rest.
              const type = (raw as { update_type?: unknown } | null)?.update_type;
              if (r.json) process.stdout.write(`${JSON.stringify({ key: null, update: raw })}\n`);
              else process.stdout.write(`${String(type ?? "unknown")} (not known to this version)\n`);
            }
            // Saved once printed; the next call sends it, which commits this batch on the server.
            if (batch.marker !== null) await store.save(key, batch.marker);
            if (!r.json && batch.updates.length === 0) process.stderr.write("no new updates\n");
            return;
          }
          const stop = new AbortController();
          const onSignal = () => stop.abort();
          process.once("SIGINT", onSignal);
          process.once("SIGTERM", onSignal);
          try {
            await r.client.poll((u) => print(u), {
              markerStore: store,
              markerKey: key,
              limit,
              timeout,
              signal: stop.signal,
              ...(types ? { types } : {}),
            });
          } finally {
            process.off("SIGINT", onSignal);
            process.off("SIGTERM", onSignal);
            await r.client.close();
          }
          process.exitCode = EXIT.ok;
        },
      ),
    );
}
