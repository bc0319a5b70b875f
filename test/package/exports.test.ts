/**
 * The package's shape: every `exports` entry has its source (so `npm run build`, rootDir src →
 * outDir dist, produces it; scripts/check-exports.mjs checks the built files and imports each
 * one at the end of the build), the expected entries are all there, and `npm test` refuses a Node
 * below engines.node.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { entries, pkg, root } from "./entries.js";

const PLATFORMS = ["max", "maxim", "webqq", "vklive", "maxbot"];

describe("package exports", () => {
  it("has the root, core, sandbox, bot, testing and a client and an emulator entry per platform", () => {
    expect(entries.map((entry) => entry.subpath).sort()).toEqual(
      [
        ".",
        "./core",
        "./sandbox",
        "./bot",
        "./testing",
        ...PLATFORMS.flatMap((p) => [`./${p}`, `./${p}/emulator`]),
      ].sort(),
    );
  });

  it("maps every entry to dist/<x>.js and dist/<x>.d.ts built from src/<x>.ts", () => {
    const build = JSON.parse(readFileSync(join(root, "tsconfig.build.json"), "utf8"));
    expect(build.compilerOptions).toMatchObject({ rootDir: "src", outDir: "dist", declaration: true });
    const missing = entries.filter((entry) => !existsSync(join(root, entry.source)));
    expect(
      missing.map((entry) => `${entry.specifier}: ${entry.source}`),
      "these exports have no source file, so the build cannot produce them",
    ).toEqual([]);
    for (const entry of entries) expect(entry.types).toBe(entry.import.replace(/\.js$/, ".d.ts"));
  });

  it("every entry loads with import and require() from the same file, types first", () => {
    for (const entry of entries) {
      const target = pkg.exports[entry.subpath]!;
      expect(Object.keys(target), entry.specifier).toEqual(["types", "import", "default"]);
      expect(target.default, entry.specifier).toBe(target.import);
    }
  });

  it("publishes dist, bin, the docs and the license, and the build checks the exports it produced", () => {
    expect(pkg.files).toEqual(["dist", "bin", "docs", "LICENSE"]);
    expect(pkg.license).toBe("MIT");
    expect(readFileSync(join(root, "LICENSE"), "utf8")).toContain(
      "Copyright (c) 2026 Switchboard contributors",
    );
    expect(pkg.scripts.build).toMatch(/node scripts\/check-exports\.mjs$/);
  });
});

describe("engines.node", () => {
  const check = join(root, "scripts", "check-node.mjs");
  const run = (version: string) =>
    spawnSync(process.execPath, [check], {
      env: { ...process.env, SWITCHBOARD_CHECK_NODE_VERSION: version },
      encoding: "utf8",
    });

  it("is checked first by npm test", () => {
    expect(pkg.scripts.pretest).toMatch(/^node scripts\/check-node\.mjs && /);
  });

  it("accepts the running Node", () => {
    expect(() => execFileSync(process.execPath, [check], { env: { ...process.env } })).not.toThrow();
  });

  it("accepts the minimum versions and rejects what is below them with a clear message", () => {
    for (const version of ["v20.19.0", "v20.20.2", "v22.12.0", "v24.0.0"])
      expect(run(version).status, version).toBe(0);
    for (const version of ["v20.15.0", "v20.18.3", "v21.7.3", "v22.11.0", "v18.20.4"]) {
      const result = run(version);
      expect(result.status, version).toBe(1);
      expect(result.stderr).toContain(`switchboard needs Node ${pkg.engines.node}`);
      expect(result.stderr).toContain(`this is Node ${version}`);
    }
  });
});
