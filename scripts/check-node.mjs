#!/usr/bin/env node
// Fails (exit 1, one clear line) when the running Node is outside package.json's engines.node.
// Run first by `npm test` (pretest). Written in plain old JavaScript so that it runs, and explains,
// on the old Node versions it exists to reject.
// SWITCHBOARD_CHECK_NODE_VERSION overrides the version checked (for its own test).
// Understands the range forms engines.node uses: "^X.Y.Z", ">=X.Y.Z", joined by "||".
import { readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const range = pkg.engines.node;

function parse(version) {
  const parts = String(version).replace(/^v/, "").split(".").map(Number);
  return [parts[0] || 0, parts[1] || 0, parts[2] || 0];
}

function compare(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function satisfies(version, spec) {
  const v = parse(version);
  return spec.split("||").some((alternative) => {
    const part = alternative.trim();
    if (part.startsWith(">=")) return compare(v, parse(part.slice(2))) >= 0;
    if (part.startsWith("^")) {
      const min = parse(part.slice(1));
      return v[0] === min[0] && compare(v, min) >= 0;
    }
    throw new Error(`check-node: unsupported engines.node range "${part}" (use ^X.Y.Z or >=X.Y.Z)`);
  });
}

const version = process.env.SWITCHBOARD_CHECK_NODE_VERSION || process.version;
if (!satisfies(version, range)) {
  console.error(
    `switchboard needs Node ${range} (package.json engines.node); this is Node ${version}. ` +
      "Install a newer Node (20.19+ or 22.12+) and run again.",
  );
  process.exit(1);
}
