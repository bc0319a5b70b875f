/**
 * maxbot: the MAX Bot API emulator, measured against baselines of the same run.
 * 1. `POST /messages` (a bot writes to a user's dialog: validated, stored in the MAX world, pushed
 *    to the user's sessions) against a bare Fastify route answering a body of the same size, with
 *    the same fetch loop, 1 and 16 in flight, alternating slices, median and min–max of 3 runs.
 * 2. Update delivery latency: a MAX user sends over the user API (opcode 64, raw WebSocket) while
 *    the bot waits in `GET /updates`; the time from the send to the long poll's answer, against a
 *    bare Fastify round trip measured in the same run.
 * 3. Update throughput: the user sends a burst with 64 in flight into the bot's dialog while the bot
 *    long-polls (limit 1000, marker passed on); updates/s delivered, against the same user's send
 *    rate into a dialog with another user (no bot) in the same run.
 * The sandbox runs in a child process (file-backed SQLite in WAL mode, every plugin as `npm start`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Peer } from "./lib/client.js";
import { ChildServer, serveIpc } from "./lib/ipc.js";
import { median, spread } from "./lib/loops.js";
import { type BenchResult, info, type Metric, summarize } from "./lib/report.js";
import { loadNote, report, versus } from "./lib/versus.js";

const SELF = fileURLToPath(import.meta.url);
const TEXT = "Привет! Это сообщение бота из бенчмарка.";
const LATENCY_SAMPLES = Number(process.env.BENCH_MAXBOT_SAMPLES ?? 200);
const BURST = Number(process.env.BENCH_MAXBOT_BURST ?? 2000);

interface Setup {
  maxUrl: string;
  botUrl: string;
  userId: number;
  userToken: string;
  otherId: number;
  botId: number;
  botToken: string;
  /** More bots' tokens: the send loop spreads over them to stay under 30 requests/s per bot. */
  senders: string[];
}

interface UpdatesPage {
  updates: { update_type: string; message?: { body?: { text?: string } } }[];
  marker: number | null;
}

