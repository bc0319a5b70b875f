import { type BackoffOptions, backoffDelay, sleep } from "./backoff.js";
import {
  ApiError,
  AuthError,
  abortedError,
  type Platform,
  RateLimitError,
  SwitchboardError,
  TimeoutError,
  TransportError,
} from "./errors.js";
import { type Abortable, type CookieHooks, type NodeBody, nodeBody, nodeRequest } from "./http-node.js";

export type { CookieHooks } from "./http-node.js";

import { type Logger, silentLogger } from "./log.js";
import { redactUrl } from "./redact.js";

export type QueryValue = string | number | boolean | null | undefined;
export type Query = Record<string, QueryValue | readonly QueryValue[]>;
export type ResponseType = "json" | "text" | "bytes";

export interface HttpRequest {
  method?: string;
  /** Relative to the base URL, or an absolute http(s) URL. */
  path: string;
  query?: Query;
  headers?: Record<string, string>;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, QueryValue> | URLSearchParams;
  /** Anything fetch accepts (FormData for multipart, bytes, string). */
  body?: RequestInit["body"];
  /** Per-attempt timeout (default: the client's). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Allows retries of POST/PATCH the caller knows are safe to repeat. */
  idempotent?: boolean;
  /** Overrides the client's retry count for this request. */
  retries?: number;
  /** Default "json": the body is parsed when it is JSON, kept as text otherwise. */
  responseType?: ResponseType;
  redirect?: RequestInit["redirect"];
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** Redacted final URL, safe to log. */
  url: string;
  /** JSON value (or the text when it isn't JSON), text, or bytes per `responseType`. */
  data: T;
}

export interface ResponseContext {
  method: string;
  /** Redacted. */
  url: string;
  attempt: number;
}

export interface HttpClientOptions {
  baseUrl?: string;
  /** Sent with every request; a function is called per attempt (fresh auth headers, cookies). */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  platform?: Platform;
  /** Per-attempt timeout, default 30 s. */
  timeoutMs?: number;
  /** Retries after the first attempt for retryable failures, default 2. */
  retries?: number;
  backoff?: BackoffOptions;
  /** Longest Retry-After we are willing to wait, default 60 s. */
  maxRetryAfterMs?: number;
  /** Statuses retried for idempotent requests, default 429, 502, 503, 504. */
  retryStatuses?: readonly number[];
  /** Also retry attempts that timed out (default true; long polls usually want false). */
  retryOnTimeout?: boolean;
  /**
   * Platform hook, called for every response before the default status mapping: return an
   * error (ApiError, AuthError, RateLimitError…) to fail with it, or undefined to go on.
   * A retryable SwitchboardError is retried like a retryable status.
   */
  mapResponse?: (response: HttpResponse<unknown>, context: ResponseContext) => Error | undefined;
  fetch?: typeof fetch;
  /**
   * A cookie jar: its Cookie header goes out with every request (every redirect hop on the
   * default transport; the first on an injected fetch) and every Set-Cookie comes back to it.
   */
  cookies?: CookieHooks;
  logger?: Logger;
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
const DEFAULT_RETRY_STATUSES = [429, 502, 503, 504] as const;

/** Seconds or an HTTP date → ms from now; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (v === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function appendQuery(url: string, query: Query | undefined): string {
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [key, raw] of Object.entries(query)) {
    const values = Array.isArray(raw) ? raw : [raw];
    for (const v of values as QueryValue[]) {
      if (v !== undefined && v !== null) params.append(key, String(v));
    }
  }
  const qs = params.toString();
  if (!qs) return url;
  return url + (url.includes("?") ? "&" : "?") + qs;
}

function formBody(form: Record<string, QueryValue> | URLSearchParams): URLSearchParams {
  if (form instanceof URLSearchParams) return form;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) if (v !== undefined && v !== null) params.append(k, String(v));
  return params;
}

/** Node's fetch wraps the real cause (ECONNREFUSED…) in a bare "fetch failed" TypeError. */
function networkReason(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause && typeof cause === "object") {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string") return code;
    // Refusals without an errno (undici's "bad port", invalid URLs) carry their reason as a message.
    if (cause instanceof Error && cause.message) return cause.message;
  }
  return err instanceof Error ? err.message || err.name : "network error";
}

