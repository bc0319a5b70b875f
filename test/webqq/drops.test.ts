/**
 * Exactly-once under faults: 1,000 messages while the sandbox fails polls at random (102, 103,
 * 116, 120, dropped connections, duplicated batches) and answers sends with 1202 (delivered or
 * not) → every message arrives exactly once.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { WebQQClient } from "../../src/webqq/client/index.js";
import { untilSentinel } from "../helpers/quiet.js";
import { ALICE, BOB, type Harness, loggedIn, seedWorld, startEmulator, until } from "./harness.js";

let h: Harness;
let a: WebQQClient;
let b: WebQQClient;
beforeAll(async () => {
  h = await startEmulator({ pollTimeoutMs: 200 });
  seedWorld(h.emu);
  a = await loggedIn(h.base, ALICE, "1234567890", { backoffBaseMs: 2, sendAttempts: 20 });
  b = await loggedIn(h.base, BOB, "pw-bob", { backoffBaseMs: 2 });
});
afterAll(async () => {
  await b.close();
  await h.close();
});

it("1,000 messages with random poll and send failures are each delivered exactly once", async () => {
  const N = 1000;
  const counts = new Map<string, number>();
  const errors: Error[] = [];
  b.on("message", (v) => {
    const t = String(v.content[1]);
    counts.set(t, (counts.get(t) ?? 0) + 1);
  });
  b.on("error", (e) => {
    errors.push(e);
  });
  let sessionChanges = 0;
  b.on("session", () => {
    sessionChanges++;
  });
  const admin = h.emu.admin;
  const many = 1_000_000;
  admin.failPolls({ retcode: 102, probability: 0.1, times: many, qq: BOB });
  admin.failPolls({ retcode: 103, probability: 0.1, times: many, qq: BOB });
  admin.failPolls({ retcode: 120, probability: 0.1, times: many, qq: BOB });
  admin.failPolls({ retcode: 116, probability: 0.1, times: many, qq: BOB });
  admin.failPolls({ drop: true, probability: 0.05, times: many, qq: BOB });
  admin.failPolls({ duplicate: true, probability: 0.2, times: many, qq: BOB });
  admin.failSends({ delivered: true, probability: 0.05, times: many, qq: ALICE });
  admin.failSends({ delivered: false, probability: 0.05, times: many, qq: ALICE });
  await b.connect();
  const bobUin = (await a.friends()).info.find((i) => i.nick.startsWith("呼吸"))!.uin;
  let next = 0;
  const worker = async () => {
    while (next < N) {
      const i = next++;
      await a.sendBuddy(bobUin, [{ type: "text", text: `m-${i}` }]);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await until(() => counts.size === N, 30_000);
  admin.clearFaults();
  // No late duplicate: an item queued after all of them (a typing notice, which stores no
  // message) arrives with no message before it on the same ordered channel.
  const late = await untilSentinel<string>(
    (push) => {
      const offMessage = b.on("message", (v) => push(String(v.content[1])));
      const offTyping = b.on("input_notify", () => push("typing"));
      return () => {
        offMessage();
        offTyping();
      };
    },
    (t) => t === "typing",
    () => admin.typing(ALICE, BOB),
    20_000,
  );
  expect(late).toEqual([]);
  expect(counts.size).toBe(N);
  expect([...counts.values()].every((c) => c === 1)).toBe(true);
  expect(h.emu.admin.stats().messages).toBe(N);
  expect(errors).toEqual([]);
  // The faults really happened: relinks (103 / 120) and ptwebqq updates (116) changed the session.
  // A faster client needs fewer polls for the same 1,000 messages (~20 when batches are large), so
  // the count is only required to be positive: at 30% per poll, none in 20 polls is 0.08%.
  expect(sessionChanges).toBeGreaterThan(0);
}, 60_000);
