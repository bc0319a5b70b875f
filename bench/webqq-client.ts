/**
 * webqq-client: what the WebQQ client costs on its hot paths, each against a bare baseline in
 * the same run, against the same emulator (its own child process, file-backed store, loopback):
 *
 * - send: `sendBuddy` against a bare `fetch` doing the same form POST to send_buddy_msg2 (the
 *   same session, cookies, referer and `r=` JSON, a fresh msg_id each), 1 and 16 in flight.
 * - events: the poll loop's `message` events against a bare poll2 loop (fetch, JSON.parse, count
 *   the items) on a second session; the emulator posts floods of buddy messages to one receiver
 *   at a time (admin `sendAs`), timed from the flood's start to its last delivery.
 *
 * `--profile send|events` runs only the client side for node --cpu-prof.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ChildServer, serveIpc } from "./lib/ipc.js";
import { closedLoop } from "./lib/loops.js";
import type { BenchResult, Metric } from "./lib/report.js";
import { type Flood, FloodTimer, floodRate, loadNote, report, type VersusRun, versus } from "./lib/versus.js";

const SELF = fileURLToPath(import.meta.url);
const SENDER = 9_999_999;
const FLOODER = 9_999_998;
/** Friends of the sender and the flooder: the send target (never polls) and two receivers. */
const TARGET = 10_000_000;
const RECEIVER_CLIENT = 10_000_001;
const RECEIVER_BARE = 10_000_002;
const FLOOD = Number(process.env.BENCH_WEBQQ_FLOOD ?? 300);
const RUNS = 3;
const TEXT = "bench: 你好, a short buddy message";
const FONT = { name: "宋体", size: 10, style: [0, 0, 0], color: "000000" };

export async function run(): Promise<BenchResult> {
  const started = Date.now();
  const notes: string[] = [];
  const metrics: Metric[] = [];
  const { WebQQClient } = await import("../src/webqq/client/index.js");
  const { REFERER, WEBQQ_ENDPOINTS } = await import("../src/webqq/protocol.js");
  const emu = await ChildServer.start(SELF, ["--serve"]);
  const clients: InstanceType<typeof WebQQClient>[] = [];
  const stops: (() => Promise<void>)[] = [];
  try {
    const url = String(emu.info.url);
    notes.push(
      `emulator: ${String(emu.info.db)} (journal_mode=${String(emu.info.journalMode)}); ${loadNote()}`,
    );
    const login = async (qq: number) => {
      const c = new WebQQClient({ url, login: { qq, password: "pw" } });
      clients.push(c);
      await c.passwordLogin({ qq, password: "pw" });
      return c;
    };
    const sender = await login(SENDER);
    const uinOf = async (c: InstanceType<typeof WebQQClient>, nick: string) => {
      const info = (await c.friends()).info.find((i) => i.nick === nick);
      if (!info) throw new Error(`no friend ${nick}`);
      return info.uin;
    };
    const targetUin = await uinOf(sender, `r${TARGET}`);

    // ---- send
    const bareSend = await bareSender(sender, url + WEBQQ_ENDPOINTS.sendBuddy.path, REFERER.d, targetUin);
    const items = [{ type: "text" as const, text: TEXT }];
    const viaClient = () => sender.sendBuddy(targetUin, items);
    if (PROFILE === "send") {
      const r = await closedLoop(viaClient, PROFILE_IN_FLIGHT, 300, 4000);
      console.log(
        `send @${PROFILE_IN_FLIGHT}: ${r.count}, ${(((r.cpuMs ?? 0) / r.count) * 1000).toFixed(0)} µs/msg`,
      );
      return { name: "webqq-client", metrics, notes, durationMs: Date.now() - started };
    }
    if (!PROFILE) {
      const sends = await versus(bareSend, viaClient, { inFlight: [1, 16], runs: RUNS, slices: 2 });
      report("send_buddy_msg2", sends, metrics, notes);
      notes.push(`after send: ${loadNote()}`);
    }

    // ---- events
    const timer = new FloodTimer();
    const client = new WebQQClient({ url, login: { qq: RECEIVER_CLIENT, password: "pw" } });
    clients.push(client);
    client.on("message", (m) => {
      if (m.from_uin) timer.arrived();
    });
    await client.connect();
    const bare = await login(RECEIVER_BARE);
    const barePoll = barePoller(bare, url + WEBQQ_ENDPOINTS.poll2.path, REFERER.d, timer.arrived);
    stops.push(barePoll.stop);
    const flood = (to: number) => () =>
      emu.call("flood", { from: FLOODER, to, count: FLOOD, text: "flood message" });
    if (PROFILE === "events") {
      for (let i = 0; i < 5; i++) await timer.run(FLOOD, flood(RECEIVER_CLIENT));
      return { name: "webqq-client", metrics, notes, durationMs: Date.now() - started };
    }
    // Warm-up floods, then alternating floods per run.
    await timer.run(FLOOD, flood(RECEIVER_BARE));
    await timer.run(FLOOD, flood(RECEIVER_CLIENT));
    const runs: VersusRun[] = [];
    for (let r = 0; r < RUNS; r++) {
      const b: Flood[] = [];
      const c: Flood[] = [];
      for (let i = 0; i < 2; i++) {
        const first = (r + i) % 2 === 0;
        if (first) b.push(await timer.run(FLOOD, flood(RECEIVER_BARE)));
        c.push(await timer.run(FLOOD, flood(RECEIVER_CLIENT)));
        if (!first) b.push(await timer.run(FLOOD, flood(RECEIVER_BARE)));
      }
      runs.push({ base: floodRate(b), client: floodRate(c) });
    }
    report("poll2 message events", new Map([[0, runs]]), metrics, notes, "events/s");
    notes.push(
      `events: floods of ${FLOOD} buddy messages posted by the emulator (admin sendAs) to one receiver at a time, 2 per side per run, timed from the flood's start to the last delivery; ${loadNote()} at the end`,
    );
    return { name: "webqq-client", metrics, notes, durationMs: Date.now() - started };
  } finally {
    for (const stop of stops) await stop();
    for (const c of clients) await c.close();
    await emu.stop();
  }
}

