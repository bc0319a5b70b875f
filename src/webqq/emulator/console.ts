import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
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
  formFields,
  parseOr400,
} from "../../core/emulator/console.js";
import { BODY_PREVIEW, captureHttpTraffic } from "../../core/emulator/http-capture.js";
import { applyConsoleHttpFault, consoleHttpFaultActions } from "../../core/emulator/http-faults.js";
import { isSecretKey, REDACTED, redactUrl } from "../../core/redact.js";
import type { Database } from "../../core/storage.js";
import { type ContentItem, contentText, hash33, Retcode } from "../protocol.js";
import { type WebQQAdmin, WebQQAdminError } from "./admin.js";
import { webqqHttpFaults } from "./faults.js";
import type { WebQQEmulator } from "./server.js";

/**
 * Console ids of stored pictures: `cface-<MD5.ext>` and `offpic-<n-md5>` (the offline path
 * `/n-md5` without its slash), so they fit in one URL segment.
 */
function fileId(kind: string, name: string): string | undefined {
  if (kind === "cface" && /^[A-Za-z0-9._-]{1,120}$/.test(name)) return `cface-${name}`;
  if (kind === "offpic" && /^\/[A-Za-z0-9._-]{1,120}$/.test(name)) return `offpic-${name.slice(1)}`;
  return undefined;
}

function parseFileId(id: string): { kind: "cface" | "offpic"; name: string } | undefined {
  const m = /^(cface|offpic)-([A-Za-z0-9._-]{1,120})$/.exec(id);
  if (!m) return undefined;
  const kind = m[1] as "cface" | "offpic";
  return { kind, name: kind === "offpic" ? `/${m[2]}` : (m[2] as string) };
}

const IMAGE_TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  bmp: "image/bmp",
  webp: "image/webp",
};

/** The type a picture's name says (cface names keep the upload's extension); offline paths have none. */
function mimeOf(name: string): string {
  const ext = /\.([A-Za-z0-9]{1,5})$/.exec(name)?.[1]?.toLowerCase();
  return (ext && IMAGE_TYPES[ext]) || "application/octet-stream";
}

/** The image type of the bytes' magic number, when it is one of the common picture formats. */
function sniffImage(b: Uint8Array): string | undefined {
  const at = (i: number, ...bytes: number[]) => bytes.every((x, j) => b[i + j] === x);
  if (at(0, 0x89, 0x50, 0x4e, 0x47)) return "image/png";
  if (at(0, 0xff, 0xd8, 0xff)) return "image/jpeg";
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return "image/gif";
  if (at(0, 0x42, 0x4d)) return "image/bmp";
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return "image/webp";
  return undefined;
}

/** Inbox entries kept per kind (oldest dropped first). */
const INBOX_LIMIT = 200;
/** A captcha check lives 5 minutes in the emulator (login.ts). */
const CAPTCHA_TTL_MS = 5 * 60_000;
/** psessionid / vfwebqq → QQ, learned from login2 answers, so poll2 records name their account. */
const SESSION_MAP_LIMIT = 10_000;

/**
 * WebQQ keys whose values are secrets but that `redact` doesn't know by name: `p` (the login
 * password hash; the new ptwebqq of a 116), the friend-list `hash`, login tickets and picture keys.
 */
const WEBQQ_SECRET_KEYS = new Set(["p", "hash", "ptsig", "skey", "p_skey", "qrsig", "sig", "key", "ptcz"]);
/** Cookies that only carry the QQ number (`o0123…`): shown as they are, every other value is masked. */
const PLAIN_COOKIES = new Set(["uin", "p_uin", "pt2gguin", "confirmuin"]);

const isSecret = (key: string) => isSecretKey(key) || WEBQQ_SECRET_KEYS.has(key.toLowerCase());
/** `redact`'s keys always; the short WebQQ names only for strings (poll2's `"key": 0` is no secret). */
const isSecretValue = (key: string, v: unknown) =>
  v !== undefined && v !== null && v !== "" && (isSecretKey(key) || (typeof v === "string" && isSecret(key)));

