#!/usr/bin/env node
// Run at the end of `npm run build`: every package.json `exports` target exists in dist/ and
// loads through the package's own name (self-reference resolves "switchboard/<entry>" through
// `exports`, as a user's import would), both with `import` and with CommonJS `require()` (Node
// 20.19+ loads ES modules synchronously when their graph has no top-level await). Exits 1 listing
// what is missing or fails to load.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const problems = [];
const require = createRequire(import.meta.url);

for (const [subpath, target] of Object.entries(pkg.exports)) {
  const specifier = subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
  if (target.default !== target.import) problems.push(`${specifier}: "default" must be the "import" file`);
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
  try {
    if (Object.keys(require(specifier)).length === 0) problems.push(`${specifier}: require() gives no value`);
  } catch (error) {
    problems.push(`${specifier}: require() failed: ${error instanceof Error ? error.message : error}`);
  }
}

if (problems.length > 0) {
  console.error(`package exports are broken after the build:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(
  `package exports: ${Object.keys(pkg.exports).length} entries built; each loads with import and require()`,
);