/**
 * The same send_buddy_msg2 form POST the client makes, by hand: the session's cookies (read
 * once), referer, `r=` JSON with a new msg_id each time; answer parsed and its retcode checked.
 */
async function bareSender(
  c: { session: { psessionid: string } | undefined; clientid: string },
  url: string,
  referer: string,
  to: number,
): Promise<() => Promise<void>> {
  const session = c.session;
  if (!session) throw new Error("sender has no session");
  const cookie = await cookieOf(c, url);
  const headers = {
    "content-type": "application/x-www-form-urlencoded",
    referer,
    cookie,
  };
  let msgId = 5_000_000;
  const content = JSON.stringify([TEXT, ["font", FONT]]);
  return async () => {
    const r = { to, face: 0, content, msg_id: ++msgId, clientid: c.clientid, psessionid: session.psessionid };
    const res = await fetch(url, {
      method: "POST",
      headers,
      body: `r=${encodeURIComponent(JSON.stringify(r))}`,
    });
    const env = JSON.parse(await res.text()) as { retcode: number };
    if (env.retcode !== 0) throw new Error(`bare send: retcode ${env.retcode}`);
  };
}

/** A bare poll2 loop on `c`'s session: fetch, JSON.parse, count the message items. */
function barePoller(
  c: { session: { psessionid: string } | undefined; clientid: string },
  url: string,
  referer: string,
  arrived: (n: number) => void,
): { stop: () => Promise<void> } {
  const session = c.session;
  if (!session) throw new Error("bare receiver has no session");
  const ctrl = new AbortController();
  const loop = (async () => {
    const cookie = await cookieOf(c, url);
    const headers = { "content-type": "application/x-www-form-urlencoded", referer, cookie };
    const body = `r=${encodeURIComponent(
      JSON.stringify({ clientid: c.clientid, psessionid: session.psessionid, key: 0, ids: [] }),
    )}`;
    while (!ctrl.signal.aborted) {
      const res = await fetch(url, { method: "POST", headers, body, signal: ctrl.signal });
      const env = JSON.parse(await res.text()) as { retcode: number; result?: { poll_type: string }[] };
      if (env.retcode !== 0 && env.retcode !== 102) throw new Error(`bare poll: retcode ${env.retcode}`);
      let n = 0;
      for (const item of env.result ?? []) if (item.poll_type === "message") n++;
      if (n) arrived(n);
    }
  })().catch((err: unknown) => {
    if (!ctrl.signal.aborted) console.error("bare poller failed:", err);
  });
  return {
    stop: async () => {
      ctrl.abort();
      await loop;
    },
  };
}

/** The Cookie header the client's jar would send to `url` (read through its public session). */
async function cookieOf(c: object, url: string): Promise<string> {
  const { CookieJar } = await import("tough-cookie");
  const cookies = (c as { session?: { cookies?: unknown } }).session?.cookies;
  if (!cookies) return "";
  const jar = await CookieJar.deserialize(cookies as never);
  return jar.getCookieString(url);
}

// ---------------------------------------------------------------- profile mode and child server

const PROFILE = process.argv.includes("--profile")
  ? (process.argv[process.argv.indexOf("--profile") + 1] ?? "send")
  : "";
const PROFILE_IN_FLIGHT = Number(process.argv[process.argv.indexOf("--profile") + 2] ?? 16) || 16;

async function serve(): Promise<void> {
  const { openStore } = await import("../src/core/emulator/store.js");
  const { createWebQQEmulator } = await import("../src/webqq/emulator/server.js");
  const { webqqStoreModule } = await import("../src/webqq/emulator/store/schema.js");
  const dir = mkdtempSync(join(tmpdir(), "sb-bench-webqq-client-"));
  const file = join(dir, "bench.db");
  const db = openStore({ file, modules: [webqqStoreModule] });
  const emu = createWebQQEmulator({ db, pollTimeoutMs: 10_000 });
  const url = await emu.listen(0);
  const a = emu.admin;
  for (const qq of [SENDER, FLOODER, TARGET, RECEIVER_CLIENT, RECEIVER_BARE])
    a.createAccount({ qq, password: "pw", nick: `r${qq}` });
  for (const qq of [TARGET, RECEIVER_CLIENT, RECEIVER_BARE]) {
    a.addFriend(SENDER, qq);
    a.addFriend(FLOODER, qq);
  }
  serveIpc(
    { url, db: file, journalMode: String(db.pragma("journal_mode", { simple: true })) },
    {
      /** `count` buddy messages from `from` to `to`, 50 per turn of the event loop. */
      flood: async (p: { from: number; to: number; count: number; text: string }) => {
        for (let i = 0; i < p.count; i += 50) {
          for (let j = i; j < Math.min(p.count, i + 50); j++)
            a.sendAs({ from: p.from, to: p.to, text: `${p.text} ${j}` });
          await new Promise((r) => setImmediate(r));
        }
        return p.count;
      },
    },
    async () => {
      await emu.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  );
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain && process.argv.includes("--serve")) await serve();
else if (isMain) {
  const r = await run();
  console.log(JSON.stringify(r, null, 2));
  process.exit(0);
}
