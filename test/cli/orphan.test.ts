/**
 * A sandbox whose starter goes away shuts itself down: killing a backgrounded `npx … sandbox`
 * must not leave it holding the ports. The starter here is an intermediate process, as npx
 * (node) → sh → node is; it is killed with SIGKILL (nothing forwarded) or SIGTERM.
 * The sandbox's stdout pipe is also held by the test, so its end is the sandbox's exit: an
 * event, no polling.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { quietFor } from "../helpers/quiet.js";
import { BIN, isolatedEnv } from "./harness.js";

const { env } = isolatedEnv();
const SANDBOX = [BIN, "sandbox", "--port", "0", "--json", "--memory", "--log-level", "silent"];
const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/**
 * Starts `starter` (which starts the sandbox and prints "pid <n>"), waits for the sandbox's
 * JSON line, kills the starter with `signal` and resolves when the sandbox's stdout ends.
 */
async function killStarter(
  starter: string[],
  signal: NodeJS.Signals,
): Promise<{ pid: number; urls: { console: string } }> {
  const proc = spawn(starter[0] as string, starter.slice(1), { env, stdio: ["ignore", "pipe", "inherit"] });
  const rl = createInterface({ input: proc.stdout! });
  let pid = 0;
  const urls = await new Promise<{ console: string }>((resolve, reject) => {
    rl.on("line", (line) => {
      if (line.startsWith("pid ")) pid = Number(line.slice(4));
      else if (line.startsWith("{")) resolve(JSON.parse(line) as { console: string });
    });
    proc.once("exit", (code) => reject(new Error(`starter exited with ${code} before the sandbox was up`)));
  });
  const ended = new Promise<void>((resolve) => proc.stdout!.once("end", () => resolve()));
  proc.kill(signal);
  await ended;
  return { pid, urls };
}

/** Running (a zombie waiting for its new parent to reap it counts as ended). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

describe("switchboard sandbox exits when its starter goes away", () => {
  for (const signal of ["SIGKILL", "SIGTERM"] as const) {
    it(`sh → node, sh killed with ${signal}`, async () => {
      // `wait` keeps sh alive as the sandbox's parent (no exec of the last command).
      const script = `${quote(process.execPath)} ${SANDBOX.map(quote).join(" ")} & echo "pid $!"; wait`;
      const { pid, urls } = await killStarter(["sh", "-c", script], signal);
      expect(pid).toBeGreaterThan(0);
      expect(alive(pid)).toBe(false);
      await expect(fetch(`${urls.console}/_sandbox/health`)).rejects.toThrow();
    }, 60_000);
  }

  it("node → sh → node (the npx chain), the top killed with SIGKILL: the sh left behind does not keep it", async () => {
    const inner = `${quote(process.execPath)} ${SANDBOX.map(quote).join(" ")} & echo "pid $!"; wait`;
    const top = `require("node:child_process").spawn("sh", ["-c", ${JSON.stringify(inner)}], { stdio: "inherit" });`;
    const { pid } = await killStarter([process.execPath, "-e", top], "SIGKILL");
    expect(alive(pid)).toBe(false);
  }, 60_000);

  it("--no-exit-with-parent keeps it running (then SIGTERM stops it)", async () => {
    const script = `${quote(process.execPath)} ${[...SANDBOX, "--no-exit-with-parent"].map(quote).join(" ")} & echo "pid $!"; wait`;
    const proc = spawn("sh", ["-c", script], { env, stdio: ["ignore", "pipe", "inherit"] });
    const rl = createInterface({ input: proc.stdout! });
    let pid = 0;
    const urls = await new Promise<{ console: string }>((resolve) => {
      rl.on("line", (line) => {
        if (line.startsWith("pid ")) pid = Number(line.slice(4));
        else if (line.startsWith("{")) resolve(JSON.parse(line) as { console: string });
      });
    });
    const shGone = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGKILL");
    await shGone;
    // The watch looks every second: in 2.5 of its rounds the sandbox's stdout must not end.
    const ends = await quietFor<string>((push) => {
      const onEnd = () => push("end");
      proc.stdout!.on("end", onEnd);
      return () => proc.stdout!.off("end", onEnd);
    }, 2500);
    expect(ends).toEqual([]);
    expect((await fetch(`${urls.console}/_sandbox/health`)).status).toBe(200);
    expect(alive(pid)).toBe(true);
    const ended = new Promise<void>((resolve) => proc.stdout!.once("end", () => resolve()));
    process.kill(pid, "SIGTERM");
    await ended;
    expect(alive(pid)).toBe(false);
  }, 60_000);
});
