/**
 * max-fanout: one group of 10,000 members, 2,000 of them connected and logged in; one member
 * sends a message (64) and every connected member must receive its 128. Measures the time from
 * the send until the last 128 arrives, and each recipient's own latency, over repeated rounds.
 */
import { performance } from "node:perf_hooks";
import { inBatches, Peer } from "./lib/client.js";
import { ChildServer } from "./lib/ipc.js";
import { type BenchResult, below, info, type Metric, sleep, summarize } from "./lib/report.js";

const MEMBERS = 10_000;
const ONLINE = 2_000;
const ROUNDS = 20;
const ROUND_TIMEOUT_MS = 5_000;

export async function maxFanout(): Promise<BenchResult> {
  const started = Date.now();
  const notes: string[] = [];
  const metrics: Metric[] = [];
  const emu = await ChildServer.start("bench/lib/max-server.ts");
  const peers: Peer[] = [];
  try {
    // Sender + ONLINE recipients get sessions; everyone is a member.
    const users = await emu.call<{ userId: number; token?: string }[]>("users", {
      count: MEMBERS,
      sessions: ONLINE + 1,
    });
    const [sender, ...rest] = users;
    if (!sender?.token) throw new Error("sender was not created");
    const group = await emu.call<{ chatId: number; members: number }>("group", {
      ownerId: sender.userId,
      memberIds: users.map((u) => u.userId),
      title: "fan-out bench",
    });
    notes.push(
      `group ${group.chatId} with ${group.members} members; ${ONLINE} members online, ${ROUNDS} rounds`,
    );

    const senderPeer = await Peer.open(String(emu.info.url));
    peers.push(senderPeer);
    await senderPeer.login(sender.token, "fanout-sender");

    // Per round: when it started and how many recipients still wait; each arrival is timed on receipt.
    let roundStart = 0;
    let roundId = -1;
    let waiting = 0;
    let onRoundDone: () => void = () => {};
    const perRecipient: number[] = [];
    const lastArrival: number[] = [];
    let stray = 0;
    const recipients = rest.slice(0, ONLINE);
    const t0 = Date.now();
    await inBatches(recipients.length, 100, async (i) => {
      const peer = await Peer.open(String(emu.info.url));
      peers.push(peer);
      await peer.login(recipients[i]!.token!, `fanout-${i}`);
      peer.ws.removeAllListeners("message");
      let seenRound = -1;
      peer.ws.on("message", (data) => {
        const p = JSON.parse(data.toString()) as { opcode: number; payload: { chatId?: number } };
        if (p.opcode !== 128 || p.payload.chatId !== group.chatId) return;
        if (seenRound === roundId) {
          stray++;
          return;
        }
        seenRound = roundId;
        const now = performance.now();
        perRecipient.push(now - roundStart);
        if (--waiting === 0) {
          lastArrival.push(now - roundStart);
          onRoundDone();
        }
      });
    });
    notes.push(`${recipients.length} recipients logged in in ${Date.now() - t0} ms`);

    const sendTimes: number[] = [];
    let missed = 0;
    for (let r = 0; r < ROUNDS + 1; r++) {
      // Round 0 warms up the member-list cache and JIT; it is not counted.
      const counted = r > 0;
      const before = perRecipient.length;
      const done = new Promise<void>((resolve) => {
        onRoundDone = resolve;
      });
      roundId = r;
      waiting = recipients.length;
      roundStart = performance.now();
      const answer = await senderPeer.call(64, {
        chatId: group.chatId,
        message: { text: `fan-out round ${r}`, cid: 1_750_000_000_000 + r, elements: [], attaches: [] },
        notify: true,
      });
      if (answer.cmd !== 1)
        throw new Error(`64 to the group failed: ${JSON.stringify(answer.payload).slice(0, 300)}`);
      if (counted) sendTimes.push(performance.now() - roundStart);
      const timedOut = await Promise.race([done.then(() => false), sleep(ROUND_TIMEOUT_MS).then(() => true)]);
      if (timedOut) missed += waiting;
      if (!counted) {
        perRecipient.length = before;
        lastArrival.length = 0;
      }
      await sleep(100);
    }
    if (missed > 0) notes.push(`${missed} deliveries missing after ${ROUND_TIMEOUT_MS} ms`);
    if (stray > 0) notes.push(`${stray} duplicate 128 deliveries`);
    const last = summarize(lastArrival);
    const each = summarize(perRecipient);
    const send = summarize(sendTimes);
    metrics.push(info("last 128 arrives p50", last.p50, "ms"));
    metrics.push(below("last 128 arrives p99", last.p99, "ms", 250));
    metrics.push(info("per-recipient latency p50", each.p50, "ms"));
    metrics.push(info("per-recipient latency p99", each.p99, "ms"));
    metrics.push(info("sender's 64 answered p50", send.p50, "ms"));
    metrics.push(below("deliveries missing", missed, "", 1));
    return { name: "max-fanout", metrics, notes, durationMs: Date.now() - started };
  } finally {
    for (const p of peers) p.close();
    await emu.stop();
  }
}
