import type { AddressInfo } from "node:net";
import type { Statement } from "better-sqlite3";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { type Logger, silentLogger } from "../../core/log.js";
import { redactUrl } from "../../core/redact.js";
import type { Database } from "../../core/storage.js";
import { describeError, EXAMPLE_ACCESS_TOKEN, EXAMPLE_APP_ID, Header, LIMITS, SUCCESS } from "../protocol.js";
import {
  type AppConfig,
  type AppRecord,
  type Ctx,
  DEFAULT_APP_CONFIG,
  type Emu,
  type FaultRule,
  fail,
  hashSecret,
  type License,
  MaxImFault,
  newToken,
  Paged,
  type RouteDef,
} from "./context.js";
import { groupRoutes } from "./handlers/groups.js";
import { type MessageRow, messageRoutes } from "./handlers/messages.js";
import { pushRoutes } from "./handlers/push.js";
import { rosterRoutes } from "./handlers/roster.js";
import { hashPassword, userRoutes } from "./handlers/users.js";

export interface MaxImEmulatorOptions {
  db: Database;
  log?: Logger;
  /** Clock override (tests of expiry). */
  now?: () => number;
  /**
   * Seed the default app with the users the seed's examples refer to (`a` 2199040544848, `b`
   * 2199040544992, password `asd`) and start ids so the example registration gets 2302128618880
   * and the example group 2306414607729. Default true.
   */
  exampleData?: boolean;
}

/** One device a push reached (or would have, see `suppressed`). */
export interface PushRecipient {
  userId: number;
  pushToken: string;
  alias: string | null;
  deviceSn: number | null;
  /** Why it was not delivered: the user turned push off, is in its no-push hours, or is disabled. */
  reason?: "no_push" | "no_push_hours" | "disabled";
}

export interface PushRecord {
  id: number;
  appId: string;
  audience: unknown;
  message: unknown;
  /** Devices the audience resolved to and that were notified. */
  recipients: PushRecipient[];
  /** Devices the audience matched but that were not notified. */
  suppressed: PushRecipient[];
  /** Distinct users of `recipients`. */
  users: number[];
  createdAt: number;
}

export interface MessageRecord {
  msgId: number;
  appId: string;
  from: number;
  to: number;
  toType: number;
  contentType: number;
  content: string;
  attachment: string | null;
  ext: string | null;
  config: string | null;
  recalled: boolean;
  /** `message` from `/message/send`, `notify` from `/message/notify` (system notification). */
  kind: "message" | "notify";
  createdAt: number;
}

export interface AppOptions {
  /** Admin token to accept (default: a fresh random one). */
  adminToken?: string;
  config?: Partial<Omit<AppConfig, "limits">> & { limits?: Partial<AppConfig["limits"]> };
}

export interface MaxImAdmin {
  /** Creates (or resets) an app; its admin token is `options.adminToken` or a fresh one. */
  createApp(appId: string, options?: AppOptions): { appId: string; adminToken: string };
  /**
   * An admin token for `appId`: creates the app if it is new, else adds one more token and keeps
   * the existing ones working (the default app keeps the seed's example token).
   */
  issueAdminToken(appId: string): { appId: string; adminToken: string };
  hasApp(appId: string): boolean;
  configureApp(appId: string, config: AppOptions["config"]): void;
  setLicense(appId: string, license: License): void;
  /** The next `times` requests (optionally only to `path`) answer `code`. */
  failNext(code: number, options?: { path?: string; times?: number }): void;
  clearFaults(): void;
  pushes(appId?: string): PushRecord[];
  messages(appId?: string): MessageRecord[];
}

