/**
 * max-client: what the MaxClient SDK costs and how fast it comes back.
 *
 * - sendMessage round trips/s with 64 in flight (typed method: schema check, parse), as a ratio
 *   to the bare `ws` echo baseline of the same run (same frame sizes), and the SDK's overhead over
 *   its own raw `invoke(64, …)` (same transport, no validation or parsing).
 * - Time from a dropped connection to resumed (socket back, hello, login by token, history
 *   catch-up of the messages sent meanwhile all delivered), p50 / p99, with the client's default
 *   reconnect policy. The drop needs the emulator's admin side, so that part runs the emulator
 *   in this process (noted in the output).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { openStore } from "../src/core/emulator/store.js";
import { MaxClient } from "../src/max/client/index.js";
import { maxStoreModule } from "../src/max/emulator/index.js";
import { MaxEmulatorServer } from "../src/max/emulator/server.js";
import { Peer, roundTrips } from "./lib/client.js";
import { ChildServer } from "./lib/ipc.js";
import { atLeast, type BenchResult, info, type Metric, summarize } from "./lib/report.js";
import { MissedLedger } from "./lib/resume.js";

const WARMUP_MS = 200;
const DURATION_MS = 4_000;
const SLICES = 4;
const IN_FLIGHT = 64;
const DROPS = 30;
const MISSED_PER_DROP = 5;
const TEXT = "Привет! Это сообщение из бенчмарка: проверяем скорость отправки.";

interface Loop {
  count: number;
  windowMs: number;
  latencies: number[];
}

function merge(parts: Loop[]): { perSec: number; p50: number; p99: number } {
  const count = parts.reduce((n, p) => n + p.count, 0);
  const windowMs = parts.reduce((n, p) => n + p.windowMs, 0);
  const s = summarize(parts.flatMap((p) => p.latencies));
  return { perSec: (count / windowMs) * 1000, p50: s.p50, p99: s.p99 };
}

/** Closed loop over an async call with `inFlight` outstanding; counts completions in the window. */
async function closedLoop(call: () => Promise<unknown>, inFlight: number, durationMs: number): Promise<Loop> {
  let measuring = false;
  let done = false;
  let count = 0;
  const latencies: number[] = [];
  const worker = async () => {
    while (!done) {
      const t0 = performance.now();
      await call();
      if (measuring) {
        count++;
        latencies.push(performance.now() - t0);
      }
    }
  };
  const workers = Array.from({ length: inFlight }, worker);
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  measuring = true;
  const start = performance.now();
  await new Promise((r) => setTimeout(r, durationMs));
  measuring = false;
  const windowMs = performance.now() - start;
  done = true;
  await Promise.all(workers);
  return { count, windowMs, latencies };
}

async function throughput(metrics: Metric[], notes: string[]): Promise<void> {
  const [emu, echo] = await Promise.all([
    ChildServer.start("bench/lib/max-server.ts"),
    ChildServer.start("bench/lib/echo-server.ts"),
  ]);
  const peers: Peer[] = [];
  let client: MaxClient | undefined;
  try {
    const [a, b] = await emu.call<{ userId: number; token: string }[]>("users", { count: 2, sessions: 2 });
    if (!a || !b) throw new Error("users were not created");
    const recipient = await Peer.open(String(emu.info.url));
    peers.push(recipient);
    await recipient.login(b.token, "bench-recipient");
    recipient.ws.removeAllListeners("message");

    client = new MaxClient({ url: String(emu.info.url), token: a.token, keepaliveIntervalMs: 3_600_000 });
    await client.connect();
    const chatId = (await client.sendToUser(b.userId, TEXT)).chatId;

    // The baseline answers with the emulator's real 64 response, so both sides move the same bytes.
    const probe = await Peer.open(String(emu.info.url));
    peers.push(probe);
    await probe.login(a.token, "bench-probe");
    const frame = (seq: number) =>
      `{"ver":11,"cmd":0,"seq":${seq},"opcode":64,"payload":{"chatId":${chatId},"message":{"text":"${TEXT}","cid":${1_750_000_000_000 + seq},"elements":[],"attaches":[]},"notify":true}}`;
    const responseRaw = await new Promise<string>((resolve) => {
      probe.ws.once("message", (data) => resolve(data.toString()));
      probe.ws.send(frame(1_000_001));
    });
    await echo.call("setReply", { text: responseRaw });
    probe.ws.removeAllListeners("message");
    const raw = await roundTrips(probe.ws, {
      frame,
      inFlight: IN_FLIGHT,
      warmupMs: WARMUP_MS,
      durationMs: DURATION_MS,
    });
    const baselineWs = (await Peer.open(String(echo.info.url))).ws;
    const base = await roundTrips(baselineWs, {
      frame,
      inFlight: IN_FLIGHT,
      warmupMs: WARMUP_MS,
      durationMs: DURATION_MS,
    });
    baselineWs.terminate();

    const c = client;
    let cid = 0;
    const viaInvoke = () =>
      c.invoke(64, { chatId, message: { text: TEXT, cid: ++cid, elements: [], attaches: [] }, notify: true });
    const viaSend = () => c.sendMessage(chatId, TEXT);
    // The two take turns in short slices, so the store's growth and a neighbour's load hit both alike.
    const invokeParts: Loop[] = [];
    const sendParts: Loop[] = [];
    for (let i = 0; i < SLICES; i++) {
      invokeParts.push(await closedLoop(viaInvoke, IN_FLIGHT, DURATION_MS / SLICES));
      sendParts.push(await closedLoop(viaSend, IN_FLIGHT, DURATION_MS / SLICES));
    }
    const invoke = merge(invokeParts);
    const send = merge(sendParts);

    metrics.push(info(`baseline ws echo rt/s @${IN_FLIGHT}`, base.perSec, "rt/s"));
    metrics.push(info(`client invoke(64) rt/s @${IN_FLIGHT}`, invoke.perSec, "rt/s"));
    metrics.push(info(`client sendMessage rt/s @${IN_FLIGHT}`, send.perSec, "rt/s"));
    metrics.push(info(`raw socket → emulator rt/s @${IN_FLIGHT}`, raw.perSec, "rt/s"));
    metrics.push(info(`sendMessage / baseline @${IN_FLIGHT}`, send.perSec / base.perSec, "x"));
    // The emulator's own cost is in both; this ratio is what the SDK itself takes away.
    metrics.push(atLeast(`sendMessage / raw socket @${IN_FLIGHT}`, send.perSec / raw.perSec, "x", 0.8));
    metrics.push(info(`invoke / baseline @${IN_FLIGHT}`, invoke.perSec / base.perSec, "x"));
    metrics.push(info("sendMessage overhead over invoke", (invoke.perSec / send.perSec - 1) * 100, "%"));
    metrics.push(info(`sendMessage latency p50 @${IN_FLIGHT}`, send.p50, "ms"));
    metrics.push(info(`sendMessage latency p99 @${IN_FLIGHT}`, send.p99, "ms"));
    notes.push(
      "throughput: emulator and echo baseline in child processes (bench/lib); client in the load-generator process; " +
        "raw socket = hand-written 64 frames on a bare ws to the same emulator (no SDK)",
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
  await resume(metrics, notes);
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
