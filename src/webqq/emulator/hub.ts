/**
 * Live sessions and their poll queues (memory: a poll queue is transient on the real service
 * too). Each session holds at most one long poll; items wait in the session's queue until the
 * next poll takes them, so nothing is lost while the client is between polls.
 */
import type { PollItem } from "../protocol.js";

export type SessionState = "active" | "kicked" | "closed";

export interface Session {
  psessionid: string;
  vfwebqq: string;
  ptwebqq: string;
  clientid: string;
  qq: number;
  status: string;
  state: SessionState;
  queue: PollItem[];
  /** A batch to deliver once more (the "same msg_id twice" fault). */
  redeliver: PollItem[] | undefined;
  waiter: Waiter | undefined;
  lastSeen: number;
}

interface Waiter {
  finish(body: PollAnswer): void;
}

export type PollAnswer = { retcode: number; [k: string]: unknown };

export const MAX_BATCH = 50;

export class Hub {
  readonly byPsession = new Map<string, Session>();
  readonly byVf = new Map<string, Session>();
  readonly byQq = new Map<number, Set<Session>>();

  add(s: Session): void {
    this.byPsession.set(s.psessionid, s);
    this.byVf.set(s.vfwebqq, s);
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

  /** Forget a session entirely (closed and drained). */
  remove(s: Session): void {
    this.byPsession.delete(s.psessionid);
    this.byVf.delete(s.vfwebqq);
    this.byQq.get(s.qq)?.delete(s);
    s.waiter?.finish({ retcode: 102, errmsg: "" });
  }

  push(s: Session, item: PollItem): void {
    s.queue.push(item);
    if (s.waiter) {
      const w = s.waiter;
      s.waiter = undefined;
      w.finish(this.take(s));
    }
  }

  /** What a poll answers right now, or undefined when it should wait. */
  take(s: Session): PollAnswer {
    if (s.redeliver) {
      const again = s.redeliver;
      s.redeliver = undefined;
      return { retcode: 0, result: again };
    }
    if (s.queue.length > 0) return { retcode: 0, result: s.queue.splice(0, MAX_BATCH) };
    if (s.state === "kicked") return { retcode: 121, t: "0" };
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

  /** Ends every held poll (server shutdown). */
  closeAll(): void {
    for (const s of this.byPsession.values()) s.waiter?.finish({ retcode: 102, errmsg: "" });
  }
}
