/**
 * The `maxbot:` section of a sandbox seed file: bots by username, with a given token or a new
 * one shown once; applying it again on the same database creates nothing twice and keeps the
 * given token working. A malformed section is refused before anything starts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/runner.js";

const dir = mkdtempSync(join(tmpdir(), "maxbot-seed-"));
const data = join(dir, "sandbox.db");
const seedFile = join(dir, "seed.yaml");
const TOKEN = "seeded_bot_token_0123456789";
let sandbox: Sandbox | undefined;

writeFileSync(
  seedFile,
  [
    "maxbot:",
    "  bots:",
    "    - name: Seeded bot",
    "      username: seeded_bot",
    `      token: ${TOKEN}`,
    "    - name: Fresh bot",
    "      username: fresh_bot",
    "",
  ].join("\n"),
);

async function me(base: string, token: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}/me`, { headers: { Authorization: token } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

afterAll(async () => {
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("maxbot seed section", () => {
  it("creates the bots once; the seed's token works, a fresh one is reported once", async () => {
    sandbox = await startSandbox({ port: 0, data, seed: seedFile, maxSocketTls: false });
    const urls = sandbox.urls as typeof sandbox.urls & { maxbot: string };
    const first = (sandbox.seedReport?.accounts ?? []).filter((a) => a.platform === "maxbot");
    expect(first.map((a) => [a.login, a.created])).toEqual([
      ["seeded_bot", true],
      ["fresh_bot", true],
    ]);
    expect(first[0]?.notes ?? []).toEqual([]);
    const freshToken = first[1]?.notes?.[0]?.replace(/^token /, "") ?? "";
    expect(freshToken.length).toBeGreaterThan(16);
    expect((await me(urls.maxbot, TOKEN)).body).toMatchObject({ username: "seeded_bot", is_bot: true });
    expect((await me(urls.maxbot, freshToken)).body).toMatchObject({ username: "fresh_bot" });
    await sandbox.close();

    sandbox = await startSandbox({ port: 0, data, seed: seedFile, maxSocketTls: false });
    const again = (sandbox.seedReport?.accounts ?? []).filter((a) => a.platform === "maxbot");
    expect(again.map((a) => [a.login, a.created])).toEqual([
      ["seeded_bot", false],
      ["fresh_bot", false],
    ]);
    const urls2 = sandbox.urls as typeof sandbox.urls & { maxbot: string };
    expect((await me(urls2.maxbot, TOKEN)).status).toBe(200);
    expect((await me(urls2.maxbot, freshToken)).status).toBe(200);
    const bots = await fetch(`${urls2.console}/_sandbox/maxbot/bots`).then(
      (r) => r.json() as Promise<{ bots: unknown[] }>,
    );
    expect(bots.bots).toHaveLength(2);
  }, 60_000);

  it("refuses a malformed section with its place", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "maxbot:\n  bots:\n    - name: X\n      username: '1bad'\n");
    await expect(startSandbox({ port: 0, seed: bad, maxSocketTls: false })).rejects.toThrow(/username/);
  });
});
