import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { z } from "zod";
import { applyServerLimits, type ServerLimits } from "../../core/emulator/limits.js";
import { StatementCache } from "../../core/emulator/store.js";
import { type Logger, silentLogger } from "../../core/log.js";
import { redactUrl } from "../../core/redact.js";
import type { Database } from "../../core/storage.js";
import {
  ERROR_DESCRIPTION,
  ERROR_STATUS,
  type ErrorCode,
  LIMITS,
  type Scope,
  VKLIVE_ENDPOINTS,
} from "../protocol/index.js";
import { createAdmin, type VkLiveAdmin } from "./admin.js";
import { CentrifugoHub, type HubLimits } from "./centrifugo.js";
import {
  DEFAULT_CONFIG,
  type Emu,
  type EmulatorConfig,
  type FaultRule,
  fail,
  hashSecret,
  type Principal,
  VkFault,
} from "./context.js";
import {
  authenticateClient,
  CONSENT_CSP,
  checkAuthorize,
  checkConsentMac,
  consent,
  consentPage,
  errorPage,
  errorRedirect,
  FamilyBreach,
  type getApp,
  PageError,
  revokeFamily,
  revokeToken,
  tokenGrant,
} from "./oauth.js";
import { type Ctx, ROUTES, type RouteDef } from "./rest.js";
import { SQL } from "./store/sql.js";
import { WebhookDispatcher } from "./webhooks.js";

export type { VkLiveAdmin } from "./admin.js";

export interface VkLiveEmulatorOptions {
  db: Database;
  log?: Logger;
  /** Clock override (token expiry, chat timeouts). */
  now?: () => number;
  config?: Partial<EmulatorConfig>;
  /** HMAC key of Centrifugo tokens; random per start unless given (tokens survive restarts then). */
  jwtSecret?: string;
  /** Header / request / keep-alive / idle timeouts and connections per address (core defaults). */
  serverLimits?: Partial<ServerLimits>;
  /** Centrifugo per-connection bounds: subscriptions, queued bytes. */
  hubLimits?: Partial<HubLimits>;
}

export interface VkLiveEmulator {
  app: FastifyInstance;
  admin: VkLiveAdmin;
  hub: CentrifugoHub;
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

const BAD_BODY = Symbol("bad body");
const WithQuery = z.looseObject({});

type FormLike = Record<string, string>;

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Parsed request body: JSON object, form fields, or BAD_BODY. */
function bodyFields(body: unknown): FormLike | typeof BAD_BODY | undefined {
  if (body === undefined) return undefined;
  if (body === BAD_BODY) return BAD_BODY;
  if (body !== null && typeof body === "object" && !Array.isArray(body)) {
    const out: FormLike = {};
    for (const [k, v] of Object.entries(body)) {
      if (typeof v === "string") out[k] = v;
      else if (typeof v === "number" || typeof v === "boolean") out[k] = String(v);
      else return BAD_BODY;
    }
    return out;
  }
  return BAD_BODY;
}

/**
 * The VK Video Live emulator on one port: OAuth window and server, the DevAPI REST methods,
 * a Centrifugo-compatible pubsub at /connection/websocket, and signed webhook delivery.
 */
export function createVkLiveEmulator(options: VkLiveEmulatorOptions): VkLiveEmulator {
  const { db } = options;
  const log = options.log ?? silentLogger;
  const config: EmulatorConfig = { ...DEFAULT_CONFIG, ...options.config };
  const now = options.now ?? Date.now;
  const statements = new StatementCache(db);
  let deferred: (() => void)[] = [];
  const jwtSecret = options.jwtSecret ?? randomBytes(32).toString("hex");
  const webhooks = new WebhookDispatcher(() => emu);
  const hub = new CentrifugoHub({
    secret: jwtSecret,
    now,
    pingIntervalSec: config.pingIntervalSec,
    log,
    ...(options.hubLimits !== undefined ? { limits: options.hubLimits } : {}),
    channelExists: (name) => {
      const id = Number(name.slice(name.lastIndexOf(":") + 1));
      const row = emu.q(SQL.selectChannelStatus).get(id) as { status: string } | undefined;
      return row !== undefined && row.status !== "banned";
    },
  });
  const emu: Emu = {
    db,
    log,
    now,
    config,
    jwtSecret,
    faults: [],
    stats: { tokenRequests: {} },
    hub,
    webhooks,
    q: (sql) => statements.get(sql),
    defer(fn) {
      deferred.push(fn);
    },
  };

  /** One transaction; deferred pushes run only after it committed. */
  const run = <T>(fn: () => T): T => {
    deferred = [];
    let out: T;
    try {
      out = db.transaction(fn)();
    } catch (err) {
      deferred = [];
      throw err;
    }
    const todo = deferred;
    deferred = [];
    for (const f of todo) {
      try {
        f();
      } catch (err) {
        log.error({ err }, "vklive deferred action failed");
      }
    }
    return out;
  };

  // ---------- HTTP ----------

  const app = Fastify({ logger: false, bodyLimit: LIMITS.bodyBytes });
  // Timeouts and a per-address connection cap before anything listens; Centrifugo's upgraded
  // sockets leave the idle timer (its pings keep them honest).
  applyServerLimits(app.server, options.serverLimits);
  app.removeAllContentTypeParsers();
  // Any content type is read as text: JSON bodies for /v1, forms for /oauth (JSON tolerated).
  app.addContentTypeParser("*", { parseAs: "string" }, (req, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.trim() === "") return done(null, undefined);
    const type = String(req.headers["content-type"] ?? "").toLowerCase();
    if (type.startsWith("application/x-www-form-urlencoded")) {
      return done(null, Object.fromEntries(new URLSearchParams(text)));
    }
    try {
      done(null, JSON.parse(text));
    } catch {
      done(null, BAD_BODY);
    }
  });

