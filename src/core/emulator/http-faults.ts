// Slightly over 500 lines: one fault layer (rules, matching, answers, admin and console forms) shared by three platforms.
import type { IncomingMessage } from "node:http";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { issuesText } from "../validation.js";
import { ConsoleError, type ConsoleSink, type FaultAction, type FaultField } from "./console.js";

/**
 * Network trouble for the sandbox's HTTP emulators (MaxIM, WebQQ, VK Live), done once: Fastify
 * hooks on the emulator's app that delay requests, answer the next N with a platform-shaped
 * error, rate-limit, or drop the connection (the socket is destroyed, no answer). Each platform
 * brings a profile: the shape of its errors, which requests count, and how to tell the account a
 * request is made as (where that is cheap). The admin API (`POST /_sandbox/<platform>/faults/http`)
 * and the console providers both go through {@link HttpFaults.apply}.
 */

/** What a failed request answers. */
export interface HttpAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** 4xx for the caller (bad fault body). */
export class HttpFaultError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A parsed `fail` body: the shared fields and the platform's. */
export type FailInput = Record<string, unknown> & { path?: string; account?: string; times: number };

export interface HttpFaultProfile {
  platform: "maxim" | "webqq" | "vklive";
  title: string;
  /** Whether fail / rate-limit / drop rules may touch this request (delays touch every request). */
  applies?(path: string, req: FastifyRequest): boolean;
  /** The account a request is made as, when cheap to tell; compared with a rule's `account` as text. */
  account?(req: FastifyRequest): string | undefined;
  /** Who a rate-limit window belongs to (default: the account, else the client address). */
  rateKey?(req: FastifyRequest): string;
  /** The platform's fields of a `fail` body (merged into the shared schema). */
  failFields: z.ZodRawShape;
  /** Turns a parsed `fail` body into the answer; `native` when the emulator's own fault took it. */
  failAnswer(body: FailInput): HttpAnswer | { native: string };
  /** The platform's fields of a `rate-limit` body. */
  rateFields?: z.ZodRawShape;
  /** The answer of a rate-limited request. */
  rateLimited(retryAfterSec: number, body: Record<string, unknown>): HttpAnswer;
  /** Drops connections kept outside HTTP requests (VK Live's Centrifugo); returns how many. */
  dropOther?(account: string | undefined): number;
  /** Clears the emulator's own faults too (those a `fail` may have put there). */
  clearNative?(): void;
  /** Says what the rate-limit answer is, for notices. */
  rateNote: string;
}

interface Match {
  path?: string;
  account?: string;
}
interface FailRule extends Match {
  remaining: number;
  answer: HttpAnswer;
  note: string;
}
interface DelayRule extends Match {
  ms: number;
  until: number;
}
interface RateRule extends Match {
  limit: number;
  windowMs: number;
  until: number;
  extra: Record<string, unknown>;
  windows: Map<string, { start: number; count: number }>;
}
interface DropRule extends Match {
  remaining: number;
}

/** One row of the faults in force (console tables). */
export interface HttpFaultRow {
  fault: "delay" | "fail" | "ratelimit" | "drop";
  detail: string;
  remaining?: number;
  until?: number;
}

export const Num = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const Path = z.string().startsWith("/", "path must start with /").max(256);
const Account = z
  .union([z.string().trim().min(1).max(64), z.number().int()])
  .transform((v) => String(v))
  .optional();
const Where = { path: Path.optional(), account: Account };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const installed = new WeakMap<FastifyInstance, HttpFaults>();

/**
 * The fault layer of one emulator app. {@link installHttpFaults} adds its hooks; it must run
 * before the app listens (Fastify takes hooks only until then).
 */
export class HttpFaults {
  private fails: FailRule[] = [];
  private delays: DelayRule[] = [];
  private rates: RateRule[] = [];
  private drops: DropRule[] = [];
  /** Requests being answered (held long polls among them): what `drop` cuts right away. */
  private readonly inFlight = new Set<FastifyRequest>();
  private readonly schema: z.ZodType;

