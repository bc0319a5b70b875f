import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import { Cmd, PROTOCOL_VERSION } from "../protocol.js";

export type ConnectionState = "connected" | "hello" | "online";

/** Bytes we let queue up for a slow reader before dropping it (the service drops slow sockets too). */
const MAX_BUFFERED = 8 * 1024 * 1024;

/** One client socket and what the server knows about it. */
export class MaxConnection {
  state: ConnectionState = "connected";
  userId: number | undefined;
  sessionId: number | undefined;
  deviceId = "";
  deviceType = "WEB";
  deviceName = "";
  appVersion = "";
  lastActivity = Date.now();
  closed = false;
  /** Requests with seq 0 being served now, and the events held back meanwhile (see holdEvents). */
  private zeroSeqInFlight = 0;
  private heldEvents: string[] = [];

  /** True while writes of the current event-loop turn are being held back for one syscall. */
  private corked = false;

  constructor(
    readonly id: number,
    readonly ws: WebSocket,
    readonly remote: string,
    /** The TCP socket under `ws` (from the upgrade), used to coalesce writes. */
    private readonly socket?: Socket,
  ) {}

  private readonly release = (): void => {
    this.corked = false;
    this.socket?.uncork();
  };

  respond(seq: number, opcode: number, payload: unknown): void {
    this.sendRaw(
      `{"ver":${PROTOCOL_VERSION},"cmd":${Cmd.RESPONSE},"seq":${seq},"opcode":${opcode},"payload":${JSON.stringify(payload ?? {})}}`,
    );
  }

  error(seq: number, opcode: number, payload: unknown): void {
    this.sendRaw(
      `{"ver":${PROTOCOL_VERSION},"cmd":${Cmd.ERROR},"seq":${seq},"opcode":${opcode},"payload":${JSON.stringify(payload)}}`,
    );
  }

  /**
   * Events arrive with `cmd: 1` and no request (seed). Their `seq` is 0, a number no client
   * request uses (clients count from 1): vkmax and vkmax-node match replies by seq alone, so
   * a server counter would be taken for the answer to a pending request.
   */
  sendEventRaw(opcode: number, payloadJson: string): void {
    const text = `{"ver":${PROTOCOL_VERSION},"cmd":${Cmd.RESPONSE},"seq":0,"opcode":${opcode},"payload":${payloadJson}}`;
    if (this.zeroSeqInFlight > 0) {
      this.heldEvents.push(text);
      return;
    }
    this.sendRaw(text);
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
    for (const text of held) this.sendRaw(text);
  }

  sendEvent(opcode: number, payload: unknown): void {
    this.sendEventRaw(opcode, JSON.stringify(payload));
  }

  sendRaw(text: string): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED) {
      // A reader this far behind would make the server hold unbounded memory.
      this.close(1008, "slow consumer");
      return;
    }
    if (this.socket && !this.corked) {
      // Answers and events produced in one turn (a batch of 64 sends, a fan-out) leave in a
      // single write instead of one syscall per frame; released on the next turn.
      this.corked = true;
      this.socket.cork();
      setImmediate(this.release);
    }
    this.ws.send(text);
  }

  close(code = 1000, reason = ""): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.terminate();
    }
  }

  /** Abrupt drop without a close frame (fault injection, revoked sessions on the real service). */
  terminate(): void {
    this.closed = true;
    this.ws.terminate();
  }
}
