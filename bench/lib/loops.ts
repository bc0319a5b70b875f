/**
 * Closed-loop drivers and run statistics shared by the client benches: N async calls kept in
 * flight for a window, slices of several windows merged, and the median / spread of repeated runs.
 */
import { performance } from "node:perf_hooks";
import { summarize } from "./report.js";

export interface Loop {
  count: number;
  windowMs: number;
  latencies: number[];
  /** This process's CPU time (user + system) inside the window, ms. */
  cpuMs?: number;
}

/** CPU ms this process used since `from` (a process.cpuUsage() reading). */
export function cpuMsSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

export interface Rate {
  perSec: number;
  p50: number;
  p99: number;
  count: number;
  /** Load-generator CPU per completed call, µs (NaN when not measured). */
  cpuUs: number;
}

/**
 * Keeps `inFlight` calls of `call` outstanding; after `warmupMs` counts the completions (and their
 * latencies) that finish inside a `durationMs` window. A call that throws fails the loop.
 */
export async function closedLoop(
  call: () => Promise<unknown>,
  inFlight: number,
  warmupMs: number,
  durationMs: number,
): Promise<Loop> {
  let measuring = false;
  let done = false;
  let count = 0;
  const latencies: number[] = [];
  const worker = async () => {
    while (!done) {
      const t0 = performance.now();
      await call();
      if (measuring) {
        count++;
        latencies.push(performance.now() - t0);
      }
    }
  };
  const workers = Promise.all(Array.from({ length: inFlight }, worker));
  // A failing call ends the loop at once instead of after the window.
  let failure: unknown;
  workers.catch((err: unknown) => {
    failure = err;
    done = true;
  });
  await new Promise((r) => setTimeout(r, warmupMs));
  measuring = true;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, durationMs));
  measuring = false;
  const cpuMs = cpuMsSince(cpu0);
  const windowMs = performance.now() - start;
  done = true;
  await workers.catch(() => undefined);
  if (failure) throw failure;
  return { count, windowMs, latencies, cpuMs };
}

/** Several windows of the same load as one rate. */
export function mergeLoops(parts: readonly Loop[]): Rate {
  const count = parts.reduce((n, p) => n + p.count, 0);
  const windowMs = parts.reduce((n, p) => n + p.windowMs, 0);
  const s = summarize(parts.flatMap((p) => p.latencies));
  const cpuMs = parts.reduce((n, p) => n + (p.cpuMs ?? Number.NaN), 0);
  return { perSec: (count / windowMs) * 1000, p50: s.p50, p99: s.p99, count, cpuUs: (cpuMs / count) * 1000 };
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** `median (min–max)` of repeated runs, for the notes. */
export function spread(values: readonly number[], digits = 0): string {
  const f = (v: number) => (digits === 0 ? Math.round(v).toLocaleString("en-US") : v.toFixed(digits));
  return `${f(median(values))} (${f(Math.min(...values))}–${f(Math.max(...values))})`;
}
