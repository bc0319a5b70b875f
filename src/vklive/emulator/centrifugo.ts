/**
 * A Centrifugo-compatible pubsub endpoint (client protocol v2, JSON) at /connection/websocket:
 * newline-delimited command batches in one frame, connect with a JWT, subscribe (tokens for
 * `$` channels), server ping `{}` answered by pong `{}`, publications with offsets, recovery
 * on resubscribe from a bounded per-channel history, refresh / sub_refresh.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import type { Logger } from "../../core/log.js";
import { CentrifugoDisconnect, CentrifugoError, Paths, parseWsChannel } from "../protocol/index.js";
import { type JwtClaims, verifyJwt } from "./jwt.js";

const VERSION = "5.0.0-vklive-emulator";
const HISTORY = 100;
/** Default per-connection bounds (HubLimits). */
export const DEFAULT_HUB_LIMITS: HubLimits = { maxSubscriptions: 128, maxBufferedBytes: 4 * 1024 * 1024 };

/** Per-connection bounds: one client can't make the hub hold unbounded state for it. */
export interface HubLimits {
  /** Channels one connection may subscribe to; the next is error 106 (limit exceeded). */
  maxSubscriptions: number;
  /** Bytes queued for one socket; beyond it the reader is disconnected with 3008 (slow). */
  maxBufferedBytes: number;
}
const CONNECT_DEADLINE_MS = 10_000;
/** Like Centrifugo's client_expired_close_delay: time to refresh after the token expired. */
const EXPIRED_CLOSE_DELAY_MS = 25_000;

type ErrorShape = { code: number; message: string };
type Reply = Record<string, unknown>;

interface Conn {
  ws: WebSocket;
  id: string;
  user: string | null;
  subs: Set<string>;
  expiresAt: number | null;
  awaitingPong: boolean;
  connectTimer: NodeJS.Timeout | undefined;
}

interface ChannelState {
  epoch: string;
  offset: number;
  pubs: { offset: number; frame: string; data: unknown }[];
}

export interface HubOptions {
  secret: string;
  now: () => number;
  pingIntervalSec: number;
  log: Logger;
  /** May this (connected) user subscribe to this public channel? Unknown channels → false. */
  channelExists: (name: string) => boolean;
  limits?: Partial<HubLimits>;
}

class Fatal extends Error {
  constructor(readonly close: { code: number; reason: string }) {
    super(close.reason);
  }
}

export class CentrifugoHub {
  readonly wss: WebSocketServer;
  readonly #conns = new Set<Conn>();
  readonly #subscribers = new Map<string, Set<Conn>>();
  readonly #history = new Map<string, ChannelState>();
  readonly #o: HubOptions;
  readonly #limits: HubLimits;
  #pingTimer: NodeJS.Timeout | undefined;
  #expiryTimer: NodeJS.Timeout | undefined;
  published = 0;

