/**
 * GET /updates (long polling) and GET/POST/DELETE /subscriptions (webhooks).
 *
 * Marker semantics (OpenAPI getUpdates): every update has a sequence number; the answer's
 * `marker` points at the next upcoming update. A request with `marker` M commits (deletes)
 * every update of the bot before M, then answers updates from M on; a request without a marker
 * answers everything after the last commit (so it repeats what was not committed). An answer
 * without updates (timeout) still carries a marker. `types` filters; updates of other types
 * that a marker passes are committed with it. Webhooks and long polling exclude each other:
 * while the bot has a subscription GET /updates answers 405 method.not.allowed.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { MaxBotEndpoints, SUCCESS } from "../../protocol/endpoints.js";
import type { MaxBotContext } from "../context.js";
import { BotApiError } from "../errors.js";
import {
  deleteSubscription,
  hasSubscription,
  subscriptionsOf,
  upsertSubscription,
} from "../store/subscriptions.js";
import { committedSeq, commitUpTo, lastAssignedSeq, newestSeq, updatesAfter } from "../store/updates.js";
import type { UpdatesService } from "../updates/index.js";

const DEFAULT_LIMIT = 100;
const DEFAULT_TIMEOUT_S = 30;
/** Subscriptions one bot may hold at once. */
const MAX_SUBSCRIPTIONS = 16;

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** Ends when the client closes the connection before the answer (a long poll left behind). */
function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once("close", () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

export function registerUpdateRoutes(
  app: FastifyInstance,
  ctx: MaxBotContext,
  updates: UpdatesService,
): void {
  const { db } = ctx;
  // Waiting long polls answer at once when the server closes, instead of holding close() for up to 90 s.
  app.addHook("preClose", async () => {
    updates.endPolls();
  });

  const getUpdates = MaxBotEndpoints.getUpdates;
  app.route({
    method: getUpdates.method,
    url: getUpdates.path,
    handler: async (req: FastifyRequest, reply: FastifyReply) => {
      const q = getUpdates.request.parse(req.query);
      const botId = req.botId;
      if (hasSubscription(db, botId))
        throw new BotApiError(
          405,
          "method.not.allowed",
          "Long polling is not available while the bot has a webhook subscription (DELETE /subscriptions first)",
        );
      const limit = q.limit ?? DEFAULT_LIMIT;
      const timeoutMs = (q.timeout ?? DEFAULT_TIMEOUT_S) * 1000;
      const types = q.types && q.types.length > 0 ? q.types : null;
      if (q.marker !== undefined) {
        // A marker beyond any update ever made commits nothing that does not exist yet.
        const upTo = Math.min(q.marker - 1, lastAssignedSeq(db));
        if (upTo > 0) commitUpTo(db, botId, upTo);
      }
      const start = Math.max(
        committedSeq(db, botId),
        q.marker !== undefined ? Math.min(q.marker - 1, lastAssignedSeq(db)) : 0,
      );
      const deadline = performance.now() + timeoutMs;
      const signal = clientGone(reply);
      for (;;) {
        const rows = updatesAfter(db, botId, start, limit, types);
        if (rows.length > 0) {
          const marker = (rows[rows.length - 1] as { seq: number }).seq + 1;
          return reply
            .type("application/json")
            .send(`{"updates":[${rows.map((r) => r.body).join(",")}],"marker":${marker}}`);
        }
        const remaining = deadline - performance.now();
        const end = remaining > 0 ? await updates.waitForUpdate(botId, remaining, signal) : "timeout";
        // A subscription made while this poll waited takes the updates over: the poll ends empty.
        if (end === "woken" && !hasSubscription(db, botId)) continue;
        // Nothing (of the wanted types): the marker passes what the filter skipped.
        const passed = types ? Math.max(start, newestSeq(db, botId)) : start;
        return { updates: [], marker: passed + 1 };
      }
    },
  });

  const list = MaxBotEndpoints.getSubscriptions;
  app.route({
    method: list.method,
    url: list.path,
    handler: async (req) => ({
      subscriptions: subscriptionsOf(db, req.botId).map((s) => ({
        url: s.url,
        time: s.time,
        update_types: s.updateTypes,
        version: s.version,
      })),
    }),
  });

  const subscribe = MaxBotEndpoints.subscribe;
  app.route({
    method: subscribe.method,
    url: subscribe.path,
    handler: async (req) => {
      const body = subscribe.request.parse(req.body);
      const botId = req.botId;
      checkWebhookUrl(body.url, updates.webhookOptions.allowHttp);
      const existing = subscriptionsOf(db, botId);
      if (existing.length >= MAX_SUBSCRIPTIONS && !existing.some((s) => s.url === body.url))
        throw new BotApiError(
          400,
          "bad.request",
          `A bot may have at most ${MAX_SUBSCRIPTIONS} subscriptions`,
        );
      const updateTypes =
        body.update_types && body.update_types.length > 0 ? [...new Set(body.update_types)] : null;
      db.transaction(() => {
        upsertSubscription(
          db,
          {
            botId,
            url: body.url,
            secret: body.secret ?? null,
            updateTypes,
            version: body.version ?? null,
            time: ctx.clock.now(),
          },
          committedSeq(db, botId),
        );
      })();
      updates.subscriptionsChanged(botId);
      return SUCCESS;
    },
  });

  const unsubscribe = MaxBotEndpoints.unsubscribe;
  app.route({
    method: unsubscribe.method,
    url: unsubscribe.path,
    handler: async (req) => {
      const q = unsubscribe.request.parse(req.query);
      const removed = deleteSubscription(db, req.botId, q.url);
      updates.subscriptionsChanged(req.botId);
      return removed ? SUCCESS : { success: false, message: "No subscription with this url" };
    },
  });
}

/**
 * The platform delivers only to https URLs. The emulator also accepts http:// on loopback
 * hosts (local test receivers), and on any host when the `allowHttp` webhook option is set.
 */
function checkWebhookUrl(raw: string, allowHttp: boolean): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BotApiError(400, "bad.request", "Invalid subscription url");
  }
  if (url.protocol === "https:") return;
  if (url.protocol === "http:" && (allowHttp || LOOPBACK.test(url.hostname))) return;
  throw new BotApiError(400, "bad.request", "Subscription url must use https");
}
