/**
 * What the console's traffic inspector shows of WebQQ requests and answers: every secret masked
 * (session values, password hashes, tickets, cookies other than the QQ number), the account a
 * request belongs to named.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ConsoleSink } from "../../core/emulator/console.js";
import { BODY_PREVIEW } from "../../core/emulator/http-capture.js";
import { isSecretKey, REDACTED, redactUrl } from "../../core/redact.js";

/**
 * WebQQ keys whose values are secrets but that `redact` doesn't know by name: `p` (the login
 * password hash; the new ptwebqq of a 116), the friend-list `hash`, login tickets and picture keys.
 */
export const WEBQQ_SECRET_KEYS = new Set([
  "p",
  "hash",
  "ptsig",
  "skey",
  "p_skey",
  "qrsig",
  "sig",
  "key",
  "ptcz",
]);
/** Cookies that only carry the QQ number (`o0123…`): shown as they are, every other value is masked. */
export const PLAIN_COOKIES = new Set(["uin", "p_uin", "pt2gguin", "confirmuin"]);

export const isSecret = (key: string) => isSecretKey(key) || WEBQQ_SECRET_KEYS.has(key.toLowerCase());
/** `redact`'s keys always; the short WebQQ names only for strings (poll2's `"key": 0` is no secret). */
export const isSecretValue = (key: string, v: unknown) =>
  v !== undefined && v !== null && v !== "" && (isSecretKey(key) || (typeof v === "string" && isSecret(key)));

/** Deep copy with WebQQ secrets masked (the keys of `redact` plus WEBQQ_SECRET_KEYS). */
export function mask(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => mask(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretValue(k, v) ? REDACTED : mask(v, depth + 1);
  }
  return out;
}

/** The query string of a URL with every secret-looking parameter masked (psessionid, vfwebqq, p …). */
export function maskUrl(url: string): string {
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
export function maskText(text: string): string {
  return redactUrl(
    text
      .replace(/^(ptui_checkVC\('[01]',)'[^']*'/, `$1'${REDACTED}'`)
      .replace(
        /([?&](?:psessionid|vfwebqq|ptwebqq|ptsig|p|verifycode|skey|qrsig|ptqrtoken)=)[^&#\s'"]*/gi,
        `$1${REDACTED}`,
      ),
  );
}

export function parseCookies(header: string | undefined): Record<string, string> {
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

export function maskCookies(cookies: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(cookies).map(([k, v]) => [k, PLAIN_COOKIES.has(k) || v === "" ? v : REDACTED]),
  );
}

/** `name=value` of each Set-Cookie header (attributes dropped). */
export function setCookiePairs(header: unknown): Record<string, string> {
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
export function requestFields(req: FastifyRequest): Record<string, string> {
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

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const qqOfCookie = (v: string | undefined) => {
  const m = v ? /^o0*(\d{5,10})$/.exec(v) : null;
  return m ? m[1] : undefined;
};

/** Records requests and answers into the console sink. */
export class WebQQTraffic {
  constructor(
    private readonly sink: () => ConsoleSink | undefined,
    /** psessionid / vfwebqq → QQ, learned from login2 answers. */
    private readonly sessions: Map<string, number>,
  ) {}

  /** The account a request belongs to: QQ cookies, `u`/`uin` fields, or a known psessionid/vfwebqq. */
  accountOf(req: FastifyRequest, fields: Record<string, string>): string | undefined {
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

  recordIn(req: FastifyRequest): void {
    const sink = this.sink();
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
      platform: "webqq",
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

  recordOut(req: FastifyRequest, reply: FastifyReply, payload: unknown): void {
    const sink = this.sink();
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
      platform: "webqq",
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
}
