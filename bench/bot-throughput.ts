/**
 * bot-throughput: updates/s through the bot framework against the bare adapter event loop, in
 * the same run, on the same stream (issue 14, item 9).
 *
 * The stream: a peer's N text messages, round-robin over C group chats the bot's MAX account is a
 * member of, pushed by the MAX emulator (the sandbox in a child process, file-backed WAL) as
 * opcode 128 frames over loopback. MAX's user API is the cheapest push path of the four
 * platforms: one WebSocket frame per message, no per-batch HTTP request (the MAX Bot API and
 * WebQQ long-poll, MaxIM has no inbound stream to a client, VK Live adds Centrifugo framing), so
 * the framework's own cost is the largest share of what is measured. The messages are stored
 * first, then pushed in one go (bench/lib/bot-sandbox.ts), so the consumer limits the rate.
 *
 * Consumers, each on a fresh MaxClient + MaxAdapter logged in by token, in rotating order per run:
 *  (a) bare: `for await (const e of adapter.events())`, doing the per-update work of the handler;
 *  (b) `new Bot({ store: new SqliteBotStore(<temp file>) })` (WAL, synchronous NORMAL: the default
 *      durability, every commit survives kill -9) with 3 middlewares and one
 *      `bot.on("message:text")` handler doing that work;
 *  (c) the same Bot on `SqliteBotStore(file, { synchronous: "FULL" })` (an fsync per commit), and
 *  (d) on a MemoryBotStore, both for reference.
 * Each flood is timed from the push request to the last update handled; every index must arrive
 * exactly once in every mode (a miss or a repeat is an error). Two unmeasured floods per mode,
 * then median (min–max) of 3 runs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Bot } from "../src/bot/bot.js";
import { MemoryBotStore } from "../src/bot/store/memory.js";
import { SqliteBotStore } from "../src/bot/store/sqlite.js";
import type { BenchUser } from "./lib/bot-sandbox.js";
import { Ledger, maxAccount, textOf } from "./lib/bot-tally.js";
import { ChildServer } from "./lib/ipc.js";
import { median, spread } from "./lib/loops.js";
import { atLeast, type BenchResult, info, type Metric } from "./lib/report.js";
import { loadNote } from "./lib/versus.js";

const SANDBOX = fileURLToPath(new URL("./lib/bot-sandbox.ts", import.meta.url));
const FLOOD = Number(process.env.BENCH_BOT_FLOOD ?? 2000);
const CHATS = Number(process.env.BENCH_BOT_CHATS ?? 16);
const RUNS = Number(process.env.BENCH_BOT_RUNS ?? 3);
const TEXT = "Привет! Сообщение из бенчмарка бота: просто текст, без вложений.";
const FLOOD_TIMEOUT_MS = 60_000;
const WARMUP_FLOODS = 2;
const ALL_MODES = ["bare", "sqlite", "full", "memory"] as const;
type Mode = (typeof ALL_MODES)[number];
/** BENCH_BOT_MODES=memory (comma list) runs only those consumers: for profiling one of them. */
const MODES: readonly Mode[] = process.env.BENCH_BOT_MODES
  ? ALL_MODES.filter((m) => (process.env.BENCH_BOT_MODES as string).split(",").includes(m))
  : ALL_MODES;

interface Sample {
  perSec: number;
  cpuUs: number;
}

