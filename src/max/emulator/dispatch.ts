import type { z } from "zod";
import type { RpcEndpoint } from "../../core/endpoint.js";
import { ErrorCode, LIMITS, Opcode, opcodeName, Packet, rpcEntry } from "../protocol.js";
import type { ConnectionState, MaxConnection } from "./connection.js";
import type { HandlerDef, HandlerTable, MaxEmulator } from "./context.js";
import { MaxProtocolError } from "./errors.js";

const STATE_RANK: Record<ConnectionState, number> = { connected: 0, hello: 1, online: 2 };
/** The lowest connection state each `auth` of the endpoint table needs. */
const AUTH_STATE: Record<RpcEndpoint["auth"], ConnectionState> = {
  any: "connected",
  none: "hello",
  session: "online",
};

/**
 * Per-connection fairness. Frames of one connection are served in order from a queue; after an
 * expensive request (these opcodes) or a slice of SLICE_MS, the connection yields the event loop
 * so every other connection's frames are served in between: 30 pipelined searches from one
 * client can't hold up the others' keepalives and sends.
 */
const EXPENSIVE = new Set<number>([
  Opcode.LOGIN_BY_TOKEN,
  Opcode.GET_CHATS,
  Opcode.GET_CHAT,
  Opcode.CHATS_LIST,
  Opcode.GET_MEMBERS,
  Opcode.SEARCH,
  Opcode.GET_CONTACTS,
]);
/** Longest run of one connection's requests in one event-loop turn. */
const SLICE_MS = 8;
/**
 * Requests of one connection being served at once (async handlers: injected delays, and 64s
 * waiting for their group commit: one batch on disk being flushed while the next one fills, so
 * a client with 64 in flight gets about 32 per batch).
 */
export const MAX_IN_FLIGHT = 64;
/** Frames one connection may have waiting; beyond that (or MAX_QUEUED_BYTES) they are refused. */
export const MAX_QUEUED_FRAMES = 256;
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

/** `decoded`: the packet a binary (MessagePack) frame already decoded to; `data` is then unused. */
type Frame = { data: Buffer | ArrayBuffer | Buffer[]; isBinary: boolean; size: number; decoded?: unknown };
const NO_DATA = Buffer.alloc(0);

interface ConnQueue {
  frames: Frame[];
  bytes: number;
  inFlight: number;
  /** A pump is scheduled or running. */
  busy: boolean;
}

interface Route {
  def: HandlerDef;
  endpoint: RpcEndpoint;
  state: ConnectionState;
}

/**
 * Turns one inbound frame into exactly one answer (response or `cmd: 3` error), whatever the
 * frame holds. Nothing a client sends can throw out of here.
 */
export class Dispatcher {
  private readonly table = new Map<number, Route>();

  /** Every handler must belong to an opcode of the endpoint table (protocol/rpc.ts). */
  constructor(
    private readonly emu: MaxEmulator,
    tables: HandlerTable[],
  ) {
    for (const t of tables) {
      for (const [op, def] of Object.entries(t)) {
        if (!def) continue;
        const endpoint = rpcEntry(Number(op));
        if (!endpoint) throw new Error(`MAX handler for opcode ${op}, which the endpoint table lacks`);
        if (this.table.has(Number(op))) throw new Error(`two MAX handlers for opcode ${op}`);
        this.table.set(Number(op), { def: def as HandlerDef, endpoint, state: AUTH_STATE[endpoint.auth] });
      }
    }
  }

  handles(opcode: number): boolean {
    return this.table.has(opcode);
  }

  /** Opcodes with a handler (tests check them against the endpoint table). */
  opcodes(): number[] {
    return [...this.table.keys()];
  }

  private readonly queues = new WeakMap<MaxConnection, ConnQueue>();

  /**
   * Takes one inbound frame: served at once when the connection has nothing waiting, else
   * queued behind its earlier frames (see EXPENSIVE). A connection over its queue bound gets
   * `error.rate_limited` for the frame.
   */
  async onFrame(
    conn: MaxConnection,
    data: Buffer | ArrayBuffer | Buffer[],
    isBinary: boolean,
  ): Promise<void> {
    const size = Array.isArray(data)
      ? data.reduce((n, b) => n + b.length, 0)
      : (data as Buffer | ArrayBuffer).byteLength;
    this.enqueue(conn, { data, isBinary, size });
  }

