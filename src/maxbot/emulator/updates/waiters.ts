/**
 * Long polls waiting for a bot's next update. One waiting poll per bot: a newer GET /updates of
 * the same bot ends the older one at once (it answers an empty list with its marker), so a bot
 * process that restarted does not leave a stale connection holding its updates, and the number of
 * open polls stays bounded by the number of bots.
 */
export type WaitEnd = "woken" | "timeout" | "replaced" | "closed" | "aborted";

interface Waiter {
  finish(reason: WaitEnd): void;
}

export class PollWaiters {
  private readonly waiters = new Map<number, Waiter>();
  private closed = false;

  /** Waits up to `ms` for `wake(botId)`; `signal` ends the wait when the client goes away. */
  wait(botId: number, ms: number, signal?: AbortSignal): Promise<WaitEnd> {
    if (this.closed) return Promise.resolve("closed");
    if (signal?.aborted) return Promise.resolve("aborted");
    this.waiters.get(botId)?.finish("replaced");
    return new Promise<WaitEnd>((resolve) => {
      let done = false;
      const onAbort = () => waiter.finish("aborted");
      const timer = setTimeout(() => waiter.finish("timeout"), ms);
      const waiter: Waiter = {
        finish: (reason) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          if (this.waiters.get(botId) === waiter) this.waiters.delete(botId);
          resolve(reason);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.set(botId, waiter);
    });
  }

  wake(botId: number): void {
    this.waiters.get(botId)?.finish("woken");
  }

  /** Ends every waiting poll (server shutdown): they answer at once instead of holding close(). */
  close(): void {
    this.closed = true;
    for (const waiter of [...this.waiters.values()]) waiter.finish("closed");
  }
}
