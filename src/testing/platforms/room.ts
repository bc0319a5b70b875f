/**
 * What each platform file of the kit provides: a room, that is the bot's account on that platform
 * and a test chat it is in, set up through the sandbox's admin API and the platform's own wire;
 * `join` adds a fresh user of that platform to the chat.
 */
import { randomInt } from "node:crypto";
import type { Adapter } from "../../core/adapter.js";
import type { PlatformName, Ref } from "../../core/model.js";
import type { SandboxAdmin } from "../admin.js";
import type { JoinedUser } from "../test-user.js";

export interface RoomContext {
  admin: SandboxAdmin;
  /** Unique per kit: goes into every name the kit creates, so kits can share one sandbox. */
  kitId: string;
  /** The bot's display name on every platform. */
  botName: string;
  /** The `account` of the bot's Refs on every platform. */
  botAccount: string;
}

export interface PlatformRoom {
  readonly platform: PlatformName;
  /** The bot's account, not connected by the kit's Bot yet (the Bot connects it). */
  readonly account: Adapter;
  /** The test chat as the bot's account sees it. */
  readonly chat: Ref;
  /** The bot's own user as its account sees it. */
  readonly botUser: Ref;
  /**
   * Creates a user named `name`, calls `attach` with their adapter before it connects (so the
   * caller hears everything), connects it and makes the user a member of the test chat.
   */
  join(name: string, attach: (adapter: Adapter) => void): Promise<JoinedUser>;
  /** Closes the kit's helper clients and the bot's account (safe if the Bot already closed it). */
  close(): Promise<void>;
}

/** A fresh number of `digits` digits (no leading zero), for phones and QQ numbers. */
export function randomDigits(digits: number): string {
  let s = String(randomInt(1, 10));
  while (s.length < digits) s += String(randomInt(0, 10));
  return s;
}

/** Tries `create` with fresh random identifiers until one is free (409 means taken), at most 5 times. */
export async function withFreshId<T>(create: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await create();
    } catch (err) {
      const status = (err as { details?: { status?: unknown } }).details?.status;
      if (status !== 409 || attempt >= 5) throw err;
    }
  }
}

/** Closes every resource, even when some fail; rethrows the first failure. */
export async function closeAll(closers: readonly (() => Promise<unknown>)[]): Promise<void> {
  const results = await Promise.allSettled(closers.map((close) => close()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}
