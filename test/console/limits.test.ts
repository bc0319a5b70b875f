/**
 * The console face's server limits (issue 12 item 8): silent sockets are closed after the idle
 * timeout, one address can't hold more than its connection cap, and the live feed (SSE) outlives
 * the idle timeout because it sends a heartbeat well inside it.
 */
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { api } from "../sandbox/proc.js";

const IDLE_MS = 400;

/** A TCP connection to `url`'s port that says nothing; resolves once connected. */
function silentSocket(url: string): Promise<{ socket: Socket; closed: Promise<number> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const started = Date.now();
    const closed = new Promise<number>((r) => socket.once("close", () => r(Date.now() - started)));
    socket.once("connect", () => resolve({ socket, closed }));
    socket.once("error", () => {});
    socket.once("close", () => reject(new Error("closed before connecting")));
  });
}

describe("console face limits", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({
      port: 0,
      data: null,
      consoleLimits: { idleTimeoutMs: IDLE_MS, headersTimeoutMs: IDLE_MS, maxConnectionsPerClient: 8 },
    });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("closes a silent socket after the idle timeout while serving others", async () => {
    const { socket, closed } = await silentSocket(sb.urls.console);
    try {
      // Another client is served while the silent one sits there.
      expect((await api(sb.urls.console, "GET", "/_sandbox/health")).body).toEqual({ ok: true });
      const after = await Promise.race([
        closed,
        new Promise<string>((r) => setTimeout(() => r("still open"), IDLE_MS * 10).unref()),
      ]);
      expect(after).not.toBe("still open");
      expect(after).toBeGreaterThanOrEqual(IDLE_MS - 50);
    } finally {
      socket.destroy();
    }
  });

  it("closes connections over the per-address cap at once", async () => {
    const held = await Promise.all(Array.from({ length: 8 }, () => silentSocket(sb.urls.console)));
    try {
      const extra = connect({ host: "127.0.0.1", port: Number(new URL(sb.urls.console).port) });
      extra.on("error", () => {});
      const closedIn = await new Promise<number>((resolve) => {
        const t0 = Date.now();
        extra.once("close", () => resolve(Date.now() - t0));
        setTimeout(() => resolve(Number.POSITIVE_INFINITY), IDLE_MS * 10).unref();
      });
      extra.destroy();
      expect(closedIn).toBeLessThan(IDLE_MS);
    } finally {
      for (const h of held) h.socket.destroy();
      await Promise.all(held.map((h) => h.closed));
    }
    expect((await api(sb.urls.console, "GET", "/_sandbox/health")).status).toBe(200);
  });

  it("keeps the live feed open past several idle timeouts (heartbeats) and still delivers events", {
    timeout: 10_000,
  }, async () => {
    const abort = new AbortController();
    const res = await fetch(`${sb.urls.console}/_sandbox/console/events`, { signal: abort.signal });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const read = async (until: (t: string) => boolean) => {
      while (!until(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`feed ended after ${text.length} characters`);
        text += value;
      }
    };
    try {
      const t0 = Date.now();
      // Heartbeats come about every IDLE_MS / 3: wait for enough of them to span 3 idle timeouts.
      await read((t) => t.split(": keepalive").length - 1 >= 9);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(IDLE_MS * 2);
      // Still a working feed: an action shows up on it.
      await api(sb.urls.console, "POST", "/_sandbox/max/users", { phone: "+79005550077", firstName: "Feed" });
      await api(sb.urls.console, "POST", "/_sandbox/console/max/faults", { action: "clear" });
      await read((t) => t.includes("event: notice") || t.includes("event: changed"));
    } finally {
      abort.abort();
      await reader.cancel().catch(() => {});
    }
  });
});
