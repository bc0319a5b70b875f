import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { type Logger, silentLogger } from "../core/log.js";
import type { Database } from "../core/storage.js";
import { MaxConsoleProvider } from "../max/emulator/console.js";
import { MaxEmulatorServer } from "../max/emulator/server.js";
import { registerMaxImAdmin } from "../maxim/emulator/admin-routes.js";
import { MaxImConsoleProvider } from "../maxim/emulator/console.js";
import { createMaxImEmulator, type MaxImEmulator } from "../maxim/emulator/server.js";
import { registerVkLiveAdmin } from "../vklive/emulator/admin-routes.js";
import { VkLiveConsoleProvider } from "../vklive/emulator/console.js";
import { createVkLiveEmulator, type VkLiveEmulator } from "../vklive/emulator/server.js";
import { registerWebQQAdmin } from "../webqq/emulator/admin-routes.js";
import { WebQQConsoleProvider } from "../webqq/emulator/console.js";
import { createWebQQEmulator, type WebQQEmulator } from "../webqq/emulator/server.js";
import { registerAdminApi, type SandboxUrls } from "./admin-api.js";
import { type ConsoleHandle, registerConsole } from "./console/routes.js";
import {
  maximHttpFaults,
  registerHttpFaultRoutes,
  vkliveHttpFaults,
  webqqHttpFaults,
} from "./http-faults.js";
import { applySeed, type LoadedSeed, SeedError, type SeededAccount, type SeedReport } from "./seed/apply.js";
import { resolveSeed, type SeededUser, type SeedName } from "./seed-demo.js";
import { openStore } from "./store.js";

export type { SandboxUrls };

export const DEFAULT_BASE_PORT = 8700;
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_DATA_FILE = ".switchboard/sandbox.db";

export interface SandboxOptions {
  /** Base port: the faces listen on base+0..4. `0` picks a random free port for each. Default 8700. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** SQLite file; `null` (the default here) keeps everything in memory and files in a temp dir. */
  data?: string | null;
  /** `demo`, `none` (the default), a path to a .yaml/.yml seed file, or a loaded seed. */
  seed?: SeedName | (string & {}) | LoadedSeed;
  /** Fixed MAX SMS code (6 digits); random per request when unset. */
  smsCode?: string;
  log?: Logger;
  /** MAX: close sockets silent for this long (default 90 s). */
  idleTimeoutMs?: number;
}

export interface Sandbox {
  urls: SandboxUrls;
  /** MAX accounts of the seed, in file order (empty without a seed). */
  seeded: SeededUser[];
  /** Every platform's seeded accounts, and notes (admin tokens, live channels) for the banner. */
  seedReport: SeedReport | null;
  /** Absolute database path, or null in memory mode. */
  dataFile: string | null;
  /** Where uploaded files are kept. */
  filesDir: string;
  max: MaxEmulatorServer;
  maxim: MaxImEmulator;
  webqq: WebQQEmulator;
  vklive: VkLiveEmulator;
  /** The web console's live hub (traffic log, recording switch). */
  console: ConsoleHandle;
  /** Closes every server, then the database (checkpointing the WAL). Safe to call twice. */
  close(): Promise<void>;
}

/** Start-up failed (port taken, bad options); nothing is left running when this is thrown. */
export class SandboxStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SandboxStartError";
  }
}

type Face = keyof SandboxUrls;
const FACES: readonly Face[] = ["console", "max", "maxim", "webqq", "vklive"];
const FACE_NAMES: Record<Face, string> = {
  console: "console / admin API",
  max: "MAX",
  maxim: "MaxIM",
  webqq: "WebQQ",
  vklive: "VK Video Live",
};

/** Host as it goes into a URL: wildcard binds are reached via loopback, IPv6 needs brackets. */
function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

function listenError(err: unknown, face: Face, port: number, host: string): SandboxStartError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const what = `${FACE_NAMES[face]} port ${port} on ${host}`;
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

