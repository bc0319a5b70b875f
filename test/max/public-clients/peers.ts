/**
 * Wire peers that behave like the public MAX clients, written from what their source does
 * (facts only, no code of theirs): how each numbers requests, how it tells a response from an
 * event, which headers it connects with. Payloads are spelled out in the tests.
 *
 * - vkmax (nsdkinx/vkmax vkmax/client.py) and vkmax-node (antirek/vkmax-node src/client.ts):
 *   seq counts from 1; ANY inbound packet whose seq is pending resolves that request, whatever
 *   its cmd or opcode; everything else goes to the event callback. vkmax connects with
 *   `Origin: https://web.max.ru`, vkmax-node with no Origin.
 * - PyMax (MaxApiTeam/PyMax connection/connection.py, app.py): seq counts from 0 and wraps; a
 *   frame resolves a pending request only with cmd 1 or 3; every frame (responses too) is also
 *   handed to the dispatcher, which routes by opcode; cmd 3 raises ApiError.
 */
import WebSocket from "ws";

export interface Frame {
  ver: number;
  cmd: number;
  seq: number;
  opcode: number;
  // biome-ignore lint/suspicious/noExplicitAny: the peers read arbitrary payloads, as the clients do
  payload: any;
}

interface Pending {
  opcode: number;
  resolve: (f: Frame) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

abstract class Peer {
  /** Everything the client's event path saw (vkmax callback, vkmax-node 'message', PyMax dispatcher). */
  readonly events: Frame[] = [];
  protected readonly pending = new Map<number, Pending>();
  private listeners: ((f: Frame) => void)[] = [];

  protected constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => this.onFrame(JSON.parse(String(data)) as Frame));
  }

  protected static open(url: string, origin: string | undefined): Promise<WebSocket> {
    const ws = origin ? new WebSocket(url, { origin }) : new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(ws));
      ws.once("error", reject);
    });
  }

  protected abstract onFrame(f: Frame): void;

  protected emitEvent(f: Frame): void {
    this.events.push(f);
    for (const l of this.listeners) l(f);
  }

  protected settle(seq: number, f: Frame): boolean {
    const p = this.pending.get(seq);
    if (!p) return false;
    this.pending.delete(seq);
    clearTimeout(p.timer);
    p.resolve(f);
    return true;
  }

  /** Sends a request with the given seq; resolves with whatever the client's matcher picks. */
  protected request(seq: number, opcode: number, payload: unknown, timeoutMs: number): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`no answer to opcode ${opcode} seq ${seq} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(seq, { opcode, resolve, reject, timer });
      this.ws.send(JSON.stringify({ ver: 11, cmd: 0, seq, opcode, payload }));
    });
  }

  /** Waits for an event the way client code does: a listener registered now, or one seen before if `past`. */
  waitEvent(match: (f: Frame) => boolean, timeoutMs = 5000, past = true): Promise<Frame> {
    const seen = past ? this.events.find(match) : undefined;
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        reject(new Error(`no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (f: Frame) => {
        if (!match(f)) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve(f);
      };
      this.listeners.push(listener);
    });
  }

  close(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.ws.close();
  }
}

/** vkmax / vkmax-node: seq from 1, matched by seq alone. */
export class SeqOnlyPeer extends Peer {
  private seq = 1;
  /** Packets that resolved a request although they were not its answer (must stay empty). */
  readonly misrouted: Frame[] = [];

  static async connect(url: string, options: { origin?: boolean } = {}): Promise<SeqOnlyPeer> {
    const origin = options.origin === false ? undefined : "https://web.max.ru";
    return new SeqOnlyPeer(await Peer.open(url, origin));
  }

  protected onFrame(f: Frame): void {
    const p = this.pending.get(f.seq);
    if (p && (f.opcode !== p.opcode || f.cmd === 0)) this.misrouted.push(f);
    if (!this.settle(f.seq, f)) this.emitEvent(f);
  }

  /** `invoke_method` / `invokeMethod`: the whole packet comes back, errors included. */
  invoke(opcode: number, payload: unknown, timeoutMs = 5000): Promise<Frame> {
    return this.request(this.seq++, opcode, payload, timeoutMs);
  }
}

export class ApiError extends Error {
  constructor(
    readonly opcode: number,
    // biome-ignore lint/suspicious/noExplicitAny: PyMax keeps the raw error payload
    readonly payload: any,
  ) {
    super(`opcode ${opcode}: ${JSON.stringify(payload)}`);
  }
}

/** PyMax: seq from 0, resolved by cmd 1/3 + pending seq; all frames also reach the dispatcher. */
export class PyMaxPeer extends Peer {
  private seq = -1;
  /** Frames the dispatcher got (every frame PyMax receives). */
  readonly dispatched: Frame[] = [];

  static async connect(url: string): Promise<PyMaxPeer> {
    return new PyMaxPeer(await Peer.open(url, "https://web.max.ru"));
  }

  protected onFrame(f: Frame): void {
    if (f.cmd === 1 || f.cmd === 3) this.settle(f.seq, f);
    this.dispatched.push(f);
    this.emitEvent(f);
  }

  /** Forces the next request's seq (PyMax's counter wraps back to 0). */
  setNextSeq(seq: number): void {
    this.seq = seq - 1;
  }

  /** `App.invoke`: cmd 3 raises ApiError. */
  async invoke(opcode: number, payload: unknown, timeoutMs = 5000): Promise<Frame> {
    this.seq = (this.seq + 1) % 0x10000;
    const f = await this.request(this.seq, opcode, payload, timeoutMs);
    if (f.cmd === 3) throw new ApiError(opcode, f.payload);
    return f;
  }
}

/** aiohttp.FormData / fetch FormData: one `file` part. */
export function multipart(bytes: Uint8Array, filename: string, type: string): FormData {
  const form = new FormData();
  form.append("file", new Blob([bytes], { type }), filename);
  return form;
}
