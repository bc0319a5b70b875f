/**
 * Profiling aid (not part of bench/run.ts): one mode per process, so `node --cpu-prof` sees only
 * it. `node --import tsx --cpu-prof bench/max-client-profile.ts send|invoke|raw [inFlight] [seconds]`.
 */
import { performance } from "node:perf_hooks";
import { MaxClient } from "../src/max/client/index.js";
import { Peer, roundTrips } from "./lib/client.js";
import { ChildServer } from "./lib/ipc.js";
import { closedLoop } from "./lib/loops.js";

const TEXT = "Привет! Это сообщение из бенчмарка: проверяем скорость отправки.";
const mode = process.argv[2] ?? "send";
const inFlight = Number(process.argv[3] ?? 1);
const seconds = Number(process.argv[4] ?? 4);
const emu = await ChildServer.start("bench/lib/max-server.ts");
const [a, b] = await emu.call<{ userId: number; token: string }[]>("users", { count: 2, sessions: 3 });
if (!a || !b) throw new Error("no users");
const t0 = performance.now();
let count = 0;
let cpuUs = 0;
if (mode === "raw") {
  const probe = await Peer.open(String(emu.info.url));
  await probe.login(a.token, "prof-raw");
  const chatId = Number(
    (await probe.ok(64, { userId: b.userId, message: { text: TEXT, cid: 1, elements: [], attaches: [] } }))
      .chatId,
  );
  probe.ws.removeAllListeners("message");
  const frame = (seq: number) =>
    `{"ver":11,"cmd":0,"seq":${seq},"opcode":64,"payload":{"chatId":${chatId},"message":{"text":"${TEXT}","cid":${1_750_000_000_000 + seq},"elements":[],"attaches":[]},"notify":true}}`;
  const r = await roundTrips(probe.ws, { frame, inFlight, warmupMs: 300, durationMs: seconds * 1000 });
  count = r.count;
  cpuUs = ((r.cpuMs ?? 0) / r.count) * 1000;
  probe.close();
} else {
  const client = new MaxClient({ url: String(emu.info.url), token: a.token, keepaliveIntervalMs: 3_600_000 });
  await client.connect();
  const chatId = (await client.sendToUser(b.userId, TEXT)).chatId;
  let cid = 1_800_000_000_000;
  const op =
    mode === "invoke"
      ? () =>
          client.invoke(64, {
            chatId,
            message: { text: TEXT, cid: cid++, elements: [], attaches: [] },
            notify: true,
          })
      : () => client.sendMessage(chatId, TEXT);
  const r = await closedLoop(op, inFlight, 300, seconds * 1000);
  count = r.count;
  cpuUs = ((r.cpuMs ?? 0) / r.count) * 1000;
  await client.close();
}
console.log(
  `${mode} @${inFlight}: ${count} in ${seconds} s = ${Math.round(count / seconds)}/s, CPU ${cpuUs.toFixed(1)} µs/msg (${Math.round(performance.now() - t0)} ms)`,
);
await emu.stop();
process.exit(0);
