/**
 * A bot process for the kill -9 test (pipeline-crash.test.ts): a pipeline on a SQLite file whose
 * handler appends each message to a log (before its commit) and counts it through
 * effects.onCommit, i.e. in the same transaction that completes the update. Prints "ready".
 * Env: BOT_API, BOT_TOKEN, BOT_DB, BOT_LOG, BOT_MARKERS.
 */
import { appendFileSync } from "node:fs";
import { createPipeline } from "../../src/bot/pipeline.js";
import { SqliteBotStore } from "../../src/bot/store/sqlite.js";
import { MaxBotAdapter } from "../../src/maxbot/adapter.js";
import { MaxBotClient } from "../../src/maxbot/client/index.js";
import { FileMarkerStore } from "../../src/maxbot/client/markers.js";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const store = new SqliteBotStore(env("BOT_DB"));
store.db.exec("CREATE TABLE IF NOT EXISTS test_counts (text TEXT PRIMARY KEY, n INTEGER NOT NULL)");
const increment = store.db.prepare(
  "INSERT INTO test_counts (text, n) VALUES (?, 1) ON CONFLICT (text) DO UPDATE SET n = n + 1",
);
const log = env("BOT_LOG");

const client = new MaxBotClient({ url: env("BOT_API"), token: env("BOT_TOKEN"), account: "pipeline_bot" });
const adapter = new MaxBotAdapter(client, {
  pollTimeout: 1,
  markerStore: new FileMarkerStore(env("BOT_MARKERS")),
});
const pipeline = createPipeline({
  store,
  concurrency: 4,
  retryBaseMs: 20,
  async handle(update, _adapter, effects) {
    if (update.event.type !== "message.created") return;
    const text = update.event.message.content.map((s) => (s.type === "text" ? s.text : "")).join("");
    if (!text.startsWith("k9-")) return;
    appendFileSync(log, `${text}\n`);
    effects.onCommit(() => increment.run(text));
    // The handler's "work": a kill lands here often, between its side effect and its commit.
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 80)));
  },
});
// Listen before polling starts, so every event the adapter emits is admitted.
pipeline.attach(adapter);
await adapter.connect();
await pipeline.start();
process.stdout.write("ready\n");
