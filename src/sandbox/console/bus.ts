import type { ConsoleInboxItem, ConsoleSink, TrafficRecord } from "../../core/emulator/console.js";
import { safeRecord, safeValue } from "./safe.js";

/** One message of the live feed (an SSE event: `event: <type>`, `data: <json>`). */
export interface LiveEvent {
  type: "traffic" | "inbox" | "changed" | "notice";
  platform: string;
  data: unknown;
}

export type LiveListener = (event: LiveEvent) => void;

/** How many packets the inspector keeps per platform (oldest dropped first). */
export const TRAFFIC_LIMIT = 2000;

/** A fixed-size ring of records, oldest first; pushing past the size overwrites the oldest. */
class TrafficRing {
  private readonly slots: (TrafficRecord | undefined)[];
  private start = 0;
  private count = 0;

  constructor(private readonly size: number) {
    this.slots = new Array(size);
  }

  push(record: TrafficRecord): void {
    this.slots[(this.start + this.count) % this.size] = record;
    if (this.count < this.size) this.count++;
    else this.start = (this.start + 1) % this.size;
  }

  *[Symbol.iterator](): Generator<TrafficRecord> {
    for (let i = 0; i < this.count; i++) yield this.slots[(this.start + i) % this.size] as TrafficRecord;
  }
}

/**
 * The console's live hub: providers report into a per-platform sink, pages subscribe. Traffic
 * is recorded from the start (a page opened later sees what happened before it) into one bounded
 * ring per platform, so a chatty platform can't push another's records out. Recording can be
 * switched off (`setRecording(false)`); capture then runs only while a page watches.
 */
export class ConsoleBus {
  private readonly listeners = new Set<LiveListener>();
  private readonly rings = new Map<string, TrafficRing>();
  private nextId = 1;
  private recording = false;
  private capturing = false;
  private readonly pendingChanges = new Map<string, NodeJS.Timeout>();

  constructor(private readonly onCapture: (on: boolean) => void) {}

  /** The sink one provider reports into. */
  sink(platform: string): ConsoleSink {
    return {
      // Providers' values are copied bounded (depth, size) before they are kept or sent.
      traffic: (record) => this.traffic(record, platform),
      inbox: (item: ConsoleInboxItem) => this.publish({ type: "inbox", platform, data: safeValue(item) }),
      // Coalesced: a burst of packets becomes one refetch per chat.
      changed: (scope) => {
        const key = `${platform}:${scope.chatId ?? ""}`;
        if (this.pendingChanges.has(key)) return;
        const timer = setTimeout(() => {
          this.pendingChanges.delete(key);
          this.publish({ type: "changed", platform, data: safeValue(scope) });
        }, 50);
        timer.unref();
        this.pendingChanges.set(key, timer);
      },
      notice: (text) =>
        this.publish({ type: "notice", platform, data: safeValue({ text: String(text), time: Date.now() }) }),
    };
  }

  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    this.updateCapture();
    return () => {
      this.listeners.delete(listener);
      this.updateCapture();
    };
  }

  get watchers(): number {
    return this.listeners.size;
  }

  /** Record traffic with no page open (on from the start; a page's live feed captures either way). */
  setRecording(on: boolean): void {
    this.recording = on;
    this.updateCapture();
  }

  get isRecording(): boolean {
    return this.recording;
  }

  get isCapturing(): boolean {
    return this.capturing;
  }

  /** Keeps a safe copy of `record` (bounded depth and size, field types enforced) and publishes it. */
  traffic(record: TrafficRecord, platform: string = record.platform): void {
    const stored = { ...safeRecord(record, String(platform)), id: this.nextId++ };
    let ring = this.rings.get(stored.platform);
    if (!ring) {
      ring = new TrafficRing(TRAFFIC_LIMIT);
      this.rings.set(stored.platform, ring);
    }
    ring.push(stored);
    this.publish({ type: "traffic", platform: record.platform, data: stored });
  }

  /** Stored traffic of every platform (or the filter's), oldest first, filtered. */
  trafficLog(filter: TrafficFilter = {}): TrafficRecord[] {
    const out: TrafficRecord[] = [];
    for (const [platform, ring] of this.rings) {
      if (filter.platform && platform !== filter.platform) continue;
      for (const r of ring) if (matchTraffic(r, filter)) out.push(r);
    }
    if (this.rings.size > 1) out.sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
    return filter.limit !== undefined && out.length > filter.limit ? out.slice(-filter.limit) : out;
  }

  clearTraffic(): void {
    this.rings.clear();
  }

  close(): void {
    for (const t of this.pendingChanges.values()) clearTimeout(t);
    this.pendingChanges.clear();
    this.listeners.clear();
    this.recording = false;
    this.updateCapture();
  }

  private publish(event: LiveEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // One broken page must not stop the others.
      }
    }
  }

  private updateCapture(): void {
    const on = this.recording || this.listeners.size > 0;
    if (on === this.capturing) return;
    this.capturing = on;
    this.onCapture(on);
  }
}

export interface TrafficFilter {
  platform?: string;
  account?: string;
  /** Opcode number or (part of) its name, case-insensitive. */
  opcode?: string;
  /** Part of the HTTP path. */
  path?: string;
  dir?: "in" | "out";
  /** Only records with an id above this one (for incremental reads). */
  after?: number;
  limit?: number;
}

export function matchTraffic(r: TrafficRecord, f: TrafficFilter): boolean {
  if (f.platform && r.platform !== f.platform) return false;
  if (f.account && r.account !== f.account) return false;
  if (f.dir && r.dir !== f.dir) return false;
  if (f.after !== undefined && (r.id ?? 0) <= f.after) return false;
  if (f.opcode) {
    const want = f.opcode.trim().toLowerCase();
    const byNumber = /^\d+$/.test(want);
    if (byNumber ? String(r.opcode) !== want : !(r.opcodeName ?? "").toLowerCase().includes(want))
      return false;
  }
  if (f.path && !(r.path ?? "").includes(f.path)) return false;
  return true;
}
