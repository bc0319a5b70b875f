/**
 * `startSandbox`: the four platforms' emulator plugins run by the plugin-driven runner
 * (emulators.ts) on the ports of DESIGN.md "Sandbox contract": console on base+0, then MAX,
 * MaxIM, WebQQ and VK Video Live on base+1..4. Only the plugins' entry files are imported here.
 */
import type { EmulatorPlugin } from "../core/emulator/plugin.js";
import { type MaxEmulatorInstance, maxEmulatorPlugin } from "../max/emulator/index.js";
import { maxbotEmulatorPlugin } from "../maxbot/emulator/index.js";
import type { UpdatesOptions as MaxBotUpdatesOptions } from "../maxbot/emulator/updates/index.js";
import type { MaxBotWorld } from "../maxbot/emulator/world.js";
import { maximEmulatorPlugin } from "../maxim/emulator/index.js";
import { vkliveEmulatorPlugin } from "../vklive/emulator/index.js";
import { webqqEmulatorPlugin } from "../webqq/emulator/index.js";
import type { SandboxUrls } from "./admin-api.js";
import {
  DEFAULT_BASE_PORT,
  DEFAULT_DATA_FILE,
  DEFAULT_HOST,
  type EmulatorsOptions,
  SandboxStartError,
  startEmulators,
} from "./emulators.js";
import type { SeedReport } from "./seed/load.js";

export type { SandboxUrls };
export { DEFAULT_BASE_PORT, DEFAULT_DATA_FILE, DEFAULT_HOST, SandboxStartError };

export interface SandboxOptions extends EmulatorsOptions {
  /** Fixed MAX SMS code (6 digits); random per request when unset. */
  smsCode?: string;
  /** MAX: close sockets silent for this long (default 90 s). */
  idleTimeoutMs?: number;
  /**
   * MAX: browser origins allowed to open the WebSocket besides `https://web.max.ru`
   * (`--allowed-origins`). Clients without an Origin (every non-browser client) are always served.
   */
  allowedOrigins?: readonly string[];
  /**
   * MAX's binary socket transport (the mobile apps', on base+6): TLS with a self-signed
   * certificate (default, fetched at `GET /_sandbox/max/socket-cert`) or plain TCP (`false`).
   */
  maxSocketTls?: boolean;
  /**
   * The Bot API emulator's update retention and webhook retry schedule (defaults: the real
   * platform's, retries every 30–60 s for up to 8 h); tests shorten them.
   */
  maxbotUpdates?: MaxBotUpdatesOptions;
}

/** Port of MAX's socket transport, counted from the base port (an extra face beyond the contract's 0..4). */
export const MAX_SOCKET_PORT_OFFSET = 6;

/** What a plugin's `create` resolves to. */
type InstanceOf<P> = P extends EmulatorPlugin<infer I> ? I : never;

/**
 * The platforms' plugins, in face (port) order: MAX, MaxIM, WebQQ, VK Live on base+1..4, then the
 * MAX Bot API on base+5, which lives in the MAX emulator's world (its users, chats and messages).
 */
export function sandboxPlugins(
  options: {
    smsCode?: string;
    idleTimeoutMs?: number;
    allowedOrigins?: readonly string[];
    maxSocketPort?: number;
    maxSocketTls?: boolean;
    maxbotUpdates?: MaxBotUpdatesOptions;
  } = {},
) {
  const max = maxEmulatorPlugin({
    ...(options.smsCode !== undefined ? { smsCode: options.smsCode } : {}),
    ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    ...(options.allowedOrigins !== undefined ? { allowedOrigins: [...options.allowedOrigins] } : {}),
    ...(options.maxSocketPort !== undefined ? { socketPort: options.maxSocketPort } : {}),
    ...(options.maxSocketTls === false ? { socketTls: false } : {}),
  });
  // The Bot API emulator gets the MAX emulator's world; the runner creates plugins in order, so
  // MAX exists by the time the Bot API's instance asks for it.
  let maxInstance: MaxEmulatorInstance | undefined;
  const maxFace: typeof max = {
    ...max,
    create(ctx) {
      maxInstance = max.create(ctx) as MaxEmulatorInstance;
      return maxInstance;
    },
  };
  const world = (): MaxBotWorld => {
    if (!maxInstance) throw new Error("the MAX emulator must be created before the MAX Bot API's");
    return maxInstance.botWorld;
  };
  return [
    maxFace,
    maximEmulatorPlugin,
    webqqEmulatorPlugin,
    vkliveEmulatorPlugin,
    maxbotEmulatorPlugin({ world, ...(options.maxbotUpdates ? { updates: options.maxbotUpdates } : {}) }),
  ] as const;
}