  /**
   * Takes one packet a binary socket frame decoded to (socket-server.ts): the same queue, limits
   * and dispatch as a WebSocket frame. `size` is the frame's byte length.
   */
  onPacket(conn: MaxConnection, decoded: unknown, size: number): void {
    this.enqueue(conn, { data: NO_DATA, isBinary: true, size, decoded });
  }

  private enqueue(conn: MaxConnection, frame: Frame): void {
    const { data, size } = frame;
    let q = this.queues.get(conn);
    if (!q) {
      q = { frames: [], bytes: 0, inFlight: 0, busy: false };
      this.queues.set(conn, q);
    }
    if (q.frames.length >= MAX_QUEUED_FRAMES || q.bytes + size > MAX_QUEUED_BYTES) {
      this.refuseQueued(conn, frame.decoded ?? data, size);
      return;
    }
    q.frames.push(frame);
    q.bytes += size;
    if (!q.busy) this.pump(conn, q);
  }

  /** Serves queued frames of one connection until the slice is used up, then yields. */
  private pump(conn: MaxConnection, q: ConnQueue): void {
    q.busy = true;
    const start = performance.now();
    while (q.frames.length > 0 && q.inFlight < MAX_IN_FLIGHT) {
      if (conn.closed) {
        q.frames = [];
        q.bytes = 0;
        break;
      }
      const frame = q.frames.shift() as Frame;
      q.bytes -= frame.size;
      q.inFlight++;
      let opcode: number | undefined;
      const done = this.handleFrame(conn, frame, (op) => {
        opcode = op;
      });
      done
        .catch((err) => this.emu.log.error({ err }, "MAX frame handling failed"))
        .finally(() => {
          q.inFlight--;
          if (!q.busy && q.frames.length > 0) this.pump(conn, q);
        });
      if ((opcode !== undefined && EXPENSIVE.has(opcode)) || performance.now() - start > SLICE_MS) {
        // Frames that arrive meanwhile (ws emits a read's frames one after another) wait
        // for the next turn too: the other connections' I/O comes first.
        setImmediate(() => this.pump(conn, q));
        return;
      }
    }
    q.busy = false;
  }

  /** Answers a frame the connection's full queue can't take (its seq and opcode when readable). */
  private refuseQueued(conn: MaxConnection, data: unknown, size: number): void {
    let seq = 0;
    let opcode = 0;
    if (size <= LIMITS.frameBytes) {
      try {
        const isBytes = Buffer.isBuffer(data) || data instanceof ArrayBuffer || Array.isArray(data);
        const text = !isBytes
          ? ""
          : Array.isArray(data)
            ? Buffer.concat(data as Buffer[]).toString("utf8")
            : Buffer.from(data as ArrayBuffer).toString("utf8");
        const r = (isBytes ? JSON.parse(text) : (data ?? {})) as {
          seq?: unknown;
          opcode?: unknown;
          cmd?: unknown;
        };
        if (r.cmd !== 0) return;
        if (Number.isInteger(r.seq)) seq = r.seq as number;
        if (Number.isInteger(r.opcode)) opcode = r.opcode as number;
      } catch {
        // Unreadable: answered with seq 0.
      }
    }
    this.fail(
      conn,
      seq,
      opcode,
      new MaxProtocolError(
        ErrorCode.RATE_LIMIT,
        `Too many requests waiting on this connection (at most ${MAX_QUEUED_FRAMES})`,
        "Слишком много запросов",
      ),
    );
  }

