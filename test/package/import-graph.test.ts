/**
 * `switchboard`, `switchboard/core` and `switchboard/<platform>` must stay light: importing them
 * loads no HTTP server, no SQLite, no multipart parser and no emulator code. Walks the static
 * value-import graph of the sources (`import type` / `export type` statements are erased by tsc
 * and skipped; `import { type X }` is kept, as verbatimModuleSyntax keeps it as `import {}`) and
 * names the import chain that reaches a forbidden module.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { clientEntries, root } from "./entries.js";

const FORBIDDEN_PACKAGES = ["fastify", "better-sqlite3", "busboy"];

/** Emulator code: the platforms' emulator folders and entries, the emulator kit, the sandbox. */
function isEmulatorFile(file: string): boolean {
  return /^src\/(\w+\/emulator(\/|\.ts$)|sandbox\/)/.test(file);
}

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

function isForbiddenPackage(name: string): boolean {
  return FORBIDDEN_PACKAGES.includes(name) || name.startsWith("@fastify/");
}

/** The specifiers a file loads at run time (static imports and re-exports that tsc keeps). */
function valueImports(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      if (statement.importClause?.isTypeOnly) continue;
      if (ts.isStringLiteral(statement.moduleSpecifier)) found.push(statement.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(statement)) {
      if (statement.isTypeOnly || !statement.moduleSpecifier) continue;
      if (ts.isStringLiteral(statement.moduleSpecifier)) found.push(statement.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(statement) && !statement.isTypeOnly) {
      const reference = statement.moduleReference;
      if (ts.isExternalModuleReference(reference) && ts.isStringLiteral(reference.expression))
        found.push(reference.expression.text);
    }
  }
  return found;
}

/** A relative specifier → the source file (repo-relative), as NodeNext resolves ".js" to ".ts". */
function resolveRelative(from: string, specifier: string): string {
  const target = resolve(root, dirname(from), specifier);
  const candidates = [target.replace(/\.js$/, ".ts"), target.replace(/\.js$/, ".tsx"), target];
  const hit = candidates.find((candidate) => existsSync(candidate)) ?? candidates[0]!;
  return relative(root, hit).split("\\").join("/");
}

/** Breadth-first from `entry`: the shortest chain to each forbidden module reached, if any. */
function forbiddenChains(entry: string): string[][] {
  const parent = new Map<string, string | undefined>([[entry, undefined]]);
  const queue = [entry];
  const chains: string[][] = [];
  const chainTo = (node: string): string[] => {
    const chain: string[] = [];
    for (let at: string | undefined = node; at !== undefined; at = parent.get(at)) chain.unshift(at);
    return chain;
  };
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (file !== entry && isEmulatorFile(file)) {
      chains.push(chainTo(file));
      continue;
    }
    for (const specifier of valueImports(file)) {
      if (specifier.startsWith(".")) {
        const next = resolveRelative(file, specifier);
        if (parent.has(next)) continue;
        parent.set(next, file);
        queue.push(next);
      } else {
        const name = packageName(specifier);
        if (isForbiddenPackage(name)) chains.push([...chainTo(file), name]);
      }
    }
  }
  return chains;
}

describe("light entries load no server, SQLite or emulator code", () => {
  it("the walker finds a direct import and skips `import type`", () => {
    // Emulator code is recognised by its path; what it imports is walked from it as an entry.
    expect(isEmulatorFile("src/sandbox/index.ts")).toBe(true);
    expect(isEmulatorFile("src/max/emulator.ts")).toBe(true);
    expect(isEmulatorFile("src/max/emulator/server.ts")).toBe(true);
    expect(isEmulatorFile("src/core/emulator/plugin.ts")).toBe(true);
    expect(isEmulatorFile("src/max/emulators.ts")).toBe(false);
    expect(forbiddenChains("src/core/emulator/store.ts")).toContainEqual([
      "src/core/emulator/store.ts",
      "better-sqlite3",
    ]);
    // storage.ts imports better-sqlite3 with `import type` only.
    expect(forbiddenChains("src/core/storage.ts")).toEqual([]);
  });

  for (const entry of clientEntries) {
    it(`${entry.specifier} (${entry.source})`, () => {
      const chains = forbiddenChains(entry.source);
      const shown = chains.map((chain) => `  ${chain.join(" → ")}`).join("\n");
      expect(
        chains.length,
        `importing ${entry.specifier} reaches modules it must not load:\n${shown}\n` +
          "Import them with `import type`, or move the code behind `" +
          `${entry.specifier}/emulator\`.`,
      ).toBe(0);
    });
  }
});
