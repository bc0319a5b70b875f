/**
 * `switchboard max login | chats | history | send | tail | logout` — the MAX client from a
 * terminal. Sessions live in `$XDG_CONFIG_HOME/switchboard/max-sessions.json` (or
 * `~/.config/switchboard/…`), mode 0600; `login` remembers the URL and account in the profile.
 */
import { extname, join } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { AuthError } from "../core/errors.js";
import { MaxClient, type MediaKind } from "../max/client/index.js";
import { maxSessionFile } from "../max/client/session.js";
import { displayName, type MaxMessage } from "../max/client/types.js";
import { cliAction as action, CliError } from "./errors.js";
import {
  chatLine,
  eventJson,
  eventLine,
  matchesChat,
  messageLine,
  printQr,
  progressBar,
} from "./max-format.js";
import { type CommonFlags, emit, PLATFORMS, type Resolved, resolve, withCommon } from "./options.js";
import { configDir, saveProfile } from "./profile.js";
import { Prompter } from "./prompt.js";

interface MaxFlags extends CommonFlags {
  account?: string;
}

/** Where sessions are kept: XDG config folder, else ~/.config. */
export function maxSessionsPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), "max-sessions.json");
}

interface MaxRun extends Resolved {
  account: string;
}

async function setup(o: MaxFlags): Promise<MaxRun> {
  const r = await resolve("max", o);
  return { ...r, account: r.setting("account", o.account) ?? "default" };
}

function makeClient(r: MaxRun): MaxClient {
  return new MaxClient({
    ...(r.url ? { url: r.url } : {}),
    account: r.account,
    credentials: maxSessionFile(maxSessionsPath()),
    logger: r.log,
    // A CLI run should fail fast when the server is unreachable rather than retry forever.
    reconnect: { baseMs: 250, maxMs: 5000, maxAttempts: 5 },
  });
}

/** Connects and requires a stored session (every command but login). */
async function loggedInClient(r: MaxRun): Promise<MaxClient> {
  const client = makeClient(r);
  let loggedIn: boolean;
  try {
    ({ loggedIn } = await client.connect());
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
  if (!loggedIn) {
    await client.close();
    throw new AuthError(
      `not logged in as "${r.account}" at ${r.target.url}: run \`switchboard max login${r.url ? ` --url ${r.url}` : ""}\` first`,
      { platform: "max", code: "not_logged_in" },
    );
  }
  return client;
}

function parseChat(value: string): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError("expected a numeric chat id (see `switchboard max chats`)");
  }
  return n;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError("expected a positive number");
  return n;
}

