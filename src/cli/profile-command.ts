/** `switchboard profile list | show [name] | remove <name>`: what `login` remembered. */
import { Command } from "commander";
import { cliAction as action } from "./errors.js";
import {
  type CliPlatform,
  checkProfileName,
  maskProfile,
  type PlatformProfile,
  profilesPath,
  readProfiles,
  removeProfile,
} from "./profile.js";

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function profileCommand(): Command {
  const profile = new Command("profile").description(
    "settings remembered by `switchboard <platform> login` (URL, app ids): list, show, remove",
  );
  profile
    .command("list")
    .description("profile names, with the platforms each one has")
    .option("--json", "one JSON object per line: {name, platforms}")
    .action(
      action(async (o: { json?: boolean }) => {
        const { profiles } = await readProfiles();
        for (const [name, p] of Object.entries(profiles)) {
          const platforms = Object.keys(p);
          out(o.json ? JSON.stringify({ name, platforms }) : `${name}  ${platforms.join(", ") || "(empty)"}`);
        }
      }),
    );
  profile
    .command("show [name]")
    .description("one profile's settings, secrets masked (default $SWITCHBOARD_PROFILE or default)")
    .option("--json", "the profile as one JSON object: {max?: {url, …}, maxim?: …}")
    .action(
      action(async (name: string | undefined, o: { json?: boolean }) => {
        const chosen = checkProfileName(name ?? process.env.SWITCHBOARD_PROFILE ?? "default");
        const shown = maskProfile((await readProfiles()).profiles[chosen] ?? {});
        if (o.json) return out(JSON.stringify(shown));
        out(`profile "${chosen}" (${profilesPath()})`);
        const entries = Object.entries(shown) as [CliPlatform, PlatformProfile][];
        if (entries.length === 0)
          out("  nothing saved yet: `switchboard <platform> login --url …` saves here");
        for (const [platform, settings] of entries) {
          out(`  ${platform}`);
          for (const [k, v] of Object.entries(settings)) out(`    ${k}: ${v}`);
        }
      }),
    );
  profile
    .command("remove <name>")
    .description("forget a profile (stored sessions and tokens stay; log out to end them)")
    .action(
      action(async (name: string) => {
        const removed = await removeProfile(checkProfileName(name));
        out(removed ? `profile "${name}" removed` : `no profile "${name}"`);
      }),
    );
  return profile;
}
