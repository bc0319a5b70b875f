/**
 * Per-request time limits without a timer per request. Items with the same time limit expire in
 * the order they were added, so each distinct limit is a FIFO lane with one timer armed for its
 * head. Adding is O(1); a settled item is skipped (and trimmed off the head when it gets there),
 * so in-order answers keep every lane short. Used by the RPC transport (rpc-ws.ts).
 */
import { performance } from "node:perf_hooks";

export interface DeadlineItem {
  /** Set by the owner once the item is settled; a done item never expires. */
  done: boolean;
  /** Filled in by `add`: when the item expires (performance.now() ms) and its lane. */
  deadline: number;
  lane: DeadlineLane | undefined;
}

export interface DeadlineLane {
  readonly ms: number;
  items: DeadlineItem[];
  head: number;
  timer: NodeJS.Timeout | undefined;
}

export class Deadlines<T extends DeadlineItem> {
  readonly #lanes = new Map<number, DeadlineLane>();
  readonly #expire: (item: T) => void;

  /** `expire` runs once for every item whose limit passed before it was done. */
  constructor(expire: (item: T) => void) {
    this.#expire = expire;
  }

  add(item: T, ms: number): void {
    let lane = this.#lanes.get(ms);
    if (!lane) {
      lane = { ms, items: [], head: 0, timer: undefined };
      this.#lanes.set(ms, lane);
    }
    item.deadline = performance.now() + ms;
    item.lane = lane;
    const wasEmpty = lane.head === lane.items.length;
    lane.items.push(item);
    if (!lane.timer) this.#arm(lane, ms);
    // An idle lane's timer is unref'd so it never holds the process open by itself.
    else if (wasEmpty) lane.timer.ref();
  }

  /** Call after marking an item done: trims settled items off its lane's head. */
  settled(item: T): void {
    const lane = item.lane;
    if (!lane) return;
    item.lane = undefined;
    const items = lane.items;
    let head = lane.head;
    while (head < items.length && items[head]!.done) head++;
    if (head === items.length) {
      lane.items = [];
      lane.head = 0;
      lane.timer?.unref();
    } else if (head > 1024 && head * 2 > items.length) {
      lane.items = items.slice(head);
      lane.head = 0;
    } else lane.head = head;
  }

  /** Stops every timer (the owner fails the items itself). */
  clear(): void {
    for (const lane of this.#lanes.values()) if (lane.timer) clearTimeout(lane.timer);
    this.#lanes.clear();
  }

  #arm(lane: DeadlineLane, delayMs: number): void {
    lane.timer = setTimeout(() => this.#fire(lane), Math.max(1, Math.ceil(delayMs)));
  }

  #fire(lane: DeadlineLane): void {
    lane.timer = undefined;
    const now = performance.now();
    // `expire` may settle other items and so trim this lane: read it afresh every time.
    for (;;) {
      const item = lane.items[lane.head];
      if (!item || (!item.done && item.deadline > now)) break;
      lane.head++;
      if (!item.done) {
        item.lane = undefined;
        this.#expire(item as T);
      }
    }
    const next = lane.items[lane.head];
    if (next) {
      this.#arm(lane, next.deadline - performance.now());
      return;
    }
    lane.items = [];
    lane.head = 0;
    if (this.#lanes.get(lane.ms) === lane) this.#lanes.delete(lane.ms);
  }
}
