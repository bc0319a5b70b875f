import type { FastifyReply, FastifyRequest } from "fastify";
import {
  type ConsoleAccount,
  type ConsoleAttachment,
  type ConsoleChat,
  ConsoleError,
  type ConsoleFile,
  type ConsoleFileContent,
  type ConsoleInboxItem,
  type ConsoleMessage,
  type ConsoleProvider,
  type ConsoleSink,
  type ConsoleTable,
  type FaultAction,
} from "../../core/emulator/console.js";
import { captureHttpTraffic } from "../../core/emulator/http-capture.js";
import type { Database } from "../../core/storage.js";
import { type ContentItem, contentText, hash33, WEBQQ_ENDPOINTS as P } from "../protocol.js";
import { type WebQQAdmin, WebQQAdminError } from "./admin.js";
import { applyWebQQFault, webqqFaultActions } from "./console-faults.js";
import { WebQQInbox } from "./console-inbox.js";
import { parseCookies, parseJson, requestFields, setCookiePairs, WebQQTraffic } from "./console-traffic.js";
import {
  type AccountLite,
  asError,
  type ChatRef,
  fileId,
  type MessageRow,
  pairId,
  parseChatId,
  parseFileId,
  sniffImage,
} from "./console-util.js";

/** What the console says of stored bytes that are no known image (never an image type). */
const NOT_AN_IMAGE = "application/octet-stream";

import { webqqHttpFaults } from "./faults.js";
import type { WebQQEmulator } from "./server.js";
import { type ConsoleQueries, consoleQueries } from "./store/console.js";

const SENDS = new Set<string>([P.sendBuddy.path, P.sendQun.path, P.sendDiscu.path, P.sendSess.path]);

/** psessionid / vfwebqq → QQ, learned from login2 answers, so poll2 records name their account. */
const SESSION_MAP_LIMIT = 10_000;

/**
 * The WebQQ emulator in the console: accounts, friends, groups and discussions from its store
 * (chat ids `u:<qq>:<qq>` for friends, `g:<gid>`, `d:<did>`, read-only `s:<qq>:<qq>` for
 * temporary sessions), history from `webqq_messages`, writing as any account through
 * WebQQAdmin.sendAs, captchas and QR logins in the inbox, every HTTP exchange in the inspector
 * (Fastify hooks on the emulator's app, secrets masked), poll / send faults and kicks.
 */
export class WebQQConsoleProvider implements ConsoleProvider {
  readonly id = "webqq";
  readonly title = "WebQQ";
  private sink: ConsoleSink | undefined;
  private capture = false;
  private readonly sessions = new Map<string, number>();
  /** Live sessions are in memory only: rows from before this process started are not online. */
  private readonly since = Date.now();
  private readonly admin: WebQQAdmin;
  private readonly q: ConsoleQueries;
  private readonly inboxItems: WebQQInbox;
  private readonly traffic = new WebQQTraffic(() => this.sink, this.sessions);

  constructor(
    private readonly webqq: WebQQEmulator,
    db: Database,
    private readonly baseUrl: () => string,
  ) {
    this.admin = webqq.admin;
    this.q = consoleQueries(db);
    this.inboxItems = new WebQQInbox(this.admin, this.q, () => this.sink);
  }

  url(): string {
    return this.baseUrl();
  }

  /** Must run before the WebQQ app listens (Fastify takes hooks only until then). */
  attach(sink: ConsoleSink): void {
    this.sink = sink;
    const app = this.webqq.app;
    // Fail any path, delay, rate limit, drop: the sandbox's shared HTTP fault layer.
    webqqHttpFaults(this.webqq);
    captureHttpTraffic(app, {
      capturing: () => this.capture,
      watch: (req, reply, payload) => this.watch(req, reply, payload),
      recordIn: (req) => this.traffic.recordIn(req),
      record: (req, reply, payload) => this.traffic.recordOut(req, reply, payload),
    });
  }

  setTraffic(on: boolean): void {
    this.capture = on;
  }

  // ── always-on watching of the few requests the console reacts to (cheap path checks) ──

