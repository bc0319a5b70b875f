/**
 * max-send: round trips per second of opcode 64 (send message) over one logged-in connection,
 * 1 and 64 requests in flight, against a bare `ws` echo server sending and receiving frames of
 * the same sizes. The recipient of the dialog is online, so every send also pushes a 128.
 */

import { combine, Peer, type RoundTripResult, roundTrips } from "./lib/client.js";
import { ChildServer } from "./lib/ipc.js";
import { atLeast, type BenchResult, info, type Metric } from "./lib/report.js";

const WARMUP_MS = 500;
/** Measured time per side and in-flight count, split into SLICES alternating windows. */
const DURATION_MS = 5_000;
const SLICES = 2;
const IN_FLIGHT = [1, 64] as const;
const TEXT = "Привет! Это сообщение из бенчмарка: проверяем скорость отправки.";

/** The emulator child's own CPU and event-loop busy time so far, ms (bench/lib/max-server.ts). */
interface Usage {
  cpuMs: number;
  busyMs: number;
}

const perMessage = (ms: number, n: number) => (n > 0 ? ((ms * 1000) / n).toFixed(1) : "n/a");

export async function maxSend(): Promise<BenchResult> {
  const started = Date.now();
  const notes: string[] = [];
  const metrics: Metric[] = [];
  const [emu, echo] = await Promise.all([
    ChildServer.start("bench/lib/max-server.ts"),
    ChildServer.start("bench/lib/echo-server.ts"),
  ]);
  const peers: Peer[] = [];
  try {
    notes.push(`emulator store: ${String(emu.info.db)} (journal_mode=${String(emu.info.journalMode)})`);
    if (emu.info.journalMode !== "wal")
      throw new Error(`bench store is not WAL: ${String(emu.info.journalMode)}`);
    const [a, b] = await emu.call<{ userId: number; token: string }[]>("users", { count: 2, sessions: 2 });
    if (!a || !b) throw new Error("users were not created");
    const sender = await Peer.open(String(emu.info.url));
    const recipient = await Peer.open(String(emu.info.url));
    peers.push(sender, recipient);
    await sender.login(a.token, "bench-sender");
    await recipient.login(b.token, "bench-recipient");
    // The recipient only counts its pushes (no parsing on the load generator's hot path).
    recipient.ws.removeAllListeners("message");
    let pushed = 0;
    recipient.ws.on("message", () => pushed++);

    // First message opens the dialog; its frames give the sizes the baseline mirrors.
    const first = await sender.ok(64, {
      userId: b.userId,
      message: { text: TEXT, cid: 1, elements: [], attaches: [] },
    });
    const chatId = Number(first.chatId);
    if (!Number.isInteger(chatId))
      throw new Error(`64 answered without chatId: ${JSON.stringify(first).slice(0, 200)}`);
    const frame = (seq: number) =>
      `{"ver":11,"cmd":0,"seq":${seq},"opcode":64,"payload":{"chatId":${chatId},"message":{"text":"${TEXT}","cid":${1_750_000_000_000 + seq},"elements":[],"attaches":[]},"notify":true}}`;
    const sample = frame(1_000_001);
    const responseRaw = await new Promise<string>((resolve) => {
      sender.ws.once("message", (data) => resolve(data.toString()));
      sender.ws.send(sample);
    });
    const response = JSON.parse(responseRaw) as { cmd: number; payload: unknown };
    if (response.cmd !== 1) throw new Error(`64 failed: ${responseRaw.slice(0, 300)}`);
    const requestBytes = Buffer.byteLength(sample);
    const responseBytes = Buffer.byteLength(responseRaw);
    await echo.call("setReply", { text: responseRaw });
    notes.push(
      `frames: request ${requestBytes} B, response ${responseBytes} B (baseline echoes the same sizes)`,
    );
    notes.push("recipient online: every 64 also pushes one 128 to another socket (fan-out included)");
    sender.ws.removeAllListeners("message");

    const baselineWs = (await Peer.open(String(echo.info.url))).ws;
    const runs: Record<string, RoundTripResult> = {};
    const before = await emu.call<number>("messageCount");
    for (const inFlight of IN_FLIGHT) {
      // Baseline and emulator take turns in short slices, so a neighbour's load on this shared
      // machine hits both alike instead of skewing the ratio.
      const opts = { frame, inFlight, warmupMs: WARMUP_MS, durationMs: DURATION_MS / SLICES };
      const baseParts: RoundTripResult[] = [];
      const realParts: RoundTripResult[] = [];
      const cost = { cpuMs: 0, busyMs: 0, stored: 0 };
      for (let i = 0; i < SLICES; i++) {
        baseParts.push(await roundTrips(baselineWs, opts));
        const [u0, n0] = [await emu.call<Usage>("usage"), await emu.call<number>("messageCount")];
        realParts.push(await roundTrips(sender.ws, opts));
        const [u1, n1] = [await emu.call<Usage>("usage"), await emu.call<number>("messageCount")];
        cost.cpuMs += u1.cpuMs - u0.cpuMs;
        cost.busyMs += u1.busyMs - u0.busyMs;
        cost.stored += n1 - n0;
      }
      notes.push(
        `server cost per stored 64 @${inFlight}: CPU ${perMessage(cost.cpuMs, cost.stored)} µs, event loop busy ${perMessage(cost.busyMs, cost.stored)} µs (emulator slices, warm-up included)`,
      );
      const base = combine(baseParts);
      const real = combine(realParts);
      runs[`base${inFlight}`] = base;
      runs[`emu${inFlight}`] = real;
      const ratio = real.perSec / base.perSec;
      metrics.push(info(`baseline rt/s @${inFlight}`, base.perSec, "rt/s"));
      metrics.push(info(`emulator rt/s @${inFlight}`, real.perSec, "rt/s"));
      metrics.push(
        inFlight === 64
          ? atLeast(`ratio @${inFlight}`, ratio, "x", 0.5)
          : info(`ratio @${inFlight}`, ratio, "x"),
      );
      metrics.push(info(`emulator latency p50 @${inFlight}`, real.latencyMs.p50, "ms"));
      metrics.push(info(`emulator latency p99 @${inFlight}`, real.latencyMs.p99, "ms"));
      if (real.errors > 0) notes.push(`${real.errors} error answers at ${inFlight} in flight`);
    }
    baselineWs.terminate();
    const after = await emu.call<number>("messageCount");
    const sent = Object.entries(runs)
      .filter(([k]) => k.startsWith("emu"))
      .reduce((n, [, r]) => n + r.count, 0);
    notes.push(
      `${after - before} messages stored in SQLite during the runs (≥ ${sent} answered in the windows)`,
    );
    notes.push(`recipient received ${pushed} pushes`);
    if (after - before < sent) throw new Error("fewer messages stored than answered: acknowledged data lost");
    return { name: "max-send", metrics, notes, durationMs: Date.now() - started };
  } finally {
    for (const p of peers) p.close();
    await Promise.all([emu.stop(), echo.stop()]);
  }
}
