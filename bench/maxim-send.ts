/**
 * maxim-send: `POST /message/send` requests/s against the MaxIM emulator (file-backed SQLite in WAL
 * mode, as the sandbox runs it) vs a bare Fastify route answering the same envelope. Each server
 * runs in its own child process (this file, started with `--serve emulator|bare`); the load comes
 * from this process over keep-alive loopback HTTP, the same loop and concurrency for both, in
 * alternating slices so a neighbour's load hits both alike.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ChildServer, serveIpc } from "./lib/ipc.js";
import { closedLoop } from "./lib/loops.js";
import { atLeast, type BenchResult, info, type Metric, summarize } from "./lib/report.js";
import { loadNote, report, versus } from "./lib/versus.js";

const SELF = fileURLToPath(import.meta.url);
const WARMUP_MS = 1_000;
/** Measured time per side, split into SLICES alternating windows. */
const DURATION_MS = Number(process.env.BENCH_MS ?? 8_000);
const SLICES = 4;
const CONCURRENCY = 32;
/** `BENCH_MAXIM=client`: only the client against bare fetch (skips the server comparison). */
const CLIENT_ONLY = process.env.BENCH_MAXIM === "client";
/** `--profile client|fetch [inFlight]`: one side alone for 4 s, for node --cpu-prof. */
const PROFILE = process.argv.includes("--profile")
  ? (process.argv[process.argv.indexOf("--profile") + 1] ?? "client")
  : "";
const PROFILE_IN_FLIGHT = Number(process.argv[process.argv.indexOf("--profile") + 2] ?? 16) || 16;
const HEADERS_BASE = { "content-type": "application/json" } as const;

interface Slice {
  count: number;
  errors: number;
  latencies: number[];
  ms: number;
}