export async function maxbot(): Promise<BenchResult> {
  const started = Date.now();
  const notes: string[] = [];
  const metrics: Metric[] = [];
  const [emu, bare] = await Promise.all([
    ChildServer.start(SELF, ["--serve", "sandbox"]),
    ChildServer.start(SELF, ["--serve", "bare"]),
  ]);
  let peer: Peer | undefined;
  try {
    notes.push(`sandbox store: ${String(emu.info.db)} (journal_mode=${String(emu.info.journalMode)})`);
    if (emu.info.journalMode !== "wal")
      throw new Error(`bench store is not WAL: ${String(emu.info.journalMode)}`);
    const s = await emu.call<Setup>("setup");
    const auth = { authorization: s.botToken };
    const sendUrl = `${s.botUrl}/messages?user_id=${s.userId}`;
    const body = JSON.stringify({ text: TEXT });
    const headers = { ...auth, "content-type": "application/json" };
    // The bare route answers exactly what the emulator answers (same size on the wire).
    const sample = await (await fetch(sendUrl, { method: "POST", headers, body })).text();
    await bare.call("answer", { body: sample });
    const bareUrl = `${String(bare.info.url)}/messages?user_id=${s.userId}`;
    // Each side's request n carries sender n mod 256: the same headers, and no bot over its 30/s.
    const senderHeaders = s.senders.map((token) => ({
      authorization: token,
      "content-type": "application/json",
    }));
    let turn = 0;
    const nextHeaders = () => senderHeaders[turn++ % senderHeaders.length] as Record<string, string>;
    const viaBare = async () => {
      const res = await fetch(bareUrl, { method: "POST", headers: nextHeaders(), body });
      await res.text();
    };
    const viaEmulator = async () => {
      const res = await fetch(sendUrl, { method: "POST", headers: nextHeaders(), body });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`POST /messages: ${res.status} ${text.slice(0, 200)}`);
    };
    notes.push(
      `POST /messages: ${loadNote()} at the start; body ${body.length} B, answer ${sample.length} B; requests spread over ${s.senders.length} bots (the platform allows 30/s per bot)`,
    );
    const before = await emu.call<number>("messageCount");
    const runs = await versus(viaBare, viaEmulator, { inFlight: [1, 16] });
    const after = await emu.call<number>("messageCount");
    report("POST /messages emulator vs bare Fastify", runs, metrics, notes, "req/s");
    const answered = [...runs.values()].flat().reduce((n, r) => n + r.client.count, 0);
    notes.push(`${after - before} messages stored while ≥ ${answered} sends were answered in the windows`);
    if (after - before < answered)
      throw new Error("fewer messages stored than answered: acknowledged data lost");

    // The user's side: a raw user-API session (hello + login by token), as a returning client.
    peer = await Peer.open(s.maxUrl);
    await peer.login(s.userToken, "bench-maxbot-user");
    const dialog = Number(
      (
        (await peer.ok(64, {
          userId: s.botId,
          message: { text: "hi", cid: 1, elements: [], attaches: [] },
        })) as {
          chatId: number;
        }
      ).chatId,
    );
    const plain = Number(
      (
        (await peer.ok(64, {
          userId: s.otherId,
          message: { text: "hi", cid: 2, elements: [], attaches: [] },
        })) as {
          chatId: number;
        }
      ).chatId,
    );
    let cid = 10;
    const userSend = (chatId: number) =>
      peer!.ok(64, { chatId, message: { text: TEXT, cid: cid++, elements: [], attaches: [] }, notify: true });
    const poll = async (marker: number | null, timeout: number): Promise<UpdatesPage> => {
      const q = `limit=1000&timeout=${timeout}&types=message_created${marker === null ? "" : `&marker=${marker}`}`;
      const res = await fetch(`${s.botUrl}/updates?${q}`, { headers: auth });
      if (res.status !== 200) throw new Error(`GET /updates: ${res.status} ${await res.text()}`);
      return (await res.json()) as UpdatesPage;
    };
    // Commit whatever is queued (the setup's "hi"), so each poll below waits for one new update.
    let marker = (await poll(null, 0)).marker;
    marker = (await poll(marker, 0)).marker;

    // 2. Delivery latency: the poll is waiting before the user sends.
    const delivery: number[] = [];
    const bareTrip: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      // Paced: a bot may make at most 30 requests/s, long polls included.
      const paced = new Promise((r) => setTimeout(r, 40));
      const waiting = poll(marker, 30);
      await new Promise((r) => setTimeout(r, 2));
      const t0 = performance.now();
      await userSend(dialog);
      const page = await waiting;
      delivery.push(performance.now() - t0);
      if (page.updates.length !== 1) throw new Error(`expected one update, got ${page.updates.length}`);
      marker = page.marker;
      const b0 = performance.now();
      await viaBare();
      bareTrip.push(performance.now() - b0);
      await paced;
    }
    const d = summarize(delivery);
    const b = summarize(bareTrip);
    metrics.push(
      info("update delivery latency p50 (user send → long poll answer)", d.p50, "ms"),
      info("update delivery latency p99", d.p99, "ms"),
      info("bare Fastify round trip p50 (same run)", b.p50, "ms"),
      info("delivery p50 / bare round trip p50", d.p50 / b.p50, "x"),
    );
    notes.push(
      `delivery latency over ${LATENCY_SAMPLES} sequential sends, one per 40 ms (the bot's 30 requests/s): p50 ${d.p50.toFixed(2)}, p90 ${d.p90.toFixed(2)}, p99 ${d.p99.toFixed(2)}, max ${d.max.toFixed(2)} ms`,
    );

    // 3. Throughput: bursts into the bot's dialog (polled) vs into a plain dialog, 3 runs each.
    const burst = async (chatId: number) => {
      let next = 0;
      const worker = async () => {
        while (next < BURST) {
          next++;
          await userSend(chatId);
        }
      };
      await Promise.all(Array.from({ length: 64 }, worker));
    };
    const toBot: number[] = [];
    const plainRate: number[] = [];
    for (let run = 0; run < 3; run++) {
      let t0 = performance.now();
      await burst(plain);
      plainRate.push((BURST / (performance.now() - t0)) * 1000);
      t0 = performance.now();
      let got = 0;
      const sending = burst(dialog);
      while (got < BURST) {
        const paced = new Promise((r) => setTimeout(r, 40));
        const page = await poll(marker, 10);
        await paced;
        got += page.updates.length;
        marker = page.marker;
      }
      await sending;
      toBot.push((BURST / (performance.now() - t0)) * 1000);
    }
    const ratio = toBot.map((v, i) => v / (plainRate[i] as number));
    metrics.push(
      info("user sends/s into a plain dialog @64 (baseline)", median(plainRate), "msgs/s"),
      info("updates/s delivered to a long-polling bot @64", median(toBot), "updates/s"),
      info("bot delivery / plain send", median(ratio), "x"),
    );
    notes.push(
      `throughput: ${BURST} messages per burst, 64 in flight; plain ${spread(plainRate)} msgs/s, to the bot ${spread(toBot)} updates/s, ratio ${spread(ratio, 3)} (median (min–max) of 3 runs); ${loadNote()} at the end`,
    );
    return { name: "maxbot", metrics, notes, durationMs: Date.now() - started };
  } finally {
    peer?.close();
    await Promise.all([emu.stop(), bare.stop()]);
  }
}

