/**
 * bot-latency: a command's round trip through the bot framework against the bare adapter, in the
 * same run, on the sandbox's MAX emulator (a child process, file-backed WAL) over loopback
 * (issue 14, item 9).
 *
 * A MAX user (a raw WebSocket client in this process) sends `/ping` into their dialog with the
 * bot's MAX account and waits until the push (opcode 128) of the answer `pong` arrives. The bot
 * side is, in alternating blocks:
 *  - bare: `for await (const e of adapter.events())` → `adapter.send(chat, "pong")`;
 *  - Bot: `new Bot({ store: new SqliteBotStore(<temp file>) })` (WAL, synchronous NORMAL, the
 *    default durability), `bot.command("ping", (ctx) => ctx.reply("pong"))`: the update admitted,
 *    started and completed durably, the answer queued in the outbox and marked sent.
 * Commands are sequential (one in flight); the first few of each block are warm-up. The outbox's
 * MAX limits (2 messages/s per chat) are raised for the run: pacing is not latency.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Bot } from "../src/bot/bot.js";
import { SqliteBotStore } from "../src/bot/store/sqlite.js";
import type { MaxAdapter } from "../src/max/adapter.js";
import type { BenchUser } from "./lib/bot-sandbox.js";
import { maxAccount, textOf } from "./lib/bot-tally.js";
import { Peer } from "./lib/client.js";
import { ChildServer } from "./lib/ipc.js";
import { type BenchResult, info, type Metric, summarize } from "./lib/report.js";
import { loadNote } from "./lib/versus.js";

const SANDBOX = fileURLToPath(new URL("./lib/bot-sandbox.ts", import.meta.url));
const BLOCK = Number(process.env.BENCH_BOT_BLOCK ?? 60);
const BLOCKS = Number(process.env.BENCH_BOT_BLOCKS ?? 5);
const WARMUP = 5;
const ANSWER_TIMEOUT_MS = 10_000;
const MODES = ["bare", "bot"] as const;
type Mode = (typeof MODES)[number];

export async function run(): Promise<BenchResult> {
  const started = Date.now();
  const notes: string[] = [];
  const metrics: Metric[] = [];
  const emu = await ChildServer.start(SANDBOX);
  const dir = mkdtempSync(join(tmpdir(), "sb-bench-botlat-"));
  let user: Peer | undefined;
  try {
    if (emu.info.journalMode !== "wal") throw new Error(`sandbox store is not WAL: ${emu.info.journalMode}`);
    const url = String(emu.info.url);
    const [me, alice] = await emu.call<BenchUser[]>("users", { count: 2 });
    if (!me || !alice) throw new Error("users were not created");
    user = await Peer.open(url);
    await user.login(alice.token, "bench-bot-latency-user");
    const peer = user;
    // The user's answers: each `pong` push resolves the command waiting for it.
    let waiting: ((at: number) => void) | undefined;
    let strayAnswers = 0;
    peer.onEvent = (p) => {
      if (p.opcode !== 128) return;
      const message = (p.payload as { message?: { text?: string; sender?: number } }).message;
      if (message?.text !== "pong" || message.sender !== me.userId) return;
      const at = performance.now();
      if (waiting) waiting(at);
      else strayAnswers++;
      waiting = undefined;
    };
    let cid = 1;
    const chatId = Number(
      (
        await peer.ok(64, {
          userId: me.userId,
          message: { text: "hello", cid: cid++, elements: [], attaches: [] },
        })
      ).chatId,
    );
    const ping = async (): Promise<number> => {
      const t0 = performance.now();
      const answered = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no pong within 10 s")), ANSWER_TIMEOUT_MS);
        waiting = (at) => {
          clearTimeout(timer);
          resolve(at);
        };
      });
      await peer.ok(64, { chatId, message: { text: "/ping", cid: cid++, elements: [], attaches: [] } });
      return (await answered) - t0;
    };

    let storeFiles = 0;
    const block = async (mode: Mode): Promise<number[]> => {
      const adapter = maxAccount(url, me.token, `bench-lat-${mode}`);
      const stop =
        mode === "bare" ? await bareResponder(adapter) : await botResponder(adapter, dir, ++storeFiles);
      try {
        const out: number[] = [];
        for (let i = 0; i < WARMUP + BLOCK; i++) {
          const ms = await ping();
          if (i >= WARMUP) out.push(ms);
        }
        return out;
      } finally {
        await stop();
      }
    };

    const samples: Record<Mode, number[]> = { bare: [], bot: [] };
    const blockP99: Record<Mode, number[]> = { bare: [], bot: [] };
    for (let b = 0; b < BLOCKS; b++) {
      const order = b % 2 === 0 ? MODES : ([...MODES].reverse() as Mode[]);
      for (const mode of order) {
        const got = await block(mode);
        samples[mode].push(...got);
        blockP99[mode].push(summarize(got).p99);
      }
    }
    if (strayAnswers > 0)
      throw new Error(`${strayAnswers} answers nobody asked for: a command answered twice`);
    const bare = summarize(samples.bare);
    const bot = summarize(samples.bot);
    metrics.push(
      info("bare adapter: /ping → pong seen, p50", bare.p50, "ms"),
      info("bare adapter: p99", bare.p99, "ms"),
      info("Bot (SQLite): /ping → pong seen, p50", bot.p50, "ms"),
      info("Bot (SQLite): p99", bot.p99, "ms"),
      info("Bot / bare p50", bot.p50 / bare.p50, "x"),
      info("Bot / bare p99", bot.p99 / bare.p99, "x"),
    );
    const fmt = (s: ReturnType<typeof summarize>) =>
      `p50 ${s.p50.toFixed(2)}, p90 ${s.p90.toFixed(2)}, p99 ${s.p99.toFixed(2)}, max ${s.max.toFixed(2)} ms`;
    const p99s = (m: Mode) => blockP99[m].map((v) => v.toFixed(1)).join(", ");
    notes.push(
      `${samples.bare.length} sequential commands per side in ${BLOCKS} alternating blocks of ${BLOCK} (+${WARMUP} warm-up each), one MAX dialog; sandbox ${String(emu.info.db)} (journal_mode=${String(emu.info.journalMode)})`,
      `bare: ${fmt(bare)}; p99 per block ${p99s("bare")}`,
      `Bot: ${fmt(bot)}; p99 per block ${p99s("bot")}`,
      `every command answered exactly once (a second pong fails the run); ${loadNote()} at the end`,
    );
    return { name: "bot-latency", metrics, notes, durationMs: Date.now() - started };
  } finally {
    user?.close();
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bare side: the adapter's event loop answers `/ping` itself. */
async function bareResponder(adapter: MaxAdapter): Promise<() => Promise<void>> {
  await adapter.connect();
  const events = adapter.events();
  let sending: Promise<unknown> = Promise.resolve();
  const loop = (async () => {
    for await (const e of events) {
      if (e.type !== "message.created" || textOf(e.message.content) !== "/ping") continue;
      sending = adapter.send(e.message.chat, "pong");
      await sending;
    }
  })();
  return async () => {
    // The last answer's push can reach the user before the send's own response reaches us.
    await sending;
    await adapter.close();
    await loop;
  };
}

/** The framework side: a Bot on a fresh SQLite file (a catch-up would replay the bare blocks' pings). */
async function botResponder(adapter: MaxAdapter, dir: string, n: number): Promise<() => Promise<void>> {
  const store = new SqliteBotStore(join(dir, `bot-${n}.db`));
  const bot = new Bot({
    store,
    accounts: [adapter],
    limits: { max: { perSecond: 100_000, perChatPerSecond: 100_000 } },
    stopTimeoutMs: 5_000,
  });
  bot.command("ping", (ctx) => ctx.reply("pong"));
  bot.catch((err) => {
    console.error(`bot-latency: handler error ${err.message}`);
  });
  await bot.start();
  return async () => {
    await bot.stop();
    store.close();
  };
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const r = await run();
  const { table } = await import("./lib/report.js");
  console.log(table([r]));
}
