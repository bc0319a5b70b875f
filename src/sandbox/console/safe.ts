/**
 * What the console stores of anything a provider reports: a plain-JSON copy with bounded depth,
 * breadth and size. A record nested 10,000 deep, a megabyte string, a cycle, a throwing getter or
 * a BigInt must never make the traffic API or the live feed fail (nor keep failing until 2,000
 * newer records push it out); the cut places carry a visible marker instead.
 */
import type { TrafficRecord } from "../../core/emulator/console.js";

export const SAFE_LIMITS = {
  /** Objects and arrays nested deeper than this become a marker string. */
  depth: 32,
  /** Characters kept of one string. */
  string: 8192,
  /** Items kept of one array (a marker item says how many more there were). */
  array: 200,
  /** Keys kept of one object (a `…` key says how many more there were). */
  keys: 200,
  /** Roughly the characters one copy may take in all; past it, values become a marker. */
  budget: 65_536,
} as const;

const MORE_KEY = "…";

interface State {
  left: number;
  /** Objects on the current path (cycles). */
  path: Set<object>;
}

function cutString(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…[truncated ${s.length - max} chars]` : s;
}

function copy(value: unknown, depth: number, st: State): unknown {
  if (st.left <= 0) return "[… cut: record too large]";
  switch (typeof value) {
    case "string": {
      const s = cutString(value, Math.min(SAFE_LIMITS.string, Math.max(st.left, 16)));
      st.left -= s.length + 2;
      return s;
    }
    case "number":
      st.left -= 8;
      return Number.isFinite(value) ? value : String(value);
    case "boolean":
      st.left -= 5;
      return value;
    case "bigint":
      st.left -= 8;
      return cutString(value.toString(), 64);
    case "undefined":
      return undefined;
    case "function":
      st.left -= 12;
      return "[function]";
    case "symbol":
      st.left -= 12;
      return cutString(String(value), 64);
  }
  if (value === null) {
    st.left -= 4;
    return null;
  }
  const obj = value as object;
  if (st.path.has(obj)) return "[… circular]";
  if (depth >= SAFE_LIMITS.depth) return `[… nested deeper than ${SAFE_LIMITS.depth} levels]`;
  if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) {
    st.left -= 16;
    return `[${obj.byteLength} bytes]`;
  }
  try {
    const toJSON = (obj as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") {
      const json: unknown = toJSON.call(obj);
      if (json !== obj) return copy(json, depth, st);
    }
    st.path.add(obj);
    st.left -= 2;
    if (Array.isArray(obj)) {
      const n = Math.min(obj.length, SAFE_LIMITS.array);
      const out: unknown[] = [];
      let i = 0;
      for (; i < n && st.left > 0; i++) {
        const v = copy(obj[i], depth + 1, st);
        out.push(v === undefined ? null : v);
        st.left -= 1;
      }
      if (obj.length > i) out.push(`[… ${obj.length - i} more items]`);
      return out;
    }
    const out: Record<string, unknown> = {};
    const keys = Object.keys(obj);
    let taken = 0;
    for (const key of keys) {
      if (taken >= SAFE_LIMITS.keys || st.left <= 0) break;
      taken++;
      let v: unknown;
      try {
        v = (obj as Record<string, unknown>)[key];
      } catch {
        v = "[… unreadable]";
      }
      const safeKey = cutString(key, 256);
      st.left -= safeKey.length + 3;
      const c = copy(v, depth + 1, st);
      if (c !== undefined) out[safeKey] = c;
    }
    if (keys.length > taken) out[MORE_KEY] = `${keys.length - taken} more keys`;
    return out;
  } catch {
    return "[… unreadable]";
  } finally {
    st.path.delete(obj);
  }
}

/** A bounded plain-JSON copy of `value` (see SAFE_LIMITS); never throws. */
export function safeValue(value: unknown, budget: number = SAFE_LIMITS.budget): unknown {
  try {
    return copy(value, 0, { left: budget, path: new Set() });
  } catch {
    return "[… unreadable]";
  }
}

const str = (v: unknown, max: number): string | undefined =>
  typeof v === "string" ? cutString(v, max) : typeof v === "number" ? String(v) : undefined;
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/**
 * The record the console keeps: known fields with their types enforced (so filters can't trip
 * over a provider's wrong type) and the payload as a safe copy.
 */
export function safeRecord(record: TrafficRecord, platform: string): TrafficRecord {
  const out: TrafficRecord = {
    platform,
    dir: record.dir === "out" ? "out" : "in",
    time: num(record.time) ?? Date.now(),
    size: num(record.size) ?? 0,
    payload: safeValue(record.payload),
  };
  const account = str(record.account, 256);
  const conn = str(record.conn, 256);
  const opcode = num(record.opcode);
  const opcodeName = str(record.opcodeName, 256);
  const method = str(record.method, 16);
  const path = str(record.path, 2048);
  const status = num(record.status);
  const summary = str(record.summary, 1024);
  if (account !== undefined) out.account = account;
  if (conn !== undefined) out.conn = conn;
  if (opcode !== undefined) out.opcode = opcode;
  if (opcodeName !== undefined) out.opcodeName = opcodeName;
  if (method !== undefined) out.method = method;
  if (path !== undefined) out.path = path;
  if (status !== undefined) out.status = status;
  if (summary !== undefined) out.summary = summary;
  return out;
}
