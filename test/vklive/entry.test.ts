/**
 * `switchboard/vklive` (src/vklive/index.ts) reaches no emulator code, fastify or better-sqlite3:
 * its runtime import graph (type-only imports excluded) is walked file by file. Its exports are
 * curated (no `export *`).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

function runtimeImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?[^;]*?from\s+"([^"]+)";/gms;
  for (const m of text.matchAll(re)) if (!m[2]) out.push(m[3] as string);
  for (const m of text.matchAll(/^\s*import\s+"([^"]+)";/gm)) out.push(m[1] as string);
  for (const m of text.matchAll(/import\("([^"]+)"\)/g)) out.push(m[1] as string);
  return out;
}

function graph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const file = todo.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith(".")) todo.push(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      else
        packages.add(
          spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] as string),
        );
    }
  }
  return { files, packages };
}

describe("switchboard/vklive entry", () => {
  it("loads no emulator, fastify or better-sqlite3", () => {
    const { files, packages } = graph(resolve(ROOT, "src/vklive/index.ts"));
    const rel = [...files].map((f) => f.slice(ROOT.length + 1));
    expect(rel).toContain("src/vklive/client/index.ts");
    expect(rel).toContain("src/vklive/adapter.ts");
    expect(rel.filter((f) => f.includes("/emulator"))).toEqual([]);
    expect([...packages].filter((p) => ["fastify", "better-sqlite3"].includes(p))).toEqual([]);
  });

  it("exports are curated and platform-prefixed where they would collide", async () => {
    expect(readFileSync(resolve(ROOT, "src/vklive/index.ts"), "utf8")).not.toMatch(/export \*/);
    const mod = await import("../../src/vklive/index.js");
    expect(typeof mod.VkLiveClient).toBe("function");
    expect(typeof mod.VkLiveAdapter).toBe("function");
    expect(mod.vkliveCapabilities.platform).toBe("vklive");
    for (const name of ["capabilities", "toUser", "TokenInfo", "CallOptions", "SendOptions"])
      expect(name in mod, name).toBe(false);
  });

  it("every SQL statement lives in src/vklive/emulator/store/", () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) {
          if (!path.endsWith("/emulator/store")) walk(path);
        } else if (e.name.endsWith(".ts")) {
          const text = readFileSync(path, "utf8");
          if (/\.prepare\(|\b(SELECT|INSERT INTO|UPDATE vklive_|DELETE FROM)\b/.test(text))
            offenders.push(path.slice(ROOT.length + 1));
        }
      }
    };
    walk(resolve(ROOT, "src/vklive"));
    expect(offenders).toEqual([]);
  });

  it("the emulator entry exports the plugin", async () => {
    const mod = await import("../../src/vklive/emulator.js");
    expect(mod.vkliveEmulatorPlugin.platform).toBe("vklive");
    expect(mod.vkliveEmulatorPlugin.store).toBe(mod.vkliveStoreModule);
  });
});
