/**
 * The plugin-driven part of the sandbox: it knows platforms only through their EmulatorPlugins
 * (src/core/emulator/plugin.ts). It opens one store with every plugin's store module, creates each
 * emulator on it, listens on base+0 (the console with the admin API) and base+1.. (one face per
 * plugin, in the order given), mounts each one's admin routes and console provider on the console
 * app, applies a seed file section by section, and closes everything in turn. A new platform plugs
 * in by adding its plugin to the list; nothing here changes.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import Fastify from "fastify";
import { type Clock, systemClock } from "../core/emulator/clock.js";
import { applyServerLimits, DEFAULT_SERVER_LIMITS, type ServerLimits } from "../core/emulator/limits.js";
import type { EmulatorInstance, EmulatorPlugin, SeedSection } from "../core/emulator/plugin.js";
import { openStore } from "../core/emulator/store.js";
import { type Logger, silentLogger } from "../core/log.js";
import type { Database } from "../core/storage.js";
import { registerAdminApi } from "./admin-api.js";
import { type ConsoleHandle, registerConsole } from "./console/routes.js";
import { registerHostGuard } from "./guard.js";
import {
  applySeed,
  type CheckedSeed,
  checkSeed,
  checkSeedKeys,
  type LoadedSeed,
  SeedError,
  type SeedReport,
} from "./seed/load.js";
import { resolveSeed, type SeedName } from "./seed-demo.js";

export const DEFAULT_BASE_PORT = 8700;
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_DATA_FILE = ".switchboard/sandbox.db";

export interface EmulatorsOptions {
  /** Base port: the console on base+0, the plugins on base+1…; `0` picks a random free port for each. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** SQLite file; `null` (the default here) keeps everything in memory and files in a temp dir. */
  data?: string | null;
  /** `demo`, `none` (the default), a path to a .yaml/.yml seed file, or a loaded seed. */
  seed?: SeedName | (string & {}) | LoadedSeed;
  log?: Logger;
  /** Time as the emulators see it (default: the system clock; tests pass a ManualClock). */
  clock?: Clock;
  /**
   * Host names (or addresses) the console port answers besides loopback names, the bound host
   * and the printed URL host (`--allowed-hosts`). Any other Host header is refused with 403.
   */
  allowedHosts?: readonly string[];
  /**
   * Timeouts and the per-client connection cap of the console face's HTTP server (defaults:
   * DEFAULT_SERVER_LIMITS). The live feed sends a heartbeat well inside `idleTimeoutMs`.
   */
  consoleLimits?: Partial<ServerLimits>;
}

export interface RunningEmulators {
  /** Where each face listens: `console` first, then each plugin's platform, in plugin order. */
  urls: { console: string } & Record<string, string>;
  /** Each plugin's running instance, by platform. */
  instances: ReadonlyMap<string, EmulatorInstance>;
  /** What the seed created or found (null without a seed). */
  seedReport: SeedReport | null;
  /** Absolute database path, or null in memory mode. */
  dataFile: string | null;
  /** Where uploaded files are kept (one folder per platform inside). */
  filesDir: string;
  /** The web console's live hub (traffic log, recording switch). */
  console: ConsoleHandle;
  /** Closes every face, then the database (checkpointing the WAL). Safe to call twice. */
  close(): Promise<void>;
}

/** Start-up failed (port taken, bad options); nothing is left running when this is thrown. */
export class SandboxStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SandboxStartError";
  }
}

const CONSOLE_TITLE = "console / admin API";

/** Host as it goes into a URL: wildcard binds are reached via loopback, IPv6 needs brackets. */
function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

function listenError(err: unknown, title: string, port: number, host: string): SandboxStartError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const what = `${title} port ${port} on ${host}`;
  if (code === "EADDRINUSE") {
    return new SandboxStartError(
      `${what} is already in use (is another sandbox running?). Stop it, or choose another base port with --port <base> (--port 0 picks free ports).`,
      { cause: err },
    );
  }
  if (code === "EACCES")
    return new SandboxStartError(`not allowed to listen on ${what}; use a port above 1023`, { cause: err });
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") {
    return new SandboxStartError(`cannot listen on ${what}: no such local address`, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new SandboxStartError(`cannot listen on ${what}: ${message}`, { cause: err });
}

/** A seed problem as a start error (the message already names the file, line and path). */
function seedFailure(err: unknown): never {
  if (err instanceof SeedError) throw new SandboxStartError(err.message, { cause: err });
  throw err;
}

/**
 * Starts the console and one face per plugin on one store. Resolves once every face listens and
 * the seed (if any) is applied; on any failure everything already started is closed again.
 */
