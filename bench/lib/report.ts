/** Measured numbers, their targets and the printed table. Nothing here is hard-coded: every value comes from a run. */

export interface Metric {
  name: string;
  value: number;
  unit: string;
  /** Human-readable target, e.g. "≥ 0.5". */
  target?: string;
  pass?: boolean;
}

export interface BenchResult {
  name: string;
  metrics: Metric[];
  /** How the run was set up (e.g. whether the recipient was online), and anything that went wrong. */
  notes: string[];
  durationMs: number;
  error?: string;
}

export interface Summary {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((x, y) => x - y);
  const sum = sorted.reduce((n, v) => n + v, 0);
  return {
    count: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

export function atLeast(name: string, value: number, unit: string, min: number): Metric {
  return { name, value, unit, target: `≥ ${min}`, pass: value >= min };
}

export function below(name: string, value: number, unit: string, max: number): Metric {
  return { name, value, unit, target: `< ${max}`, pass: value < max };
}

export function info(name: string, value: number, unit: string): Metric {
  return { name, value, unit };
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString("en-US");
  if (Math.abs(v) >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

/** A plain-text table: bench, metric, value, target, pass/fail. */
export function table(results: readonly BenchResult[]): string {
  const rows: string[][] = [["bench", "metric", "value", "unit", "target", "result"]];
  for (const r of results) {
    if (r.error) rows.push([r.name, "ERROR", r.error.slice(0, 80), "", "", "FAIL"]);
    for (const m of r.metrics) {
      rows.push([
        r.name,
        m.name,
        fmt(m.value),
        m.unit,
        m.target ?? "",
        m.pass === undefined ? "" : m.pass ? "pass" : "FAIL",
      ]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row.map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ");
  const out = [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)];
  for (const r of results) for (const n of r.notes) out.push(`  ${r.name}: ${n}`);
  return out.join("\n");
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
