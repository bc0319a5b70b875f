/**
 * The update pipeline over the real sandbox: the MAX Bot API emulator, a bot in MAX groups that
 * Alice writes into, the bot's MaxBotAdapter long polling, a SqliteBotStore on a file.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPipeline, type PipelineErrorInfo } from "../../src/bot/pipeline.js";
import { SqliteBotStore } from "../../src/bot/store/sqlite.js";
import type { Pipeline, StoredUpdate } from "../../src/bot/types.js";
import type { MaxBotAdapter } from "../../src/maxbot/adapter.js";
import { type PipelineWorld, sleep, startPipelineWorld, textOf, waitFor } from "./pipeline-world.js";

let env: PipelineWorld;
const dir = mkdtempSync(join(tmpdir(), "bot-pipeline-"));
let files = 0;

beforeAll(async () => {
  env = await startPipelineWorld(3);
}, 30_000);

afterAll(async () => {
  await env?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Closed after each test, so two adapters never poll the same bot at once. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(): Promise<{ store: SqliteBotStore; adapter: MaxBotAdapter; file: string }> {
  const file = join(dir, `p${++files}.db`);
  const store = new SqliteBotStore(file);
  const adapter = await env.adapter();
  cleanups.push(async () => {
    await adapter.close();
    store.close();
  });
  return { store, adapter, file };
}

function track(pipeline: Pipeline): Pipeline {
  cleanups.push(() => pipeline.stop(5000));
  return pipeline;
}

/** A counter kept in the store, changed only through effects.onCommit (so exactly once). */
function bump(store: SqliteBotStore, key: string): void {
  const n = (store.getConversation(`count:${key}`) as number | undefined) ?? 0;
  store.putConversation(`count:${key}`, n + 1);
}
const count = (store: SqliteBotStore, key: string) =>
  (store.getConversation(`count:${key}`) as number | undefined) ?? 0;

