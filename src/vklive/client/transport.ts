/**
 * The DevAPI transport under VkLiveClient: calls go through the endpoint table (request checked
 * with its schema before anything is sent, response parsed with its schema), with user / app /
 * Basic authorization, token renewal after a 401 (single-flight, in TokenManager), 429 backoff
 * for POSTs (the HTTP layer retries GETs), and `{signal, timeoutMs}` on every call.
 */
import type { z } from "zod";
import { backoffDelay, sleep } from "../../core/backoff.js";
import type { CallOptions } from "../../core/call.js";
import { AbortError, ApiError, AuthError, RateLimitError } from "../../core/errors.js";
import { HttpClient, type HttpResponse, parseRetryAfter, type Query } from "../../core/http.js";
import type { Logger } from "../../core/log.js";
import { parseResponse, validateInput } from "../../core/validation.js";
import { ErrorBody, type ErrorCode, VKLIVE_ENDPOINTS, type VkLiveEndpointName } from "../protocol/index.js";
import { plainSendInput, readEmpty } from "./fast.js";
import { basicAuthHeader, type TokenManager } from "./oauth.js";

/** The response schema of the endpoints that answer `{}` (sendMessage's is the shared one). */
const EMPTY = VKLIVE_ENDPOINTS.sendMessage.response;

const AUTH_CODES = new Set(["unauthorized"]);

/** Maps an answer with `{error}` (or a bare error status) to the typed error family. */
export function mapVkError(res: HttpResponse<unknown>, method: string, url: string): Error | undefined {
  if (res.status < 400) return undefined;
  const body = ErrorBody.safeParse(res.data);
  const code = body.success ? body.data.error : `http_${res.status}`;
  const description = body.success ? body.data.error_description : undefined;
  const details = { method, url, status: res.status, error: code };
  const msg = `${method} ${url}: ${code}${description ? ` (${description})` : ""}`;
  if (res.status === 429 || code === "ratelimit_exceeded") {
    return new RateLimitError(msg, {
      platform: "vklive",
      code,
      details,
      retryAfterMs: parseRetryAfter(res.headers.get("retry-after")),
    });
  }
  if (res.status === 401 || AUTH_CODES.has(code))
    return new AuthError(msg, { platform: "vklive", code, details });
  const retryable = res.status >= 500 && res.status !== 501;
  return new ApiError(msg, { platform: "vklive", code, retryable, details });
}

/** Is `err` the DevAPI error `code`? (`isVkError(e, "send_too_fast")`) */
export function isVkError(err: unknown, code: ErrorCode): boolean {
  return (
    err instanceof Error &&
    "platform" in err &&
    (err as { platform: unknown }).platform === "vklive" &&
    (err as { code?: unknown }).code === code
  );
}

type Endpoints = typeof VKLIVE_ENDPOINTS;
/** The DevAPI endpoints (`/v1/*`). */
export type ApiName = {
  [K in VkLiveEndpointName]: Endpoints[K]["path"] extends `/v1/${string}` ? K : never;
}[VkLiveEndpointName];
type Part<T, Key extends string> = [T] extends [z.ZodUndefined]
  ? unknown
  : T extends z.ZodType
    ? { [P in Key]: z.input<T> }
    : unknown;
/** What a call of `name` takes: its query and / or body, as the table's schemas accept them. */
export type ApiInput<K extends ApiName> = Part<NonNullable<Endpoints[K]["query"]>, "query"> &
  Part<NonNullable<Endpoints[K]["body"]>, "body">;
/** The parsed answer of `name` (the whole body: `{data: …}` or, for `raw` entries, as it is). */
export type ApiOutput<K extends ApiName> = z.output<Endpoints[K]["response"]>;

export type AuthMode = "user" | "app" | "basic" | "none";

export interface TransportOptions {
  baseUrl: string;
  timeoutMs: number | undefined;
  retries: number;
  fetch: typeof fetch | undefined;
  logger: Logger | undefined;
  tokens: TokenManager;
  mode: () => AuthMode;
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** Aborted when the client closes: pending calls end. */
  closed: AbortSignal;
  /** Runs before the first call (loads stored credentials). */
  ready: () => Promise<void>;
}