type Plugins = ReturnType<typeof sandboxPlugins>;

/** A MAX account of the seed (the shape the banner and tests have always used). */
export interface SeededUser {
  phone: string;
  name: string;
  userId: number;
  /** False when the account was already there (a restart on the same `--data`). */
  created: boolean;
  /** The 2FA password, if the seed gives one. */
  password?: string;
}

export interface Sandbox {
  /** The faces' URLs, plus `maxSocket` (MAX's socket transport, `tls://host:base+6`). */
  urls: SandboxUrls & { maxSocket?: string };
  /** MAX accounts of the seed, in file order (empty without a seed). */
  seeded: SeededUser[];
  /** Every platform's seeded accounts (with notes: passwords, admin tokens, live channels). */
  seedReport: SeedReport | null;
  /** Absolute database path, or null in memory mode. */
  dataFile: string | null;
  /** Where uploaded files are kept. */
  filesDir: string;
  max: InstanceOf<Plugins[0]>;
  maxim: InstanceOf<Plugins[1]>;
  webqq: InstanceOf<Plugins[2]>;
  vklive: InstanceOf<Plugins[3]>;
  /** The MAX Bot API emulator (base+5), in the MAX world. */
  maxbot: InstanceOf<Plugins[4]>;
  /** The web console's live hub (traffic log, recording switch). */
  console: Awaited<ReturnType<typeof startEmulators>>["console"];
  /** Closes every server, then the database (checkpointing the WAL). Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts every face of the sandbox on one store: the console with the admin API, and the MAX,
 * MaxIM, WebQQ and VK Live emulators. Resolves once all listen and the seed is applied.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  if (options.smsCode !== undefined && !/^\d{6}$/.test(options.smsCode)) {
    throw new SandboxStartError("--sms-code must be exactly 6 digits (MAX codes have 6)");
  }
  const { smsCode, idleTimeoutMs, allowedOrigins, maxSocketTls, maxbotUpdates, ...rest } = options;
  const base = rest.port ?? DEFAULT_BASE_PORT;
  if (base !== 0 && Number.isInteger(base) && base + MAX_SOCKET_PORT_OFFSET > 65_535) {
    throw new SandboxStartError(
      `--port must be 0 or a base port from 1 to ${65_535 - MAX_SOCKET_PORT_OFFSET}`,
    );
  }
  const plugins = sandboxPlugins({
    maxSocketPort: base === 0 ? 0 : base + MAX_SOCKET_PORT_OFFSET,
    ...(maxSocketTls !== undefined ? { maxSocketTls } : {}),
    ...(maxbotUpdates !== undefined ? { maxbotUpdates } : {}),
    ...(smsCode !== undefined ? { smsCode } : {}),
    ...(idleTimeoutMs !== undefined ? { idleTimeoutMs } : {}),
    ...(allowedOrigins !== undefined ? { allowedOrigins } : {}),
  });
  const running = await startEmulators(plugins, rest);
  const instance = <K extends keyof SandboxUrls>(platform: K) => running.instances.get(platform);
  const seeded: SeededUser[] = (running.seedReport?.accounts ?? [])
    .filter((a) => a.platform === "max")
    .map((a) => {
      const password = (a as { password?: unknown }).password;
      return {
        phone: a.login,
        name: a.name,
        userId: Number(a.id),
        created: a.created,
        ...(typeof password === "string" ? { password } : {}),
      };
    });
  return {
    urls: {
      ...(running.urls as unknown as SandboxUrls),
      ...((instance("max") as Sandbox["max"] | undefined)?.socketUrl
        ? { maxSocket: (instance("max") as Sandbox["max"]).socketUrl as string }
        : {}),
    },
    seeded,
    seedReport: running.seedReport,
    dataFile: running.dataFile,
    filesDir: running.filesDir,
    max: instance("max") as Sandbox["max"],
    maxim: instance("maxim") as Sandbox["maxim"],
    webqq: instance("webqq") as Sandbox["webqq"],
    vklive: instance("vklive") as Sandbox["vklive"],
    maxbot: running.instances.get("maxbot") as Sandbox["maxbot"],
    console: running.console,
    close: running.close,
  };
}
