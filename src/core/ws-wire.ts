/**
 * The default wire of the RPC transport (rpc-ws.ts): one `ws` WebSocket, text frames in and out.
 * A frame sent `alone` (no other request awaiting an answer: one awaited at a time) is written at
 * once, with no cork and no hop. Any other frame corks the TCP socket until a microtask, queued
 * behind the continuations already waiting, uncorks it: 64 answers that arrive in one read and
 * trigger 64 new requests cost one `writev`, not 64. Each frame is still its own WebSocket frame.
 */
import type { Socket } from "node:net";
import WebSocket, { type RawData } from "ws";
import type { RpcWire, RpcWireFactory, RpcWireHandlers, RpcWireOptions, WireFrame } from "./rpc-ws-types.js";

const CLOSE_GRACE_MS = 1000;

function rawToText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data).toString("utf8");
}

/** Settled once: `.then` on it queues a plain V8 microtask (no tick object, no async context). */
const settled = Promise.resolve();

/** A text frame as ws sends it; `binary: false` keeps a Buffer a text frame. */
const TEXT_FRAME = { binary: false } as const;

class WsWire implements RpcWire {
  readonly ws: WebSocket;
  /** The TCP socket under the WebSocket, known from the handshake's `upgrade` answer. */
  socket: Socket | undefined;
  corked = false;
  readonly #uncork = (): void => {
    this.corked = false;
    this.socket?.uncork();
  };
  readonly #handlers: RpcWireHandlers;
  /** One write callback for every frame (no closure per send): a failed write is the socket's error. */
  readonly #onWritten = (err?: Error): void => {
    if (err) this.#handlers.error(err);
  };

  constructor(options: RpcWireOptions, handlers: RpcWireHandlers) {
    this.#handlers = handlers;
    // ws spreads options over its defaults, so undefined keys must be left out entirely.
    const wsOptions: WebSocket.ClientOptions = { perMessageDeflate: false };
    if (options.headers) wsOptions.headers = options.headers;
    if (options.maxPayload !== undefined) wsOptions.maxPayload = options.maxPayload;
    const ws = new WebSocket(options.url, wsOptions);
    this.ws = ws;
    ws.on("upgrade", (res) => {
      const socket = res.socket as Socket | undefined;
      if (socket && typeof socket.cork === "function") this.socket = socket;
    });
    // The error listener stays for the socket's life so ws never throws an unhandled 'error'.
    ws.on("error", (err) => handlers.error(err));
    ws.on("open", () => handlers.open());
    ws.on("message", (data) => handlers.frame(rawToText(data)));
    ws.on("close", (code, reason) => handlers.close(code, reason.toString("utf8")));
  }

  send(frame: WireFrame, alone = false): void {
    const socket = this.socket;
    if (!alone && socket && !this.corked && !socket.destroyed) {
      this.corked = true;
      socket.cork();
      settled.then(this.#uncork);
    }
    // As a Buffer, ws writes header and masked payload as one chunk (a string goes as two).
    if (typeof frame === "string") this.ws.send(Buffer.from(frame), TEXT_FRAME, this.#onWritten);
    else this.ws.send(frame, this.#onWritten);
  }

  close(code: number, reason: string): Promise<void> {
    const ws = this.ws;
    if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const grace = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
      ws.once("close", () => {
        clearTimeout(grace);
        resolve();
      });
      if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
      else ws.terminate();
    });
  }

  terminate(): void {
    this.ws.terminate();
  }
}

/** The default wire: a `ws` client with per-message deflate off. */
export const wsWire: RpcWireFactory = (options, handlers) => new WsWire(options, handlers);
