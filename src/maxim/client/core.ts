/**
 * The HTTP core every MaxImClient method goes through: one generic `call(endpoint, input,
 * options)` over the endpoint table (ValidationError before sending, the envelope's `code`
 * mapped to typed errors, `data` parsed with the endpoint's response schema), plus paging.
 */
import type { z } from "zod";
import type { CallOptions } from "../../core/call.js";
import { ApiError, AuthError, TransportError, ValidationError } from "../../core/errors.js";
import { HttpClient, type HttpResponse, type Query } from "../../core/http.js";
import { type Logger, silentLogger } from "../../core/log.js";
import { parseResponse, validateInput } from "../../core/validation.js";
import {
  AUTH_ERROR_CODES,
  describeError,
  Envelope,
  Header,
  type MaxImEndpoint,
  MaxImEndpoints,
  MessageSendBody,
  SUCCESS,
} from "../protocol.js";
import { plainSendBody, readEnvelope } from "./fast.js";

/** The response schema of endpoints answering a boolean (`z.boolean()`, shared by the table). */
const OK = MaxImEndpoints.sendMessage.response;

/** Retried with backoff for idempotent calls: the server's transient database error. */
const RETRYABLE_CODES = new Set([20000]);

/** What a query endpoint takes: its wire fields, numbers and booleans written for you. */
type QueryInput<T> = { [K in keyof T]: T[K] | number | boolean };
/** The input of `call(endpoint, input)`: the query's or the body's fields. */
export type MaxImInput<E extends MaxImEndpoint> = E["in"] extends "query"
  ? QueryInput<z.input<E["request"]>>
  : z.input<E["request"]>;
export type MaxImOutput<E extends MaxImEndpoint> = z.output<E["response"]>;

/** The last argument of MaxImClient calls. */
export interface MaxImCallOptions extends CallOptions {
  /** Query parameters of a body endpoint that takes some (paging of `/group/application_list`). */
  query?: Query;
  /** Allows retries of a POST/PUT the caller knows is safe to repeat. */
  idempotent?: boolean;
}

/** One page of a cursor-paged endpoint. */
export interface MaxImPage<T> {
  data: T;
  /** Absent on the last page. */
  cursor: string | undefined;
  version: number | null | undefined;
}

/** Where the core gets its base URL, headers and lifecycle from (the client). */
export interface MaxImTransport {
  url: string;
  timeoutMs?: number;
  retries?: number;
  fetch?: typeof fetch;
  logger?: Logger;
  headers(): Record<string, string> | Promise<Record<string, string>>;
  /** Aborted when the client closes: in-flight calls fail. */
  closed(): AbortSignal;
}

/** Query values as the wire carries them (text); undefined and null dropped. */
export function wireQuery(input: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (input === null || typeof input !== "object") return out;
  for (const [k, v] of Object.entries(input)) if (v !== undefined && v !== null) out[k] = String(v);
  return out;
}

/**
 * `validateInput` with MaxIM's own code for a bad parameter (10002), so a ValidationError
 * before sending and the server's answer to the same input carry the same code.
 */
export function validateMaxIm<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  try {
    return validateInput(schema, value, { platform: "maxim", what });
  } catch (err) {
    if (err instanceof ValidationError)
      throw new ValidationError(err.message, { platform: "maxim", code: 10002, issues: err.issues });
    throw err;
  }
}

function mapError(res: HttpResponse<unknown>, method: string, url: string): Error | undefined {
  const env = readEnvelope(res.data);
  if (!env) {
    if (res.status >= 400) return undefined; // default HTTP status mapping
    return new ApiError(`MaxIM ${method} ${url}: response is not a MaxIM envelope`, {
      platform: "maxim",
      code: "bad_response",
      details: { method, url, status: res.status },
    });
  }
  const code = env.code;
  if (code === SUCCESS) return undefined;
  const message = `MaxIM ${code}: ${describeError(code)}`;
  const opts = {
    platform: "maxim" as const,
    code,
    retryable: RETRYABLE_CODES.has(code),
    details: { method, url, status: res.status, serverMessage: env.message ?? null },
  };
  return AUTH_ERROR_CODES.includes(code) ? new AuthError(message, opts) : new ApiError(message, opts);
}

