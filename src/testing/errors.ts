/**
 * The testing kit's own errors: typed, with a stable `code`, so a test (or the kit's own tests)
 * can tell a misuse of the kit from a bot that did not answer. Messages name platforms, users and
 * texts, never tokens or passwords.
 */
import { type Platform, SwitchboardError } from "../core/errors.js";

export type BotTestKitErrorCode =
  | "unknown_platform"
  | "sandbox_unreachable"
  | "admin_failed"
  | "no_reply"
  | "no_seat"
  | "closed";

export class BotTestKitError extends SwitchboardError {
  declare readonly code: BotTestKitErrorCode;
  constructor(
    message: string,
    options: {
      code: BotTestKitErrorCode;
      platform?: Platform;
      cause?: unknown;
      details?: Record<string, unknown>;
    },
  ) {
    super(message, { ...options, platform: options.platform ?? "sandbox" });
  }
}

/** A message the user saw in the test chat, as listed by a NoReplyError. */
export interface SeenMessage {
  /** Who wrote it: `bot`, `you` (the waiting user), or the author's id as the user's platform shows it. */
  from: string;
  text: string;
}

/** `nextReply` / `expectReply` waited in vain; `seen` is what did arrive in the chat meanwhile. */
export class NoReplyError extends BotTestKitError {
  readonly timeoutMs: number;
  readonly seen: readonly SeenMessage[];
  constructor(
    message: string,
    options: { platform: Platform; timeoutMs: number; seen: readonly SeenMessage[] },
  ) {
    super(message, {
      code: "no_reply",
      platform: options.platform,
      details: { timeoutMs: options.timeoutMs },
    });
    this.timeoutMs = options.timeoutMs;
    this.seen = options.seen;
  }
}
