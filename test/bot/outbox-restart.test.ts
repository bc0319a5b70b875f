/**
 * The outbox across stops and crashes, on the SQLite store file: drain sends what is queued and
 * then stops; a drain that runs out of time leaves the rest queued; a process that dies mid-queue
 * (its store closed under it, its connections gone) is followed by a new outbox on the same file
 * and a fresh adapter, which sends what was left, and the platform holds every text exactly once.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutbox } from "../../src/bot/outbox.js";
import { SqliteBotStore } from "../../src/bot/store/sqlite.js";
import type { BotStore } from "../../src/bot/types.js";
import { SwitchboardError } from "../../src/core/errors.js";
import type { Ref } from "../../src/core/model.js";
import { type MaxImSide, maximSide, startWorld, type World } from "./outbox-fixtures.js";

const text = (t: string) => [{ type: "text" as const, text: t }];
const dir = mkdtempSync(join(tmpdir(), "outbox-restart-"));

async function until(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

function statuses(store: BotStore, keys: string[]): string[] {
  return keys.map((k) => store.outboxItem(k)?.status ?? "absent");
}

describe("outbox drain and restart (SQLite store)", () => {
  let world: World;
  let side: MaxImSide;

  beforeAll(async () => {
    world = await startWorld();
    side = await maximSide(world);
  }, 30_000);

  afterAll(async () => {
    await side?.close();
    await world?.close();
  });

  const item = (key: string, chat: Ref) => ({
    key,
    account: side.accountKey,
    chat,
    op: "send" as const,
    content: text(key),
    priority: "broadcast" as const,
  });

  it("drain sends everything queued, then stops: a later submit stays queued for the next start", async () => {
    const store = new SqliteBotStore(join(dir, "drain.db"));
    try {
      const outbox = createOutbox({ store, adapters: new Map([[side.accountKey, side.adapter]]) });
      outbox.start();
      const keys = ["drain-1", "drain-2", "drain-3", "drain-4"];
      const sends = keys.map((k) => outbox.submit(item(k, side.group)));
      await outbox.drain(10_000);
      expect(statuses(store, keys)).toEqual(["sent", "sent", "sent", "sent"]);
      expect((await Promise.all(sends)).every((r) => r?.ids.length === 1)).toBe(true);
      expect(side.stored(side.group).filter((t) => t.startsWith("drain-"))).toEqual(keys);

      const late = outbox.submit(item("drain-late", side.group));
      await expect(late).rejects.toMatchObject({ code: "outbox_stopped" });
      expect(store.outboxItem("drain-late")?.status).toBe("queued");
      expect(side.stored(side.group)).not.toContain("drain-late");
    } finally {
      store.close();
    }
  }, 20_000);

  it("a drain out of time leaves the rest queued; the next outbox on the file sends it", async () => {
    const file = join(dir, "timeout.db");
    const keys = ["slow-1", "slow-2", "slow-3", "slow-4"];
    const first = new SqliteBotStore(file);
    try {
      // One message per chat per second (0.8/s, one token): the drain's 500 ms let one through.
      const outbox = createOutbox({
        store: first,
        adapters: new Map([[side.accountKey, side.adapter]]),
        limits: { maxim: { perChatPerSecond: 1 } },
      });
      outbox.start();
      const sends = keys.map((k) => outbox.submit(item(k, side.group2)).catch((e: unknown) => e));
      await outbox.drain(500);
      const outcomes = await Promise.all(sends);
      expect(outcomes[0]).toMatchObject({ ids: [expect.anything()] });
      const stopped = outcomes.filter((o) => o instanceof SwitchboardError && o.code === "outbox_stopped");
      expect(stopped.length).toBeGreaterThanOrEqual(2);
      expect(statuses(first, keys).filter((s) => s === "queued").length).toBe(stopped.length);
    } finally {
      first.close();
    }
    const second = new SqliteBotStore(file);
    try {
      const outbox = createOutbox({ store: second, adapters: new Map([[side.accountKey, side.adapter]]) });
      await outbox.drain(10_000);
      expect(statuses(second, keys)).toEqual(["sent", "sent", "sent", "sent"]);
      expect(side.stored(side.group2).filter((t) => t.startsWith("slow-"))).toEqual(keys);
    } finally {
      second.close();
    }
  }, 30_000);

  it("after a crash mid-queue a new outbox and adapter resume it: every text on the platform once", async () => {
    const file = join(dir, "crash.db");
    const keys = Array.from({ length: 6 }, (_, i) => `crash-${i}`);
    const crashed = new SqliteBotStore(file);
    const adapter1 = await side.newAdapter();
    const outbox1 = createOutbox({
      store: crashed,
      adapters: new Map([[side.accountKey, adapter1]]),
      limits: { maxim: { perChatPerSecond: 4 } },
    });
    outbox1.start();
    const orphaned = keys.map((k) => outbox1.submit(item(k, side.group)).catch((e: unknown) => e));
    await until(() => statuses(crashed, keys).filter((s) => s === "sent").length >= 2, 10_000);
    // The crash: the process's database handle and connections vanish mid-queue (a send may be on the wire).
    crashed.close();
    await adapter1.close();
    await Promise.all(orphaned);

    const store = new SqliteBotStore(file);
    try {
      const sentBefore = keys.filter((k) => store.outboxItem(k)?.status === "sent");
      expect(sentBefore.length).toBeGreaterThanOrEqual(2);
      expect(sentBefore.length).toBeLessThan(keys.length);
      const adapter2 = await side.newAdapter();
      const outbox2 = createOutbox({ store, adapters: new Map([[side.accountKey, adapter2]]) });
      outbox2.start();
      // A handler run again after the crash submits the same keys: sent ones answer their stored result.
      const first = sentBefore[0] as string;
      const again = await outbox2.submit(item(first, side.group));
      expect(again).toEqual(store.outboxItem(first)?.result);
      await outbox2.drain(10_000);
      expect(statuses(store, keys)).toEqual(keys.map(() => "sent"));
      expect(side.stored(side.group).filter((t) => t.startsWith("crash-"))).toEqual(keys);
    } finally {
      store.close();
    }
  }, 30_000);
});
