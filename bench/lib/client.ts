/** Load-generator side: lean WebSocket peers (no test helpers on the hot path). */
import { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { type Summary, summarize } from "./report.js";

export interface Packet {
  ver: number;
  cmd: number;
  seq: number;
  opcode: number;
  payload: Record<string, unknown> & { [k: string]: unknown };
}

export function connect(url: string, timeoutMs = 10_000): Promise<WebSocket> {
  const ws = new WebSocket(url, { origin: "https://web.max.ru", perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`connect timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    ws.once("open", () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** A MAX peer for setup steps: request/response by seq, everything else to `onEvent`. */
export class Peer {
  private seq = 0;
  private readonly pending = new Map<number, (p: Packet) => void>();
  onEvent: (p: Packet, raw: string) => void = () => {};

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const raw = data.toString();
      const p = JSON.parse(raw) as Packet;
      const waiter = p.seq !== 0 ? this.pending.get(p.seq) : undefined;
      if (waiter) {
        this.pending.delete(p.seq);
        waiter(p);
      } else this.onEvent(p, raw);
    });
  }

  static async open(url: string): Promise<Peer> {
    return new Peer(await connect(url));
  }

  /** Sends a request and resolves with its answer (cmd 1 or 3). */
  call(opcode: number, payload: unknown, timeoutMs = 15_000): Promise<Packet> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`opcode ${opcode} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(seq, (p) => {
        clearTimeout(timer);
        resolve(p);
      });
      this.ws.send(JSON.stringify({ ver: 11, cmd: 0, seq, opcode, payload }));
    });
  }

  async ok(opcode: number, payload: unknown): Promise<Packet["payload"]> {
    const p = await this.call(opcode, payload);
    if (p.cmd !== 1) throw new Error(`opcode ${opcode} failed: ${JSON.stringify(p.payload).slice(0, 300)}`);
    return p.payload;
  }

  /** hello (6) + login by token (19), as a returning client does. */
  async login(token: string, deviceId: string): Promise<Packet["payload"]> {
    await this.ok(6, { userAgent: { deviceType: "WEB", locale: "ru_RU", appVersion: "25.11.2" }, deviceId });
    return this.ok(19, { interactive: true, token, chatsSync: 0, contactsSync: 0, chatsCount: 0 });
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Runs `open(i)` for i in 0..n-1 with at most `concurrency` in progress; fails fast on the first error. */
export async function inBatches<T>(
  n: number,
  concurrency: number,
  open: (i: number) => Promise<T>,
): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      out[i] = await open(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return out;
}

export interface RoundTripResult {
  count: number;
  perSec: number;
  errors: number;
  windowMs: number;
  latencyMs: Summary;
  latencies: number[];
  /** This process's CPU time inside the measuring window, ms. */
  cpuMs?: number;
}

/** Several measuring windows of the same load as one result. */
export function combine(parts: readonly RoundTripResult[]): RoundTripResult {
  const count = parts.reduce((n, p) => n + p.count, 0);
  const windowMs = parts.reduce((n, p) => n + p.windowMs, 0);
  const latencies = parts.flatMap((p) => p.latencies);
  return {
    count,
    perSec: (count / windowMs) * 1000,
    errors: parts.reduce((n, p) => n + p.errors, 0),
    windowMs,
    latencyMs: summarize(latencies),
    latencies,
  };
}

/**
 * Closed-loop load on one socket: keeps `inFlight` requests outstanding, answers matched in
 * order (the server answers one connection's requests in order). Frames with seq 0 are pushes
 * and are skipped. Counts only what completes inside the measuring window.
 */
export function roundTrips(
  ws: WebSocket,
  options: { frame: (seq: number) => string; inFlight: number; warmupMs: number; durationMs: number },
): Promise<RoundTripResult> {
  const sentAt: number[] = [];
  let head = 0;
  let seq = 1_000_000;
  let measuring = false;
  let done = false;
  let count = 0;
  let errors = 0;
  let windowStart = 0;
  let windowMs = 0;
  let cpu0: NodeJS.CpuUsage | undefined;
  let cpuMs = 0;
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      ws.off("message", onMessage);
      ws.off("close", onClose);
      resolve({
        count,
        perSec: (count / windowMs) * 1000,
        errors,
        windowMs,
        latencyMs: summarize(latencies),
        latencies,
        cpuMs,
      });
    };
    const sendOne = () => {
      sentAt.push(performance.now());
      ws.send(options.frame(++seq));
    };
    const onMessage = (data: WebSocket.RawData) => {
      const p = JSON.parse(data.toString()) as Packet;
      if (p.seq === 0) return;
      const t0 = sentAt[head++]!;
      if (measuring) {
        count++;
        latencies.push(performance.now() - t0);
        if (p.cmd !== 1) errors++;
      }
      if (!done) sendOne();
      else if (head === sentAt.length) finish();
    };
    // Removed when the run ends: one socket serves many runs (one listener each would pile up).
    const onClose = () => reject(new Error("connection closed during the run"));
    ws.on("message", onMessage);
    ws.once("close", onClose);
    for (let i = 0; i < options.inFlight; i++) sendOne();
    setTimeout(() => {
      measuring = true;
      windowStart = performance.now();
      cpu0 = process.cpuUsage();
      setTimeout(() => {
        measuring = false;
        done = true;
        const d = process.cpuUsage(cpu0);
        cpuMs = (d.user + d.system) / 1000;
        windowMs = performance.now() - windowStart;
        // Don't wait forever for stragglers.
        setTimeout(finish, 10_000).unref();
      }, options.durationMs);
    }, options.warmupMs);
  });
}

