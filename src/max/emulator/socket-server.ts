/**
 * The mobile apps' transport: the same opcodes as the WebSocket, over a TLS (or, for tests,
 * plain) TCP socket in the binary "ver 10" framing (protocol/binary.ts: 10-byte header,
 * MessagePack payload, LZ4 above 4 KiB). Each socket becomes a MaxConnection with a BinaryLink,
 * and its decoded packets go to the same dispatcher as WebSocket frames: one set of handlers,
 * queues and limits for both transports.
 */
import { type AddressInfo, createServer as createTcpServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import {
  BINARY_VERSION,
  BinaryFrameError,
  BinaryFrameReader,
  decodeBinary,
  type EncodedBody,
  encodeBinary,
  encodeBody,
  frameWithBody,
} from "../protocol/binary.js";
import { ErrorCode, LIMITS } from "../protocol.js";
import { MaxConnection, type MaxTrafficTap, type PacketLink } from "./connection.js";
import type { MaxEmulator } from "./context.js";
import { MaxProtocolError } from "./errors.js";

/** A TLS certificate and its private key, PEM. */
export interface TlsIdentity {
  cert: string;
  key: string;
}

export interface MaxSocketOptions {
  /**
   * TLS identity of the socket port, or `false` for plain TCP (tests, a local TLS terminator).
   * Default: a self-signed certificate for 127.0.0.1 / ::1 / localhost made at listen time.
   */
  tls?: TlsIdentity | false;
  /** A TLS handshake must finish within this (default 10 s). */
  handshakeTimeoutMs?: number;
  /** Most sockets open at once (default 1000). */
  maxConnections?: number;
}

/** What the socket server needs from the MAX emulator it belongs to. */
export interface MaxSocketHost {
  emu: MaxEmulator;
  traffic: MaxTrafficTap;
  nextConnId(): number;
  /** Hands one decoded packet to the dispatcher (frame byte size for its queue bound). */
  onPacket(conn: MaxConnection, packet: unknown, size: number): void;
  /** The connection is gone: session and hub bookkeeping, as for a closed WebSocket. */
  onClosed(conn: MaxConnection): void;
}

/** After a graceful close, how long a peer gets to read what is left before the socket is destroyed. */
const CLOSE_GRACE_MS = 1000;

/** The default identity, made once per process (generating one costs a few hundred ms). */
let defaultIdentity: Promise<TlsIdentity> | undefined;

/** Generates a self-signed certificate valid for the loopback names (selfsigned, EC P-256). */
export async function selfSignedIdentity(days = 30): Promise<TlsIdentity & { fingerprint: string }> {
  const { generate } = await import("selfsigned");
  const pems = await generate([{ name: "commonName", value: "127.0.0.1" }], {
    notAfterDate: new Date(Date.now() + days * 86_400_000),
    keyType: "ec",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyCertSign: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
          { type: 7, ip: "::1" },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private, fingerprint: pems.fingerprint };
}

/**
 * A push arrives as the JSON the hub made once for all its recipients; its MessagePack body is
 * made once too and reused while the same JSON comes in (the hub writes one push to every
 * recipient in a row), instead of a parse and an encode per socket.
 */
let lastPushJson: string | undefined;
let lastPushBody: EncodedBody | undefined;
function pushBody(json: string): EncodedBody {
  if (json !== lastPushJson || !lastPushBody) {
    lastPushBody = encodeBody(JSON.parse(json), undefined, true);
    lastPushJson = json;
  }
  return lastPushBody;
}

/** One TCP socket as a MaxConnection's link: binary frames, one write per event-loop turn. */
export class BinaryLink implements PacketLink {
  private corked = false;

  constructor(private readonly socket: Socket) {}

  private readonly release = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  get writable(): boolean {
    return this.socket.writable && !this.socket.destroyed;
  }

  get buffered(): number {
    return this.socket.writableLength;
  }

  write(cmd: number, seq: number, opcode: number, payload: unknown, payloadJson: string | undefined): void {
    let frame: Buffer;
    try {
      frame =
        payload !== undefined || payloadJson === undefined
          ? encodeBinary({
              ver: BINARY_VERSION,
              cmd,
              seq,
              opcode,
              payload: payload !== undefined ? payload : {},
            })
          : frameWithBody(BINARY_VERSION, cmd, seq, opcode, pushBody(payloadJson));
    } catch {
      // Only a payload over the 16 MiB the header can state gets here; the peer can't get it whole.
      this.socket.destroy();
      return;
    }
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(this.release);
    }
    this.socket.write(frame);
  }

  close(): void {
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  terminate(): void {
    this.socket.destroy();
  }
}

/** The binary socket listener of one MAX emulator. */
export class MaxSocketServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private identity: TlsIdentity | undefined;

  constructor(
    private readonly host: MaxSocketHost,
    private readonly options: MaxSocketOptions = {},
  ) {}

  /** Starts listening; resolves to `tls://host:port` (or `tcp://…` for plain TCP). */
  async listen(port: number, host = "127.0.0.1", shownHost = host): Promise<string> {
    if (this.options.tls === undefined) defaultIdentity ??= selfSignedIdentity();
    const tls =
      this.options.tls === undefined ? await (defaultIdentity as Promise<TlsIdentity>) : this.options.tls;
    this.identity = tls || undefined;
    const server = tls
      ? createTlsServer(
          { cert: tls.cert, key: tls.key, handshakeTimeout: this.options.handshakeTimeoutMs ?? 10_000 },
          (socket) => this.accept(socket),
        )
      : createTcpServer((socket) => this.accept(socket));
    // A failed TLS handshake only ends that socket.
    server.on("tlsClientError", (_err: Error, socket: Socket) => socket.destroy());
    server.maxConnections = this.options.maxConnections ?? 1000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    return `${tls ? "tls" : "tcp"}://${shownHost}:${address.port}`;
  }

  /** The PEM certificate clients must trust (undefined for plain TCP or before listen). */
  get certificate(): string | undefined {
    return this.identity?.cert;
  }

  private accept(socket: Socket): void {
    const { host } = this;
    socket.setNoDelay(true);
    this.sockets.add(socket);
    const conn = new MaxConnection(
      host.nextConnId(),
      new BinaryLink(socket),
      socket.remoteAddress ?? "",
      host.traffic,
    );
    host.emu.hub.add(conn);
    const reader = new BinaryFrameReader(LIMITS.frameBytes);
    socket.on("data", (chunk: Buffer) => {
      if (conn.closed) return;
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch (err) {
        // The header that said too much may sit anywhere in this chunk: answered with seq 0.
        return this.refuse(conn, 0, 0, err);
      }
      for (const frame of frames) {
        let packet: ReturnType<typeof decodeBinary>;
        try {
          packet = decodeBinary(frame, LIMITS.frameBytes);
        } catch (err) {
          return this.refuse(conn, frame.readUInt16BE(2), frame.readUInt16BE(4), err);
        }
        if (host.traffic.active) host.traffic.record(conn, "in", JSON.stringify(packet));
        host.onPacket(conn, packet, frame.length);
      }
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      this.sockets.delete(socket);
      conn.closed = true;
      host.onClosed(conn);
    });
  }

  /**
   * A frame the stream can't be trusted after (oversize, unreadable): a protocol-native error
   * packet (with the frame's seq and opcode when known), then the socket ends.
   */
  private refuse(conn: MaxConnection, seq: number, opcode: number, err: unknown): void {
    const code =
      err instanceof BinaryFrameError && err.code === "proto.size"
        ? ErrorCode.PROTO_SIZE
        : ErrorCode.PROTO_FORMAT;
    const message = err instanceof BinaryFrameError ? err.message : "Malformed frame";
    conn.error(seq, opcode, new MaxProtocolError(code, message).toPayload());
    conn.close(1002, message);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
