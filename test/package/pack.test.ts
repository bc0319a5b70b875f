/**
 * The package as a newcomer meets it (issue 18): `npm pack`, install the tarball into a fresh
 * strict TypeScript app, one ES module app and one CommonJS app ("strict", "skipLibCheck": false,
 * "exactOptionalPropertyTypes"), type-check every entry and the docs' own quick starts with the
 * installed TypeScript (which also emits what is run), run them against the installed package's
 * sandbox twice, restart the sandbox on the same ports (a new --memory world: every stored
 * session is now stale) and run them again. How the package is built and installed without the network: consumer-app.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeRun, type RunningSandbox, runNode, startSandbox } from "../examples/sandbox-process.js";
import { installApp, packPackage, run, tarballFiles } from "./consumer-app.js";
import { entries, pkg } from "./entries.js";
import { asCommonJs, docsQuickStarts } from "./quickstarts.js";

/** What each guide's quick start prints when it worked. */
const SUCCESS: Record<string, RegExp> = {
  max: /^MAX: user \d+ sent message \d+ to chat \d+$/m,
  maxim: /^MaxIM: user \d+ \(quickstart\) logged in and got a welcome message$/m,
  webqq: /^WebQQ: sent a message to \S+$/m,
  vklive: /^VK Live: sent a chat message to pixel_streamer$/m,
  maxbot: /^MAX Bot API: .+ answered message_created:mid\.[0-9a-f]+$/m,
};
const RUN_LIMIT_MS = 60_000;

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "nodenext",
    strict: true,
    skipLibCheck: false,
    exactOptionalPropertyTypes: true,
    types: ["node"],
    outDir: "out",
  },
  include: ["*.ts"],
};

const work = mkdtempSync(join(tmpdir(), "switchboard-pack-"));
const apps = { esm: join(work, "esm-app"), cjs: join(work, "cjs-app") };
const quickStarts = docsQuickStarts();
let tarball = "";
let sandbox: RunningSandbox | undefined;

/** Every entry imported once, so the type check reads every published .d.ts. */
function everyEntry(): string {
  return entries
    .map((entry, i) => `import * as entry${i} from "${entry.specifier}";\nconsole.log(typeof entry${i});`)
    .join("\n");
}

/** The sandbox of the installed package on a base port it picks (retried if a port is taken). */
async function startOnFreshBase(): Promise<{ sandbox: RunningSandbox; base: number }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 8; attempt++) {
    const base = 20_000 + 5 * Math.floor(Math.random() * 8_000);
    try {
      return { sandbox: await startInstalled(base), base };
    } catch (error) {
      lastError = error;
      if (!String(error).includes("already in use")) throw error;
    }
  }
  throw lastError;
}

function startInstalled(base: number): Promise<RunningSandbox> {
  const bin = join(apps.esm, "node_modules", pkg.name, pkg.bin.switchboard!);
  return startSandbox(bin, ["--port", String(base), "--memory", "--seed", "demo"], apps.esm);
}

async function runQuickStarts(app: string, round: string): Promise<void> {
  for (const { doc } of quickStarts) {
    const result = await runNode([join("out", `${doc}.js`)], app, sandbox!.env, RUN_LIMIT_MS);
    const what = `${round}: the ${doc} quick start in ${app}`;
    expect(result.code, describeRun(what, result)).toBe(0);
    expect(result.stdout, describeRun(what, result)).toMatch(SUCCESS[doc]!);
  }
}

beforeAll(async () => {
  tarball = await packPackage(work);
  await Promise.all([installApp(apps.esm, tarball, "module"), installApp(apps.cjs, tarball, "commonjs")]);
  for (const [app, flavour] of [
    [apps.esm, "esm"],
    [apps.cjs, "cjs"],
  ] as const) {
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
    writeFileSync(join(app, "entries.ts"), everyEntry());
    for (const { doc, code } of quickStarts)
      writeFileSync(join(app, `${doc}.ts`), flavour === "esm" ? code : asCommonJs(code));
  }
}, 900_000);

afterAll(async () => {
  await sandbox?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("the packed package in a fresh strict app", () => {
  it("holds the build, the bin, the docs and the license", () => {
    const files = tarballFiles(tarball);
    for (const path of ["LICENSE", "README.md", "bin/switchboard.js", "dist/sandbox/seed/demo.yaml"])
      expect(files).toContain(path);
    for (const doc of ["max", "maxim", "webqq", "vklive", "sandbox"])
      expect(files).toContain(`docs/${doc}.md`);
    for (const entry of entries) {
      expect(files).toContain(entry.import.slice(2));
      expect(files).toContain(entry.types.slice(2));
    }
  });

  it("has one quick start per platform guide", () => {
    expect(quickStarts.map((q) => q.doc)).toEqual(["max", "maxbot", "maxim", "vklive", "webqq"]);
  });

  for (const flavour of ["esm", "cjs"] as const) {
    it(`type-checks every entry and the quick starts (${flavour}, strict, skipLibCheck false)`, async () => {
      const tsc = join(apps[flavour], "node_modules", "typescript", "bin", "tsc");
      // run() rejects with tsc's diagnostics when there is any.
      await expect(run(process.execPath, [tsc, "-p", "."], apps[flavour])).resolves.toBe("");
    }, 600_000);
  }

  it("runs every quick start twice, in both apps, then again after a sandbox restart", async () => {
    const started = await startOnFreshBase();
    sandbox = started.sandbox;
    // One app after the other: both log in the same demo accounts, and a WebQQ login ends the
    // account's other session ("logged in elsewhere"), as on the real service.
    for (const app of [apps.esm, apps.cjs])
      for (const round of ["first run", "second run"]) await runQuickStarts(app, round);

    expect(await sandbox.stop()).toBe(0);
    sandbox = await startInstalled(started.base); // same URLs, a new world: stored logins are stale
    for (const app of [apps.esm, apps.cjs]) await runQuickStarts(app, "after the restart");
  }, 600_000);
});
