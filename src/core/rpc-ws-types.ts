/** The types of the RPC WebSocket transport (rpc-ws.ts): codec, frames, options, state. */
import type { BackoffOptions } from "./backoff.js";
import type { CallOptions } from "./call.js";
import type { Platform } from "./errors.js";
import type { Logger } from "./log.js";
import type { ConnectionState } from "./model.js";

export type { CallOptions };

/** A method name or numeric opcode; the codec decides what it means on the wire. */
export type RpcMethod = string | number;

export interface RpcRequest<M extends RpcMethod = RpcMethod> {
  seq: number;
  method: M;
  payload: unknown;
}

/** What the platform codec makes of one incoming text frame. */
export type RpcFrame<E = unknown> =
  | { kind: "response"; seq: number; payload: unknown }
  /** The codec builds the typed error (ApiError, AuthError…) from the platform's error shape. */
  | { kind: "error"; seq: number; error: Error }
  | { kind: "event"; event: E }
  | { kind: "ignore" };

/** One frame on the wire: a WebSocket text frame, or a binary packet (a binary wire's). */
export type WireFrame = string | Uint8Array;

export interface RpcCodec<M extends RpcMethod = RpcMethod, E = unknown> {
  encode(request: RpcRequest<M>): WireFrame;
  /**
   * Reads what the wire delivered (the default WebSocket wire delivers text). May throw on
   * garbage; the frame is then logged and dropped, the socket stays up.
   */
  decode(frame: WireFrame): RpcFrame<E>;
}

/**
 * The transport seam: one connection's socket as the RPC engine sees it. The engine owns seq
 * matching, time limits, abort, keepalive and reconnect; a wire only moves encoded frames. The
 * default is a `ws` WebSocket (ws-wire.ts); a binary TCP transport plugs in as another wire
 * plus its own codec.
 */
export interface RpcWire {
  /**
   * Sends one encoded frame. `alone`: no other request is awaiting an answer, so none is likely to
   * follow in this tick (write it at once); otherwise frames of one tick may leave in one write.
   */
  send(frame: WireFrame, alone?: boolean): void;
  /** Closes gracefully; resolves once the socket is gone (forcibly after a short grace period). */
  close(code: number, reason: string): Promise<void>;
  /** Destroys the socket at once; `handlers.close` follows. */
  terminate(): void;
}

/** What a wire reports; each handler may be called any number of times until `close`. */
export interface RpcWireHandlers {
  /** The socket is open and can carry frames. */
  open(): void;
  frame(frame: WireFrame): void;
  /** The socket is gone (1006 when it died without a close handshake). Called once. */
  close(code: number, reason: string): void;
  /** A socket or write error; `close` follows. */
  error(error: Error): void;
}

export interface RpcWireOptions {
  url: string;
  headers?: Record<string, string>;
  /** Largest accepted incoming frame in bytes. */
  maxPayload?: number;
}

export type RpcWireFactory = (options: RpcWireOptions, handlers: RpcWireHandlers) => RpcWire;

export interface KeepaliveOptions<M extends RpcMethod> {
  intervalMs: number;
  make(): { method: M; payload: unknown };
  /** No answer to a keepalive within this long: the peer counts as dead (default: request timeout). */
  deadAfterMs?: number;
}

export interface ReconnectOptions extends BackoffOptions {
  /** Default true. */
  enabled?: boolean;
  /** Consecutive failed attempts before giving up; unbounded when omitted. */
  maxAttempts?: number;
}

/**
 * Turns a request's answer into its result as the answer frame lands (the request's payload
 * alongside): the caller's promise then settles one hop after the frame. What it throws rejects.
 */
export type ReadAnswer = (answer: unknown, payload: unknown) => unknown;

export interface OpenContext<M extends RpcMethod> {
  /** Sends on the fresh connection ahead of everything queued (hello, login by token…). */
  request(method: M, payload: unknown, options?: CallOptions): Promise<unknown>;
  /** True when an earlier connection of this transport had reached `connected`. */
  reconnect: boolean;
}

export interface CloseInfo {
  /** WebSocket close code (1006 when the socket died without a close frame). */
  code: number;
  reason: string;
  /** Why we dropped it ourselves (dead keepalive, onOpen failure) or the socket error. */
  error?: Error;
  /** Whether this connection had reached `connected`. */
  wasConnected: boolean;
}

export type CloseDecision = "reconnect" | "stop";

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  /** Reconnect attempt number (from 1) while reconnecting. */
  attempt?: number;
  delayMs?: number;
  error?: Error;
}

export interface RpcWebSocketOptions<M extends RpcMethod, E> {
  url: string;
  /** Extra handshake headers (Origin, User-Agent…). */
  headers?: Record<string, string>;
  codec: RpcCodec<M, E>;
  /** Opens one connection's socket (default: a `ws` WebSocket, see RpcWire). */
  wire?: RpcWireFactory;
  platform?: Platform;
  /** Default 15 s; per call overridable. */
  requestTimeoutMs?: number;
  /** Handshake plus `onOpen` must finish within this (default 30 s). */
  connectTimeoutMs?: number;
  keepalive?: KeepaliveOptions<M>;
  reconnect?: boolean | ReconnectOptions;
  /** Runs on every new socket before queued requests are released; throwing drops the socket. */
  onOpen?: (ctx: OpenContext<M>) => Promise<void> | void;
  /**
   * Decides whether to reconnect after a drop. Default: stop when the error is a
   * non-retryable SwitchboardError (e.g. AuthError from onOpen), reconnect otherwise.
   */
  onClose?: (info: CloseInfo) => CloseDecision | undefined;
  /** Default true: requests issued while (re)connecting wait for the connection, up to their timeout. */
  queueWhileDisconnected?: boolean;
  /** Bound of that waiting queue (default 1000); beyond it requests fail with TransportError. */
  maxQueue?: number;
  /** Largest accepted incoming frame in bytes (ws `maxPayload`). */
  maxPayload?: number;
  logger?: Logger;
}

export type RpcWebSocketEvents<E> = {
  state: [StateChange];
  event: [E];
};
