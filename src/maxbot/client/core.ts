/**
 * The HTTP core every MaxBotClient method goes through: one generic `call(endpoint, input,
 * options)` over the endpoint table (ValidationError before sending, `{code, message}` error
 * bodies mapped to typed errors, the answer parsed with the endpoint's response schema).
 * The token travels only in the `Authorization` header and never reaches a log or an error.
 */
import type { z } from "zod";
import { backoffDelay, sleep } from "../../core/backoff.js";
import type { CallOptions } from "../../core/call.js";
import { fillPath } from "../../core/endpoint.js";
import {
  ApiError,
  AuthError,
  type Platform,
  RateLimitError,
  TransportError,
  ValidationError,
} from "../../core/errors.js";
import { HttpClient, type HttpResponse, parseRetryAfter, type Query } from "../../core/http.js";
import { type Logger, silentLogger } from "../../core/log.js";
import { parseResponse, validateInput } from "../../core/validation.js";
import { ERROR_CODES, ErrorBody, type MaxBotEndpoint } from "../protocol.js";

/** Errors of this client name the platform "maxbot". */
export const PLATFORM: Platform = "maxbot";

/** Path parameters of an endpoint: `/chats/:chatId/pin` → `{ chatId }`. */
type PathParams<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? { [K in Name]: string | number } & PathParams<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? { [K in Name]: string | number }
    : Record<never, never>;

/** An endpoint of the table as `call` takes it (`query` may be present and undefined). */
export type MaxBotCallable = Omit<MaxBotEndpoint, "query"> & { query?: z.ZodType | undefined };

/** What `call(endpoint, …)` takes: path parameters, the query or body, the query of a body call. */
export type MaxBotInput<E extends MaxBotCallable> = {
  params?: PathParams<E["path"]>;
  input?: z.input<E["request"]>;
  query?: E["query"] extends z.ZodType ? z.input<E["query"]> : never;
};
export type MaxBotOutput<E extends MaxBotCallable> = z.output<E["response"]>;

/** The last argument of MaxBotClient calls. */
export interface MaxBotCallOptions extends CallOptions {
  /** Allows retries of a POST the caller knows is safe to repeat. */
  idempotent?: boolean;
  /** Retries after the first attempt (default: the client's). */
  retries?: number;
}

/** Where the core gets its base URL, token and lifecycle from (the client). */
export interface MaxBotTransport {
  url: string;
  timeoutMs?: number;
  retries?: number;
  fetch?: typeof fetch;
  logger?: Logger;
  token(): string | undefined;
  /** Aborted when the client closes: in-flight calls fail. */
  closed(): AbortSignal;
}

/** Query values as the wire carries them: lists comma-separated, undefined and null dropped. */
export function wireQuery(input: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (input === null || typeof input !== "object") return out;
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined || v === null) continue;
    out[k] = Array.isArray(v) ? v.map(String).join(",") : String(v);
  }
  return out;
}

const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);

/** A Bot API error body (or a bare status) → the typed error; undefined for a success. */
export function mapBotError(res: HttpResponse<unknown>, method: string, path: string): Error | undefined {
  const what = `MAX Bot API ${method} ${path}`;
  if (res.status < 400) {
    // A write that answers 200 `{success: false, message}` did not happen.
    const data = res.data as { success?: unknown; message?: unknown } | undefined;
    if (data && typeof data === "object" && data.success === false)
      return new ApiError(`${what}: ${typeof data.message === "string" ? data.message : "failed"}`, {
        platform: PLATFORM,
        code: "operation.failed",
        details: { method, path, status: res.status },
      });
    return undefined;
  }
  const body = ErrorBody.safeParse(res.data);
  const code = body.success ? body.data.code : `http.${res.status}`;
  const serverMessage = body.success ? body.data.message : undefined;
  const message = `${what} failed (${res.status} ${code})${serverMessage ? `: ${serverMessage}` : ""}`;
  const opts = {
    platform: PLATFORM,
    code,
    retryable: RETRYABLE_STATUSES.has(res.status),
    details: { method, path, status: res.status },
  };
  if (res.status === 429 || code === ERROR_CODES.tooMany) {
    const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
    return new RateLimitError(message, { ...opts, retryable: true, retryAfterMs });
  }
  if (res.status === 401 || code === ERROR_CODES.verifyToken) return new AuthError(message, opts);
  if (res.status >= 500) return new TransportError(message, opts);
  return new ApiError(message, opts);
}