  private watch(req: FastifyRequest, reply: FastifyReply, payload: unknown): void {
    const path = req.url.split("?", 1)[0] ?? "";
    const text = typeof payload === "string" ? payload : undefined;
    if (path === P.captchaImage.path && reply.statusCode === 200) {
      const uin = requestFields(req).uin;
      this.inboxItems.syncCaptchas(uin && /^\d{5,10}$/.test(uin) ? [Number(uin)] : undefined);
    } else if (path === P.qrShow.path) {
      const qrsig = setCookiePairs(reply.getHeader("set-cookie")).qrsig;
      if (qrsig) this.inboxItems.addQr(hash33(qrsig));
    } else if (path === P.qrLogin.path && text?.startsWith("ptuiCB('0'")) {
      const qrsig = parseCookies(req.headers.cookie).qrsig;
      if (qrsig) this.inboxItems.markQrConfirmed(hash33(qrsig));
    } else if (path === P.login2.path && text) {
      const r = (parseJson(text) as { result?: { uin?: unknown; psessionid?: unknown; vfwebqq?: unknown } })
        ?.result;
      if (r && typeof r.uin === "number") {
        if (this.sessions.size >= SESSION_MAP_LIMIT) this.sessions.clear();
        if (typeof r.psessionid === "string") this.sessions.set(r.psessionid, r.uin);
        if (typeof r.vfwebqq === "string") this.sessions.set(r.vfwebqq, r.uin);
      }
      this.sink?.changed({});
    } else if (
      (SENDS.has(path) || path === P.logout.path || path === P.changeStatus.path) &&
      text?.includes('"retcode":0')
    ) {
      this.sink?.changed({});
    }
  }

  // ── inbox ──

  inbox(): ConsoleInboxItem[] {
    return this.inboxItems.items();
  }

  confirm(itemId: string, as: string): void {
    const m = /^qr:(\d+)$/.exec(itemId);
    if (!m) throw new ConsoleError(400, "only QR logins can be confirmed (captchas are read, not confirmed)");
    const token = Number(m[1]);
    try {
      this.admin.confirmQr(this.qqOf(as, "as"), { token });
    } catch (err) {
      if (err instanceof WebQQAdminError && err.status === 404)
        throw new ConsoleError(404, `no pending QR login ${itemId}`);
      asError(err);
    }
    this.inboxItems.markQrConfirmed(token);
  }

  // ── accounts, chats, messages ──

  private qqOf(value: string, what = "account"): number {
    const qq = Number(value);
    if (!/^\d{5,10}$/.test(value) || !Number.isSafeInteger(qq))
      throw new ConsoleError(400, `${what} must be a QQ number`);
    if (!this.q.account.get(qq)) throw new ConsoleError(404, `no WebQQ account ${value}`);
    return qq;
  }

  private nicks(): Map<number, string> {
    return new Map((this.q.accounts.all() as AccountLite[]).map((a) => [a.qq, a.nick]));
  }

  accounts(): ConsoleAccount[] {
    const online = new Set((this.q.online.all(this.since) as { qq: number }[]).map((r) => r.qq));
    return (this.q.accounts.all() as AccountLite[]).map((a) => ({
      id: String(a.qq),
      name: a.nick,
      detail: `QQ ${a.qq}${a.captcha ? " · captcha" : ""}${a.blocked ? " · blocked" : ""}`,
      online: online.has(a.qq),
    }));
  }

  /** Friends (direct), groups and discussions of `as`, or all of them; plus temporary sessions with messages. */
  chats(as?: string): ConsoleChat[] {
    const viewer = as === undefined ? undefined : this.qqOf(as, "as");
    const pairLast = new Map<string, number>();
    const sessPairs: { lo: number; hi: number; last: number }[] = [];
    for (const r of this.q.pairActivity.all() as { kind: string; lo: number; hi: number; last: number }[]) {
      if (r.kind === "sess") sessPairs.push(r);
      else pairLast.set(pairId("u", r.lo, r.hi), r.last);
    }
    const targetLast = new Map(
      (this.q.targetActivity.all() as { kind: string; target: number; last: number }[]).map((r) => [
        `${r.kind === "group" ? "g" : "d"}:${r.target}`,
        r.last,
      ]),
    );
    const out: ConsoleChat[] = [];
    const add = (chat: ConsoleChat, last: number | undefined) =>
      out.push(last === undefined ? chat : { ...chat, lastActivity: last });
    if (viewer !== undefined) {
      for (const f of this.q.friendsOf.all(viewer) as {
        qq: number;
        markname: string | null;
        nick: string;
      }[]) {
        const id = pairId("u", viewer, f.qq);
        add({ id, kind: "direct", title: f.markname || f.nick, members: 2 }, pairLast.get(id));
      }
    } else {
      for (const p of this.q.friendPairs.all() as {
        a: number;
        b: number;
        a_nick: string;
        b_nick: string;
      }[]) {
        const id = pairId("u", p.a, p.b);
        add({ id, kind: "direct", title: `${p.a_nick} ↔ ${p.b_nick}`, members: 2 }, pairLast.get(id));
      }
    }
    const groups = (viewer === undefined ? this.q.groups.all() : this.q.groupsOf.all(viewer)) as {
      gid: number;
      name: string;
      members: number;
    }[];
    for (const g of groups) {
      const id = `g:${g.gid}`;
      add({ id, kind: "group", title: g.name, members: g.members }, targetLast.get(id));
    }
    const discus = (viewer === undefined ? this.q.discus.all() : this.q.discusOf.all(viewer)) as {
      did: number;
      name: string;
      members: number;
    }[];
    for (const d of discus) {
      const id = `d:${d.did}`;
      add({ id, kind: "group", title: `${d.name} (discussion)`, members: d.members }, targetLast.get(id));
    }
    if (sessPairs.length) {
      const nicks = this.nicks();
      for (const s of sessPairs) {
        if (viewer !== undefined && viewer !== s.lo && viewer !== s.hi) continue;
        const others = viewer === undefined ? [s.lo, s.hi] : [viewer === s.lo ? s.hi : s.lo];
        const title = others.map((qq) => nicks.get(qq) ?? String(qq)).join(" ↔ ");
        add(
          { id: pairId("s", s.lo, s.hi), kind: "direct", title: `${title} (temporary)`, members: 2 },
          s.last,
        );
      }
    }
    return out.sort(
      (x, y) => (y.lastActivity ?? 0) - (x.lastActivity ?? 0) || x.title.localeCompare(y.title),
    );
  }

