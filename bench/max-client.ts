/**
 * max-client: what the MaxClient SDK costs and how fast it comes back.
 *
 * - sendMessage msgs/s with 1 (await each) and 64 in flight against the emulator, as a ratio to a
 *   hand-written raw socket sending the same 64 frames to the same emulator (the SDK's own cost;
 *   target ≥ 0.95), p50 / p99, medians of 3 runs with their spread; the SDK's raw `invoke(64, …)`
 *   (same transport, no validation or parsing) and the bare `ws` echo baseline alongside.
 * - Time from a dropped connection to resumed (socket back, hello, login by token, history
 *   catch-up of the messages sent meanwhile all delivered), p50 / p99, with the client's default
 *   reconnect policy. The drop needs the emulator's admin side, so that part runs the emulator
 *   in this process (noted in the output). `BENCH_MAX_CLIENT=throughput` skips it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { openStore } from "../src/core/emulator/store.js";
import { MaxClient } from "../src/max/client/index.js";
import { maxStoreModule } from "../src/max/emulator/index.js";
import { MaxEmulatorServer } from "../src/max/emulator/server.js";
import { Peer, ReactionWatch, roundTrips } from "./lib/client.js";
import { ChildServer } from "./lib/ipc.js";
import { closedLoop, type Loop, median, mergeLoops, type Rate, spread } from "./lib/loops.js";
import { atLeast, type BenchResult, info, type Metric, summarize } from "./lib/report.js";
import { MissedLedger } from "./lib/resume.js";

/** Each measured window is preceded by this much unmeasured load (JIT, socket buffers). */
const WARMUP_MS = 100;
const SLICE_MS = 500;
/** Alternating windows per client per run: raw, sendMessage and invoke take turns. */
const SLICES = 3;
const RUNS = 3;
const IN_FLIGHT = [1, 64] as const;
const DROPS = 30;
const MISSED_PER_DROP = 5;
const TEXT = "Привет! Это сообщение из бенчмарка: проверяем скорость отправки.";

interface RunResult {
  raw: Rate;
  send: Rate;
  invoke: Rate;
}

/** One run at `inFlight`: raw socket, sendMessage and invoke(64) in alternating slices. */
async function oneRun(
  inFlight: number,
  raw: () => Promise<Loop>,
  send: () => Promise<unknown>,
  invoke: () => Promise<unknown>,
  watch: ReactionWatch | undefined,
): Promise<RunResult> {
  const parts: { raw: Loop[]; send: Loop[]; invoke: Loop[] } = { raw: [], send: [], invoke: [] };
  for (let i = 0; i < SLICES; i++) {
    // The order rotates, so none of the three always runs right after the same neighbour.
    const order = (["raw", "send", "invoke"] as const).map((_, k, all) => all[(k + i) % 3]!);
    for (const which of order) {
      if (watch) watch.label = which;
      if (which === "raw") parts.raw.push(await raw());
      else
        parts[which].push(await closedLoop(which === "send" ? send : invoke, inFlight, WARMUP_MS, SLICE_MS));
    }
  }
  return { raw: mergeLoops(parts.raw), send: mergeLoops(parts.send), invoke: mergeLoops(parts.invoke) };
}

