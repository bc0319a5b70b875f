/**
 * `switchboard max login | chats | history | send | tail | logout` — the MAX client from a
 * terminal. Sessions live in `$XDG_CONFIG_HOME/switchboard/max-sessions.json` (or
 * `~/.config/switchboard/…`), mode 0600. `--url` points at a sandbox; the default is production.
 */
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { extname, join } from "node:path";
import { createInterface } from "node:readline";
import { type Command, InvalidArgumentError } from "commander";
import { AuthError, SwitchboardError } from "../core/errors.js";
import { createLogger } from "../core/log.js";
import { MaxClient, type MediaKind } from "../max/client/index.js";
import { maxSessionFile } from "../max/client/session.js";
import { displayName, type MaxChat, type MaxEvent, type MaxMessage } from "../max/client/types.js";
import { DEFAULT_URL } from "../max/protocol.js";
import { cliAction as action } from "./errors.js";

interface Common {
  url: string;
  account: string;
}

/** Where sessions are kept: XDG config folder, else ~/.config. */
export function maxSessionsPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "switchboard", "max-sessions.json");
}

function makeClient(o: Common): MaxClient {
  return new MaxClient({
    url: o.url,
    account: o.account,
    credentials: maxSessionFile(maxSessionsPath()),
    logger: createLogger({ name: "switchboard-max" }),
    // A CLI run should fail fast when the server is unreachable rather than retry forever.
    reconnect: { baseMs: 250, maxMs: 5000, maxAttempts: 5 },
  });
}

/** Connects and requires a stored session (every command but login). */
async function loggedInClient(o: Common): Promise<MaxClient> {
  const client = makeClient(o);
  const { loggedIn } = await client.connect();
  if (!loggedIn) {
    await client.close();
    throw new AuthError(`not logged in as "${o.account}": run \`switchboard max login\` first`, {
      platform: "max",
      code: "not_logged_in",
    });
  }
  return client;
}

/** Reads answers from stdin line by line; works with a terminal and with piped input. */
class Prompter {
  private readonly rl = createInterface({ input: process.stdin, terminal: false });
  private readonly lines = this.rl[Symbol.asyncIterator]();

  async ask(question: string): Promise<string> {
    process.stderr.write(question);
    const next = await this.lines.next();
    if (next.done) throw new SwitchboardError("stdin closed before an answer was given", { platform: "max" });
    return String(next.value).trim();
  }

  /**
   * Asks for a secret. On a terminal nothing is echoed (raw mode, read key by key); piped
   * input is read as an ordinary line. Ends the prompter: a secret is always the last question.
   */
  async askSecret(question: string): Promise<string> {
    const stdin = process.stdin;
    if (!stdin.isTTY) return this.ask(question);
    this.close();
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    try {
      return await new Promise<string>((resolve, reject) => {
        let value = "";
        const onData = (chunk: Buffer) => {
          for (const ch of chunk.toString("utf8")) {
            if (ch === "\r" || ch === "\n") {
              stdin.off("data", onData);
              process.stderr.write("\n");
              return resolve(value);
            }
            if (ch === "\u0003") {
              stdin.off("data", onData);
              return reject(new SwitchboardError("cancelled", { platform: "max" }));
            }
            if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
            else value += ch;
          }
        };
        stdin.on("data", onData);
      });
    } finally {
      stdin.setRawMode(false);
      stdin.pause();
    }
  }

