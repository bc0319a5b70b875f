/**
 * Bot API errors: every refusal is `{code, message}` JSON with its HTTP status, as the platform
 * answers (400 bad request, 401 verify.token, 403 chat.denied/access.denied, 404 not.found,
 * 405 method.not.allowed, 429 too.many.requests, 503 service.unavailable). Handlers throw
 * BotApiError (or the world's WorldError, mapped here); zod failures become 400.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ZodError } from "zod";
import type { Logger } from "../../core/log.js";
import { redactUrl } from "../../core/redact.js";
import { WorldError } from "./world.js";

export class BotApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "BotApiError";
  }
}

export const badRequest = (message: string) => new BotApiError(400, "bad.request", message);
export const notFound = (message: string) => new BotApiError(404, "not.found", message);
export const chatDenied = (message: string) => new BotApiError(403, "chat.denied", message);
export const accessDenied = (message: string) => new BotApiError(403, "access.denied", message);

/** HTTP status of each MAX world refusal code. */
const WORLD_STATUS: Record<string, number> = {
  "not.found": 404,
  "access.denied": 403,
  "chat.denied": 403,
  conflict: 409,
  "too.long": 400,
  "bad.request": 400,
};

/**
 * A refusal of the MAX world: the class of world.ts, or the MAX side's own (same name and
 * shape; src/max may not import src/maxbot).
 */
export function isWorldError(err: unknown): err is WorldError {
  return (
    err instanceof WorldError ||
    (err instanceof Error &&
      err.name === "WorldError" &&
      typeof (err as { code?: unknown }).code === "string")
  );
}

/** The Bot API error a world refusal stands for. */
export function fromWorldError(err: WorldError): BotApiError {
  return new BotApiError(WORLD_STATUS[err.code] ?? 400, err.code, err.message);
}

/** `"body.attachments.0.payload.token: expected string"` for the first zod issue. */
export function describeZodError(err: ZodError, where: string): string {
  const issue = err.issues[0];
  if (!issue) return `Invalid ${where}`;
  const path = issue.path.length > 0 ? `${where}.${issue.path.join(".")}` : where;
  return `Invalid ${path}: ${issue.message}`;
}

export function sendError(reply: FastifyReply, err: BotApiError): FastifyReply {
  return reply.code(err.status).type("application/json").send({ code: err.code, message: err.message });
}

/** Maps anything a handler threw to an error body; unexpected errors are logged and answered 500. */
export function toBotApiError(err: unknown, log: Logger, req?: FastifyRequest): BotApiError {
  if (err instanceof BotApiError) return err;
  if (isWorldError(err)) return fromWorldError(err);
  if (err instanceof ZodError) return badRequest(describeZodError(err, "request"));
  const status = (err as FastifyError | undefined)?.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    if (status === 413) return new BotApiError(413, "bad.request", "Request body is too large");
    if (status === 415) return badRequest("Unsupported content type");
    return new BotApiError(status, "bad.request", "Invalid request");
  }
  log.error({ err, url: req ? redactUrl(req.url) : undefined }, "MAX Bot API emulator error");
  return new BotApiError(500, "internal.error", "Internal server error");
}

/** Installs the error handler that renders Bot API error bodies (routes.ts adds the 404/405 one). */
export function registerErrorHandler(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((err, req, reply) => sendError(reply, toBotApiError(err, log, req)));
}
