/**
 * Every `switchboard` subcommand fails the same way: one `error: …` line on stderr, no stack,
 * no secret, exit code 1 (2 for credentials).
 */
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const BIN = join(import.meta.dirname, "../../bin/switchboard.js");

/** A loopback port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    timeout: 20_000,
    env: { ...process.env, XDG_CONFIG_HOME: join(import.meta.dirname, "../../.switchboard/test-xdg") },
  });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe("CLI failures", () => {
  it("a network failure of vklive and maxim is one line, without stack or token", async () => {
    const port = await closedPort();
    for (const args of [
      ["vklive", "channel", "x", "--base-url", `http://127.0.0.1:${port}`, "--token", "tok-SECRET-123"],
      [
        "maxim",
        "groups",
        "--endpoint",
        `http://127.0.0.1:${port}`,
        "--app-id",
        "a",
        "--token",
        "tok-SECRET-123",
      ],
    ]) {
      const r = run(args);
      expect(r.code, args.join(" ")).toBe(1);
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: .*ECONNREFUSED/);
      expect(r.stderr).not.toContain("tok-SECRET-123");
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