/** Deep copy with WebQQ secrets masked (the keys of `redact` plus WEBQQ_SECRET_KEYS). */
function mask(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => mask(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretValue(k, v) ? REDACTED : mask(v, depth + 1);
  }
  return out;
}

/** The query string of a URL with every secret-looking parameter masked (psessionid, vfwebqq, p …). */
function maskUrl(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return url;
  const parts = url
    .slice(q + 1)
    .split("&")
    .map((part) => {
      const eq = part.indexOf("=");
      if (eq < 0) return part;
      let key = part.slice(0, eq);
      try {
        key = decodeURIComponent(key);
      } catch {
        // Shown as sent.
      }
      return isSecret(key) ? `${part.slice(0, eq)}=${REDACTED}` : part;
    });
  return redactUrl(`${url.slice(0, q)}?${parts.join("&")}`);
}

/** Secrets inside text answers (the check_sig URL of `ptuiCB`, the verify code of `ptui_checkVC`). */
function maskText(text: string): string {
  return redactUrl(
    text
      .replace(/^(ptui_checkVC\('[01]',)'[^']*'/, `$1'${REDACTED}'`)
      .replace(
        /([?&](?:psessionid|vfwebqq|ptwebqq|ptsig|p|verifycode|skey|qrsig|ptqrtoken)=)[^&#\s'"]*/gi,
        `$1${REDACTED}`,
      ),
  );
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    if (k && !(k in out)) out[k] = part.slice(i + 1).trim();
  }
  return out;
}

function maskCookies(cookies: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(cookies).map(([k, v]) => [k, PLAIN_COOKIES.has(k) || v === "" ? v : REDACTED]),
  );
}

/** `name=value` of each Set-Cookie header (attributes dropped). */
function setCookiePairs(header: unknown): Record<string, string> {
  const list = Array.isArray(header) ? header.map(String) : header ? [String(header)] : [];
  const out: Record<string, string> = {};
  for (const line of list) {
    const first = line.split(";")[0] ?? "";
    const i = first.indexOf("=");
    if (i > 0) out[first.slice(0, i).trim()] = first.slice(i + 1).trim();
  }
  return out;
}

/** Query and urlencoded form, as the emulator reads them (form wins). */
function requestFields(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const src of [req.query, req.body]) {
    if (!src || typeof src !== "object" || Buffer.isBuffer(src)) continue;
    for (const [k, v] of Object.entries(src as Record<string, unknown>)) {
      const s = Array.isArray(v) ? v[0] : v;
      if (typeof s === "string") out[k] = s;
    }
  }
  return out;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const qqOfCookie = (v: string | undefined) => {
  const m = v ? /^o0*(\d{5,10})$/.exec(v) : null;
  return m ? m[1] : undefined;
};

const Qq = z
  .union([z.string().regex(/^\d{5,10}$/, "must be a QQ number"), z.number().int()])
  .transform(Number);
const Times = z.coerce.number().int().min(1).max(1_000_000).default(1);

const FaultBody = z.discriminatedUnion("action", [
  z.object({
    action: z.literal("failPolls"),
    retcode: z.coerce.number().int().min(1).max(0x7fffffff),
    times: Times,
    account: Qq.optional(),
  }),
  z.object({
    action: z.literal("failSends"),
    times: Times,
    delivered: z
      .union([z.boolean(), z.enum(["yes", "no"])])
      .transform((v) => v === true || v === "yes")
      .default(false),
    account: Qq.optional(),
  }),
  z.object({ action: z.literal("kick"), account: Qq }),
  z.object({ action: z.literal("clear") }),
]);

/** Retcodes offered in the "fail polls" form (any integer is accepted). */
const POLL_RETCODES = [
  Retcode.LOST,
  Retcode.BAD_COOKIE,
  Retcode.NEW_PTWEBQQ,
  Retcode.RELINK,
  Retcode.KICKED,
  Retcode.WRONG_CLIENT,
  Retcode.EXPIRED,
  Retcode.BAD_ID,
  Retcode.BAD_REQUEST,
].map(String);

