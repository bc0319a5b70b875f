/**
 * The client's plumbing: the cookie jar under the HTTP helper, URLs from the endpoint table,
 * request checks (ValidationError before sending), `{retcode, result}` envelopes parsed with
 * the endpoint's response schema, and session values scrubbed from every error.
 */
import type { CookieJar } from "tough-cookie";
import type { z } from "zod";
import type { CallOptions } from "../../core/call.js";
import {
  MemoryCredentialStore,
  type ServerCredentialStore,
  serverCredentials,
} from "../../core/credentials.js";
import type { Emitter } from "../../core/emitter.js";
import { ApiError, AuthError, SwitchboardError } from "../../core/errors.js";
import { HttpClient, type HttpResponse, type Query } from "../../core/http.js";
import { type Logger, silentLogger } from "../../core/log.js";
import { parseResponse, validateInput } from "../../core/validation.js";
import {
  describeRetcode,
  type EndpointName,
  Envelope,
  HOSTS,
  RELOGIN_RETCODES,
  Retcode,
  USER_AGENT,
  WEBQQ_ENDPOINTS,
  type WebQQEndpoints,
} from "../protocol.js";
import { cookieHeader, newJar } from "./cookies.js";
import { readEnvelope } from "./fast.js";
import type { WebQQClientOptions, WebQQEvents, WebQQSession } from "./types.js";

export interface RawOptions extends CallOptions {
  method?: "GET" | "POST";
  query?: Query;
  form?: URLSearchParams;
  body?: RequestInit["body"];
  referer?: string;
  type?: "json" | "text" | "bytes";
  idempotent?: boolean;
  retries?: number;
}

/** msg_ids reserved in the stored session at a time (one credential write per block). */
export const MSG_ID_BLOCK = 64;

/** What every area of the client shares (one per WebQQClient). */
export class Ctx {
  readonly http: HttpClient;
  readonly log: Logger;
  jar: CookieJar = newJar();
  session: WebQQSession | undefined;
  /** Kept (in memory only) after a captcha-free password login, to log in again by itself. */
  password: string | undefined;
  clientid: string;
  readonly credentials: ServerCredentialStore<WebQQSession>;
  /** The last msg_id handed out, and the highest one reserved in the credential store. */
  #msgId: number;
  #msgIdCeiling = 0;
  #reserving: Promise<void> | undefined;

  constructor(
    readonly o: WebQQClientOptions,
    readonly emitter: Emitter<WebQQEvents>,
    readonly account: string,
  ) {
    this.log = o.logger ?? silentLogger;
    // Sessions are kept per server (the d host, where psessionid lives) + account.
    this.credentials = serverCredentials(o.credentials ?? new MemoryCredentialStore(), {
      url: o.hosts?.d ?? o.url ?? HOSTS.d,
      productionUrl: HOSTS.d,
      logger: this.log,
      platform: "webqq",
    });
    this.clientid = o.clientid ?? randomDigits(8);
    this.#msgId = (1000 + Math.floor(Math.random() * 9000)) * 10_000;
    this.http = new HttpClient({
      platform: "webqq",
      timeoutMs: o.timeoutMs ?? 30_000,
      headers: { "user-agent": USER_AGENT },
      // The cookie jar: every attempt (each redirect step too) sends the cookies of its URL and
      // keeps whatever Set-Cookie the answer carries.
      cookies: {
        header: (url) => cookieHeader(this.jar, url),
        store: async (url, setCookies) => {
          for (const sc of setCookies) await this.jar.setCookie(sc, url, { ignoreError: true });
        },
      },
      ...(o.fetch ? { fetch: o.fetch } : {}),
      // The helper logs URLs, and WebQQ URLs carry session values: it stays silent, raw() logs.
      logger: silentLogger,
      backoff: { baseMs: o.backoffBaseMs ?? 500 },
    });
  }

