/**
 * MaxClient's socket transport: the mobile apps' binary framing (protocol/binary.ts) over TLS or
 * plain TCP, plugged into the RPC engine as a wire (core RpcWire) and a codec. URLs are
 * `tls://host:port` (production: tls://api.oneme.ru:443) or `tcp://host:port`.
 */
import { type Socket, connect as tcpConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { RpcCodec, RpcFrame, RpcWire, RpcWireFactory, RpcWireHandlers } from "../../core/rpc-ws.js";
import { BINARY_VERSION, BinaryFrameReader, decodeBinary, encodeBinary } from "../protocol/binary.js";
import { Cmd } from "../protocol.js";
import { errorFromPayload, type MaxPush } from "./codec.js";

/** Where the mobile apps connect. */
export const DEFAULT_SOCKET_URL = "tls://api.oneme.ru:443";

/** TLS of the socket transport: a CA to trust (a sandbox's self-signed certificate), or no checks. */
export interface MaxSocketTls {
  ca?: string | Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

const CLOSE_GRACE_MS = 1000;

class SocketWire implements RpcWire {
  readonly #socket: Socket;
  readonly #handlers: RpcWireHandlers;
  #closedByUs = false;
  #gone = false;
  #corked = false;
  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
  };

  constructor(url: string, maxPayload: number, tls: MaxSocketTls, handlers: RpcWireHandlers) {
    this.#handlers = handlers;
    const parsed = new URL(url);
    const secure = parsed.protocol === "tls:";
    if (!secure && parsed.protocol !== "tcp:") {
      throw new Error(
        `MAX socket transport URL must be tls://host:port or tcp://host:port, not ${parsed.protocol}`,
      );
    }
    const host = parsed.hostname.replace(/^\[|\]$/g, "");
    const port = Number(parsed.port || 443);
    const socket = secure
      ? tlsConnect(
          {
            host,
            port,
            servername: tls.servername ?? (/^[\d.:]+$/.test(host) ? undefined : host),
            ...tlsOptions(tls),
          },
          () => handlers.open(),
        )
      : tcpConnect({ host, port }, () => handlers.open());
    this.#socket = socket;
    socket.setNoDelay(true);
    const reader = new BinaryFrameReader(maxPayload);
    socket.on("data", (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch (err) {
        // A frame past the size bound: the stream can't be followed any further.
        handlers.error(err as Error);
        socket.destroy();
        return;
      }
      for (const frame of frames) handlers.frame(frame);
    });
    socket.on("error", (err) => handlers.error(err));
    socket.on("close", () => {
      this.#gone = true;
      handlers.close(this.#closedByUs ? 1000 : 1006, "");
    });
  }

  send(frame: string | Uint8Array): void {
    if (typeof frame === "string") throw new Error("the MAX socket transport carries binary frames only");
    const socket = this.#socket;
    if (!this.#corked && !socket.destroyed) {
      // Frames of one tick (a burst of sends) leave in one write.
      this.#corked = true;
      socket.cork();
      process.nextTick(this.#uncork);
    }
    socket.write(frame, (err) => {
      if (err) this.#handlers.error(err);
    });
  }

  close(): Promise<void> {
    if (this.#gone) return Promise.resolve();
    this.#closedByUs = true;
    const socket = this.#socket;
    return new Promise<void>((resolve) => {
      const grace = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
      socket.once("close", () => {
        clearTimeout(grace);
        resolve();
      });
      socket.end();
    });
  }

  terminate(): void {
    this.#socket.destroy();
  }
}

function tlsOptions(tls: MaxSocketTls): { ca?: string | Buffer; rejectUnauthorized?: boolean } {
  const out: { ca?: string | Buffer; rejectUnauthorized?: boolean } = {};
  if (tls.ca !== undefined) out.ca = tls.ca;
  if (tls.rejectUnauthorized !== undefined) out.rejectUnauthorized = tls.rejectUnauthorized;
  return out;
}

/** A wire factory for `tls://` / `tcp://` URLs. */
export function socketWire(tls: MaxSocketTls = {}): RpcWireFactory {
  return (options, handlers) => new SocketWire(options.url, options.maxPayload ?? 1024 * 1024, tls, handlers);
}

/**
 * Binary packets ⇄ the RPC engine. The header's seq is 16 bits while the engine counts on, so
 * each request's full seq is remembered under its low 16 bits until answered. Pushes are told
 * apart by cmd alone (0 / 2): a wrapped seq may be 0.
 */
export function binaryCodec(): RpcCodec<number, MaxPush> {
  const pending = new Map<number, number>();
  return {
    encode({ seq, method, payload }) {
      pending.set(seq & 0xffff, seq);
      return encodeBinary({
        ver: BINARY_VERSION,
        cmd: Cmd.REQUEST,
        seq: seq & 0xffff,
        opcode: method,
        payload: payload ?? {},
      });
    },
    decode(frame): RpcFrame<MaxPush> {
      if (typeof frame === "string") return { kind: "ignore" };
      const p = decodeBinary(frame);
      if (p.cmd === Cmd.REQUEST || p.cmd === Cmd.EVENT) {
        return { kind: "event", event: { opcode: p.opcode, seq: p.seq, cmd: p.cmd, payload: p.payload } };
      }
      const seq = pending.get(p.seq) ?? p.seq;
      pending.delete(p.seq);
      if (p.cmd === Cmd.ERROR) return { kind: "error", seq, error: errorFromPayload(p.opcode, p.payload) };
      return { kind: "response", seq, payload: p.payload ?? {} };
    },
  };
}
