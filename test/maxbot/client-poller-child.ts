/**
 * A bot process for the durability test (client-polling.test.ts): polls with a file marker store
 * and a handler that logs each attempt (appendFileSync: survives kill -9), works for DELAY_MS, and
 * then applies its effect exactly once, keyed by the update's stable key, in a state file written
 * atomically. The parent kills it with SIGKILL in the middle of a batch.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../../src/core/credentials.js";
import { FileMarkerStore, MaxBotClient } from "../../src/maxbot/client/index.js";

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`missing ${name}`);
  return v;
};

interface State {
  keys: string[];
  texts: string[];
}

function readState(path: string): State {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as State;
  } catch {
    return { keys: [], texts: [] };
  }
}

const statePath = env("STATE");
const attemptsPath = env("ATTEMPTS");
const delay = Number(process.env.DELAY_MS ?? "0");
const client = new MaxBotClient({ url: env("BOT_API"), token: env("TOKEN"), timeoutMs: 10_000 });
await client.connect();
process.stdout.write("ready\n");
await client.poll(
  async (update, { key }) => {
    appendFileSync(attemptsPath, `${key}\n`);
    if (delay) await new Promise((r) => setTimeout(r, delay));
    const state = readState(statePath);
    if (state.keys.includes(key)) return; // already applied: a re-delivery after a crash
    state.keys.push(key);
    state.texts.push(update.update_type === "message_created" ? (update.message.body.text ?? "") : "");
    await writeFileAtomic(statePath, JSON.stringify(state));
  },
  { markerStore: new FileMarkerStore(env("MARKERS")), types: ["message_created"], timeout: 1 },
);
