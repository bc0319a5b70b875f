import { spawn } from "node:child_process";
import type { IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type WebSocket from "ws";
import { WebSocketServer } from "ws";
import { AbortError, ApiError, AuthError, TimeoutError, TransportError } from "../../src/core/errors.js";
import {
  type RpcCodec,
  type RpcFrame,
  RpcWebSocket,
  type RpcWebSocketOptions,
  type StateChange,
} from "../../src/core/rpc-ws.js";

/** A tiny JSON protocol for the tests: requests {seq, method, payload}; answers {seq, ok|error}. */
interface Wire {
  seq: number;
  method: string;
  payload: unknown;
}

const codec: RpcCodec<string, unknown> = {
  encode: (r) => JSON.stringify(r),
  decode(frame): RpcFrame<unknown> {
    const m = JSON.parse(String(frame)) as Record<string, unknown>;
    if ("event" in m) return { kind: "event", event: m.event };
    if (typeof m.seq !== "number") throw new Error("no seq");
    if ("error" in m) {
      const e = m.error as { code: string; message: string };
      return {
        kind: "error",
        seq: m.seq,
        error: new ApiError(e.message, { platform: "core", code: e.code }),
      };
    }
    return { kind: "response", seq: m.seq, payload: m.ok };
  },
};

interface Peer {
  socket: WebSocket;
  received: Wire[];
  headers: IncomingHttpHeaders;
}

class TestServer {
  readonly wss: WebSocketServer;
  readonly peers: Peer[] = [];
  answerPings = true;
  held: { peer: Peer; msg: Wire }[] = [];
  url = "";

  constructor() {
    this.wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    this.wss.on("connection", (socket, req) => {
      const peer: Peer = { socket, received: [], headers: req.headers };
      this.peers.push(peer);
      socket.on("message", (data) => {
        const text = data.toString();
        if (text === "raw-ack") {
          peer.received.push({ seq: -1, method: "raw-ack", payload: null });
          return;
        }
        const msg = JSON.parse(text) as Wire;
        peer.received.push(msg);
        this.handle(peer, msg);
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.wss.once("listening", () => resolve()));
    this.url = `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/ws`;
    return this;
  }

  handle(peer: Peer, msg: Wire): void {
    const send = (o: unknown) => peer.socket.send(JSON.stringify(o));
    switch (msg.method) {
      case "echo":
      case "hello":
      case "login":
        send({ seq: msg.seq, ok: msg.payload });
        return;
      case "ping":
        if (this.answerPings) send({ seq: msg.seq, ok: {} });
        return;
      case "fail":
        send({ seq: msg.seq, error: { code: "nope", message: "denied" } });
        return;
      case "late":
        setTimeout(() => send({ seq: msg.seq, ok: "late" }), msg.payload as number);
        return;
      case "push":
        send({ event: msg.payload });
        send("garbage that is not json");
        send({ seq: msg.seq, ok: true });
        return;
      case "hold":
        this.held.push({ peer, msg });
        return;
      default:
        return; // "silent": never answers
    }
  }

  get last(): Peer {
    const p = this.peers.at(-1);
    if (!p) throw new Error("no peer yet");
    return p;
  }

  killAll(): void {
    for (const p of this.peers) p.socket.terminate();
  }

  close(): Promise<void> {
    this.killAll();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(
  options: Partial<RpcWebSocketOptions<string, unknown>> = {},
): Promise<{ server: TestServer; rpc: RpcWebSocket<string, unknown>; states: StateChange[] }> {
  const server = await new TestServer().start();
  const rpc = new RpcWebSocket<string, unknown>({
    url: server.url,
    codec,
    requestTimeoutMs: 5000,
    reconnect: { baseMs: 20, maxMs: 100 },
    ...options,
  });
  const states: StateChange[] = [];
  rpc.on("state", (s) => states.push(s));
  cleanups.push(() => server.close());
  cleanups.push(() => rpc.close());
  return { server, rpc, states };
}

async function until(pred: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > timeoutMs) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

function nextState(rpc: RpcWebSocket<string, unknown>, state: StateChange["state"]): Promise<StateChange> {
  return new Promise((resolve) => {
    const on = (s: StateChange) => {
      if (s.state !== state) return;
      rpc.off("state", on);
      resolve(s);
    };
    rpc.on("state", on);
  });
}

describe("RpcWebSocket request/response", () => {
  it("matches 64 in-flight requests answered out of order, seq from 1", async () => {
    const { server, rpc } = await setup();
    await rpc.connect();
    const calls = Array.from({ length: 64 }, (_, i) => rpc.request("hold", i));
    await until(() => server.held.length === 64);
    expect(server.held.map((h) => h.msg.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 64 }, (_, i) => i + 1),
    );
    // Deterministic shuffle: answer odd positions backwards, then even ones.
    const order = [...server.held].sort((a, b) => (a.msg.seq % 2) - (b.msg.seq % 2) || b.msg.seq - a.msg.seq);
    for (const h of order)
      h.peer.socket.send(JSON.stringify({ seq: h.msg.seq, ok: { echoed: h.msg.payload } }));
    const results = await Promise.all(calls);
    expect(results).toEqual(Array.from({ length: 64 }, (_, i) => ({ echoed: i })));
    expect(rpc.pendingCount).toBe(0);
  });

  it("rejects with the codec's typed error and sends handshake headers", async () => {
    const { server, rpc } = await setup({ headers: { Origin: "https://web.example" } });
    await rpc.connect();
    const err = await rpc.request("fail", {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe("nope");
    expect(server.last.headers.origin).toBe("https://web.example");
  });

  it("emits server pushes as events and survives undecodable frames", async () => {
    const { rpc } = await setup();
    await rpc.connect();
    const events: unknown[] = [];
    rpc.on("event", (e) => events.push(e));
    expect(await rpc.request("push", { hi: 1 })).toBe(true);
    expect(events).toEqual([{ hi: 1 }]);
    expect(await rpc.request("echo", "still up")).toBe("still up");
  });

  it("sendRaw writes a frame on the open socket and fails when not connected", async () => {
    const { server, rpc } = await setup();
    expect(() => rpc.sendRaw("raw-ack")).toThrow(TransportError);
    await rpc.connect();
    rpc.sendRaw("raw-ack");
    await until(() => server.last.received.some((m) => m.method === "raw-ack"));
  });

  it("frames sent in one tick leave corked together yet arrive as separate frames, in order", async () => {
    const { server, rpc } = await setup();
    await rpc.connect();
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => rpc.request("echo", i)));
    expect(answers).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const echoed = server.last.received.filter((m) => m.method === "echo").map((m) => m.payload);
    expect(echoed).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it("the wire writes a frame sent alone at once and corks the others until a microtask; all arrive as text frames", async () => {
    const { wsWire } = await import("../../src/core/ws-wire.js");
    const server = await new TestServer().start();
    cleanups.push(() => server.close());
    const kinds: boolean[] = [];
    server.wss.on("connection", (socket) => socket.on("message", (_data, isBinary) => kinds.push(isBinary)));
    let opened!: () => void;
    const open = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const wire = wsWire(
      { url: server.url },
      { open: () => opened(), frame: () => {}, close: () => {}, error: () => {} },
    );
    cleanups.push(() => wire.close(1000, ""));
    await open;
    const socket = (wire as unknown as { socket: import("node:net").Socket }).socket;
    const frame = (seq: number) => JSON.stringify({ seq, method: "hold", payload: seq });
    // A frame sent alone (nothing else awaiting an answer) leaves at once: no cork, nothing buffered.
    wire.send(frame(1), true);
    expect(socket.writableCorked).toBe(0);
    expect(socket.writableLength).toBe(0);
    // Frames sent while others are in flight wait, corked, for one write.
    wire.send(frame(2));
    wire.send(frame(3));
    expect(socket.writableCorked).toBe(1);
    expect(socket.writableLength).toBeGreaterThan(0);
    // One microtask later (no nextTick, no later tick) the batch has left.
    await Promise.resolve();
    expect(socket.writableCorked).toBe(0);
    expect(socket.writableLength).toBe(0);
    wire.send(frame(4), true);
    expect(socket.writableCorked).toBe(0);
    expect(socket.writableLength).toBe(0);
    await Promise.resolve();
    expect(socket.writableCorked).toBe(0);
    await until(() => server.held.length === 4);
    expect(server.held.map((h) => h.msg.seq)).toEqual([1, 2, 3, 4]);
    expect(kinds).toEqual([false, false, false, false]);
  });

  it("time limits: each call expires on its own limit, mixed limits and answered calls included", async () => {
    const { server, rpc } = await setup();
    await rpc.connect();
    const outcome = (p: Promise<unknown>) =>
      p.then(
        (v) => ({ ok: v }),
        (e: unknown) => ({ err: e instanceof TimeoutError ? "timeout" : String(e) }),
      );
    // Held calls with a long limit sit in the same lane before and after short ones.
    const longHeld = outcome(rpc.request("hold", "a", { timeoutMs: 60_000 }));
    const short1 = outcome(rpc.request("silent", 1, { timeoutMs: 40 }));
    const answered = outcome(rpc.request("echo", "b", { timeoutMs: 40 }));
    const short2 = outcome(rpc.request("silent", 2, { timeoutMs: 80 }));
    expect(await answered).toEqual({ ok: "b" });
    expect(await short1).toEqual({ err: "timeout" });
    expect(await short2).toEqual({ err: "timeout" });
    // The long call is still pending, and still answerable.
    expect(rpc.pendingCount).toBe(1);
    const held = server.held.shift();
    held?.peer.socket.send(JSON.stringify({ seq: held.msg.seq, ok: "late but in time" }));
    expect(await longHeld).toEqual({ ok: "late but in time" });
    // A lane that emptied works again for new calls.
    expect(await outcome(rpc.request("silent", 3, { timeoutMs: 40 }))).toEqual({ err: "timeout" });
    expect(rpc.pendingCount).toBe(0);
  });

  it("times out per call, ignores the late answer and keeps working", async () => {
    const { rpc } = await setup({ requestTimeoutMs: 150 });
    await rpc.connect();
    const err = await rpc.request("late", 300, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).retryable).toBe(true);
    // Default timeout from requestTimeoutMs.
    await expect(rpc.request("silent", null)).rejects.toBeInstanceOf(TimeoutError);
    // The late answer (seq 1) arrives now and must not resolve anything else.
    const next = rpc.request("late", 0);
    await new Promise((r) => setTimeout(r, 300));
    expect(await next).toBe("late");
    expect(rpc.pendingCount).toBe(0);
  });

  it("aborts through AbortSignal, before and during the call", async () => {
    const { rpc } = await setup();
    await rpc.connect();
    const pre = new AbortController();
    pre.abort();
    await expect(rpc.request("echo", 1, { signal: pre.signal })).rejects.toBeInstanceOf(AbortError);
    const ctl = new AbortController();
    const p = rpc.request("silent", null, { signal: ctl.signal });
    expect(rpc.pendingCount).toBe(1);
    ctl.abort();
    await expect(p).rejects.toBeInstanceOf(AbortError);
    expect(rpc.pendingCount).toBe(0);
  });

  it("fails fast when never connected", async () => {
    const { rpc } = await setup();
    const err = await rpc.request("echo", 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe("not_connected");
  });
});

describe("RpcWebSocket connection loss and reconnect", () => {
  it("rejects every pending request with a retryable TransportError as soon as the socket drops", async () => {
    const { server, rpc } = await setup({ requestTimeoutMs: 10_000 });
    await rpc.connect();
    const calls = Array.from({ length: 10 }, () => rpc.request("silent", null).catch((e: unknown) => e));
    await until(() => server.last.received.length === 10);
    server.killAll();
    // The code says the drop rejected them ("connection_lost"), not the 10 s timeout (a TimeoutError).
    const errors = await Promise.all(calls);
    for (const e of errors) {
      expect(e).toBeInstanceOf(TransportError);
      expect((e as TransportError).retryable).toBe(true);
      expect((e as TransportError).code).toBe("connection_lost");
    }
  });

  it("reconnects with backoff; onOpen re-logs in before queued requests, seq restarts", async () => {
    const opens: boolean[] = [];
    const { server, rpc, states } = await setup({
      onOpen: async (ctx) => {
        opens.push(ctx.reconnect);
        await ctx.request("hello", { v: 1 });
        await ctx.request("login", { by: "token" });
      },
    });
    await rpc.connect();
    expect(server.peers).toHaveLength(1);
    expect(server.last.received.map((m) => [m.seq, m.method])).toEqual([
      [1, "hello"],
      [2, "login"],
    ]);
    const reconnecting = nextState(rpc, "reconnecting");
    server.killAll();
    const r = await reconnecting;
    expect(r.attempt).toBe(1);
    expect(r.delayMs).toBeGreaterThanOrEqual(0);
    expect(r.delayMs).toBeLessThanOrEqual(20);
    // Issued while reconnecting: waits in the queue, released after hello + login.
    const queued = [rpc.request("echo", "a"), rpc.request("echo", "b")];
    expect(rpc.queuedCount).toBe(2);
    expect(await Promise.all(queued)).toEqual(["a", "b"]);
    expect(server.peers).toHaveLength(2);
    expect(server.last.received.map((m) => [m.seq, m.method])).toEqual([
      [1, "hello"],
      [2, "login"],
      [3, "echo"],
      [4, "echo"],
    ]);
    expect(opens).toEqual([false, true]);
    expect(states.map((s) => s.state)).toEqual(["connecting", "connected", "reconnecting", "connected"]);
  });

  it("keeps retrying with growing attempts while the server is away", async () => {
    const { server, rpc, states } = await setup({ reconnect: { baseMs: 10, maxMs: 40, random: () => 1 } });
    await rpc.connect();
    const port = (server.wss.address() as AddressInfo).port;
    await server.close();
    await until(() => states.filter((s) => s.state === "reconnecting").length >= 4);
    const delays = states.filter((s) => s.state === "reconnecting").map((s) => [s.attempt, s.delayMs]);
    expect(delays.slice(0, 4)).toEqual([
      [1, 10],
      [2, 20],
      [3, 40],
      [4, 40],
    ]);
    // Bring a server back on the same port: the transport finds it.
    const again = new WebSocketServer({ port, host: "127.0.0.1" });
    cleanups.push(() => new Promise<void>((r) => again.close(() => r())));
    again.on("connection", (s) =>
      s.on("message", (d) => s.send(JSON.stringify({ seq: JSON.parse(String(d)).seq, ok: 7 }))),
    );
    await nextState(rpc, "connected");
    expect(await rpc.request("echo", null)).toBe(7);
    for (const c of again.clients) c.terminate();
  });

  it("gives up after maxAttempts and rejects connect()", async () => {
    const server = await new TestServer().start();
    const url = server.url;
    await server.close();
    const rpc = new RpcWebSocket<string, unknown>({ url, codec, reconnect: { baseMs: 5, maxAttempts: 2 } });
    cleanups.push(() => rpc.close());
    const err = await rpc.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe("reconnect_exhausted");
    expect(rpc.state).toBe("disconnected");
  });

  it("sends keepalives on the interval and drops a peer that stops answering", async () => {
    const { server, rpc } = await setup({
      keepalive: {
        intervalMs: 40,
        deadAfterMs: 300,
        make: () => ({ method: "ping", payload: { interactive: false } }),
      },
    });
    await rpc.connect();
    await until(() => server.last.received.filter((m) => m.method === "ping").length >= 3);
    expect(server.peers).toHaveLength(1);
    expect(server.last.received[0]).toEqual({ seq: 1, method: "ping", payload: { interactive: false } });

    server.answerPings = false;
    const silent = rpc.request("silent", null, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    const r = await nextState(rpc, "reconnecting");
    expect((r.error as TransportError).code).toBe("keepalive_timeout");
    expect(await silent).toBeInstanceOf(TransportError);
    server.answerPings = true;
    await nextState(rpc, "connected");
    expect(server.peers).toHaveLength(2);
    expect(await rpc.request("echo", "ok")).toBe("ok");
  });
});

describe("RpcWebSocket stopping", () => {
  it("close() rejects pending work, ends in 'closed' and never reconnects", async () => {
    const { server, rpc, states } = await setup();
    await rpc.connect();
    const pending = rpc.request("silent", null).catch((e: unknown) => e);
    await until(() => server.last.received.length === 1);
    await rpc.close();
    const err = await pending;
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe("closed");
    expect(rpc.state).toBe("closed");
    await new Promise((r) => setTimeout(r, 200));
    expect(server.peers).toHaveLength(1);
    expect(states.at(-1)?.state).toBe("closed");
    await expect(rpc.request("echo", 1)).rejects.toBeInstanceOf(TransportError);
    await expect(rpc.connect()).rejects.toBeInstanceOf(TransportError);
  });

  it("close() during the backoff wait cancels the reconnect", async () => {
    const { server, rpc } = await setup({ reconnect: { baseMs: 200, random: () => 1 } });
    await rpc.connect();
    const reconnecting = nextState(rpc, "reconnecting");
    server.killAll();
    await reconnecting;
    const queued = rpc.request("echo", 1).catch((e: unknown) => e);
    expect(rpc.queuedCount).toBe(1);
    await rpc.close();
    const err = await queued;
    expect(err).toBeInstanceOf(TransportError);
    await new Promise((r) => setTimeout(r, 350));
    expect(server.peers).toHaveLength(1);
  });

  it("does not reconnect when the onClose classifier says stop", async () => {
    const { server, rpc, states } = await setup({
      onClose: (info) => (info.code === 4001 ? "stop" : "reconnect"),
    });
    await rpc.connect();
    const stopped = nextState(rpc, "disconnected");
    server.last.socket.close(4001, "session revoked");
    const s = await stopped;
    expect(s.error).toBeInstanceOf(TransportError);
    await new Promise((r) => setTimeout(r, 200));
    expect(server.peers).toHaveLength(1);
    expect(states.some((x) => x.state === "reconnecting")).toBe(false);
    await expect(rpc.request("echo", 1)).rejects.toBeInstanceOf(TransportError);
  });

  it("stops on a non-retryable onOpen failure (auth revoked) and connect() reports it", async () => {
    const { server, rpc } = await setup({
      onOpen: async (ctx) => {
        await ctx.request("hello", {});
        throw new AuthError("token revoked", { platform: "core", code: "FAIL_LOGIN_TOKEN" });
      },
    });
    const err = await rpc.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(rpc.state).toBe("disconnected");
    await new Promise((r) => setTimeout(r, 150));
    expect(server.peers).toHaveLength(1);
  });
});

describe("RpcWebSocket failed connect, then close()", () => {
  /** Collects unhandled rejections; a turn of the event loop lets Node report pending ones. */
  async function unhandledDuring(run: () => Promise<void>): Promise<unknown[]> {
    const seen: unknown[] = [];
    const on = (reason: unknown) => seen.push(reason);
    process.on("unhandledRejection", on);
    try {
      await run();
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off("unhandledRejection", on);
    }
    return seen;
  }

  it("a malformed URL rejects connect() with a clear, redacted error and close() leaves nothing unhandled", async () => {
    const rpc = new RpcWebSocket<string, unknown>({ url: "not a url?token=s3cret", codec });
    const states: StateChange[] = [];
    rpc.on("state", (s) => states.push(s));
    const seen = await unhandledDuring(async () => {
      const err = await rpc.connect().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).code).toBe("open_failed");
      expect((err as TransportError).retryable).toBe(false);
      expect((err as Error).message).toContain("cannot open");
      expect((err as Error).message).not.toContain("s3cret");
      expect(rpc.state).toBe("disconnected");
      await rpc.close();
    });
    expect(seen).toEqual([]);
    expect(states.map((s) => s.state)).toEqual(["connecting", "disconnected", "closed"]);
  });

  it("refused, given up or failed in onOpen: close() after the failed connect() leaves nothing unhandled", async () => {
    const server = await new TestServer().start();
    const deadUrl = server.url;
    await server.close();
    const live = await new TestServer().start();
    cleanups.push(() => live.close());
    const cases: Partial<RpcWebSocketOptions<string, unknown>>[] = [
      { url: deadUrl, reconnect: false },
      { url: deadUrl, reconnect: { baseMs: 1, maxAttempts: 1 } },
      {
        url: live.url,
        onOpen: () => {
          throw new AuthError("token revoked", { platform: "core", code: "FAIL_LOGIN_TOKEN" });
        },
      },
    ];
    for (const options of cases) {
      const rpc = new RpcWebSocket<string, unknown>({ url: deadUrl, codec, ...options });
      const seen = await unhandledDuring(async () => {
        await expect(rpc.connect()).rejects.toBeInstanceOf(Error);
        await rpc.close();
      });
      expect(seen).toEqual([]);
      expect(rpc.state).toBe("closed");
    }
  });

  it("a wire that cannot start on a reconnect stops the transport instead of throwing from a timer", async () => {
    const server = await new TestServer().start();
    cleanups.push(() => server.close());
    let opened = 0;
    const { wsWire } = await import("../../src/core/ws-wire.js");
    const rpc = new RpcWebSocket<string, unknown>({
      url: server.url,
      codec,
      reconnect: { baseMs: 5, maxMs: 5 },
      wire: (options, handlers) => {
        opened += 1;
        if (opened > 1) throw new Error("no more sockets");
        return wsWire(options, handlers);
      },
    });
    cleanups.push(() => rpc.close());
    await rpc.connect();
    const stopped = nextState(rpc, "disconnected");
    server.killAll();
    const s = await stopped;
    expect((s.error as TransportError).code).toBe("open_failed");
    expect(opened).toBe(2);
    const seen = await unhandledDuring(() => rpc.close());
    expect(seen).toEqual([]);
  });
});

describe("RpcWebSocket backpressure", () => {
  it("bounds the queue while connecting, fails fast when queueing is off, times out queued calls", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { rpc } = await setup({ maxQueue: 3, onOpen: () => gate });
    const connected = rpc.connect();
    await until(() => rpc.state === "connecting");
    const queued = [1, 2].map((i) => rpc.request("echo", i));
    const short = rpc.request("echo", 3, { timeoutMs: 30 }).catch((e: unknown) => e);
    const full = await rpc.request("echo", 4).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(TransportError);
    expect((full as TransportError).code).toBe("queue_full");
    expect(rpc.queuedCount).toBe(3);
    // A queued call that runs out of time leaves the queue and frees its slot.
    expect(await short).toBeInstanceOf(TimeoutError);
    expect(rpc.queuedCount).toBe(2);
    queued.push(rpc.request("echo", 5));
    expect(rpc.queuedCount).toBe(3);
    release();
    await connected;
    expect(await Promise.all(queued)).toEqual([1, 2, 5]);
    expect(rpc.queuedCount).toBe(0);
  });

  it("with queueWhileDisconnected:false, requests during reconnect fail fast", async () => {
    const { server, rpc } = await setup({ queueWhileDisconnected: false, reconnect: { baseMs: 200 } });
    await rpc.connect();
    const reconnecting = nextState(rpc, "reconnecting");
    server.killAll();
    await reconnecting;
    const err = await rpc.request("echo", 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe("not_connected");
  });
});

describe("RpcWebSocket timers", () => {
  it("leaves no timer behind: a process using it exits on its own after close()", async () => {
    const script = `
      import { WebSocketServer } from "ws";
      import { RpcWebSocket } from "./src/core/rpc-ws.ts";
      const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
      await new Promise((r) => wss.once("listening", r));
      wss.on("connection", (s) => s.on("message", (d) => {
        const m = JSON.parse(String(d));
        if (m.method !== "silent") s.send(JSON.stringify({ seq: m.seq, ok: m.payload }));
      }));
      const codec = { encode: (r) => JSON.stringify(r), decode: (t) => ({ kind: "response", ...JSON.parse(t), payload: JSON.parse(t).ok }) };
      const rpc = new RpcWebSocket({
        url: "ws://127.0.0.1:" + wss.address().port, codec, requestTimeoutMs: 60000,
        keepalive: { intervalMs: 20, make: () => ({ method: "ping", payload: {} }) },
        reconnect: { baseMs: 60000, random: () => 1 },
      });
      await rpc.connect();
      await rpc.request("echo", 1);
      const ctl = new AbortController();
      const a = rpc.request("silent", 1, { signal: ctl.signal }).catch(() => {});
      ctl.abort(); await a;
      await rpc.request("silent", 1, { timeoutMs: 30 }).catch(() => {});
      const pending = rpc.request("silent", 2).catch(() => {});
      await new Promise((r) => setTimeout(r, 60));
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => rpc.once("state", r));
      await pending;
      await rpc.close();
      await new Promise((r) => wss.close(r));
      console.log("done");
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: process.cwd(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let errText = "";
    child.stdout.on("data", (d) => {
      out += String(d);
    });
    child.stderr.on("data", (d) => {
      errText += String(d);
    });
    const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    clearTimeout(killer);
    expect(errText).toBe("");
    expect(out.trim()).toBe("done");
    expect(code).toBe(0);
  });
});
