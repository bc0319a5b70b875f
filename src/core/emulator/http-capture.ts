import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ConsoleSink } from "./console.js";

/**
 * Capture of an HTTP emulator's exchanges for the console's inspector (MaxIM, WebQQ, VK Live):
 * hooks on the emulator's Fastify app that call the provider's record functions only while
 * the console captures. What a record says and what it masks stays with each provider.
 */

/** Bodies larger than this are cut in the inspector (the wire still carries all of it). */
export const BODY_PREVIEW = 16 * 1024;

export interface HttpCaptureOptions {
  /** Whether traffic is captured now (read per request: the console turns it on and off). */
  capturing(): boolean;
  /** Every answer, captured or not: the few requests the provider reacts to (cheap checks only). */
  watch?(req: FastifyRequest, reply: FastifyReply, payload: unknown): void;
  /**
   * The `in` record, written in preHandler (the request as the handler gets it); a request that
   * never gets there (404, a fault's answer …) gets it in onSend, just before `record`.
   * Without it, `record` writes both records.
   */
  recordIn?(req: FastifyRequest): void;
  /** The records of an answered request (its `out` record only, with `recordIn`). */
  record(req: FastifyRequest, reply: FastifyReply, payload: unknown): void;
}

/**
 * Installs the capture hooks. Must run before the app listens (Fastify takes hooks only until
 * then). Callback style: no promise per request while nobody captures; an error of the
 * inspector never reaches the emulator's answer.
 */
export function captureHttpTraffic(app: FastifyInstance, options: HttpCaptureOptions): void {
  const { capturing, watch, recordIn, record } = options;
  const recorded = new WeakSet<FastifyRequest>();
  if (recordIn) {
    app.addHook("preHandler", (req, _reply, done) => {
      try {
        if (capturing()) {
          recordIn(req);
          recorded.add(req);
        }
      } catch {
        // The inspector must never break the emulator.
      }
      done();
    });
  }
  app.addHook("onSend", (req, reply, payload, done) => {
    try {
      watch?.(req, reply, payload);
      if (capturing()) {
        if (recordIn && !recorded.has(req)) recordIn(req);
        record(req, reply, payload);
      }
    } catch {
      // The inspector must never break the emulator's answer.
    }
    done(null, payload);
  });
}

/** A payload as text: a string as it is, a Buffer as UTF-8, anything else (a stream …) as `other`. */
export function payloadText(payload: unknown, other = ""): string {
  return typeof payload === "string" ? payload : Buffer.isBuffer(payload) ? payload.toString("utf8") : other;
}

/** A body for the inspector: its JSON with `mask` applied, or else the text cut to BODY_PREVIEW. */
export function previewBody(text: string, mask: (value: unknown) => unknown): unknown {
  let out: unknown = text.slice(0, BODY_PREVIEW);
  try {
    out = mask(JSON.parse(text));
  } catch {
    // Not JSON: shown as text.
  }
  return out;
}

/** One request/response exchange, as a provider describes it (secrets already masked). */
export interface HttpExchange {
  platform: string;
  req: FastifyRequest;
  reply: FastifyReply;
  /** The request's path and query, masked. */
  path: string;
  account?: string | undefined;
  /** The `in` record's payload (headers and body). */
  request: unknown;
  /** The answer as sent: its size in bytes is the `out` record's size. */
  text: string;
  /** The `out` record's payload. */
  response: unknown;
  /** The `out` record's summary (default: `<status> <path>`). */
  summary?: string;
}

/** Writes the `in` and `out` records of an answered request, with one time and account. */
export function recordExchange(sink: ConsoleSink, x: HttpExchange): void {
  const { req, reply, path } = x;
  const base = {
    platform: x.platform,
    time: Date.now(),
    method: req.method,
    path,
    ...(x.account !== undefined ? { account: x.account } : {}),
  };
  sink.traffic({
    ...base,
    dir: "in",
    size: Number(req.headers["content-length"] ?? 0) || 0,
    summary: `${req.method} ${path}`,
    payload: x.request,
  });
  sink.traffic({
    ...base,
    dir: "out",
    size: Buffer.byteLength(x.text),
    status: reply.statusCode,
    summary: x.summary ?? `${reply.statusCode} ${path}`,
    payload: x.response,
  });
}