  constructor(readonly profile: HttpFaultProfile) {
    this.schema = z.discriminatedUnion("action", [
      z.object({
        action: z.literal("delay"),
        ms: Num(0, 60_000),
        durationMs: Num(1, 3_600_000).default(60_000),
        ...Where,
      }),
      z.object({
        action: z.literal("fail"),
        times: Num(1, 10_000).default(1),
        ...Where,
        ...profile.failFields,
      }),
      z.object({
        action: z.enum(["rate-limit", "ratelimit"]),
        limit: Num(0, 100_000),
        windowMs: Num(1, 3_600_000).default(1000),
        durationMs: Num(1, 3_600_000).default(60_000),
        ...Where,
        ...(profile.rateFields ?? {}),
      }),
      z.object({ action: z.literal("drop"), times: Num(0, 10_000).default(1), ...Where }),
      z.object({ action: z.literal("clear") }),
    ]);
  }

  /** Adds the hooks to `app`. */
  install(app: FastifyInstance): void {
    app.addHook("onRequest", async (req, reply) => {
      this.inFlight.add(req);
      reply.raw.once("close", () => this.inFlight.delete(req));
      if (this.fails.length || this.delays.length || this.rates.length || this.drops.length)
        return this.onRequest(req, reply);
    });
  }

  /** Whether any fault is in force. */
  active(): boolean {
    this.expire();
    return this.fails.length + this.delays.length + this.rates.length + this.drops.length > 0;
  }

  delay(ms: number, durationMs: number, match: Match = {}): void {
    this.delays.push({ ms, until: Date.now() + durationMs, ...clean(match) });
  }

  fail(times: number, answer: HttpAnswer, match: Match = {}, note = `HTTP ${answer.status}`): void {
    this.fails.push({ remaining: times, answer, note, ...clean(match) });
  }

  rateLimit(
    limit: number,
    windowMs: number,
    durationMs: number,
    match: Match = {},
    extra: Record<string, unknown> = {},
  ): void {
    this.rates.push({
      limit,
      windowMs,
      until: Date.now() + durationMs,
      extra,
      windows: new Map(),
      ...clean(match),
    });
  }

  /**
   * Destroys the sockets of the matching requests being answered now (held long polls), and of the
   * next `times` matching requests; plus the platform's other connections (VK Live's Centrifugo).
   * Returns how many connections were cut right away.
   */
  drop(times: number, match: Match = {}): number {
    const m = clean(match);
    let n = 0;
    for (const req of [...this.inFlight]) {
      if (!this.matches(req, m, pathOf(req))) continue;
      this.inFlight.delete(req);
      destroy(req.raw);
      n++;
    }
    if (times > 0) this.drops.push({ remaining: times, ...m });
    // Path-limited drops leave the platform's other connections alone unless the path names them.
    const other = m.path === undefined || m.path.startsWith("/connection");
    return n + (other ? (this.profile.dropOther?.(m.account) ?? 0) : 0);
  }

  clear(): void {
    this.fails = [];
    this.delays = [];
    this.rates = [];
    this.drops = [];
  }

  rows(): HttpFaultRow[] {
    this.expire();
    const where = (m: Match) =>
      `${m.path ? ` on ${m.path}` : ""}${m.account !== undefined ? ` for ${m.account}` : ""}`;
    return [
      ...this.fails.map((f) => ({
        fault: "fail" as const,
        detail: `${f.note}${where(f)}`,
        remaining: f.remaining,
      })),
      ...this.delays.map((d) => ({
        fault: "delay" as const,
        detail: `${d.ms} ms${where(d)}`,
        until: d.until,
      })),
      ...this.rates.map((r) => ({
        fault: "ratelimit" as const,
        detail: `${r.limit} per ${r.windowMs} ms${where(r)}`,
        until: r.until,
      })),
      ...this.drops.map((d) => ({
        fault: "drop" as const,
        detail: `next requests${where(d)}`,
        remaining: d.remaining,
      })),
    ];
  }

