import type { AddressInfo } from "node:net";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { type Clock, systemClock } from "../../core/emulator/clock.js";
import { applyServerLimits, type ServerLimits } from "../../core/emulator/limits.js";
import { type Logger, silentLogger } from "../../core/log.js";
import { redactUrl } from "../../core/redact.js";
import type { Database } from "../../core/storage.js";
import { describeError, EXAMPLE_ACCESS_TOKEN, EXAMPLE_APP_ID, Header, LIMITS, SUCCESS } from "../protocol.js";
import { createAdmin, loadApp, type MaxImAdmin, seedExampleData } from "./admin.js";
import {
  type Ctx,
  type Emu,
  type FaultRule,
  fail,
  hashSecret,
  MaxImFault,
  Paged,
  type RouteDef,
  routeMethods,
} from "./context.js";
import { groupRoutes } from "./handlers/groups.js";
import { messageRoutes } from "./handlers/messages.js";
import { pushRoutes } from "./handlers/push.js";
import { rosterRoutes } from "./handlers/roster.js";
import { userRoutes } from "./handlers/users.js";
import { MaxImStore } from "./store/index.js";

export interface MaxImEmulatorOptions {
  db: Database;
  log?: Logger;
  /** Time as the emulator sees it (token expiry, the transaction_id window, presence). */
  clock?: Clock;
  /** Clock override (tests of expiry); wins over `clock`. */
  now?: () => number;
  /**
   * Seed the default app with the users the seed's examples refer to (`a` 2199040544848, `b`
   * 2199040544992, password `asd`) and start ids so the example registration gets 2302128618880
   * and the example group 2306414607729. Default true.
   */
  exampleData?: boolean;
  /**
   * Header, request, keep-alive and idle timeouts and the per-client connection cap of the HTTP
   * face (core `applyServerLimits`; its defaults for what is omitted). Applied before listening.
   */
  serverLimits?: Partial<ServerLimits>;
}

export type { AppOptions, MaxImAdmin, MessageRecord, PushRecipient, PushRecord } from "./admin.js";

export interface MaxImEmulator {
  app: FastifyInstance;
  admin: MaxImAdmin;
  /** The emulator's data access (every SQL statement on the maxim_* tables). */
  store: MaxImStore;
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
  const store = new MaxImStore(db);
  const clock = options.clock ?? systemClock;
  const emu: Emu = {
    db,
    log,
    now: options.now ?? (() => clock.now()),
    store,
    apps: new Map(),
    faults: [],
    batch: () => Promise.reject(new Error("not ready")),
    nextId: (name) => store.apps.nextId(name, ID_BASE[name] + 1),
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

  const admin = createAdmin(emu);

  // The seed's curl examples must run verbatim: the default app takes the example token.
  if (!loadApp(emu, EXAMPLE_APP_ID)) {
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
    const auth = def.endpoint.auth;
    const appId = header(req, Header.APP_ID);
    const rec = appId === undefined ? undefined : loadApp(emu, appId);
    if (!rec) fail(40000);
    if (rec.license === "invalid") fail(30021);
    if (rec.license === "expired") fail(30022);
    const now = emu.now();
    let isAdmin = false;
    let actor: number | null = null;
    const token = header(req, Header.ACCESS_TOKEN);
    if (auth !== "none") {
      if (token === undefined) fail(10003);
      const hash = hashSecret(token);
      if (hash === rec.adminTokenHash) isAdmin = true;
      else if (store.apps.isExtraAdminToken(hash, rec.appId)) isAdmin = true;
      else {
        const t = store.apps.userToken(hash, rec.appId);
        if (!t || t.expire <= now) fail(10008);
        actor = t.user_id;
        // Presence: a used token keeps its user online; written at most every few seconds.
        if (now - t.last_used >= TOKEN_TOUCH_MS) store.apps.touchUserToken(hash, now);
      }
      if (auth === "admin" && !isAdmin) fail(10010);
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
    const e = def.endpoint;
    const querySchema = e.in === "query" ? e.request : e.query;
    const bodySchema = e.in === "body" ? e.request : undefined;
    try {
      const fault = takeFault(e.path);
      if (fault !== undefined) return send(reply, fault);
      const ctx = authenticate(req, def);
      let query: unknown;
      let body: unknown;
      if (querySchema) {
        const r = querySchema.safeParse(req.query ?? {});
        if (!r.success)
          return send(reply, 10002, `${describeError(10002)}: ${r.error.issues[0]?.path.join(".")}`);
        query = r.data;
      }
      if (bodySchema) {
        if (req.body === BAD_JSON) return send(reply, 10002, `${describeError(10002)}: malformed JSON`);
        def.preValidate?.(req.body);
        const r = bodySchema.safeParse(req.body);
        if (!r.success) {
          const where = r.error.issues[0]?.path.join(".") || "body";
          return send(reply, 10002, `${describeError(10002)}: ${where}`);
        }
        body = r.data;
      }
      if (ctx.actor !== null && e.auth !== "none") {
        const disabled = store.users.disabled(ctx.actor, ctx.app.appId);
        if (disabled === undefined) fail(10000);
        if (disabled && !ctx.admin) fail(10010, "User is disabled");
      }
      const result = await def.handle(ctx, query, body);
      if (result instanceof Paged) return reply.send({ code: SUCCESS, ...result.extra, data: result.data });
      return reply.send({ code: SUCCESS, data: result });
    } catch (err) {
      if (err instanceof MaxImFault) return send(reply, err.code, err.message);
      log.error({ err, path: e.path }, "MaxIM handler failed");
      return send(reply, 20000);
    }
  };

  for (const def of ROUTES) {
    app.route({ method: routeMethods(def), url: def.endpoint.path, handler: handler(def) });
  }

  return {
    app,
    admin,
    store,
    async listen(port, host = "127.0.0.1") {
      // Silent or abandoned sockets are closed and one address can't hold every descriptor.
      applyServerLimits(app.server, options.serverLimits);
      await app.listen({ port, host });
      const address = app.server.address() as AddressInfo;
      return `http://${host}:${address.port}`;
    },
    async close() {
      await app.close();
    },
  };
}
