/**
 * The update pipeline: adapter events → durable inbox → handlers, in order per chat and
 * concurrently across chats. The events of one adapter emit run are admitted to the store in one
 * transaction, in a microtask right after the listener returns (so before the adapter, which
 * awaits before committing its platform offset, moves on); a handler's state changes
 * (`effects.onCommit`) are applied in the one transaction that marks the update done and moves the
 * chat's catch-up cursor. A crash between the two re-runs the handler (at least once) but never
 * applies its state twice (exactly once).
 *
 * Memory stays bounded: each chat keeps at most `queueLimit` updates in memory; beyond that (and
 * after a restart) updates wait in the store and are read back in admission order.
 *
 * Store writes of one event-loop turn (handler starts, completions with their state changes, the
 * next start of the same chat) share one transaction (group-commit.ts): one disk sync serves many
 * updates.
 *
 * Over the ~500-line guide: intake, per-chat scheduling, retry and catch-up share one state
 * machine (which chat runs, what is in memory, what the store still holds); split, each part
 * would reach into the others' state.
 */
import type { Adapter, AdapterEvent } from "../core/adapter.js";
import { backoffDelay } from "../core/backoff.js";
import type { Message } from "../core/model.js";
import { catchUp } from "./catch-up.js";
import { GroupCommit } from "./group-commit.js";
import { accountKeyOf, chatKeyOf, cursorOf, updateKeyOf } from "./keys.js";
import type { AccountKey, Pipeline, PipelineOptions, StoredUpdate, UpdateEffects } from "./types.js";

/** How a handler failure is reported (`final`: completed as failed, no more retries). */
export interface PipelineErrorInfo {
  update: StoredUpdate;
  attempt: number;
  final: boolean;
  timedOut: boolean;
}

/** Options beyond the fixed seam (types.ts PipelineOptions); all optional. */
export interface PipelineExtraOptions {
  /** Handler failures and timeouts (each attempt), and the pipeline's own errors (no `info`). */
  onError?: (error: unknown, info?: PipelineErrorInfo) => void;
  /** Updates one chat keeps in memory (default 100); more wait in the store. */
  queueLimit?: number;
  /** First retry delay ceiling, ms (default 250; exponential with jitter, at most 30 s). */
  retryBaseMs?: number;
  /** Done keys are kept this long for de-duplication (default 7 days), pruned on start and hourly. */
  retentionMs?: number;
  /** History pages (of 100 messages) read per chat when catching up on start (default 20). */
  catchUpPages?: number;
  /**
   * Messages our own account wrote, skipped by catch-up (live events never carry them, and a bot
   * answering its own replies after a restart would loop). Default: the author is the adapter's
   * `self` (every adapter names its own user once connected).
   */
  isOwnMessage?: (adapter: Adapter, message: Message) => boolean;
}

function ownByUserId(adapter: Adapter, message: Message): boolean {
  return adapter.self !== undefined && adapter.self.id === message.author.id;
}

export { accountKeyOf, chatKeyOf, updateKeyOf };

export type CreatePipelineOptions = PipelineOptions & PipelineExtraOptions;

/** Reruns after a commit conflict (a session written meanwhile), not counted as attempts. */
const MAX_CONFLICT_RERUNS = 5;
const SCAN_EXTRA = 500;
const PRUNE_EVERY_MS = 3_600_000;