  /**
   * Applies a fault body (`{action: delay|fail|rate-limit|drop|clear, …}`, see docs/sandbox.md);
   * the admin API and the console call this. Throws {@link HttpFaultError} on a bad body.
   */
  apply(input: unknown): { result: Record<string, unknown>; notice: string } {
    const cleaned =
      input && typeof input === "object" && !Array.isArray(input)
        ? Object.fromEntries(Object.entries(input).filter(([, v]) => v !== "" && v !== null))
        : input;
    const parsed = this.schema.safeParse(cleaned ?? {});
    if (!parsed.success) throw new HttpFaultError(400, issuesText(parsed.error));
    const body = parsed.data as Record<string, unknown> & { action: string } & Match;
    const title = this.profile.title;
    const match: Match = { path: body.path, account: body.account };
    const where = `${body.path ? ` to ${body.path}` : ""}${body.account !== undefined ? ` of ${body.account}` : ""}`;
    switch (body.action) {
      case "delay": {
        const b = body as unknown as { ms: number; durationMs: number };
        this.delay(b.ms, b.durationMs, match);
        return {
          result: { ok: true },
          notice: `${title} requests${where} delayed ${b.ms} ms for ${b.durationMs} ms`,
        };
      }
      case "fail": {
        const times = body.times as number;
        const answer = this.profile.failAnswer(body as unknown as FailInput);
        if ("native" in answer) {
          return {
            result: { ok: true },
            notice: `next ${times} ${title} request(s)${where} answer ${answer.native}`,
          };
        }
        const note = `HTTP ${answer.status} ${JSON.stringify(answer.body)}`;
        this.fail(times, answer, match, note);
        return { result: { ok: true }, notice: `next ${times} ${title} request(s)${where} answer ${note}` };
      }
      case "rate-limit":
      case "ratelimit": {
        const { limit, windowMs, durationMs, ...extra } = body as unknown as {
          limit: number;
          windowMs: number;
          durationMs: number;
        } & Record<string, unknown>;
        for (const k of ["action", "path", "account"]) delete extra[k];
        this.rateLimit(limit, windowMs, durationMs, match, extra);
        return {
          result: { ok: true },
          notice: `${title} rate limit${where}: ${limit} request(s) per ${windowMs} ms for ${durationMs} ms (then ${this.profile.rateNote})`,
        };
      }
      case "drop": {
        const dropped = this.drop(body.times as number, match);
        return {
          result: { ok: true, dropped },
          notice: `dropped ${dropped} ${title} connection(s)${where}; the next ${body.times as number} request(s) are cut too`,
        };
      }
      default:
        this.clear();
        this.profile.clearNative?.();
        return { result: { ok: true }, notice: `${title} network faults cleared` };
    }
  }

  // ── the hook ──

  private expire(): void {
    const now = Date.now();
    if (this.delays.length) this.delays = this.delays.filter((d) => d.until > now);
    if (this.rates.length) this.rates = this.rates.filter((r) => r.until > now);
  }

  private accountOf(req: FastifyRequest): string | undefined {
    const memo = req as FastifyRequest & { [ACCOUNT]?: string | null };
    if (memo[ACCOUNT] === undefined) memo[ACCOUNT] = this.profile.account?.(req) ?? null;
    return memo[ACCOUNT] ?? undefined;
  }

  private matches(req: FastifyRequest, m: Match, path: string): boolean {
    if (m.path !== undefined && !path.startsWith(m.path)) return false;
    return m.account === undefined || this.accountOf(req) === m.account;
  }

  private async onRequest(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const path = pathOf(req);
    const counts = req.method !== "OPTIONS" && (this.profile.applies?.(path, req) ?? true);
    if (counts && this.drops.length) {
      const i = this.drops.findIndex((d) => this.matches(req, d, path));
      const rule = this.drops[i];
      if (rule) {
        if (--rule.remaining <= 0) this.drops.splice(i, 1);
        this.inFlight.delete(req);
        reply.hijack();
        destroy(req.raw);
        return reply;
      }
    }
    this.expire();
    let ms = 0;
    for (const d of this.delays) if (this.matches(req, d, path)) ms = Math.max(ms, d.ms);
    if (ms > 0) await sleep(ms);
    if (!counts) return;
    if (this.fails.length) {
      const i = this.fails.findIndex((f) => this.matches(req, f, path));
      const rule = this.fails[i];
      if (rule) {
        if (--rule.remaining <= 0) this.fails.splice(i, 1);
        return answer(reply, rule.answer);
      }
    }
    const now = Date.now();
    for (const r of this.rates) {
      if (r.until <= now || !this.matches(req, r, path)) continue;
      const key = this.profile.rateKey?.(req) ?? this.accountOf(req) ?? req.ip;
      let w = r.windows.get(key);
      if (!w || now - w.start >= r.windowMs) {
        if (r.windows.size > 10_000) r.windows.clear();
        w = { start: now, count: 0 };
        r.windows.set(key, w);
      }
      w.count += 1;
      if (w.count > r.limit) {
        const retry = Math.max(1, Math.ceil((w.start + r.windowMs - now) / 1000));
        return answer(reply, this.profile.rateLimited(retry, r.extra));
      }
    }
  }
}

const ACCOUNT = Symbol("httpFaultAccount");

