/**
 * kill -9: a bot process (pipeline-crash-child.ts) runs the pipeline on a SQLite file while Alice
 * writes into two groups; it is SIGKILLed at random moments and restarted until every message is
 * done. State changes made through effects.onCommit happen exactly once per message; handlers run
 * at least once.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import Sqlite from "better-sqlite3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type PipelineWorld, sleep, startPipelineWorld } from "./pipeline-world.js";

let env: PipelineWorld;
const dir = mkdtempSync(join(tmpdir(), "bot-pipeline-k9-"));
const children = new Set<ChildProcess>();

beforeAll(async () => {
  env = await startPipelineWorld(2);
}, 30_000);

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await env?.close();
  rmSync(dir, { recursive: true, force: true });
});

const files = { db: join(dir, "bot.db"), log: join(dir, "handled.log"), markers: join(dir, "markers.json") };

function startBot(): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "pipeline-crash-child.ts")],
    {
      env: {
        ...process.env,
        BOT_API: env.world.botApi,
        BOT_TOKEN: env.token,
        BOT_DB: files.db,
        BOT_LOG: files.log,
        BOT_MARKERS: files.markers,
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
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`bot did not start: ${stderr}`));
    }, 20_000);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", () => {
      clearTimeout(timer);
      resolve(child);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`bot exited (${code ?? signal}) before ready: ${stderr}`));
    });
  });
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGKILL");
  await exited;
}

/** Committed counts, read through a separate connection (WAL: readers do not block the bot). */
function counts(): Map<string, number> {
  if (!existsSync(files.db)) return new Map();
  const db = new Sqlite(files.db, { readonly: true, fileMustExist: true });
  try {
    const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'test_counts'").get();
    if (!exists) return new Map();
    const rows = db.prepare("SELECT text, n FROM test_counts").all() as { text: string; n: number }[];
    return new Map(rows.map((r) => [r.text, r.n]));
  } finally {
    db.close();
  }
}

it("SIGKILL at random moments: every message's state changes exactly once, handled at least once", async () => {
  const started = Date.now();
  const total = 80;
  const texts = Array.from({ length: total }, (_, i) => `k9-${i}`);
  const [a, b] = env.groups as [number, number];

  let sending = true;
  const sender = (async () => {
    for (const [i, text] of texts.entries()) {
      await env.send(i % 2 === 0 ? a : b, text);
      await sleep(20 + Math.floor(Math.random() * 40));
    }
    sending = false;
  })();

  let kills = 0;
  // Kill while messages flow (and a couple more times after), each after a random run time: at
  // least 6 kills however slow the children start, at most 12, no new kill round after 30 s.
  while (kills < 6 || (sending && kills < 12 && Date.now() - started < 30_000)) {
    const child = await startBot();
    await sleep(100 + Math.floor(Math.random() * 700));
    await kill9(child);
    kills++;
  }
  await sender;

  // The last run: no kill until everything is committed.
  const last = await startBot();
  const deadline = Date.now() + 25_000;
  while (counts().size < total && Date.now() < deadline) await sleep(100);
  await kill9(last);

  const committed = counts();
  const log = readFileSync(files.log, "utf8").split("\n").filter(Boolean);
  const runs = new Map<string, number>();
  for (const line of log) runs.set(line, (runs.get(line) ?? 0) + 1);

  expect(kills).toBeGreaterThanOrEqual(6);
  for (const text of texts) {
    expect({ text, n: committed.get(text) }).toEqual({ text, n: 1 }); // state: exactly once
    expect(runs.get(text) ?? 0).toBeGreaterThanOrEqual(1); // handler: at least once
  }
  expect([...committed.keys()].sort()).toEqual([...texts].sort());
  // Nothing left pending in the inbox.
  const db = new Sqlite(files.db, { readonly: true });
  const pending = db.prepare("SELECT key FROM bot_inbox WHERE done_at IS NULL").all();
  db.close();
  expect(pending).toEqual([]);
}, 120_000);