  const sendError = (reply: FastifyReply, error: ErrorCode, description?: string, retryAfterSec?: number) => {
    if (retryAfterSec !== undefined) reply.header("retry-after", String(retryAfterSec));
    return reply
      .code(ERROR_STATUS[error])
      .type("application/json")
      .send({ error, error_description: description ?? ERROR_DESCRIPTION[error] });
  };

  app.setErrorHandler((err, req, reply) => {
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) log.error({ err, url: redactUrl(req.url) }, "VK Live emulator error");
    if (status === 413) return sendError(reply, "invalid_param", "Request body too large");
    return sendError(reply, status < 500 ? "invalid_param" : "internal_server_error");
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, req.url.startsWith("/v1/") ? "unknown_api_method" : "not_found"),
  );

  const takeFault = (path: string): ErrorCode | undefined => {
    const i = emu.faults.findIndex((f) => f.path === undefined || f.path === path);
    if (i < 0) return undefined;
    const f = emu.faults[i] as FaultRule;
    f.remaining -= 1;
    if (f.remaining <= 0) emu.faults.splice(i, 1);
    return f.error;
  };

  // Fixed-window rate limit per token (or per app for Basic).
  const windows = new Map<string, { start: number; count: number }>();
  const rateLimit = (key: string): number | undefined => {
    const t = now();
    const { requests, windowMs } = config.rateLimit;
    let w = windows.get(key);
    if (!w || t - w.start >= windowMs) {
      if (windows.size > 10_000) windows.clear();
      w = { start: t, count: 0 };
      windows.set(key, w);
    }
    w.count += 1;
    if (w.count > requests) return Math.max(1, Math.ceil((w.start + windowMs - t) / 1000));
    return undefined;
  };

  const authenticate = (req: FastifyRequest): Principal => {
    const auth = header(req, "authorization")?.trim();
    if (!auth) fail("unauthorized");
    if (/^bearer /i.test(auth)) {
      const token = auth.slice(7).trim();
      const hash = hashSecret(token);
      const row = emu.q(SQL.selectAccessToken).get(hash) as
        | { client_id: string; user_id: number | null; scopes: string; expires_at: number; revoked: number }
        | undefined;
      if (!row || row.revoked || row.expires_at <= now()) fail("unauthorized");
      return {
        clientId: row.client_id,
        userId: row.user_id,
        scopes: new Set((row.scopes ? row.scopes.split(",") : []) as Scope[]),
        kind: row.user_id === null ? "app" : "user",
        key: hash,
        expiresAt: row.expires_at,
      };
    }
    if (/^basic /i.test(auth)) {
      const a = authenticateClient(emu, `Basic ${auth.slice(6).trim()}`, {});
      return {
        clientId: a.client_id,
        userId: null,
        scopes: new Set(),
        kind: "basic",
        key: a.client_id,
        expiresAt: null,
      };
    }
    fail("unauthorized");
  };

  const origin = (req: FastifyRequest) => `${req.protocol}://${req.headers.host ?? "127.0.0.1"}`;

  const parseParams = (schema: z.ZodType, raw: unknown, where: "query" | "body") => {
    const r = schema.safeParse(raw ?? {});
    if (r.success) return r.data;
    const issue = r.error.issues[0];
    const path = issue?.path.map(String) ?? [];
    // Walk the raw input: a key that isn't there at all is a missing parameter.
    let cur: unknown = raw;
    let missing = false;
    for (const k of path) {
      if (cur === null || typeof cur !== "object" || !(k in (cur as object))) {
        missing = true;
        break;
      }
      cur = (cur as Record<string, unknown>)[k];
    }
    const name = path.join(".") || where;
    if (missing && issue?.code === "invalid_type") fail("missing_param", `${name} is required`);
    fail("invalid_param", `${name}: ${issue?.message ?? "invalid"}`);
  };

  const byKey = new Map<string, RouteDef>();
  for (const def of ROUTES) byKey.set(`${def.method} ${def.path}`, def);

  const handleRest = async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split("?")[0] ?? "";
    if (req.method === "OPTIONS") {
      return reply
        .code(204)
        .header("access-control-allow-methods", "GET, POST")
        .header("access-control-allow-headers", "authorization, content-type")
        .header("access-control-max-age", "600")
        .send();
    }
    const def = byKey.get(`${req.method} ${path}`);
    if (!def) return sendError(reply, "unknown_api_method");
    try {
      const fault = takeFault(def.path);
      if (fault !== undefined)
        return sendError(reply, fault, undefined, fault === "ratelimit_exceeded" ? 1 : undefined);
      const p = authenticate(req);
      const retry = rateLimit(p.key);
      if (retry !== undefined) return sendError(reply, "ratelimit_exceeded", undefined, retry);
      if (def.auth === "user" && p.kind !== "user") fail("forbidden");
      if (def.scope && !p.scopes.has(def.scope)) fail("invalid_scope", `Scope ${def.scope} is required`);
      const query = def.query ? parseParams(def.query, WithQuery.parse(req.query ?? {}), "query") : undefined;
      let body: unknown;
      if (def.body) {
        if (req.body === BAD_BODY) fail("invalid_param", "Malformed JSON body");
        if (req.body === undefined) fail("missing_param", "Request body is required");
        body = parseParams(def.body, req.body, "body");
      }
      const ctx: Ctx = { emu, p, now: now(), origin: origin(req) };
      const result = run(() => def.handle(ctx, query, body));
      return reply.type("application/json").send(def.raw ? result : { data: result });
    } catch (err) {
      if (err instanceof VkFault) return sendError(reply, err.error, err.message);
      log.error({ err, path: def.path }, "VK Live handler failed");
      return sendError(reply, "internal_server_error");
    }
  };
  // ImplicitFlow apps call the DevAPI from the browser: allow cross-origin calls with a Bearer.
  // Every answer is nosniff; anything but the consent window's HTML (which sets its own CSP) is
  // data that must never run or be framed, even if a browser is pointed at it.
  app.addHook("onSend", async (req, reply) => {
    if (req.url.startsWith("/v1/")) reply.header("access-control-allow-origin", "*");
    reply.header("x-content-type-options", "nosniff");
    if (!reply.hasHeader("content-security-policy")) {
      reply.header("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
    }
  });
  app.all("/v1/*", handleRest);

  // OAuth server
  const oauthEndpoint = (fn: (a: ReturnType<typeof getApp> & object, form: FormLike) => unknown) => {
    return async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        const fault = takeFault(req.url.split("?")[0] ?? "");
        if (fault !== undefined) return sendError(reply, fault);
        const fields = bodyFields(req.body);
        if (fields === BAD_BODY) fail("invalid_param", "Malformed request body");
        const form = fields ?? {};
        const a = authenticateClient(emu, header(req, "authorization")?.trim(), form);
        const out = run(() => fn(a, form));
        return reply.header("cache-control", "no-store").type("application/json").send(out);
      } catch (err) {
        // The request's transaction rolled back; the family's revocation commits on its own.
        if (err instanceof FamilyBreach && err.familyId !== null) {
          const familyId = err.familyId;
          const n = run(() => revokeFamily(emu, familyId));
          if (n > 0) log.warn({ revoked: n }, "VK Live OAuth: replayed grant, token family revoked");
        }
        if (err instanceof VkFault) return sendError(reply, err.error, err.message);
        log.error({ err }, "VK Live OAuth failed");
        return sendError(reply, "internal_server_error");
      }
    };
  };
  app.post(
    VKLIVE_ENDPOINTS.token.path,
    oauthEndpoint((a, form) => tokenGrant(emu, a, form)),
  );
  app.post(
    VKLIVE_ENDPOINTS.revoke.path,
    oauthEndpoint((a, form) => revokeToken(emu, a, form)),
  );

  // The consent window
  const html = (reply: FastifyReply, status: number, body: string) =>
    reply
      .code(status)
      .header("cache-control", "no-store")
      .header("x-frame-options", "DENY")
      .header("content-security-policy", CONSENT_CSP)
      .header("referrer-policy", "no-referrer")
      .type("text/html; charset=utf-8")
      .send(body);
  app.get(VKLIVE_ENDPOINTS.authorizeWindow.path, async (req, reply) => {
    try {
      const { params, redirectError } = checkAuthorize(emu, (req.query ?? {}) as Record<string, unknown>);
      if (redirectError) return reply.redirect(errorRedirect(params, redirectError), 302);
      return html(reply, 200, consentPage(emu, params));
    } catch (err) {
      if (err instanceof PageError) return html(reply, 400, errorPage(err.message));
      throw err;
    }
  });
  app.post(VKLIVE_ENDPOINTS.authorizeDecision.path, async (req, reply) => {
    try {
      const fields = bodyFields(req.body);
      if (fields === BAD_BODY || fields === undefined) throw new PageError("Malformed form");
      const { params, redirectError } = checkAuthorize(emu, fields);
      if (redirectError) return reply.redirect(errorRedirect(params, redirectError), 302);
      if (!checkConsentMac(emu, params, fields.consent))
        throw new PageError("The form expired or was tampered with");
      const userId = Number(fields.user_id);
      if (!Number.isSafeInteger(userId) || userId <= 0) throw new PageError("Choose a user");
      const location = run(() => consent(emu, params, userId, fields.decision === "allow"));
      return reply.redirect(location, 302);
    } catch (err) {
      if (err instanceof PageError) return html(reply, 400, errorPage(err.message));
      throw err;
    }
  });

  app.server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
  // Whoever closes the Fastify app (the sandbox runner does) also stops pubsub and deliveries.
  app.addHook("preClose", async () => {
    webhooks.close();
    hub.close();
  });

  const admin = createAdmin(emu, run, hub, webhooks);

  return {
    app,
    admin,
    hub,
    async listen(port, host = "127.0.0.1") {
      await app.listen({ port, host });
      const address = app.server.address() as AddressInfo;
      const shown = host === "0.0.0.0" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
      return `http://${shown}:${address.port}`;
    },
    async close() {
      await app.close();
    },
  };
}
