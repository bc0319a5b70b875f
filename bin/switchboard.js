#!/usr/bin/env node
// From a checkout (src/ present, dev dependencies installed): runs the CLI straight from the
// TypeScript sources through tsx, from any cwd, with no build step.
// An installed package (no src/, no tsx: tsx is a dev dependency) runs the compiled dist/.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "src", "cli", "main.ts");
const built = join(root, "dist", "cli", "main.js");

async function loadTsx() {
  try {
    return await import("tsx/esm/api");
  } catch (error) {
    if (error?.code === "ERR_MODULE_NOT_FOUND") return undefined;
    throw error;
  }
}

const tsx = existsSync(source) ? await loadTsx() : undefined;
if (tsx) {
  tsx.register({ tsconfig: join(root, "tsconfig.json") });
  await import(pathToFileURL(source).href);
} else if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  console.error(
    "switchboard: neither tsx (a dev dependency: run `npm install`) nor a build (`npm run build`) is available",
  );
  process.exit(1);
}
