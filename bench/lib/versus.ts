/**
 * Our client against its bare baseline in the same run: closed loops at each in-flight count in
 * alternating slices (baseline, client, baseline, …), several runs, median and min–max of the
 * runs; plus event floods timed from the first to the last delivery. Every figure carries this
 * process's CPU per message, steadier than a rate on a shared machine.
 */
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { closedLoop, cpuMsSince, type Loop, median, mergeLoops, type Rate, spread } from "./loops.js";
import { info, type Metric } from "./report.js";

export interface VersusOptions {
  inFlight: readonly number[];
  runs?: number;
  slices?: number;
  warmupMs?: number;
  sliceMs?: number;
}

export interface VersusRun {
  base: Rate;
  client: Rate;
}

/** One pair of measured sides per run, for each in-flight count. */
export async function versus(
  baseline: () => Promise<unknown>,
  client: () => Promise<unknown>,
  o: VersusOptions,
): Promise<Map<number, VersusRun[]>> {
  const out = new Map<number, VersusRun[]>();
  for (const n of o.inFlight) {
    const runs: VersusRun[] = [];
    for (let run = 0; run < (o.runs ?? 3); run++) {
      const b: Loop[] = [];
      const c: Loop[] = [];
      for (let i = 0; i < (o.slices ?? 3); i++) {
        // Which side goes first alternates too, so a slow start favours neither.
        const first = (run + i) % 2 === 0;
        if (first) b.push(await closedLoop(baseline, n, o.warmupMs ?? 100, o.sliceMs ?? 400));
        c.push(await closedLoop(client, n, o.warmupMs ?? 100, o.sliceMs ?? 400));
        if (!first) b.push(await closedLoop(baseline, n, o.warmupMs ?? 100, o.sliceMs ?? 400));
      }
      runs.push({ base: mergeLoops(b), client: mergeLoops(c) });
    }
    out.set(n, runs);
  }
  return out;
}

/** One flood of events: how many arrived, over how long, and this process's CPU meanwhile. */
export interface Flood {
  count: number;
  ms: number;
  cpuMs: number;
}

/**
 * Times a flood: `start()` makes the server publish `count` events; `arrived` is called by the
 * subscriber per event (returns the tracker). The window runs from `start` to the last arrival.
 */
export class FloodTimer {
  #want = 0;
  #got = 0;
  #t0 = 0;
  #cpu0: NodeJS.CpuUsage = { user: 0, system: 0 };
  #done: ((f: Flood) => void) | undefined;

  arrived = (n = 1): void => {
    if (!this.#done) return;
    this.#got += n;
    if (this.#got >= this.#want) {
      const done = this.#done;
      this.#done = undefined;
      done({ count: this.#got, ms: performance.now() - this.#t0, cpuMs: cpuMsSince(this.#cpu0) });
    }
  };

  /** Resolves when `count` events arrived; rejects after `timeoutMs`. */
  async run(count: number, start: () => Promise<unknown>, timeoutMs = 10_000): Promise<Flood> {
    this.#want = count;
    this.#got = 0;
    const finished = new Promise<Flood>((resolve) => {
      this.#done = resolve;
    });
    this.#t0 = performance.now();
    this.#cpu0 = process.cpuUsage();
    await start();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`flood: ${this.#got} of ${count} events within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([finished, late]);
    } finally {
      clearTimeout(timer);
      this.#done = undefined;
    }
  }
}

/** Floods as a rate (events/s) with CPU per event, like a closed loop's. */
export function floodRate(parts: readonly Flood[]): Rate {
  const count = parts.reduce((n, p) => n + p.count, 0);
  const ms = parts.reduce((n, p) => n + p.ms, 0);
  const cpuMs = parts.reduce((n, p) => n + p.cpuMs, 0);
  return {
    perSec: (count / ms) * 1000,
    p50: Number.NaN,
    p99: Number.NaN,
    count,
    cpuUs: (cpuMs / count) * 1000,
  };
}

/** The 1-minute load average, for the notes (the machine is shared). */
export function loadNote(): string {
  return `load average ${loadavg()
    .map((v) => v.toFixed(2))
    .join(" ")}`;
}

/**
 * Table rows for one path: baseline and client msgs/s, their ratio, CPU µs per message (medians
 * over the runs), and a note with every spread.
 */
export function report(
  label: string,
  runs: ReadonlyMap<number, readonly VersusRun[]>,
  metrics: Metric[],
  notes: string[],
  unit = "msgs/s",
): void {
  for (const [n, rs] of runs) {
    const at = n > 0 ? ` @${n}` : "";
    const ratio = rs.map((r) => r.client.perSec / r.base.perSec);
    // CPU per message relative to the baseline's in the same run: the steadiest figure under load.
    const cpuRatio = rs.map((r) => r.client.cpuUs / r.base.cpuUs);
    metrics.push(
      info(`${label} baseline${at}`, median(rs.map((r) => r.base.perSec)), unit),
      info(`${label} client${at}`, median(rs.map((r) => r.client.perSec)), unit),
      info(`${label} ratio client/baseline${at}`, median(ratio), "x"),
      info(`${label} baseline CPU per msg${at}`, median(rs.map((r) => r.base.cpuUs)), "µs"),
      info(`${label} client CPU per msg${at}`, median(rs.map((r) => r.client.cpuUs)), "µs"),
      info(`${label} CPU ratio client/baseline${at}`, median(cpuRatio), "x"),
    );
    notes.push(
      `${label}${at}: baseline ${spread(rs.map((r) => r.base.perSec))} ${unit}, client ` +
        `${spread(rs.map((r) => r.client.perSec))}; ratio ${spread(ratio, 3)}; CPU µs/msg baseline ` +
        `${spread(rs.map((r) => r.base.cpuUs))}, client ${spread(rs.map((r) => r.client.cpuUs))}, ` +
        `CPU ratio ${spread(cpuRatio, 2)} ` +
        `(median (min–max) of ${rs.length} runs)`,
    );
  }
}
