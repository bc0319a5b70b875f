// One class over 500 lines on purpose: RpcWebSocket is a single connection state machine
// (connect, keepalive, reconnect, per-call limits, drain on drop) whose invariants span its
// private methods; its types live in rpc-ws-types.ts, the socket behind RpcWire (ws-wire.ts).
import { EventEmitter } from "node:events";
import { backoffDelay } from "./backoff.js";
import { type DeadlineItem, type DeadlineLane, Deadlines } from "./deadlines.js";
import { abortedError, type Platform, SwitchboardError, TimeoutError, TransportError } from "./errors.js";
import { type Logger, silentLogger } from "./log.js";
import type { ConnectionState } from "./model.js";
import { redactUrl } from "./redact.js";

import type {
  CallOptions,
  CloseDecision,
  CloseInfo,
  ReadAnswer,
  ReconnectOptions,
  RpcFrame,
  RpcMethod,
  RpcWebSocketEvents,
  RpcWebSocketOptions,
  RpcWire,
  RpcWireHandlers,
  StateChange,
  WireFrame,
} from "./rpc-ws-types.js";
import { wsWire } from "./ws-wire.js";

export type * from "./rpc-ws-types.js";

/** One request from issue to answer. Its time limit is a deadline in a shared lane (deadlines.ts). */
class Call implements DeadlineItem {
  readonly promise: Promise<unknown>;
  resolve!: (value: unknown) => void;
  reject!: (error: Error) => void;
  onAbort: (() => void) | undefined = undefined;
  conn: Conn | undefined = undefined;
  seq = 0;
  done = false;
  deadline = 0;
  lane: DeadlineLane | undefined = undefined;

