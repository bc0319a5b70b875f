/**
 * Live sessions and their poll queues. The maps are a cache in front of the store: every session
 * and every queued item is written to SQLite (through `HubStore`) before anyone is told about it,
 * so a restart loses neither. Each session holds at most one long poll; items wait in the
 * session's queue until the next poll takes them, so nothing is lost while the client is between
 * polls. Sessions are keyed by sha256(psessionid) / sha256(vfwebqq): the clear values are not kept
 * at rest, and a restored session learns its vfwebqq again only when the client presents it.
 */
import type { PollItem } from "../protocol.js";

export type SessionState = "active" | "kicked" | "closed";

export interface QueueEntry {
  /** Row id in `webqq_session_queue` (ascending in queue order). */
  id: number;
  item: PollItem;
}

export interface Session {
  /** sha256(psessionid): the key of the session. */
  psid: string;
  /** sha256(vfwebqq). */
  vfHash: string;
  /** sha256(ptwebqq) (changes on a 116 rotation). */
  ptHash: string;
  /** The clear vfwebqq while known (memory only: from login2 or once the client presents it). */
  vfwebqq: string | undefined;
  clientid: string;
  qq: number;
  status: string;
  state: SessionState;
  queue: QueueEntry[];
  /** A batch to deliver once more (the "same msg_id twice" fault). */
  redeliver: PollItem[] | undefined;
  waiter: Waiter | undefined;
  /**
   * Set when an item could not be queued because the queue was full: the client missed
   * something, so once it has polled its queue empty its poll answers 103 (it relinks).
   */
  stalled?: boolean;
  lastSeen: number;
  /** The last_seen value last written to the store. */
  savedSeen: number;
}

/** Where the hub keeps queues at rest (see `SessionStore`). */
export interface HubStore {
  /** Stores an item for the session; returns its row id. */
  enqueue(psid: string, item: PollItem): number;
  /** Drops the session's items up to and including `id`. */
  dequeueThrough(psid: string, id: number): void;
  /** Puts taken items back (same ids). */
  requeue(psid: string, entries: readonly QueueEntry[]): void;
  /** Moves every queued item of one session to another. */
  moveQueue(from: string, to: string): void;
  /** The session is over: marks it closed and drops its queue. */
  closed(psid: string): void;
}

const memoryStore = (): HubStore => {
  let seq = 0;
  return { enqueue: () => ++seq, dequeueThrough() {}, requeue() {}, moveQueue() {}, closed() {} };
};

interface Waiter {
  finish(body: PollAnswer): void;
}

export type PollAnswer = { retcode: number; [k: string]: unknown };

export const MAX_BATCH = 50;

export class Hub {
  readonly byPsession = new Map<string, Session>();
  readonly byVf = new Map<string, Session>();
  readonly byQq = new Map<number, Set<Session>>();
  /** The queue entries behind a poll answer (to put them back when the client hung up). */
  readonly #taken = new WeakMap<PollAnswer, QueueEntry[]>();

  constructor(
    readonly store: HubStore = memoryStore(),
    /** Items one session's queue holds at most (a client that stops polling can't grow it). */
    readonly maxQueue = Number.POSITIVE_INFINITY,
  ) {}

  /** Whether the session's queue is at its cap. */
  full(s: Session): boolean {
    return s.queue.length >= this.maxQueue;
  }

  add(s: Session): void {
    this.byPsession.set(s.psid, s);
    this.byVf.set(s.vfHash, s);
    let set = this.byQq.get(s.qq);
    if (!set) {
      set = new Set();
      this.byQq.set(s.qq, set);
    }
    set.add(s);
  }

  /** Sessions that still receive messages (active ones). */
  active(qq: number): Session[] {
    const set = this.byQq.get(qq);
    if (!set) return [];
    return [...set].filter((s) => s.state === "active");
  }

  /** Forget a session entirely (closed and drained); the store marks it closed. */
  remove(s: Session): void {
    s.state = "closed";
    this.store.closed(s.psid);
    this.byPsession.delete(s.psid);
    this.byVf.delete(s.vfHash);
    this.byQq.get(s.qq)?.delete(s);
    s.waiter?.finish({ retcode: 102, errmsg: "" });
  }

  /**
   * Queues an item (committed to the store first) and wakes the held poll. A full queue takes
   * nothing (false) and marks the session stalled; `force` (a kick) goes in regardless.
   */
  push(s: Session, item: PollItem, force = false): boolean {
    if (!force && this.full(s)) {
      s.stalled = true;
      return false;
    }
    s.queue.push({ id: this.store.enqueue(s.psid, item), item });
    if (s.waiter) {
      const w = s.waiter;
      s.waiter = undefined;
      w.finish(this.take(s));
    }
    return true;
  }

  /** What a poll answers right now, or undefined when it should wait. */
  take(s: Session): PollAnswer {
    if (s.redeliver) {
      const again = s.redeliver;
      s.redeliver = undefined;
      return { retcode: 0, result: again };
    }
    if (s.queue.length > 0) {
      const entries = s.queue.splice(0, MAX_BATCH);
      const last = entries[entries.length - 1] as QueueEntry;
      this.store.dequeueThrough(s.psid, last.id);
      const answer: PollAnswer = { retcode: 0, result: entries.map((e) => e.item) };
      this.#taken.set(answer, entries);
      return answer;
    }
    if (s.state === "kicked") return { retcode: 121, t: "0" };
    if (s.stalled) return { retcode: 103, errmsg: "" };
    return { retcode: 102, errmsg: "" };
  }

  /**
   * Holds a poll until an item arrives or `timeoutMs` passes (then 102). A second poll of the
   * same session ends the first with 102. `onGone` cancels it when the client hangs up, so the
   * items stay queued for the next poll.
   */
  poll(s: Session, timeoutMs: number, onGone: (cancel: () => void) => void): Promise<PollAnswer> {
    const now = this.take(s);
    if (now.retcode !== 102) return Promise.resolve(now);
    s.waiter?.finish({ retcode: 102, errmsg: "" });
    return new Promise<PollAnswer>((resolve) => {
      let done = false;
      const waiter: Waiter = {
        finish(body) {
          if (done) return;
          done = true;
          clearTimeout(timer);
          if (s.waiter === waiter) s.waiter = undefined;
          resolve(body);
        },
      };
      const timer = setTimeout(() => waiter.finish({ retcode: 102, errmsg: "" }), timeoutMs);
      s.waiter = waiter;
      onGone(() => waiter.finish({ retcode: 102, errmsg: "" }));
    });
  }

  /** The client hung up as `answer` was taken: its items go back to the front of the queue. */
  requeue(s: Session, answer: PollAnswer): void {
    const entries = this.#taken.get(answer);
    if (!entries || s.state === "closed") return;
    this.#taken.delete(answer);
    this.store.requeue(s.psid, entries);
    s.queue.unshift(...entries);
  }

  /** Moves the undelivered items of `from` to `to` (a relink of the same client). */
  moveQueue(from: Session, to: Session): void {
    this.store.moveQueue(from.psid, to.psid);
    to.queue.push(...from.queue);
    to.queue.sort((a, b) => a.id - b.id);
    from.queue = [];
  }

  /** Ends every held poll (server shutdown). */
  closeAll(): void {
    for (const s of this.byPsession.values()) s.waiter?.finish({ retcode: 102, errmsg: "" });
  }
}