/** The attempts in flight under each caller signal: one abort listener per signal, not per attempt. */
const linked = new WeakMap<AbortSignal, Set<Abortable>>();

/** Aborts `attempt` when `signal` aborts, until the returned function unlinks it. */
function linkAbort(signal: AbortSignal, attempt: Abortable): () => void {
  // Aborted while the attempt was being prepared: its abort event has fired already.
  if (signal.aborted) {
    attempt.abort(signal.reason);
    return () => {};
  }
  let set = linked.get(signal);
  if (!set) {
    const attempts = new Set<Abortable>();
    set = attempts;
    linked.set(signal, attempts);
    signal.addEventListener(
      "abort",
      () => {
        linked.delete(signal);
        for (const a of attempts) a.abort(signal.reason);
        attempts.clear();
      },
      { once: true },
    );
  }
  set.add(attempt);
  const attempts = set;
  return () => {
    attempts.delete(attempt);
  };
}

type Attempt =
  | { ok: true; response: HttpResponse<unknown> }
  | { ok: false; error: Error; retryable: boolean; retryAfterMs?: number };

/**
 * HTTP helper (node:http, or the injected fetch): base URL, default headers, JSON/form bodies, per-attempt timeout,
 * AbortSignal, retries with backoff + jitter (idempotent requests only), Retry-After, and
 * typed errors whose messages carry only redacted URLs.
 */
export class HttpClient {
  readonly #o: HttpClientOptions;
  readonly #platform: Platform;
  readonly #log: Logger;
  readonly #fetch: typeof fetch;

  constructor(options: HttpClientOptions = {}) {
    this.#o = options;
    this.#platform = options.platform ?? "core";
    this.#log = options.logger ?? silentLogger;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  get(path: string, options: Omit<HttpRequest, "path" | "method"> = {}): Promise<HttpResponse<unknown>> {
    return this.request({ ...options, path, method: "GET" });
  }

  post(path: string, options: Omit<HttpRequest, "path" | "method"> = {}): Promise<HttpResponse<unknown>> {
    return this.request({ ...options, path, method: "POST" });
  }

  /** The response data only. */
  async data(req: HttpRequest): Promise<unknown> {
    return (await this.request(req)).data;
  }

