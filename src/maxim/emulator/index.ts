/**
 * The MaxIM EmulatorPlugin: the sandbox creates the emulator on its store with this, makes it
 * listen on the MaxIM face, mounts its admin and fault routes and its console provider, and
 * applies the `maxim:` section of a seed file through it.
 */
import type { FastifyInstance } from "fastify";
import { registerHttpFaultRoutes } from "../../core/emulator/http-faults.js";
import type { EmulatorContext, EmulatorInstance, EmulatorPlugin } from "../../core/emulator/plugin.js";
import { registerMaxImAdmin } from "./admin-routes.js";
import { MaxImConsoleProvider } from "./console.js";
import { maximHttpFaults } from "./faults.js";
import { maximSeedSection } from "./seed.js";
import { createMaxImEmulator, type MaxImAdmin, type MaxImEmulator } from "./server.js";
import type { MaxImStore } from "./store/index.js";
import { maximStoreModule } from "./store/schema.js";

/** A running MaxIM emulator as the sandbox (and tests, through `sandbox.maxim`) see it. */
export interface MaxImEmulatorInstance extends EmulatorInstance {
  /** The emulator's Fastify app (in-process `inject`, hooks). */
  readonly app: MaxImEmulator["app"];
  readonly admin: MaxImAdmin;
  readonly store: MaxImStore;
  readonly console: MaxImConsoleProvider;
  /** The face's URL once listening. */
  readonly url: string | undefined;
}

function createInstance(ctx: EmulatorContext): MaxImEmulatorInstance {
  const emu = createMaxImEmulator({ db: ctx.db, log: ctx.log, clock: ctx.clock });
  // The shared HTTP fault layer hooks the app, which Fastify allows only before it listens.
  const faults = maximHttpFaults(emu);
  let url: string | undefined;
  const consoleProvider = new MaxImConsoleProvider(emu, () => url ?? ctx.urls().maxim ?? "");
  return {
    app: emu.app,
    admin: emu.admin,
    store: emu.store,
    console: consoleProvider,
    seed: maximSeedSection(emu),
    get url() {
      return url;
    },
    async listen(port: number, host: string, shownHost: string) {
      const bound = await emu.listen(port, host);
      url = `http://${shownHost}:${new URL(bound).port}`;
      return url;
    },
    registerAdmin(app: FastifyInstance) {
      registerMaxImAdmin(app, emu.admin);
      registerHttpFaultRoutes(app, faults);
    },
    close: () => emu.close(),
  };
}

export const maximEmulatorPlugin: EmulatorPlugin<MaxImEmulatorInstance> = {
  platform: "maxim",
  title: "MaxIM",
  store: maximStoreModule,
  create: createInstance,
};