  constructor(options: HubOptions) {
    this.#o = options;
    this.#limits = { ...DEFAULT_HUB_LIMITS, ...options.limits };
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
    this.wss.on("connection", (ws, req) => this.#accept(ws, req));
    this.#pingTimer = setInterval(() => this.#ping(), options.pingIntervalSec * 1000);
    this.#pingTimer.unref();
    this.#expiryTimer = setInterval(() => this.#expire(), 1000);
    this.#expiryTimer.unref();
  }

  get connections(): number {
    return this.#conns.size;
  }

  subscribers(channel: string): number {
    return this.#subscribers.get(channel)?.size ?? 0;
  }

  /** Hooked to the HTTP server's `upgrade`; other paths are refused. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    let path = "";
    try {
      path = new URL(req.url ?? "/", "http://x").pathname;
    } catch {
      path = "";
    }
    if (path !== Paths.websocket) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit("connection", ws, req));
  }

  publish(channel: string, data: unknown): void {
    let st = this.#history.get(channel);
    if (!st) {
      st = { epoch: randomUUID().slice(0, 8), offset: 0, pubs: [] };
      this.#history.set(channel, st);
    }
    st.offset += 1;
    const pub = { data, offset: st.offset };
    // Encoded once, written to every subscriber: fan-out costs one send per socket.
    const frame = JSON.stringify({ push: { channel, pub } });
    st.pubs.push({ offset: st.offset, frame, data });
    if (st.pubs.length > HISTORY) st.pubs.shift();
    this.published += 1;
    const subs = this.#subscribers.get(channel);
    if (!subs) return;
    // UTF-8 encoded once too, instead of once per socket inside ws.send.
    const bytes = Buffer.from(frame);
    for (const c of subs) this.#send(c, bytes);
  }

  /** Closes every connection (code 3001 shutdown: clients reconnect later). */
  close(): void {
    clearInterval(this.#pingTimer);
    clearInterval(this.#expiryTimer);
    for (const c of this.#conns) this.#close(c, CentrifugoDisconnect.shutdown);
    this.wss.close();
  }

  /** Drops every connection of a user (or all): the sandbox's "drop connection" fault. */
  drop(user?: string): number {
    let n = 0;
    for (const c of this.#conns) {
      if (user === undefined || c.user === user) {
        this.#close(c, { code: 3000, reason: "connection closed" });
        n++;
      }
    }
    return n;
  }

  #accept(ws: WebSocket, req: IncomingMessage): void {
    const conn: Conn = {
      ws,
      id: randomUUID(),
      user: null,
      subs: new Set(),
      expiresAt: null,
      awaitingPong: false,
      connectTimer: undefined,
    };
    this.#conns.add(conn);
    let version: string | null = null;
    try {
      const u = new URL(req.url ?? "/", "http://x");
      version = u.searchParams.get("cf_protocol_version");
      if (u.searchParams.get("format") === "protobuf") version = "protobuf";
    } catch {
      version = "bad";
    }
    ws.on("close", () => this.#forget(conn));
    ws.on("error", () => this.#forget(conn));
    if (version !== null && version !== "v2") {
      this.#close(conn, CentrifugoDisconnect.inappropriateProtocol);
      return;
    }
    conn.connectTimer = setTimeout(
      () => this.#close(conn, { code: 3502, reason: "stale" }),
      CONNECT_DEADLINE_MS,
    );
    ws.on("message", (data, isBinary) => {
      if (isBinary) return this.#close(conn, CentrifugoDisconnect.badRequest);
      const text = Array.isArray(data) ? Buffer.concat(data).toString("utf8") : data.toString();
      try {
        const replies: string[] = [];
        for (const line of text.split("\n")) {
          if (line.trim() === "") continue;
          let cmd: unknown;
          try {
            cmd = JSON.parse(line);
          } catch {
            throw new Fatal(CentrifugoDisconnect.badRequest);
          }
          const r = this.#command(conn, cmd);
          if (r) replies.push(JSON.stringify(r));
        }
        if (replies.length) this.#send(conn, replies.join("\n"));
      } catch (err) {
        if (err instanceof Fatal) this.#close(conn, err.close);
        else {
          this.#o.log.error({ err }, "centrifugo command failed");
          this.#close(conn, { code: 3004, reason: "internal server error" });
        }
      }
    });
  }

  #command(conn: Conn, cmd: unknown): Reply | undefined {
    if (cmd === null || typeof cmd !== "object" || Array.isArray(cmd))
      throw new Fatal(CentrifugoDisconnect.badRequest);
    const c = cmd as Record<string, unknown>;
    const keys = Object.keys(c).filter((k) => k !== "id");
    if (keys.length === 0 && c.id === undefined) {
      // Pong to our ping.
      conn.awaitingPong = false;
      return undefined;
    }
    if ("send" in c) return undefined; // async message: no reply, nobody to deliver to
    const id = c.id;
    if (typeof id !== "number" || !Number.isInteger(id) || id <= 0)
      throw new Fatal(CentrifugoDisconnect.badRequest);
    const method = keys[0];
    if (keys.length !== 1 || method === undefined) throw new Fatal(CentrifugoDisconnect.badRequest);
    const params = c[method];
    if (params !== undefined && (params === null || typeof params !== "object" || Array.isArray(params))) {
      throw new Fatal(CentrifugoDisconnect.badRequest);
    }
    const p = (params ?? {}) as Record<string, unknown>;
    if (method === "connect") return { id, ...this.#connect(conn, p) };
    if (conn.user === null) throw new Fatal(CentrifugoDisconnect.badRequest);
    const err = (e: ErrorShape): Reply => ({ id, error: { code: e.code, message: e.message } });
    switch (method) {
      case "subscribe": {
        const r = this.#subscribe(conn, p);
        return "error" in r ? err(r.error) : { id, subscribe: r.ok };
      }
      case "unsubscribe": {
        const ch = typeof p.channel === "string" ? p.channel : "";
        this.#unsubscribe(conn, ch);
        return { id, unsubscribe: {} };
      }
      case "refresh": {
        const check = verifyJwt(p.token, this.#o.secret, Math.floor(this.#o.now() / 1000));
        if (!check.ok) {
          if (check.reason === "expired") return err(CentrifugoError.tokenExpired);
          throw new Fatal(CentrifugoDisconnect.invalidToken);
        }
        if (check.claims.sub !== conn.user) throw new Fatal(CentrifugoDisconnect.invalidToken);
        conn.expiresAt = check.claims.exp === undefined ? null : check.claims.exp * 1000;
        return { id, refresh: { client: conn.id, version: VERSION, ...this.#ttl(check.claims) } };
      }
      case "sub_refresh": {
        const ch = typeof p.channel === "string" ? p.channel : "";
        const check = verifyJwt(p.token, this.#o.secret, Math.floor(this.#o.now() / 1000));
        if (!check.ok)
          return err(
            check.reason === "expired" ? CentrifugoError.tokenExpired : CentrifugoError.permissionDenied,
          );
        if (check.claims.channel !== ch || !conn.subs.has(ch)) return err(CentrifugoError.permissionDenied);
        return { id, sub_refresh: this.#ttl(check.claims) };
      }
      case "publish":
        return err(CentrifugoError.permissionDenied);
      case "presence":
      case "presence_stats":
      case "history":
        return err(CentrifugoError.notAvailable);
      case "rpc":
        return err(CentrifugoError.methodNotFound);
      default:
        throw new Fatal(CentrifugoDisconnect.badRequest);
    }
  }

  #ttl(claims: JwtClaims): Record<string, unknown> {
    if (claims.exp === undefined) return {};
    return { expires: true, ttl: Math.max(1, claims.exp - Math.floor(this.#o.now() / 1000)) };
  }

  #connect(conn: Conn, p: Record<string, unknown>): Reply {
    if (conn.user !== null) throw new Fatal(CentrifugoDisconnect.badRequest);
    if (p.token === undefined || p.token === "") {
      return { error: { ...CentrifugoError.unauthorized } };
    }
    const check = verifyJwt(p.token, this.#o.secret, Math.floor(this.#o.now() / 1000));
    if (!check.ok) {
      if (check.reason === "expired") return { error: { ...CentrifugoError.tokenExpired } };
      throw new Fatal(CentrifugoDisconnect.invalidToken);
    }
    clearTimeout(conn.connectTimer);
    conn.user = check.claims.sub;
    conn.expiresAt = check.claims.exp === undefined ? null : check.claims.exp * 1000;
    return {
      connect: {
        client: conn.id,
        version: VERSION,
        ping: this.#o.pingIntervalSec,
        pong: true,
        ...this.#ttl(check.claims),
      },
    };
  }

  #subscribe(conn: Conn, p: Record<string, unknown>): { error: ErrorShape } | { ok: Reply } {
    const channel = p.channel;
    if (typeof channel !== "string" || channel === "" || channel.length > 255)
      return { error: CentrifugoError.badRequest };
    if (conn.subs.has(channel)) return { error: CentrifugoError.alreadySubscribed };
    if (conn.subs.size >= this.#limits.maxSubscriptions) return { error: CentrifugoError.limitExceeded };
    if (!parseWsChannel(channel) || !this.#o.channelExists(channel))
      return { error: CentrifugoError.unknownChannel };
    const isPrivate = channel.startsWith("$");
    if (isPrivate || p.token !== undefined) {
      const check = verifyJwt(p.token, this.#o.secret, Math.floor(this.#o.now() / 1000));
      if (!check.ok)
        return {
          error: check.reason === "expired" ? CentrifugoError.tokenExpired : CentrifugoError.permissionDenied,
        };
      if (check.claims.channel !== channel || check.claims.sub !== conn.user)
        return { error: CentrifugoError.permissionDenied };
    }
    let st = this.#history.get(channel);
    if (!st) {
      st = { epoch: randomUUID().slice(0, 8), offset: 0, pubs: [] };
      this.#history.set(channel, st);
    }
    const result: Reply = { recoverable: true, epoch: st.epoch, offset: st.offset };
    if (p.recover === true) {
      const since = typeof p.offset === "number" ? p.offset : 0;
      const oldest = st.pubs[0]?.offset ?? st.offset + 1;
      result.was_recovering = true;
      if (p.epoch === st.epoch && since <= st.offset && since >= oldest - 1) {
        result.recovered = true;
        result.publications = st.pubs
          .filter((x) => x.offset > since)
          .map((x) => ({ data: x.data, offset: x.offset }));
      } else {
        result.recovered = false;
      }
    }
    conn.subs.add(channel);
    let set = this.#subscribers.get(channel);
    if (!set) {
      set = new Set();
      this.#subscribers.set(channel, set);
    }
    set.add(conn);
    return { ok: result };
  }

  #unsubscribe(conn: Conn, channel: string): void {
    conn.subs.delete(channel);
    const set = this.#subscribers.get(channel);
    set?.delete(conn);
    if (set?.size === 0) this.#subscribers.delete(channel);
  }

  #send(conn: Conn, frame: string | Buffer): void {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    // A reader that can't keep up is cut off instead of buffering without bound.
    if (conn.ws.bufferedAmount > this.#limits.maxBufferedBytes) {
      this.#close(conn, CentrifugoDisconnect.slow);
      return;
    }
    conn.ws.send(frame, { binary: false });
  }

  #ping(): void {
    for (const c of this.#conns) {
      if (c.user === null) continue;
      if (c.awaitingPong) {
        this.#close(c, CentrifugoDisconnect.noPong);
        continue;
      }
      c.awaitingPong = true;
      this.#send(c, "{}");
    }
  }

  #expire(): void {
    const now = this.#o.now();
    for (const c of this.#conns) {
      if (c.expiresAt !== null && c.expiresAt + EXPIRED_CLOSE_DELAY_MS <= now)
        this.#close(c, CentrifugoDisconnect.expired);
    }
  }

  #close(conn: Conn, close: { code: number; reason: string }): void {
    this.#forget(conn);
    try {
      conn.ws.close(close.code, close.reason);
    } catch {
      conn.ws.terminate();
    }
    // A peer that never completes the closing handshake is cut off.
    setTimeout(() => conn.ws.terminate(), 2000).unref();
  }

  #forget(conn: Conn): void {
    if (!this.#conns.delete(conn)) return;
    clearTimeout(conn.connectTimer);
    for (const ch of conn.subs) {
      const set = this.#subscribers.get(ch);
      set?.delete(conn);
      if (set?.size === 0) this.#subscribers.delete(ch);
    }
    conn.subs.clear();
  }
}
