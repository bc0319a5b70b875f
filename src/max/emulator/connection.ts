import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import { isSecretKey, REDACTED, redactUrl } from "../../core/redact.js";
import { Cmd, opcodeName, PROTOCOL_VERSION } from "../protocol.js";

export type ConnectionState = "connected" | "hello" | "online";

/** Bytes we let queue up for a slow reader before dropping it (the service drops slow sockets too). */
const MAX_BUFFERED = 8 * 1024 * 1024;

/** One packet as the traffic inspector sees it: parsed, with secrets masked. */
export interface MaxTrafficRecord {
  dir: "in" | "out";
  time: number;
  /** Bytes of the frame as sent on the wire. */
  size: number;
  connId: number;
  userId: number | undefined;
  cmd: number | undefined;
  seq: number | undefined;
  opcode: number | undefined;
  opcodeName: string | undefined;
  /** The payload with secret-looking keys and URL secrets masked; the raw text if it is not JSON. */
  payload: unknown;
}

/**
 * A tap on every frame in and out of the emulator, for the sandbox console. The hot path only
 * reads `active`: nothing is parsed or copied while nobody listens.
 */
export class MaxTrafficTap {
  private readonly listeners = new Set<(record: MaxTrafficRecord) => void>();
  active = false;

  subscribe(listener: (record: MaxTrafficRecord) => void): () => void {
    this.listeners.add(listener);
    this.active = true;
    return () => {
      this.listeners.delete(listener);
      this.active = this.listeners.size > 0;
    };
  }

  record(conn: MaxConnection, dir: "in" | "out", text: string): void {
    let packet: { cmd?: unknown; seq?: unknown; opcode?: unknown; payload?: unknown } | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) packet = parsed;
    } catch {
      // Not JSON: shown as text (masked like a URL, in case it carries a token).
    }
    const int = (v: unknown) => (Number.isInteger(v) ? (v as number) : undefined);
    const opcode = int(packet?.opcode);
    const record: MaxTrafficRecord = {
      dir,
      time: Date.now(),
      size: Buffer.byteLength(text),
      connId: conn.id,
      userId: conn.userId,
      cmd: int(packet?.cmd),
      seq: int(packet?.seq),
      opcode,
      opcodeName: opcode === undefined ? undefined : opcodeName(opcode),
      payload: packet ? maskTraffic(packet.payload ?? {}) : redactUrl(text.slice(0, TRAFFIC_STRING_CHARS)),
    };
    for (const listener of this.listeners) {
      try {
        listener(record);
      } catch {
        // A failing listener must never break the connection it is watching.
      }
    }
  }
}

/** What the inspector keeps of one payload: bounded depth, breadth and string length. */
const TRAFFIC_DEPTH = 12;
const TRAFFIC_ITEMS = 100;
const TRAFFIC_STRING_CHARS = 4096;
/** MAX secrets whose key names the core list does not cover: the 2FA / QR `trackId` finishes a login. */
const MAX_SECRET_KEYS = new Set(["trackid", "qrlink", "code", "verifycode", "apitoken"]);

function isMaxSecretKey(key: string): boolean {
  return isSecretKey(key) || MAX_SECRET_KEYS.has(key.toLowerCase().replace(/[^a-z]/g, ""));
}

/**
 * A copy of a packet's payload that is safe to show and to serialise: secret keys masked,
 * secrets inside URLs masked, nesting below TRAFFIC_DEPTH and long lists / strings cut.
 */
export function maskTraffic(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return maskString(value);
  if (value === null || typeof value !== "object") return value;
  if (depth >= TRAFFIC_DEPTH) return "[truncated: nested too deep]";
  if (Array.isArray(value)) {
    const out = value.slice(0, TRAFFIC_ITEMS).map((v) => maskTraffic(v, depth + 1));
    if (value.length > TRAFFIC_ITEMS) out.push(`[truncated: ${value.length - TRAFFIC_ITEMS} more]`);
    return out;
  }
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [k, v] of Object.entries(value)) {
    if (++n > TRAFFIC_ITEMS) {
      out["…"] = "[truncated: more keys]";
      break;
    }
    const secret = isMaxSecretKey(k) && v !== undefined && v !== null && v !== "";
    // `code` is also the business error code of error packets: only a 6-digit SMS code is hidden.
    if (secret && k.toLowerCase() === "code" && !(typeof v === "string" && /^\d{4,8}$/.test(v))) {
      out[k] = maskTraffic(v, depth + 1);
    } else out[k] = secret ? REDACTED : maskTraffic(v, depth + 1);
  }
  return out;
}

