// Copies the non-TypeScript files the sandbox reads at run time into dist/ after tsc.
// `node scripts/copy-assets.mjs <outDir>` copies them into another build folder (the package test's).
import { cpSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const outDir = resolve(process.argv[2] ?? resolve(root, "dist"));

cpSync(resolve(root, "src/sandbox/console/static"), resolve(outDir, "sandbox/console/static"), {
  recursive: true,
});
cpSync(resolve(root, "src/sandbox/seed/demo.yaml"), resolve(outDir, "sandbox/seed/demo.yaml"));
