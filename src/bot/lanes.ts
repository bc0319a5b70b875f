/**
 * The pipeline's per-chat lanes: what each chat holds in memory (its oldest pending updates, in
 * order), which chats are "behind" (more of their pending updates wait in the store), and reading
 * a chat's backlog back from the store by chat. Scheduling and commits stay in pipeline.ts.
 */
import type { AccountKey, BotStore, StoredUpdate } from "./types.js";

export interface Lane {
  key: string;
  account: AccountKey;
  /** The chat's oldest pending updates in memory, in admission order; the head runs. */
  queue: StoredUpdate[];
  running: boolean;
  /** Waiting for a retry delay. */
  timer?: NodeJS.Timeout;
  /** The next update's start, counted in the commit that completed the one before it. */
  started?: { key: string; attempt: number };
  /** Some of this chat's pending updates are only in the store: new ones go there too (order). */
  behind: boolean;
  /** Every pending update of this chat up to this seq is in memory (or done): read back after it. */
  readSeq: number;
  /** Updates of this chat pending at the last scan of the store (a crash's leftovers): run carefully. */
  safeUntil: number;
  /** Completed updates whose commit is still to come (their chat's next updates run meanwhile). */
  inCommit: number;
  /** Settles when the newest of those commits did (never rejects). */
  lastCommit: Promise<void>;
  /** Bumped when the lane is reset (a failed commit, a detach): older runs neither commit nor dequeue. */
  epoch: number;
}

export class LaneTable {
  readonly lanes = new Map<string, Lane>();
  /** Keys in memory (queued, running or committing), so a read-back skips them. */
  readonly known = new Set<string>();
  /** Chats with pending updates only in the store, read back as their queues drain. */
  readonly behind = new Set<Lane>();

  /** `onQueued`: a lane got a new update (to schedule it). */
  constructor(private readonly onQueued: (lane: Lane) => void) {}

  laneOf(chatKey: string, account: AccountKey): Lane {
    let lane = this.lanes.get(chatKey);
    if (!lane) {
      lane = {
        key: chatKey,
        account,
        queue: [],
        running: false,
        behind: false,
        readSeq: 0,
        safeUntil: 0,
        inCommit: 0,
        lastCommit: Promise.resolve(),
        epoch: 0,
      };
      this.lanes.set(chatKey, lane);
    }
    return lane;
  }

  enqueue(lane: Lane, update: StoredUpdate): void {
    lane.queue.push(update);
    this.known.add(update.key);
    this.onQueued(lane);
  }

  /** Forgets a lane with nothing to do (a chat's next update makes a new one). */
  dropIfIdle(lane: Lane): void {
    if (lane.queue.length > 0 || lane.running || lane.timer || lane.behind || lane.inCommit > 0) return;
    if (this.lanes.get(lane.key) === lane) this.lanes.delete(lane.key);
  }

  markBehind(lane: Lane, isBehind = true): void {
    lane.behind = isBehind;
    if (isBehind) this.behind.add(lane);
    else this.behind.delete(lane);
  }

  /**
   * Drops what the lane holds in memory (it is read back from the store in order, when `attached`):
   * after a commit that failed while the chat's next updates ran, or when its account was detached.
   */
  reset(lane: Lane, attached: boolean): void {
    lane.epoch++;
    for (const update of lane.queue) this.known.delete(update.key);
    lane.queue.length = 0;
    lane.readSeq = 0;
    lane.started = undefined;
    this.markBehind(lane, attached);
  }

  /** Appends the chat's next pending updates from the store (its queue is always the oldest of them). */
  readBack(lane: Lane, store: BotStore, room: number): void {
    // Updates put straight into the queue carry no seq (they follow readSeq): read past them too.
    let unread = 0;
    for (const queued of lane.queue) if (queued.seq === 0) unread++;
    const limit = Math.max(1, room) + unread + lane.inCommit;
    const updates = store.pendingOf(lane.key, limit, lane.readSeq);
    for (const update of updates) {
      lane.readSeq = update.seq;
      if (!this.known.has(update.key)) this.enqueue(lane, update);
    }
    if (updates.length < limit) {
      // The store holds nothing more of this chat than its queue: new updates may go straight in.
      this.markBehind(lane, false);
      this.dropIfIdle(lane);
    }
  }

  clear(): void {
    this.lanes.clear();
    this.known.clear();
    this.behind.clear();
  }
}
