/**
 * `npm run bench [-- <name>…]`: runs the benchmarks one after another (each stops by itself),
 * prints a table of measured numbers against their targets and writes bench/results/latest.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { run as botLatency } from "./bot-latency.js";
import { run as botThroughput } from "./bot-throughput.js";
import { type BenchResult, table } from "./lib/report.js";
import { maxClient } from "./max-client.js";
import { maxFanout } from "./max-fanout.js";
import { maxIdle } from "./max-idle.js";
import { maxSend } from "./max-send.js";
import { run as maxSocket } from "./max-socket.js";
import { maxbot } from "./maxbot.js";
import { maximSend } from "./maxim-send.js";
import { run as vkliveClient } from "./vklive-client.js";
import { run as vkliveFanout } from "./vklive-fanout.js";
import { run as webqqClient } from "./webqq-client.js";
import { run as webqqPoll } from "./webqq-poll.js";

const BENCHES: Record<string, () => Promise<BenchResult>> = {
  "max-client": maxClient,
  "max-send": maxSend,
  "max-socket": maxSocket,
  "max-fanout": maxFanout,
  "max-idle": maxIdle,
  "maxim-send": maximSend,
  "webqq-poll": webqqPoll,
  "vklive-fanout": vkliveFanout,
  "webqq-client": webqqClient,
  "vklive-client": vkliveClient,
  maxbot,
  "bot-throughput": botThroughput,
  "bot-latency": botLatency,
};
/** A bench that overruns this is reported as failed (its children are stopped in its finally). */
const HARD_LIMIT_MS = 120_000;

const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
for (const name of wanted) {
  if (!BENCHES[name]) {
    console.error(`unknown bench ${name}; known: ${Object.keys(BENCHES).join(", ")}`);
    process.exit(2);
  }
}
const names = wanted.length ? wanted : Object.keys(BENCHES);

const results: BenchResult[] = [];
for (const name of names) {
  const started = Date.now();
  console.error(`running ${name}…`);
  let timer: NodeJS.Timeout | undefined;
  try {
    const overrun = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`did not finish within ${HARD_LIMIT_MS / 1000} s`)),
        HARD_LIMIT_MS,
      );
    });
    results.push(await Promise.race([BENCHES[name]!(), overrun]));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    results.push({ name, metrics: [], notes: [], durationMs: Date.now() - started, error: message });
  } finally {
    clearTimeout(timer);
  }
  console.error(`${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

console.log(table(results));
const report = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? "",
  results,
};
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/latest.json", `${JSON.stringify(report, null, 2)}\n`);
console.log("\nwritten: bench/results/latest.json");
process.exit(results.some((r) => r.error) ? 1 : 0);