export class MaxBotCore {
  readonly #http: HttpClient;
  /** For upload URLs: no Authorization header (the token is never sent to the upload host). */
  readonly #bare: HttpClient;
  readonly #transport: MaxBotTransport;
  readonly #retries: number;
  readonly log: Logger;

  constructor(transport: MaxBotTransport) {
    this.#transport = transport;
    this.#retries = transport.retries ?? 3;
    this.log = transport.logger ?? silentLogger;
    this.#http = new HttpClient({
      baseUrl: transport.url,
      platform: PLATFORM,
      timeoutMs: transport.timeoutMs,
      retries: this.#retries,
      fetch: transport.fetch,
      logger: transport.logger,
      headers: (): Record<string, string> => {
        const token = transport.token();
        return token === undefined ? {} : { authorization: token };
      },
      mapResponse: (res, ctx) => mapBotError(res, ctx.method, new URL(ctx.url, "http://x").pathname),
    });
    this.#bare = new HttpClient({
      platform: PLATFORM,
      timeoutMs: transport.timeoutMs,
      retries: 0,
      fetch: transport.fetch,
      logger: transport.logger,
      mapResponse: (res, ctx) => mapBotError(res, ctx.method, "upload"),
    });
  }

  /** The base URL this client talks to. */
  get url(): string {
    return this.#transport.url;
  }

  /** Calls `endpoint` and answers its success body, parsed with the endpoint's response schema. */
  async call<E extends MaxBotCallable>(
    endpoint: E,
    args: MaxBotInput<E> = {},
    options: MaxBotCallOptions = {},
  ): Promise<MaxBotOutput<E>> {
    const what = `${endpoint.method} ${endpoint.path}`;
    let query: Query | undefined;
    let json: unknown;
    const input = args.input ?? {};
    if (endpoint.in === "query") {
      validateInput(endpoint.request, input, { platform: PLATFORM, what });
      query = wireQuery(input);
    } else {
      json = validateInput(endpoint.request, input, { platform: PLATFORM, what });
      if (endpoint.query) {
        validateInput(endpoint.query, args.query ?? {}, { platform: PLATFORM, what: `${what} (query)` });
        query = wireQuery(args.query);
      }
    }
    let path: string;
    try {
      path = fillPath(endpoint.path, (args.params ?? {}) as Record<string, string | number>);
    } catch (err) {
      throw new ValidationError(`${what}: ${(err as Error).message}`, {
        platform: PLATFORM,
        code: "invalid_input",
      });
    }
    const closed = this.#transport.closed();
    if (closed.aborted)
      throw new TransportError("MAX Bot API client is closed", {
        platform: PLATFORM,
        code: "closed",
        retryable: false,
      });
    // One signal per call: waits (backoff sleeps) listen on it, never on the shared `closed`.
    const signal = AbortSignal.any(options.signal ? [options.signal, closed] : [closed]);
    const retries = options.retries ?? this.#retries;
    const idempotent = options.idempotent ?? endpoint.method !== "POST";
    // A 429 refused the request before anything happened: safe to retry even for a POST.
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.#http.request({
          method: endpoint.method,
          path,
          query,
          json,
          idempotent,
          retries: idempotent ? retries : 0,
          signal,
          timeoutMs: options.timeoutMs,
        });
        return parseResponse(endpoint.response, res.data, {
          platform: PLATFORM,
          what: `MAX Bot API ${what}`,
        }) as MaxBotOutput<E>;
      } catch (err) {
        if (idempotent || !(err instanceof RateLimitError) || attempt > retries) throw err;
        await sleep(err.retryAfterMs ?? backoffDelay(attempt, { baseMs: 1000 }), signal, PLATFORM);
      }
    }
  }

  /** A raw request to an absolute URL (the upload URL handed out by `POST /uploads`). */
  async rawRequest(
    url: string,
    init: { method: string; body: RequestInit["body"]; headers?: Record<string, string> },
    options: CallOptions = {},
  ): Promise<unknown> {
    const closed = this.#transport.closed();
    const signal = AbortSignal.any(options.signal ? [options.signal, closed] : [closed]);
    const res = await this.#bare.request({
      method: init.method,
      path: url,
      body: init.body,
      headers: init.headers,
      idempotent: false,
      retries: 0,
      signal,
      timeoutMs: options.timeoutMs,
    });
    return res.data;
  }
}
