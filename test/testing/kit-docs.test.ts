/**
 * docs/testing.md's first example, verbatim (only its two package imports pointed at the
 * checkout's sources), run by vitest itself in a child process as a user's test file would be:
 * all its tests must pass. The file is written under scratch/ (gitignored) so it resolves vitest
 * from the checkout's node_modules; the config is a plain object so it needs no imports.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
mkdirSync(join(root, "scratch"), { recursive: true });
const dir = mkdtempSync(join(root, "scratch", "kit-docs-"));

function example(): string {
  const doc = readFileSync(join(root, "docs/testing.md"), "utf8");
  const block = /^```ts kit-example\n([\s\S]*?)^```$/m.exec(doc)?.[1];
  if (!block) throw new Error("docs/testing.md has no kit-example block");
  for (const name of ["switchboard/bot", "switchboard/testing"])
    if (!block.includes(`"${name}"`)) throw new Error(`the kit-example no longer imports ${name}`);
  return block
    .replace('"switchboard/bot"', JSON.stringify(join(root, "src/bot/index.ts")))
    .replace('"switchboard/testing"', JSON.stringify(join(root, "src/testing/index.ts")));
}

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("docs/testing.md kit-example", () => {
  it("runs as a vitest file and every test in it passes", async () => {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "kit-example.test.ts");
    writeFileSync(file, example());
    const config = join(dir, "vitest.config.mjs");
    writeFileSync(
      config,
      `export default ${JSON.stringify({ test: { include: [file], pool: "forks", maxWorkers: 1 } })};\n`,
    );
    const child = spawn(
      join(root, "node_modules/.bin/vitest"),
      ["run", "--root", root, "--config", config, "--reporter", "verbose"],
      { cwd: root, env: { ...process.env, CI: "true", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    expect(code, output).toBe(0);
    for (const platform of ["max", "maxbot", "maxim", "webqq", "vklive"])
      expect(output, output).toContain(`the bot answers on ${platform}`);
    expect(output).toMatch(/Tests\s+5 passed \(5\)/);
  }, 180_000);
});