  close(): void {
    this.rl.close();
  }
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

function clock(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

function messageLine(m: MaxMessage): string {
  const attaches = m.attaches.map((a) => `[${a._type.toLowerCase()}]`).join(" ");
  const edited = m.status === "EDITED" ? " (edited)" : "";
  return `${clock(m.time)}  #${m.id}  ${m.sender}: ${[m.text, attaches].filter(Boolean).join(" ")}${edited}`;
}

function chatLine(c: MaxChat): string {
  const title = c.title || (c.type === "DIALOG" ? "(dialog)" : "(untitled)");
  const last = c.lastMessage ? `  — ${c.lastMessage.text.slice(0, 60)}` : "";
  return `${String(c.id).padStart(12)}  ${c.type.padEnd(7)}  ${title}${last}`;
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** A one-line progress bar on stderr (stdout stays clean for scripts). */
function progressBar(label: string): (p: { sent: number; total?: number }) => void {
  let lastDraw = 0;
  return ({ sent, total }) => {
    const now = Date.now();
    if (now - lastDraw < 50 && sent !== total) return;
    lastDraw = now;
    const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
    if (total) {
      const ratio = Math.min(1, sent / total);
      const width = 30;
      const filled = Math.round(ratio * width);
      process.stderr.write(
        `\r${label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${mb(sent)}/${mb(total)}`,
      );
      if (sent >= total) process.stderr.write("\n");
    } else {
      process.stderr.write(`\r${label} ${mb(sent)}`);
    }
  };
}

function printQr(link: string): void {
  // qrcode-terminal ships no types; its one function is typed here.
  const qr = createRequire(import.meta.url)("qrcode-terminal") as {
    generate(text: string, opts: { small: boolean }, cb: (art: string) => void): void;
  };
  qr.generate(link, { small: true }, (art) => process.stderr.write(`${art}\n`));
  process.stderr.write(`Scan with the MAX app (Settings → Devices), or open: ${link}\n`);
}

/** Adds `switchboard max …` to the program. */
export function registerMaxCommands(program: Command): Command {
  const max = program.command("max").description("MAX user API client (userbot): log in, read, send, tail");
  const common = (cmd: Command): Command =>
    cmd
      .option(
        "--url <ws-url>",
        "MAX WebSocket URL (a sandbox's, e.g. ws://127.0.0.1:8701/websocket)",
        process.env.SWITCHBOARD_MAX_URL ?? DEFAULT_URL,
      )
      .option("--account <name>", "name of the stored session to use", "default");

  common(
    max
      .command("login")
      .description("log in by SMS code (prompts on stdin) or QR code, and save the session"),
  )
    .option("--qr", "log in by scanning a QR code with the MAX app")
    .option("--phone <phone>", "phone number, international format (else prompted)")
    .option("--code <code>", "SMS code (else prompted)")
    .option("--password <password>", "2FA password (else prompted when the account has one)")
    .action(
      action(async (o: Common & { qr?: boolean; phone?: string; code?: string; password?: string }) => {
        const client = makeClient(o);
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
            const r = await client.signIn(code);
            if (r.status === "password") {
              const password =
                o.password ?? (await prompt.askSecret(`2FA password${r.hint ? ` (hint: ${r.hint})` : ""}: `));
              name = displayName((await client.checkPassword(password)).contact);
            } else {
              name = displayName(r.profile.contact);
            }
          }
          out(
            `logged in as ${name} (id ${client.userId}); session "${o.account}" saved to ${maxSessionsPath()}`,
          );
        } finally {
          prompt.close();
          await client.close();
        }
      }),
    );

  common(max.command("chats").description("list chats, newest first"))
    .option("--json", "one JSON object per line")
    .option("--limit <n>", "how many", parseCount, 50)
    .action(
      action(async (o: Common & { json?: boolean; limit: number }) => {
        const client = await loggedInClient(o);
        try {
          const { chats } = await client.listChats({ count: Math.min(200, o.limit) });
          for (const c of chats) out(o.json ? JSON.stringify(c) : chatLine(c));
        } finally {
          await client.close();
        }
      }),
    );

  common(max.command("history <chat>").description("print a chat's latest messages, oldest first"))
    .option("--json", "one JSON object per line")
    .option("--limit <n>", "how many", parseCount, 30)
    .action(
      action(async (chat: string, o: Common & { json?: boolean; limit: number }) => {
        const chatId = parseChat(chat);
        const client = await loggedInClient(o);
        try {
          const messages = await client.getHistory(chatId, { backward: Math.min(1000, o.limit) });
          for (const m of messages) out(o.json ? JSON.stringify(m) : messageLine(m));
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
    .option("--json", "print the sent message as JSON")
    .action(
      action(
        async (
          chat: string,
          text: string,
          o: Common & { file?: string; as?: string; split?: boolean; json?: boolean },
        ) => {
          const chatId = parseChat(chat);
          if (o.as && !["photo", "video", "voice", "file"].includes(o.as)) {
            throw new InvalidArgumentError("--as must be photo, video, voice or file");
          }
          const client = await loggedInClient(o);
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
            out(o.json ? JSON.stringify(sent) : `sent #${sent.id} to ${sent.chatId}`);
          } finally {
            await client.close();
          }
        },
      ),
    );

  common(max.command("tail [chat]").description("stream events as they come (all chats, or one)"))
    .option("--json", "one JSON object per line: {type, data}")
    .option("--count <n>", "exit after this many messages", parseCount)
    .action(
      action(async (chat: string | undefined, o: Common & { json?: boolean; count?: number }) => {
        const chatId = chat === undefined ? undefined : parseChat(chat);
        const client = await loggedInClient(o);
        const stop = () => void client.close();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        let messages = 0;
        try {
          if (o.json) out(JSON.stringify({ type: "ready", data: { userId: client.userId } }));
          else process.stderr.write(`tailing ${chatId ?? "all chats"} as ${client.userId}; Ctrl-C to stop\n`);
          for await (const event of client.events()) {
            if (!matchesChat(event, chatId)) continue;
            out(o.json ? JSON.stringify(event) : eventLine(event));
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
    action(async (o: Common) => {
      const client = makeClient(o);
      const { loggedIn } = await client.connect().catch((err: unknown) => {
        if (err instanceof AuthError) return { loggedIn: false };
        throw err;
      });
      await client.logout();
      out(loggedIn ? `logged out of "${o.account}"` : `no live session for "${o.account}"; forgotten`);
    }),
  );

  return max;
}

function matchesChat(event: MaxEvent, chatId: number | undefined): boolean {
  if (chatId === undefined) return true;
  const data = event.data as { chatId?: unknown; chat?: { id?: unknown } };
  if (typeof data.chatId === "number") return data.chatId === chatId;
  if (data.chat && typeof data.chat.id === "number") return data.chat.id === chatId;
  return event.type === "state" || event.type === "error";
}

function eventLine(event: MaxEvent): string {
  switch (event.type) {
    case "message":
      return `[${event.data.chatId}] ${messageLine(event.data.message)}`;
    case "messageEdited":
      return `[${event.data.chatId}] edited ${messageLine(event.data.message)}`;
    case "messageDeleted":
      return `[${event.data.chatId}] deleted ${event.data.messageIds.map((id) => `#${id}`).join(", ")}`;
    case "reaction":
      return `[${event.data.chatId}] reactions on #${event.data.messageId}: ${event.data.counters.map((c) => `${c.reaction}×${c.count}`).join(" ")}`;
    case "typing":
      return `[${event.data.chatId}] ${event.data.userId} is typing…`;
    case "presence":
      return `${event.data.userId} is ${event.data.online ? "online" : "offline"}`;
    case "read":
      return `[${event.data.chatId}] ${event.data.userId} read up to ${clock(event.data.mark)}`;
    case "chatUpdated":
      return `[${event.data.chat.id}] chat updated: ${event.data.chat.title ?? ""}`;
    case "uploadComplete":
      return `upload processed: ${JSON.stringify(event.data)}`;
    case "state":
      return `-- connection ${event.data.state}${event.data.reason ? ` (${event.data.reason})` : ""}`;
    case "error":
      return `-- error: ${event.data.message}`;
    default:
      return JSON.stringify(event);
  }
}
