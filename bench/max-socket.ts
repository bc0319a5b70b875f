/**
 * max-socket: round trips per second of opcode 64 (send message) over the emulator's binary
 * socket transport ("ver 10": 10-byte header, MessagePack, plain TCP here), 1 and 64 requests
 * in flight, against a bare TCP server that splits the same frames and answers each with a frame
 * of the emulator's response size (bench/lib/tcp-echo-server.ts), in the same run. Frames are
 * written and read with the emulator's own framing module (src/max/protocol/binary.ts), not with
 * MaxClient. The recipient of the dialog is online on another socket, so every send also pushes
 * a 128; every acknowledged message must be in SQLite (WAL file, durable before the answer).
 *
 * Both servers run in their own process (bench/lib/ipc.ts). The emulator child is this file
 * started with EMULATOR_CHILD_FLAG: bench/lib/max-server.ts serves the WebSocket only.
 * Medians of 3 runs (each 3 alternating slices per side) with their min–max.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../src/core/emulator/store.js";
import { createUser, newLoginToken } from "../src/max/emulator/handlers/auth.js";
import { maxStoreModule } from "../src/max/emulator/index.js";
import { MaxEmulatorServer } from "../src/max/emulator/server.js";
import { BINARY_VERSION, BinaryFrameReader, decodeBinary, encodeBinary } from "../src/max/protocol/binary.js";
import { ChildServer, serveIpc } from "./lib/ipc.js";
import { median, spread } from "./lib/loops.js";
import { atLeast, type BenchResult, info, type Metric } from "./lib/report.js";
import { loadNote, versus } from "./lib/versus.js";

const EMULATOR_CHILD_FLAG = "--max-socket-emulator";
const IN_FLIGHT = [1, 64] as const;
const TEXT = "Привет! Это сообщение из бенчмарка: проверяем скорость отправки.";
/** How long one call may wait for its answer before the run fails (a lost frame, not slowness). */
const CALL_TIMEOUT_MS = 30_000;

/** A raw binary-framing peer: requests out by seq, answers matched back by seq. */
class FramePeer {
  private readonly reader = new BinaryFrameReader();
  private readonly waiting = new Map<
    number,
    { resolve: (frame: Buffer) => void; reject: (e: Error) => void }
  >();
  private seq = 0;
  /** Frames that answered nothing of ours (pushes), counted only. */
  pushes = 0;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      for (const frame of this.reader.push(chunk)) {
        const cmd = frame[1] as number;
        const waiter = cmd === 0 ? undefined : this.waiting.get(frame.readUInt16BE(2));
        if (!waiter) {
          this.pushes++;
          continue;
        }
        this.waiting.delete(frame.readUInt16BE(2));
        waiter.resolve(frame);
      }
    });
    socket.on("close", () => {
      for (const w of this.waiting.values()) w.reject(new Error("socket closed"));
      this.waiting.clear();
    });
    socket.on("error", () => socket.destroy());
  }

  static open(host: string, port: number): Promise<FramePeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true }, () => resolve(new FramePeer(socket)));
      socket.once("error", reject);
    });
  }

  /** The next seq (u16, never 0), skipping any still waiting for its answer. */
  nextSeq(): number {
    do this.seq = (this.seq % 0xffff) + 1;
    while (this.waiting.has(this.seq));
    return this.seq;
  }

  /** Writes a frame whose header carries `seq`; resolves to the raw answer frame. */
  send(frame: Buffer, seq: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(seq);
        reject(new Error(`no answer to seq ${seq} within ${CALL_TIMEOUT_MS} ms`));
      }, CALL_TIMEOUT_MS);
      this.waiting.set(seq, {
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.write(frame);
    });
  }

  /** A request decoded: the answer's payload, or an Error for an error answer (cmd 3). */
  async request(opcode: number, payload: unknown): Promise<Record<string, unknown>> {
    const seq = this.nextSeq();
    const answer = decodeBinary(
      await this.send(encodeBinary({ ver: BINARY_VERSION, cmd: 0, seq, opcode, payload }), seq),
    );
    if (answer.cmd !== 1)
      throw new Error(`opcode ${opcode} failed: ${JSON.stringify(answer.payload).slice(0, 300)}`);
    return answer.payload as Record<string, unknown>;
  }

  /** Hello as the Android app, then login by token: a socket session. */
  async login(token: string, deviceId: string): Promise<void> {
    await this.request(6, {
      userAgent: {
        deviceType: "ANDROID",
        appVersion: "25.10.0",
        osVersion: "Android 14",
        deviceName: "bench",
      },
      deviceId,
    });
    await this.request(19, { interactive: true, token, chatsSync: 0, contactsSync: 0, chatsCount: 40 });
  }

  close(): void {
    this.socket.destroy();
  }
}

