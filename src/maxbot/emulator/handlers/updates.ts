import type { FastifyInstance } from "fastify";
import type { MaxBotContext } from "../context.js";
import type { UpdatesService } from "../updates/index.js";

/** GET /updates (long polling) and GET/POST/DELETE /subscriptions (webhooks). */
export function registerUpdateRoutes(app: FastifyInstance, ctx: MaxBotContext, updates: UpdatesService): void {
  void app;
  void ctx;
  void updates;
}