describe("pipeline over the MAX Bot API sandbox", () => {
  it("keeps order per chat and runs chats concurrently", async () => {
    const { store, adapter } = await open();
    const runs: { chat: string; text: string; start: number; end: number }[] = [];
    const pipeline = track(
      createPipeline({
        store,
        concurrency: 3,
        async handle(update) {
          const text = textOf(update.event);
          if (!text?.startsWith("order-")) return;
          const start = Date.now();
          await sleep(60);
          runs.push({ chat: update.chatKey, text, start, end: Date.now() });
        },
      }),
    );
    pipeline.attach(adapter);
    await pipeline.start();
    const [a, b, c] = env.groups as [number, number, number];
    const sent: Record<number, string[]> = { [a]: [], [b]: [], [c]: [] };
    for (let i = 0; i < 5; i++) {
      for (const g of [a, b, c]) {
        const text = `order-${g}-${i}`;
        sent[g]?.push(text);
        await env.send(g, text);
      }
    }
    await waitFor(() => runs.length === 15, 15_000, "15 handled messages");
    await pipeline.idle();
    for (const g of [a, b, c]) {
      const chatRuns = runs.filter((r) => r.text.startsWith(`order-${g}-`));
      expect(chatRuns.map((r) => r.text)).toEqual(sent[g]);
      // One after another within the chat: never overlapping.
      for (let i = 1; i < chatRuns.length; i++) {
        expect(chatRuns[i]?.start).toBeGreaterThanOrEqual(chatRuns[i - 1]?.end ?? 0);
      }
      expect(new Set(chatRuns.map((r) => r.chat)).size).toBe(1);
    }
    // Across chats: some handlers of different chats ran at the same time.
    const overlapping = runs.some((x) =>
      runs.some((y) => x.chat !== y.chat && x.start < y.end && y.start < x.end),
    );
    expect(overlapping).toBe(true);
    expect(store.pending(100)).toEqual([]);
    // The cursor of each chat is the last message handled there.
    const cursors = store.cursors();
    expect(cursors.length).toBeGreaterThanOrEqual(3);
  });

  it("bounded memory: a small per-chat queue reads the rest back from the store, in order, nothing dropped", async () => {
    const { store, adapter } = await open();
    const seen: string[] = [];
    const pipeline = track(
      createPipeline({
        store,
        concurrency: 1,
        queueLimit: 2,
        async handle(update) {
          const text = textOf(update.event);
          if (!text?.startsWith("bp-")) return;
          await sleep(15);
          seen.push(text);
        },
      }),
    );
    pipeline.attach(adapter);
    await pipeline.start();
    const g = env.groups[0] as number;
    const sent = Array.from({ length: 12 }, (_, i) => `bp-${i}`);
    for (const text of sent) await env.send(g, text);
    await waitFor(() => seen.length >= sent.length, 15_000, "12 handled messages");
    await pipeline.idle();
    expect(seen).toEqual(sent);
    expect(store.pending(100)).toEqual([]);
  });

  it("two chats flooding past a small queue: straight-to-lane and store read-back mix, each chat in order", async () => {
    const { store, adapter } = await open();
    const seen = new Map<string, string[]>();
    const pipeline = track(
      createPipeline({
        store,
        concurrency: 2,
        queueLimit: 3,
        async handle(update) {
          const text = textOf(update.event);
          if (!text?.startsWith("mix-")) return;
          await sleep(5);
          const chat = text.split(":")[0] as string;
          seen.set(chat, [...(seen.get(chat) ?? []), text]);
        },
      }),
    );
    pipeline.attach(adapter);
    await pipeline.start();
    const [a, b] = env.groups as [number, number];
    const sent = { a: [] as string[], b: [] as string[] };
    for (let i = 0; i < 15; i++) {
      sent.a.push(`mix-a:${i}`);
      sent.b.push(`mix-b:${i}`);
      // Both chats at once, then the next pair: arrivals outrun the 5 ms handler.
      await Promise.all([env.send(a, `mix-a:${i}`), env.send(b, `mix-b:${i}`)]);
    }
    await waitFor(
      () => (seen.get("mix-a")?.length ?? 0) + (seen.get("mix-b")?.length ?? 0) >= 30,
      20_000,
      "30 handled messages",
    );
    await pipeline.idle();
    expect(seen.get("mix-a")).toEqual(sent.a);
    expect(seen.get("mix-b")).toEqual(sent.b);
    expect(store.pending(100)).toEqual([]);
  });

  it("a throwing handler is retried with backoff, then completed as failed; later updates of the chat go on", async () => {
    const { store, adapter } = await open();
    const calls: string[] = [];
    const errors: { message: string; info: PipelineErrorInfo | undefined }[] = [];
    const pipeline = track(
      createPipeline({
        store,
        maxAttempts: 3,
        retryBaseMs: 30,
        onError: (err, info) => errors.push({ message: (err as Error).message, info }),
        async handle(update, _adapter, effects) {
          const text = textOf(update.event);
          if (!text?.startsWith("retry-")) return;
          calls.push(`${text}#${update.attempts}`);
          effects.onCommit(() => bump(store, text));
          if (text === "retry-boom") throw new Error("handler broke");
          if (text === "retry-flaky" && update.attempts === 1) throw new Error("flaky once");
        },
      }),
    );
    pipeline.attach(adapter);
    await pipeline.start();
    const g = env.groups[1] as number;
    for (const text of ["retry-boom", "retry-flaky", "retry-ok"]) await env.send(g, text);
    await waitFor(() => calls.includes("retry-ok#1"), 15_000, "the last message handled");
    await pipeline.idle();
    expect(calls).toEqual([
      "retry-boom#1",
      "retry-boom#2",
      "retry-boom#3",
      "retry-flaky#1",
      "retry-flaky#2",
      "retry-ok#1",
    ]);
    expect(errors.map((e) => [e.message, e.info?.attempt, e.info?.final])).toEqual([
      ["handler broke", 1, false],
      ["handler broke", 2, false],
      ["handler broke", 3, true],
      ["flaky once", 1, false],
    ]);
    // A failed update's writes are dropped; a retried one's applied once.
    expect(count(store, "retry-boom")).toBe(0);
    expect(count(store, "retry-flaky")).toBe(1);
    expect(count(store, "retry-ok")).toBe(1);
    expect(store.pending(100)).toEqual([]);
  });

  it("a handler past handlerTimeoutMs is abandoned (its writes dropped) and its update retried", async () => {
    const { store, adapter } = await open();
    const calls: string[] = [];
    const infos: PipelineErrorInfo[] = [];
    let abandonedFinished = false;
    const pipeline = track(
      createPipeline({
        store,
        handlerTimeoutMs: 300,
        retryBaseMs: 20,
        onError: (_err, info) => info && infos.push(info),
        async handle(update, _adapter, effects) {
          const text = textOf(update.event);
          if (!text?.startsWith("slow-")) return;
          calls.push(`${text}#${update.attempts}`);
          if (update.attempts === 1) {
            await sleep(900);
            effects.onCommit(() => bump(store, text));
            abandonedFinished = true;
            return;
          }
          effects.onCommit(() => bump(store, text));
        },
      }),
    );
    pipeline.attach(adapter);
    await pipeline.start();
    const g = env.groups[2] as number;
    await env.send(g, "slow-1");
    await env.send(g, "slow-2");
    await waitFor(() => abandonedFinished && calls.length >= 3, 15_000, "the abandoned run to finish");
    await pipeline.idle();
    // slow-1: attempt 1 timed out, attempt 2 ran; slow-2 only after slow-1 (order kept), also timed out once.
    expect(calls).toEqual(["slow-1#1", "slow-1#2", "slow-2#1", "slow-2#2"].slice(0, calls.length));
    await waitFor(() => calls.length === 4, 15_000, "slow-2 retried");
    await sleep(1000); // the second abandoned run finishes too: its write must not land
    await pipeline.idle();
    expect(infos.map((i) => [textOf(i.update.event), i.attempt, i.timedOut, i.final])).toEqual([
      ["slow-1", 1, true, false],
      ["slow-2", 1, true, false],
    ]);
    expect(count(store, "slow-1")).toBe(1);
    expect(count(store, "slow-2")).toBe(1);
  });

  it("after a restart: catches up each known chat through history and handles each message once (duplicates dropped)", async () => {
    const g = env.groups[0] as number;
    const file = join(dir, `restart-${++files}.db`);
    const handled: string[] = [];
    const handle = async (update: StoredUpdate) => {
      const text = textOf(update.event);
      if (text?.startsWith("cu-")) handled.push(text);
    };

    // Run 1: three messages handled; the chat's cursor is the last one.
    let store = new SqliteBotStore(file);
    let adapter = await env.adapter();
    let pipeline = createPipeline({ store, handle });
    pipeline.attach(adapter);
    await pipeline.start();
    for (const text of ["cu-1", "cu-2", "cu-3"]) await env.send(g, text);
    await waitFor(() => handled.length === 3, 15_000, "run 1");
    await pipeline.idle();
    await pipeline.stop();
    await adapter.close();
    const chatKey = `maxbot:pipeline_bot:${g}`;
    const cursorAfter3 = store.cursor(chatKey);
    expect(JSON.parse(cursorAfter3 ?? "null")).toMatchObject({ platform: "maxbot", account: "pipeline_bot" });
    expect(store.pending(10)).toEqual([]);
    store.close();

    // While the bot is down: two more messages. The next adapter takes no message updates, so only
    // history catch-up can bring them.
    for (const text of ["cu-4", "cu-5"]) await env.send(g, text);
    store = new SqliteBotStore(file);
    adapter = await env.adapter({ types: ["bot_added"] });
    // The bot's own message is in the history too; catch-up must not hand it to the handlers.
    await adapter.send({ platform: "maxbot", account: "pipeline_bot", id: String(g) }, "cu-own");
    pipeline = createPipeline({ store, handle });
    cleanups.push(async () => {
      await pipeline.stop();
      await adapter.close();
      store.close();
    });
    pipeline.attach(adapter);
    let liveMessages = 0;
    adapter.onEvent((e) => {
      if (e.type === "message.created") liveMessages++;
    });
    // Move the cursor back to cu-1 so that catch-up overlaps what was already handled.
    const history = await adapter.history(
      { platform: "maxbot", account: "pipeline_bot", id: String(g) },
      { limit: 100 },
    );
    const cu1 = history.find((m) => m.content.some((s) => s.type === "text" && s.text === "cu-1"));
    expect(cu1).toBeDefined();
    store.setCursor(chatKey, JSON.stringify(cu1?.ref));
    await pipeline.start();
    await waitFor(() => handled.length >= 5, 15_000, "catch-up");
    await pipeline.idle();
    await sleep(200);
    expect(handled).toEqual(["cu-1", "cu-2", "cu-3", "cu-4", "cu-5"]);
    expect(liveMessages).toBe(0); // cu-4 and cu-5 came through history only
    const last = history
      .filter((m) => !m.content.some((x) => x.type === "text" && x.text === "cu-own"))
      .at(-1);
    expect(last?.content).toEqual([{ type: "text", text: "cu-5" }]);
    expect(history.some((m) => m.content.some((x) => x.type === "text" && x.text === "cu-own"))).toBe(true);
    expect(store.cursor(chatKey)).toBe(JSON.stringify(last?.ref));
  });

  it("a commit conflict (a session written meanwhile) reruns the handler at once, not counted as an attempt", async () => {
    const { store, adapter } = await open();
    const calls: string[] = [];
    const errors: { message: string; info: PipelineErrorInfo | undefined }[] = [];
    let conflicts = 0;
    const conflict = () => Object.assign(new Error("session changed meanwhile"), { commitConflict: true });
    const pipeline = track(
      createPipeline({
        store,
        maxAttempts: 1,
        onError: (err, info) => errors.push({ message: (err as Error).message, info }),
        async handle(update, _adapter, effects) {
          const text = textOf(update.event);
          if (!text?.startsWith("cc-")) return;
          calls.push(`${text}#${update.attempts}`);
          effects.onCommit(() => bump(store, text));
          effects.onCommit(() => {
            if (text === "cc-always" || (text === "cc-twice" && conflicts++ < 2)) throw conflict();
          });
        },
      }),
    );
    pipeline.attach(adapter);
    await pipeline.start();
    const g = env.groups[1] as number;
    await env.send(g, "cc-twice");
    await env.send(g, "cc-always");
    await waitFor(() => calls.filter((c) => c.startsWith("cc-always")).length === 6, 15_000, "the reruns");
    await pipeline.idle();
    expect(calls).toEqual([...Array(3).fill("cc-twice#1"), ...Array(6).fill("cc-always#1")]);
    expect(count(store, "cc-twice")).toBe(1); // the rolled-back commits left nothing behind
    expect(count(store, "cc-always")).toBe(0);
    expect(errors.map((e) => [e.message, e.info?.attempt, e.info?.final])).toEqual([
      ["session changed meanwhile", 1, true],
    ]);
    expect(store.pending(100)).toEqual([]);
  });

  it("stop() abandons a stuck handler (update stays pending); an update started maxAttempts times is given up", async () => {
    const { store, adapter } = await open();
    const g = env.groups[2] as number;
    const releases: (() => void)[] = [];
    cleanups.push(async () => {
      for (const release of releases) release();
    });
    const calls: string[] = [];
    const stuckHandler = async (
      update: StoredUpdate,
      _a: unknown,
      effects: { onCommit(w: () => void): void },
    ) => {
      const text = textOf(update.event);
      if (!text?.startsWith("stuck-")) return;
      calls.push(`${text}#${update.attempts}`);
      effects.onCommit(() => bump(store, text));
      if (text === "stuck-poison") await new Promise<void>((r) => releases.push(r));
    };
    // Three runs that each get stuck on the same update and are stopped (as a crash would leave it).
    for (let run = 1; run <= 3; run++) {
      const pipeline = createPipeline({ store, maxAttempts: 3, handle: stuckHandler });
      pipeline.attach(adapter);
      await pipeline.start();
      if (run === 1) {
        await env.send(g, "stuck-poison");
        await env.send(g, "stuck-after");
      }
      await waitFor(() => calls.length === run, 15_000, `run ${run} to get stuck`);
      const before = Date.now();
      await pipeline.stop(200);
      expect(Date.now() - before).toBeLessThan(2000);
      expect(store.pending(10).map((u) => textOf(u.event))).toEqual(["stuck-poison", "stuck-after"]);
    }
    expect(calls).toEqual(["stuck-poison#1", "stuck-poison#2", "stuck-poison#3"]);
    // The fourth start gives up on it without running it, and goes on with the chat.
    const errors: { message: string; info: PipelineErrorInfo | undefined }[] = [];
    const pipeline = track(
      createPipeline({
        store,
        maxAttempts: 3,
        handle: stuckHandler,
        onError: (err, info) => errors.push({ message: (err as Error).message, info }),
      }),
    );
    pipeline.attach(adapter);
    await pipeline.start();
    await waitFor(() => calls.includes("stuck-after#1"), 15_000, "the next update");
    await pipeline.idle();
    expect(calls).toEqual(["stuck-poison#1", "stuck-poison#2", "stuck-poison#3", "stuck-after#1"]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/gave up after 3 unfinished attempts/);
    expect(errors[0]?.info).toMatchObject({ attempt: 4, final: true });
    // The stuck runs finish now: stopped pipelines never commit their writes.
    for (const release of releases.splice(0)) release();
    await sleep(100);
    expect(count(store, "stuck-poison")).toBe(0);
    expect(count(store, "stuck-after")).toBe(1);
    expect(store.pending(10)).toEqual([]);
  });
});
