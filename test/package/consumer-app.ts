/**
 * Builds the package as a user gets it and installs it into a fresh app, without the network.
 *
 * Pack: tsc (tsconfig.build.json) into a private staging folder, not the shared dist/ (another
 * `npm run build` may be emptying dist/ at the same moment), plus the assets and every other
 * path of package.json "files"; then `npm pack --ignore-scripts` there.
 *
 * Install: the app gets a package-lock.json written from the repository's own lockfile (the
 * closure of the package's dependencies plus typescript and @types/node, each with its registry
 * tarball URL and integrity), so `npm ci --offline` takes every tarball from the npm cache that
 * the repository's `npm ci` filled: no registry request, the versions CI tested. `--ignore-scripts`
 * skips better-sqlite3's native compile (a minute or more, and node-gyp wants Node's headers);
 * the repository's compiled better_sqlite3.node (same version, checked) is copied in instead.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pkg, root } from "./entries.js";

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [key: string]: unknown;
}

const REGISTRY = "https://registry.npmjs.org";
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/** Runs a command; rejects with its output when it fails. */
export function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} ${args.join(" ")} failed (${code}):\n${output}`)),
    );
  });
}

/** Builds into `work/stage` and packs there; answers the tarball's path. */
export async function packPackage(work: string): Promise<string> {
  const stage = join(work, "stage");
  mkdirSync(stage, { recursive: true });
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  await run(
    process.execPath,
    [tsc, "-p", join(root, "tsconfig.build.json"), "--outDir", join(stage, "dist")],
    root,
  );
  await run(process.execPath, [join(root, "scripts", "copy-assets.mjs"), join(stage, "dist")], root);
  for (const path of [...pkg.files.filter((file) => file !== "dist"), "package.json", "README.md"])
    cpSync(join(root, path), join(stage, path), { recursive: true });
  await run(npm, ["pack", "--ignore-scripts", "--pack-destination", work], stage);
  const tarball = readdirSync(work).find((file) => file.endsWith(".tgz"));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${work}`);
  return join(work, tarball);
}

/** What the tarball holds, as paths inside the package ("dist/index.js", "LICENSE", …). */
export function tarballFiles(tarball: string): string[] {
  return execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean)
    .map((path) => path.replace(/^package\//, ""));
}

/** Node's lookup from `from` (a lockfile key) for package `name`: nearest node_modules upward. */
function findInLock(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let at = from; ; ) {
    const key = `${at ? `${at}/` : ""}node_modules/${name}`;
    if (packages[key]) return key;
    if (!at) return undefined;
    const cut = at.lastIndexOf("/node_modules/");
    at = cut < 0 ? "" : at.slice(0, cut);
  }
}

/**
 * A fresh app in `dir`: package.json (ES module or CommonJS), the lockfile described above, the
 * tarball beside them; then `npm ci --offline`.
 */
export async function installApp(dir: string, tarball: string, type: "module" | "commonjs"): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const file = tarball.slice(tarball.lastIndexOf("/") + 1);
  copyFileSync(tarball, join(dir, file));
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const versionOf = (name: string) => lock.packages[`node_modules/${name}`]?.version ?? "missing";
  const dependencies = {
    [pkg.name]: `file:${file}`,
    typescript: versionOf("typescript"),
    "@types/node": versionOf("@types/node"),
  };
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type, dependencies }),
  );

  const packages: Record<string, LockEntry> = {
    "": { name: "consumer", dependencies },
    [`node_modules/${pkg.name}`]: {
      version: pkg.version,
      resolved: `file:${file}`,
      integrity: `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  const queue = [...Object.keys(pkg.dependencies), "typescript", "@types/node"].map((name) =>
    findInLock(lock.packages, "", name),
  );
  while (queue.length > 0) {
    const key = queue.shift();
    if (key === undefined || packages[key]) continue;
    // dev/peer flags describe the repository's tree, not this one: npm recomputes them.
    const { dev, devOptional, peer, ...entry } = lock.packages[key]!;
    const name = key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
    // The repository's lockfile omits registry URLs (omit-lockfile-registry-resolved); without one
    // npm would ask the registry for the package document, which --offline cannot.
    if (!entry.resolved && !entry.link)
      entry.resolved = `${REGISTRY}/${name}/-/${name.split("/").pop()}-${entry.version}.tgz`;
    packages[key] = entry;
    for (const dep of Object.keys(entry.dependencies ?? {})) {
      const found = findInLock(lock.packages, key, dep);
      if (!found) throw new Error(`the lockfile has no ${dep} for ${key}`);
      queue.push(found);
    }
    for (const dep of Object.keys(entry.optionalDependencies ?? {}))
      queue.push(findInLock(lock.packages, key, dep));
  }
  writeFileSync(
    join(dir, "package-lock.json"),
    JSON.stringify({ name: "consumer", lockfileVersion: 3, requires: true, packages }, null, 2),
  );
  await run(npm, ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], dir);
  linkNativeSqlite(dir);
}

/** The repository's compiled better-sqlite3 binding, into the app's copy of the same version. */
function linkNativeSqlite(dir: string): void {
  const ours = join(root, "node_modules", "better-sqlite3");
  const theirs = join(dir, "node_modules", "better-sqlite3");
  const version = (at: string) =>
    (JSON.parse(readFileSync(join(at, "package.json"), "utf8")) as { version: string }).version;
  if (version(ours) !== version(theirs))
    throw new Error(`better-sqlite3 ${version(theirs)} in the app, ${version(ours)} built in the repository`);
  mkdirSync(join(theirs, "build", "Release"), { recursive: true });
  copyFileSync(
    join(ours, "build", "Release", "better_sqlite3.node"),
    join(theirs, "build", "Release", "better_sqlite3.node"),
  );
}
