/**
 * Profiles: what `switchboard <platform> login` remembers so later commands need no flags —
 * the server URL and the non-secret settings of each platform (MaxIM app id, VK Live client
 * id …). One JSON file `$XDG_CONFIG_HOME/switchboard/profiles.json` (else ~/.config/…),
 * `{version: 1, profiles: {name: {max?, maxim?, webqq?, vklive?}}}`, written atomically with
 * mode 0600: it sits next to the credential files and may hold a VK Live client secret.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../core/credentials.js";
import { CliError } from "./errors.js";

export type CliPlatform = "max" | "maxim" | "webqq" | "vklive" | "maxbot";

/** One platform's remembered settings; every value a string, keys in camelCase like the flags. */
export type PlatformProfile = Record<string, string>;

export type Profile = Partial<Record<CliPlatform, PlatformProfile>>;

interface ProfileFile {
  version: 1;
  profiles: Record<string, Profile>;
}

/** Setting names whose values are secrets: never printed, masked by `switchboard profile show`. */
export const SECRET_SETTINGS = new Set(["clientSecret", "token", "password"]);

/** The folder of every file the CLI keeps: the XDG config folder, else ~/.config. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "switchboard");
}

export function profilesPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), "profiles.json");
}

const PROFILE_NAME = /^[A-Za-z0-9._-]{1,64}$/;

export function checkProfileName(name: string): string {
  if (!PROFILE_NAME.test(name))
    throw new CliError(`invalid profile name "${name}": use letters, digits, ".", "_" or "-" (up to 64)`);
  return name;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Keeps only what a profile may hold (string settings under known platforms), so a hand edit never crashes. */
function cleanProfile(value: unknown): Profile {
  const profile: Profile = {};
  if (!isRecord(value)) return profile;
  for (const platform of ["max", "maxim", "webqq", "vklive", "maxbot"] as const) {
    const section = value[platform];
    if (!isRecord(section)) continue;
    const kept: PlatformProfile = {};
    for (const [k, v] of Object.entries(section)) if (typeof v === "string") kept[k] = v;
    profile[platform] = kept;
  }
  return profile;
}

export async function readProfiles(path = profilesPath()): Promise<ProfileFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, profiles: {} };
    throw new CliError(`cannot read the profile file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`the profile file ${path} is not valid JSON: fix it or delete it and log in again`);
  }
  const profiles: Record<string, Profile> = {};
  const raw = isRecord(parsed) && isRecord(parsed.profiles) ? parsed.profiles : {};
  for (const [name, value] of Object.entries(raw)) profiles[name] = cleanProfile(value);
  return { version: 1, profiles };
}

export async function loadProfile(name: string, path = profilesPath()): Promise<Profile> {
  return (await readProfiles(path)).profiles[name] ?? {};
}

/**
 * Merges `settings` into one platform of one profile (undefined values are left out) and
 * writes the file atomically, 0600.
 */
export async function saveProfile(
  name: string,
  platform: CliPlatform,
  settings: Record<string, string | undefined>,
  path = profilesPath(),
): Promise<void> {
  const file = await readProfiles(path);
  const profile = file.profiles[name] ?? {};
  const section = { ...profile[platform] };
  for (const [k, v] of Object.entries(settings)) if (v !== undefined) section[k] = v;
  profile[platform] = section;
  file.profiles[name] = profile;
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
}

/** Deletes a whole profile; false when there was none. */
export async function removeProfile(name: string, path = profilesPath()): Promise<boolean> {
  const file = await readProfiles(path);
  if (!(name in file.profiles)) return false;
  delete file.profiles[name];
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
  return true;
}

/** A profile fit to print: secrets replaced by "(set)". */
export function maskProfile(profile: Profile): Profile {
  const out: Profile = {};
  for (const [platform, section] of Object.entries(profile) as [CliPlatform, PlatformProfile][]) {
    out[platform] = Object.fromEntries(
      Object.entries(section).map(([k, v]) => [k, SECRET_SETTINGS.has(k) ? "(set)" : v]),
    );
  }
  return out;
}
