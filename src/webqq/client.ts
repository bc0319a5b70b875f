import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { CookieJar, type SerializedCookieJar } from "tough-cookie";
import type { z } from "zod";
import { Backoff, sleep } from "../core/backoff.js";
import {
  AbortError,
  ApiError,
  AuthError,
  SwitchboardError,
  TimeoutError,
  TransportError,
  ValidationError,
} from "../core/errors.js";
import { HttpClient, type Query } from "../core/http.js";
import { type Logger, silentLogger } from "../core/log.js";
import {
  APPID,
  C2cMsgSigResult,
  type ContentItem,
  DiscuInfoResult,
  DiscusListResult,
  describeRetcode,
  ENDPOINTS,
  type EndpointName,
  Envelope,
  encodeContent,
  type Font,
  FriendsResult,
  FriendUinResult,
  friendsHash,
  GfaceSigResult,
  GroupInfoResult,
  GroupListResult,
  HOSTS,
  type HostName,
  hash33,
  Login2Result,
  LoginCode,
  LongNickResult,
  OnlineBuddiesResult,
  PollItem,
  type PollType,
  parseCheckVC,
  parsePtuiCB,
  passwordHash,
  QR_APPID,
  QrCode,
  REFERER,
  RELOGIN_RETCODES,
  RecentListResult,
  Retcode,
  STATUSES,
  type Status,
  USER_AGENT,
  UserInfo,
} from "./protocol.js";

export interface WebQQClientOptions {
  /** One origin for every host (the sandbox); otherwise the production hosts. */
  baseUrl?: string;
  hosts?: Partial<Record<HostName, string>>;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** HTTP timeout of one poll2 (default 90 s; the server holds it up to its own time-out). */
  pollTimeoutMs?: number;
  /** Fixed clientid (default random 8 digits); kept across re-logins so resends stay de-duplicated. */
  clientid?: string;
  /** Attempts of one send after 1202 / network failures, same msg_id each time (default 4). */
  sendAttempts?: number;
  fetch?: typeof fetch;
  logger?: Logger;
  /** Backoff of the poll loop and of sends (tests shorten it). */
  backoffBaseMs?: number;
}

/** What a logged-in session is; persisted by `saveSession` (mode 0600). */
export interface WebQQSession {
  qq: number;
  uin: number;
  clientid: string;
  psessionid: string;
  vfwebqq: string;
  ptwebqq: string;
  status: string;
  cookies: SerializedCookieJar;
}

type ValueOf<K extends PollType> = Extract<PollItem, { poll_type: K }>["value"];
export type WebQQEvents = { [K in PollType]: [ValueOf<K>] } & {
  /** Logged in elsewhere (kick_message or retcode 121); the loop has stopped. */
  kicked: [reason: string];
  /** A failure the loop can't fix by itself (it stops after AuthError). */
  error: [err: Error];
  /** Session changed (login, relink, new ptwebqq): persist it if you keep one. */
  session: [WebQQSession];
};
type Listener<K extends keyof WebQQEvents> = (...args: WebQQEvents[K]) => void;

export interface PasswordLoginInput {
  qq: number;
  password: string;
  /** Called with the captcha picture when the account needs one; returns the code read from it. */
  onCaptcha?: (png: Uint8Array) => Promise<string>;
  status?: Status;
  signal?: AbortSignal;
}

export interface QrLoginInput {
  /** Called with the QR picture (PNG). */
  onQrCode: (png: Uint8Array) => void | Promise<void>;
  onState?: (state: "waiting" | "scanned") => void;
  intervalMs?: number;
  status?: Status;
  signal?: AbortSignal;
}

export interface SendOptions {
  font?: Font;
  signal?: AbortSignal;
}

const DEDUP_WINDOW = 10_000;

interface RawOptions {
  method?: "GET" | "POST";
  query?: Query;
  form?: URLSearchParams;
  body?: RequestInit["body"];
  referer?: string;
  type?: "json" | "text" | "bytes";
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
  idempotent?: boolean;
  retries?: number;
}

/** Session values travel in WebQQ query strings: mask them wherever a URL reaches a message. */
export function scrubUrl(text: string): string {
  return text.replace(
    /([?&](?:psessionid|vfwebqq|ptwebqq|ptsig|p|verifycode|skey|qrsig|ptqrtoken)=)[^&#\s]*/gi,
    "$1[redacted]",
  );
}

function scrub(err: unknown): unknown {
  if (err instanceof SwitchboardError) {
    err.message = scrubUrl(err.message);
    const d = err.details as { url?: unknown } | undefined;
    if (d && typeof d.url === "string") d.url = scrubUrl(d.url);
  }
  return err;
}

function randomDigits(n: number): string {
  let s = String(1 + Math.floor(Math.random() * 9));
  while (s.length < n) s += String(Math.floor(Math.random() * 10));
  return s;
}

function parse<S extends z.ZodType>(schema: S, data: unknown, what: string): z.output<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  throw new ApiError(`${what}: unexpected response shape`, {
    platform: "webqq",
    code: "bad_response",
    details: { issues: r.error.issues.slice(0, 3).map((i) => i.path.join(".")) },
  });
}