export async function run(): Promise<BenchResult> {
  const started = Date.now();
  const notes: string[] = [];
  const metrics: Metric[] = [];
  const emu = await ChildServer.start(SANDBOX);
  const dir = mkdtempSync(join(tmpdir(), "sb-bench-botstore-"));
  try {
    if (emu.info.journalMode !== "wal") throw new Error(`sandbox store is not WAL: ${emu.info.journalMode}`);
    const url = String(emu.info.url);
    const [me, peer] = await emu.call<BenchUser[]>("users", { count: 2 });
    if (!me || !peer) throw new Error("users were not created");
    const chatIds = await emu.call<number[]>("groups", {
      ownerId: peer.userId,
      memberIds: [peer.userId, me.userId],
      count: CHATS,
    });
    notes.push(
      `${FLOOD} messages per flood from one peer, round-robin over ${CHATS} group chats; MAX emulator in the sandbox child (${String(emu.info.db)}, journal_mode=${String(emu.info.journalMode)}); ${loadNote()} at the start`,
    );
    const ledger = new Ledger(FLOOD);
    let storeFiles = 0;

    /** One flood into one consumer; the consumer is started before and stopped after. */
    const flood = async (mode: Mode): Promise<Sample> => {
      const adapter = maxAccount(url, me.token, `bench-${mode}`);
      const { started, complete } = ledger.expect(FLOOD, FLOOD_TIMEOUT_MS);
      let stop: () => Promise<void>;
      if (mode === "bare") {
        await adapter.connect();
        const events = adapter.events();
        const loop = (async () => {
          for await (const e of events) {
            if (e.type === "message.created") ledger.tick(textOf(e.message.content));
          }
        })();
        stop = async () => {
          await adapter.close();
          await loop;
        };
      } else {
        const store =
          mode === "memory"
            ? new MemoryBotStore()
            : new SqliteBotStore(join(dir, `bot-${++storeFiles}.db`), {
                synchronous: mode === "full" ? "FULL" : "NORMAL",
              });
        const bot = botWith3Middlewares(store, ledger);
        bot.account(adapter);
        await bot.start();
        stop = async () => {
          await bot.idle();
          await bot.stop();
          store.close();
        };
      }
      try {
        // Stored after the login: the login's chat list carries each chat's last message, which
        // the client counts as seen (so a flood stored before it would lose its last ones).
        const stored = await emu.call<number>("prepare", {
          fromUserId: peer.userId,
          chatIds,
          count: FLOOD,
          text: TEXT,
        });
        if (stored !== FLOOD) throw new Error(`prepared ${stored} of ${FLOOD}`);
        started();
        await emu.call("push");
        await complete.catch((err: Error) => {
          throw new Error(`${mode}: ${err.message}`);
        });
        // A repeat would arrive after the last first delivery: give it a moment to show up.
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        await stop();
      }
      ledger.check(mode);
      return { perSec: ledger.rate(), cpuUs: ledger.cpuPerUpdateUs() };
    };

    const samples: Record<Mode, Sample[]> = { bare: [], sqlite: [], full: [], memory: [] };
    // Unmeasured floods per mode first (JIT, the emulator's statements, socket buffers): a bot's
    // rate keeps rising over its first few thousand updates, and a running bot is past them.
    for (let i = 0; i < WARMUP_FLOODS; i++) for (const mode of MODES) await flood(mode);
    for (let run = 0; run < RUNS; run++) {
      // The order rotates, so no mode always runs first (or right after the same neighbour).
      const order = MODES.map((_, k) => MODES[(k + run) % MODES.length] as Mode);
      for (const mode of order) samples[mode].push(await flood(mode));
    }

    const rate = (m: Mode) => samples[m].map((s) => s.perSec);
    const cpu = (m: Mode) => samples[m].map((s) => s.cpuUs);
    const ratio = (m: Mode) => samples[m].map((s, i) => s.perSec / (samples.bare[i]?.perSec ?? Number.NaN));
    metrics.push(
      info("bare adapter loop", median(rate("bare")), "updates/s"),
      info(
        "Bot + 3 middlewares, SqliteBotStore (file, WAL, NORMAL: the default)",
        median(rate("sqlite")),
        "updates/s",
      ),
      atLeast("Bot (SQLite) / bare", median(ratio("sqlite")), "x", 0.8),
      info("Bot + 3 middlewares, SqliteBotStore (synchronous FULL)", median(rate("full")), "updates/s"),
      info("Bot (SQLite FULL) / bare", median(ratio("full")), "x"),
      info("Bot + 3 middlewares, MemoryBotStore", median(rate("memory")), "updates/s"),
      info("Bot (memory) / bare", median(ratio("memory")), "x"),
      info("bare CPU per update", median(cpu("bare")), "µs"),
      info("Bot (SQLite) CPU per update", median(cpu("sqlite")), "µs"),
      info("Bot (SQLite FULL) CPU per update", median(cpu("full")), "µs"),
      info("Bot (memory) CPU per update", median(cpu("memory")), "µs"),
    );
    for (const m of MODES) {
      notes.push(
        `${m}: ${spread(rate(m))} updates/s, CPU ${spread(cpu(m))} µs/update${m === "bare" ? "" : `, ratio to bare ${spread(ratio(m), 3)}`} (median (min–max) of ${RUNS} runs; each update delivered exactly once, checked)`,
      );
    }
    notes.push(`${loadNote()} at the end`);
    return { name: "bot-throughput", metrics, notes, durationMs: Date.now() - started };
  } finally {
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The Bot of modes (b) and (c): 3 middlewares, then a text handler that does not reply. */
function botWith3Middlewares(store: SqliteBotStore | MemoryBotStore, ledger: Ledger): Bot {
  const bot = new Bot({ store, stopTimeoutMs: 5_000 });
  let updates = 0;
  let fromKnown = 0;
  // 1. counts updates (a metrics middleware); 2. drops updates without a sender (a guard);
  // 3. stamps the handling time on the context (what a logging middleware does).
  bot.use(async (_ctx, next) => {
    updates++;
    await next();
  });
  bot.use(async (ctx, next) => {
    if (ctx.from === undefined) return;
    fromKnown++;
    await next();
  });
  bot.use(async (ctx, next) => {
    (ctx as unknown as { startedAt: number }).startedAt = updates + fromKnown;
    await next();
  });
  bot.on("message:text", (ctx) => {
    ledger.tick(ctx.text);
  });
  bot.catch((err) => {
    console.error(`bot-throughput: handler error ${err.message}`);
  });
  return bot;
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const r = await run();
  const { table } = await import("./lib/report.js");
  console.log(table([r]));
}
