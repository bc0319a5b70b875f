/**
 * Bounded cost for every HTTP face of the sandbox: header, request, keep-alive and idle timeouts,
 * and a cap on open connections per client address, so silent or abandoned sockets are closed
 * and one client can't hold the process's file descriptors. Each emulator applies these to its
 * own server (Fastify's `app.server`) before it listens; the console applies them too.
 */
import type { Server } from "node:http";
import type { Socket } from "node:net";

export interface ServerLimits {
  /** Time to receive the request headers. */
  headersTimeoutMs: number;
  /**
   * Time to receive a whole request (body included). Long polls are not affected: this covers
   * receiving, not answering. Large uploads need it generous.
   */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: number;
  /**
   * A socket with no traffic in either direction for this long is closed. Must exceed the
   * longest time a server holds a request on purpose (WebQQ's poll2). WebSocket upgrades are
   * exempt: their protocols have their own keepalives.
   */
  idleTimeoutMs: number;
  /** Open connections from one address; the next one is closed at once. */
  maxConnectionsPerClient: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 120_000,
  maxConnectionsPerClient: 12_000,
};

export interface AppliedLimits {
  /** Connections refused because their address was at the cap. */
  readonly refused: number;
  /** Open connections of one address. */
  open(address: string): number;
}

/** Applies `limits` (defaults for what is omitted) to a Node HTTP server; call before listen. */
export function applyServerLimits(server: Server, limits: Partial<ServerLimits> = {}): AppliedLimits {
  const l = { ...DEFAULT_SERVER_LIMITS, ...limits };
  server.headersTimeout = l.headersTimeoutMs;
  server.requestTimeout = l.requestTimeoutMs;
  server.keepAliveTimeout = l.keepAliveTimeoutMs;
  // Node destroys a socket whose `timeout` fires when no one listens for the event.
  server.timeout = l.idleTimeoutMs;
  const perAddress = new Map<string, number>();
  let refused = 0;
  server.on("connection", (socket: Socket) => {
    const address = socket.remoteAddress ?? "unknown";
    const count = perAddress.get(address) ?? 0;
    if (count >= l.maxConnectionsPerClient) {
      refused++;
      socket.destroy();
      return;
    }
    perAddress.set(address, count + 1);
    socket.once("close", () => {
      const n = (perAddress.get(address) ?? 1) - 1;
      if (n <= 0) perAddress.delete(address);
      else perAddress.set(address, n);
    });
  });
  // An upgraded socket (WebSocket) leaves HTTP's idle timer: its protocol keeps it alive. With
  // no WebSocket server behind it, an upgrade request is closed (as Node does without listeners).
  server.on("upgrade", (_req, socket: Socket) => {
    if (server.listenerCount("upgrade") > 1) socket.setTimeout(0);
    else socket.destroy();
  });
  return {
    get refused() {
      return refused;
    },
    open: (address) => perAddress.get(address) ?? 0,
  };
}