  private chatRef(chatId: string): ChatRef {
    const ref = parseChatId(chatId);
    if (!ref) throw new ConsoleError(404, `no WebQQ chat ${chatId}`);
    if (ref.kind === "group" && !this.q.group.get(ref.gid))
      throw new ConsoleError(404, `no WebQQ group ${ref.gid}`);
    if (ref.kind === "discu" && !this.q.discu.get(ref.did))
      throw new ConsoleError(404, `no WebQQ discussion ${ref.did}`);
    return ref;
  }

  private isMember(ref: ChatRef, qq: number): boolean {
    if (ref.kind === "group") return this.q.groupMember.get(ref.gid, qq) !== undefined;
    if (ref.kind === "discu") return this.q.discuMember.get(ref.did, qq) !== undefined;
    return ref.a === qq || ref.b === qq;
  }

  messages(chatId: string, options: { as?: string; limit: number }): ConsoleMessage[] {
    const ref = this.chatRef(chatId);
    if (options.as !== undefined) {
      const qq = this.qqOf(options.as, "as");
      if (!this.isMember(ref, qq)) throw new ConsoleError(403, `${qq} is not in chat ${chatId}`);
    }
    const rows = (
      ref.kind === "buddy" || ref.kind === "sess"
        ? this.q.pairHistory.all(ref.kind, ref.a, ref.b, ref.b, ref.a, options.limit)
        : this.q.targetHistory.all(ref.kind, ref.kind === "group" ? ref.gid : ref.did, options.limit)
    ) as MessageRow[];
    const nicks = this.nicks();
    return rows.reverse().map((m) => {
      let items: ContentItem[] = [];
      try {
        items = JSON.parse(m.content) as ContentItem[];
      } catch {
        // Stored by the emulator as JSON; an unreadable row shows empty.
      }
      const attachments: ConsoleAttachment[] = items.flatMap((it): ConsoleAttachment[] => {
        if (it.type !== "cface" && it.type !== "offpic") return [];
        const stored = it.type === "cface" ? it.name : it.filePath;
        const id = fileId(it.type, stored);
        const row = id
          ? (this.q.fileHead.get(stored, it.type) as { head: Uint8Array } | undefined)
          : undefined;
        const preview =
          id && row ? { previewUrl: this.previewUrl(id), mime: sniffImage(row.head) ?? NOT_AN_IMAGE } : {};
        return [
          { type: it.type, name: it.type === "cface" ? it.name : (it.name ?? it.filePath), ...preview },
        ];
      });
      return {
        id: String(m.id),
        chatId,
        authorId: String(m.from_qq),
        authorName: nicks.get(m.from_qq) ?? String(m.from_qq),
        time: m.created_at,
        text: contentText(items),
        attachments,
      };
    });
  }