function clean(m: Match): Match {
  const out: Match = {};
  if (m.path !== undefined) out.path = m.path;
  if (m.account !== undefined) out.account = m.account;
  return out;
}

function pathOf(req: FastifyRequest): string {
  return req.url.split("?", 1)[0] ?? "";
}

function destroy(raw: IncomingMessage): void {
  raw.socket?.destroy();
}

function answer(reply: FastifyReply, a: HttpAnswer): FastifyReply {
  if (a.headers) reply.headers(a.headers);
  return reply.code(a.status).type("application/json; charset=utf-8").send(JSON.stringify(a.body));
}

/** Installs `profile`'s fault layer on `app` once; later calls get the same layer. */
export function installHttpFaults(app: FastifyInstance, profile: () => HttpFaultProfile): HttpFaults {
  let layer = installed.get(app);
  if (!layer) {
    layer = new HttpFaults(profile());
    layer.install(app);
    installed.set(app, layer);
  }
  return layer;
}

/** The layer installed on `app`, if any. */
export function httpFaultsOf(app: FastifyInstance): HttpFaults | undefined {
  return installed.get(app);
}

/**
 * `POST /_sandbox/<platform>/faults/http {action, …}` → `{ok}` (`{ok, dropped}` for drop);
 * a bad body answers 400 `{error}`.
 */
export function registerHttpFaultRoutes(app: FastifyInstance, layer: HttpFaults): void {
  app.post(`/_sandbox/${layer.profile.platform}/faults/http`, async (req, reply) => {
    try {
      return layer.apply(req.body).result;
    } catch (err) {
      if (err instanceof HttpFaultError) return reply.code(err.status).send({ error: err.message });
      throw err;
    }
  });
  app.get(`/_sandbox/${layer.profile.platform}/faults/http`, async () => ({ faults: layer.rows() }));
}

// ── console ──

/** The console's forms of the shared actions (`delay`, `ratelimit`, `drop`; `fail` when given its fields). */
export function consoleHttpFaultActions(
  options: { fail?: FaultField[]; accountLabel?: string } = {},
): FaultAction[] {
  const where: FaultField[] = [
    { name: "path", label: "only path prefix (e.g. /channel/)", type: "text", optional: true },
    {
      name: "account",
      label: options.accountLabel ?? "account (empty = everyone)",
      type: "account",
      optional: true,
    },
  ];
  return [
    ...(options.fail
      ? [
          {
            action: "fail",
            label: "Fail next N HTTP requests",
            fields: [
              ...options.fail,
              { name: "times", label: "N", type: "number", default: 1 } as const,
              ...where,
            ],
          },
        ]
      : []),
    {
      action: "delay",
      label: "Delay HTTP requests",
      fields: [
        { name: "ms", label: "ms", type: "number", default: 1000 },
        { name: "durationMs", label: "for ms", type: "number", default: 60_000 },
        ...where,
      ],
    },
    {
      action: "ratelimit",
      label: "Rate-limit HTTP requests",
      fields: [
        { name: "limit", label: "requests per window (per client)", type: "number", default: 5 },
        { name: "windowMs", label: "window ms", type: "number", default: 1000 },
        { name: "durationMs", label: "for ms", type: "number", default: 60_000 },
        ...where,
      ],
    },
    {
      action: "drop",
      label: "Drop connections (open requests, then the next N)",
      fields: [{ name: "times", label: "next N requests too", type: "number", default: 1 }, ...where],
    },
  ];
}

/**
 * Applies a console fault form through `layer` when its action is a shared one (`actions`);
 * undefined otherwise. Bad bodies throw ConsoleError 400; the notice goes to `sink`.
 */
export function applyConsoleHttpFault(
  layer: HttpFaults,
  input: unknown,
  sink: ConsoleSink | undefined,
  actions: readonly string[] = ["delay", "ratelimit", "drop"],
): Record<string, unknown> | undefined {
  const action = input && typeof input === "object" ? (input as { action?: unknown }).action : undefined;
  if (typeof action !== "string" || !actions.includes(action)) return undefined;
  try {
    const { result, notice } = layer.apply(input);
    sink?.notice(notice);
    return result;
  } catch (err) {
    if (err instanceof HttpFaultError) throw new ConsoleError(err.status, err.message);
    throw err;
  }
}

/** A header's first value, or undefined when absent or empty. */
export function headerText(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === "" ? undefined : s;
}
