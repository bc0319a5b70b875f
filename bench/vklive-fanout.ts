/**
 * vklive-fanout: 2,000 Centrifugo subscribers of one channel chat (raw protocol v2 JSON
 * clients: connect + subscribe batched in one frame); the owner sends a chat message over REST
 * and every subscriber must get the publication. Latency per subscriber = arrival − send start
 * (REST call, commit, fan-out, delivery). Baseline in the same run: a bare `ws` broadcaster
 * behind a bare HTTP POST, same clients, same frame shape.
 */
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { ChildServer } from "./lib/ipc.js";
import { type BenchResult, below, info, type Metric, sleep, summarize } from "./lib/report.js";

const SUBSCRIBERS = Number(process.env.BENCH_VKLIVE_SUBSCRIBERS ?? 2000);
const ROUNDS = 20;
/** Unmeasured rounds first, on both sides, so JIT warm-up favours neither. */
const WARMUP = 2;
const ROUND_TIMEOUT_MS = 5_000;
const DEADLINE_MS = 55_000;

interface Round {
  start: number;
  waiting: number;
  done: () => void;
}

async function openAll(
  url: string,
  n: number,
  onOpen: (ws: WebSocket, i: number) => Promise<void>,
): Promise<WebSocket[]> {
  const out: WebSocket[] = [];
  for (let i = 0; i < n; i += 200) {
    const batch = Array.from({ length: Math.min(200, n - i) }, async (_, j) => {
      const ws = new WebSocket(url);
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
      });
      await onOpen(ws, i + j);
      out.push(ws);
    });
    await Promise.all(batch);
  }
  return out;
}

/** Runs ROUNDS sends through `send`, timing each subscriber's arrival. */
async function measure(
  sockets: WebSocket[],
  send: (round: number) => Promise<void>,
  roundOf: (frame: string) => number | undefined,
  deadline: number,
): Promise<{ latencies: number[]; lost: number; rounds: number }> {
  const latencies: number[] = [];
  let current: Round | undefined;
  let currentId = -1;
  for (const ws of sockets) {
    ws.removeAllListeners("message");
    ws.on("message", (d) => {
      const text = d.toString();
      if (text === "{}") {
        ws.send("{}");
        return;
      }
      for (const line of text.split("\n")) {
        if (roundOf(line) !== currentId || !current) continue;
        if (currentId >= WARMUP) latencies.push(performance.now() - current.start);
        current.waiting -= 1;
        if (current.waiting === 0) current.done();
      }
    });
  }
  let lost = 0;
  let rounds = 0;
  for (let r = 0; r < ROUNDS + WARMUP && Date.now() < deadline; r++) {
    currentId = r;
    const finished = new Promise<void>((resolve) => {
      current = { start: performance.now(), waiting: sockets.length, done: resolve };
    });
    await send(r);
    await Promise.race([finished, sleep(ROUND_TIMEOUT_MS)]);
    lost += current?.waiting ?? 0;
    current = undefined;
    if (r >= WARMUP) rounds++;
    await sleep(50);
  }
  return { latencies, lost, rounds };
}

export async function run(): Promise<BenchResult> {
  const started = Date.now();
  const deadline = started + DEADLINE_MS;
  const notes: string[] = [];
  const metrics: Metric[] = [];
  const child = await ChildServer.start("bench/vklive-fanout-server.ts");
  let sockets: WebSocket[] = [];
  try {
    const url = String(child.info.url);
    const bareUrl = String(child.info.bareUrl);
    const setup = await child.call<{
      channelUrl: string;
      channel: string;
      ownerToken: string;
      tokens: string[];
    }>("setup", {
      count: SUBSCRIBERS,
    });
    const wsUrl = `${url.replace("http", "ws")}/connection/websocket?format=json&cf_protocol_version=v2`;
    const t0 = Date.now();
    sockets = await openAll(wsUrl, SUBSCRIBERS, (ws, i) => {
      return new Promise<void>((resolve, reject) => {
        let got = "";
        ws.on("message", (d) => {
          got += `${d.toString()}\n`;
          if (got.includes('"id":2,')) {
            if (got.includes('"id":2,"subscribe"')) resolve();
            else reject(new Error(`subscribe failed: ${got.slice(0, 200)}`));
          }
        });
        ws.send(
          `${JSON.stringify({ id: 1, connect: { token: setup.tokens[i] } })}\n${JSON.stringify({ id: 2, subscribe: { channel: setup.channel } })}`,
        );
      });
    });
    notes.push(
      `${sockets.length} subscribers connected and subscribed in ${Date.now() - t0} ms; ${ROUNDS} measured rounds after ${WARMUP} warm-up rounds (both sides)`,
    );

    const sendUrl = `${url}/v1/chat/message/send?channel_url=${setup.channelUrl}`;
    const headers = { authorization: `Bearer ${setup.ownerToken}`, "content-type": "application/json" };
    const emuRun = await measure(
      sockets,
      async (r) => {
        const res = await fetch(sendUrl, {
          method: "POST",
          headers,
          body: JSON.stringify({ parts: [{ text: { content: `round ${r}` } }] }),
        });
        if (res.status !== 200) throw new Error(`send answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      },
      (line) => {
        const m = /"content":"round (\d+)"/.exec(line);
        return m ? Number(m[1]) : undefined;
      },
      deadline,
    );
    for (const ws of sockets) ws.terminate();

    // Baseline: same number of plain sockets on the bare broadcaster.
    sockets = await openAll(bareUrl.replace("http", "ws"), SUBSCRIBERS, async () => {});
    await sleep(100);
    const bareRun = await measure(
      sockets,
      async (r) => {
        const res = await fetch(`${bareUrl}/send`, {
          method: "POST",
          body: JSON.stringify({ type: "bench", round: r }),
        });
        await res.arrayBuffer();
      },
      (line) => {
        const m = /"round":(\d+)/.exec(line);
        return m ? Number(m[1]) : undefined;
      },
      deadline + 30_000,
    );

    const s = summarize(emuRun.latencies);
    const b = summarize(bareRun.latencies);
    metrics.push(
      info("vklive fan-out latency p50", s.p50, "ms"),
      below("vklive fan-out latency p99", s.p99, "ms", 100),
      info("vklive fan-out latency max", s.max, "ms"),
      info("baseline (bare ws broadcast) p50", b.p50, "ms"),
      info("baseline (bare ws broadcast) p99", b.p99, "ms"),
      info("p99 ratio emulator / baseline", s.p99 / b.p99, "x"),
      below("lost deliveries", emuRun.lost, "count", 1),
    );
    notes.push(
      `emulator: ${emuRun.latencies.length} deliveries over ${emuRun.rounds} rounds; baseline ${bareRun.latencies.length}`,
    );
    return { name: "vklive-fanout", metrics, notes, durationMs: Date.now() - started };
  } finally {
    for (const ws of sockets) ws.terminate();
    await child.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