export async function startEmulators(
  plugins: readonly EmulatorPlugin[],
  options: EmulatorsOptions = {},
): Promise<RunningEmulators> {
  const base = options.port ?? DEFAULT_BASE_PORT;
  const host = options.host ?? DEFAULT_HOST;
  const log = options.log ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const faces = plugins.length + 1;
  if (!Number.isInteger(base) || base < 0 || (base !== 0 && base + faces - 1 > 65_535)) {
    throw new SandboxStartError(`--port must be 0 or a base port from 1 to ${65_535 - faces + 1}`);
  }
  const platforms = plugins.map((p) => p.platform as string);
  const twice = platforms.find((p, i) => platforms.indexOf(p) !== i);
  if (twice !== undefined) throw new SandboxStartError(`two emulator plugins for the platform ${twice}`);
  if (platforms.includes("console")) throw new SandboxStartError(`"console" is not a platform name`);

  // A file that isn't YAML, or a section no platform owns, stops the start before anything opens.
  let seed: LoadedSeed | undefined;
  try {
    seed = resolveSeed(options.seed);
    if (seed) checkSeedKeys(seed, platforms);
  } catch (err) {
    seedFailure(err);
  }

  const dataFile = options.data ? resolve(options.data) : null;
  let filesDir: string;
  let tempFiles = false;
  if (dataFile) {
    filesDir = join(dirname(dataFile), "files");
    mkdirSync(filesDir, { recursive: true });
  } else {
    filesDir = mkdtempSync(join(tmpdir(), "switchboard-files-"));
    tempFiles = true;
  }

  let db: Database | undefined;
  const consoleApp = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  const consoleLimits = { ...DEFAULT_SERVER_LIMITS, ...options.consoleLimits };
  // First, so it runs before every route (admin, console, live feed, 404s).
  registerHostGuard(consoleApp, {
    boundHost: host,
    shownHost: urlHost(host),
    allowedHosts: options.allowedHosts ?? [],
    port: () => (consoleApp.server.address() as AddressInfo | null)?.port,
  });
  const instances = new Map<string, EmulatorInstance>();
  const cleanup = async () => {
    await Promise.allSettled([consoleApp.close(), ...[...instances.values()].map((i) => i.close())]);
    if (db?.open) {
      // A clean shutdown leaves a single database file: fold the WAL back in, then close.
      if (dataFile) db.pragma("wal_checkpoint(TRUNCATE)");
      db.close();
    }
    if (tempFiles) rmSync(filesDir, { recursive: true, force: true });
  };

  try {
    try {
      db = openStore({ file: dataFile, modules: plugins.map((p) => p.store) });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new SandboxStartError(`cannot open the sandbox database ${dataFile}: ${message}`, { cause: err });
    }
    const urls: Record<string, string> = {};
    const shownUrls = () => ({ ...urls });
    for (const plugin of plugins) {
      // One folder per platform under the files folder, so emulators can't collide.
      const dataDir = join(filesDir, plugin.platform);
      mkdirSync(dataDir, { recursive: true });
      const instance = await plugin.create({
        db,
        dataDir,
        log: log.child({ platform: plugin.platform }),
        clock,
        urls: shownUrls,
      });
      instances.set(plugin.platform, instance);
    }

    const sections = new Map<string, SeedSection | undefined>(
      plugins.map((p) => [p.platform, instances.get(p.platform)?.seed]),
    );
    let checked: CheckedSeed | undefined;
    try {
      if (seed) checked = checkSeed(seed, sections);
    } catch (err) {
      seedFailure(err);
    }

    registerAdminApi(consoleApp, {
      urls: shownUrls,
      faces: [
        { id: "console", title: CONSOLE_TITLE },
        ...plugins.map((p) => ({ id: p.platform, title: p.title })),
      ],
      log: log.child({ component: "admin" }),
      // The web console takes `/`; the plain list of endpoints and calls lives here.
      indexPath: "/_sandbox/api",
    });
    for (const instance of instances.values()) instance.registerAdmin(consoleApp);
    const consoleHandle = registerConsole(consoleApp, {
      providers: [...instances.values()].map((i) => i.console),
      urls: shownUrls,
      // A heartbeat well inside the idle timeout keeps the live feed open.
      keepaliveMs: Math.max(10, Math.min(15_000, Math.floor(consoleLimits.idleTimeoutMs / 3))),
    });

    const shown = urlHost(host);
    const port = (i: number) => (base === 0 ? 0 : base + i);
    applyServerLimits(consoleApp.server, consoleLimits);
    try {
      await consoleApp.listen({ port: port(0), host });
    } catch (err) {
      throw listenError(err, CONSOLE_TITLE, port(0), host);
    }
    urls.console = `http://${shown}:${(consoleApp.server.address() as AddressInfo).port}`;
    for (const [i, plugin] of plugins.entries()) {
      const instance = instances.get(plugin.platform) as EmulatorInstance;
      try {
        urls[plugin.platform] = await instance.listen(port(i + 1), host, shown);
      } catch (err) {
        throw listenError(err, plugin.title, port(i + 1), host);
      }
    }

    let seedReport: SeedReport | null = null;
    if (checked) {
      try {
        seedReport = await applySeed(checked, sections);
      } catch (err) {
        seedFailure(err);
      }
      const titles = new Map(plugins.map((p) => [p.platform as string, p.title]));
      for (const a of seedReport.accounts) {
        const what = `${seedReport.source === "demo" ? "demo" : "seeded"} ${titles.get(a.platform) ?? a.platform} account ${a.login}`;
        log.info(
          { platform: a.platform, id: a.id },
          `${what}${a.name !== a.login ? ` (${a.name})` : ""}${a.created ? "" : " (already there)"}`,
        );
      }
    }

    let closing: Promise<void> | undefined;
    return {
      urls: Object.fromEntries(["console", ...platforms].map((f) => [f, urls[f] as string])) as {
        console: string;
      } & Record<string, string>,
      instances,
      seedReport,
      dataFile,
      filesDir,
      console: consoleHandle,
      close: () => {
        closing ??= cleanup();
        return closing;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
