/**
 * What every part of the Bot API emulator shares: the sandbox database (the MAX world's too),
 * the MAX world it acts in, the clock, the log, the faces' URLs and its own base URL. The auth
 * hook puts the calling bot's user id on each request (`request.botId`).
 */
import type { Clock } from "../../core/emulator/clock.js";
import type { Logger } from "../../core/log.js";
import type { Database } from "../../core/storage.js";
import type { MaxBotWorld } from "./world.js";

export interface MaxBotContext {
  db: Database;
  world: MaxBotWorld;
  clock: Clock;
  log: Logger;
  /** Every sandbox face's URL (empty outside a sandbox until listening). */
  urls(): Readonly<Record<string, string>>;
  /** This face's `http://host:port` (for upload URLs it hands out). */
  baseUrl(): string;
}

declare module "fastify" {
  interface FastifyRequest {
    /** The MAX user id of the bot whose token authenticated the request (0 before auth). */
    botId: number;
  }
}