  resolveUrl(path: string, query?: Query): string {
    if (/^https?:\/\//i.test(path)) return appendQuery(path, query);
    const base = this.#o.baseUrl;
    if (!base) return appendQuery(path, query);
    return appendQuery(base.replace(/\/+$/, "") + "/" + path.replace(/^\/+/, ""), query);
  }

  async request(req: HttpRequest): Promise<HttpResponse<unknown>> {
    const method = (req.method ?? "GET").toUpperCase();
    const url = this.resolveUrl(req.path, req.query);
    const safeUrl = redactUrl(url);
    const canRetry = req.idempotent ?? IDEMPOTENT.has(method);
    const retries = canRetry ? Math.max(0, req.retries ?? this.#o.retries ?? 2) : 0;
    const maxRetryAfter = this.#o.maxRetryAfterMs ?? 60_000;
    for (let attempt = 1; ; attempt++) {
      if (req.signal?.aborted) throw abortedError(this.#platform, req.signal.reason);
      const result = await this.#attempt(req, method, url, safeUrl, attempt);
      if (result.ok) return result.response;
      if (!result.retryable || attempt > retries) throw result.error;
      const delay =
        result.retryAfterMs !== undefined
          ? Math.min(result.retryAfterMs, maxRetryAfter)
          : backoffDelay(attempt, this.#o.backoff);
      this.#log.debug(
        { method, url: safeUrl, attempt, delayMs: delay, error: result.error.message },
        "retrying request",
      );
      await sleep(delay, req.signal, this.#platform);
    }
  }

  async #attempt(
    req: HttpRequest,
    method: string,
    url: string,
    safeUrl: string,
    attempt: number,
  ): Promise<Attempt> {
    const defaults = await this.#defaultHeaders();
    const type = req.responseType ?? "json";
    const timeoutMs = req.timeoutMs ?? this.#o.timeoutMs ?? 30_000;
    // Without an injected fetch, node:http sends whatever it can (all but FormData/Blob/streams).
    const direct = this.#o.fetch === undefined ? directRequest(req, defaults) : undefined;
    // Each attempt is aborted by its timer or by the caller's signal: a listener on the caller's
    // signal (removed when the attempt ends) instead of AbortSignal.any, which costs ~17 µs and
    // leaves a dependent signal on a long-lived one (a client's lifecycle) until GC.
    let target: Abortable | undefined;
    let unlink: (() => void) | undefined;
    const start = (a: Abortable) => {
      target = a;
      if (req.signal) unlink = linkAbort(req.signal, a);
    };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      target?.abort();
    }, timeoutMs);
    const what = `${method} ${safeUrl}`;
    try {
      let response: HttpResponse<unknown>;
      if (direct) {
        const res = await nodeRequest(
          url,
          method,
          direct.headers,
          direct.body,
          req.redirect,
          start,
          this.#o.cookies,
        );
        response = {
          status: res.status,
          headers: res.headers,
          url: redactUrl(res.url),
          data: decode(res.body, type),
        };
      } else {
        const controller = new AbortController();
        start(controller);
        const init = fetchInit(req, defaults, method, controller.signal);
        const jar = this.#o.cookies;
        const cookie = jar ? await jar.header(url) : undefined;
        if (cookie) (init.headers as Headers).set("cookie", cookie);
        const res = await this.#fetch(url, init);
        const setCookie = jar ? res.headers.getSetCookie() : [];
        if (jar && setCookie.length > 0) await jar.store(res.url || url, setCookie);
        const data = await readBody(res, type);
        response = { status: res.status, headers: res.headers, url: redactUrl(res.url || url), data };
      }
      return this.#judge(response, what, { method, url: safeUrl, attempt });
    } catch (err) {
      if (req.signal?.aborted) throw abortedError(this.#platform, req.signal.reason);
      // Invalid headers fail at once, untyped and unretried, as `new Headers` makes them on fetch.
      if (!timedOut && isHeaderError(err)) throw err;
      if (timedOut) {
        return {
          ok: false,
          retryable: this.#o.retryOnTimeout !== false,
          error: new TimeoutError(`${what} timed out after ${timeoutMs} ms`, {
            platform: this.#platform,
            code: "timeout",
            details: { method, url: safeUrl, timeoutMs, attempt },
          }),
        };
      }
      const reason = networkReason(err);
      return {
        ok: false,
        retryable: true,
        error: new TransportError(`${what} failed: ${reason}`, {
          platform: this.#platform,
          code: reason,
          cause: err,
          details: { method, url: safeUrl, attempt },
        }),
      };
    } finally {
      clearTimeout(timer);
      unlink?.();
    }
  }

  #judge(response: HttpResponse<unknown>, what: string, ctx: ResponseContext): Attempt {
    const status = response.status;
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    const mapped = this.#o.mapResponse?.(response, ctx);
    if (mapped) {
      const retryable = mapped instanceof SwitchboardError && mapped.retryable;
      const after = mapped instanceof RateLimitError ? (mapped.retryAfterMs ?? retryAfterMs) : undefined;
      return { ok: false, error: mapped, retryable, retryAfterMs: after };
    }
    if (status < 400) return { ok: true, response };
    const details = { method: ctx.method, url: ctx.url, status, attempt: ctx.attempt };
    const base = { platform: this.#platform, code: status, details };
    const retryStatuses = this.#o.retryStatuses ?? DEFAULT_RETRY_STATUSES;
    const retryable = retryStatuses.includes(status);
    const msg =
      `${what} failed with HTTP ${status}` + (ctx.attempt > 1 ? ` after ${ctx.attempt} attempts` : "");
    if (status === 429) {
      return {
        ok: false,
        retryable,
        retryAfterMs,
        error: new RateLimitError(msg, { ...base, retryAfterMs }),
      };
    }
    if (retryable) {
      return {
        ok: false,
        retryable,
        retryAfterMs,
        error: new TransportError(msg, { ...base, details: { ...details, retryAfterMs } }),
      };
    }
    if (status === 401) return { ok: false, retryable: false, error: new AuthError(msg, base) };
    return { ok: false, retryable: false, error: new ApiError(msg, base) };
  }

  async #defaultHeaders(): Promise<Record<string, string>> {
    const h = this.#o.headers;
    if (!h) return {};
    return typeof h === "function" ? await h() : h;
  }
}

function isHeaderError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  // node:http's codes; `new Headers` throws a TypeError outside any fetch call.
  return (
    code === "ERR_INVALID_CHAR" ||
    code === "ERR_INVALID_HTTP_TOKEN" ||
    code === "ERR_HTTP_INVALID_HEADER_VALUE" ||
    (err instanceof TypeError &&
      err.message !== "fetch failed" &&
      err.cause === undefined &&
      /header/i.test(err.message))
  );
}

