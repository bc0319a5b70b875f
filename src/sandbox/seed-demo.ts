import { fileURLToPath } from "node:url";
import { type LoadedSeed, loadSeedFile } from "./seed/load.js";

/** What `--seed` takes: `demo`, `none`, or a path to a .yaml/.yml seed file. */
export type SeedName = "demo" | "none";

/** The demo world (`--seed demo`), shipped as a seed file beside the seed code. */
export const DEMO_SEED_FILE = fileURLToPath(new URL("./seed/demo.yaml", import.meta.url));

/** The demo MAX accounts; phones are in the +7 900 000-00-0x range nobody owns. */
export const DEMO_MAX_USERS = [
  { phone: "+79000000001", firstName: "Анна", lastName: "Смирнова", password: "anna-2fa" },
  { phone: "+79000000002", firstName: "Борис", lastName: "Иванов" },
  { phone: "+79000000003", firstName: "Светлана", lastName: "Кузнецова" },
  { phone: "+79000000004", firstName: "Дмитрий", lastName: "Орлов" },
] as const satisfies readonly { phone: string; firstName: string; lastName: string; password?: string }[];

/** Reads the demo seed (the file ships with the package); its sections are checked at start. */
export function loadDemoSeed(): LoadedSeed {
  return { ...loadSeedFile(DEMO_SEED_FILE), source: "demo" };
}

/**
 * The seed a `--seed` value names: `demo`, `none` (undefined), a path to a .yaml/.yml file, or
 * an already loaded seed. Throws SeedError for an unreadable file or one that isn't YAML.
 */
export function resolveSeed(seed: string | LoadedSeed | undefined): LoadedSeed | undefined {
  if (seed === undefined || seed === "none") return undefined;
  if (typeof seed !== "string") return seed;
  if (seed === "demo") return loadDemoSeed();
  return loadSeedFile(seed);
}
