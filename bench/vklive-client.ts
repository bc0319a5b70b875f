/**
 * vklive-client: what the VK Live client costs on its hot paths, each against a bare baseline in
 * the same run, against the same emulator (its own child process, file-backed store, loopback):
 *
 * - send: `sendMessage` against a bare `fetch` POST /v1/chat/message/send with the same Bearer
 *   token, query and JSON body, 1 and 16 in flight (into a channel nobody subscribes to).
 * - events: the client's typed `channel_chat_message_send` events against a bare centrifuge-js
 *   subscriber (the same library and ws, counting publications) of a twin channel; the emulator
 *   posts floods of chat messages (admin `postMessage`) to one channel at a time, timed from the
 *   flood's start to its last delivery.
 *
 * `--profile send|events [inFlight]` runs only the client side for node --cpu-prof.
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
const FLOOD = Number(process.env.BENCH_VKLIVE_FLOOD ?? 600);
const RUNS = 3;
const TEXT = "bench: привет, a short chat message";

interface Setup {
  ownerToken: string;
  viewerId: number;
  /** Channel urls: sends go to `send`; floods to `client` and `bare`. */
  send: string;
  client: string;
  bare: string;
  /** The ws channel of `bare`'s chat. */
  bareChat: string;
}

export async function run(): Promise<BenchResult> {
  const started = Date.now();
  const notes: string[] = [];
  const metrics: Metric[] = [];
  const { VkLiveClient } = await import("../src/vklive/client/index.js");
  const { Centrifuge } = await import("centrifuge");
  const { default: WebSocket } = await import("ws");
  const emu = await ChildServer.start(SELF, ["--serve"]);
  const closers: (() => unknown)[] = [];
  try {
    const url = String(emu.info.url);
    const s = await emu.call<Setup>("setup");
    notes.push(`emulator: file-backed store, ${loadNote()}`);
    const client = new VkLiveClient({ url, tokens: { accessToken: s.ownerToken, tokenType: "Bearer" } });
    closers.push(() => client.close());

    // ---- send
    const sendUrl = `${url}/v1/chat/message/send?channel_url=${encodeURIComponent(s.send)}`;
    const headers = { authorization: `Bearer ${s.ownerToken}`, "content-type": "application/json" };
    const viaFetch = async () => {
      const res = await fetch(sendUrl, {
        method: "POST",
        headers,
        body: JSON.stringify({ parts: [{ text: { content: TEXT } }] }),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`bare send: ${res.status} ${text}`);
    };
    const viaClient = () => client.sendMessage(s.send, TEXT);
    if (PROFILE === "send") {
      const r = await closedLoop(viaClient, PROFILE_IN_FLIGHT, 300, 4000);
      console.log(
        `send @${PROFILE_IN_FLIGHT}: ${r.count}, ${(((r.cpuMs ?? 0) / r.count) * 1000).toFixed(0)} µs/msg`,
      );
      return { name: "vklive-client", metrics, notes, durationMs: Date.now() - started };
    }
    if (!PROFILE) {
      const sends = await versus(viaFetch, viaClient, { inFlight: [1, 16], runs: RUNS, slices: 2 });
      report("chat send", sends, metrics, notes);
      notes.push(`after send: ${loadNote()}`);
    }

    // ---- events
    const timer = new FloodTimer();
    client.on("channel_chat_message_send", (e) => {
      if (e.event.data.chat_message) timer.arrived();
    });
    await client.subscribe(s.client);
    const tokenRes = await fetch(`${url}/v1/websocket/token`, { headers });
    const connToken = ((await tokenRes.json()) as { data: { token: string } }).data.token;
    const bare = new Centrifuge(
      `${url.replace("http", "ws")}/connection/websocket?format=json&cf_protocol_version=v2`,
      {
        websocket: WebSocket,
        token: connToken,
      },
    );
    closers.push(() => bare.disconnect());
    const sub = bare.newSubscription(s.bareChat);
    sub.on("publication", (ctx) => {
      if ((ctx.data as { type?: string }).type === "channel_chat_message_send") timer.arrived();
    });
    bare.connect();
    sub.subscribe();
    await sub.ready(10_000);
    const flood = (channelUrl: string) => () =>
      emu.call("flood", { channelUrl, userId: s.viewerId, count: FLOOD, text: "flood message" });
    if (PROFILE === "events") {
      for (let i = 0; i < 5; i++) await timer.run(FLOOD, flood(s.client));
      return { name: "vklive-client", metrics, notes, durationMs: Date.now() - started };
    }
    await timer.run(FLOOD, flood(s.bare));
    await timer.run(FLOOD, flood(s.client));
    const runs: VersusRun[] = [];
    for (let r = 0; r < RUNS; r++) {
      const b: Flood[] = [];
      const c: Flood[] = [];
      for (let i = 0; i < 2; i++) {
        const first = (r + i) % 2 === 0;
        if (first) b.push(await timer.run(FLOOD, flood(s.bare)));
        c.push(await timer.run(FLOOD, flood(s.client)));
        if (!first) b.push(await timer.run(FLOOD, flood(s.bare)));
      }
      runs.push({ base: floodRate(b), client: floodRate(c) });
    }
    report("centrifugo chat events", new Map([[0, runs]]), metrics, notes, "events/s");
    notes.push(
      `events: floods of ${FLOOD} chat messages posted by the emulator (admin postMessage) to one channel at a time, 2 per side per run, timed from the flood's start to the last delivery; ${loadNote()} at the end`,
    );
    return { name: "vklive-client", metrics, notes, durationMs: Date.now() - started };
  } finally {
    for (const close of closers) await close();
    await emu.stop();
  }
}

// ---------------------------------------------------------------- profile mode and child server

const PROFILE = process.argv.includes("--profile")
  ? (process.argv[process.argv.indexOf("--profile") + 1] ?? "send")
  : "";
const PROFILE_IN_FLIGHT = Number(process.argv[process.argv.indexOf("--profile") + 2] ?? 16) || 16;

async function serve(): Promise<void> {
  const { systemClock } = await import("../src/core/emulator/clock.js");
  const { openStore } = await import("../src/core/emulator/store.js");
  const { silentLogger } = await import("../src/core/log.js");
  const { createVkLiveEmulatorPlugin, vkliveStoreModule } = await import("../src/vklive/emulator.js");
  const dir = mkdtempSync(join(tmpdir(), "sb-bench-vklive-client-"));
  const db = openStore({ file: join(dir, "bench.db"), modules: [vkliveStoreModule] });
  const plugin = createVkLiveEmulatorPlugin({
    jwtSecret: "bench-secret",
    config: { pingIntervalSec: 3600, rateLimit: { requests: 1_000_000, windowMs: 60_000 } },
  });
  const emu = await plugin.create({
    db,
    dataDir: dir,
    log: silentLogger,
    clock: systemClock,
    urls: () => ({}),
  });
  const url = await emu.listen(0, "127.0.0.1", "127.0.0.1");
  const a = emu.admin;
  serveIpc(
    { url },
    {
      setup: (): Setup => {
        const app = a.createApp({ redirectUri: "http://127.0.0.1:9/cb" });
        const owner = a.createUser({ nick: "bench-owner" }).userId;
        const viewerId = a.createUser({ nick: "bench-viewer" }).userId;
        const send = a.createChannel({ ownerId: owner, url: "bench-send" });
        const client = a.createChannel({ ownerId: owner, url: "bench-client" });
        const bare = a.createChannel({ ownerId: owner, url: "bench-bare" });
        const ownerToken = a.issueToken({
          clientId: app.clientId,
          userId: owner,
          scopes: ["chat:message:send"],
        }).access_token;
        return {
          ownerToken,
          viewerId,
          send: send.url,
          client: client.url,
          bare: bare.url,
          bareChat: `channel-chat:${bare.channelId}`,
        };
      },
      /** `count` chat messages by `userId` into `channelUrl`, 50 per turn of the event loop. */
      flood: async (p: { channelUrl: string; userId: number; count: number; text: string }) => {
        for (let i = 0; i < p.count; i += 50) {
          for (let j = i; j < Math.min(p.count, i + 50); j++)
            a.postMessage({ channelUrl: p.channelUrl, userId: p.userId, text: `${p.text} ${j}` });
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
