/**
 * `switchboard webqq login | friends | groups | send | tail`. The session file is a
 * FileCredentialStore (`{version:1, accounts:{default: …}}`, atomic, 0600); `login` remembers
 * the URL and the session file in the profile.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve as resolvePath } from "node:path";
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { FileCredentialStore } from "../core/credentials.js";
import type { Event, Segment } from "../core/model.js";
import { WebQQClient, type WebQQSession } from "../webqq/client/index.js";
import { chatId, parseChatId, toEvent } from "../webqq/convert.js";
import type { ContentItem, PollItem } from "../webqq/protocol.js";
import { cliAction as action, CliError } from "./errors.js";
import { type CommonFlags, type Resolved, resolve, withCommon } from "./options.js";
import { saveProfile } from "./profile.js";

interface WebQQFlags extends CommonFlags {
  session?: string;
}

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Reads one line (the captcha code). */
  ask(question: string): Promise<string>;
}

const defaultIo: CliIo = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  async ask(q) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(q);
    } finally {
      rl.close();
    }
  },
};

const DEFAULT_SESSION = ".switchboard/webqq-session.json";

interface WebQQRun extends Resolved {
  sessionFile: string;
  client: WebQQClient;
}

async function setup(o: WebQQFlags): Promise<WebQQRun> {
  const r = await resolve("webqq", o);
  const sessionFile = resolvePath(r.setting("session", o.session) ?? DEFAULT_SESSION);
  const client = new WebQQClient({
    ...(r.url ? { url: r.url } : {}),
    credentials: new FileCredentialStore<WebQQSession>(sessionFile),
    logger: r.log,
  });
  return { ...r, sessionFile, client };
}

async function resume(o: WebQQFlags): Promise<WebQQRun> {
  const run = await setup(o);
  let s: WebQQSession | undefined;
  try {
    s = await run.client.restore();
  } catch {
    s = undefined;
  }
  if (!s)
    throw new CliError(`no WebQQ session in ${run.sessionFile}: run \`switchboard webqq login\` first`, 2);
  return run;
}

function parseText(text: string): ContentItem[] {
  // `[face:14]` inside the text becomes a face; the rest is plain text.
  const out: ContentItem[] = [];
  let last = 0;
  for (const m of text.matchAll(/\[face:(\d{1,3})\]/g)) {
    if (m.index > last) out.push({ type: "text", text: text.slice(last, m.index) });
    out.push({ type: "face", id: Number(m[1]) });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ type: "text", text: text.slice(last) });
  return out;
}

function segmentsText(content: Segment[]): string {
  return content
    .map((s) =>
      s.type === "text"
        ? s.text
        : s.type === "emoji"
          ? `[face:${s.id}]`
          : s.type === "image"
            ? "[picture]"
            : `[${s.type}]`,
    )
    .join("");
}

/** One readable line per unified event. */
function eventLine(ev: Event): string {
  switch (ev.type) {
    case "message.created":
    case "message.edited":
      return `[${ev.message.chat.id}] ${ev.message.author.id}: ${segmentsText(ev.message.content)}`;
    case "presence":
      return `${ev.user.id} is ${ev.online ? "online" : "offline"}`;
    case "typing":
      return `[${ev.chat.id}] ${ev.user.id} is typing…`;
    case "connection.state":
      return `-- connection ${ev.state}${ev.reason ? ` (${ev.reason})` : ""}`;
    default:
      return `${ev.type} ${JSON.stringify(ev)}`;
  }
}