export class VkLiveTransport {
  readonly http: HttpClient;
  readonly #o: TransportOptions;

  constructor(options: TransportOptions) {
    this.#o = options;
    this.http = new HttpClient({
      platform: "vklive",
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      fetch: options.fetch,
      logger: options.logger,
      mapResponse: (res, ctx) => mapVkError(res, ctx.method, ctx.url),
    });
  }

  /**
   * Calls the endpoint `name`: checks `input` with its request schema (ValidationError, nothing
   * sent), sends it, parses the answer with its response schema (ApiError `bad_response`).
   */
  async call<K extends ApiName>(
    name: K,
    input: ApiInput<K>,
    options: CallOptions = {},
  ): Promise<ApiOutput<K>> {
    const e = VKLIVE_ENDPOINTS[name];
    // A plain text send is checked by hand (never looser than the schema); the rest by zod.
    if (!(name === "sendMessage" && plainSendInput(input)))
      validateInput(e.request, input, { platform: "vklive", what: name });
    const { query, body } = input as { query?: Query; body?: unknown };
    const data = await this.#send(e.method, e.path, query, body, options);
    if (e.response === EMPTY) {
      const empty = readEmpty(data ?? {});
      if (empty) return empty as ApiOutput<K>;
    }
    return parseResponse(e.response, data ?? {}, {
      platform: "vklive",
      what: `${e.method} ${e.path}`,
    }) as ApiOutput<K>;
  }

  /** The Authorization of a Bearer call whose token needs no renewal, without a promise. */
  #currentAuth(): { header?: string; token?: string } | undefined {
    if (this.#o.mode() === "basic") return undefined;
    const token = this.#o.tokens.currentToken();
    if (token === undefined) return undefined;
    // One header string per token, not one per call.
    if (this.#auth?.token !== token) this.#auth = { header: `Bearer ${token}`, token };
    return this.#auth;
  }

  #auth: { header: string; token: string } | undefined;
  #ready = false;

  async #authHeader(): Promise<{ header?: string; token?: string }> {
    if (this.#o.mode() === "basic") {
      const { clientId, clientSecret } = this.#o;
      if (!clientId || !clientSecret)
        throw new AuthError("clientId and clientSecret are required", {
          platform: "vklive",
          code: "unauthorized",
        });
      return { header: basicAuthHeader(clientId, clientSecret) };
    }
    const token = await this.#o.tokens.accessToken();
    return token ? { header: `Bearer ${token}`, token } : {};
  }

  async #send(
    method: string,
    path: string,
    query: Query | undefined,
    body: unknown,
    options: CallOptions,
  ): Promise<unknown> {
    const signal = options.signal ? AbortSignal.any([options.signal, this.#o.closed]) : this.#o.closed;
    if (signal.aborted) throw new AbortError("vklive", signal.reason);
    if (!this.#ready) {
      await this.#o.ready();
      this.#ready = true;
    }
    const retries = Math.max(0, this.#o.retries);
    let renewed = false;
    for (let attempt = 1; ; attempt++) {
      const auth = this.#currentAuth() ?? (await this.#authHeader());
      try {
        const res = await this.http.request({
          method,
          path,
          query,
          json: body,
          headers: auth.header ? { authorization: auth.header } : {},
          signal,
          ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
          // POSTs are retried here only on 429 (not processed); the HTTP layer retries GETs.
          retries: method === "GET" ? retries : 0,
        });
        return res.data;
      } catch (err) {
        if (err instanceof AuthError && !renewed && this.#o.tokens.canRenew && this.#o.mode() !== "basic") {
          renewed = true;
          const next = await this.#o.tokens.afterUnauthorized(auth.token);
          if (next) continue;
        }
        if (err instanceof RateLimitError && method === "POST" && attempt <= retries) {
          await sleep(err.retryAfterMs ?? backoffDelay(attempt), signal, "vklive");
          continue;
        }
        throw err;
      }
    }
  }
}