export async function run(): Promise<BenchResult> {
  const started = Date.now();
  const notes: string[] = [loadNote()];
  const metrics: Metric[] = [];
  const [emu, echo] = await Promise.all([
    ChildServer.start("bench/max-socket.ts", [EMULATOR_CHILD_FLAG]),
    ChildServer.start("bench/lib/tcp-echo-server.ts"),
  ]);
  const peers: FramePeer[] = [];
  try {
    notes.push(`emulator store: ${String(emu.info.db)} (journal_mode=${String(emu.info.journalMode)})`);
    if (emu.info.journalMode !== "wal")
      throw new Error(`bench store is not WAL: ${String(emu.info.journalMode)}`);
    const [a, b] = await emu.call<{ userId: number; token: string }[]>("users", { count: 2 });
    if (!a || !b) throw new Error("users were not created");
    const host = String(emu.info.host);
    const sender = await FramePeer.open(host, Number(emu.info.socketPort));
    const recipient = await FramePeer.open(host, Number(emu.info.socketPort));
    peers.push(sender, recipient);
    await sender.login(a.token, "bench-sender");
    await recipient.login(b.token, "bench-recipient");
    const first = await sender.request(64, {
      userId: b.userId,
      message: { text: TEXT, cid: 1, elements: [], attaches: [] },
    });
    const chatId = Number(first.chatId);
    if (!Number.isInteger(chatId))
      throw new Error(`64 answered without chatId: ${JSON.stringify(first).slice(0, 200)}`);

    // One request frame per call, encoded as the load generator would (same work on both sides).
    let cid = 1_750_000_000_000;
    const frame = (peer: FramePeer): { seq: number; bytes: Buffer } => {
      const seq = peer.nextSeq();
      const payload = {
        chatId,
        message: { text: TEXT, cid: ++cid, elements: [], attaches: [] },
        notify: true,
      };
      return { seq, bytes: encodeBinary({ ver: BINARY_VERSION, cmd: 0, seq, opcode: 64, payload }) };
    };
    const sample = frame(sender);
    const responseFrame = await sender.send(sample.bytes, sample.seq);
    const response = decodeBinary(responseFrame);
    if (response.cmd !== 1) throw new Error(`64 failed: ${JSON.stringify(response.payload).slice(0, 300)}`);
    await echo.call("setReply", { base64: responseFrame.toString("base64") });
    notes.push(
      `frames: request ${sample.bytes.length} B, response ${responseFrame.length} B (baseline answers the same bytes)`,
    );
    notes.push("recipient online on a second socket: every 64 also pushes one 128 (fan-out included)");

    const baseline = await FramePeer.open(String(echo.info.host), Number(echo.info.port));
    peers.push(baseline);
    let errors = 0;
    const emulatorCall = async () => {
      const f = frame(sender);
      const answer = await sender.send(f.bytes, f.seq);
      if (answer[1] !== 1) errors++;
    };
    const baselineCall = async () => {
      const f = frame(baseline);
      await baseline.send(f.bytes, f.seq);
    };
    const before = await emu.call<number>("messageCount");
    const answered = { n: 0 };
    const counted = async () => {
      await emulatorCall();
      answered.n++;
    };
    const runs = await versus(baselineCall, counted, { inFlight: IN_FLIGHT, runs: 3, slices: 3 });
    for (const [n, rs] of runs) {
      const ratio = rs.map((r) => r.client.perSec / r.base.perSec);
      const base = rs.map((r) => r.base.perSec);
      const real = rs.map((r) => r.client.perSec);
      const p50 = rs.map((r) => r.client.p50);
      metrics.push(
        info(`TCP echo rt/s @${n}`, median(base), "rt/s"),
        info(`emulator socket rt/s @${n}`, median(real), "rt/s"),
        // The bar for the WebSocket transport (≥ 0.5× its bare echo at 64 in flight).
        n === 64 ? atLeast(`ratio @${n}`, median(ratio), "x", 0.5) : info(`ratio @${n}`, median(ratio), "x"),
        info(`emulator latency p50 @${n}`, median(p50), "ms"),
      );
      notes.push(
        `@${n}: TCP echo ${spread(base)} rt/s, emulator socket ${spread(real)} rt/s, ratio ${spread(ratio, 3)}, ` +
          `emulator p50 ${spread(p50, 2)} ms (median (min–max) of ${rs.length} runs of 3 alternating slices)`,
      );
    }
    if (errors > 0) throw new Error(`${errors} error answers from the emulator`);
    const after = await emu.call<number>("messageCount");
    notes.push(
      `${after - before} messages stored in SQLite during the runs (${answered.n} answered, warm-up included)`,
    );
    notes.push(`recipient received ${recipient.pushes} pushes`);
    metrics.push(info("messages stored − answered", after - before - answered.n, "msgs"));
    if (after - before < answered.n)
      throw new Error("fewer messages stored than answered: acknowledged data lost");
    return { name: "max-socket", metrics, notes, durationMs: Date.now() - started };
  } finally {
    for (const p of peers) p.close();
    await Promise.all([emu.stop(), echo.stop()]);
  }
}

