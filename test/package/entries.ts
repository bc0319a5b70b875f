/** The package's public entries, read from package.json `exports`, with the source file of each. */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const root = join(import.meta.dirname, "..", "..");

export interface PackageEntry {
  /** The subpath as written in `exports`: ".", "./max", "./max/emulator"… */
  subpath: string;
  /** What a user imports: "switchboard", "switchboard/max"… */
  specifier: string;
  /** The built files, relative to the package root: "./dist/max/index.js". */
  import: string;
  types: string;
  /** The TypeScript source tsc compiles to `import` (rootDir src → outDir dist), relative to root. */
  source: string;
}

interface PackageJson {
  name: string;
  version: string;
  bin: Record<string, string>;
  exports: Record<string, { types: string; import: string; default: string }>;
  engines: { node: string };
  files: string[];
  license: string;
  dependencies: Record<string, string>;
  scripts: Record<string, string>;
}

export const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as PackageJson;

export const entries: PackageEntry[] = Object.entries(pkg.exports).map(([subpath, target]) => ({
  subpath,
  specifier: subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`,
  import: target.import,
  types: target.types,
  source: target.import.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts"),
}));

/** Entries a client user imports: everything but the emulators, the sandbox and the testing kit. */
// The bot framework keeps its state in SQLite by default (DESIGN.md "Bot framework"), so
// `switchboard/bot` may load better-sqlite3; `switchboard/testing` runs a sandbox. The light
// entries are the clients and core.
const HEAVY = new Set(["./sandbox", "./bot", "./testing"]);
export const clientEntries = entries.filter(
  (entry) => !entry.subpath.endsWith("/emulator") && !HEAVY.has(entry.subpath),
);