  constructor(
    readonly method: RpcMethod,
    readonly payload: unknown,
    readonly timeoutMs: number,
    readonly signal: AbortSignal | undefined,
    readonly read: ReadAnswer | undefined,
  ) {
    this.promise = new Promise<unknown>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

interface Conn {
  wire: RpcWire;
  seq: number;
  pending: Map<number, Call>;
  ready: boolean;
  openTimer: NodeJS.Timeout | undefined;
  keepaliveTimer: NodeJS.Timeout | undefined;
  keepaliveInFlight: boolean;
  lastError: Error | undefined;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_QUEUE = 1000;

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * Protocol-agnostic request/response transport over one WebSocket: seq matching, timeouts,
 * abort, keepalive with dead-peer detection, reconnect with backoff, bounded waiting queue.
 * The platform supplies the codec and the re-login hook.
 */
export class RpcWebSocket<M extends RpcMethod = RpcMethod, E = unknown> extends EventEmitter<
  RpcWebSocketEvents<E>
> {
  readonly #o: RpcWebSocketOptions<M, E>;
  readonly #platform: Platform;
  readonly #log: Logger;
  readonly #reconnect: ReconnectOptions;
  #state: ConnectionState = "disconnected";
  #conn: Conn | undefined;
  #queue: Call[] = [];
  #waiters: Waiter[] = [];
  #attempt = 0;
  #everConnected = false;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #deadlines = new Deadlines<Call>((call) => this.#expire(call));

  constructor(options: RpcWebSocketOptions<M, E>) {
    super();
    this.#o = options;
    this.#platform = options.platform ?? "core";
    this.#log = options.logger ?? silentLogger;
    const r = options.reconnect;
    this.#reconnect = r === undefined || r === true ? {} : r === false ? { enabled: false } : r;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Requests sent and awaiting an answer on the current socket. */
  get pendingCount(): number {
    return this.#conn?.pending.size ?? 0;
  }

  /** Requests waiting for a connection. */
  get queuedCount(): number {
    return this.#queue.length;
  }

  /**
   * Opens the socket (if not already) and resolves once `onOpen` has finished. Rejects when
   * the transport gives up (reconnect off, classifier said stop, attempts exhausted, close()).
   */
  connect(signal?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (signal?.aborted) return Promise.reject(abortedError(this.#platform, signal.reason));
    if (this.#conn?.ready) return Promise.resolve();
    const promise = new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      const onAbort = (): void => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(abortedError(this.#platform, signal?.reason));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
    if (this.#state === "disconnected" && !this.#conn && !this.#reconnectTimer) {
      this.#attempt = 0;
      this.#open();
    }
    return promise;
  }

  /** Sends a request; resolves with the response payload (decoded by the codec) or what `read` makes of it. */
  request(method: M, payload: unknown, options?: CallOptions, read?: ReadAnswer): Promise<unknown> {
    const call = this.#makeCall(method, payload, options, read);
    if (call.done) return call.promise;
    const conn = this.#conn;
    if (conn?.ready) {
      this.#transmit(conn, call);
    } else if (this.#closed) {
      this.#fail(call, this.#closedError());
    } else if (this.#state === "connecting" || this.#state === "reconnecting") {
      if (this.#o.queueWhileDisconnected === false) {
        this.#fail(call, this.#transportError("not connected", "not_connected", method));
      } else if (this.#queue.length >= (this.#o.maxQueue ?? DEFAULT_MAX_QUEUE)) {
        this.#fail(call, this.#transportError("queue full", "queue_full", method));
      } else {
        this.#queue.push(call);
      }
    } else {
      this.#fail(call, this.#transportError("not connected", "not_connected", method));
    }
    return call.promise;
  }

  /** Sends a raw frame that expects no answer (acks of server pushes). */
  sendRaw(frame: WireFrame): void {
    const conn = this.#conn;
    if (!conn?.ready) throw this.#transportError("not connected", "not_connected");
    conn.wire.send(frame);
  }

  /** Rejects everything pending or queued, stops reconnecting and closes the socket. Final. */
  close(code = 1000, reason = ""): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const error = this.#closedError();
    const conn = this.#conn;
    this.#conn = undefined;
    if (conn) this.#clearConnTimers(conn);
    this.#failAll(conn, error);
    this.#deadlines.clear();
    this.#setState("closed", {});
    this.#closing = conn ? conn.wire.close(code, reason) : Promise.resolve();
    return this.#closing;
  }

  #open(): void {
    if (this.#closed) return;
    if (this.#attempt === 0) this.#setState(this.#everConnected ? "reconnecting" : "connecting", {});
    const handlers: RpcWireHandlers = {
      error: (err) => {
        conn.lastError = err;
      },
      open: () => {
        void this.#runOnOpen(conn);
      },
      frame: (frame) => {
        if (conn === this.#conn) this.#onMessage(conn, frame);
      },
      close: (code, reason) => {
        if (conn !== this.#conn) return;
        this.#drop(conn, { code, reason, error: conn.lastError, wasConnected: conn.ready });
      },
    };
    let wire: RpcWire;
    try {
      wire = (this.#o.wire ?? wsWire)(
        { url: this.#o.url, headers: this.#o.headers, maxPayload: this.#o.maxPayload },
        handlers,
      );
    } catch (err) {
      // A wire that cannot even start (malformed URL) never will: stop, so connect() rejects
      // with this reason and nothing is left waiting for close() to reject unobserved.
      const why = `cannot open ${redactUrl(this.#o.url)}: ${redactUrl(asError(err).message)}`;
      this.#stop(this.#closedError(why, "open_failed"));
      return;
    }
    const conn: Conn = {
      wire,
      seq: 0,
      pending: new Map(),
      ready: false,
      openTimer: undefined,
      keepaliveTimer: undefined,
      keepaliveInFlight: false,
      lastError: undefined,
    };
    this.#conn = conn;
    const connectTimeoutMs = this.#o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    conn.openTimer = setTimeout(() => {
      conn.openTimer = undefined;
      this.#kill(
        conn,
        new TimeoutError(`connect timed out after ${connectTimeoutMs} ms`, {
          platform: this.#platform,
          code: "connect_timeout",
        }),
      );
    }, connectTimeoutMs);
  }

  async #runOnOpen(conn: Conn): Promise<void> {
    if (conn !== this.#conn) return;
    try {
      await this.#o.onOpen?.({
        reconnect: this.#everConnected,
        request: (method, payload, options) => {
          const call = this.#makeCall(method, payload, options);
          if (call.done) return call.promise;
          if (conn !== this.#conn)
            this.#fail(call, this.#transportError("connection lost", "connection_lost", method));
          else this.#transmit(conn, call);
          return call.promise;
        },
      });
    } catch (err) {
      this.#kill(conn, asError(err));
      return;
    }
    if (conn !== this.#conn) return;
    if (conn.openTimer) clearTimeout(conn.openTimer);
    conn.openTimer = undefined;
    conn.ready = true;
    this.#everConnected = true;
    this.#attempt = 0;
    this.#setState("connected", {});
    this.#startKeepalive(conn);
    const queued = this.#queue;
    this.#queue = [];
    for (const call of queued) {
      if (conn !== this.#conn) {
        // Dropped while releasing (send failure): put the rest back for the next socket.
        this.#queue.push(call);
      } else if (!call.done) {
        this.#transmit(conn, call);
      }
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.resolve();
  }

  #startKeepalive(conn: Conn): void {
    const ka = this.#o.keepalive;
    if (!ka) return;
    const deadAfterMs = ka.deadAfterMs ?? this.#o.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    conn.keepaliveTimer = setInterval(() => {
      if (conn !== this.#conn || conn.keepaliveInFlight) return;
      const { method, payload } = ka.make();
      const call = this.#makeCall(method, payload, { timeoutMs: deadAfterMs });
      conn.keepaliveInFlight = true;
      this.#transmit(conn, call);
      call.promise.then(
        () => {
          conn.keepaliveInFlight = false;
        },
        (err: unknown) => {
          conn.keepaliveInFlight = false;
          // An error answer still proves the peer is alive; only silence kills the socket.
          if (err instanceof TimeoutError) {
            this.#log.warn(
              { url: redactUrl(this.#o.url), deadAfterMs },
              "keepalive unanswered, dropping socket",
            );
            this.#kill(
              conn,
              new TransportError(`keepalive unanswered for ${deadAfterMs} ms`, {
                platform: this.#platform,
                code: "keepalive_timeout",
              }),
            );
          }
        },
      );
    }, ka.intervalMs);
  }

  #onMessage(conn: Conn, data: WireFrame): void {
    let frame: RpcFrame<E>;
    try {
      frame = this.#o.codec.decode(data);
    } catch (err) {
      this.#log.warn({ err: asError(err), bytes: data.length }, "undecodable frame dropped");
      return;
    }
    switch (frame.kind) {
      case "response":
      case "error": {
        const call = conn.pending.get(frame.seq);
        if (!call) {
          // Late answer to a request that already timed out or was aborted.
          this.#log.debug({ seq: frame.seq }, "answer for unknown seq ignored");
          return;
        }
        if (frame.kind === "response") this.#succeed(call, frame.payload);
        else this.#fail(call, frame.error);
        return;
      }
      case "event":
        try {
          this.emit("event", frame.event);
        } catch (err) {
          this.#log.error({ err: asError(err) }, "event listener threw");
        }
        return;
      default:
        return;
    }
  }

  /** Drops a socket we judged broken, synchronously, then tears it down. */
  #kill(conn: Conn, error: Error): void {
    if (conn !== this.#conn) return;
    conn.lastError = error;
    this.#drop(conn, { code: 1006, reason: "", error, wasConnected: conn.ready });
    conn.wire.terminate();
  }

  #drop(conn: Conn, info: CloseInfo): void {
    this.#conn = undefined;
    this.#clearConnTimers(conn);
    const lost = new TransportError(`connection lost (close code ${info.code})`, {
      platform: this.#platform,
      code: "connection_lost",
      cause: info.error,
      details: { closeCode: info.code },
    });
    for (const call of [...conn.pending.values()]) this.#fail(call, lost);
    conn.pending.clear();
    if (this.#closed) return;
    this.#log.debug({ url: redactUrl(this.#o.url), code: info.code, error: info.error }, "socket dropped");
    let decision: CloseDecision | undefined;
    try {
      decision = this.#o.onClose?.(info);
    } catch (err) {
      this.#log.error({ err: asError(err) }, "onClose classifier threw");
    }
    if (decision === undefined) {
      const e = info.error;
      decision = e instanceof SwitchboardError && !e.retryable ? "stop" : "reconnect";
    }
    if (this.#reconnect.enabled === false || decision === "stop") {
      this.#stop(info.error instanceof SwitchboardError ? info.error : lost);
      return;
    }
    this.#attempt += 1;
    const max = this.#reconnect.maxAttempts;
    if (max !== undefined && this.#attempt > max) {
      this.#stop(
        new TransportError(`gave up after ${max} reconnect attempts`, {
          platform: this.#platform,
          code: "reconnect_exhausted",
          cause: info.error,
        }),
      );
      return;
    }
    const delayMs = backoffDelay(this.#attempt, this.#reconnect);
    this.#setState("reconnecting", { attempt: this.#attempt, delayMs, error: info.error });
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#open();
    }, delayMs);
  }

  /** Gives up until the caller connects again: everyone waiting learns why. */
  #stop(error: Error): void {
    this.#attempt = 0;
    this.#setState("disconnected", { error });
    this.#failAll(undefined, error);
  }

  #failAll(conn: Conn | undefined, error: Error): void {
    if (conn) {
      for (const call of [...conn.pending.values()]) this.#fail(call, error);
      conn.pending.clear();
    }
    const queued = this.#queue;
    this.#queue = [];
    for (const call of queued) this.#fail(call, error);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(error);
  }

  #clearConnTimers(conn: Conn): void {
    if (conn.openTimer) clearTimeout(conn.openTimer);
    if (conn.keepaliveTimer) clearInterval(conn.keepaliveTimer);
    conn.openTimer = undefined;
    conn.keepaliveTimer = undefined;
  }

  #makeCall(method: RpcMethod, payload: unknown, options: CallOptions | undefined, read?: ReadAnswer): Call {
    const signal = options?.signal;
    const timeoutMs = options?.timeoutMs ?? this.#o.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const call = new Call(method, payload, timeoutMs, signal, read);
    if (signal?.aborted) {
      this.#fail(call, abortedError(this.#platform, signal.reason));
      return call;
    }
    // No timer per call: one per distinct limit, armed for the oldest (deadlines.ts).
    this.#deadlines.add(call, timeoutMs);
    if (signal) {
      call.onAbort = () => this.#fail(call, abortedError(this.#platform, signal.reason));
      signal.addEventListener("abort", call.onAbort, { once: true });
    }
    return call;
  }

  #expire(call: Call): void {
    this.#fail(
      call,
      new TimeoutError(`request ${String(call.method)} timed out after ${call.timeoutMs} ms`, {
        platform: this.#platform,
        code: "timeout",
        details: { method: call.method, timeoutMs: call.timeoutMs },
      }),
    );
  }

  #transmit(conn: Conn, call: Call): void {
    conn.seq += 1;
    const seq = conn.seq;
    let frame: WireFrame;
    try {
      frame = this.#o.codec.encode({ seq, method: call.method as M, payload: call.payload });
    } catch (err) {
      this.#fail(call, asError(err));
      return;
    }
    call.conn = conn;
    call.seq = seq;
    conn.pending.set(seq, call);
    // A failed write closes the socket; the close handler rejects this call with the rest. A
    // wire that refuses the frame outright fails just this call, as a rejection: callers hand
    // this promise straight back (MaxEngine.invoke is not async), so nothing may throw here.
    try {
      conn.wire.send(frame, conn.pending.size === 1);
    } catch (err) {
      this.#fail(call, asError(err));
    }
  }

  #settle(call: Call): boolean {
    if (call.done) return false;
    call.done = true;
    this.#deadlines.settled(call);
    if (call.onAbort) call.signal?.removeEventListener("abort", call.onAbort);
    if (call.conn) call.conn.pending.delete(call.seq);
    else {
      const i = this.#queue.indexOf(call);
      if (i >= 0) this.#queue.splice(i, 1);
    }
    return true;
  }

  #succeed(call: Call, value: unknown): void {
    if (!this.#settle(call)) return;
    try {
      call.resolve(call.read ? call.read(value, call.payload) : value);
    } catch (err) {
      call.reject(asError(err));
    }
  }

  #fail(call: Call, error: Error): void {
    if (this.#settle(call)) call.reject(error);
  }

  #setState(state: ConnectionState, extra: Omit<StateChange, "state" | "previous">): void {
    const previous = this.#state;
    this.#state = state;
    this.#log.debug({ state, previous, attempt: extra.attempt, delayMs: extra.delayMs }, "connection state");
    try {
      this.emit("state", { state, previous, ...extra });
    } catch (err) {
      this.#log.error({ err: asError(err) }, "state listener threw");
    }
  }

  /** No retry cures these: the transport is closed, or its URL cannot even be opened. */
  #closedError(message = "transport closed", code = "closed"): TransportError {
    return new TransportError(message, { platform: this.#platform, code, retryable: false });
  }

  #transportError(message: string, code: string, method?: RpcMethod): TransportError {
    return new TransportError(method === undefined ? message : `${message} (request ${String(method)})`, {
      platform: this.#platform,
      code,
      details: method === undefined ? undefined : { method },
    });
  }
}