/** `switchboard webqq login | friends | groups | send | tail` (session file 0600). */
export function registerWebQQCommands(program: Command, io: CliIo = defaultIo): void {
  const webqq = program.command("webqq").description("WebQQ (password / QR login, contacts, messages)");
  const common = (cmd: Command) =>
    withCommon(cmd, "webqq").option(
      "--session <file>",
      `session file, written 0600 (default $SWITCHBOARD_WEBQQ_SESSION, the profile's, else ${DEFAULT_SESSION})`,
    );
  const emit = (r: { json: boolean }, json: unknown, human: string | string[]) => {
    if (r.json) io.out(JSON.stringify(json));
    else for (const l of Array.isArray(human) ? human : [human]) io.out(l);
  };

  common(webqq.command("login").description("log in with a password (or --qr); save the session and the URL"))
    .option("--qq <number>", "QQ number")
    .option("--password <password>", "password (default $SWITCHBOARD_WEBQQ_PASSWORD or $WEBQQ_PASSWORD)")
    .option("--qr", "log in by QR code instead")
    .option("--qr-file <file>", "where the QR / captcha picture is written", ".switchboard/webqq-login.png")
    .option("--status <status>", "online | hidden | away | busy | callme", "online")
    .action(
      action(
        async (
          o: WebQQFlags & { qq?: string; password?: string; qr?: boolean; qrFile: string; status: string },
        ) => {
          if (!["online", "hidden", "away", "busy", "callme"].includes(o.status))
            throw new CliError("--status must be online, hidden, away, busy or callme");
          const r = await setup(o);
          const c = r.client;
          const picture = (png: Uint8Array) => {
            mkdirSync(dirname(resolvePath(o.qrFile)), { recursive: true });
            writeFileSync(o.qrFile, png);
          };
          const status = o.status as "online";
          let s: Awaited<ReturnType<WebQQClient["qrLogin"]>>;
          if (o.qr) {
            s = await c.qrLogin({
              status,
              onQrCode: (png) => {
                picture(png);
                io.err(`QR code written to ${o.qrFile}; scan it with the QQ app`);
              },
            });
          } else {
            const password = r.setting("password", o.password);
            if (!o.qq || !/^\d{5,12}$/.test(o.qq) || !password)
              throw new CliError(
                "--qq <number> and --password (or $SWITCHBOARD_WEBQQ_PASSWORD) are required, or use --qr",
              );
            s = await c.passwordLogin({
              qq: Number(o.qq),
              password,
              status,
              onCaptcha: async (png) => {
                picture(png);
                return io.ask(`captcha written to ${o.qrFile}; type the code: `);
              },
            });
          }
          await c.close();
          await saveProfile(r.profileName, "webqq", {
            ...(r.url ? { url: r.url } : {}),
            session: r.sessionFile,
          });
          emit(
            r,
            {
              qq: s.qq,
              uin: s.uin,
              status: s.status,
              session: r.sessionFile,
              url: r.url ?? null,
              profile: r.profileName,
            },
            `logged in as QQ ${s.qq} (uin ${s.uin}, ${s.status}) at ${r.target.url}; session saved to ${r.sessionFile}, profile "${r.profileName}" remembers it`,
          );
        },
      ),
    );

  common(
    webqq.command("friends").description("friends with their chat id, uin, nick, mark name and category"),
  ).action(
    action(async (o: WebQQFlags) => {
      const r = await resume(o);
      const f = await r.client.friends();
      const marks = new Map(f.marknames.map((m) => [m.uin, m.markname]));
      const cat = new Map(f.friends.map((x) => [x.uin, x.categories]));
      for (const i of f.info) {
        const row = {
          chat: chatId({ kind: "buddy", uin: i.uin }),
          uin: i.uin,
          nick: i.nick,
          markname: marks.get(i.uin) ?? null,
          category: cat.get(i.uin) ?? 0,
        };
        emit(r, row, `${row.chat.padEnd(14)}  ${row.nick}${row.markname ? ` (${row.markname})` : ""}`);
      }
      await r.client.close();
    }),
  );

  common(webqq.command("groups").description("groups and discussions, with their chat ids")).action(
    action(async (o: WebQQFlags) => {
      const r = await resume(o);
      const c = r.client;
      // One shape for both kinds: the ids a kind lacks are null.
      for (const g of (await c.groups()).gnamelist) {
        const row = {
          chat: chatId({ kind: "group", gid: g.gid }),
          kind: "group",
          name: g.name,
          gid: g.gid,
          code: g.code,
          did: null,
        };
        emit(r, row, `${row.chat.padEnd(14)}  group       ${g.name}`);
      }
      for (const d of (await c.discussions()).dnamelist) {
        const row = {
          chat: chatId({ kind: "discu", did: d.did }),
          kind: "discussion",
          name: d.name,
          gid: null,
          code: null,
          did: d.did,
        };
        emit(r, row, `${row.chat.padEnd(14)}  discussion  ${d.name}`);
      }
      await c.close();
    }),
  );

  common(
    webqq
      .command("send <chat> <text>")
      .description("send text ([face:N] for faces) to u:<uin> | g:<gid> | d:<did> | s:<gid>:<uin>"),
  ).action(
    action(async (chat: string, text: string, o: WebQQFlags) => {
      let id: ReturnType<typeof parseChatId>;
      try {
        id = parseChatId(chat);
      } catch {
        throw new CliError(
          `"${chat}" is not a WebQQ chat id: u:<uin>, g:<gid>, d:<did> or s:<gid>:<uin> (see friends / groups)`,
        );
      }
      const r = await resume(o);
      const c = r.client;
      const items = parseText(text);
      const sent =
        id.kind === "buddy"
          ? await c.sendBuddy(id.uin, items)
          : id.kind === "group"
            ? await c.sendGroup(id.gid, items)
            : id.kind === "discu"
              ? await c.sendDiscussion(id.did, items)
              : await c.sendSess(id.gid, id.uin, items);
      await c.close();
      emit(r, { ok: true, msg_id: sent.msgId }, `sent msg_id ${sent.msgId} to ${chat}`);
    }),
  );

  common(webqq.command("tail").description("print incoming events until Ctrl-C (or --count)"))
    .option("--count <n>", "stop after n events")
    .option("--raw", "the raw poll items instead of unified events (with --json)")
    .action(
      action(async (o: WebQQFlags & { count?: string; raw?: boolean }) => {
        if (o.count !== undefined && !/^[1-9]\d*$/.test(o.count))
          throw new CliError("--count must be a positive number");
        const r = await resume(o);
        const c = r.client;
        const account = String(c.session?.qq ?? "");
        const limit = o.count ? Number(o.count) : Number.POSITIVE_INFINITY;
        let seen = 0;
        const print = (item: PollItem) => {
          const ev = toEvent(account, item);
          if (o.raw) emit(r, item, `${item.poll_type} ${JSON.stringify(item.value)}`);
          else if (ev) emit(r, ev, eventLine(ev));
          else return;
          if (++seen >= limit) void c.close();
        };
        for (const t of [
          "message",
          "group_message",
          "discu_message",
          "sess_message",
          "buddies_status_change",
          "input_notify",
        ] as const) {
          c.on(t, (value) => print({ poll_type: t, value } as PollItem));
        }
        c.on("kick_message", (value) => print({ poll_type: "kick_message", value }));
        c.on("error", (e) => io.err(`error: ${e.message}`));
        // The session (a relink, a new ptwebqq) is saved in the session file as it changes.
        const ended = new Promise<void>((done) => {
          c.on("state", ({ state }) => {
            if (state === "closed" || state === "disconnected") done();
          });
        });
        const onSig = () => void c.close();
        process.once("SIGINT", onSig);
        process.once("SIGTERM", onSig);
        try {
          await c.connect();
          await ended;
        } finally {
          await c.close();
          process.off("SIGINT", onSig);
          process.off("SIGTERM", onSig);
        }
      }),
    );
}
