#!/usr/bin/env node
// Run at the end of `npm run build`: every package.json `exports` target exists in dist/ and
// imports through the package's own name (self-reference resolves "switchboard/<entry>" through
// `exports`, as a user's import would). Exits 1 listing what is missing or fails to load.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const problems = [];

for (const [subpath, target] of Object.entries(pkg.exports)) {
  const specifier = subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
  const files = [target.types, target.import].filter((file) => !existsSync(new URL(file, `file://${root}`)));
  if (files.length > 0) {
    problems.push(`${specifier}: missing ${files.join(", ")}`);
    continue;
  }
  try {
    const module = await import(specifier);
    if (Object.keys(module).length === 0) problems.push(`${specifier}: exports no value`);
  } catch (error) {
    problems.push(`${specifier}: import failed: ${error instanceof Error ? error.message : error}`);
  }
}

if (problems.length > 0) {
  console.error(`package exports are broken after the build:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`package exports: ${Object.keys(pkg.exports).length} entries built and importable`);