async function throughput(metrics: Metric[], notes: string[]): Promise<void> {
  const [emu, echo] = await Promise.all([
    ChildServer.start("bench/lib/max-server.ts"),
    ChildServer.start("bench/lib/echo-server.ts"),
  ]);
  const peers: Peer[] = [];
  let client: MaxClient | undefined;
  try {
    // a: the SDK's account, c: the raw socket's, b: the online recipient of both. Separate
    // senders, so neither gets the other's 128 pushes while it is being measured.
    const [a, b, c] = await emu.call<{ userId: number; token: string }[]>("users", { count: 3, sessions: 3 });
    if (!a || !b || !c) throw new Error("users were not created");
    const recipient = await Peer.open(String(emu.info.url));
    peers.push(recipient);
    await recipient.login(b.token, "bench-recipient");
    recipient.ws.removeAllListeners("message");

    client = new MaxClient({ url: String(emu.info.url), token: a.token, keepaliveIntervalMs: 3_600_000 });
    await client.connect();
    const chatId = (await client.sendToUser(b.userId, TEXT)).chatId;

    // The raw socket: hand-written 64 frames, answers matched by order, no SDK at all.
    const probe = await Peer.open(String(emu.info.url));
    peers.push(probe);
    await probe.login(c.token, "bench-raw");
    const rawChatId = Number(
      (await probe.ok(64, { userId: b.userId, message: { text: TEXT, cid: 1, elements: [], attaches: [] } }))
        .chatId,
    );
    const frame = (seq: number) =>
      `{"ver":11,"cmd":0,"seq":${seq},"opcode":64,"payload":{"chatId":${rawChatId},"message":{"text":"${TEXT}","cid":${1_750_000_000_000 + seq},"elements":[],"attaches":[]},"notify":true}}`;
    // The echo baseline answers with the emulator's real 64 response, so both move the same bytes.
    const responseRaw = await new Promise<string>((resolve) => {
      probe.ws.once("message", (data) => resolve(data.toString()));
      probe.ws.send(frame(999_999));
    });
    await echo.call("setReply", { text: responseRaw });
    probe.ws.removeAllListeners("message");

    const cl = client;
    let cid = 0;
    const viaInvoke = () =>
      cl.invoke(64, {
        chatId,
        message: { text: TEXT, cid: ++cid, elements: [], attaches: [] },
        notify: true,
      });
    const viaSend = () => cl.sendMessage(chatId, TEXT);
    const storedBefore = await emu.call<number>("messageCount");
    let answered = 0;

    for (const inFlight of IN_FLIGHT) {
      const rawLoop = async (): Promise<Loop> => {
        const r = await roundTrips(probe.ws, { frame, inFlight, warmupMs: WARMUP_MS, durationMs: SLICE_MS });
        if (r.errors > 0) throw new Error(`raw socket: ${r.errors} error answers`);
        return { count: r.count, windowMs: r.windowMs, latencies: r.latencies, cpuMs: r.cpuMs };
      };
      // At 1 in flight each read is answered by the next request: time from one to the other.
      const watch = inFlight === 1 ? new ReactionWatch() : undefined;
      watch?.start();
      const runs: RunResult[] = [];
      try {
        for (let run = 0; run < RUNS; run++)
          runs.push(await oneRun(inFlight, rawLoop, viaSend, viaInvoke, watch));
      } finally {
        watch?.stop();
      }
      for (const r of runs) answered += r.raw.count + r.send.count + r.invoke.count;

      const baselineWs = (await Peer.open(String(echo.info.url))).ws;
      const base = await roundTrips(baselineWs, {
        frame,
        inFlight,
        warmupMs: WARMUP_MS,
        durationMs: SLICE_MS * SLICES,
      });
      baselineWs.terminate();

      const ratio = runs.map((r) => r.send.perSec / r.raw.perSec);
      const col = (pick: (r: RunResult) => number) => median(runs.map(pick));
      metrics.push(info(`baseline ws echo rt/s @${inFlight}`, base.perSec, "rt/s"));
      metrics.push(
        info(
          `raw socket → emulator msgs/s @${inFlight}`,
          col((r) => r.raw.perSec),
          "msgs/s",
        ),
      );
      metrics.push(
        info(
          `client sendMessage msgs/s @${inFlight}`,
          col((r) => r.send.perSec),
          "msgs/s",
        ),
      );
      metrics.push(
        info(
          `client invoke(64) msgs/s @${inFlight}`,
          col((r) => r.invoke.perSec),
          "msgs/s",
        ),
      );
      // The emulator's own cost is in both; this ratio is what the SDK itself takes away.
      metrics.push(atLeast(`sendMessage / raw socket @${inFlight}`, median(ratio), "x", 0.95));
      metrics.push(
        info(`sendMessage / baseline echo @${inFlight}`, col((r) => r.send.perSec) / base.perSec, "x"),
      );
      metrics.push(
        info(
          `raw socket client CPU per msg @${inFlight}`,
          col((r) => r.raw.cpuUs),
          "µs",
        ),
      );
      metrics.push(
        info(
          `sendMessage client CPU per msg @${inFlight}`,
          col((r) => r.send.cpuUs),
          "µs",
        ),
      );
      metrics.push(
        info(
          `invoke(64) client CPU per msg @${inFlight}`,
          col((r) => r.invoke.cpuUs),
          "µs",
        ),
      );
      metrics.push(
        info(
          `raw latency p50 @${inFlight}`,
          col((r) => r.raw.p50),
          "ms",
        ),
      );
      metrics.push(
        info(
          `raw latency p99 @${inFlight}`,
          col((r) => r.raw.p99),
          "ms",
        ),
      );
      metrics.push(
        info(
          `sendMessage latency p50 @${inFlight}`,
          col((r) => r.send.p50),
          "ms",
        ),
      );
      metrics.push(
        info(
          `sendMessage latency p99 @${inFlight}`,
          col((r) => r.send.p99),
          "ms",
        ),
      );
      if (watch) {
        const react = (label: string) => median(watch.times(label));
        const rawReact = react("raw");
        metrics.push(info(`raw socket reaction read → next write @1`, rawReact, "µs"));
        metrics.push(info(`sendMessage reaction read → next write @1`, react("send"), "µs"));
        metrics.push(info(`invoke(64) reaction read → next write @1`, react("invoke"), "µs"));
        // The SDK's own time on the round trip's critical path, against that round trip: what
        // msgs/s would lose to the SDK if the machine's load did not move the round trip itself.
        const rawRoundTripUs = 1e6 / col((r) => r.raw.perSec);
        metrics.push(
          info(
            `sendMessage reaction − raw, share of the raw round trip @1`,
            (react("send") - rawReact) / rawRoundTripUs,
            "x",
          ),
        );
        notes.push(
          `@1 reaction: median µs from a read on the client's socket to its next write (net.Socket hooked ` +
            `while @1 runs; both clients pay the same hook) — raw ${rawReact.toFixed(1)}, sendMessage ` +
            `${react("send").toFixed(1)}, invoke ${react("invoke").toFixed(1)}; raw round trip ${rawRoundTripUs.toFixed(0)} µs`,
        );
      }
      notes.push(
        `@${inFlight}: median (min–max) of ${RUNS} runs — raw ${spread(runs.map((r) => r.raw.perSec))} msgs/s, ` +
          `sendMessage ${spread(runs.map((r) => r.send.perSec))}, invoke ${spread(runs.map((r) => r.invoke.perSec))}; ` +
          `sendMessage/raw ${spread(ratio, 3)}; p99 raw ${spread(
            runs.map((r) => r.raw.p99),
            2,
          )} ms, ` +
          `sendMessage ${spread(
            runs.map((r) => r.send.p99),
            2,
          )} ms`,
      );
    }
    const stored = (await emu.call<number>("messageCount")) - storedBefore;
    if (stored < answered) throw new Error(`only ${stored} of ${answered} answered messages are stored`);
    notes.push(
      `throughput: emulator and echo baseline in child processes (bench/lib); load generator runs the raw socket ` +
        `(hand-written 64 frames on a bare ws, user c) and MaxClient (user a) in alternating ${SLICE_MS} ms slices ` +
        `(${SLICES} each per run, ${WARMUP_MS} ms warm-up before each), both to the online recipient b; ` +
        `${stored.toLocaleString("en-US")} messages stored ≥ ${answered.toLocaleString("en-US")} answered in the windows`,
    );
    notes.push(
      `frames: request ${Buffer.byteLength(frame(1_000_001))} B, response ${Buffer.byteLength(responseRaw)} B`,
    );
  } finally {
    await client?.close();
    for (const p of peers) p.close();
    await Promise.all([emu.stop(), echo.stop()]);
  }
}

