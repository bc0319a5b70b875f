/**
 * BotError: what a handler threw (or its timeout), with the update it was handling, so one
 * `bot.catch` handler can log and carry on. One bad handler never stops the bot.
 */
import type { PlatformName, Ref } from "../core/model.js";

export interface BotErrorContext {
  updateKey: string;
  platform: PlatformName;
  chat?: Ref | undefined;
}

export class BotError<C extends BotErrorContext = BotErrorContext> extends Error {
  override readonly name = "BotError";
  /** What the handler threw. */
  readonly error: unknown;
  readonly ctx: C;
  readonly updateKey: string;
  readonly platform: PlatformName;
  readonly chat: Ref | undefined;

  constructor(error: unknown, ctx: C) {
    super(`handler failed on ${ctx.updateKey}: ${describe(error)}`, { cause: error });
    this.error = error;
    this.ctx = ctx;
    this.updateKey = ctx.updateKey;
    this.platform = ctx.platform;
    this.chat = ctx.chat;
  }
}

/** A handler ran longer than `handlerTimeoutMs`. */
export class HandlerTimeoutError extends Error {
  override readonly name = "HandlerTimeoutError";
  constructor(readonly timeoutMs: number) {
    super(`handler still running after ${timeoutMs} ms`);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

export type ErrorHandler<C extends BotErrorContext = BotErrorContext> = (error: BotError<C>) => unknown;
