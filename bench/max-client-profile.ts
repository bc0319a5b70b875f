/**
 * Profiling aid (not part of bench/run.ts): one mode per process, so `node --cpu-prof` sees only
 * it. `node --import tsx --cpu-prof bench/max-client-profile.ts send|invoke|raw [inFlight] [seconds] [react]`.
 *
 * `react` also prints the client's reaction time: from a socket read to that socket's next write
 * (median and p90, µs). At 1 in flight this is the client's whole share of a round trip before
 * the next request leaves, and it moves far less with the machine's load than msgs/s does.
 * It hooks net.Socket's read and write paths, so leave it off when profiling.
 */
import { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { MaxClient } from "../src/max/client/index.js";
import { Peer, roundTrips } from "./lib/client.js";
import { ChildServer } from "./lib/ipc.js";
import { closedLoop } from "./lib/loops.js";

const TEXT = "Привет! Это сообщение из бенчмарка: проверяем скорость отправки.";
const mode = process.argv[2] ?? "send";
const inFlight = Number(process.argv[3] ?? 1);
const seconds = Number(process.argv[4] ?? 4);
const reactions: number[] = [];
if (process.argv[5] === "react") {
  // Socket.push is where a read lands (onStreamRead); _writeGeneric is every write and writev.
  const proto = Socket.prototype as unknown as Record<string, (this: Socket, ...args: unknown[]) => unknown>;
  const push = proto.push as (this: Socket, ...args: unknown[]) => unknown;
  const writeGeneric = proto._writeGeneric as (this: Socket, ...args: unknown[]) => unknown;
  const readAt = new WeakMap<Socket, number>();
  proto.push = function (this: Socket, ...args: unknown[]) {
    if (args[0]) readAt.set(this, performance.now());
    return push.apply(this, args);
  };
  proto._writeGeneric = function (this: Socket, ...args: unknown[]) {
    const at = readAt.get(this);
    if (at !== undefined) {
      readAt.delete(this);
      if (reactions.length < 1_000_000) reactions.push((performance.now() - at) * 1000);
    }
    return writeGeneric.apply(this, args);
  };
}
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
if (reactions.length > 0) {
  // Setup and warm-up reads are in here too; the loop's thousands of round trips outweigh them.
  const sorted = reactions.sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
  console.log(
    `reaction read → next write: median ${at(0.5)} µs, p90 ${at(0.9)} µs (${sorted.length} writes)`,
  );
}
await emu.stop();
process.exit(0);
