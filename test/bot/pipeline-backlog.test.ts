/**
 * The pipeline's backlog and pipelined commits, over the real sandbox (MAX Bot API emulator, a bot
 * in three MAX groups that Alice writes into, MaxBotAdapter long polling, SqliteBotStore files):
 * a backlog beyond the queue and memory limits read back by chat, a failed commit while the
 * chat's next updates ran, a clean stop with completions still to commit, and a crash's leftovers
 * run with each start on record before the run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPipeline } from "../../src/bot/pipeline.js";
import { SqliteBotStore } from "../../src/bot/store/sqlite.js";
import type { Pipeline, StoredUpdate } from "../../src/bot/types.js";
import type { MaxBotAdapter } from "../../src/maxbot/adapter.js";
import { type PipelineWorld, startPipelineWorld, textOf, waitFor } from "./pipeline-world.js";

let env: PipelineWorld;
const dir = mkdtempSync(join(tmpdir(), "bot-backlog-"));
let files = 0;

beforeAll(async () => {
  env = await startPipelineWorld(3);
}, 30_000);

afterAll(async () => {
  await env?.close();
  rmSync(dir, { recursive: true, force: true });
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(store = new SqliteBotStore(join(dir, `b${++files}.db`))): Promise<{
  store: SqliteBotStore;
  adapter: MaxBotAdapter;
}> {
  const adapter = await env.adapter();
  cleanups.push(async () => {
    await adapter.close();
    store.close();
  });
  return { store, adapter };
}

function track(pipeline: Pipeline): Pipeline {
  cleanups.push(() => pipeline.stop(5000));
  return pipeline;
}

/** Sends `perChat` texts `<tag>-<group>-<i>` into each group, round-robin; returns them by group. */
async function sendRounds(tag: string, perChat: number): Promise<Map<number, string[]>> {
  const sent = new Map<number, string[]>(env.groups.map((g) => [g, []]));
  for (let i = 0; i < perChat; i++) {
    for (const g of env.groups) {
      const text = `${tag}-${g}-${i}`;
      sent.get(g)?.push(text);
      await env.send(g, text);
    }
  }
  return sent;
}

function byGroup(texts: readonly string[], tag: string): Map<number, string[]> {
  const out = new Map<number, string[]>(env.groups.map((g) => [g, []]));
  for (const text of texts) {
    const match = new RegExp(`^${tag}-(-?\\d+)-\\d+$`).exec(text);
    if (match) out.get(Number(match[1]))?.push(text);
  }
  return out;
}

const doneCount = (store: SqliteBotStore) =>
  (store.db.prepare("SELECT COUNT(*) AS n FROM bot_inbox WHERE done_at IS NOT NULL").get() as { n: number })
    .n;