/** Secrets inside string values: upload/download URLs carry their keys, QR links their trackId. */
function maskString(value: string): string {
  const cut =
    value.length > TRAFFIC_STRING_CHARS ? `${value.slice(0, TRAFFIC_STRING_CHARS)}…[truncated]` : value;
  return redactUrl(cut)
    .replace(/(\/download\/\d+\/)[^/?#"\s]+/g, "$1[redacted]")
    .replace(/(\/i\?r=)[^&#"\s]+/g, "$1[redacted]")
    .replace(/(\/:auth\/)[^/?#"\s]+/g, "$1[redacted]");
}

/**
 * How one connection's packets reach its socket: JSON text frames over a WebSocket (WsLink) or
 * the mobile apps' binary frames over TCP/TLS (socket-server.ts). The dispatcher and handlers
 * only see MaxConnection, whichever link carries it.
 */
export interface PacketLink {
  /** Whether frames can still be written. */
  readonly writable: boolean;
  /** Bytes waiting for a slow reader. */
  readonly buffered: number;
  /** Writes one packet; the payload is given as a value, as JSON text, or both. */
  write(cmd: number, seq: number, opcode: number, payload: unknown, payloadJson: string | undefined): void;
  close(code: number, reason: string): void;
  terminate(): void;
}

/** The JSON text of one packet, as the WebSocket carries it. */
export function packetText(
  cmd: number,
  seq: number,
  opcode: number,
  payload: unknown,
  payloadJson: string | undefined,
): string {
  return `{"ver":${PROTOCOL_VERSION},"cmd":${cmd},"seq":${seq},"opcode":${opcode},"payload":${payloadJson ?? JSON.stringify(payload ?? {})}}`;
}

/** The WebSocket link: text frames, one write per event-loop turn. */
export class WsLink implements PacketLink {
  /** True while writes of the current event-loop turn are being held back for one syscall. */
  private corked = false;

  constructor(
    readonly ws: WebSocket,
    /** The TCP socket under `ws` (from the upgrade), used to coalesce writes. */
    private readonly socket?: Socket,
  ) {}

  private readonly release = (): void => {
    this.corked = false;
    this.socket?.uncork();
  };

  get writable(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  get buffered(): number {
    return this.ws.bufferedAmount;
  }

  write(cmd: number, seq: number, opcode: number, payload: unknown, payloadJson: string | undefined): void {
    if (this.socket && !this.corked) {
      // Answers and events produced in one turn (a batch of 64 sends, a fan-out) leave in a
      // single write instead of one syscall per frame; released on the next turn.
      this.corked = true;
      this.socket.cork();
      setImmediate(this.release);
    }
    this.ws.send(packetText(cmd, seq, opcode, payload, payloadJson));
  }

  close(code: number, reason: string): void {
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.terminate();
    }
  }

  terminate(): void {
    this.ws.terminate();
  }
}

/** One client socket and what the server knows about it. */
export class MaxConnection {
  state: ConnectionState = "connected";
  userId: number | undefined;
  sessionId: number | undefined;
  deviceId = "";
  deviceType = "WEB";
  deviceName = "";
  appVersion = "";
  /** When this connection last sent a keepalive (opcode 1); its opening counts as one. */
  lastKeepalive = Date.now();
  closed = false;
  /** Requests with seq 0 being served now, and the events held back meanwhile (see holdEvents). */
  private zeroSeqInFlight = 0;
  private heldEvents: [opcode: number, payloadJson: string][] = [];

  constructor(
    readonly id: number,
    /** The socket's side: WebSocket text frames or binary TCP frames. */
    readonly link: PacketLink,
    readonly remote: string,
    /** The console's traffic tap (see MaxTrafficTap). */
    readonly tap?: MaxTrafficTap,
  ) {}

  respond(seq: number, opcode: number, payload: unknown): void {
    this.deliver(Cmd.RESPONSE, seq, opcode, payload ?? {}, undefined);
  }

  error(seq: number, opcode: number, payload: unknown): void {
    this.deliver(Cmd.ERROR, seq, opcode, payload, undefined);
  }

  /**
   * Pushes go out as the real service sends them: `cmd: 0` (PyMax's dispatcher tests build
   * NOTIF_* frames with Command.REQUEST; vkmax's docs: "the server pushes packets with cmd=0").
   * The seed's "cmd=1 without a request" is what the seed's own sample never checks. Their `seq`
   * is 0, a number no client request uses while it waits: vkmax, vkmax-node and PyMax 1.x
   * resolve a pending request by seq alone (counting from 1), so a server counter would be taken
   * for the answer to one of them; PyMax 2 resolves only cmd 1 / 3, so cmd 0 is never mistaken.
   */
  sendEventRaw(opcode: number, payloadJson: string): void {
    if (this.zeroSeqInFlight > 0) {
      this.heldEvents.push([opcode, payloadJson]);
      return;
    }
    this.deliver(Cmd.REQUEST, 0, opcode, undefined, payloadJson);
  }

  /**
   * PyMax numbers requests from 0 (and wraps back to 0) and resolves any cmd-1 frame whose seq
   * is pending: while one of its seq-0 requests is being served, an event would be taken for
   * its answer. Events wait until that answer is out.
   */
  holdEvents(): void {
    this.zeroSeqInFlight++;
  }

  releaseEvents(): void {
    if (this.zeroSeqInFlight === 0 || --this.zeroSeqInFlight > 0) return;
    const held = this.heldEvents;
    this.heldEvents = [];
    for (const [opcode, json] of held) this.deliver(Cmd.REQUEST, 0, opcode, undefined, json);
  }

  sendEvent(opcode: number, payload: unknown): void {
    this.sendEventRaw(opcode, JSON.stringify(payload));
  }

  private deliver(
    cmd: number,
    seq: number,
    opcode: number,
    payload: unknown,
    payloadJson: string | undefined,
  ): void {
    if (this.closed || !this.link.writable) return;
    if (this.link.buffered > MAX_BUFFERED) {
      // A reader this far behind would make the server hold unbounded memory.
      this.close(1008, "slow consumer");
      return;
    }
    if (this.tap?.active) this.tap.record(this, "out", packetText(cmd, seq, opcode, payload, payloadJson));
    this.link.write(cmd, seq, opcode, payload, payloadJson);
  }

  close(code = 1000, reason = ""): void {
    if (this.closed) return;
    this.closed = true;
    this.link.close(code, reason);
  }

  /** Abrupt drop without a close frame (fault injection, revoked sessions on the real service). */
  terminate(): void {
    this.closed = true;
    this.link.terminate();
  }
}