export interface MaxImEmulator {
  app: FastifyInstance;
  admin: MaxImAdmin;
  /** Starts listening; returns the base URL (`http://host:port`). */
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

export const ROUTES: readonly RouteDef[] = [
  ...userRoutes,
  ...rosterRoutes,
  ...groupRoutes,
  ...messageRoutes,
  ...pushRoutes,
];
const ID_BASE = { user: 2_199_040_544_000, group: 2_306_414_607_000, message: 1_000_000, roster: 0 } as const;
const BAD_JSON = Symbol("bad json");
/** How stale a token's `last_used` may get before a request refreshes it. */
const TOKEN_TOUCH_MS = 5_000;

interface AppRow {
  app_id: string;
  admin_token_hash: string;
  license: string;
  config: string;
}

/** See `MaxImEmulatorOptions.exampleData`. */
function seedExampleData(emu: Emu): void {
  const now = emu.now();
  emu.db.transaction(() => {
    for (const [id, name] of [
      [2_199_040_544_848, "a"],
      [2_199_040_544_992, "b"],
    ] as const) {
      emu
        .q(
          `INSERT OR IGNORE INTO maxim_users (user_id, app_id, username, password_hash, created_at)
           VALUES (?, ?, ?, ?, ?)`,
        )
        .run(id, EXAMPLE_APP_ID, name, hashPassword("asd"), now);
    }
    const seq = emu.q(
      `INSERT INTO maxim_sequences (name, value) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)`,
    );
    seq.run("user", 2_302_128_618_879);
    seq.run("group", 2_306_414_607_728);
  })();
}

function mergeConfig(base: AppConfig, patch: AppOptions["config"] = {}): AppConfig {
  return { ...base, ...patch, limits: { ...base.limits, ...(patch.limits ?? {}) } };
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === "" ? undefined : s;
}

/**
 * The MaxIM emulator: the seed's REST API at `/`, state in the sandbox store. Business errors
 * are HTTP 200 with the seed's `code`; every request is validated before anything is written.
 */
export function createMaxImEmulator(options: MaxImEmulatorOptions): MaxImEmulator {
  const { db } = options;
  const log = options.log ?? silentLogger;
  const statements = new Map<string, Statement>();
  const emu: Emu = {
    db,
    log,
    now: options.now ?? Date.now,
    q(sql) {
      let st = statements.get(sql);
      if (!st) {
        st = db.prepare(sql);
        statements.set(sql, st);
      }
      return st;
    },
    apps: new Map(),
    faults: [],
    batch: () => Promise.reject(new Error("not ready")),
    nextId(name) {
      const row = emu
        .q(
          `INSERT INTO maxim_sequences (name, value) VALUES (?, ?)
           ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value`,
        )
        .get(name, ID_BASE[name] + 1) as { value: number };
      return row.value;
    },
  };

  interface Pending {
    fn: () => unknown;
    resolve: (v: unknown) => void;
    reject: (e: unknown) => void;
  }
  let queue: Pending[] = [];
  const flush = () => {
    const items = queue;
    queue = [];
    const results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      db.transaction(() => {
        for (const item of items) {
          try {
            // A nested better-sqlite3 transaction is a savepoint: a throw rolls back this item only.
            results.push({ ok: true, value: db.transaction(item.fn)() });
          } catch (error) {
            results.push({ ok: false, error });
          }
        }
      })();
    } catch (error) {
      for (const item of items) item.reject(error);
      return;
    }
    items.forEach((item, i) => {
      const r = results[i];
      if (r?.ok) item.resolve(r.value);
      else item.reject(r?.error);
    });
  };
  emu.batch = <T>(fn: () => T) =>
    new Promise<T>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
    });

  const loadApp = (appId: string): AppRecord | undefined => {
    const cached = emu.apps.get(appId);
    if (cached) return cached;
    const row = emu.q("SELECT * FROM maxim_apps WHERE app_id = ?").get(appId) as AppRow | undefined;
    if (!row) return undefined;
    const rec: AppRecord = {
      appId: row.app_id,
      adminTokenHash: row.admin_token_hash,
      license: row.license as License,
      config: mergeConfig(DEFAULT_APP_CONFIG, JSON.parse(row.config) as AppOptions["config"]),
      qrKey: hashSecret(`qr:${row.admin_token_hash}`),
    };
    emu.apps.set(appId, rec);
    return rec;
  };

  const admin: MaxImAdmin = {
    createApp(appId, opts = {}) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(appId)) throw new Error("appId must be 1-64 of [A-Za-z0-9_-]");
      const adminToken = opts.adminToken ?? newToken();
      const config = mergeConfig(DEFAULT_APP_CONFIG, opts.config);
      emu
        .q(
          `INSERT INTO maxim_apps (app_id, admin_token_hash, config, created_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (app_id) DO UPDATE SET admin_token_hash = excluded.admin_token_hash, config = excluded.config`,
        )
        .run(appId, hashSecret(adminToken), JSON.stringify(config), emu.now());
      emu.apps.delete(appId);
      return { appId, adminToken };
    },
    issueAdminToken(appId) {
      if (!loadApp(appId)) return admin.createApp(appId);
      const adminToken = newToken();
      emu
        .q("INSERT INTO maxim_admin_tokens (token_hash, app_id, created_at) VALUES (?, ?, ?)")
        .run(hashSecret(adminToken), appId, emu.now());
      return { appId, adminToken };
    },
    hasApp(appId) {
      return loadApp(appId) !== undefined;
    },
    configureApp(appId, config) {
      const app = loadApp(appId) ?? fail(40000);
      const next = mergeConfig(app.config, config);
      emu.q("UPDATE maxim_apps SET config = ? WHERE app_id = ?").run(JSON.stringify(next), appId);
      emu.apps.delete(appId);
    },
    setLicense(appId, license) {
      emu.q("UPDATE maxim_apps SET license = ? WHERE app_id = ?").run(license, appId);
      emu.apps.delete(appId);
    },
    failNext(code, opts = {}) {
      const rule: FaultRule = { code, remaining: opts.times ?? 1 };
      if (opts.path !== undefined) rule.path = opts.path;
      emu.faults.push(rule);
    },
    clearFaults() {
      emu.faults.length = 0;
    },
    pushes(appId) {
      const rows = emu
        .q("SELECT * FROM maxim_pushes WHERE (? IS NULL OR app_id = ?) ORDER BY id")
        .all(appId ?? null, appId ?? null) as {
        id: number;
        app_id: string;
        audience: string;
        message: string;
        recipients: string;
        created_at: number;
      }[];
      return rows.map((r) => {
        const resolved = JSON.parse(r.recipients) as
          | { delivered?: PushRecipient[]; suppressed?: PushRecipient[] }
          | unknown[];
        const recipients = Array.isArray(resolved) ? [] : (resolved.delivered ?? []);
        const suppressed = Array.isArray(resolved) ? [] : (resolved.suppressed ?? []);
        return {
          id: r.id,
          appId: r.app_id,
          audience: JSON.parse(r.audience),
          message: JSON.parse(r.message),
          recipients,
          suppressed,
          users: [...new Set(recipients.map((x) => x.userId))],
          createdAt: r.created_at,
        };
      });
    },
    messages(appId) {
      const rows = emu
        .q("SELECT * FROM maxim_messages WHERE (? IS NULL OR app_id = ?) ORDER BY msg_id")
        .all(appId ?? null, appId ?? null) as (MessageRow & { app_id: string; kind: string })[];
      return rows.map((r) => ({
        msgId: r.msg_id,
        appId: r.app_id,
        from: r.from_id,
        to: r.to_id,
        toType: r.to_type,
        contentType: r.content_type,
        content: r.content,
        attachment: r.attachment,
        ext: r.ext,
        config: r.config,
        recalled: r.recalled === 1,
        kind: r.kind === "notify" ? ("notify" as const) : ("message" as const),
        createdAt: r.created_at,
      }));
    },
  };

  // The seed's curl examples must run verbatim: the default app takes the example token.
  if (!loadApp(EXAMPLE_APP_ID)) {
    admin.createApp(EXAMPLE_APP_ID, { adminToken: EXAMPLE_ACCESS_TOKEN });
    if (options.exampleData !== false) seedExampleData(emu);
  }

  const envelope10002 = (detail: string) =>
    JSON.stringify({ code: 10002, message: `${describeError(10002)}: ${detail}`, data: null });
  const app = Fastify({
    logger: false,
    bodyLimit: LIMITS.bodyBytes,
    // Unreadable URLs and media types are the caller's fault: still a MaxIM envelope.
    frameworkErrors: (err, _req, reply) =>
      (reply as FastifyReply)
        .code(400)
        .type("application/json")
        .send(envelope10002(err.code === "FST_ERR_BAD_URL" ? "malformed URL" : "malformed request")),
    // HTTP the parser can't read (bad request line or headers) gets the same answer, then close.
    clientErrorHandler: (err, socket) => {
      if ((err as NodeJS.ErrnoException).code === "ECONNRESET" || socket.destroyed) return;
      const body = envelope10002("malformed HTTP request");
      if (socket.writable)
        socket.write(
          `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      socket.destroy();
    },
  });
  app.removeAllContentTypeParsers();
  // Any content type is read as JSON text (curl -d without a header sends form encoding);
  // broken JSON is remembered and answered as 10002 by the route, not as an HTTP 400.
  app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.trim() === "") return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(null, BAD_JSON);
    }
  });

  const send = (reply: FastifyReply, code: number, message?: string) =>
    reply.code(200).send({ code, message: message ?? describeError(code), data: null });

  app.setErrorHandler((err, req, reply) => {
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) log.error({ err, url: redactUrl(req.url) }, "MaxIM emulator error");
    // Oversized or unreadable bodies are the client's fault: the platform's parameter error.
    return send(reply, status < 500 ? 10002 : 20000, status === 413 ? "Request body too large" : undefined);
  });
  // No such API (or method): HTTP 404, still a MaxIM envelope with the parameter error code.
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      code: 10002,
      message: `${describeError(10002)}: no API ${req.method} ${redactUrl(req.url).split("?")[0]}`,
      data: null,
    }),
  );

  const takeFault = (path: string): number | undefined => {
    const i = emu.faults.findIndex((f) => f.path === undefined || f.path === path);
    if (i < 0) return undefined;
    const f = emu.faults[i] as FaultRule;
    f.remaining -= 1;
    if (f.remaining <= 0) emu.faults.splice(i, 1);
    return f.code;
  };

  const authenticate = (req: FastifyRequest, def: RouteDef): Ctx => {
    const appId = header(req, Header.APP_ID);
    const rec = appId === undefined ? undefined : loadApp(appId);
    if (!rec) fail(40000);
    if (rec.license === "invalid") fail(30021);
    if (rec.license === "expired") fail(30022);
    const now = emu.now();
    let isAdmin = false;
    let actor: number | null = null;
    const token = header(req, Header.ACCESS_TOKEN);
    if (def.auth !== "none") {
      if (token === undefined) fail(10003);
      const hash = hashSecret(token);
      if (hash === rec.adminTokenHash) isAdmin = true;
      else if (
        emu.q("SELECT 1 FROM maxim_admin_tokens WHERE token_hash = ? AND app_id = ?").get(hash, rec.appId)
      )
        isAdmin = true;
      else {
        const t = emu
          .q("SELECT user_id, expire, last_used FROM maxim_tokens WHERE token_hash = ? AND app_id = ?")
          .get(hash, rec.appId) as { user_id: number; expire: number; last_used: number } | undefined;
        if (!t || t.expire <= now) fail(10008);
        actor = t.user_id;
        // Presence: a used token keeps its user online; written at most every few seconds.
        if (now - t.last_used >= TOKEN_TOUCH_MS)
          emu.q("UPDATE maxim_tokens SET last_used = ? WHERE token_hash = ?").run(now, hash);
      }
      if (def.auth === "admin" && !isAdmin) fail(10010);
      const asUser = header(req, Header.USER_ID);
      if (asUser !== undefined) {
        if (!/^[1-9][0-9]{0,15}$/.test(asUser)) fail(10002, "user_id header must be a number");
        const id = Number(asUser);
        if (isAdmin) actor = id;
        else if (id !== actor) fail(10010);
      }
    }
    return {
      emu,
      app: rec,
      admin: isAdmin,
      actor,
      now,
      userAgent: header(req, "user-agent") ?? "",
      requireActor() {
        return actor ?? fail(10002, "user_id header is required with an app token");
      },
    };
  };

  const handler = (def: RouteDef) => async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      const fault = takeFault(def.path);
      if (fault !== undefined) return send(reply, fault);
      const ctx = authenticate(req, def);
      let query: unknown;
      let body: unknown;
      if (def.query) {
        const r = def.query.safeParse(req.query ?? {});
        if (!r.success)
          return send(reply, 10002, `${describeError(10002)}: ${r.error.issues[0]?.path.join(".")}`);
        query = r.data;
      }
      if (def.body) {
        if (req.body === BAD_JSON) return send(reply, 10002, `${describeError(10002)}: malformed JSON`);
        def.preValidate?.(req.body);
        const r = def.body.safeParse(req.body);
        if (!r.success) {
          const where = r.error.issues[0]?.path.join(".") || "body";
          return send(reply, 10002, `${describeError(10002)}: ${where}`);
        }
        body = r.data;
      }
      if (ctx.actor !== null && def.auth !== "none") {
        const u = emu
          .q("SELECT disabled FROM maxim_users WHERE user_id = ? AND app_id = ?")
          .get(ctx.actor, ctx.app.appId) as { disabled: number } | undefined;
        if (!u) fail(10000);
        if (u.disabled && !ctx.admin) fail(10010, "User is disabled");
      }
      const result = await def.handle(ctx, query, body);
      if (result instanceof Paged) return reply.send({ code: SUCCESS, ...result.extra, data: result.data });
      return reply.send({ code: SUCCESS, data: result });
    } catch (err) {
      if (err instanceof MaxImFault) return send(reply, err.code, err.message);
      log.error({ err, path: def.path }, "MaxIM handler failed");
      return send(reply, 20000);
    }
  };

  for (const def of ROUTES) {
    app.route({ method: [...def.methods], url: def.path, handler: handler(def) });
  }

  return {
    app,
    admin,
    async listen(port, host = "127.0.0.1") {
      await app.listen({ port, host });
      const address = app.server.address() as AddressInfo;
      return `http://${host}:${address.port}`;
    },
    async close() {
      await app.close();
    },
  };
}
