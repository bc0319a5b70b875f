/**
 * The VK Video Live emulator as a sandbox plugin: its store module, the emulator on the sandbox's
 * database and clock, the `/_sandbox/vklive/…` admin routes with the shared HTTP fault routes,
 * the console provider and the seed section.
 */
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { ConsoleProvider } from "../../core/emulator/console.js";
import { type HttpFaults, registerHttpFaultRoutes } from "../../core/emulator/http-faults.js";
import type { EmulatorInstance, EmulatorPlugin, SeedSection } from "../../core/emulator/plugin.js";
import { registerVkLiveAdmin } from "./admin-routes.js";
import { VkLiveConsoleProvider } from "./console.js";
import type { EmulatorConfig } from "./context.js";
import { vkliveHttpFaults } from "./faults.js";
import { type VkLiveSeed, vkliveSeedSection } from "./seed.js";
import {
  createVkLiveEmulator,
  type VkLiveAdmin,
  type VkLiveEmulator,
  type VkLiveEmulatorOptions,
} from "./server.js";
import { VkLiveStore, vkliveStoreModule } from "./store/index.js";

/** A running VK Live emulator as the sandbox (and tests) drive it. */
export interface VkLiveEmulatorInstance extends EmulatorInstance {
  readonly emulator: VkLiveEmulator;
  readonly app: FastifyInstance;
  readonly admin: VkLiveAdmin;
  readonly hub: VkLiveEmulator["hub"];
  readonly store: VkLiveStore;
  /** The shared HTTP fault layer on the emulator's app (installed at creation, before listening). */
  readonly httpFaults: HttpFaults;
  readonly console: VkLiveConsoleProvider & ConsoleProvider;
  readonly seed: SeedSection<VkLiveSeed>;
  /** The URL once listening. */
  url(): string | undefined;
}

export interface VkLivePluginOptions {
  config?: Partial<EmulatorConfig>;
  /** HMAC key of Centrifugo tokens (random per start unless given). */
  jwtSecret?: string;
  /** Server timeouts and connections per address (applyServerLimits; core defaults otherwise). */
  serverLimits?: VkLiveEmulatorOptions["serverLimits"];
  /** Centrifugo per-connection bounds (subscriptions, queued bytes). */
  hubLimits?: VkLiveEmulatorOptions["hubLimits"];
}

/** The plugin with options (emulator config, a fixed Centrifugo key). */
export function createVkLiveEmulatorPlugin(
  options: VkLivePluginOptions = {},
): EmulatorPlugin<VkLiveEmulatorInstance> {
  return {
    platform: "vklive",
    title: "VK Video Live",
    store: vkliveStoreModule,
    create(ctx) {
      const emulator = createVkLiveEmulator({
        db: ctx.db,
        log: ctx.log,
        now: () => ctx.clock.now(),
        ...(options.config !== undefined ? { config: options.config } : {}),
        ...(options.jwtSecret !== undefined ? { jwtSecret: options.jwtSecret } : {}),
        ...(options.serverLimits !== undefined ? { serverLimits: options.serverLimits } : {}),
        ...(options.hubLimits !== undefined ? { hubLimits: options.hubLimits } : {}),
      });
      const store = new VkLiveStore(ctx.db);
      // Hooks must be on the app before it listens.
      const httpFaults = vkliveHttpFaults(emulator, store);
      let url: string | undefined;
      const console = new VkLiveConsoleProvider(emulator, store, () => ctx.urls().vklive ?? url ?? "");
      return {
        emulator,
        app: emulator.app,
        admin: emulator.admin,
        hub: emulator.hub,
        store,
        httpFaults,
        console,
        seed: vkliveSeedSection(emulator, store),
        url: () => url,
        async listen(port, host = "127.0.0.1", shownHost) {
          await emulator.app.listen({ port, host });
          const actual = (emulator.app.server.address() as AddressInfo).port;
          const shown =
            shownHost ?? (host === "0.0.0.0" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host);
          url = `http://${shown}:${actual}`;
          return url;
        },
        registerAdmin(app) {
          registerVkLiveAdmin(app, emulator.admin);
          registerHttpFaultRoutes(app, httpFaults);
        },
        close: () => emulator.close(),
      };
    },
  };
}

/** The VK Video Live emulator plugin with default options. */
export const vkliveEmulatorPlugin: EmulatorPlugin<VkLiveEmulatorInstance> = createVkLiveEmulatorPlugin();
