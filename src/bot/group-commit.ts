/**
 * Group commit for the bot's store: writes asked for in one event-loop turn (handler starts,
 * completions with their state changes, across chats) go in one transaction, so one disk sync
 * serves them all. When one write throws (a commit conflict), the transaction rolls back: that
 * write's caller gets the error (its writes ran once, as if alone) and the others are committed
 * again without it — they are store writes, undone by the rollback, so running them again is safe.
 */
import type { BotStore } from "./types.js";

interface BatchedWrite {
  write: () => void;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Run inside each commit attempt, around the writes (e.g. to write once what many writes share). */
export interface GroupCommitHooks {
  begin?: () => void;
  end?: () => void;
}

export class GroupCommit {
  readonly #store: Pick<BotStore, "transaction">;
  readonly #hooks: GroupCommitHooks;
  #batched: BatchedWrite[] = [];
  #settling = false;

  constructor(store: Pick<BotStore, "transaction">, hooks: GroupCommitHooks = {}) {
    this.#store = store;
    this.#hooks = hooks;
  }

  /**
   * True while a batch is re-committed after one of its writes failed: callers then keep new
   * work (a chat's next update) out of it, so the failed caller's rerun goes first.
   */
  get settling(): boolean {
    return this.#settling;
  }

  /** Runs `write` in this turn's transaction; resolves once that transaction committed. */
  run(write: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#batched.length === 0) {
        setImmediate(() => {
          const batch = this.#batched;
          this.#batched = [];
          this.#commit(batch);
        });
      }
      this.#batched.push({ write, resolve, reject });
    });
  }

  #commit(batch: readonly BatchedWrite[]): void {
    let failed: BatchedWrite | undefined;
    let failure: unknown;
    try {
      this.#store.transaction(() => {
        this.#hooks.begin?.();
        for (const job of batch) {
          failed = job;
          job.write();
        }
        failed = undefined;
        this.#hooks.end?.();
      });
    } catch (err) {
      failure = err;
    }
    if (failure === undefined) {
      for (const job of batch) job.resolve();
      return;
    }
    if (failed === undefined || batch.length === 1) {
      // The commit itself failed (the disk, a lock): nothing was written.
      for (const job of batch) job.reject(failure);
      return;
    }
    failed.reject(failure);
    const rest = batch.filter((job) => job !== failed);
    this.#settling = true;
    try {
      if (rest.length > 0) this.#commit(rest);
    } finally {
      this.#settling = false;
    }
  }
}
