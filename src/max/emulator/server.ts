import { mkdirSync } from "node:fs";
import { type AddressInfo, Socket } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { type WebSocket, WebSocketServer } from "ws";
import { type Clock, systemClock } from "../../core/emulator/clock.js";
import { applyServerLimits, type ServerLimits } from "../../core/emulator/limits.js";
import type { EmulatorInstance, SeedSection } from "../../core/emulator/plugin.js";
import { type Logger, silentLogger } from "../../core/log.js";
import type { Database } from "../../core/storage.js";
import { LIMITS } from "../protocol.js";
import { MaxAdmin } from "./admin.js";
import { registerMaxAdminRoutes } from "./admin-routes.js";
import { MaxBotWorldImpl } from "./bot-world.js";
import { MaxConnection, MaxTrafficTap, WsLink } from "./connection.js";
import { MaxConsoleProvider } from "./console.js";
import type { MaxEmulator, MaxEmulatorConfig, MaxEmulatorHooks } from "./context.js";
import { Dispatcher } from "./dispatch.js";
import { Faults } from "./faults.js";
import { accountHandlers } from "./handlers/account.js";
import { authHandlers } from "./handlers/auth.js";
import { botHandlers } from "./handlers/bots.js";
import { chatHandlers } from "./handlers/chats.js";
import { contactHandlers } from "./handlers/contacts.js";
import { fireDueMessages } from "./handlers/delayed.js";
import { extraHandlers } from "./handlers/extras.js";
import { fileHandlers } from "./handlers/files.js";
import { folderHandlers } from "./handlers/folders.js";
import { messageHandlers } from "./handlers/messages.js";
import { pollHandlers } from "./handlers/polls.js";
import { onDisconnect, sessionHandlers } from "./handlers/session.js";
import { twoFactorHandlers } from "./handlers/two-factor.js";
import { registerFileRoutes } from "./http.js";
import { Hub } from "./hub.js";
import { type MaxSeed, maxSeedSection } from "./seed.js";
import { type MaxSocketOptions, MaxSocketServer } from "./socket-server.js";
import { IdAllocator } from "./store/ids.js";
import { createRepos } from "./store/index.js";
import { WorldEvents } from "./world-events.js";

/** How often held (scheduled) messages are checked for their time. */
const DELAYED_CHECK_MS = 1_000;
export interface MaxEmulatorOptions {
  db: Database;
  dataDir: string;
  log?: Logger;
  smsCode?: string;
  /** Close sockets silent for this long (default 90 s: three missed 30 s keepalives). */
  idleTimeoutMs?: number;
  qrTtlMs?: number;
  hooks?: MaxEmulatorHooks;
  /** Time for SMS code lifetimes, tokens, QR expiry, stored timestamps (default: the system clock). */
  clock?: Clock;
  /**
   * Browser origins allowed to open the WebSocket besides `https://web.max.ru` (what the real
   * web client sends). Clients that send no Origin (every non-browser client) are always let in;
   * any other browser origin is refused with HTTP 403 at the upgrade.
   */
  allowedOrigins?: string[];
  /** Header, request and idle timeouts and the per-address connection cap of the HTTP side. */
  serverLimits?: Partial<ServerLimits>;
  /**
   * Also serve the mobile apps' binary socket transport (socket-server.ts) on this port when
   * `listen` runs (0: a free port). TLS with a generated self-signed certificate unless
   * `socket.tls` says otherwise.
   */
  socketPort?: number;
  socket?: MaxSocketOptions;
}

/** The origin the MAX web client (web.max.ru) opens its socket from. */
export const MAX_WEB_ORIGIN = "https://web.max.ru";

function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, "").toLowerCase();
}

/**
 * The MAX emulator: WebSocket at `/websocket` plus upload/download HTTP on the same port. It is
 * the EmulatorInstance the plugin (./index.ts) hands the sandbox.
 */
