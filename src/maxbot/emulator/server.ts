/**
 * The MAX Bot API emulator's HTTP face: a Fastify app speaking the Bot API at `/` on the shared
 * MAX world. Every request but the upload URLs carries a bot token (Authorization header, or the
 * deprecated `access_token` query); a missing or unknown one is 401 verify.token. Bad input of
 * any kind (URL, JSON, sizes, fields) is a `{code, message}` error body, never a crash.
 */
import type { AddressInfo } from "node:net";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { type Clock, systemClock } from "../../core/emulator/clock.js";
import { applyServerLimits, type ServerLimits } from "../../core/emulator/limits.js";
import { type Logger, silentLogger } from "../../core/log.js";
import type { Database } from "../../core/storage.js";
import type { MaxBotEndpointName } from "../protocol.js";
import { createBotAdmin, type MaxBotAdmin } from "./admin.js";
import type { MaxBotContext } from "./context.js";
import { BotApiError, registerErrorHandler, sendError } from "./errors.js";
import { answerHandlers } from "./handlers/answers.js";
import { chatHandlers } from "./handlers/chats.js";
import { commentHandlers } from "./handlers/comments.js";
import { meHandlers } from "./handlers/me.js";
import { memberHandlers } from "./handlers/members.js";
import { messageHandlers } from "./handlers/messages.js";
import { registerUpdateRoutes } from "./handlers/updates.js";
import { registerUploadRoutes, UPLOAD_PATH_PREFIX } from "./handlers/uploads.js";
import { registerRateLimit } from "./rate-limit.js";
import { BAD_JSON, type BotHandlers, registerBotRoutes, registerNotFound } from "./routes.js";
import { botIdByTokenHash, hashToken } from "./store/bots.js";
import { startUpdates, type UpdatesOptions, type UpdatesService } from "./updates/index.js";
import type { MaxBotWorld } from "./world.js";

/** JSON bodies of the Bot API are small (a message is ≤ 4000 characters plus attachments). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface MaxBotEmulatorOptions {
  db: Database;
  world: MaxBotWorld;
  log?: Logger;
  clock?: Clock;
  /** Every sandbox face's URL (default: none). */
  urls?: () => Readonly<Record<string, string>>;
  /** Timeouts and per-client connection cap of the HTTP face (core defaults for what is omitted). */
  serverLimits?: Partial<ServerLimits>;
  /** Update retention, queue cap, webhook retry schedule (tests shorten them). */
  updates?: UpdatesOptions;
}

export interface MaxBotEmulator {
  app: FastifyInstance;
  ctx: MaxBotContext;
  admin: MaxBotAdmin;
  updates: UpdatesService;
  /** Starts listening; returns `http://<shownHost ?? host>:port` (also the base of upload URLs). */
  listen(port: number, host?: string, shownHost?: string): Promise<string>;
  close(): Promise<void>;
}

export const BOT_HANDLERS: BotHandlers = {
  ...meHandlers,
  ...chatHandlers,
  ...memberHandlers,
  ...messageHandlers,
  ...answerHandlers,
  ...commentHandlers,
};

/** Served by the updates side's route modules (long polling, webhooks, uploads, videos). */
const UPDATES_SIDE: ReadonlySet<MaxBotEndpointName> = new Set([
  "getUpdates",
  "getSubscriptions",
  "subscribe",
  "unsubscribe",
  "getUploadUrl",
  "getVideoAttachmentDetails",
  // GET /chats/:chatLink shares getChat's route (see handlers/chats.ts).
  "getChatByLink",
]);

function tokenOf(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === "string" && header.trim() !== "") return header.trim();
  const q = req.query as Record<string, unknown> | undefined;
  const fromQuery = q?.access_token;
  return typeof fromQuery === "string" && fromQuery !== "" ? fromQuery : undefined;
}

const errorJson = (code: string, message: string) => JSON.stringify({ code, message });

export function createMaxBotEmulator(options: MaxBotEmulatorOptions): MaxBotEmulator {
  const log = options.log ?? silentLogger;
  let baseUrl = "";
  const ctx: MaxBotContext = {
    db: options.db,
    world: options.world,
    clock: options.clock ?? systemClock,
    log,
    urls: options.urls ?? (() => ({})),
    baseUrl: () => baseUrl,
  };

  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Unreadable URLs and media types are the caller's fault: still a Bot API error body.
    frameworkErrors: (err, _req, reply) =>
      (reply as FastifyReply)
        .code(400)
        .type("application/json")
        .send(
          errorJson("bad.request", err.code === "FST_ERR_BAD_URL" ? "Malformed URL" : "Malformed request"),
        ),
    // HTTP the parser can't read gets a 400 with the same body, then the socket is closed.
    clientErrorHandler: (err, socket) => {
      if ((err as NodeJS.ErrnoException).code === "ECONNRESET" || socket.destroyed) return;
      const body = errorJson("bad.request", "Malformed HTTP request");
      if (socket.writable)
        socket.write(
          `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      socket.destroy();
    },
  });
  app.decorateRequest("botId", 0);

  // JSON bodies (also without a content type, as curl -d sends form encoding): broken JSON is
  // remembered and answered 400 by the route, after authentication.
  app.removeContentTypeParser(["application/json", "text/plain"]);
  const parseJson = (
    _req: FastifyRequest,
    body: string | Buffer,
    done: (e: Error | null, v?: unknown) => void,
  ) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.trim() === "") return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(null, BAD_JSON);
    }
  };
  app.addContentTypeParser(
    ["application/json", "text/plain", "application/x-www-form-urlencoded"],
    { parseAs: "string" },
    parseJson,
  );

  registerErrorHandler(app, log);
  registerNotFound(app);
  registerRateLimit(app, ctx);

  app.addHook("onRequest", async (req, reply) => {
    if (req.url.startsWith(UPLOAD_PATH_PREFIX)) return;
    const token = tokenOf(req);
    if (token === undefined) {
      return sendError(reply, new BotApiError(401, "verify.token", "Empty access_token"));
    }
    const botId = botIdByTokenHash(ctx.db, hashToken(token));
    if (botId === undefined || !ctx.world.user(botId)) {
      return sendError(reply, new BotApiError(401, "verify.token", "Invalid access_token"));
    }
    req.botId = botId;
  });

  const updates = startUpdates(ctx, options.updates);
  registerBotRoutes(app, ctx, BOT_HANDLERS, UPDATES_SIDE);
  registerUpdateRoutes(app, ctx, updates);
  registerUploadRoutes(app, ctx);

  const admin = createBotAdmin(ctx);

  return {
    app,
    ctx,
    admin,
    updates,
    async listen(port, host = "127.0.0.1", shownHost) {
      applyServerLimits(app.server, options.serverLimits);
      await app.listen({ port, host });
      const address = app.server.address() as AddressInfo;
      baseUrl = `http://${shownHost ?? host}:${address.port}`;
      return baseUrl;
    },
    async close() {
      await app.close();
      await updates.close();
    },
  };
}
