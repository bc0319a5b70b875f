import type { FastifyInstance } from "fastify";
import type { MaxBotContext } from "../context.js";
import { BotApiError } from "../errors.js";

/** POST /uploads, the upload URL it hands out, GET /videos/:videoToken. */
export function registerUploadRoutes(app: FastifyInstance, ctx: MaxBotContext): void {
  void app;
  void ctx;
}

/** The MAX attach for an uploaded token, or BotApiError attachment.not.ready / not.found. */
export function attachmentFromToken(
  ctx: MaxBotContext,
  botId: number,
  type: string,
  token: string,
): Record<string, unknown> {
  void ctx;
  void botId;
  void token;
  throw new BotApiError(400, "attachment.not.ready", `The ${type} attachment is not ready`);
}
