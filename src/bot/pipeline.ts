/**
 * The update pipeline: adapter events → durable inbox → handlers, in order per chat and
 * concurrently across chats. The events of one adapter emit run are admitted to the store in one
 * transaction, in a microtask right after the listener returns (so before the adapter, which
 * awaits before committing its platform offset, moves on); a handler's state changes
 * (`effects.onCommit`) are applied in the one transaction that marks the update done and moves the
 * chat's catch-up cursor. A crash between the two re-runs the handler (at least once) but never
 * applies its state twice (exactly once).
 *
 * Memory stays bounded: each chat keeps at most `queueLimit` updates in memory, and all chats
 * together at most `memoryLimit`; beyond that (and after a restart) a chat's updates wait in the
 * store and are read back by chat, in admission order, as its queue drains (a chat "behind").
 *
 * Store writes of one event-loop turn (handler starts, completions with their state changes, the
 * next start of the same chat) share one transaction (group-commit.ts): one disk sync serves many
 * updates.
 *
 * Per-chat lanes and read-back live in lanes.ts, a handler run's timeout and effects in
 * handler-run.ts, the options in pipeline-options.ts; intake, scheduling, retry and catch-up stay
 * here, as one state machine.
 */
import type { Adapter, AdapterEvent } from "../core/adapter.js";
import { backoffDelay } from "../core/backoff.js";
import { catchUp } from "./catch-up.js";
import { GroupCommit } from "./group-commit.js";
import { Effects, isCommitConflict, runWithTimeout } from "./handler-run.js";
import { accountKeyOf, chatKeyOf, cursorOf, updateKeyOf } from "./keys.js";
import { type Lane, LaneTable } from "./lanes.js";
import { ownByUserId, type PipelineErrorInfo, type PipelineExtraOptions } from "./pipeline-options.js";
import type { AccountKey, Pipeline, PipelineOptions, StoredUpdate } from "./types.js";

export { HandlerTimeoutError } from "./errors.js";
export type { PipelineErrorInfo, PipelineExtraOptions } from "./pipeline-options.js";
export { accountKeyOf, chatKeyOf, updateKeyOf };

export type CreatePipelineOptions = PipelineOptions & PipelineExtraOptions;

/** Reruns after a commit conflict (a session written meanwhile), not counted as attempts. */
const MAX_CONFLICT_RERUNS = 5;
const PRUNE_EVERY_MS = 3_600_000;
/** Completions of one chat waiting for their commit while its next updates already run. */
const PIPELINE_DEPTH = 64;
const NO_WRITES: readonly (() => void)[] = [];