/**
 * Reaction time of a client: from a read on a TCP socket to that socket's next write, in µs,
 * filed under `label` (whatever is being measured at the time; unlabelled reads are not kept).
 * At 1 in flight it is the client's whole share of a round trip before its next request leaves,
 * so it shows what a client costs even when the machine's load swamps msgs/s. While on, it hooks
 * net.Socket's read (`push`, where onStreamRead lands) and write (`_writeGeneric`, every write
 * and writev) for the whole process; every client measured pays the same two hooks.
 */
export class ReactionWatch {
  label: string | undefined;
  readonly #times = new Map<string, number[]>();
  #restore: (() => void) | undefined;

  start(): void {
    if (this.#restore) return;
    const proto = Socket.prototype as unknown as Record<
      string,
      (this: Socket, ...args: unknown[]) => unknown
    >;
    const push = proto.push as (this: Socket, ...args: unknown[]) => unknown;
    const writeGeneric = proto._writeGeneric as (this: Socket, ...args: unknown[]) => unknown;
    const readAt = new WeakMap<Socket, { at: number; label: string }>();
    const watch = this;
    proto.push = function (this: Socket, ...args: unknown[]) {
      if (args[0] && watch.label !== undefined)
        readAt.set(this, { at: performance.now(), label: watch.label });
      return push.apply(this, args);
    };
    proto._writeGeneric = function (this: Socket, ...args: unknown[]) {
      const read = readAt.get(this);
      if (read) {
        readAt.delete(this);
        let list = watch.#times.get(read.label);
        if (!list) {
          list = [];
          watch.#times.set(read.label, list);
        }
        if (list.length < 1_000_000) list.push((performance.now() - read.at) * 1000);
      }
      return writeGeneric.apply(this, args);
    };
    this.#restore = () => {
      proto.push = push;
      proto._writeGeneric = writeGeneric;
    };
  }

  stop(): void {
    this.#restore?.();
    this.#restore = undefined;
    this.label = undefined;
  }

  /** Every reaction filed under `label`, µs. */
  times(label: string): number[] {
    return this.#times.get(label) ?? [];
  }
}
