/**
 * Every `switchboard` command fails the same way: one `error: …` line on stderr naming what
 * failed (and for a connection, the URL and where it came from), no stack, no secret, no log
 * lines unless --verbose; exit codes 1 (failed), 2 (credentials), 3 (unreachable).
 */
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { isolatedEnv, run } from "./harness.js";

/** A loopback port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split("\n");
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0] as string;
}

describe("CLI failures", () => {
  it("an unreachable server is exit 3 and one line naming the URL and where it came from, never the token", async () => {
    const port = await closedPort();
    const { env } = isolatedEnv();
    const cases: [string[], string, string][] = [
      [
        ["vklive", "channel", "x", "--url", `http://127.0.0.1:${port}`, "--token", "tok-SECRET-123"],
        "VK Live",
        "--url",
      ],
      // Older spelling of --url (scripts use it).
      [
        ["vklive", "channel", "x", "--base-url", `http://127.0.0.1:${port}`, "--token", "tok-SECRET-123"],
        "VK Live",
        "--base-url",
      ],
      [
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
        "MaxIM",
        "--endpoint",
      ],
      [["max", "chats", "--url", `ws://127.0.0.1:${port}/websocket`], "MAX", "--url"],
    ];
    for (const [args, title, source] of cases) {
      const r = await run(args, env);
      expect(r.code, args.join(" ")).toBe(3);
      const line = oneLine(r.stderr);
      expect(line).toContain(`error: cannot reach ${title} at `);
      expect(line).toContain(`127.0.0.1:${port}`);
      expect(line).toContain(`(${source})`);
      expect(line).toContain("ECONNREFUSED");
      expect(r.stderr).not.toContain("tok-SECRET-123");
      expect(r.stdout).toBe("");
    }
  }, 180_000);

  it("the environment variable is named when the URL came from it", async () => {
    const port = await closedPort();
    const { env } = isolatedEnv({ SWITCHBOARD_MAXIM_URL: `http://127.0.0.1:${port}` });
    const r = await run(["maxim", "push", "x", "--app-id", "a", "--token", "t"], env);
    expect(r.code).toBe(3);
    expect(oneLine(r.stderr)).toContain(`at http://127.0.0.1:${port} ($SWITCHBOARD_MAXIM_URL)`);
  });

  it("an empty or wrong URL (a script that read the sandbox's line too early) is one line, exit 1", async () => {
    const { env } = isolatedEnv();
    // `max login` with an empty URL used to end in an uncaught TransportError stack.
    for (const args of [
      ["max", "login", "--url", "", "--phone", "+79000000002", "--code", "123456"],
      ["max", "chats", "--url", "null"],
      ["maxim", "groups", "--url", "127.0.0.1:8702", "--app-id", "a", "--token", "t"],
      ["webqq", "friends", "--url", "ws://x"],
    ]) {
      const r = await run(args, env);
      expect(r.code, args.join(" ")).toBe(1);
      expect(oneLine(r.stderr)).toMatch(/^error: invalid (MAX|MaxIM|WebQQ) URL: .*\(from --url\): expected/);
    }
  }, 180_000);

  it("a missing setting names the flag, the variable and the login that saves it", async () => {
    const { env } = isolatedEnv();
    const r = await run(["maxim", "groups", "--url", "http://127.0.0.1:9"], env);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe(
      'error: MaxIM needs --app-id: pass it, set $SWITCHBOARD_MAXIM_APP_ID, or save it in profile "default" with `switchboard maxim login --app-id …`',
    );
  });

  it("without a login: exit 2 and what to run", async () => {
    const { env } = isolatedEnv();
    const r = await run(
      ["webqq", "friends", "--url", "http://127.0.0.1:9", "--session", "/nonexistent/s.json"],
      env,
    );
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain("run `switchboard webqq login` first");
  });

  it("logs and details only with --verbose (on stderr)", async () => {
    const port = await closedPort();
    const { env } = isolatedEnv();
    const url = `ws://127.0.0.1:${port}/websocket`;
    const quiet = await run(["max", "chats", "--url", url], env);
    expect(quiet.stderr).not.toContain('"level"');
    const verbose = await run(["max", "chats", "--url", url, "--verbose"], env);
    expect(verbose.code).toBe(3);
    const [first, ...rest] = verbose.stderr.trim().split("\n");
    // The pino lines (JSON) come first, then the one error line, then its stack and details.
    expect(verbose.stderr).toMatch(/^\{"level":/m);
    expect(`${first}\n${rest.join("\n")}`).toMatch(/^error: cannot reach MAX at /m);
    expect(verbose.stderr).toMatch(/\n\s+at /);
    expect(verbose.stdout).toBe("");
  }, 180_000);

  it("bad flag values are one line, exit 1", async () => {
    const { env } = isolatedEnv();
    const r = await run(["max", "send", "abc", "hi", "--url", "ws://127.0.0.1:9/websocket"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("expected a numeric chat id");
    const p = await run(["max", "chats", "--profile", "../evil"], env);
    expect(p.code).toBe(1);
    expect(oneLine(p.stderr)).toContain('invalid profile name "../evil"');
  });
});
