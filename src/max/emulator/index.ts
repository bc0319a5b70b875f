/**
 * The MAX EmulatorPlugin: what the sandbox needs to run the MAX emulator (its store module, the
 * WebSocket server with its admin routes, console provider and seed section).
 */
import type { ServerLimits } from "../../core/emulator/limits.js";
import type { EmulatorContext, EmulatorPlugin } from "../../core/emulator/plugin.js";
import { MaxEmulatorServer } from "./server.js";
import { maxStoreModule } from "./store/schema.js";

export interface MaxEmulatorPluginOptions {
  /** Fixed SMS code for scripts (`--sms-code`, 6 digits); random per request when unset. */
  smsCode?: string;
  /** Close sockets silent for this long (default 90 s). */
  idleTimeoutMs?: number;
  /** QR login links live this long (default 2 min). */
  qrTtlMs?: number;
  /**
   * Browser origins allowed to open the WebSocket besides `https://web.max.ru` (`--allowed-origins`).
   * No-Origin clients (every non-browser client) are always served; other origins get HTTP 403.
   */
  allowedOrigins?: string[];
  /** Timeouts and the per-address connection cap of the MAX port (defaults: the emulator kit's). */
  serverLimits?: Partial<ServerLimits>;
  /**
   * Port of the mobile apps' binary socket transport (`--max-socket-port`; 0: a free port); not
   * served when unset. TLS with a self-signed certificate made at start, unless `socketTls` is false.
   */
  socketPort?: number;
  /** `false`: plain TCP on the socket port (tests, a TLS terminator in front). */
  socketTls?: boolean;
}

/** The running MAX emulator as the sandbox (and tests, via `sandbox.max`) see it. */
export type MaxEmulatorInstance = MaxEmulatorServer;

export function maxEmulatorPlugin(
  options: MaxEmulatorPluginOptions = {},
): EmulatorPlugin<MaxEmulatorInstance> {
  return {
    platform: "max",
    title: "MAX",
    store: maxStoreModule,
    create(ctx: EmulatorContext): MaxEmulatorInstance {
      const { log } = ctx;
      const server: MaxEmulatorServer = new MaxEmulatorServer({
        db: ctx.db,
        dataDir: ctx.dataDir,
        log: ctx.log,
        clock: ctx.clock,
        smsCode: options.smsCode,
        idleTimeoutMs: options.idleTimeoutMs,
        qrTtlMs: options.qrTtlMs,
        allowedOrigins: options.allowedOrigins,
        serverLimits: options.serverLimits,
        socketPort: options.socketPort,
        socket: options.socketTls === false ? { tls: false } : {},
        hooks: {
          // The sandbox's SMS inbox: codes are meant to be read here (or via the admin API).
          onSms: (phone, code) => {
            log.info({ phone }, `SMS code for ${phone}: ${code}`);
            server.console.onSms(phone, code);
          },
          onQrRequested: (trackId, qrLink) => {
            log.info(
              { trackId },
              `MAX QR login requested (trackId ${trackId}); confirm it with POST /_sandbox/max/qr/confirm`,
            );
            server.console.onQrRequested(trackId, qrLink);
          },
        },
      });
      return server;
    },
  };
}

export { registerMaxAdminRoutes } from "./admin-routes.js";
export { MaxConsoleProvider } from "./console.js";
export { type MaxSeed, type MaxSeededAccount, maxSeedSection } from "./seed.js";
export { type MaxEmulatorOptions, MaxEmulatorServer } from "./server.js";
export { type MaxSocketOptions, selfSignedIdentity, type TlsIdentity } from "./socket-server.js";
export { maxStoreModule } from "./store/schema.js";