interface AccountLite {
  qq: number;
  uin: number;
  nick: string;
  captcha: number;
  blocked: number;
}

interface MessageRow {
  id: number;
  kind: string;
  from_qq: number;
  target: number;
  content: string;
  created_at: number;
}

type ChatRef =
  | { kind: "buddy"; a: number; b: number }
  | { kind: "sess"; a: number; b: number }
  | { kind: "group"; gid: number }
  | { kind: "discu"; did: number };

function parseChatId(id: string): ChatRef | undefined {
  let m = /^([us]):(\d{5,10}):(\d{5,10})$/.exec(id);
  if (m) {
    const a = Number(m[2]);
    const b = Number(m[3]);
    const pair = { a: Math.min(a, b), b: Math.max(a, b) };
    return m[1] === "u" ? { kind: "buddy", ...pair } : { kind: "sess", ...pair };
  }
  m = /^([gd]):(\d{1,10})$/.exec(id);
  if (!m) return undefined;
  return m[1] === "g" ? { kind: "group", gid: Number(m[2]) } : { kind: "discu", did: Number(m[2]) };
}

const pairId = (prefix: "u" | "s", a: number, b: number) => `${prefix}:${Math.min(a, b)}:${Math.max(a, b)}`;

function asError(err: unknown): never {
  if (err instanceof WebQQAdminError) throw new ConsoleError(err.status, err.message);
  throw err;
}

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
  private readonly captchas: ConsoleInboxItem[] = [];
  private readonly qrs: ConsoleInboxItem[] = [];
  private readonly qrConfirmed = new Set<number>();
  /** Live sessions are in memory only: rows from before this process started are not online. */
  private readonly since = Date.now();
  private readonly admin: WebQQAdmin;
  private readonly q;

  constructor(
    private readonly webqq: WebQQEmulator,
    db: Database,
    private readonly baseUrl: () => string,
  ) {
    this.admin = webqq.admin;
    this.q = {
      account: db.prepare("SELECT qq, uin, nick, captcha, blocked FROM webqq_accounts WHERE qq = ?"),
      accounts: db.prepare(
        "SELECT qq, uin, nick, captcha, blocked FROM webqq_accounts ORDER BY qq LIMIT 1000",
      ),
      captchaAccounts: db.prepare("SELECT qq FROM webqq_accounts WHERE captcha = 1 LIMIT 1000"),
      accountsTable: db.prepare(
        `SELECT a.qq, a.uin, a.nick, a.long_nick, a.captcha, a.blocked, a.created_at,
           (SELECT COUNT(*) FROM webqq_friends f WHERE f.qq = a.qq) AS friends,
           (SELECT COUNT(*) FROM webqq_group_members m WHERE m.qq = a.qq) AS groups,
           (SELECT COUNT(*) FROM webqq_discu_members d WHERE d.qq = a.qq) AS discussions
         FROM webqq_accounts a ORDER BY a.qq LIMIT 1000`,
      ),
      online: db.prepare(
        "SELECT DISTINCT qq FROM webqq_sessions WHERE state = 'active' AND created_at >= ? LIMIT 10000",
      ),
      sessions: db.prepare(
        `SELECT s.qq, a.nick, s.clientid, s.status, s.created_at FROM webqq_sessions s
         LEFT JOIN webqq_accounts a ON a.qq = s.qq
         WHERE s.state = 'active' AND s.created_at >= ? ORDER BY s.created_at DESC LIMIT 1000`,
      ),
      friendsOf: db.prepare(
        `SELECT f.friend AS qq, f.markname, a.nick FROM webqq_friends f
         JOIN webqq_accounts a ON a.qq = f.friend WHERE f.qq = ? ORDER BY f.friend LIMIT 2000`,
      ),
      friendPairs: db.prepare(
        `SELECT f.qq AS a, f.friend AS b, x.nick AS a_nick, y.nick AS b_nick FROM webqq_friends f
         JOIN webqq_accounts x ON x.qq = f.qq JOIN webqq_accounts y ON y.qq = f.friend
         WHERE f.qq < f.friend ORDER BY f.qq, f.friend LIMIT 2000`,
      ),
      groups: db.prepare(
        `SELECT g.gid, g.code, g.account, g.name, g.owner, g.created_at,
           (SELECT COUNT(*) FROM webqq_group_members m WHERE m.gid = g.gid) AS members
         FROM webqq_groups g ORDER BY g.created_at, g.gid LIMIT 1000`,
      ),
      groupsOf: db.prepare(
        `SELECT g.gid, g.name, (SELECT COUNT(*) FROM webqq_group_members c WHERE c.gid = g.gid) AS members
         FROM webqq_groups g JOIN webqq_group_members m ON m.gid = g.gid WHERE m.qq = ?
         ORDER BY g.gid LIMIT 1000`,
      ),
      group: db.prepare("SELECT gid FROM webqq_groups WHERE gid = ?"),
      groupMember: db.prepare("SELECT 1 FROM webqq_group_members WHERE gid = ? AND qq = ?"),
      discus: db.prepare(
        `SELECT d.did, d.name, d.owner, d.created_at,
           (SELECT COUNT(*) FROM webqq_discu_members m WHERE m.did = d.did) AS members
         FROM webqq_discus d ORDER BY d.created_at, d.did LIMIT 1000`,
      ),
      discusOf: db.prepare(
        `SELECT d.did, d.name, (SELECT COUNT(*) FROM webqq_discu_members c WHERE c.did = d.did) AS members
         FROM webqq_discus d JOIN webqq_discu_members m ON m.did = d.did WHERE m.qq = ?
         ORDER BY d.did LIMIT 1000`,
      ),
      discu: db.prepare("SELECT did FROM webqq_discus WHERE did = ?"),
      discuMember: db.prepare("SELECT 1 FROM webqq_discu_members WHERE did = ? AND qq = ?"),
      pairActivity: db.prepare(
        `SELECT kind, MIN(from_qq, target) AS lo, MAX(from_qq, target) AS hi, MAX(created_at) AS last
         FROM webqq_messages WHERE kind IN ('buddy', 'sess') GROUP BY kind, lo, hi`,
      ),
      targetActivity: db.prepare(
        `SELECT kind, target, MAX(created_at) AS last FROM webqq_messages
         WHERE kind IN ('group', 'discu') GROUP BY kind, target`,
      ),
      pairHistory: db.prepare(
        `SELECT id, kind, from_qq, target, content, created_at FROM webqq_messages
         WHERE kind = ? AND ((from_qq = ? AND target = ?) OR (from_qq = ? AND target = ?))
         ORDER BY id DESC LIMIT ?`,
      ),
      targetHistory: db.prepare(
        `SELECT id, kind, from_qq, target, content, created_at FROM webqq_messages
         WHERE kind = ? AND target = ? ORDER BY id DESC LIMIT ?`,
      ),
      files: db.prepare(
        `SELECT name, kind, owner, size, created_at, substr(data, 1, 12) AS head
         FROM webqq_files ORDER BY created_at DESC, name LIMIT 1000`,
      ),
      fileHead: db.prepare("SELECT substr(data, 1, 12) AS head FROM webqq_files WHERE name = ? AND kind = ?"),
      fileData: db.prepare("SELECT data FROM webqq_files WHERE name = ? AND kind = ?"),
      lastSandboxMessage: db.prepare(
        "SELECT id FROM webqq_messages WHERE from_qq = ? AND clientid = 'sandbox' ORDER BY id DESC LIMIT 1",
      ),
    };
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
      recordIn: (req) => this.recordIn(req),
      record: (req, reply, payload) => this.recordOut(req, reply, payload),
    });
  }

  setTraffic(on: boolean): void {
    this.capture = on;
  }

  // ── always-on watching of the few requests the console reacts to (cheap path checks) ──

  private watch(req: FastifyRequest, reply: FastifyReply, payload: unknown): void {
    const path = req.url.split("?", 1)[0] ?? "";
    const text = typeof payload === "string" ? payload : undefined;
    if (path === "/getimage" && reply.statusCode === 200) {
      const uin = requestFields(req).uin;
      this.syncCaptchas(uin && /^\d{5,10}$/.test(uin) ? [Number(uin)] : undefined);
    } else if (path === "/ptqrshow") {
      const qrsig = setCookiePairs(reply.getHeader("set-cookie")).qrsig;
      if (qrsig) this.addQr(hash33(qrsig));
    } else if (path === "/ptqrlogin" && text?.startsWith("ptuiCB('0'")) {
      const qrsig = parseCookies(req.headers.cookie).qrsig;
      if (qrsig) this.markQrConfirmed(hash33(qrsig));
    } else if (path === "/channel/login2" && text) {
      const r = (parseJson(text) as { result?: { uin?: unknown; psessionid?: unknown; vfwebqq?: unknown } })
        ?.result;
      if (r && typeof r.uin === "number") {
        if (this.sessions.size >= SESSION_MAP_LIMIT) this.sessions.clear();
        if (typeof r.psessionid === "string") this.sessions.set(r.psessionid, r.uin);
        if (typeof r.vfwebqq === "string") this.sessions.set(r.vfwebqq, r.uin);
      }
      this.sink?.changed({});
    } else if (
      (path.startsWith("/channel/send_") ||
        path === "/channel/logout2" ||
        path === "/channel/change_status2") &&
      text?.includes('"retcode":0')
    ) {
      this.sink?.changed({});
    }
  }

  // ── traffic ──

  /** The account a request belongs to: QQ cookies, `u`/`uin` fields, or a known psessionid/vfwebqq. */
  private accountOf(req: FastifyRequest, fields: Record<string, string>): string | undefined {
    const c = parseCookies(req.headers.cookie);
    const fromCookie = qqOfCookie(c.p_uin) ?? qqOfCookie(c.uin) ?? qqOfCookie(c.pt2gguin);
    if (fromCookie) return fromCookie;
    const r = fields.r ? (parseJson(fields.r) as Record<string, unknown> | undefined) : undefined;
    for (const v of [fields.psessionid, fields.vfwebqq, r?.psessionid, r?.vfwebqq]) {
      const qq = typeof v === "string" ? this.sessions.get(v) : undefined;
      if (qq !== undefined) return String(qq);
    }
    for (const v of [fields.u, fields.uin]) if (v && /^\d{5,10}$/.test(v)) return v;
    return undefined;
  }

  private recordIn(req: FastifyRequest): void {
    const sink = this.sink;
    if (!sink) return;
    const fields = requestFields(req);
    const path = maskUrl(req.url);
    let body: unknown = null;
    if (Buffer.isBuffer(req.body))
      body = `(${req.headers["content-type"]?.split(";")[0] ?? "binary"}, ${req.body.length} bytes)`;
    else if (req.body && typeof req.body === "object") {
      const form = { ...(req.body as Record<string, unknown>) };
      // `r=` is the JSON of the call: shown parsed, so its session values can be masked by key.
      if (typeof form.r === "string") form.r = parseJson(form.r) ?? form.r;
      body = mask(form);
    }
    const cookies = maskCookies(parseCookies(req.headers.cookie));
    sink.traffic({
      platform: this.id,
      dir: "in",
      time: Date.now(),
      size: Number(req.headers["content-length"] ?? 0) || 0,
      account: this.accountOf(req, fields),
      method: req.method,
      path,
      summary: `${req.method} ${path}`,
      payload: {
        headers: {
          ...(req.headers.referer ? { referer: req.headers.referer } : {}),
          ...(Object.keys(cookies).length ? { cookie: cookies } : {}),
        },
        body,
      },
    });
  }

  private recordOut(req: FastifyRequest, reply: FastifyReply, payload: unknown): void {
    const sink = this.sink;
    if (!sink) return;
    const path = maskUrl(req.url);
    const type = String(reply.getHeader("content-type") ?? "").split(";")[0] ?? "";
    let size = 0;
    let body: unknown;
    if (typeof payload === "string") {
      size = Buffer.byteLength(payload);
      const json = type.includes("json") || /^\s*[{[]/.test(payload) ? parseJson(payload) : undefined;
      body = json !== undefined ? mask(json) : maskText(payload.slice(0, BODY_PREVIEW));
    } else if (Buffer.isBuffer(payload)) {
      size = payload.length;
      body = `(${type || "binary"}, ${payload.length} bytes)`;
    } else {
      body = payload == null ? null : "(stream)";
    }
    const setCookies = setCookiePairs(reply.getHeader("set-cookie"));
    let account = this.accountOf(req, requestFields(req));
    const cookieQq = qqOfCookie(setCookies.p_uin) ?? qqOfCookie(setCookies.uin);
    if (!account && cookieQq) account = cookieQq;
    const retcode = (body as { retcode?: unknown } | null)?.retcode;
    sink.traffic({
      platform: this.id,
      dir: "out",
      time: Date.now(),
      size,
      account,
      method: req.method,
      path,
      status: reply.statusCode,
      summary: `${reply.statusCode}${typeof retcode === "number" ? ` retcode ${retcode}` : ""} ${path}`,
      payload: Object.keys(setCookies).length
        ? { headers: { "set-cookie": maskCookies(setCookies) }, body }
        : body,
    });
  }

  // ── inbox ──

  private pushInbox(list: ConsoleInboxItem[], item: ConsoleInboxItem): void {
    list.push(item);
    if (list.length > INBOX_LIMIT) list.splice(0, list.length - INBOX_LIMIT);
    this.sink?.inbox(item);
  }

  /** Adds the captcha codes now shown for these accounts (default: every account that needs one). */
  private syncCaptchas(qqs?: number[]): void {
    const list = qqs ?? (this.q.captchaAccounts.all() as { qq: number }[]).map((r) => r.qq);
    for (const qq of list) {
      const code = this.admin.captcha(qq);
      if (!code) continue;
      const id = `captcha:${qq}:${code}`;
      if (this.captchas.some((c) => c.id === id)) continue;
      const acc = this.q.account.get(qq) as AccountLite | undefined;
      this.pushInbox(this.captchas, {
        id,
        platform: this.id,
        kind: "captcha",
        time: Date.now(),
        to: acc ? `${qq} (${acc.nick})` : String(qq),
        value: code,
        status: "new",
      });
    }
  }

  private addQr(token: number): void {
    if (this.qrs.some((i) => i.id === `qr:${token}`)) return;
    this.pushInbox(this.qrs, {
      id: `qr:${token}`,
      platform: this.id,
      kind: "qr",
      time: Date.now(),
      to: "QR login",
      value: "waiting",
      status: "pending",
      confirmable: true,
    });
  }

  private markQrConfirmed(token: number): void {
    if (this.qrConfirmed.has(token)) return;
    this.qrConfirmed.add(token);
    const item = this.inbox().find((i) => i.id === `qr:${token}`);
    if (item) this.sink?.inbox(item);
  }

  inbox(): ConsoleInboxItem[] {
    this.syncCaptchas();
    for (const p of this.admin.pendingQr()) this.addQr(p.token);
    const now = Date.now();
    const captchas = this.captchas.map((item) => {
      const [, qq, code] = item.id.split(":");
      const current = this.admin.captcha(Number(qq)) === code && now - item.time < CAPTCHA_TTL_MS;
      return { ...item, status: current ? item.status : "expired" } as ConsoleInboxItem;
    });
    const pending = new Map(this.admin.pendingQr().map((p) => [p.token, p.state]));
    const qrs = this.qrs.map((item): ConsoleInboxItem => {
      const token = Number(item.id.slice(3));
      const state = pending.get(token);
      if (this.qrConfirmed.has(token))
        return { ...item, status: "confirmed", value: "confirmed", confirmable: false };
      if (state) return { ...item, status: "pending", value: state, confirmable: true };
      return { ...item, status: "expired", value: "expired", confirmable: false };
    });
    return [...captchas, ...qrs];
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
    this.markQrConfirmed(token);
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
          id && row ? { previewUrl: this.previewUrl(id), mime: sniffImage(row.head) ?? mimeOf(stored) } : {};
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
          mime: sniffImage(f.head) ?? mimeOf(f.name),
          size: f.size,
          ownerId: String(f.owner),
          time: f.created_at,
          previewUrl: this.previewUrl(id),
        },
      ];
    });
  }

  /** The picture's bytes straight from the emulator's table; its type sniffed from them. */
  file(id: string): ConsoleFileContent | undefined {
    const ref = parseFileId(id);
    if (!ref) return undefined;
    const row = this.q.fileData.get(ref.name, ref.kind) as { data: Uint8Array } | undefined;
    if (!row) return undefined;
    const bytes = row.data;
    return {
      bytes,
      mime: sniffImage(bytes) ?? mimeOf(ref.name),
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
    const account = {
      name: "account",
      label: "account (empty = everyone)",
      type: "account",
      optional: true,
    } as const;
    return [
      {
        action: "failPolls",
        label: "Fail next N polls",
        fields: [
          {
            name: "retcode",
            label: "retcode",
            type: "select",
            options: POLL_RETCODES,
            default: String(Retcode.LOST),
          },
          { name: "times", label: "N", type: "number", default: 1 },
          account,
        ],
      },
      {
        action: "failSends",
        label: "Fail next N sends (1202)",
        fields: [
          { name: "times", label: "N", type: "number", default: 1 },
          {
            name: "delivered",
            label: "deliver anyway",
            type: "select",
            options: ["no", "yes"],
            default: "no",
          },
          account,
        ],
      },
      ...consoleHttpFaultActions({
        fail: [
          {
            name: "retcode",
            label: "retcode",
            type: "select",
            options: [...POLL_RETCODES, "1202"],
            default: "100006",
          },
        ],
      }),
      {
        action: "kick",
        label: "Kick an account",
        fields: [{ name: "account", label: "account", type: "account" }],
      },
      { action: "clear", label: "Clear all faults", fields: [] },
    ];
  }

  applyFault(input: unknown): Record<string, unknown> {
    const cleaned = formFields(input);
    const shared = applyConsoleHttpFault(webqqHttpFaults(this.webqq), cleaned, this.sink, [
      "fail",
      "delay",
      "ratelimit",
      "drop",
    ]);
    if (shared) return shared;
    const body = parseOr400(FaultBody, cleaned);
    const who = (qq: number | undefined) => (qq === undefined ? "everyone" : `${qq}`);
    let result: Record<string, unknown> = { ok: true };
    try {
      switch (body.action) {
        case "failPolls":
          this.admin.failPolls({
            retcode: body.retcode,
            times: body.times,
            ...(body.account !== undefined ? { qq: body.account } : {}),
          });
          this.sink?.notice(
            `next ${body.times} WebQQ poll(s) of ${who(body.account)} answer retcode ${body.retcode}`,
          );
          break;
        case "failSends":
          this.admin.failSends({
            times: body.times,
            delivered: body.delivered,
            ...(body.account !== undefined ? { qq: body.account } : {}),
          });
          this.sink?.notice(
            `next ${body.times} WebQQ send(s) of ${who(body.account)} answer 1202${body.delivered ? " (delivered anyway)" : ""}`,
          );
          break;
        case "kick": {
          const kicked = this.admin.kick(this.qqOf(String(body.account), "account"));
          result = { ok: true, kicked };
          this.sink?.notice(`kicked ${kicked} WebQQ session(s) of ${body.account}`);
          this.sink?.changed({});
          break;
        }
        case "clear":
          this.admin.clearFaults();
          webqqHttpFaults(this.webqq).clear();
          this.sink?.notice("WebQQ faults cleared");
          break;
      }
    } catch (err) {
      asError(err);
    }
    return result;
  }
}