  send(input: { as: string; chatId?: string; to?: string; text: string }): {
    chatId: string;
    messageId: string;
  } {
    const from = this.qqOf(input.as, "as");
    let target: { to: number } | { group: number } | { discu: number };
    let chatId: string;
    if (input.chatId === undefined) {
      const to = this.qqOf(input.to ?? "", "to");
      target = { to };
      chatId = pairId("u", from, to);
    } else {
      const ref = this.chatRef(input.chatId);
      if (ref.kind === "sess")
        throw new ConsoleError(
          400,
          "temporary sessions are read-only in the console (write to a friend, group or discussion)",
        );
      if (!this.isMember(ref, from)) throw new ConsoleError(403, `${from} is not in chat ${input.chatId}`);
      target =
        ref.kind === "buddy"
          ? { to: ref.a === from ? ref.b : ref.a }
          : ref.kind === "group"
            ? { group: ref.gid }
            : { discu: ref.did };
      chatId = input.chatId;
    }
    try {
      this.admin.sendAs({ from, ...target, content: [{ type: "text", text: input.text }] });
    } catch (err) {
      asError(err);
    }
    const row = this.q.lastSandboxMessage.get(from) as { id: number } | undefined;
    this.sink?.changed({ chatId });
    return { chatId, messageId: String(row?.id ?? "") };
  }

  // ── files ──

  private previewUrl(id: string): string {
    return `/_sandbox/console/${this.id}/files/${encodeURIComponent(id)}`;
  }

  /** Pictures uploaded with cface_upload (group/discussion) and upload_offline_pic (friends). */
  files(): ConsoleFile[] {
    return (
      this.q.files.all() as {
        name: string;
        kind: string;
        owner: number;
        size: number;
        created_at: number;
        head: Uint8Array;
      }[]
    ).flatMap((f) => {
      const id = fileId(f.kind, f.name);
      if (!id) return [];
      return [
        {
          id,
          name: f.kind === "offpic" ? f.name.replace(/^\//, "") : f.name,
          mime: sniffImage(f.head) ?? NOT_AN_IMAGE,
          size: f.size,
          ownerId: String(f.owner),
          time: f.created_at,
          previewUrl: this.previewUrl(id),
        },
      ];
    });
  }

  /**
   * The picture's bytes straight from the emulator's table; its type sniffed from them (bytes
   * that are no known image are `application/octet-stream`, whatever their name says).
   */
  file(id: string): ConsoleFileContent | undefined {
    const ref = parseFileId(id);
    if (!ref) return undefined;
    const row = this.q.fileData.get(ref.name, ref.kind) as { data: Uint8Array } | undefined;
    if (!row) return undefined;
    const bytes = row.data;
    return {
      bytes,
      mime: sniffImage(bytes) ?? NOT_AN_IMAGE,
      name: ref.kind === "offpic" ? ref.name.replace(/^\//, "") : ref.name,
    };
  }

  // ── tables, faults ──

  tables(): ConsoleTable[] {
    const iso = (ms: unknown) => (typeof ms === "number" ? new Date(ms).toISOString() : ms);
    const withTime = (rows: Record<string, unknown>[], key = "created_at") =>
      rows.map((r) => ({ ...r, [key]: iso(r[key]) }));
    const stats = this.admin.stats();
    return [
      {
        id: "accounts",
        title: "Accounts",
        columns: [
          "qq",
          "uin",
          "nick",
          "long_nick",
          "friends",
          "groups",
          "discussions",
          "captcha",
          "blocked",
          "created_at",
        ],
        rows: withTime(this.q.accountsTable.all() as Record<string, unknown>[]),
      },
      {
        id: "groups",
        title: "Groups",
        columns: ["gid", "code", "account", "name", "owner", "members", "created_at"],
        rows: withTime(this.q.groups.all() as Record<string, unknown>[]),
      },
      {
        id: "discussions",
        title: "Discussions",
        columns: ["did", "name", "owner", "members", "created_at"],
        rows: withTime(this.q.discus.all() as Record<string, unknown>[]),
      },
      {
        id: "sessions",
        title: "Sessions online",
        columns: ["qq", "nick", "clientid", "status", "created_at"],
        rows: withTime(this.q.sessions.all(this.since) as Record<string, unknown>[]),
      },
      {
        id: "stats",
        title: "Emulator",
        columns: ["sessions", "polling", "accounts", "messages"],
        rows: [{ ...stats }],
      },
    ];
  }

  faultActions(): FaultAction[] {
    return webqqFaultActions();
  }

  applyFault(input: unknown): Record<string, unknown> {
    return applyWebQQFault(
      { webqq: this.webqq, sink: this.sink, qqOf: (v: string, w?: string) => this.qqOf(v, w) },
      input,
    );
  }
}
