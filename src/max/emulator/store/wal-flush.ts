import { close, fdatasync, open } from "node:fs";
import { resolve } from "node:path";
import type { Database } from "../../../core/storage.js";

/**
 * Group commits whose disk flush runs off the event loop.
 *
 * With WAL and `synchronous = FULL`, SQLite flushes the WAL (fdatasync) inside COMMIT: the event
 * loop stands still for the disk, about 1 ms per batch here, and nothing else is parsed or sent
 * meanwhile. For the hot group commit (opcode 64) the batch is written with `synchronous = NORMAL`
 * (the same WAL frames, without the flush), FULL is set back at once, and then the WAL file is
 * flushed with fdatasync on libuv's thread pool: the same flush FULL does, after the same frames.
 * Callers answer only when the returned promise resolves, so an acknowledged message is on disk
 * exactly as before; meanwhile the event loop serves the next frames. Batches committed while a
 * flush runs share the next one; flushes resolve in commit order.
 *
 * Between the commit and the flush the rows are already readable by other requests; a process
 * crash then loses nothing (the frames are in the OS cache), a power cut could lose them, but
 * nobody was told they were stored. A failed flush rejects: those senders get an error.
 *
 * Only for file-backed WAL databases whose setting is FULL; anything else (in-memory, rollback
 * journal, NORMAL / OFF / EXTRA) commits as it always did and `undefined` comes back.
 */
export function commitDurably(
  db: Database,
  commit: () => void,
  /** False: flush inside the commit as SQLite does (a lone message: nothing else to do meanwhile). */
  offload = true,
): Promise<void> | undefined {
  const state = offload ? stateOf(db) : null;
  if (!state || db.inTransaction || db.pragma("synchronous", { simple: true }) !== FULL) {
    commit();
    return undefined;
  }
  db.pragma("synchronous = NORMAL");
  try {
    commit();
  } finally {
    db.pragma("synchronous = FULL");
  }
  return new Promise((resolve, reject) => {
    state.waiting.push({ resolve, reject });
    if (!state.flushing) flush(state);
  });
}

/**
 * Runs `fn` once the WAL flush in progress (if any) is done and its waiters are settled; at once
 * when none runs. A group commit waits here so that the batches arriving during one flush become
 * one transaction and ride the next flush together (fewer commits, fewer WAL pages per message).
 */
export function afterFlush(db: Database, fn: () => void): void {
  const state = states.get(db);
  if (!state?.flushing) fn();
  else state.next.push(fn);
}

/** `PRAGMA synchronous` value of FULL. */
const FULL = 2;

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface FlushState {
  db: Database;
  walPath: string;
  fd: number | undefined;
  flushing: boolean;
  waiting: Waiter[];
  /** Run after the current flush settles (afterFlush). */
  next: (() => void)[];
}

/** Per database; `null` when it is not a file-backed WAL database. */
const states = new WeakMap<Database, FlushState | null>();

function stateOf(db: Database): FlushState | null {
  let state = states.get(db);
  if (state === undefined) {
    const wal = !db.memory && String(db.pragma("journal_mode", { simple: true })).toLowerCase() === "wal";
    state = wal
      ? { db, walPath: `${resolve(db.name)}-wal`, fd: undefined, flushing: false, waiting: [], next: [] }
      : null;
    states.set(db, state);
  }
  return state;
}

/** Flushes the WAL for everyone waiting now; whoever commits meanwhile waits for the next flush. */
function flush(state: FlushState): void {
  const batch = state.waiting;
  state.waiting = [];
  state.flushing = true;
  const done = (err: NodeJS.ErrnoException | null) => {
    state.flushing = false;
    for (const w of batch) {
      if (err) w.reject(err);
      else w.resolve();
    }
    const next = state.next;
    state.next = [];
    for (const fn of next) fn();
    if (state.waiting.length > 0 && !state.flushing) flush(state);
    else if (!state.db.open && state.fd !== undefined) {
      // The database is closed: its WAL handle goes too (a new database opens its own).
      close(state.fd, () => {});
      state.fd = undefined;
    }
  };
  if (state.fd !== undefined) {
    fdatasync(state.fd, done);
    return;
  }
  // The WAL file exists from the first commit on and stays while the database is open.
  open(state.walPath, "r+", (err, fd) => {
    if (err) return done(err);
    state.fd = fd;
    fdatasync(fd, done);
  });
}