  private async handleFrame(
    conn: MaxConnection,
    frame: Frame,
    seen: (opcode: number) => void,
  ): Promise<void> {
    const { data, isBinary, size } = frame;
    if (size > LIMITS.frameBytes) {
      return this.fail(
        conn,
        0,
        0,
        new MaxProtocolError(ErrorCode.PROTO_SIZE, `Frame exceeds ${LIMITS.frameBytes} bytes`),
      );
    }
    // A binary socket's frame arrives decoded (MessagePack); a WebSocket's is JSON text.
    let raw: unknown = frame.decoded;
    if (raw === undefined) {
      try {
        const text = Array.isArray(data)
          ? Buffer.concat(data).toString("utf8")
          : Buffer.from(data as ArrayBuffer).toString("utf8");
        if (isBinary && !text.startsWith("{")) throw new Error("binary");
        raw = JSON.parse(text);
      } catch {
        return this.fail(
          conn,
          0,
          0,
          new MaxProtocolError(ErrorCode.PROTO_FORMAT, "Malformed packet: expected a JSON object"),
        );
      }
    }
    if (deeperThan(raw, LIMITS.frameDepth)) {
      // Refused before any schema, handler or log walks it recursively.
      const r = raw as { seq?: unknown; opcode?: unknown };
      return this.fail(
        conn,
        Number.isInteger(r.seq) ? (r.seq as number) : 0,
        Number.isInteger(r.opcode) ? (r.opcode as number) : 0,
        new MaxProtocolError(
          ErrorCode.PROTO_PAYLOAD,
          `Packet nested deeper than ${LIMITS.frameDepth} levels`,
          "Ошибка валидации",
        ),
      );
    }
    const envelope = Packet.safeParse(raw);
    if (!envelope.success) {
      const r = (raw ?? {}) as { seq?: unknown; opcode?: unknown };
      const seq = Number.isInteger(r.seq) ? (r.seq as number) : 0;
      const opcode = Number.isInteger(r.opcode) ? (r.opcode as number) : 0;
      return this.fail(
        conn,
        seq,
        opcode,
        new MaxProtocolError(ErrorCode.PROTO_FORMAT, `Malformed packet: ${describe(envelope.error)}`),
      );
    }
    const packet = envelope.data;
    seen(packet.opcode);
    // Only the keepalive itself keeps a connection alive (seed: ping every 30 s "or the
    // connection closes"); other traffic does not stand in for it.
    if (packet.opcode === Opcode.KEEPALIVE) conn.lastKeepalive = Date.now();
    if (packet.cmd !== 0) {
      // Acks of pushes (cmd 1 from the client) are accepted silently, as the service does.
      return;
    }
    if (packet.seq !== 0) return this.dispatch(conn, packet.seq, packet.opcode, packet.payload ?? {});
    conn.holdEvents();
    try {
      await this.dispatch(conn, packet.seq, packet.opcode, packet.payload ?? {});
    } finally {
      conn.releaseEvents();
    }
  }

  private async dispatch(conn: MaxConnection, seq: number, opcode: number, payload: unknown): Promise<void> {
    const route = this.table.get(opcode);
    if (!route) {
      return this.fail(
        conn,
        seq,
        opcode,
        new MaxProtocolError(ErrorCode.PROTO_OPCODE, `Unknown opcode ${opcode}`, "Не реализовано"),
      );
    }
    if (STATE_RANK[conn.state] < STATE_RANK[route.state]) {
      const need = route.state === "hello" ? "Must send HELLO (opcode 6) first" : "Must be ONLINE session";
      return this.fail(conn, seq, opcode, new MaxProtocolError(ErrorCode.PROTO_STATE, need));
    }
    const parsed = route.endpoint.request.safeParse(payload);
    if (!parsed.success) {
      return this.fail(
        conn,
        seq,
        opcode,
        new MaxProtocolError(
          ErrorCode.PROTO_PAYLOAD,
          `Invalid payload for ${opcodeName(opcode)}: ${describe(parsed.error)}`,
          "Ошибка валидации",
        ),
      );
    }
    const injected = this.emu.faults.takeFailure(conn.userId, opcode);
    if (injected) return this.fail(conn, seq, opcode, new MaxProtocolError(injected.error, injected.message));
    if (this.emu.faults.overRate(conn.userId, conn.id, opcode)) {
      return this.fail(conn, seq, opcode, new MaxProtocolError(ErrorCode.RATE_LIMIT, "Too many requests"));
    }
    const delay = opcode === Opcode.KEEPALIVE ? 0 : this.emu.faults.delayFor(conn.userId);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    try {
      const result = await route.def.handle({ emu: this.emu, conn, seq, opcode }, parsed.data as never);
      conn.respond(seq, opcode, result ?? {});
    } catch (err) {
      if (err instanceof MaxProtocolError) return this.fail(conn, seq, opcode, err);
      this.emu.log.error({ err, opcode }, "MAX handler failed");
      return this.fail(conn, seq, opcode, new MaxProtocolError(ErrorCode.SERVICE, "Internal server error"));
    }
  }

  private fail(conn: MaxConnection, seq: number, opcode: number, err: MaxProtocolError): void {
    conn.error(seq, opcode, err.toPayload());
  }
}

/** True when objects / arrays in `value` nest deeper than `max` levels; iterative, stops early. */
export function deeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== "object") return false;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (depth > max) return true;
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    for (const child of children) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return false;
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join(".") : "payload"}: ${i.message}`)
    .join("; ");
}
