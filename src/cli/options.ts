/**
 * One flag and environment scheme for the four platform commands:
 *   --url / $SWITCHBOARD_<P>_URL, --profile / $SWITCHBOARD_PROFILE, --json, --verbose,
 *   and each setting --foo-bar / $SWITCHBOARD_<P>_FOO_BAR.
 * A value comes from the flag, else the environment, else the profile (what `login` saved),
 * else the default (production). Older flags and variables keep working as aliases.
 */
import { type Command, Option } from "commander";
import { createLogger, type Logger } from "../core/log.js";
import { CliError, type CliTarget, setCliTarget, setVerbose } from "./errors.js";
import { type CliPlatform, checkProfileName, loadProfile, type Profile } from "./profile.js";

export interface CommonFlags {
  url?: string;
  profile?: string;
  json?: boolean;
  verbose?: boolean;
  /** Legacy aliases of --url: `--endpoint` (maxim, webqq), `--base-url` (vklive). */
  endpoint?: string;
  baseUrl?: string;
}

interface PlatformInfo {
  title: string;
  /** What the URL is, for --help. */
  urlHelp: string;
  /** Production URL; undefined for WebQQ, whose client picks its several production hosts. */
  production: string | undefined;
  productionName: string;
  protocols: string[];
  /** The sandbox --json key holding this platform's URL. */
  sandboxKey: string;
  login: string;
  legacyUrlFlag?: "endpoint" | "baseUrl";
  /** Older environment variables, read after the SWITCHBOARD_ ones: setting → names. */
  legacyEnv: Record<string, string[]>;
}

export const PLATFORMS: Record<CliPlatform, PlatformInfo> = {
  max: {
    title: "MAX",
    urlHelp: "MAX WebSocket URL (a sandbox's: ws://127.0.0.1:8701/websocket)",
    production: "wss://ws-api.oneme.ru/websocket",
    productionName: "wss://ws-api.oneme.ru/websocket",
    protocols: ["ws:", "wss:"],
    sandboxKey: "max",
    login: "switchboard max login",
    legacyEnv: {},
  },
  maxim: {
    title: "MaxIM",
    urlHelp: "MaxIM api_endpoint (a sandbox's: http://127.0.0.1:8702)",
    production: "https://api.maximtop.com",
    productionName: "https://api.maximtop.com",
    protocols: ["http:", "https:"],
    sandboxKey: "maxim",
    login: "switchboard maxim login",
    legacyUrlFlag: "endpoint",
    legacyEnv: { url: ["MAXIM_ENDPOINT"], appId: ["MAXIM_APP_ID"], token: ["MAXIM_ACCESS_TOKEN"] },
  },
  webqq: {
    title: "WebQQ",
    urlHelp: "one origin for every WebQQ host (a sandbox's: http://127.0.0.1:8703)",
    production: undefined,
    productionName: "the production WebQQ hosts (*.qq.com)",
    protocols: ["http:", "https:"],
    sandboxKey: "webqq",
    login: "switchboard webqq login",
    legacyUrlFlag: "endpoint",
    legacyEnv: { url: ["WEBQQ_ENDPOINT"], password: ["WEBQQ_PASSWORD"] },
  },
  vklive: {
    title: "VK Live",
    urlHelp: "VK Video Live DevAPI base URL (a sandbox's: http://127.0.0.1:8704)",
    production: "https://apidev.live.vkvideo.ru",
    productionName: "https://apidev.live.vkvideo.ru",
    protocols: ["http:", "https:"],
    sandboxKey: "vklive",
    login: "switchboard vklive login",
    legacyUrlFlag: "baseUrl",
    legacyEnv: {
      url: ["VKLIVE_BASE_URL"],
      clientId: ["VKLIVE_CLIENT_ID"],
      clientSecret: ["VKLIVE_CLIENT_SECRET"],
      redirectUri: ["VKLIVE_REDIRECT_URI"],
      token: ["VKLIVE_ACCESS_TOKEN"],
    },
  },
  maxbot: {
    title: "MAX Bot API",
    urlHelp: "MAX Bot API base URL (a sandbox's: http://127.0.0.1:8705)",
    production: "https://platform-api2.max.ru",
    productionName: "https://platform-api2.max.ru",
    protocols: ["http:", "https:"],
    sandboxKey: "maxbot",
    login: "switchboard maxbot login",
    legacyEnv: { token: ["MAX_BOT_TOKEN"] },
  },
};