/** Keeps `CONCURRENCY` requests in flight for `ms`; counts answers with code 200. */
async function load(url: URL, headers: Record<string, string>, body: string, ms: number): Promise<Slice> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const out: Slice = { count: 0, errors: 0, latencies: [], ms };
  const end = performance.now() + ms;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const t0 = performance.now();
      const req = request(
        url,
        { method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (d: string) => {
            text += d;
          });
          res.on("end", () => {
            out.latencies.push(performance.now() - t0);
            if (text.startsWith('{"code":200')) out.count++;
            else out.errors++;
            resolve();
          });
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  const worker = async () => {
    while (performance.now() < end) await one();
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  out.ms = performance.now() - started;
  agent.destroy();
  return out;
}

function combine(parts: Slice[]) {
  const count = parts.reduce((n, p) => n + p.count, 0);
  const ms = parts.reduce((n, p) => n + p.ms, 0);
  return {
    count,
    errors: parts.reduce((n, p) => n + p.errors, 0),
    perSec: count / (ms / 1000),
    latency: summarize(parts.flatMap((p) => p.latencies)),
  };
}

export async function maximSend(): Promise<BenchResult> {
  const started = Date.now();
  const notes: string[] = [];
  const metrics: Metric[] = [];
  const [emu, bare] = await Promise.all([
    ChildServer.start(SELF, ["--serve", "emulator"]),
    ChildServer.start(SELF, ["--serve", "bare"]),
  ]);
  try {
    notes.push(`emulator store: ${String(emu.info.db)} (journal_mode=${String(emu.info.journalMode)})`);
    if (emu.info.journalMode !== "wal")
      throw new Error(`bench store is not WAL: ${String(emu.info.journalMode)}`);
    const target = await emu.call<number>("register", { username: "bench_target" });
    const headers: Record<string, string> = {
      ...HEADERS_BASE,
      app_id: String(emu.info.appId),
      "access-token": String(emu.info.token),
    };
    // The seed's admin text message to one user: validated, authenticated, stored, delivered.
    const body = JSON.stringify({ targets: [target], type: 1, content: "hello", content_type: 0 });
    const { MaxImEndpoints } = await import("../src/maxim/protocol.js");
    const emuUrl = new URL(MaxImEndpoints.sendMessage.path, String(emu.info.url));
    const bareUrl = new URL(MaxImEndpoints.sendMessage.path, String(bare.info.url));
    if (!CLIENT_ONLY && !PROFILE) await serverVsBare(emu, emuUrl, bareUrl, headers, body, metrics, notes);
    await clientVsFetch(emuUrl, headers, body, String(emu.info.url), metrics, notes);
    return { name: "maxim-send", metrics, notes, durationMs: Date.now() - started };
  } finally {
    await Promise.all([emu.stop(), bare.stop()]);
  }
}

/** The emulator's `POST /message/send` against a bare Fastify route, node:http load, 32 in flight. */
async function serverVsBare(
  emu: ChildServer,
  emuUrl: URL,
  bareUrl: URL,
  headers: Record<string, string>,
  body: string,
  metrics: Metric[],
  notes: string[],
): Promise<void> {
  notes.push(`body ${Buffer.byteLength(body)} B, ${CONCURRENCY} requests in flight, keep-alive HTTP/1.1`);
  await load(bareUrl, headers, body, WARMUP_MS);
  await load(emuUrl, headers, body, WARMUP_MS);
  const before = await emu.call<number>("messageCount");
  const baseParts: Slice[] = [];
  const realParts: Slice[] = [];
  for (let i = 0; i < SLICES; i++) {
    baseParts.push(await load(bareUrl, headers, body, DURATION_MS / SLICES));
    realParts.push(await load(emuUrl, headers, body, DURATION_MS / SLICES));
  }
  const base = combine(baseParts);
  const real = combine(realParts);
  const after = await emu.call<number>("messageCount");
  metrics.push(info("bare Fastify req/s", base.perSec, "req/s"));
  metrics.push(info("emulator req/s", real.perSec, "req/s"));
  metrics.push(atLeast("ratio", real.perSec / base.perSec, "x", 0.5));
  metrics.push(info("emulator latency p50", real.latency.p50, "ms"));
  metrics.push(info("emulator latency p99", real.latency.p99, "ms"));
  metrics.push(info("bare latency p50", base.latency.p50, "ms"));
  if (real.errors + base.errors > 0)
    notes.push(`error answers: emulator ${real.errors}, bare ${base.errors}`);
  notes.push(`${after - before} messages stored during the windows (≥ ${real.count} answered)`);
  if (after - before < real.count)
    throw new Error("fewer messages stored than answered: acknowledged data lost");
}

/**
 * The MaxIM client's `sendMessage` against a bare `fetch` loop (the same undici the client uses)
 * posting the same body to the same emulator: what the SDK itself costs, at 1 and 16 in flight,
 * in alternating slices, median of 3 runs, with this process's CPU per request.
 */
async function clientVsFetch(
  url: URL,
  headers: Record<string, string>,
  body: string,
  base: string,
  metrics: Metric[],
  notes: string[],
): Promise<void> {
  const { MaxImClient } = await import("../src/maxim/client/index.js");
  const { EXAMPLE_APP_ID, EXAMPLE_ACCESS_TOKEN } = await import("../src/maxim/protocol.js");
  const client = new MaxImClient({ url: base, appId: EXAMPLE_APP_ID, token: EXAMPLE_ACCESS_TOKEN });
  const parsed = JSON.parse(body) as Parameters<typeof client.sendMessage>[0];
  const viaFetch = async () => {
    const res = await fetch(url, { method: "POST", headers, body });
    const env = (await res.json()) as { code: number };
    if (env.code !== 200) throw new Error(`fetch: code ${env.code}`);
  };
  const viaClient = () => client.sendMessage(parsed);
  try {
    if (PROFILE) {
      // One side per process, so a V8 profile (node --cpu-prof) holds only it.
      const r = await closedLoop(PROFILE === "fetch" ? viaFetch : viaClient, PROFILE_IN_FLIGHT, 300, 4000);
      console.log(
        `${PROFILE} @${PROFILE_IN_FLIGHT}: ${r.count} in 4 s, CPU ${(((r.cpuMs ?? 0) / r.count) * 1000).toFixed(0)} µs/req`,
      );
      return;
    }
    notes.push(`client vs bare fetch: ${loadNote()} at the start`);
    const runs = await versus(viaFetch, viaClient, { inFlight: [1, 16] });
    report("sendMessage vs fetch", runs, metrics, notes, "req/s");
    notes.push(`client vs bare fetch: ${loadNote()} at the end`);
  } finally {
    await client.close();
  }
}

/** `bench/run.ts`-independent entry (`node --import tsx bench/maxim-send.ts`). */
export const run = maximSend;

// ---------------------------------------------------------------- child servers

async function serveEmulator(): Promise<void> {
  const { createMaxImEmulator, maximStoreModule } = await import("../src/maxim/emulator.js");
  const { EXAMPLE_ACCESS_TOKEN, EXAMPLE_APP_ID, MaxImEndpoints } = await import("../src/maxim/protocol.js");
  const { openStore } = await import("../src/core/emulator/store.js");
  const dir = mkdtempSync(join(tmpdir(), "sb-bench-maxim-"));
  const file = join(dir, "bench.db");
  const db = openStore({ file, modules: [maximStoreModule] });
  const emu = createMaxImEmulator({ db });
  const url = await emu.listen(0);
  serveIpc(
    {
      url,
      db: file,
      journalMode: String(db.pragma("journal_mode", { simple: true })),
      appId: EXAMPLE_APP_ID,
      token: EXAMPLE_ACCESS_TOKEN,
    },
    {
      register: async (p: { username: string }) => {
        const res = await fetch(`${url}${MaxImEndpoints.registerUser.path}`, {
          method: "POST",
          headers: { "content-type": "application/json", app_id: EXAMPLE_APP_ID },
          body: JSON.stringify({ username: p.username, password: "pw" }),
        });
        return ((await res.json()) as { data: { user_id: number } }).data.user_id;
      },
      messageCount: () => emu.store.records.countMessages(),
    },
    async () => {
      await emu.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  );
}

async function serveBare(): Promise<void> {
  const { default: Fastify } = await import("fastify");
  const { MaxImEndpoints } = await import("../src/maxim/protocol.js");
  const app = Fastify({ logger: false });
  app.post(MaxImEndpoints.sendMessage.path, async () => ({ code: 200, data: true }));
  await app.listen({ port: 0, host: "127.0.0.1" });
  const port = (app.server.address() as AddressInfo).port;
  serveIpc({ url: `http://127.0.0.1:${port}` }, {}, () => app.close());
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
const serveIdx = process.argv.indexOf("--serve");
if (isMain && serveIdx > 0) {
  await (process.argv[serveIdx + 1] === "bare" ? serveBare() : serveEmulator());
} else if (isMain) {
  const r = await maximSend();
  console.log(JSON.stringify(r, null, 2));
}
