/**
 * A sandbox as a child process, the way an outside script uses it: spawn `switchboard sandbox
 * --json …`, wait for the one JSON line on stdout (the contract line), stop it with SIGTERM.
 * Shared by the examples test and the package test. Also runs a script as a child process
 * with a time limit and collects what it printed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

export interface SandboxUrls {
  console: string;
  max: string;
  maxim: string;
  webqq: string;
  vklive: string;
  maxbot: string;
  maxSocket?: string;
}

export interface RunningSandbox {
  urls: SandboxUrls;
  /** The environment variables the docs' quick starts and the examples read. */
  env: Record<string, string>;
  /** SIGTERM, then the exit code (the contract: 0 after a clean shutdown). */
  stop(): Promise<number | null>;
}

/** Starts `node <bin> sandbox …args --json` in `cwd`; rejects with its stderr if it exits first. */
export function startSandbox(bin: string, args: string[], cwd: string): Promise<RunningSandbox> {
  const child = spawn(process.execPath, [bin, "sandbox", ...args, "--json"], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, SWITCHBOARD_LOG_LEVEL: "warn" },
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => {
      const urls = JSON.parse(line) as SandboxUrls;
      resolve({ urls, env: sandboxEnv(urls), stop: () => stopChild(child, exited) });
    });
    void exited.then((code) =>
      reject(new Error(`the sandbox exited (${code}) before its JSON line:\n${stderr}`)),
    );
  });
}

/**
 * One admin API call on a running sandbox's console (GET without a body, POST with one); any
 * answer but 200 throws with the path and the body.
 */
export async function adminCall<T>(consoleUrl: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${consoleUrl}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const answer = (await response.json()) as T;
  if (response.status !== 200)
    throw new Error(`${path} answered ${response.status}: ${JSON.stringify(answer)}`);
  return answer;
}

export function sandboxEnv(urls: SandboxUrls): Record<string, string> {
  return {
    SWITCHBOARD_SANDBOX_URL: urls.console,
    SWITCHBOARD_MAX_URL: urls.max,
    SWITCHBOARD_MAXIM_URL: urls.maxim,
    SWITCHBOARD_WEBQQ_URL: urls.webqq,
    SWITCHBOARD_VKLIVE_URL: urls.vklive,
    SWITCHBOARD_MAXBOT_URL: urls.maxbot,
  };
}

function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<number | null> {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  return exited;
}

export interface ScriptResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node …args` in `cwd` with extra env; killed (SIGKILL) after `timeoutMs`. */
export function runNode(args: string[], cwd: string, env: Record<string, string>, timeoutMs: number) {
  return new Promise<ScriptResult>((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: timeoutMs,
      killSignal: "SIGKILL",
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** For assertion messages: what a failed script printed. */
export function describeRun(what: string, result: ScriptResult): string {
  return `${what} exited ${result.code ?? result.signal}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

export interface StartedScript {
  /** Resolves with the first stdout line matching `pattern`; rejects if the script ends first. */
  line(pattern: RegExp): Promise<string>;
  /** The whole run, once the script has exited (or was killed at the time limit). */
  done: Promise<ScriptResult>;
}

/** Like runNode, but lets the caller react to what the script prints while it runs. */
export function startNode(
  args: string[],
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number,
): StartedScript {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: timeoutMs,
    killSignal: "SIGKILL",
  });
  let stdout = "";
  let stderr = "";
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    stdout += `${line}\n`;
    for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<ScriptResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    done,
    line: (pattern) =>
      new Promise<string>((resolve, reject) => {
        const seen = stdout.split("\n").find((line) => pattern.test(line));
        if (seen !== undefined) return resolve(seen);
        waiters.push({ pattern, resolve });
        void done.then((result) =>
          reject(new Error(describeRun(`waiting for ${pattern}: the script`, result))),
        );
      }),
  };
}