export class HandlerTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the handler did not finish within ${timeoutMs} ms (abandoned; the update will be retried)`);
    this.name = "HandlerTimeoutError";
  }
}

class Effects implements UpdateEffects {
  readonly writes: (() => void)[] = [];
  abandoned = false;
  onCommit(write: () => void): void {
    // An abandoned (timed-out) run must not change state: its update runs again.
    if (!this.abandoned) this.writes.push(write);
  }
}

interface Lane {
  key: string;
  queue: StoredUpdate[];
  running: boolean;
  /** Waiting for a retry delay. */
  timer?: NodeJS.Timeout;
  /** The next update's start, counted in the commit that completed the one before it. */
  started?: { key: string; attempt: number };
}

export function createPipeline(options: CreatePipelineOptions): Pipeline {
  const { store, handle } = options;
  const concurrency = Math.max(1, options.concurrency ?? 16);
  const timeoutMs = options.handlerTimeoutMs ?? 30_000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const queueLimit = Math.max(1, options.queueLimit ?? 100);
  const retryBaseMs = options.retryBaseMs ?? 250;
  const retentionMs = options.retentionMs ?? 7 * 24 * 3_600_000;
  const catchUpPages = options.catchUpPages ?? 20;
  const isOwnMessage = options.isOwnMessage ?? ownByUserId;

  const adapters = new Map<AccountKey, Adapter>();
  const unsubscribes = new Map<AccountKey, () => void>();
  const lanes = new Map<string, Lane>();
  /** Keys in memory (queued or running), so a store read-back skips them. */
  const known = new Set<string>();
  /** Lanes with work, waiting for a concurrency slot. */
  const ready: Lane[] = [];
  const runningHandlers = new Set<Promise<void>>();
  let active = 0;
  /** Some pending updates are only in the store (a full lane, a restart): new ones go there too, to keep order. */
  let backlog = true;
  let refillScheduled = false;
  let running = false;
  let starting = false;
  let pruneTimer: NodeJS.Timeout | undefined;
  let idleWaiters: (() => void)[] = [];
  /** Bumped by stop(): a run of an older generation (outlived stop's wait) never commits. */
  let generation = 0;
  const liveEffects = new Set<Effects>();
  /** Events waiting for the admission transaction (this microtask). */
  let admitting: Omit<StoredUpdate, "seq" | "attempts">[] = [];
  /** Store writes of one event-loop turn, in one transaction. */
  const group = new GroupCommit(store);

  const report = (error: unknown, info?: PipelineErrorInfo): void => {
    try {
      options.onError?.(error, info);
    } catch {
      // A failing reporter must not stop the pipeline.
    }
  };

  function laneOf(chatKey: string): Lane {
    let lane = lanes.get(chatKey);
    if (!lane) {
      lane = { key: chatKey, queue: [], running: false };
      lanes.set(chatKey, lane);
    }
    return lane;
  }

  function enqueue(lane: Lane, update: StoredUpdate): void {
    lane.queue.push(update);
    known.add(update.key);
    schedule(lane);
  }

  /**
   * Admits one event: the events an adapter emits in one synchronous run (one socket read) are
   * stored in ONE transaction, in a microtask right after its listener returns — so durable before
   * any code that awaits after emitting (where every adapter commits its platform offset).
   */
  function admitEvent(adapter: Adapter, event: AdapterEvent): void {
    if (event.type === "connection.state") return; // local, not a platform update (ids restart per process)
    if (admitting.length === 0) queueMicrotask(admitBatch);
    admitting.push({
      key: updateKeyOf(adapter, event),
      chatKey: chatKeyOf(adapter, event),
      account: accountKeyOf(adapter),
      event,
      receivedAt: Date.now(),
    });
  }

  function admitBatch(): void {
    const batch = admitting;
    admitting = [];
    const fresh: typeof batch = [];
    try {
      store.transaction(() => {
        for (const update of batch) if (store.admit(update)) fresh.push(update);
      });
    } catch (err) {
      report(err);
      return;
    }
    // With nothing waiting in the store that is not in memory, the new updates go straight to
    // their lanes in admission order (no read-back); from the first that cannot (a full lane, an
    // account not attached) on, the rest are read back from the store, which keeps the order.
    for (const update of fresh) {
      if (backlog || !running) break;
      const lane = adapters.has(update.account) ? laneOf(update.chatKey) : undefined;
      if (!lane || lane.queue.length >= queueLimit) backlog = true;
      else enqueue(lane, { ...update, seq: 0, attempts: 0 });
    }
    if (backlog) scheduleRefill();
    checkIdle();
  }

  function scheduleRefill(): void {
    if (refillScheduled || !running) return;
    refillScheduled = true;
    setImmediate(() => {
      refillScheduled = false;
      try {
        refill();
      } catch (err) {
        report(err);
      }
      checkIdle();
    });
  }

  /** Reads pending updates back from the store, oldest first, into lanes with room. */
  function refill(): void {
    if (!running) return;
    const limit = known.size + SCAN_EXTRA;
    const pending = store.pending(limit);
    const full = new Set<string>();
    for (const update of pending) {
      if (known.has(update.key) || full.has(update.chatKey)) continue;
      if (!adapters.has(update.account)) continue; // waits for its adapter to be attached
      const lane = laneOf(update.chatKey);
      if (lane.queue.length >= queueLimit) {
        full.add(update.chatKey);
        continue;
      }
      enqueue(lane, update);
    }
    backlog = pending.length >= limit || full.size > 0;
  }

  function schedule(lane: Lane): void {
    if (!running || lane.running || lane.timer || lane.queue.length === 0 || ready.includes(lane)) return;
    ready.push(lane);
    pump();
  }

  function pump(): void {
    while (running && active < concurrency && ready.length > 0) {
      const lane = ready.shift() as Lane;
      if (lane.running || lane.queue.length === 0) continue;
      lane.running = true;
      active++;
      const run = runHead(lane)
        .catch((err: unknown) => {
          // Only the store can fail here (the handler's errors are caught): the update stays pending.
          report(err);
          if (lane.queue.length > 0 && !lane.timer) retryLater(lane, 1);
        })
        .finally(() => {
          runningHandlers.delete(run);
          lane.running = false;
          active--;
          if (lane.queue.length === 0 && !lane.timer) {
            if (lanes.get(lane.key) === lane) lanes.delete(lane.key);
          } else schedule(lane);
          if (backlog && lane.queue.length < queueLimit / 2) scheduleRefill();
          pump();
          checkIdle();
        });
      runningHandlers.add(run);
    }
  }

  /** One attempt at the lane's oldest update (a failure leaves it at the head, retried after a delay). */
  async function runHead(lane: Lane): Promise<void> {
    const update = lane.queue[0] as StoredUpdate;
    const adapter = adapters.get(update.account);
    if (!adapter) {
      // Detached meanwhile: leave it in the store for later.
      lane.queue.shift();
      known.delete(update.key);
      backlog = true;
      return;
    }
    let attempt = 0;
    const myGeneration = generation;
    const prestarted = lane.started;
    lane.started = undefined;
    if (prestarted?.key === update.key) attempt = prestarted.attempt;
    else {
      try {
        await group.run(() => {
          attempt = store.started(update.key);
        });
      } catch (err) {
        report(err);
        return retryLater(lane, 1);
      }
      if (myGeneration !== generation) return; // stopped meanwhile: the update stays pending
    }
    const current = { ...update, attempts: attempt };
    if (attempt > maxAttempts) {
      // Started this often without finishing (crashes or timeouts): give up on it.
      finish(lane, current, []);
      report(new Error(`update ${update.key} gave up after ${attempt - 1} unfinished attempts`), {
        update: current,
        attempt,
        final: true,
        timedOut: false,
      });
      return;
    }
    let error: unknown;
    let timedOut = false;
    for (let rerun = 0; ; rerun++) {
      const effects = new Effects();
      liveEffects.add(effects);
      const outcome = await runWithTimeout(() => handle(current, adapter, effects), effects);
      liveEffects.delete(effects);
      if (myGeneration !== generation) return; // stopped meanwhile: the update stays pending
      if (outcome.ok) {
        try {
          let committed = false;
          let next: Lane["started"];
          await group.run(() => {
            // A run that outlived stop() never commits: its update stays pending.
            if (myGeneration !== generation) return;
            completeWith(current, effects.writes);
            committed = true;
            // The chat's next update is started in the same commit: one disk sync, not two.
            const following = lane.queue[1];
            next =
              following && running && !group.settling
                ? { key: following.key, attempt: store.started(following.key) }
                : undefined;
          });
          if (committed) {
            dequeue(lane, current);
            lane.started = next;
          }
          return;
        } catch (err) {
          if (isCommitConflict(err) && rerun < MAX_CONFLICT_RERUNS && running) continue;
          error = err;
        }
      } else {
        error = outcome.error;
        timedOut = outcome.timedOut;
      }
      break;
    }
    const final = attempt >= maxAttempts;
    report(error, { update: current, attempt, final, timedOut });
    if (final) {
      try {
        finish(lane, current, []);
      } catch (err) {
        report(err);
        retryLater(lane, attempt);
      }
      return;
    }
    retryLater(lane, attempt);
  }

  /** Marks the update done with its state changes and the chat's cursor, in one transaction. */
  function finish(lane: Lane, update: StoredUpdate, writes: readonly (() => void)[]): void {
    store.transaction(() => completeWith(update, writes));
    dequeue(lane, update);
  }

  function completeWith(update: StoredUpdate, writes: readonly (() => void)[]): void {
    for (const write of writes) write();
    store.complete(update.key);
    const cursor = cursorOf(update.event);
    if (cursor) store.setCursor(update.chatKey, cursor);
  }

  function dequeue(lane: Lane, update: StoredUpdate): void {
    lane.queue.shift();
    known.delete(update.key);
  }

  function retryLater(lane: Lane, attempt: number): void {
    if (!running) return;
    const delay = Math.max(retryBaseMs / 2, backoffDelay(attempt, { baseMs: retryBaseMs }));
    lane.timer = setTimeout(() => {
      lane.timer = undefined;
      schedule(lane);
      checkIdle();
    }, delay);
  }

  async function runWithTimeout(
    fn: () => Promise<void>,
    effects: Effects,
  ): Promise<{ ok: true } | { ok: false; error: unknown; timedOut: boolean }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<{ ok: false; error: unknown; timedOut: boolean }>((resolve) => {
      timer = setTimeout(() => {
        effects.abandoned = true;
        effects.writes.length = 0;
        resolve({ ok: false, error: new HandlerTimeoutError(timeoutMs), timedOut: true });
      }, timeoutMs);
    });
    const run = (async () => {
      try {
        await fn();
        return { ok: true as const };
      } catch (error) {
        return { ok: false as const, error, timedOut: false };
      }
    })();
    try {
      return await Promise.race([run, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  function checkIdle(): void {
    if (!running || starting || active > 0 || known.size > 0 || backlog || refillScheduled) return;
    if (admitting.length > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  function subscribe(key: AccountKey, adapter: Adapter): void {
    unsubscribes.get(key)?.();
    unsubscribes.set(
      key,
      adapter.onEvent((event) => admitEvent(adapter, event)),
    );
  }

  return {
    attach(adapter: Adapter): void {
      const key = accountKeyOf(adapter);
      adapters.set(key, adapter);
      subscribe(key, adapter);
      backlog = true; // updates of this account may be waiting in the store
      scheduleRefill();
    },

    async start(): Promise<void> {
      if (running) return;
      running = true;
      starting = true;
      backlog = true;
      for (const [key, adapter] of adapters) if (!unsubscribes.has(key)) subscribe(key, adapter);
      try {
        store.prune(retentionMs, Date.now());
      } catch (err) {
        report(err);
      }
      pruneTimer = setInterval(() => {
        try {
          store.prune(retentionMs, Date.now());
        } catch (err) {
          report(err);
        }
      }, PRUNE_EVERY_MS);
      pruneTimer.unref();
      refill(); // what a crash (or a full queue) left pending, oldest first
      await catchUp({
        store,
        adapters: [...adapters.values()],
        pages: catchUpPages,
        isRunning: () => running,
        isOwnMessage,
        admit: admitEvent,
        report,
      });
      starting = false;
      scheduleRefill();
      checkIdle();
    },

    async stop(stopTimeoutMs = 30_000): Promise<void> {
      for (const off of unsubscribes.values()) off();
      unsubscribes.clear();
      running = false;
      clearInterval(pruneTimer);
      for (const lane of lanes.values()) clearTimeout(lane.timer);
      ready.length = 0;
      const waitAll = Promise.allSettled([...runningHandlers]);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([waitAll, new Promise<void>((r) => (timer = setTimeout(r, stopTimeoutMs)))]);
      clearTimeout(timer);
      // Runs that outlived the wait are abandoned: their writes are dropped, their updates stay pending.
      generation++;
      for (const effects of liveEffects) {
        effects.abandoned = true;
        effects.writes.length = 0;
      }
      liveEffects.clear();
      // What is left is pending in the store; a later start() reads it back.
      lanes.clear();
      known.clear();
      backlog = true;
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    },

    idle(): Promise<void> {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        if (running) scheduleRefill();
        checkIdle();
      });
    },
  };
}

function isCommitConflict(err: unknown): boolean {
  return (
    typeof err === "object" && err !== null && (err as { commitConflict?: unknown }).commitConflict === true
  );
}