  /** Saves the session (with the cookie jar) in the credential store and tells listeners. */
  async persist(): Promise<void> {
    const s = this.need();
    s.cookies = await this.jar.serialize();
    s.msgId = Math.max(s.msgId ?? 0, this.#msgIdCeiling);
    await this.credentials.save(this.account, s);
    this.emitter.emit("session", s);
  }

  /** Continues the msg_id counter of a restored session. */
  adoptMsgId(stored: number | undefined): void {
    if (typeof stored === "number" && Number.isSafeInteger(stored) && stored > this.#msgId) {
      this.#msgId = stored;
      this.#msgIdCeiling = stored;
    }
  }

  /**
   * The next msg_id of this client. Ids are reserved MSG_ID_BLOCK at a time in the stored
   * session (read, raised, written back) before any is used, so no later client on the same
   * saved session — a one-shot CLI send, a restart — starts below an id already sent.
   */
  /** The next msg_id when one is reserved already (no promise); undefined when a block is due. */
  takeMsgId(): number | undefined {
    return this.#msgId < this.#msgIdCeiling ? ++this.#msgId : undefined;
  }

  async nextMsgId(): Promise<number> {
    while (this.#msgId >= this.#msgIdCeiling) {
      this.#reserving ??= this.#reserve().finally(() => {
        this.#reserving = undefined;
      });
      await this.#reserving;
    }
    return ++this.#msgId;
  }

  async #reserve(): Promise<void> {
    const stored = await this.credentials.load(this.account);
    const mine = stored !== undefined && stored.clientid === this.clientid;
    if (mine) this.adoptMsgId(stored.msgId);
    const ceiling = this.#msgId + MSG_ID_BLOCK;
    if (mine) await this.credentials.save(this.account, { ...stored, msgId: ceiling });
    if (this.session) this.session.msgId = ceiling;
    this.#msgIdCeiling = ceiling;
  }

  url(name: EndpointName): string {
    const e = WEBQQ_ENDPOINTS[name];
    const origin = this.o.hosts?.[e.host] ?? this.o.url ?? HOSTS[e.host];
    return origin.replace(/\/+$/, "") + e.path;
  }

  need(): WebQQSession {
    if (!this.session) throw new AuthError("not logged in", { platform: "webqq", code: "no_session" });
    return this.session;
  }

  /** `request` checked with the endpoint's schema: a ValidationError, nothing sent. */
  check<N extends EndpointName>(name: N, request: z.input<WebQQEndpoints[N]["request"]>): void {
    validateInput(WEBQQ_ENDPOINTS[name].request, request, { platform: "webqq", what: name });
  }

  /** clientid, psessionid and a time stamp, with `extra`, as the d.web2 GET calls want them. */
  ids(extra: Query = {}): Query {
    const s = this.need();
    return { ...extra, clientid: this.clientid, psessionid: s.psessionid, t: Date.now() };
  }

  #pollForm: { clientid: string; psessionid: string; form: URLSearchParams } | undefined;

  /**
   * poll2's form: the same for every poll of a session (clientid, psessionid, key 0, no ids), so
   * it is checked and encoded once per clientid + psessionid, not once per poll.
   */
  pollForm(): URLSearchParams {
    const s = this.need();
    const cached = this.#pollForm;
    if (cached && cached.clientid === this.clientid && cached.psessionid === s.psessionid) return cached.form;
    const r = { clientid: this.clientid, psessionid: s.psessionid, key: 0, ids: [] };
    this.check("poll2", r);
    const form = this.rForm(r);
    this.#pollForm = { clientid: this.clientid, psessionid: s.psessionid, form };
    return form;
  }

  /** `r=<json>` (with clientid + psessionid fields when `withIds`). */
  rForm(r: Record<string, unknown>, withIds = true): URLSearchParams {
    const p = new URLSearchParams();
    p.set("r", JSON.stringify(r));
    if (withIds) {
      const s = this.need();
      p.set("clientid", this.clientid);
      p.set("psessionid", s.psessionid);
    }
    return p;
  }

  async raw(name: EndpointName, o: RawOptions = {}): Promise<unknown> {
    return this.request(this.url(name), name, o);
  }

  /** A request to `url` (a URL the server handed out, or one of the table's). */
  async request(url: string, what: string, o: RawOptions & { redirect?: "manual" } = {}): Promise<unknown> {
    let res: HttpResponse<unknown>;
    try {
      // Absent options stay undefined: the helper reads undefined as "not given".
      res = await this.http.request({
        method: o.method ?? "GET",
        path: url,
        headers: o.referer ? { referer: o.referer } : {},
        query: o.query,
        form: o.form,
        body: o.body,
        responseType: o.type ?? "json",
        timeoutMs: o.timeoutMs || undefined,
        signal: o.signal,
        idempotent: o.idempotent,
        retries: o.retries,
        redirect: o.redirect,
      });
    } catch (err) {
      this.log.debug(
        { endpoint: what, error: err instanceof Error ? scrubUrl(err.message) : "" },
        "WebQQ request failed",
      );
      throw scrub(err);
    }
    if (o.redirect) return res;
    return res.data;
  }

  /** The `{retcode, …}` envelope of a call (retcode not checked). */
  async envelope(name: EndpointName, o: RawOptions = {}): Promise<Envelope> {
    const data = await this.raw(name, o);
    return readEnvelope(data) ?? parseResponse(Envelope, data, { platform: "webqq", what: name });
  }

  /** A `{retcode, result}` call; non-zero retcodes become typed errors, the result is parsed. */
  async api<N extends EndpointName>(
    name: N,
    o: RawOptions = {},
  ): Promise<z.output<WebQQEndpoints[N]["response"]>> {
    const env = await this.envelope(name, o);
    if (env.retcode !== 0) throw retcodeError(env.retcode, name);
    return parseResponse(WEBQQ_ENDPOINTS[name].response, env.result, {
      platform: "webqq",
      what: name,
    }) as z.output<WebQQEndpoints[N]["response"]>;
  }
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

/** A retcode → typed error (messages carry the code and endpoint only, never session values). */
export function retcodeError(retcode: number, what: string): SwitchboardError {
  const message = `${what}: retcode ${retcode} (${describeRetcode(retcode)})`;
  const o = { platform: "webqq" as const, code: retcode, details: { endpoint: what } };
  if (RELOGIN_RETCODES.has(retcode) || retcode === 100101 || retcode === 121 || retcode === 122)
    return new AuthError(message, o);
  if (retcode === Retcode.SEND_FAILED) return new ApiError(message, { ...o, retryable: true });
  return new ApiError(message, o);
}
