import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { FileCredentialStore } from "../core/credentials.js";
import { WebQQClient, type WebQQSession } from "../webqq/client/index.js";
import { chatId, parseChatId, toEvent } from "../webqq/convert.js";
import type { ContentItem, PollItem } from "../webqq/protocol.js";

interface Common {
  endpoint?: string;
  session: string;
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

/** The session file is a FileCredentialStore (`{version:1, accounts:{default: …}}`, atomic, 0600). */
function newClient(o: Common): WebQQClient {
  const endpoint = o.endpoint ?? process.env.WEBQQ_ENDPOINT;
  return new WebQQClient({
    ...(endpoint ? { url: endpoint } : {}),
    credentials: new FileCredentialStore<WebQQSession>(resolve(o.session)),
  });
}

async function resume(o: Common): Promise<WebQQClient> {
  const c = newClient(o);
  let s: WebQQSession | undefined;
  try {
    s = await c.restore();
  } catch {
    s = undefined;
  }
  if (!s) throw new Error(`no WebQQ session in ${resolve(o.session)}: run \`switchboard webqq login\` first`);
  return c;
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

/** `switchboard webqq login | friends | groups | send | tail` (session file 0600). */
export function registerWebQQCommands(program: Command, io: CliIo = defaultIo): void {
  const webqq = program.command("webqq").description("WebQQ (password / QR login, contacts, messages)");
  const common = (cmd: Command) =>
    cmd
      .option(
        "--endpoint <url>",
        "one origin for every WebQQ host (the sandbox), default $WEBQQ_ENDPOINT or production",
      )
      .option("--session <file>", "session file (written 0600)", DEFAULT_SESSION);
  const json = (v: unknown) => io.out(JSON.stringify(v));

  common(webqq.command("login").description("log in with a password (or --qr) and save the session"))
    .option("--qq <number>", "QQ number")
    .option("--password <password>", "password (default $WEBQQ_PASSWORD)")
    .option("--qr", "log in by QR code instead")
    .option("--qr-file <file>", "where the QR / captcha picture is written", ".switchboard/webqq-login.png")
    .option("--status <status>", "online | hidden | away | busy | callme", "online")
    .action(
      async (
        o: Common & { qq?: string; password?: string; qr?: boolean; qrFile: string; status: string },
      ) => {
        const c = newClient(o);
        const picture = (png: Uint8Array) => {
          mkdirSync(dirname(resolve(o.qrFile)), { recursive: true });
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
          const password = o.password ?? process.env.WEBQQ_PASSWORD;
          if (!o.qq || !password)
            throw new Error("--qq and --password (or $WEBQQ_PASSWORD) are required, or use --qr");
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
        json({ qq: s.qq, uin: s.uin, status: s.status, session: o.session });
      },
    );

  common(webqq.command("friends").description("friends with their uin, nick, mark name and category")).action(
    async (o: Common) => {
      const f = await (await resume(o)).friends();
      const marks = new Map(f.marknames.map((m) => [m.uin, m.markname]));
      const cat = new Map(f.friends.map((x) => [x.uin, x.categories]));
      for (const i of f.info) {
        json({
          chat: chatId({ kind: "buddy", uin: i.uin }),
          uin: i.uin,
          nick: i.nick,
          markname: marks.get(i.uin) ?? null,
          category: cat.get(i.uin) ?? 0,
        });
      }
    },
  );

  common(webqq.command("groups").description("groups and discussions")).action(async (o: Common) => {
    const c = await resume(o);
    for (const g of (await c.groups()).gnamelist)
      json({ chat: chatId({ kind: "group", gid: g.gid }), gid: g.gid, code: g.code, name: g.name });
    for (const d of (await c.discussions()).dnamelist)
      json({ chat: chatId({ kind: "discu", did: d.did }), did: d.did, name: d.name });
  });

  common(
    webqq
      .command("send <chat> <text>")
      .description("send text ([face:N] for faces) to u:<uin> | g:<gid> | d:<did> | s:<gid>:<uin>"),
  ).action(async (chat: string, text: string, o: Common) => {
    const c = await resume(o);
    const id = parseChatId(chat);
    const items = parseText(text);
    const r =
      id.kind === "buddy"
        ? await c.sendBuddy(id.uin, items)
        : id.kind === "group"
          ? await c.sendGroup(id.gid, items)
          : id.kind === "discu"
            ? await c.sendDiscussion(id.did, items)
            : await c.sendSess(id.gid, id.uin, items);
    json({ ok: true, msg_id: r.msgId });
  });

  common(webqq.command("tail").description("print incoming events as JSON lines until Ctrl-C"))
    .option("--count <n>", "stop after n events")
    .option("--raw", "print the raw poll items instead of unified events")
    .action(async (o: Common & { count?: string; raw?: boolean }) => {
      const c = await resume(o);
      const account = String(c.session?.qq ?? "");
      const limit = o.count ? Number(o.count) : Number.POSITIVE_INFINITY;
      let seen = 0;
      const print = (item: PollItem) => {
        const ev = o.raw ? item : toEvent(account, item);
        if (!ev) return;
        json(ev);
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
      await c.connect();
      await ended;
      await c.close();
      process.off("SIGINT", onSig);
    });
}
