/**
 * kill -9 in the middle of a conversation: a bot process (conversation-crash-child.ts) on a SQLite
 * file is SIGKILLed right after it sent a conversation's reply and before that update completed.
 * The next process replays the pending update: the conversation goes on from where it was and no
 * reply appears twice in the chat (read from the emulator through Alice's MAX client).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, beforeEach, expect, it } from "vitest";
import { type SessionWorld, startSessionWorld } from "./session-fixtures.js";

let w: SessionWorld;
const children = new Set<ChildProcess>();

beforeEach(async () => {
  w = await startSessionWorld();
});

afterEach(async () => {
  for (const child of children) child.kill("SIGKILL");
  await w.close();
});

/** Starts the child bot; resolves once it printed `line`, with the child. */
function startChild(crashAt?: string): {
  child: ChildProcess;
  said(line: string, timeoutMs?: number): Promise<void>;
} {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "conversation-crash-child.ts")],
    {
      env: {
        ...process.env,
        BOT_API: w.world.botApi,
        BOT_TOKEN: w.token,
        BOT_ACCOUNT: w.username,
        BOT_DB: w.file,
        BOT_MARKERS: join(w.dir, "markers.json"),
        ...(crashAt ? { CRASH_AT: crashAt } : {}),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.add(child);
  child.once("exit", () => children.delete(child));
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    lines.push(line);
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    child,
    said(line, timeoutMs = 20_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`child did not say ${line}: ${stderr}`)), timeoutMs);
        const check = () => {
          if (lines.includes(line)) {
            clearTimeout(timer);
            resolve();
          } else waiters.push(check);
        };
        child.once("exit", (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`child exited (${code ?? signal}) before ${line}: ${stderr}`));
        });
        check();
      });
    },
  };
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}

const last = (texts: string[]) => texts[texts.length - 1];

it("SIGKILL after a conversation's reply was sent, before its update completed: the restart goes on, nothing twice", async () => {
  const first = startChild("Ann");
  await first.said("ready");
  await w.alice.sendMessage(w.group, "/signup");
  await w.until(w.group, (t) => last(t) === "name?");
  await w.alice.sendMessage(w.group, "Ann");
  await first.said("crash-point");
  await w.until(w.group, (t) => last(t) === "age?");
  await kill9(first.child);

  const second = startChild();
  await second.said("ready");
  // The pending "Ann" is replayed on start (its replies are deduplicated); then the next answer.
  await w.alice.sendMessage(w.group, "30");
  const texts = await w.until(w.group, (t) => last(t) === "Ann is 30", 20_000);
  await new Promise((resolve) => setTimeout(resolve, 500)); // a late duplicate would show up by now
  expect(await w.texts(w.group)).toEqual(texts);
  expect(texts).toEqual(["/signup", "name?", "Ann", "age?", "30", "Ann is 30"]);
  await kill9(second.child);
}, 60_000);