/** A retcode → typed error (messages carry the code and endpoint only, never session values). */
export function retcodeError(retcode: number, what: string): SwitchboardError {
  const message = `${what}: retcode ${retcode} (${describeRetcode(retcode)})`;
  const o = { platform: "webqq" as const, code: retcode, details: { endpoint: what } };
  if (RELOGIN_RETCODES.has(retcode) || retcode === 100101 || retcode === 121 || retcode === 122)
    return new AuthError(message, o);
  if (retcode === Retcode.SEND_FAILED) return new ApiError(message, { ...o, retryable: true });
  return new ApiError(message, o);
}

/**
 * WebQQ client: password (with captcha callback) and QR login, a tough-cookie jar, session
 * persistence, one typed method per endpoint, and a poll loop that handles every retcode,
 * suppresses duplicate msg_ids and re-links / re-logs in by itself.
 */
export class WebQQClient {
  readonly clientid: string;
  readonly #o: WebQQClientOptions;
  readonly #http: HttpClient;
  readonly #log: Logger;
  #jar = new CookieJar();
  #session: WebQQSession | undefined;
  #password: string | undefined;
  #listeners = new Map<keyof WebQQEvents, Set<unknown>>();
  #seen = new Map<string, true>();
  #loop: { ctrl: AbortController; done: Promise<void> } | undefined;
  #msgId: number;