export function createPipeline(options: CreatePipelineOptions): Pipeline {
  const { store, handle } = options;
  const concurrency = Math.max(1, options.concurrency ?? 16);
  const timeoutMs = options.handlerTimeoutMs ?? 30_000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const queueLimit = Math.max(1, options.queueLimit ?? 100);
  const memoryLimit = Math.max(queueLimit, options.memoryLimit ?? 10_000);
  const retryBaseMs = options.retryBaseMs ?? 250;
  const retentionMs = options.retentionMs ?? 7 * 24 * 3_600_000;
  const catchUpPages = options.catchUpPages ?? 20;
  const isOwnMessage = options.isOwnMessage ?? ownByUserId;

  const adapters = new Map<AccountKey, Adapter>();
  const unsubscribes = new Map<AccountKey, () => void>();
  const table = new LaneTable((lane) => schedule(lane));
  const { lanes, known, behind } = table;
  /** Lanes with work, waiting for a concurrency slot. */
  const ready: Lane[] = [];
  const runningHandlers = new Set<Promise<void>>();
  let active = 0;
  /**
   * The store may hold pending updates of chats not marked behind (a restart, an account attached,
   * stop()): until it is scanned, new updates wait in the store too, to keep their chat's order.
   */
  let rescan = true;
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
  /** The catch-up cursor of each chat, written once per commit (its newest completion's). */
  const cursors = new Map<string, string>();
  const group = new GroupCommit(store, {
    begin: () => cursors.clear(),
    end: () => {
      for (const [chatKey, cursor] of cursors) store.setCursor(chatKey, cursor);
      cursors.clear();
    },
  });

  const report = (error: unknown, info?: PipelineErrorInfo): void => {
    try {
      options.onError?.(error, info);
    } catch {
      // A failing reporter must not stop the pipeline.
    }
  };

  /** Drops what the lane holds in memory; it is read back from the store in order. */
  function resetLane(lane: Lane): void {
    table.reset(lane, adapters.has(lane.account));
    scheduleRefill();
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
    // A new update goes straight to its chat's queue when everything before it is there; else
    // (its chat behind, a full queue) it waits in the store and is read back in order.
    if (running && !rescan) {
      for (const update of fresh) {
        if (!adapters.has(update.account)) continue; // read back when its account is attached
        const lane = table.laneOf(update.chatKey, update.account);
        if (lane.behind) continue;
        if (lane.queue.length >= queueLimit || known.size >= memoryLimit) table.markBehind(lane);
        else table.enqueue(lane, { ...update, seq: 0, attempts: 0 });
      }
    }
    if (rescan || behind.size > 0) scheduleRefill();
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

  /**
   * Reads pending updates back from the store into the queues of chats behind that have room
   * (after a scan for chats the store holds updates of, when one is due).
   */
  function refill(): void {
    if (!running) return;
    if (rescan) {
      rescan = false;
      for (const { chatKey, account, lastSeq } of store.pendingChats()) {
        if (!adapters.has(account)) continue; // read back when its account is attached
        const lane = table.laneOf(chatKey, account);
        lane.safeUntil = Math.max(lane.safeUntil, lastSeq);
        table.markBehind(lane);
      }
    }
    for (const lane of behind) {
      if (known.size >= memoryLimit) break;
      if (lane.queue.length > queueLimit / 2) continue;
      table.readBack(lane, store, Math.min(queueLimit - lane.queue.length, memoryLimit - known.size));
    }
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
          if (lane.queue.length === 0) table.dropIfIdle(lane);
          else schedule(lane);
          if (behind.size > 0 && lane.queue.length <= queueLimit / 2) scheduleRefill();
          pump();
          checkIdle();
        });
      runningHandlers.add(run);
    }
  }

  /**
   * One attempt at the lane's oldest update (a failure leaves it at the head, retried after a delay).
   *
   * A first run outside a crash's leftovers is "pipelined": its start is counted in the next group
   * commit rather than before it runs, and when it changed no state the chat's next update starts
   * before its completion is committed (there is nothing the next one could read stale). A crash
   * before that commit reruns both (at least once), and the restart runs its leftovers carefully:
   * each start committed before the run, each completion before the next. So a poison update is
   * given up after at most one uncounted crash more than `maxAttempts`.
   */
  async function runHead(lane: Lane): Promise<void> {
    const update = lane.queue[0] as StoredUpdate;
    const adapter = adapters.get(update.account);
    if (!adapter) return resetLane(lane); // detached: waits in the store until attached again
    const myGeneration = generation;
    const myEpoch = lane.epoch;
    const stale = () => myGeneration !== generation || myEpoch !== lane.epoch;
    const pipelined = update.attempts === 0 && !(update.seq > 0 && update.seq <= lane.safeUntil);
    let attempt = 1;
    let finished = false;
    const prestarted = lane.started;
    lane.started = undefined;
    if (prestarted?.key === update.key) attempt = prestarted.attempt;
    else if (pipelined) {
      group
        .run(() => {
          // Completed in the same commit: the start needs no record.
          if (!finished && myGeneration === generation) store.started(update.key);
        })
        .catch(report);
    } else {
      try {
        await group.run(() => {
          attempt = store.started(update.key);
        });
      } catch (err) {
        report(err);
        return retryLater(lane, 1);
      }
      if (stale()) return; // stopped (or reset) meanwhile: the update stays pending
    }
    if (pipelined && lane.inCommit >= PIPELINE_DEPTH) {
      await lane.lastCommit;
      if (stale()) return;
    }
    const current = attempt === update.attempts ? update : { ...update, attempts: attempt };
    if (attempt > maxAttempts) {
      // Started this often without finishing (crashes or timeouts): give up on it.
      finish(lane, current, NO_WRITES);
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
      const outcome = await runWithTimeout(() => handle(current, adapter, effects), effects, timeoutMs);
      liveEffects.delete(effects);
      if (stale()) return; // stopped meanwhile: the update stays pending
      if (outcome.ok && pipelined && effects.writes.length === 0) {
        finished = true;
        return completeLater(lane, current);
      }
      if (outcome.ok) {
        try {
          let committed = false;
          let next: Lane["started"];
          await group.run(() => {
            // A run that outlived stop() never commits: its update stays pending.
            if (stale()) return;
            completeWith(current, effects.writes, true);
            finished = true;
            committed = true;
            // The chat's next update is started in the same commit: one disk sync, not two.
            const following = lane.queue[1];
            next =
              following && running && !group.settling
                ? { key: following.key, attempt: store.started(following.key) }
                : undefined;
          });
          if (committed && !stale()) {
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
    // Its start is on record now (or is in the next commit): a retry counts from there.
    lane.queue[0] = { ...current, attempts: attempt };
    const final = attempt >= maxAttempts;
    report(error, { update: current, attempt, final, timedOut });
    if (final) {
      try {
        finish(lane, current, NO_WRITES);
      } catch (err) {
        report(err);
        retryLater(lane, attempt);
      }
      return;
    }
    retryLater(lane, attempt);
  }

  /**
   * Dequeues a finished run that changed no state and lets its chat go on; its completion joins
   * the next group commit. If that commit fails, the chat is read back from the store in order.
   */
  function completeLater(lane: Lane, update: StoredUpdate): void {
    const myGeneration = generation;
    lane.queue.shift();
    lane.inCommit++;
    const commit = group.run(() => {
      if (myGeneration === generation) completeWith(update, NO_WRITES, true);
    });
    lane.lastCommit = commit.then(
      () => {
        lane.inCommit--;
        known.delete(update.key);
        table.dropIfIdle(lane);
        checkIdle();
      },
      (err: unknown) => {
        lane.inCommit--;
        known.delete(update.key);
        report(err);
        if (myGeneration === generation) resetLane(lane);
        checkIdle();
      },
    );
  }

  /** Marks the update done with its state changes and the chat's cursor, in one transaction. */
  function finish(lane: Lane, update: StoredUpdate, writes: readonly (() => void)[]): void {
    store.transaction(() => completeWith(update, writes, false));
    dequeue(lane, update);
  }

  /** `grouped`: inside a group commit, whose end writes each chat's newest cursor once. */
  function completeWith(update: StoredUpdate, writes: readonly (() => void)[], grouped: boolean): void {
    for (const write of writes) write();
    store.complete(update.key);
    const cursor = cursorOf(update.event);
    if (!cursor) return;
    if (grouped) cursors.set(update.chatKey, cursor);
    else store.setCursor(update.chatKey, cursor);
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

  function checkIdle(): void {
    if (!running || starting || active > 0 || known.size > 0 || behind.size > 0 || rescan || refillScheduled)
      return;
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
      rescan = true; // updates of this account may be waiting in the store
      scheduleRefill();
    },

    async start(): Promise<void> {
      if (running) return;
      running = true;
      starting = true;
      rescan = true;
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
      // A handler that called stop() itself joins the set just after this call: wait a turn, and
      // again while any is left.
      await Promise.resolve();
      const deadline = Date.now() + stopTimeoutMs;
      while (runningHandlers.size > 0 && Date.now() < deadline) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((r) => (timer = setTimeout(r, deadline - Date.now())));
        await Promise.race([Promise.allSettled([...runningHandlers]), timeout]);
        clearTimeout(timer);
      }
      // Completions already made (their chats went on before their commit) are committed now, so a
      // clean stop does not leave them to run again.
      await Promise.allSettled([...lanes.values()].map((lane) => lane.lastCommit));
      // Runs that outlived the wait are abandoned: their writes are dropped, their updates stay pending.
      generation++;
      for (const effects of liveEffects) effects.abandon();
      liveEffects.clear();
      // What is left is pending in the store; a later start() reads it back.
      table.clear();
      rescan = true;
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
