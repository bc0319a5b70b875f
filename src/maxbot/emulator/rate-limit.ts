/**
 * The platform's request limit: 30 requests per second per bot token. The 31st request inside
 * any sliding second is answered 429 `{code: "too.many.requests", message}` (no Retry-After
 * header: the platform documents none) and is not counted. A long poll counts once, when it
 * arrives. Requests are keyed by the token itself (hashed), before authentication, so a flood
 * of bad tokens is limited too; requests without a token (the upload URLs) are not limited.
 */
import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { MaxBotContext } from "./context.js";
import { BotApiError, sendError } from "./errors.js";

export const REQUESTS_PER_SECOND = 30;
const WINDOW_MS = 1000;
/** Above this many tracked tokens, idle ones are swept. */
const SWEEP_AT = 10_000;

function tokenOf(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === "string" && header.trim() !== "") return header.trim();
  const q = req.query as Record<string, unknown> | undefined;
  const fromQuery = q?.access_token;
  return typeof fromQuery === "string" && fromQuery !== "" ? fromQuery : undefined;
}

export function registerRateLimit(
  app: FastifyInstance,
  ctx: MaxBotContext,
  perSecond = REQUESTS_PER_SECOND,
): void {
  /** Per token hash: arrival times of the last `perSecond` counted requests, oldest first. */
  const windows = new Map<string, number[]>();

  app.addHook("onRequest", async (req, reply) => {
    const token = tokenOf(req);
    if (token === undefined) return;
    const key = createHash("sha256").update(token).digest("base64url");
    const now = ctx.clock.now();
    let times = windows.get(key);
    if (!times) {
      if (windows.size >= SWEEP_AT) sweep(windows, now);
      times = [];
      windows.set(key, times);
    }
    while (times.length > 0 && now - (times[0] as number) >= WINDOW_MS) times.shift();
    if (times.length >= perSecond) {
      return sendError(
        reply,
        new BotApiError(429, "too.many.requests", `Too many requests: at most ${perSecond} per second`),
      );
    }
    times.push(now);
  });
}

function sweep(windows: Map<string, number[]>, now: number): void {
  for (const [key, times] of windows) {
    const last = times[times.length - 1];
    if (last === undefined || now - last >= WINDOW_MS) windows.delete(key);
  }
}