async function resume(metrics: Metric[], notes: string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sb-bench-client-"));
  const db = openStore({ file: null, modules: [maxStoreModule] });
  const server = new MaxEmulatorServer({ db, dataDir: dir, smsCode: "123456", idleTimeoutMs: 3_600_000 });
  const url = await server.listen(0);
  const clients: MaxClient[] = [];
  try {
    const login = async (phone: string) => {
      const c = new MaxClient({ url, keepaliveIntervalMs: 3_600_000 });
      clients.push(c);
      await c.requestCode(phone);
      await c.signIn("123456");
      return c;
    };
    const me = await login("+79991110001");
    const other = await login("+79991110002");
    const chatId = (await other.sendToUser(me.userId!, "start")).chatId;
    // Every missed message counts once it is delivered, whether through catch-up or (sent after
    // the client was already back, when the reconnect delay was short) as a live push.
    const ledger = new MissedLedger();
    me.on("message", (e) => ledger.onMessage(e));
    const times: number[] = [];
    for (let i = 0; i < DROPS; i++) {
      const t0 = performance.now();
      server.admin.drop({ userId: me.userId! });
      // Messages sent while `me` is away must come back through catch-up.
      for (let k = 0; k < MISSED_PER_DROP; k++) {
        const text = `missed ${i}.${k}`;
        ledger.expect(text);
        await other.sendMessage(chatId, text);
      }
      while (!(ledger.complete && me.loggedIn && me.state === "connected")) {
        await new Promise((r) => setImmediate(r));
        if (performance.now() - t0 > 20_000) {
          throw new Error(
            `drop ${i}: not resumed within 20 s (state ${me.state}, loggedIn ${me.loggedIn}, ` +
              `${ledger.outstanding} missed messages undelivered)`,
          );
        }
      }
      times.push(performance.now() - t0);
    }
    if (ledger.duplicates.length > 0) {
      throw new Error(`missed messages delivered twice: ${ledger.duplicates.slice(0, 5).join(", ")}`);
    }
    const s = summarize(times);
    metrics.push(info("drop → resumed p50", s.p50, "ms"));
    metrics.push(info("drop → resumed p99", s.p99, "ms"));
    metrics.push(
      info("missed messages delivered live (client back before they were sent)", ledger.viaLive, "msgs"),
    );
    notes.push(
      `resume: ${DROPS} drops (server-side socket kill), ${MISSED_PER_DROP} messages sent during each; ` +
        "resumed = reconnected, logged in by token and every missed message delivered exactly once, via history " +
        "(or live, when the client was back before it was sent); " +
        "default reconnect policy (full-jitter backoff, first delay uniform in [0, 250) ms); emulator in-process",
    );
  } finally {
    for (const c of clients) await c.close();
    await server.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function maxClient(): Promise<BenchResult> {
  const started = Date.now();
  const metrics: Metric[] = [];
  const notes: string[] = [];
  await throughput(metrics, notes);
  if (process.env.BENCH_MAX_CLIENT !== "throughput") await resume(metrics, notes);
  return { name: "max-client", metrics, notes, durationMs: Date.now() - started };
}

/** Entry point for bench/run.ts. */
export async function run(): Promise<BenchResult[]> {
  return [await maxClient()];
}

// `node --import tsx bench/max-client.ts` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { table } = await import("./lib/report.js");
  console.log(table(await run()));
  process.exit(0);
}
