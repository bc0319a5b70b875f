/**
 * The maxbot EmulatorPlugin: the MAX Bot API on the MAX emulator's world. The world is passed as
 * a getter because the sandbox creates the MAX emulator first and hands over
 * `() => maxInstance.botWorld`; it is read once, when the instance is created.
 */
import type { FastifyInstance } from "fastify";
import type { EmulatorContext, EmulatorInstance, EmulatorPlugin } from "../../core/emulator/plugin.js";
import type { MaxBotAdmin } from "./admin.js";
import { registerMaxBotAdmin } from "./admin-routes.js";
import { MaxBotConsoleProvider } from "./console.js";
import { maxbotSeedSection } from "./seed.js";
import { createMaxBotEmulator, type MaxBotEmulator } from "./server.js";
import { maxbotStoreModule } from "./store/schema.js";
import type { UpdatesOptions } from "./updates/index.js";
import type { MaxBotWorld } from "./world.js";

/** A running Bot API emulator as the sandbox (and tests) see it. */
export interface MaxBotEmulatorInstance extends EmulatorInstance {
  readonly app: MaxBotEmulator["app"];
  readonly admin: MaxBotAdmin;
  readonly emulator: MaxBotEmulator;
  readonly console: MaxBotConsoleProvider;
  /** The face's URL once listening. */
  readonly url: string | undefined;
}

export interface MaxBotPluginOptions {
  /** The MAX world the bots live in (read when the instance is created). */
  world: () => MaxBotWorld;
  /** Update retention and webhook retry schedule (tests shorten them). */
  updates?: UpdatesOptions;
}

export function maxbotEmulatorPlugin(options: MaxBotPluginOptions): EmulatorPlugin<MaxBotEmulatorInstance> {
  return {
    platform: "maxbot",
    title: "MAX Bot API",
    store: maxbotStoreModule,
    create(ctx: EmulatorContext): MaxBotEmulatorInstance {
      const emulatorOptions: Parameters<typeof createMaxBotEmulator>[0] = {
        db: ctx.db,
        world: options.world(),
        log: ctx.log,
        clock: ctx.clock,
        urls: ctx.urls,
      };
      if (options.updates) emulatorOptions.updates = options.updates;
      const emu = createMaxBotEmulator(emulatorOptions);
      let url: string | undefined;
      const consoleProvider = new MaxBotConsoleProvider(emu, () => url ?? ctx.urls().maxbot ?? "");
      return {
        app: emu.app,
        admin: emu.admin,
        emulator: emu,
        console: consoleProvider,
        seed: maxbotSeedSection(emu.admin),
        get url() {
          return url;
        },
        async listen(port: number, host: string, shownHost: string) {
          url = await emu.listen(port, host, shownHost);
          return url;
        },
        registerAdmin(app: FastifyInstance) {
          registerMaxBotAdmin(app, emu.admin);
        },
        close: () => emu.close(),
      };
    },
  };
}