export const run = maxbot;

// ---------------------------------------------------------------- child servers

async function serveSandbox(): Promise<void> {
  const { startSandbox } = await import("../src/sandbox/runner.js");
  const { createUser, newLoginToken } = await import("../src/max/emulator/handlers/auth.js");
  const dir = mkdtempSync(join(tmpdir(), "sb-bench-maxbot-"));
  const file = join(dir, "bench.db");
  const sandbox = await startSandbox({ port: 0, data: file, smsCode: "123456", maxSocketTls: false });
  const emu = sandbox.max.emu;
  const db = emu.db;
  serveIpc(
    { db: file, journalMode: String(db.pragma("journal_mode", { simple: true })) },
    {
      setup: () => {
        const session = (userId: number) => {
          const token = newLoginToken();
          emu.repos.users.createSession(
            {
              token,
              userId,
              deviceId: `bench-${userId}`,
              deviceType: "WEB",
              deviceName: "bench",
              appVersion: "1",
            },
            emu.now(),
          );
          return token;
        };
        const user = createUser(emu, { phone: "+79990000001", firstName: "Bench" });
        const other = createUser(emu, { phone: "+79990000002", firstName: "Other" });
        const bot = sandbox.maxbot.admin.createBot({ name: "Bench bot" });
        const senders = Array.from(
          { length: 256 },
          (_, i) => sandbox.maxbot.admin.createBot({ name: `Sender ${i}` }).token,
        );
        return {
          maxUrl: sandbox.urls.max,
          botUrl: sandbox.urls.maxbot,
          userId: user.id,
          userToken: session(user.id),
          otherId: other.id,
          botId: bot.userId,
          botToken: bot.token,
          senders,
        } satisfies Setup;
      },
      messageCount: () => emu.repos.messages.count(),
    },
    async () => {
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  );
}

async function serveBare(): Promise<void> {
  const { default: Fastify } = await import("fastify");
  const app = Fastify({ logger: false });
  let answer = "{}";
  app.post("/messages", async (_req, reply) => reply.type("application/json").send(answer));
  app.get("/messages", async (_req, reply) => reply.type("application/json").send(answer));
  await app.listen({ port: 0, host: "127.0.0.1" });
  const port = (app.server.address() as AddressInfo).port;
  serveIpc(
    { url: `http://127.0.0.1:${port}` },
    {
      answer: (p: { body: string }) => {
        answer = p.body;
        return true;
      },
    },
    () => app.close(),
  );
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
const serveIdx = process.argv.indexOf("--serve");
if (isMain && serveIdx > 0) {
  await (process.argv[serveIdx + 1] === "bare" ? serveBare() : serveSandbox());
} else if (isMain) {
  const r = await maxbot();
  const { table } = await import("./lib/report.js");
  console.log(table([r]));
}
