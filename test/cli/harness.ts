/**
 * Runs the real `switchboard` binary as a child process, the way a user or a script does: a
 * sandbox on random ports (`--port 0 --json --memory`), commands with their own config folder.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export const BIN = join(import.meta.dirname, "..", "..", "bin", "switchboard.js");

export interface Urls {
  console: string;
  max: string;
  maxim: string;
  webqq: string;
  vklive: string;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A fresh config folder (XDG_CONFIG_HOME) and an environment without any SWITCHBOARD_/platform variables. */
export function isolatedEnv(extra: Record<string, string> = {}): { env: NodeJS.ProcessEnv; config: string } {
  const config = mkdtempSync(join(tmpdir(), "sb-cli-"));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(SWITCHBOARD_|MAXIM_|WEBQQ_|VKLIVE_)/.test(k)) env[k] = v;
  return { env: { ...env, XDG_CONFIG_HOME: config, ...extra }, config };
}

/** Runs `switchboard <args>` to its end (bounded: killed after `timeoutMs`). */
export function run(args: string[], env: NodeJS.ProcessEnv, input = "", timeoutMs = 90_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

export interface Sandbox {
  proc: ChildProcess;
  urls: Urls;
  stop(): Promise<void>;
}

/** Starts `switchboard sandbox --port 0 --json --memory …` and waits for its one JSON line. */
export async function startSandbox(extra: string[], env: NodeJS.ProcessEnv): Promise<Sandbox> {
  const proc = spawn(
    process.execPath,
    [BIN, "sandbox", "--port", "0", "--json", "--memory", "--log-level", "silent", ...extra],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  proc.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once("line", resolve);
    proc.once("exit", (code) => reject(new Error(`sandbox exited with ${code}: ${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve();
    else proc.once("exit", () => resolve());
  });
  return {
    proc,
    urls: JSON.parse(line) as Urls,
    async stop() {
      proc.kill("SIGTERM");
      await exited;
    },
  };
}

/** A JSON body from the sandbox's admin API. */
export async function admin(base: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined ? "GET" : "POST",
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  return (await res.json()) as Record<string, unknown>;
}

/** Parses NDJSON output: one value per non-empty line. */
export function lines(stdout: string): unknown[] {
  return stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as unknown);
}
