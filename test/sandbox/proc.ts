/**
 * Runs the real `switchboard` CLI as a child process, the way outside scripts do, and
 * speaks plain HTTP to the admin API.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:http";
import { createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../bin/switchboard.js", import.meta.url));

export interface Urls {
  console: string;
  max: string;
  maxim: string;
  webqq: string;
  vklive: string;
}

export interface CliRun {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
}

export function runCli(args: string[], cwd?: string): CliRun {
  const proc = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stdout?.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  proc.stderr?.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  const exited = new Promise<number | string>((resolve) => {
    proc.on("exit", (code, signal) => resolve(code ?? signal ?? -1));
  });
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/**
 * Resolves once stdout contains `text` (checked on every chunk, no polling); fails with the
 * stderr if the process exits first or after `timeoutMs`.
 */
export function untilStdout(run: CliRun, text: string, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdout = run.proc.stdout;
    const done = (err?: Error) => {
      clearTimeout(timer);
      stdout?.off("data", check);
      run.proc.off("exit", exited);
      if (err) reject(err);
      else resolve(run.stdout());
    };
    // Our own listener runs after runCli's, so run.stdout() already holds the chunk.
    const check = () => {
      if (run.stdout().includes(text)) done();
    };
    const exited = () => {
      if (run.stdout().includes(text)) done();
      else
        done(new Error(`sandbox exited with ${run.proc.exitCode ?? run.proc.signalCode}: ${run.stderr()}`));
    };
    const timer = setTimeout(
      () => done(new Error(`no ${JSON.stringify(text)} on stdout after ${timeoutMs} ms: ${run.stderr()}`)),
      timeoutMs,
    );
    stdout?.on("data", check);
    run.proc.once("exit", exited);
    if (run.proc.exitCode !== null || run.proc.signalCode !== null) exited();
    else check();
  });
}

/** Waits until the first stdout line is complete; fails with the stderr if the process dies. */
export async function firstLine(run: CliRun, timeoutMs = 15_000): Promise<string> {
  const out = await untilStdout(run, "\n", timeoutMs);
  return out.slice(0, out.indexOf("\n"));
}

export interface Sandboxed extends CliRun {
  urls: Urls;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** `switchboard sandbox --port 0 --json …extra`, started and parsed. */
export async function startCliSandbox(extra: string[], cwd?: string): Promise<Sandboxed> {
  const run = runCli(["sandbox", "--port", "0", "--json", ...extra], cwd);
  let line: string;
  try {
    line = await firstLine(run);
  } catch (err) {
    run.proc.kill("SIGKILL");
    throw err;
  }
  const urls = JSON.parse(line) as Urls;
  return {
    ...run,
    urls,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (run.proc.exitCode === null && run.proc.signalCode === null) run.proc.kill(signal);
      return run.exited;
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON answers
type AnyJson = any;

export async function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: AnyJson }> {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Holds a TCP port so a sandbox can't get it. */
export async function occupy(port = 0, host = "127.0.0.1"): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no address");
  return { server, port: address.port };
}

export function release(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** True when the port can be bound right now. */
export async function isFree(port: number): Promise<boolean> {
  try {
    const { server } = await occupy(port);
    await release(server);
    return true;
  } catch {
    return false;
  }
}

/** A base port whose five ports are all free (outside the kernel's ephemeral range). */
export async function freeBase(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const base = 20_000 + Math.floor(Math.random() * 9_000);
    const checks = await Promise.all([0, 1, 2, 3, 4].map((d) => isFree(base + d)));
    if (checks.every(Boolean)) return base;
  }
  throw new Error("no free block of five ports found");
}

export interface RawAnswer {
  status: number;
  type: string;
  body: string;
}

/**
 * One raw HTTP request with exactly these headers (fetch can't set Host): the whole answer, or
 * only its head with `headOnly` (for streams such as the console's live feed).
 */
export function rawHttp(
  url: string,
  path: string,
  headers: Record<string, string>,
  options: { method?: string; body?: string; headOnly?: boolean } = {},
): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: hostname, port, path, method: options.method ?? "GET", headers, agent: false },
      (res) => {
        const out = { status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? "") };
        if (options.headOnly) {
          resolve({ ...out, body: "" });
          res.destroy();
          return;
        }
        let body = "";
        res.setEncoding("utf8").on("data", (d: string) => {
          body += d;
        });
        res.on("end", () => resolve({ ...out, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}