/** `clientSecret` → `SWITCHBOARD_VKLIVE_CLIENT_SECRET`. */
export function envName(platform: CliPlatform, setting: string): string {
  return `SWITCHBOARD_${platform.toUpperCase()}_${setting.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** Adds --url (with its legacy alias), --profile, --json and --verbose to a platform command. */
export function withCommon(cmd: Command, platform: CliPlatform): Command {
  const info = PLATFORMS[platform];
  cmd
    .option(
      "--url <url>",
      `${info.urlHelp}; default $${envName(platform, "url")}, the profile's, else production`,
    )
    .option(
      "--profile <name>",
      "profile to read settings from and save them to (default $SWITCHBOARD_PROFILE or default)",
    )
    .option("--json", "machine output: the shape documented in docs/cli.md")
    .option("--verbose", "log to stderr and show error details");
  if (info.legacyUrlFlag === "endpoint")
    cmd.addOption(new Option("--endpoint <url>", "same as --url").hideHelp());
  if (info.legacyUrlFlag === "baseUrl")
    cmd.addOption(new Option("--base-url <url>", "same as --url").hideHelp());
  return cmd;
}

/** Everything a platform command needs to know about where it talks and with which settings. */
export interface Resolved {
  platform: CliPlatform;
  profileName: string;
  profile: Profile;
  /** undefined = the client's production default. */
  url: string | undefined;
  target: CliTarget;
  log: Logger;
  json: boolean;
  verbose: boolean;
  /** A setting by the scheme: flag value (passed in), env, legacy env, profile. */
  setting(name: string, flagValue?: string): string | undefined;
}

function checkUrl(platform: CliPlatform, url: string, source: string): string {
  const info = PLATFORMS[platform];
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !info.protocols.includes(parsed.protocol)) {
    const shown = url === "" ? "an empty string" : `"${url}"`;
    throw new CliError(
      `invalid ${info.title} URL: ${shown} (from ${source}): expected ${info.protocols.map((p) => `${p}//`).join(" or ")}…, e.g. the "${info.sandboxKey}" value of \`switchboard sandbox --json\``,
    );
  }
  return url;
}

/** Applies the precedence flag > env > profile > default, records the target for error messages. */
export async function resolve(
  platform: CliPlatform,
  o: CommonFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Resolved> {
  const info = PLATFORMS[platform];
  const verbose = o.verbose === true;
  setVerbose(verbose);
  const profileName = checkProfileName(o.profile ?? env.SWITCHBOARD_PROFILE ?? "default");
  const profile = await loadProfile(profileName);
  const fromEnv = (setting: string): [string, string] | undefined => {
    for (const name of [envName(platform, setting), ...(info.legacyEnv[setting] ?? [])]) {
      const v = env[name];
      if (v !== undefined && v !== "") return [v, `$${name}`];
    }
    return undefined;
  };
  const setting = (name: string, flagValue?: string): string | undefined =>
    flagValue ?? fromEnv(name)?.[0] ?? profile[platform]?.[name];

  const flagUrl = o.url ?? (info.legacyUrlFlag ? o[info.legacyUrlFlag] : undefined);
  const legacyFlag = info.legacyUrlFlag === "endpoint" ? "--endpoint" : "--base-url";
  const candidates: [string | undefined, string][] = [
    [flagUrl, o.url !== undefined ? "--url" : legacyFlag],
    fromEnv("url") ?? [undefined, ""],
    [profile[platform]?.url, `profile "${profileName}"`],
  ];
  const found = candidates.find(([v]) => v !== undefined);
  const url = found ? checkUrl(platform, found[0] as string, found[1]) : undefined;
  const target: CliTarget = {
    title: info.title,
    url: url ?? info.productionName,
    source: found
      ? found[1]
      : `the default: no --url, $${envName(platform, "url")} or profile "${profileName}" URL`,
    production: url === undefined || url === info.production,
    login: info.login,
  };
  setCliTarget(target);
  return {
    platform,
    profileName,
    profile,
    url,
    target,
    json: o.json === true,
    verbose,
    setting,
    log: cliLogger(verbose, `switchboard-${platform}`),
  };
}

/** Logs only with --verbose (to stderr; level $SWITCHBOARD_LOG_LEVEL or debug); silent otherwise. */
export function cliLogger(verbose: boolean, name: string): Logger {
  return createLogger({ name, level: verbose ? (process.env.SWITCHBOARD_LOG_LEVEL ?? "debug") : "silent" });
}

/** Requires a setting, naming every way to give it. */
export function required(r: Resolved, name: string, flag: string, value: string | undefined): string {
  if (value !== undefined && value !== "") return value;
  throw new CliError(
    `${PLATFORMS[r.platform].title} needs ${flag}: pass it, set $${envName(r.platform, name)}, or save it in profile "${r.profileName}" with \`${PLATFORMS[r.platform].login} ${flag} …\``,
  );
}

/** Writes one result: JSON on one line with --json, else the human text (lines). */
export function emit(r: { json: boolean }, json: unknown, human: string | string[]): void {
  if (r.json) process.stdout.write(`${JSON.stringify(json)}\n`);
  else {
    const lines = Array.isArray(human) ? human : [human];
    for (const l of lines) process.stdout.write(`${l}\n`);
  }
}

/** Human-readable size: 512 B, 195.3 KB, 12.4 MB, 1.1 GB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
