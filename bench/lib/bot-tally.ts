/**
 * The bot benches' shared pieces: the trivial work every consumer does per update (find the
 * flood index `#i` in the text, tick it off), a ledger that proves each update arrived exactly
 * once, and a MAX account (MaxClient + MaxAdapter) logged in by token as a returning client.
 */
import { performance } from "node:perf_hooks";
import { MaxAdapter } from "../../src/max/adapter.js";
import { MaxClient } from "../../src/max/client/index.js";
import { cpuMsSince } from "./loops.js";

/** Counts deliveries of flood indexes 0..n-1; a repeat or an index out of range is a defect. */
export class Ledger {
  private seen: Uint8Array;
  private want = 0;
  got = 0;
  duplicates = 0;
  strays = 0;
  chars = 0;
  private t0 = 0;
  private cpu0: NodeJS.CpuUsage = { user: 0, system: 0 };
  private done: (() => void) | undefined;
  /** When the last wanted update was ticked off (ms, performance.now()) and the CPU used till then. */
  finishedAt = 0;
  cpuMs = 0;

  constructor(capacity: number) {
    this.seen = new Uint8Array(capacity);
  }

  /** Starts a flood of `n` (indexes 0..n-1); resolves when all arrived, rejects after `timeoutMs`. */
  expect(n: number, timeoutMs: number): { started: () => void; complete: Promise<void> } {
    if (n > this.seen.length) this.seen = new Uint8Array(n);
    this.seen.fill(0);
    this.want = n;
    this.got = 0;
    this.duplicates = 0;
    this.strays = 0;
    this.chars = 0;
    let timer: NodeJS.Timeout | undefined;
    const complete = new Promise<void>((resolve, reject) => {
      this.done = () => {
        clearTimeout(timer);
        resolve();
      };
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `flood: ${this.got} of ${n} updates within ${timeoutMs} ms (first missing: ${this.missing().slice(0, 5).join(", ")})`,
            ),
          ),
        timeoutMs,
      );
    });
    return {
      started: () => {
        this.t0 = performance.now();
        this.cpu0 = process.cpuUsage();
      },
      complete,
    };
  }

  /** The work each consumer does per update: parse `#i`, count the text, tick i off. */
  tick(text: string | undefined): void {
    if (text === undefined || text.charCodeAt(0) !== 35 /* # */) {
      this.strays++;
      return;
    }
    const i = Number.parseInt(text.slice(1), 10);
    this.chars += text.length;
    if (!(i >= 0 && i < this.want)) {
      this.strays++;
      return;
    }
    if (this.seen[i]) {
      this.duplicates++;
      return;
    }
    this.seen[i] = 1;
    this.got++;
    if (this.got === this.want && this.done) {
      this.finishedAt = performance.now();
      this.cpuMs = cpuMsSince(this.cpu0);
      const done = this.done;
      this.done = undefined;
      done();
    }
  }

  /** Updates per second of the last flood, from its start to its last delivery. */
  rate(): number {
    return (this.want / (this.finishedAt - this.t0)) * 1000;
  }

  /** This process's CPU per update in the last flood, µs. */
  cpuPerUpdateUs(): number {
    return (this.cpuMs / this.want) * 1000;
  }

  /** Indexes not delivered yet. */
  missing(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.want; i++) if (!this.seen[i]) out.push(i);
    return out;
  }

  /** Throws unless every index arrived once and nothing else did. */
  check(label: string): void {
    if (this.got !== this.want || this.duplicates > 0 || this.strays > 0) {
      throw new Error(
        `${label}: ${this.got} of ${this.want} updates, ${this.duplicates} duplicates, ${this.strays} strays: not exactly once`,
      );
    }
  }
}

/** A MAX account through the unified adapter, logged in by `token` (connect() is the caller's). */
export function maxAccount(url: string, token: string, account: string): MaxAdapter {
  const client = new MaxClient({ url, token, account, keepaliveIntervalMs: 3_600_000 });
  return new MaxAdapter(client);
}

/** The text of a unified message event (text segments joined), as `ctx.text` reads it. */
export function textOf(content: readonly { type: string; text?: string }[]): string | undefined {
  let text = "";
  for (const s of content) if (s.type === "text" && s.text) text += s.text;
  return text || undefined;
}
