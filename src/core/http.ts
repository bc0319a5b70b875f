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
const linked = new WeakMap<AbortSignal, Set<AbortController>>();

/** Aborts `attempt` when `signal` aborts, until the returned function unlinks it. */
function linkAbort(signal: AbortSignal, attempt: AbortController): () => void {
  // Aborted while the attempt was being prepared: its abort event has fired already.
  if (signal.aborted) {
    attempt.abort(signal.reason);
    return () => {};
  }
  let set = linked.get(signal);
  if (!set) {
    const attempts = new Set<AbortController>();
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
 * fetch-based HTTP helper: base URL, default headers, JSON/form bodies, per-attempt timeout,
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
    const headers = new Headers(await this.#defaultHeaders());
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

    const timeoutMs = req.timeoutMs ?? this.#o.timeoutMs ?? 30_000;
    // One controller per attempt, aborted by the timer or by the caller's signal: a listener on
    // the caller's signal (removed when the attempt ends) instead of AbortSignal.any, which costs
    // ~17 µs and leaves a dependent signal on a long-lived one (a client's lifecycle) until GC.
    const timeout = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      timeout.abort();
    }, timeoutMs);
    const unlink = req.signal ? linkAbort(req.signal, timeout) : undefined;
    const signal = timeout.signal;
    const what = `${method} ${safeUrl}`;
    try {
      const res = await this.#fetch(url, { method, headers, body, signal, redirect: req.redirect });
      const data = await readBody(res, req.responseType ?? "json");
      const response: HttpResponse<unknown> = {
        status: res.status,
        headers: res.headers,
        url: redactUrl(res.url || url),
        data,
      };
      return this.#judge(response, what, { method, url: safeUrl, attempt });
    } catch (err) {
      if (req.signal?.aborted) throw abortedError(this.#platform, req.signal.reason);
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

async function readBody(res: Response, type: ResponseType): Promise<unknown> {
  if (type === "bytes") return new Uint8Array(await res.arrayBuffer());
  const text = await res.text();
  if (type === "text") return text;
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Lenient: error pages and text/plain bodies stay readable to the mapping hook.
    return text;
  }
}
