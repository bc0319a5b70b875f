/**
 * The WebQQ emulator as the sandbox sees it: one EmulatorPlugin (store module, Fastify app with
 * every host's paths on one port, admin and fault routes, console provider, seed section).
 */
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { registerHttpFaultRoutes } from "../../core/emulator/http-faults.js";
import type { EmulatorContext, EmulatorInstance, EmulatorPlugin } from "../../core/emulator/plugin.js";
import type { WebQQAdmin } from "./admin.js";
import { registerWebQQAdmin } from "./admin-routes.js";
import { WebQQConsoleProvider } from "./console.js";
import { webqqHttpFaults } from "./faults.js";
import { type WebQQSeed, webqqSeedSection } from "./seed.js";
import { createWebQQEmulator, type WebQQEmulator } from "./server.js";
import { webqqStoreModule } from "./store/schema.js";

export interface WebQQEmulatorInstance extends EmulatorInstance {
  /** The emulator's Fastify app (tests inject into it). */
  readonly app: FastifyInstance;
  /** Acts as any account, creates accounts and chats, injects faults. */
  readonly admin: WebQQAdmin;
  /** The emulator itself (for code that takes a WebQQEmulator). */
  readonly emulator: WebQQEmulator;
  readonly console: WebQQConsoleProvider;
  readonly seed: import("../../core/emulator/plugin.js").SeedSection<WebQQSeed>;
}

export interface WebQQPluginOptions {
  /** How long poll2 is held before 102 (default 30 s). */
  pollTimeoutMs?: number;
  /** Idle time after which a session answers 100012 (default 24 h). */
  sessionTtlMs?: number;
  /** Server timeouts and connections per address (core `applyServerLimits`; idle ≥ 2 × poll hold). */
  serverLimits?: Partial<import("../../core/emulator/limits.js").ServerLimits>;
}

/** A WebQQ plugin with non-default poll / session lifetimes (tests). */
export function createWebQQEmulatorPlugin(
  options: WebQQPluginOptions = {},
): EmulatorPlugin<WebQQEmulatorInstance> {
  return {
    platform: "webqq",
    title: "WebQQ",
    store: webqqStoreModule,
    create(ctx: EmulatorContext): WebQQEmulatorInstance {
      const emulator = createWebQQEmulator({
        db: ctx.db,
        dataDir: ctx.dataDir,
        log: ctx.log,
        now: () => ctx.clock.now(),
        ...(options.pollTimeoutMs !== undefined ? { pollTimeoutMs: options.pollTimeoutMs } : {}),
        ...(options.sessionTtlMs !== undefined ? { sessionTtlMs: options.sessionTtlMs } : {}),
        ...(options.serverLimits !== undefined ? { serverLimits: options.serverLimits } : {}),
      });
      // Fault hooks go on before the app listens (Fastify takes hooks only until then).
      const faults = webqqHttpFaults(emulator);
      let url: string | undefined;
      const console = new WebQQConsoleProvider(emulator, ctx.db, () => url ?? ctx.urls().webqq ?? "");
      return {
        app: emulator.app,
        admin: emulator.admin,
        emulator,
        console,
        seed: webqqSeedSection(ctx.db, emulator.admin),
        async listen(port, host, shownHost) {
          await emulator.app.listen({ port, host });
          const actual = (emulator.app.server.address() as AddressInfo).port;
          const shown = shownHost.includes(":") && !shownHost.startsWith("[") ? `[${shownHost}]` : shownHost;
          url = `http://${shown}:${actual}`;
          return url;
        },
        registerAdmin(app) {
          registerWebQQAdmin(app, emulator.admin);
          registerHttpFaultRoutes(app, faults);
        },
        close: () => emulator.close(),
      };
    },
  };
}

/** The WebQQ emulator plugin (30 s polls, 24 h sessions). */
export const webqqEmulatorPlugin: EmulatorPlugin<WebQQEmulatorInstance> = createWebQQEmulatorPlugin();

export { webqqStoreModule };