export class MaxImCore {
  readonly #http: HttpClient;
  readonly #transport: MaxImTransport;
  protected readonly log: Logger;

  constructor(transport: MaxImTransport) {
    this.#transport = transport;
    this.log = transport.logger ?? silentLogger;
    this.#http = new HttpClient({
      baseUrl: transport.url,
      platform: "maxim",
      timeoutMs: transport.timeoutMs,
      retries: transport.retries,
      fetch: transport.fetch,
      logger: transport.logger,
      headers: () => transport.headers(),
      mapResponse: (res, ctx) => mapError(res, ctx.method, ctx.url),
    });
  }

  /** The envelope of one request to `endpoint` (validated before sending). */
  async envelope<E extends MaxImEndpoint>(
    endpoint: E,
    input: MaxImInput<E>,
    options: MaxImCallOptions = {},
  ): Promise<Envelope> {
    const what = `${endpoint.method} ${endpoint.path}`;
    let query: Query | undefined;
    let json: unknown;
    if (endpoint.in === "query") {
      const wire = wireQuery(input);
      validateMaxIm(endpoint.request, wire, what);
      query = wire;
    } else {
      // A plain text send is checked by hand (never looser than the schema); the rest by zod.
      json =
        (endpoint.request === MessageSendBody ? plainSendBody(input) : undefined) ??
        validateMaxIm(endpoint.request, input, what);
      if (options.query) {
        const wire = wireQuery(options.query);
        if (endpoint.query) validateMaxIm(endpoint.query, wire, `${what} (query)`);
        query = wire;
      }
    }
    const closed = this.#transport.closed();
    if (closed.aborted)
      throw new TransportError("MaxIM client is closed", {
        platform: "maxim",
        code: "closed",
        retryable: false,
      });
    const signal = options.signal ? AbortSignal.any([options.signal, closed]) : closed;
    const res = await this.#http.request({
      method: endpoint.method,
      path: endpoint.path,
      query,
      json,
      idempotent: options.idempotent,
      signal,
      timeoutMs: options.timeoutMs,
    });
    return readEnvelope(res.data) ?? parseResponse(Envelope, res.data, { platform: "maxim", what });
  }

  /** Calls `endpoint` and answers its `data`, parsed with the endpoint's response schema. */
  async call<E extends MaxImEndpoint>(
    endpoint: E,
    input: MaxImInput<E>,
    options: MaxImCallOptions = {},
  ): Promise<MaxImOutput<E>> {
    const env = await this.envelope(endpoint, input, options);
    // `true`/`false` answers (a send's) need no schema pass.
    if (endpoint.response === OK && typeof env.data === "boolean") return env.data as MaxImOutput<E>;
    return parseResponse(endpoint.response, env.data, {
      platform: "maxim",
      what: `MaxIM ${endpoint.method} ${endpoint.path}`,
    }) as MaxImOutput<E>;
  }

  /** One page of a paged endpoint: its `data` and the envelope's `cursor`/`version`. */
  async page<E extends MaxImEndpoint>(
    endpoint: E,
    input: MaxImInput<E>,
    options: MaxImCallOptions = {},
  ): Promise<MaxImPage<MaxImOutput<E>>> {
    const env = await this.envelope(endpoint, input, options);
    const data = parseResponse(endpoint.response, env.data ?? [], {
      platform: "maxim",
      what: `MaxIM ${endpoint.method} ${endpoint.path}`,
    });
    return { data: data as MaxImOutput<E>, cursor: env.cursor ?? undefined, version: env.version };
  }

  /** Every item of a cursor-paged list endpoint, page by page. */
  async *pages<E extends MaxImEndpoint>(
    endpoint: E,
    input: MaxImInput<E>,
    options: MaxImCallOptions = {},
  ): AsyncGenerator<MaxImOutput<E> extends readonly (infer T)[] ? T : never> {
    let cursor: string | undefined;
    do {
      const page =
        endpoint.in === "query"
          ? await this.page(endpoint, { ...(input as object), cursor } as MaxImInput<E>, {
              ...options,
              idempotent: true,
            })
          : await this.page(endpoint, input, {
              ...options,
              query: { ...options.query, cursor },
              idempotent: true,
            });
      for (const row of page.data as unknown[]) yield row as never;
      cursor = page.cursor;
    } while (cursor);
  }
}

export { Header };