/** The fetch call of an attempt: defaults, then the request's headers, then the body. */
function fetchInit(
  req: HttpRequest,
  defaults: Record<string, string>,
  method: string,
  signal: AbortSignal,
): RequestInit {
  const headers = new Headers(defaults);
  for (const [k, v] of Object.entries(req.headers ?? {})) headers.set(k, v);
  let body: RequestInit["body"];
  if (req.json !== undefined) {
    body = JSON.stringify(req.json);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  } else if (req.form !== undefined) {
    body = formBody(req.form).toString();
    if (!headers.has("content-type")) headers.set("content-type", "application/x-www-form-urlencoded");
  } else {
    body = req.body;
  }
  return { method, headers, body, signal, redirect: req.redirect };
}

/**
 * The node:http form of a request: lower-case headers (fetch's defaults first, so they can be
 * overridden), the body; undefined when the body needs fetch.
 */
function directRequest(
  req: HttpRequest,
  defaults: Record<string, string>,
): { headers: Record<string, string>; body: NodeBody } | undefined {
  let body: NodeBody;
  let type: string | undefined;
  if (req.json !== undefined) {
    body = JSON.stringify(req.json);
    type = "application/json";
  } else if (req.form !== undefined) {
    body = formBody(req.form).toString();
    type = "application/x-www-form-urlencoded";
  } else {
    const b = nodeBody(req.body);
    if (!b) return undefined;
    body = b.body;
    type = b.type;
  }
  const headers: Record<string, string> = { ...FETCH_DEFAULTS };
  for (const k in defaults) headers[k.toLowerCase()] = defaults[k] as string;
  if (req.headers) for (const k in req.headers) headers[k.toLowerCase()] = req.headers[k] as string;
  if (type !== undefined && headers["content-type"] === undefined) headers["content-type"] = type;
  return { headers, body };
}

/** What undici's fetch sends unless told otherwise. */
const FETCH_DEFAULTS: Readonly<Record<string, string>> = {
  accept: "*/*",
  "accept-language": "*",
  "sec-fetch-mode": "cors",
  "user-agent": "node",
  "accept-encoding": "gzip, deflate",
};

function decode(body: Buffer, type: ResponseType): unknown {
  if (type === "bytes") return new Uint8Array(body);
  // Like Response.text(): UTF-8, a leading BOM dropped.
  let text = body.toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (type === "text") return text;
  return parseLenient(text);
}

function parseLenient(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Lenient: error pages and text/plain bodies stay readable to the mapping hook.
    return text;
  }
}

async function readBody(res: Response, type: ResponseType): Promise<unknown> {
  if (type === "bytes") return new Uint8Array(await res.arrayBuffer());
  const text = await res.text();
  if (type === "text") return text;
  return parseLenient(text);
}