  constructor(options: WebQQClientOptions = {}) {
    this.#o = options;
    this.clientid = options.clientid ?? randomDigits(8);
    this.#log = options.logger ?? silentLogger;
    this.#msgId = (1000 + Math.floor(Math.random() * 9000)) * 10_000;
    const baseFetch = options.fetch ?? globalThis.fetch;
    // The cookie jar sits under the HTTP helper as a fetch wrapper: every attempt sends the
    // cookies of its URL and keeps whatever Set-Cookie the answer carries (redirects included).
    const cookieFetch: typeof fetch = async (input, init) => {
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      const headers = new Headers(init?.headers);
      const cookie = await this.#jar.getCookieString(url);
      if (cookie) headers.set("cookie", cookie);
      if (!headers.has("user-agent")) headers.set("user-agent", USER_AGENT);
      const res = await baseFetch(input, { ...init, headers });
      for (const sc of res.headers.getSetCookie()) await this.#jar.setCookie(sc, url, { ignoreError: true });
      return res;
    };
    this.#http = new HttpClient({
      platform: "webqq",
      timeoutMs: options.timeoutMs ?? 30_000,
      fetch: cookieFetch,
      // The helper logs URLs, and WebQQ URLs carry session values: it stays silent, #raw logs.
      logger: silentLogger,
      backoff: { baseMs: options.backoffBaseMs ?? 500 },
    });
  }

  // ---- events --------------------------------------------------------------------------------

  on<K extends keyof WebQQEvents>(event: K, fn: Listener<K>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(fn);
    return () => set.delete(fn);
  }

  #emit<K extends keyof WebQQEvents>(event: K, ...args: WebQQEvents[K]): void {
    for (const fn of this.#listeners.get(event) ?? []) {
      try {
        (fn as Listener<K>)(...args);
      } catch (err) {
        this.#log.warn({ err, event }, "WebQQ event listener threw");
      }
    }
  }

  // ---- plumbing ------------------------------------------------------------------------------

  url(name: EndpointName): string {
    const e = ENDPOINTS[name];
    const origin = this.#o.hosts?.[e.host] ?? this.#o.baseUrl ?? HOSTS[e.host];
    return origin.replace(/\/+$/, "") + e.path;
  }

  get session(): WebQQSession | undefined {
    return this.#session;
  }

  #need(): WebQQSession {
    if (!this.#session) throw new AuthError("not logged in", { platform: "webqq", code: "no_session" });
    return this.#session;
  }

  async #raw(name: EndpointName, o: RawOptions = {}): Promise<unknown> {
    const headers: Record<string, string> = {};
    if (o.referer) headers.referer = o.referer;
    const res = await this.#http
      .request({
        method: o.method ?? "GET",
        path: this.url(name),
        headers,
        ...(o.query ? { query: o.query } : {}),
        ...(o.form ? { form: o.form } : {}),
        ...(o.body ? { body: o.body } : {}),
        responseType: o.type ?? "json",
        ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.idempotent !== undefined ? { idempotent: o.idempotent } : {}),
        ...(o.retries !== undefined ? { retries: o.retries } : {}),
      })
      .catch((err: unknown) => {
        this.#log.debug(
          { endpoint: name, error: err instanceof Error ? scrubUrl(err.message) : "" },
          "WebQQ request failed",
        );
        throw scrub(err);
      });
    return res.data;
  }

  /** A `{retcode, result}` call; non-zero retcodes become typed errors. */
  async #api<S extends z.ZodType>(name: EndpointName, schema: S, o: RawOptions = {}): Promise<z.output<S>> {
    const env = parse(Envelope, await this.#raw(name, o), name);
    if (env.retcode !== 0) throw retcodeError(env.retcode, name);
    return parse(schema, env.result, name);
  }

  #rForm(r: Record<string, unknown>, withIds = true): URLSearchParams {
    const p = new URLSearchParams();
    p.set("r", JSON.stringify(r));
    if (withIds) {
      const s = this.#need();
      p.set("clientid", this.clientid);
      p.set("psessionid", s.psessionid);
    }
    return p;
  }

  #ids(extra: Query = {}): Query {
    const s = this.#need();
    return { ...extra, clientid: this.clientid, psessionid: s.psessionid, t: Date.now() };
  }

  // ---- login ---------------------------------------------------------------------------------

  async check(qq: number, signal?: AbortSignal) {
    const text = await this.#raw("check", {
      query: { uin: qq, appid: APPID, r: Math.random() },
      type: "text",
      signal,
    });
    const r = parseCheckVC(String(text));
    if (!r) throw new ApiError("check: unexpected answer", { platform: "webqq", code: "bad_response" });
    return r;
  }

  async captchaImage(qq: number, signal?: AbortSignal): Promise<Uint8Array> {
    const data = await this.#raw("captchaImage", {
      query: { aid: APPID, r: Math.random(), uin: qq },
      type: "bytes",
      signal,
    });
    return data as Uint8Array;
  }

  async passwordLogin(input: PasswordLoginInput): Promise<WebQQSession> {
    if (!Number.isInteger(input.qq) || input.qq < 10_000 || input.qq > 0xffffffff)
      throw new ValidationError("qq must be a QQ number", { platform: "webqq", code: 7 });
    const chk = await this.check(input.qq, input.signal);
    let vcode = chk.vcode;
    if (chk.needCaptcha) {
      if (!input.onCaptcha)
        throw new AuthError("this account needs a captcha: pass onCaptcha", {
          platform: "webqq",
          code: "captcha",
        });
      vcode = (await input.onCaptcha(await this.captchaImage(input.qq, input.signal))).trim();
    }
    const p = passwordHash(input.password, chk.uinBytes, vcode);
    const text = await this.#raw("login", {
      query: {
        u: input.qq,
        p,
        verifycode: vcode,
        webqq_type: 10,
        remember_uin: 1,
        login2qq: 1,
        aid: APPID,
        u1: "http://webqq.qq.com/loginproxy.html?login2qq=1&webqq_type=10",
        h: 1,
        ptredirect: 0,
        ptlang: 2052,
        from_ui: 1,
        pttype: 1,
        dumy: "",
        fp: "loginerroralert",
        action: "1-20-8656",
        mibao_css: "m_webqq",
        t: 1,
        g: 1,
      },
      type: "text",
      signal: input.signal,
    });
    const cb = parsePtuiCB(String(text));
    if (!cb) throw new ApiError("login: unexpected answer", { platform: "webqq", code: "bad_response" });
    if (cb.code !== LoginCode.OK) {
      const o = { platform: "webqq" as const, code: cb.code, details: { subcode: cb.subcode } };
      const msg = `login failed: ptuiCB ${cb.code} (${cb.message})`;
      throw cb.code === LoginCode.BAD_PARAMS || cb.code === LoginCode.COOKIES_OFF
        ? new ApiError(msg, o)
        : new AuthError(msg, o);
    }
    this.#password = chk.needCaptcha ? undefined : input.password;
    await this.#checkSig(cb.url, input.signal);
    return this.#login2(input.qq, input.status ?? "online", input.signal);
  }

  async qrLogin(input: QrLoginInput): Promise<WebQQSession> {
    const png = (await this.#raw("qrShow", {
      query: { appid: QR_APPID, e: 0, l: "M", s: 5, d: 72, v: 4, t: Math.random() },
      type: "bytes",
      signal: input.signal,
    })) as Uint8Array;
    const qrsig = (await this.#jar.getCookies(this.url("qrShow"))).find((c) => c.key === "qrsig")?.value;
    if (!qrsig)
      throw new ApiError("ptqrshow set no qrsig cookie", { platform: "webqq", code: "bad_response" });
    await input.onQrCode(png);
    for (;;) {
      const text = await this.#raw("qrLogin", {
        query: {
          ptqrtoken: hash33(qrsig),
          webqq_type: 10,
          remember_uin: 1,
          login2qq: 1,
          aid: QR_APPID,
          u1: "http://w.qq.com/proxy.html?login2qq=1&webqq_type=10",
          ptredirect: 0,
          ptlang: 2052,
          daid: 164,
          from_ui: 1,
          pttype: 1,
          dumy: "",
          fp: "loginerroralert",
          action: "0-0-1000",
          mibao_css: "m_webqq",
          t: "undefined",
          g: 1,
          js_type: 0,
          js_ver: 10197,
          login_sig: "",
          pt_randsalt: 0,
        },
        type: "text",
        signal: input.signal,
      });
      const cb = parsePtuiCB(String(text));
      if (!cb)
        throw new ApiError("ptqrlogin: unexpected answer", { platform: "webqq", code: "bad_response" });
      if (cb.code === QrCode.OK) {
        const qq = Number(/[?&]uin=(\d+)/.exec(cb.url)?.[1] ?? Number.NaN);
        await this.#checkSig(cb.url, input.signal);
        return this.#login2(qq, input.status ?? "online", input.signal);
      }
      if (cb.code === QrCode.WAITING || cb.code === QrCode.SCANNED) {
        input.onState?.(cb.code === QrCode.WAITING ? "waiting" : "scanned");
        await sleep(input.intervalMs ?? 1000, input.signal, "webqq");
        continue;
      }
      throw new AuthError(`QR login failed: ptuiCB ${cb.code} (${cb.message})`, {
        platform: "webqq",
        code: cb.code,
      });
    }
  }

  async #checkSig(url: string, signal?: AbortSignal): Promise<void> {
    // The check_sig URL comes from the server; follow it without following its redirect, so
    // the cookies it sets land in the jar for the login hosts.
    const res = await this.#http.request({
      path: url,
      redirect: "manual",
      responseType: "text",
      ...(signal ? { signal } : {}),
    });
    if (res.status >= 400)
      throw new AuthError(`check_sig failed with HTTP ${res.status}`, {
        platform: "webqq",
        code: res.status,
      });
    const pt = (await this.#jar.getCookies(url)).find((c) => c.key === "ptwebqq")?.value;
    if (!pt)
      throw new AuthError("check_sig set no ptwebqq cookie", { platform: "webqq", code: "no_ptwebqq" });
  }

  async #ptwebqqCookie(): Promise<string | undefined> {
    for (const name of ["login2", "checkSig"] as const) {
      const c = (await this.#jar.getCookies(this.url(name))).find((x) => x.key === "ptwebqq");
      if (c) return c.value;
    }
    return undefined;
  }

  async #login2(qq: number, status: string, signal?: AbortSignal): Promise<WebQQSession> {
    const ptwebqq = (await this.#ptwebqqCookie()) ?? this.#session?.ptwebqq;
    if (!ptwebqq)
      throw new AuthError("no ptwebqq cookie: log in first", { platform: "webqq", code: "no_ptwebqq" });
    const form = new URLSearchParams();
    form.set(
      "r",
      JSON.stringify({ status, ptwebqq, passwd_sig: "", clientid: this.clientid, psessionid: null }),
    );
    form.set("clientid", this.clientid);
    form.set("psessionid", "null");
    const r = await this.#api("login2", Login2Result, {
      method: "POST",
      form,
      referer: REFERER.login2,
      signal,
      idempotent: false,
      retries: 0,
    });
    this.#session = {
      qq: Number.isFinite(qq) ? qq : r.uin,
      uin: r.uin,
      clientid: this.clientid,
      psessionid: r.psessionid,
      vfwebqq: r.vfwebqq,
      ptwebqq,
      status: r.status,
      cookies: await this.#jar.serialize(),
    };
    this.#emit("session", this.#session);
    return this.#session;
  }

  /** login2 again with the ptwebqq we hold (after 103 / 108 / 120 / 100012). */
  async relink(signal?: AbortSignal): Promise<WebQQSession> {
    const s = this.#need();
    return this.#login2(s.qq, s.status === "offline" ? "online" : s.status, signal);
  }

  // ---- persistence ---------------------------------------------------------------------------

  async saveSession(file: string): Promise<void> {
    const s = this.#need();
    const data = JSON.stringify({ ...s, cookies: await this.#jar.serialize() });
    writeFileSync(file, data, { mode: 0o600 });
    chmodSync(file, 0o600);
  }

  async loadSession(file: string): Promise<WebQQSession> {
    const raw = JSON.parse(readFileSync(file, "utf8")) as WebQQSession;
    if (!raw || typeof raw.psessionid !== "string" || typeof raw.vfwebqq !== "string")
      throw new ValidationError(`${file} is not a WebQQ session`, { platform: "webqq", code: "bad_session" });
    if (raw.clientid !== this.clientid)
      throw new ValidationError("session belongs to another clientid: construct the client with it", {
        platform: "webqq",
        code: "bad_session",
      });
    this.#jar = await CookieJar.deserialize(raw.cookies);
    this.#session = raw;
    return raw;
  }

  // ---- contacts and info ---------------------------------------------------------------------

  async friends(signal?: AbortSignal) {
    const s = this.#need();
    const form = this.#rForm({ vfwebqq: s.vfwebqq, hash: friendsHash(s.uin, s.ptwebqq) }, false);
    return this.#api("friends", FriendsResult, {
      method: "POST",
      form,
      referer: REFERER.s,
      signal,
      idempotent: true,
    });
  }

  async groups(signal?: AbortSignal) {
    const s = this.#need();
    const form = this.#rForm({ vfwebqq: s.vfwebqq, hash: friendsHash(s.uin, s.ptwebqq) }, false);
    return this.#api("groups", GroupListResult, {
      method: "POST",
      form,
      referer: REFERER.s,
      signal,
      idempotent: true,
    });
  }

  async groupInfo(code: number, signal?: AbortSignal) {
    const s = this.#need();
    return this.#api("groupInfo", GroupInfoResult, {
      query: { gcode: code, vfwebqq: s.vfwebqq, t: Date.now() },
      referer: REFERER.s,
      signal,
    });
  }

  async discussions(signal?: AbortSignal) {
    const s = this.#need();
    return this.#api("discusList", DiscusListResult, {
      query: this.#ids({ vfwebqq: s.vfwebqq }),
      referer: REFERER.s,
      signal,
    });
  }

  async discussionInfo(did: number, signal?: AbortSignal) {
    const s = this.#need();
    return this.#api("discuInfo", DiscuInfoResult, {
      query: this.#ids({ did, vfwebqq: s.vfwebqq }),
      referer: REFERER.d,
      signal,
    });
  }

  /** uin → QQ number (type 1) or group number (type 4, tuin = group code). */
  async friendUin(tuin: number, type: 1 | 4 = 1, signal?: AbortSignal) {
    const s = this.#need();
    return this.#api("friendUin", FriendUinResult, {
      query: { tuin, type, verifysession: "", code: "", vfwebqq: s.vfwebqq, t: Date.now() },
      referer: REFERER.s,
      signal,
    });
  }

  async friendInfo(tuin: number, signal?: AbortSignal) {
    const s = this.#need();
    return this.#api("friendInfo", UserInfo, {
      query: this.#ids({ tuin, vfwebqq: s.vfwebqq }),
      referer: REFERER.s,
      signal,
    });
  }

  async longNick(tuin: number, signal?: AbortSignal) {
    const s = this.#need();
    return this.#api("longNick", LongNickResult, {
      query: { tuin, vfwebqq: s.vfwebqq, t: Date.now() },
      referer: REFERER.s,
      signal,
    });
  }

  async selfInfo(signal?: AbortSignal) {
    const s = this.#need();
    return this.#api("selfInfo", UserInfo, {
      query: { vfwebqq: s.vfwebqq, t: Date.now() },
      referer: REFERER.s,
      signal,
    });
  }

  async onlineBuddies(signal?: AbortSignal) {
    const s = this.#need();
    return this.#api("onlineBuddies", OnlineBuddiesResult, {
      query: this.#ids({ vfwebqq: s.vfwebqq }),
      referer: REFERER.d,
      signal,
    });
  }

  async recentList(signal?: AbortSignal) {
    const s = this.#need();
    const form = this.#rForm({ vfwebqq: s.vfwebqq, clientid: this.clientid, psessionid: s.psessionid });
    return this.#api("recentList", RecentListResult, {
      method: "POST",
      form,
      referer: REFERER.d,
      signal,
      idempotent: true,
    });
  }

  async changeStatus(status: Status, signal?: AbortSignal): Promise<void> {
    if (!(STATUSES as readonly string[]).includes(status))
      throw new ValidationError(`unknown status ${status}`, { platform: "webqq", code: 100006 });
    const s = this.#need();
    const env = parse(
      Envelope,
      await this.#raw("changeStatus", {
        query: this.#ids({ newstatus: status }),
        referer: REFERER.d,
        signal,
      }),
      "changeStatus",
    );
    if (env.retcode !== 0) throw retcodeError(env.retcode, "changeStatus");
    s.status = status;
  }

  /** get_msg_tip keep-alive. */
  async heartbeat(signal?: AbortSignal): Promise<void> {
    const env = parse(
      Envelope,
      await this.#raw("msgTip", {
        query: { uin: "", tp: 1, id: 0, retype: 1, rc: 1, lv: 3, t: Date.now() },
        signal,
      }),
      "msgTip",
    );
    if (env.retcode !== 0) throw retcodeError(env.retcode, "msgTip");
  }

  async logout(signal?: AbortSignal): Promise<void> {
    await this.stop();
    if (!this.#session) return;
    const env = parse(
      Envelope,
      await this.#raw("logout", { query: this.#ids({ ids: "" }), referer: REFERER.d, signal }),
      "logout",
    );
    if (env.retcode !== 0 && env.retcode !== Retcode.LOST) throw retcodeError(env.retcode, "logout");
    this.#session = undefined;
  }

  // ---- pictures ------------------------------------------------------------------------------

  async gfaceSig(signal?: AbortSignal): Promise<GfaceSigResult> {
    return this.#api("gfaceSig", GfaceSigResult, { query: this.#ids(), referer: REFERER.d, signal });
  }

  /** Uploads a group/discussion picture; returns the name to put in a `cface` item. */
  async uploadGroupPicture(
    bytes: Uint8Array,
    fileName: string,
    signal?: AbortSignal,
  ): Promise<{ name: string }> {
    const s = this.#need();
    const fd = new FormData();
    fd.set("from", "control");
    fd.set("f", "EQQ.Model.ChatMsg.callbackSendPicGroup");
    fd.set("vfwebqq", s.vfwebqq);
    fd.set("custom_face", new Blob([bytes]), fileName);
    fd.set("fileid", "1");
    const { html, result } = await this.#postUploadForm("cfaceUpload", fd, signal);
    const j = result as { ret?: number; msg?: string } | undefined;
    if (!j || (j.ret !== 0 && j.ret !== 4) || typeof j.msg !== "string") {
      const env = (() => {
        try {
          return JSON.parse(html) as { retcode?: number };
        } catch {
          return undefined;
        }
      })();
      if (env?.retcode) throw retcodeError(env.retcode, "cfaceUpload");
      throw new ApiError("cface_upload failed", { platform: "webqq", code: j?.ret ?? "bad_response" });
    }
    return { name: j.msg.split(" ")[0] as string };
  }

  /**
   * Posts a picture-upload form; the upload hosts answer an HTML page that calls back with a
   * JSON object (`…callback({…})`), which is returned parsed when present.
   */
  async #postUploadForm(
    endpoint: "cfaceUpload" | "offpicUpload",
    form: FormData,
    signal: AbortSignal | undefined,
  ): Promise<{ html: string; result: unknown }> {
    const html = String(
      await this.#raw(endpoint, {
        method: "POST",
        query: { time: Date.now() },
        body: form,
        type: "text",
        signal,
        idempotent: true,
      }),
    );
    const m = /\((\{.*\})\)/.exec(html);
    let result: unknown;
    try {
      result = m ? JSON.parse(m[1] as string) : undefined;
    } catch {
      result = undefined;
    }
    return { html, result };
  }

  /** Uploads a buddy (offline) picture; returns what an `offpic` item needs. */
  async uploadOffpic(bytes: Uint8Array, fileName: string, peerUin: number, signal?: AbortSignal) {
    const s = this.#need();
    const fd = new FormData();
    fd.set("callback", "parent.EQQ.Model.ChatMsg.callbackSendPic");
    fd.set("locallangid", "2052");
    fd.set("clientversion", "1409");
    fd.set("uin", String(s.qq));
    fd.set("appid", "1002101");
    fd.set("peeruin", String(peerUin));
    fd.set("file", new Blob([bytes]), fileName);
    fd.set("fileid", "1");
    fd.set("vfwebqq", s.vfwebqq);
    fd.set("senderviplevel", "0");
    fd.set("reciverviplevel", "0");
    const { result } = await this.#postUploadForm("offpicUpload", fd, signal);
    const j = result as
      | { retcode?: number; filepath?: string; filename?: string; filesize?: number }
      | undefined;
    if (j?.retcode !== 0 || !j.filepath)
      throw new ApiError("upload_offline_pic failed", {
        platform: "webqq",
        code: j?.retcode ?? "bad_response",
      });
    return { filePath: j.filepath, name: j.filename ?? fileName, size: j.filesize ?? bytes.length };
  }

  async offpic(filePath: string, fromUin: number, signal?: AbortSignal): Promise<Uint8Array> {
    return (await this.#raw("offpic", {
      query: this.#ids({ file_path: filePath, f_uin: fromUin }),
      referer: REFERER.d,
      type: "bytes",
      signal,
    })) as Uint8Array;
  }

  async groupPicture(name: string, gid: number, fromUin: number, signal?: AbortSignal): Promise<Uint8Array> {
    const s = this.#need();
    return (await this.#raw("groupPic", {
      query: {
        type: 0,
        gid,
        uin: fromUin,
        rip: "",
        rport: "",
        fid: 0,
        pic: name,
        vfwebqq: s.vfwebqq,
        t: Date.now(),
      },
      type: "bytes",
      signal,
    })) as Uint8Array;
  }

  // ---- sending -------------------------------------------------------------------------------

  /**
   * One send, never duplicated: every attempt carries the same msg_id (the server drops a
   * repeat of sender + clientid + msg_id), so a resend after 1202 or a lost answer can't post
   * the message twice.
   */
  async #send(
    name: "sendBuddy" | "sendQun" | "sendDiscu" | "sendSess",
    target: Record<string, unknown>,
    items: readonly ContentItem[],
    opts: SendOptions,
  ): Promise<{ msgId: number }> {
    if (items.length === 0) throw new ValidationError("empty message", { platform: "webqq", code: 100006 });
    const msgId = ++this.#msgId;
    const content = encodeContent(items, opts.font);
    const attempts = Math.max(1, this.#o.sendAttempts ?? 4);
    const backoff = new Backoff({ baseMs: this.#o.backoffBaseMs ?? 500, maxMs: 5000 });
    let last: Error | undefined;
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await sleep(backoff.next(), opts.signal, "webqq");
      const s = this.#need();
      const r = { ...target, content, msg_id: msgId, clientid: this.clientid, psessionid: s.psessionid };
      try {
        const env = parse(
          Envelope,
          await this.#raw(name, {
            method: "POST",
            form: this.#rForm(r),
            referer: REFERER.d,
            signal: opts.signal,
            idempotent: false,
            retries: 0,
          }),
          name,
        );
        if (env.retcode === 0) return { msgId };
        last = retcodeError(env.retcode, name);
        if (env.retcode !== Retcode.SEND_FAILED) throw last;
      } catch (err) {
        if (err instanceof AbortError) throw err;
        if (!(err instanceof TransportError || err instanceof TimeoutError)) throw err;
        last = err;
      }
    }
    throw last ?? new ApiError(`${name} failed`, { platform: "webqq", code: Retcode.SEND_FAILED });
  }

  async sendBuddy(toUin: number, items: readonly ContentItem[], opts: SendOptions = {}) {
    return this.#send("sendBuddy", { to: toUin, face: 0 }, items, opts);
  }

  async sendGroup(gid: number, items: readonly ContentItem[], opts: SendOptions = {}) {
    const extra: Record<string, unknown> = { group_uin: gid };
    if (items.some((i) => i.type === "cface")) {
      const g = await this.gfaceSig(opts.signal);
      extra.key = g.gface_key;
      extra.sig = g.gface_sig;
    }
    return this.#send("sendQun", extra, items, opts);
  }

  async sendDiscussion(did: number, items: readonly ContentItem[], opts: SendOptions = {}) {
    const extra: Record<string, unknown> = { did };
    if (items.some((i) => i.type === "cface")) {
      const g = await this.gfaceSig(opts.signal);
      extra.key = g.gface_key;
      extra.sig = g.gface_sig;
    }
    return this.#send("sendDiscu", extra, items, opts);
  }

  /** A temporary (sess) message to a group member who is not a friend. */
  async sendSess(gid: number, toUin: number, items: readonly ContentItem[], opts: SendOptions = {}) {
    const sig = await this.#api("c2cMsgSig", C2cMsgSigResult, {
      query: this.#ids({ id: gid, to_uin: toUin, service_type: 0 }),
      referer: REFERER.d,
      signal: opts.signal,
    });
    return this.#send("sendSess", { to: toUin, group_sig: sig.value, face: 0, service_type: 0 }, items, opts);
  }

  // ---- polling -------------------------------------------------------------------------------

  /** One poll2; the raw envelope (retcode 0 / 102 / 116 / …). */
  async poll(signal?: AbortSignal): Promise<Envelope> {
    const s = this.#need();
    const form = this.#rForm({ clientid: this.clientid, psessionid: s.psessionid, key: 0, ids: [] });
    return parse(
      Envelope,
      await this.#raw("poll2", {
        method: "POST",
        form,
        referer: REFERER.d,
        timeoutMs: this.#o.pollTimeoutMs ?? 90_000,
        signal,
        idempotent: false,
        retries: 0,
      }),
      "poll2",
    );
  }

  get running(): boolean {
    return this.#loop !== undefined;
  }

  /** Starts the poll loop (events: message, group_message, …, kicked, error, session). */
  start(): void {
    if (this.#loop) return;
    this.#need();
    const ctrl = new AbortController();
    const done = this.#run(ctrl.signal).finally(() => {
      if (this.#loop?.ctrl === ctrl) this.#loop = undefined;
    });
    this.#loop = { ctrl, done };
  }

  async stop(): Promise<void> {
    const l = this.#loop;
    if (!l) return;
    l.ctrl.abort();
    await l.done;
  }

  /** Resolves when the loop ends (stop, kick, or an error it can't recover from). */
  async done(): Promise<void> {
    await this.#loop?.done;
  }

  #fresh(item: PollItem): boolean {
    if (!("msg_id" in item.value)) return true;
    const v = item.value as { msg_id: number; from_uin: number };
    const key = `${item.poll_type}:${v.from_uin}:${v.msg_id}`;
    if (this.#seen.has(key)) return false;
    this.#seen.set(key, true);
    if (this.#seen.size > DEDUP_WINDOW) this.#seen.delete(this.#seen.keys().next().value as string);
    return true;
  }

  async #recover(signal: AbortSignal): Promise<boolean> {
    try {
      await this.relink(signal);
      return true;
    } catch (err) {
      if (err instanceof AbortError) throw err;
      if (this.#password && this.#session) {
        try {
          await this.passwordLogin({ qq: this.#session.qq, password: this.#password, signal });
          return true;
        } catch (e2) {
          if (e2 instanceof AbortError) throw e2;
          this.#emit("error", e2 instanceof Error ? e2 : new Error(String(e2)));
          return false;
        }
      }
      this.#emit("error", err instanceof Error ? err : new Error(String(err)));
      return false;
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff({ baseMs: this.#o.backoffBaseMs ?? 500, maxMs: 30_000 });
    try {
      while (!signal.aborted) {
        let env: Envelope;
        try {
          env = await this.poll(signal);
        } catch (err) {
          if (err instanceof AbortError) return;
          this.#log.debug({ err }, "poll2 failed; retrying");
          await sleep(backoff.next(), signal, "webqq");
          continue;
        }
        switch (env.retcode) {
          case Retcode.OK: {
            backoff.reset();
            const list = Array.isArray(env.result) ? env.result : [];
            for (const raw of list) {
              const r = PollItem.safeParse(raw);
              if (!r.success) continue;
              const item = r.data;
              if (!this.#fresh(item)) continue;
              if (item.poll_type === "kick_message") {
                this.#emit("kick_message", item.value);
                this.#emit("kicked", item.value.reason);
                return;
              }
              this.#emit(item.poll_type, item.value as never);
            }
            break;
          }
          case Retcode.NO_MESSAGE:
            backoff.reset();
            break;
          case Retcode.NEW_PTWEBQQ:
            if (env.p && this.#session) {
              this.#session.ptwebqq = env.p;
              for (const name of ["login2", "friends", "checkSig"] as const)
                await this.#jar.setCookie(`ptwebqq=${env.p}; Path=/`, this.url(name), { ignoreError: true });
              this.#emit("session", this.#session);
            }
            break;
          case Retcode.KICKED:
            this.#emit("kicked", "logged in elsewhere (121)");
            return;
          case Retcode.RELINK:
          case Retcode.LOST:
          case Retcode.BAD_COOKIE:
          case Retcode.EXPIRED:
            if (!(await this.#recover(signal))) return;
            break;
          default:
            this.#emit("error", retcodeError(env.retcode, "poll2"));
            await sleep(backoff.next(), signal, "webqq");
        }
      }
    } catch (err) {
      if (err instanceof AbortError) return;
      this.#emit("error", err instanceof Error ? err : new Error(String(err)));
    }
  }
}