export class MaxEmulatorServer implements EmulatorInstance {
  readonly emu: MaxEmulator;
  readonly app: FastifyInstance;
  readonly admin: MaxAdmin;
  /** What the web console shows of MAX. */
  readonly console: MaxConsoleProvider;
  /** The `max:` section of a seed file. */
  readonly seed: SeedSection<MaxSeed>;
  /** Every frame in and out, for the sandbox console's traffic inspector (idle unless subscribed). */
  readonly traffic = new MaxTrafficTap();
  private readonly wss: WebSocketServer;
  private readonly dispatcher: Dispatcher;
  private idleTimer: NodeJS.Timeout | undefined;
  private delayedTimer: NodeJS.Timeout | undefined;
  private nextConnId = 1;
  private baseUrl = "http://127.0.0.1:0";
  private readonly origins: Set<string>;
  private readonly serverLimits: Partial<ServerLimits>;
  private readonly socketServer: MaxSocketServer;
  private readonly socketPort: number | undefined;
  private socketAddress: string | undefined;

  constructor(options: MaxEmulatorOptions) {
    mkdirSync(options.dataDir, { recursive: true });
    this.origins = new Set([MAX_WEB_ORIGIN, ...(options.allowedOrigins ?? [])].map(normalizeOrigin));
    this.serverLimits = options.serverLimits ?? {};
    const clock = options.clock ?? systemClock;
    const config: MaxEmulatorConfig = {
      smsCode: options.smsCode,
      idleTimeoutMs: options.idleTimeoutMs ?? 90_000,
      dataDir: options.dataDir,
      publicHttpUrl: () => this.baseUrl,
      qrTtlMs: options.qrTtlMs ?? 120_000,
    };
    this.emu = {
      db: options.db,
      repos: createRepos(options.db),
      ids: new IdAllocator(options.db),
      hub: new Hub(),
      faults: new Faults(() => clock.now()),
      config,
      hooks: options.hooks ?? {},
      log: options.log ?? silentLogger,
      events: new WorldEvents(),
      now: () => clock.now(),
    };
    this.dispatcher = new Dispatcher(this.emu, [
      sessionHandlers,
      extraHandlers,
      authHandlers,
      accountHandlers,
      contactHandlers,
      chatHandlers,
      messageHandlers,
      fileHandlers,
      botHandlers,
      twoFactorHandlers,
      folderHandlers,
      pollHandlers,
    ]);
    this.admin = new MaxAdmin(this.emu);
    this.console = new MaxConsoleProvider(this);
    this.seed = maxSeedSection({ admin: this.admin, repos: this.emu.repos });
    this.socketPort = options.socketPort;
    this.socketServer = new MaxSocketServer(
      {
        emu: this.emu,
        traffic: this.traffic,
        nextConnId: () => this.nextConnId++,
        onPacket: (conn, packet, size) => this.dispatcher.onPacket(conn, packet, size),
        onClosed: (conn) => {
          onDisconnect(this.emu, conn);
          this.emu.hub.remove(conn);
        },
      },
      options.socket,
    );
    this.app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
    registerFileRoutes(this.app, this.emu);
    // Frames over the protocol limit still reach the dispatcher (which answers proto.size)
    // up to this hard cap; beyond it ws closes the socket with 1009.
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: LIMITS.frameBytes * 4,
      perMessageDeflate: false,
    });
    this.app.server.on("upgrade", (req, socket, head) => {
      const path = (req.url ?? "").split("?")[0];
      if (path !== "/websocket") {
        socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      const origin = req.headers.origin;
      if (origin !== undefined && !this.origins.has(normalizeOrigin(origin))) {
        // A web page elsewhere must not drive a sandbox account (a fixed --sms-code logs anyone in).
        this.emu.log.warn({ origin }, "MAX WebSocket refused: browser origin not allowed");
        socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const tcp = socket instanceof Socket ? socket : undefined;
        const conn = new MaxConnection(
          this.nextConnId++,
          new WsLink(ws, tcp),
          req.socket.remoteAddress ?? "",
          this.traffic,
        );
        this.accept(conn, ws);
      });
    });
  }

  private accept(conn: MaxConnection, ws: WebSocket): void {
    const { hub } = this.emu;
    hub.add(conn);
    ws.on("message", (data, isBinary) => {
      if (this.traffic.active) this.traffic.record(conn, "in", frameText(data));
      this.dispatcher.onFrame(conn, data as Buffer, isBinary).catch((err) => {
        this.emu.log.error({ err }, "MAX frame handling failed");
      });
    });
    ws.on("error", () => conn.terminate());
    ws.on("close", () => {
      conn.closed = true;
      onDisconnect(this.emu, conn);
      hub.remove(conn);
    });
  }

  private world: MaxBotWorldImpl | undefined;

  /**
   * The MAX side of the world the MAX Bot API emulator shares (MaxBotWorld of
   * src/maxbot/emulator/world.ts, matched structurally): bots, their chats and messages.
   */
  get botWorld(): MaxBotWorldImpl {
    this.world ??= new MaxBotWorldImpl(this.emu);
    return this.world;
  }

  /** Opcodes the dispatcher serves (each one an entry of the endpoint table, protocol/rpc.ts). */
  handledOpcodes(): number[] {
    return this.dispatcher.opcodes();
  }

  /** The `/_sandbox/max/…` admin routes on the sandbox's console app. */
  registerAdmin(app: FastifyInstance): void {
    registerMaxAdminRoutes(app, { admin: this.admin, users: this.emu.repos.users, world: this.botWorld });
    // The socket transport's self-signed certificate, for clients to trust (PEM).
    app.get("/_sandbox/max/socket-cert", async (_req, reply) => {
      const cert = this.socketCertificate;
      if (!cert) return reply.code(404).send({ error: "the MAX socket transport is not served over TLS" });
      return reply.type("application/x-pem-file").send(cert);
    });
  }

  /** Starts listening; returns the WebSocket URL (with `shownHost`, e.g. 127.0.0.1 for a 0.0.0.0 bind). */
  async listen(port: number, host = "127.0.0.1", shownHost = host): Promise<string> {
    applyServerLimits(this.app.server, this.serverLimits);
    await this.app.listen({ port, host });
    const address = this.app.server.address() as AddressInfo;
    this.baseUrl = `http://${shownHost}:${address.port}`;
    const sweep = Math.min(5_000, Math.max(50, Math.floor(this.emu.config.idleTimeoutMs / 4)));
    this.idleTimer = setInterval(() => this.closeIdle(), sweep);
    this.idleTimer.unref();
    // Scheduled messages: whatever came due while the emulator was stopped goes out now, the
    // rest within a second of their time (by the emulator's clock, so tests move it on).
    this.deliverDueMessages();
    this.delayedTimer = setInterval(() => this.deliverDueMessages(), DELAYED_CHECK_MS);
    this.delayedTimer.unref();
    if (this.socketPort !== undefined) await this.listenSocket(this.socketPort, host, shownHost);
    return `ws://${shownHost}:${address.port}/websocket`;
  }

  /**
   * Starts the binary socket transport (mobile apps, PyMax's socket client); resolves to its
   * `tls://host:port` (or `tcp://…`) address. `listen` calls it when `socketPort` is set.
   */
  async listenSocket(port: number, host = "127.0.0.1", shownHost = host): Promise<string> {
    this.socketAddress = await this.socketServer.listen(port, host, shownHost);
    return this.socketAddress;
  }

  /** The socket transport's TLS certificate (PEM) for clients to trust; undefined for plain TCP. */
  get socketCertificate(): string | undefined {
    return this.socketServer.certificate;
  }

  /** The binary socket transport's address once it listens. */
  get socketUrl(): string | undefined {
    return this.socketAddress;
  }

  get httpUrl(): string {
    return this.baseUrl;
  }

  /** The seed: a connection that stops sending keepalives is closed. */
  private closeIdle(): void {
    const limit = Date.now() - this.emu.config.idleTimeoutMs;
    for (const conn of this.emu.hub.connections()) {
      if (conn.lastKeepalive < limit) conn.close(4000, "keepalive timeout");
    }
  }

  /** Delivers the scheduled messages whose time has come; returns how many went out. */
  deliverDueMessages(): number {
    try {
      return fireDueMessages(this.emu);
    } catch (err) {
      // A failed write is retried on the next check (the held row is still there).
      this.emu.log.error({ err }, "max: delivering scheduled messages failed");
      return 0;
    }
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearInterval(this.idleTimer);
    if (this.delayedTimer) clearInterval(this.delayedTimer);
    for (const conn of this.emu.hub.connections()) conn.close(1001, "server shutting down");
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    await this.socketServer.close();
    await this.app.close();
  }
}

function frameText(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data as ArrayBuffer).toString("utf8");
}
