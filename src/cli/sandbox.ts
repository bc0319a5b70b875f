import { resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { createLogger } from "../core/log.js";
import {
  DEFAULT_BASE_PORT,
  DEFAULT_DATA_FILE,
  DEFAULT_HOST,
  type Sandbox,
  SandboxStartError,
  startSandbox,
} from "../sandbox/index.js";
import { banner } from "./banner.js";
import { watchParent } from "./parent-watch.js";

interface SandboxFlags {
  port: number;
  host: string;
  data?: string;
  memory?: boolean;
  seed: string;
  smsCode?: string;
  allowedHosts?: string[];
  allowedOrigins?: string[];
  maxKeepalive: number;
  json?: boolean;
  logLevel: string;
  verbose?: boolean;
  /** False with --no-exit-with-parent. */
  exitWithParent: boolean;
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
/** If closing hangs (a stuck socket), don't hang the terminal with it. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 86_400) {
    throw new InvalidArgumentError("expected whole seconds from 1 to 86400");
  }
  return n;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_531)
    throw new InvalidArgumentError("expected 0 or a port number up to 65531");
  return n;
}

/** `--seed`: demo, none, or a seed file (checked in full at start, before anything listens). */
function parseSeed(value: string): string {
  if (value === "demo" || value === "none") return value;
  if (!/\.ya?ml$/i.test(value))
    throw new InvalidArgumentError(
      "expected demo, none or a path to a .yaml/.yml seed file (see docs/seeds.md)",
    );
  return resolve(value);
}

function parseSmsCode(value: string): string {
  if (!/^\d{6}$/.test(value)) throw new InvalidArgumentError("expected exactly 6 digits, e.g. 123456");
  return value;
}

/** A comma-separated list; repeating the flag adds to it. */
function commaList(check: (item: string) => string) {
  return (value: string, previous: string[] | undefined): string[] => {
    const items = value
      .split(",")
      .map((v) => v.trim())
      .filter((v) => v !== "");
    if (items.length === 0) throw new InvalidArgumentError("expected a comma-separated list");
    return [...(previous ?? []), ...items.map(check)];
  };
}

/** `--allowed-hosts`: host names or addresses, optionally with a port (`[v6]` in brackets). */
const parseHosts = commaList((item) => {
  if (!/^(\[[0-9a-f:.]+\]|[a-z0-9._-]+|[0-9a-f:]+)(:\d{1,5})?$/i.test(item))
    throw new InvalidArgumentError(
      `"${item}" is not a host name or address (e.g. sandbox.lan or 192.168.1.5)`,
    );
  return item.toLowerCase();
});

/** `--allowed-origins`: browser origins, scheme://host[:port] with no path. */
const parseOrigins = commaList((item) => {
  let url: URL | undefined;
  try {
    url = new URL(item);
  } catch {
    url = undefined;
  }
  if (
    !url ||
    !/^https?:$/.test(url.protocol) ||
    item.replace(/\/$/, "").toLowerCase() !== url.origin.toLowerCase()
  )
    throw new InvalidArgumentError(`"${item}" is not an origin (e.g. http://localhost:3000)`);
  return url.origin;
});

export function sandboxCommand(): Command {
  return new Command("sandbox")
    .description("run every platform emulator and the admin API on local ports")
    .option(
      "--port <base>",
      "base port: console, MAX, MaxIM, WebQQ, VK Live on base+0..4 (0 = random free ports)",
      parsePort,
      DEFAULT_BASE_PORT,
    )
    .option("--host <host>", "interface to listen on", DEFAULT_HOST)
    .addOption(
      new Option(
        "--data <file>",
        `SQLite database file; uploads go in a files/ folder beside it (default: ${DEFAULT_DATA_FILE})`,
      ).conflicts("memory"),
    )
    .option("--memory", "keep everything in memory (uploads in a temp dir removed on exit)")
    .option(
      "--seed <demo|none|file.yaml>",
      "initial data: the demo world, nothing, or a seed file (format: docs/seeds.md)",
      parseSeed,
      "none",
    )
    .option(
      "--sms-code <digits>",
      "fixed MAX SMS code for scripts (default: random per request)",
      parseSmsCode,
    )
    .option(
      "--allowed-hosts <hosts>",
      "host names the console and admin API also answer, comma-separated (besides localhost, 127.0.0.1, [::1] and --host); other Host headers get 403",
      parseHosts,
    )
    .option(
      "--allowed-origins <origins>",
      "browser origins that may open the MAX WebSocket besides https://web.max.ru, comma-separated (e.g. http://localhost:3000)",
      parseOrigins,
    )
    .option(
      "--max-keepalive <seconds>",
      "MAX: close connections that send no keepalive (opcode 1) for this long",
      parseSeconds,
      90,
    )
    .option("--json", "print the endpoints as one JSON line on stdout once everything listens")
    .addOption(
      new Option("--log-level <level>", "log level (logs go to stderr)").choices(LOG_LEVELS).default("info"),
    )
    .option("--verbose", "log everything (--log-level debug)")
    .option(
      "--no-exit-with-parent",
      "keep running when the process that started it goes away (default: shut down, so a killed `npx … &` leaves no orphan)",
    )
    .action(async (flags: SandboxFlags) => {
      await runSandbox(flags);
    });
}

async function runSandbox(flags: SandboxFlags): Promise<void> {
  const level = flags.verbose && flags.logLevel === "info" ? "debug" : flags.logLevel;
  const log = createLogger({ level, name: "sandbox" });
  const data = flags.memory ? null : resolve(flags.data ?? DEFAULT_DATA_FILE);
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({
      port: flags.port,
      host: flags.host,
      data,
      seed: flags.seed,
      smsCode: flags.smsCode,
      idleTimeoutMs: flags.maxKeepalive * 1000,
      ...(flags.allowedHosts ? { allowedHosts: flags.allowedHosts } : {}),
      ...(flags.allowedOrigins ? { allowedOrigins: flags.allowedOrigins } : {}),
      log,
    });
  } catch (err) {
    if (!(err instanceof SandboxStartError)) throw err;
    process.stderr.write(`switchboard sandbox: ${err.message}\n`);
    process.exit(1);
  }

  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${why}, shutting down`);
    setTimeout(() => {
      process.stderr.write("switchboard sandbox: shutdown took too long, exiting\n");
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    sandbox.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
    process.on(signal, () => stop(`${signal} received`));
  if (flags.exitWithParent) watchParent((reason) => stop(reason));

  if (flags.json) process.stdout.write(`${JSON.stringify(sandbox.urls)}\n`);
  else process.stdout.write(banner(sandbox, flags, log));
}