function kindOf(path: string): MediaKind {
  const ext = extname(path).toLowerCase();
  if ([".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".heic"].includes(ext)) return "photo";
  if ([".mp4", ".mov", ".webm", ".mkv", ".avi"].includes(ext)) return "video";
  if ([".ogg", ".oga", ".opus", ".m4a", ".mp3", ".wav"].includes(ext)) return "voice";
  return "file";
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Adds `switchboard max …` to the program. */
export function registerMaxCommands(program: Command): Command {
  const max = program.command("max").description("MAX user API client (userbot): log in, read, send, tail");
  const common = (cmd: Command): Command =>
    withCommon(cmd, "max").option(
      "--account <name>",
      "stored session to use (default $SWITCHBOARD_MAX_ACCOUNT, the profile's, else default)",
    );

  common(
    max
      .command("login")
      .description("log in by SMS code (prompts on stdin) or QR code; save the session and the URL"),
  )
    .option("--qr", "log in by scanning a QR code with the MAX app")
    .option("--phone <phone>", "phone number, international format (else prompted)")
    .option("--code <code>", "SMS code (else prompted)")
    .option("--password <password>", "2FA password (else prompted when the account has one)")
    .action(
      action(async (o: MaxFlags & { qr?: boolean; phone?: string; code?: string; password?: string }) => {
        const r = await setup(o);
        const client = makeClient(r);
        const prompt = new Prompter();
        try {
          await client.connect();
          let name: string;
          if (o.qr) {
            const profile = await client.loginWithQr((qr) => printQr(qr.qrLink));
            name = displayName(profile.contact);
          } else {
            const phone = o.phone ?? (await prompt.ask("Phone (+79001234567): "));
            await client.requestCode(phone);
            const code = o.code ?? (await prompt.ask("Code from SMS: "));
            const signed = await client.signIn(code);
            if (signed.status === "password") {
              const password =
                o.password ??
                (await prompt.askSecret(`2FA password${signed.hint ? ` (hint: ${signed.hint})` : ""}: `));
              name = displayName((await client.checkPassword(password)).contact);
            } else {
              name = displayName(signed.profile.contact);
            }
          }
          const url = r.url ?? PLATFORMS.max.production;
          await saveProfile(r.profileName, "max", { url, account: r.account });
          emit(
            r,
            { userId: client.userId ?? null, name, account: r.account, url, profile: r.profileName },
            `logged in as ${name} (id ${client.userId}) at ${url}; session "${r.account}" saved to ${maxSessionsPath()}, profile "${r.profileName}" remembers the URL`,
          );
        } finally {
          prompt.close();
          await client.close().catch(() => undefined);
        }
      }),
    );

  common(max.command("chats").description("list chats, newest first"))
    .option("--limit <n>", "how many", parseCount, 50)
    .action(
      action(async (o: MaxFlags & { limit: number }) => {
        const r = await setup(o);
        const client = await loggedInClient(r);
        try {
          const { chats } = await client.listChats({ count: Math.min(200, o.limit) });
          for (const c of chats) out(r.json ? JSON.stringify(c) : chatLine(c));
          if (!r.json && chats.length === 0) process.stderr.write("no chats yet\n");
        } finally {
          await client.close();
        }
      }),
    );

  common(max.command("history <chat>").description("print a chat's latest messages, oldest first"))
    .option("--limit <n>", "how many", parseCount, 30)
    .action(
      action(async (chat: string, o: MaxFlags & { limit: number }) => {
        const chatId = parseChat(chat);
        const r = await setup(o);
        const client = await loggedInClient(r);
        try {
          const messages = await client.getHistory(chatId, { backward: Math.min(1000, o.limit) });
          for (const m of messages) out(r.json ? JSON.stringify(m) : messageLine(m));
        } finally {
          await client.close();
        }
      }),
    );

  common(
    max
      .command("send <chat> <text>")
      .description("send a message (with --file, an upload with a progress bar)"),
  )
    .option("--file <path>", "attach a file: photo, video, voice or file by its extension")
    .option("--as <kind>", "upload kind: photo | video | voice | file")
    .option("--split", "send text over 4000 characters as several messages")
    .action(
      action(
        async (chat: string, text: string, o: MaxFlags & { file?: string; as?: string; split?: boolean }) => {
          const chatId = parseChat(chat);
          if (o.as && !["photo", "video", "voice", "file"].includes(o.as)) {
            throw new CliError("--as must be photo, video, voice or file");
          }
          const r = await setup(o);
          const client = await loggedInClient(r);
          try {
            let sent: MaxMessage;
            if (o.file) {
              const kind = (o.as as MediaKind | undefined) ?? kindOf(o.file);
              sent = await client.sendMedia(chatId, kind, o.file, {
                caption: text,
                onProgress: progressBar(`uploading ${kind}`),
                split: o.split === true,
              });
            } else {
              sent = await client.sendMessage(chatId, text, { split: o.split === true });
            }
            emit(r, sent, `sent #${sent.id} to ${sent.chatId}`);
          } finally {
            await client.close();
          }
        },
      ),
    );

  common(max.command("tail [chat]").description("stream events as they come (all chats, or one)"))
    .option("--count <n>", "exit after this many messages", parseCount)
    .action(
      action(async (chat: string | undefined, o: MaxFlags & { count?: number }) => {
        const chatId = chat === undefined ? undefined : parseChat(chat);
        const r = await setup(o);
        const client = await loggedInClient(r);
        const stop = () => void client.close();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        let messages = 0;
        try {
          if (r.json) out(JSON.stringify({ type: "ready", data: { userId: client.userId } }));
          else process.stderr.write(`tailing ${chatId ?? "all chats"} as ${client.userId}; Ctrl-C to stop\n`);
          for await (const event of client.events()) {
            if (!matchesChat(event, chatId)) continue;
            out(r.json ? JSON.stringify(eventJson(event)) : eventLine(event));
            if (event.type === "error" && event.data instanceof AuthError) process.exitCode = 2;
            if (event.type === "message" && o.count !== undefined && ++messages >= o.count) break;
          }
        } finally {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          await client.close();
        }
      }),
    );

  common(max.command("logout").description("end the session on the server and forget it here")).action(
    action(async (o: MaxFlags) => {
      const r = await setup(o);
      const client = makeClient(r);
      const { loggedIn } = await client.connect().catch(async (err: unknown) => {
        if (err instanceof AuthError) return { loggedIn: false };
        await client.close().catch(() => undefined);
        throw err;
      });
      await client.logout();
      emit(
        r,
        { account: r.account, loggedOut: loggedIn },
        loggedIn ? `logged out of "${r.account}"` : `no live session for "${r.account}"; forgotten`,
      );
    }),
  );

  return max;
}