/** The emulator child: file-backed WAL store as the sandbox runs it, WebSocket + plain TCP socket port. */
async function serveEmulatorChild(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sb-bench-max-socket-"));
  const file = join(dir, "bench.db");
  const db = openStore({ file, modules: [maxStoreModule] });
  const server = new MaxEmulatorServer({
    db,
    dataDir: join(dir, "files"),
    smsCode: "123456",
    idleTimeoutMs: 3_600_000,
    socket: { tls: false },
  });
  await server.listen(0);
  const address = await server.listenSocket(0);
  const port = Number(new URL(address.replace(/^tcp:/, "http:")).port);
  const emu = server.emu;
  let phoneCounter = 0;
  serveIpc(
    {
      host: "127.0.0.1",
      socketPort: port,
      db: file,
      journalMode: String(db.pragma("journal_mode", { simple: true })),
    },
    {
      /** `count` users, each with a login session (token returned). */
      users: (params: { count: number }) =>
        db.transaction(() =>
          Array.from({ length: params.count }, () => {
            const phone = `+7991${String(++phoneCounter).padStart(7, "0")}`;
            const user = createUser(emu, { phone, firstName: `Sock${phoneCounter}` });
            const token = newLoginToken();
            emu.repos.users.createSession(
              {
                token,
                userId: user.id,
                deviceId: `bench-${user.id}`,
                deviceType: "ANDROID",
                deviceName: "bench",
                appVersion: "1",
              },
              emu.now(),
            );
            return { userId: user.id, token };
          }),
        )(),
      messageCount: () => emu.repos.messages.count(),
    },
    async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  );
}

if (process.argv.includes(EMULATOR_CHILD_FLAG)) await serveEmulatorChild();