/**
 * Starts every face of the sandbox on one store: the console with the admin API, the MAX
 * emulator and the MaxIM, WebQQ and VK Live emulators. Resolves once all listen.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const base = options.port ?? DEFAULT_BASE_PORT;
  const host = options.host ?? DEFAULT_HOST;
  const log = options.log ?? silentLogger;
  if (!Number.isInteger(base) || base < 0 || (base !== 0 && base + FACES.length - 1 > 65_535)) {
    throw new SandboxStartError(`--port must be 0 or a base port from 1 to ${65_535 - FACES.length + 1}`);
  }
  if (options.smsCode !== undefined && !/^\d{6}$/.test(options.smsCode)) {
    throw new SandboxStartError("--sms-code must be exactly 6 digits (MAX codes have 6)");
  }

  // A bad seed file stops the start before anything is opened or listens.
  let seed: LoadedSeed | undefined;
  try {
    seed = resolveSeed(options.seed);
  } catch (err) {
    if (err instanceof SeedError) throw new SandboxStartError(err.message, { cause: err });
    throw err;
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
  const started: FastifyInstance[] = [];
  let max: MaxEmulatorServer | undefined;
  // Created after the emulator it shows; the emulator's hooks reach it late-bound.
  let maxConsole: MaxConsoleProvider | undefined;
  const cleanup = async () => {
    await Promise.allSettled([...started.map((app) => app.close()), max?.close()]);
    if (db?.open) {
      // A clean shutdown leaves a single database file: fold the WAL back in, then close.
      if (dataFile) db.pragma("wal_checkpoint(TRUNCATE)");
      db.close();
    }
    if (tempFiles) rmSync(filesDir, { recursive: true, force: true });
  };

  try {
    try {
      db = openStore({ file: dataFile });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new SandboxStartError(`cannot open the sandbox database ${dataFile}: ${message}`, { cause: err });
    }
    max = new MaxEmulatorServer({
      db,
      // One folder per platform under the files folder, so later emulators can't collide.
      dataDir: join(filesDir, "max"),
      log: log.child({ platform: "max" }),
      smsCode: options.smsCode,
      idleTimeoutMs: options.idleTimeoutMs,
      hooks: {
        // The sandbox's SMS inbox: codes are meant to be read here (or via the admin API).
        onSms: (phone, code) => {
          log.info({ phone }, `SMS code for ${phone}: ${code}`);
          maxConsole?.onSms(phone, code);
        },
        onQrRequested: (trackId, qrLink) => {
          log.info(
            { trackId },
            `MAX QR login requested (trackId ${trackId}); confirm it with POST /_sandbox/max/qr/confirm`,
          );
          maxConsole?.onQrRequested(trackId, qrLink);
        },
      },
    });

    const maxim = createMaxImEmulator({ db, log: log.child({ platform: "maxim" }) });
    const webqq = createWebQQEmulator({
      db,
      dataDir: join(filesDir, "webqq"),
      log: log.child({ platform: "webqq" }),
    });
    const vklive = createVkLiveEmulator({ db, log: log.child({ platform: "vklive" }) });
    // Network faults (delay, fail, rate-limit, drop) on the HTTP emulators: hooks, before they listen.
    const httpFaults = [maximHttpFaults(maxim), webqqHttpFaults(webqq), vkliveHttpFaults(vklive, db)];

    const urls = {} as SandboxUrls;
    const consoleApp = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
    const users = max.emu.repos.users;
    registerAdminApi(consoleApp, {
      max: max.admin,
      findMaxUser: (phone) => {
        const row = users.byPhone(phone);
        return (
          row && { userId: row.id, phone: row.phone, firstName: row.first_name, lastName: row.last_name }
        );
      },
      urls: () => urls,
      log: log.child({ component: "admin" }),
      // The web console takes `/`; the plain list of endpoints and calls moves here.
      indexPath: "/_sandbox/api",
    });
    registerMaxImAdmin(consoleApp, maxim.admin);
    registerWebQQAdmin(consoleApp, webqq.admin);
    registerVkLiveAdmin(consoleApp, vklive.admin);
    for (const layer of httpFaults) registerHttpFaultRoutes(consoleApp, layer);
    maxConsole = new MaxConsoleProvider(max);
    const consoleHandle = registerConsole(consoleApp, {
      providers: [
        maxConsole,
        new MaxImConsoleProvider(maxim, db, () => urls.maxim),
        new WebQQConsoleProvider(webqq, db, () => urls.webqq),
        new VkLiveConsoleProvider(vklive, db, () => urls.vklive),
      ],
      urls: () => ({ ...urls }),
    });
    const apps: Record<Exclude<Face, "max">, FastifyInstance> = {
      console: consoleApp,
      maxim: maxim.app,
      webqq: webqq.app,
      vklive: vklive.app,
    };

    const shown = urlHost(host);
    for (const [i, face] of FACES.entries()) {
      const port = base === 0 ? 0 : base + i;
      try {
        if (face === "max") {
          await max.listen(port, host);
          const actual = (max.app.server.address() as AddressInfo).port;
          urls.max = `ws://${shown}:${actual}/websocket`;
        } else {
          const app = apps[face];
          started.push(app);
          await app.listen({ port, host });
          urls[face] = `http://${shown}:${(app.server.address() as AddressInfo).port}`;
        }
      } catch (err) {
        throw listenError(err, face, port, host);
      }
    }

    let seedReport: SeedReport | null = null;
    if (seed) {
      try {
        seedReport = await applySeed(seed, { db, max, maxim, webqq, vklive });
      } catch (err) {
        if (err instanceof SeedError) throw new SandboxStartError(err.message, { cause: err });
        throw err;
      }
      for (const a of seedReport.accounts) logSeeded(log, seedReport.source, a);
    }
    const seeded = seedReport?.maxUsers ?? [];

    let closing: Promise<void> | undefined;
    const sandbox: Sandbox = {
      urls: FACES.reduce((o, f) => Object.assign(o, { [f]: urls[f] }), {} as SandboxUrls),
      seeded,
      seedReport,
      dataFile,
      filesDir,
      max,
      maxim,
      webqq,
      vklive,
      console: consoleHandle,
      close: () => {
        closing ??= cleanup();
        return closing;
      },
    };
    return sandbox;
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function logSeeded(log: Logger, source: string, a: SeededAccount): void {
  const what = `${source === "demo" ? "demo" : "seeded"} ${FACE_NAMES[a.platform]} account ${a.login}`;
  log.info(
    { platform: a.platform, id: a.id },
    `${what}${a.name !== a.login ? ` (${a.name})` : ""}${a.created ? "" : " (already there)"}`,
  );
}