describe("pipeline backlog and pipelined commits", () => {
  it("reads a backlog beyond the queue and memory limits back by chat: each update once, in order per chat", async () => {
    const { store, adapter } = await open();
    const handled: string[] = [];
    let gate: (() => void) | undefined;
    const closed = new Promise<void>((r) => (gate = r));
    const pipeline = track(
      createPipeline({
        store,
        queueLimit: 3,
        memoryLimit: 5,
        async handle(update) {
          const text = textOf(update.event);
          if (!text?.startsWith("flood-")) return;
          // Every chat's first update waits for the gate: the rest pile up in the store.
          if (text.endsWith("-0")) await closed;
          handled.push(text);
        },
      }),
    );
    pipeline.attach(adapter);
    await pipeline.start();
    const sent = await sendRounds("flood", 12);
    await waitFor(
      () => store.pending(100).filter((u) => textOf(u.event)?.startsWith("flood-")).length === 36,
      15_000,
      "all 36 admitted",
    );
    gate?.();
    await waitFor(() => handled.length >= 36, 15_000, "36 handled");
    await pipeline.idle();
    expect(handled).toHaveLength(36);
    expect(byGroup(handled, "flood")).toEqual(sent);
    expect(store.pending(100)).toEqual([]);
  });

  it("a commit that fails after the chat went on: the chat is read back from the store and nothing stays undone", async () => {
    const { store, adapter } = await open();
    let failOn: string | undefined;
    let injected = false;
    const complete = store.complete.bind(store);
    store.complete = (key: string) => {
      if (key === failOn) {
        failOn = undefined;
        throw new Error("injected: the disk refused this commit");
      }
      complete(key);
    };
    const runs: string[] = [];
    const errors: string[] = [];
    const pipeline = track(
      createPipeline({
        store,
        onError: (err) => errors.push((err as Error).message),
        async handle(update: StoredUpdate) {
          const text = textOf(update.event);
          if (!text?.startsWith("fail-")) return;
          runs.push(text);
          if (text === `fail-${env.groups[0]}-2` && !injected) {
            injected = true;
            failOn = update.key;
          }
        },
      }),
    );
    pipeline.attach(adapter);
    await pipeline.start();
    const sent = await sendRounds("fail", 6);
    await waitFor(() => runs.length >= 19, 15_000, `18 runs and one rerun (runs: ${runs.length})`).catch(
      (e) => {
        throw new Error(
          `${(e as Error).message}: ${JSON.stringify({ runs, errors, pending: store.pending(100).length })}`,
        );
      },
    );
    await pipeline.idle();
    expect(errors).toEqual(["injected: the disk refused this commit"]);
    // The refused one ran twice; every other once; none is left undone.
    const failed = `fail-${env.groups[0]}-2`;
    expect(runs.filter((t) => t === failed)).toHaveLength(2);
    expect(new Set(runs)).toEqual(new Set([...sent.values()].flat()));
    expect(runs).toHaveLength(19);
    // The other chats kept their order.
    const ordered = byGroup(runs, "fail");
    for (const g of env.groups.slice(1)) expect(ordered.get(g)).toEqual(sent.get(g));
    expect(store.pending(100)).toEqual([]);
  });

  it("a clean stop commits the completions still waiting for their commit: a restart runs nothing again", async () => {
    const file = join(dir, `b${++files}.db`);
    const { store, adapter } = await open(new SqliteBotStore(file));
    const runs: string[] = [];
    let stopped: Promise<void> | undefined;
    const first: Pipeline = createPipeline({
      store,
      async handle(update) {
        const text = textOf(update.event);
        if (!text?.startsWith("stop-")) return;
        runs.push(text);
        // Stopped as the last one finishes: its completion (and maybe others) still waits for its commit.
        if (runs.length === 15) stopped = first.stop(5000);
      },
    });
    first.attach(adapter);
    await first.start();
    await sendRounds("stop", 5);
    await waitFor(() => stopped !== undefined, 15_000, "15 runs");
    await stopped;
    const doneAtStop = doneCount(store);
    const second = track(
      createPipeline({
        store,
        async handle(update) {
          const text = textOf(update.event);
          if (text?.startsWith("stop-")) runs.push(`again:${text}`);
        },
      }),
    );
    second.attach(adapter);
    await second.start();
    await second.idle();
    expect(runs.filter((t) => t.startsWith("again:"))).toEqual([]);
    expect(doneCount(store)).toBeGreaterThanOrEqual(doneAtStop);
    expect(store.pending(100)).toEqual([]);
  });

  it("runs a crash's leftovers carefully: each start is on record before its run", async () => {
    const { store, adapter } = await open();
    const releases: (() => void)[] = [];
    cleanups.push(async () => {
      for (const release of releases) release();
    });
    const first = createPipeline({
      store,
      async handle(update) {
        const text = textOf(update.event);
        // Stuck as a crash would leave it: the chat's later updates never ran.
        if (text?.startsWith("left-")) await new Promise<void>((r) => releases.push(r));
      },
    });
    first.attach(adapter);
    await first.start();
    await sendRounds("left", 3);
    await waitFor(
      () => store.pending(100).filter((u) => textOf(u.event)?.startsWith("left-")).length === 9,
      15_000,
      "9 admitted",
    );
    await first.stop(100);
    const attemptsInStore = (key: string) =>
      (store.db.prepare("SELECT attempts FROM bot_inbox WHERE key = ?").get(key) as { attempts: number })
        .attempts;
    const seen: { text: string; attempts: number; recorded: number }[] = [];
    const second = track(
      createPipeline({
        store,
        async handle(update) {
          const text = textOf(update.event);
          if (!text?.startsWith("left-")) return;
          seen.push({ text, attempts: update.attempts, recorded: attemptsInStore(update.key) });
        },
      }),
    );
    second.attach(adapter);
    await second.start();
    await waitFor(() => seen.length === 9, 15_000, "9 leftovers run");
    await second.idle();
    for (const run of seen) {
      expect(run.attempts).toBeGreaterThanOrEqual(1);
      expect(run.recorded).toBe(run.attempts);
    }
    // The heads were stuck in the first run: this is their second attempt.
    const heads = seen.filter((r) => r.text.endsWith("-0"));
    expect(heads.map((r) => r.attempts)).toEqual([2, 2, 2]);
    expect(store.pending(100)).toEqual([]);
  });
});
