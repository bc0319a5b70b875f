/**
 * Durable polling: the marker is saved only after a batch is handled and sent only then, so a
 * poller killed with SIGKILL in the middle of a batch loses nothing (the unfinished updates come
 * again) and, with the update's stable key, applies nothing twice. Also in process: a handler
 * that throws leaves its batch uncommitted; order, types, abort and close.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { type AddressInfo, createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FileMarkerStore,
  MaxBotClient,
  MemoryMarkerStore,
  markerKey,
} from "../../src/maxbot/client/index.js";
import type { Update } from "../../src/maxbot/protocol.js";
import { type BotWorld, type CreatedBot, type SignedInUser, startBotWorld } from "./harness.js";

let world: BotWorld;

beforeAll(async () => {
  world = await startBotWorld();
}, 60_000);

afterAll(async () => {
  await world?.close();
});

const lines = (path: string): string[] => {
  try {
    return readFileSync(path, "utf8")
      .split("\n")
      .filter((l) => l !== "");
  } catch {
    return [];
  }
};
const state = (path: string): { keys: string[]; texts: string[] } => {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as { keys: string[]; texts: string[] };
  } catch {
    return { keys: [], texts: [] };
  }
};

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function startPoller(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "client-poller-child.ts")],
    {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`poller did not start: ${stderr}`));
    }, 30_000);
    createInterface({ input: child.stdout! }).once("line", () => {
      clearTimeout(timer);
      resolve(child);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`poller exited with ${code}: ${stderr}`));
    });
  });
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGKILL");
  await exited;
}

describe("durable polling across kill -9", () => {
  let bot: CreatedBot;
  let alice: SignedInUser;
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) await kill9(c);
  });

  it("a poller killed mid-batch loses no update and applies none twice", async () => {
    bot = await world.createBot("Durable bot");
    alice = await world.user("Alice");
    const dir = mkdtempSync(join(tmpdir(), "maxbot-durable-"));
    const env = {
      BOT_API: world.botApi,
      TOKEN: bot.token,
      MARKERS: join(dir, "markers.json"),
      STATE: join(dir, "state.json"),
      ATTEMPTS: join(dir, "attempts.log"),
    };
    const texts = Array.from({ length: 12 }, (_, i) => `m${i}`);
    for (const t of texts) await alice.sendToUser(bot.userId, t);

    // Run 1: slow handler, killed after 4 attempts: in the middle of its one batch of 12.
    const first = await startPoller({ ...env, DELAY_MS: "150" });
    children.push(first);
    await until("4 attempts", () => lines(env.ATTEMPTS).length >= 4);
    await kill9(first);
    const attemptsAfterKill = lines(env.ATTEMPTS).length;
    expect(attemptsAfterKill).toBeLessThan(12);
    // The batch was not finished, so no marker was saved for it.
    expect(lines(env.MARKERS).join("")).not.toMatch(/"markers":\{"[^"]+":\d+/);

    // News while no poller runs.
    const later = ["m12", "m13", "m14"];
    for (const t of later) await alice.sendToUser(bot.userId, t);

    // Run 2: handles everything (the unfinished batch again, then the news).
    const second = await startPoller({ ...env, DELAY_MS: "0" });
    children.push(second);
    await until("all 15 applied", () => state(env.STATE).keys.length >= 15);
    await new Promise((r) => setTimeout(r, 500)); // the marker save follows the last handler
    await kill9(second);
    const s = state(env.STATE);
    expect([...s.texts].sort()).toEqual([...texts, ...later].sort());
    expect(new Set(s.keys).size).toBe(s.keys.length);
    // Order within the dialog is kept.
    expect(s.texts.filter((t) => texts.includes(t))).toEqual(texts.filter((t) => s.texts.includes(t)));
    // At least once: what run 1 started came again in run 2.
    const attempts = lines(env.ATTEMPTS);
    expect(attempts.length).toBeGreaterThan(15);
    for (const k of attempts.slice(0, attemptsAfterKill))
      expect(attempts.filter((a) => a === k).length).toBe(2);
    expect((statSync(env.MARKERS).mode & 0o777).toString(8)).toBe("600");

    // Run 3: the saved marker commits everything: nothing is delivered again.
    const before = lines(env.ATTEMPTS).length;
    const third = await startPoller({ ...env, DELAY_MS: "0" });
    children.push(third);
    await new Promise((r) => setTimeout(r, 2500));
    await kill9(third);
    expect(lines(env.ATTEMPTS).length).toBe(before);
    expect(state(env.STATE).keys).toHaveLength(15);
  }, 120_000);
});

describe("polling in process", () => {
  it("a handler that throws rejects poll() and leaves its batch for the next poll, in order", async () => {
    const bot = await world.createBot("Throwing bot");
    const alice = await world.user("Alice");
    for (const t of ["a", "b", "c"]) await alice.sendToUser(bot.userId, t);
    const client = new MaxBotClient({ url: world.botApi, token: bot.token });
    const store = new MemoryMarkerStore();
    const seen: string[] = [];
    const keys: string[] = [];
    const boom = new Error("handler failed");
    const handler = (u: Update, ctx: { key: string }) => {
      if (u.update_type !== "message_created") return;
      seen.push(u.message.body.text ?? "");
      keys.push(ctx.key);
      if (u.message.body.text === "b" && seen.filter((x) => x === "b").length === 1) throw boom;
    };
    await expect(
      client.poll(handler, { markerStore: store, types: ["message_created"], timeout: 1 }),
    ).rejects.toBe(boom);
    expect(await store.load(markerKey(world.botApi, bot.userId))).toBeUndefined();
    const stop = new AbortController();
    const done = client.poll(
      (u, ctx) => {
        handler(u, ctx);
        if (seen.length >= 5) stop.abort();
      },
      { markerStore: store, types: ["message_created"], timeout: 1, signal: stop.signal },
    );
    await done;
    expect(seen).toEqual(["a", "b", "a", "b", "c"]);
    // The same update has the same key on re-delivery.
    expect(keys[2]).toBe(keys[0]);
    expect(keys[3]).toBe(keys[1]);
    expect(keys[0]).toMatch(/^message_created:mid\./);
    await client.close();
  }, 30_000);

  it("close() ends a long poll promptly; a saved marker is used after a restart", async () => {
    const bot = await world.createBot("Closing bot");
    const alice = await world.user("Alice");
    const dir = mkdtempSync(join(tmpdir(), "maxbot-close-"));
    const store = new FileMarkerStore(join(dir, "m.json"));
    const client = new MaxBotClient({ url: world.botApi, token: bot.token });
    const got: string[] = [];
    await alice.sendToUser(bot.userId, "one");
    const polling = client.poll(
      (u) => {
        if (u.update_type === "message_created") got.push(u.message.body.text ?? "");
      },
      { markerStore: store, types: ["message_created"], timeout: 30 },
    );
    await until("one", () => got.includes("one"), 10_000);
    await new Promise((r) => setTimeout(r, 200)); // now waiting in a 30 s long poll
    const t0 = Date.now();
    await client.close();
    await polling;
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await store.load(markerKey(world.botApi, bot.userId))).toEqual(expect.any(Number));
    // A new client with the same store sees only what came after.
    await alice.sendToUser(bot.userId, "two");
    const again = new MaxBotClient({ url: world.botApi, token: bot.token });
    const stop = new AbortController();
    const next: string[] = [];
    await again.poll(
      (u) => {
        if (u.update_type === "message_created") next.push(u.message.body.text ?? "");
        stop.abort();
      },
      { markerStore: store, types: ["message_created"], timeout: 5, signal: stop.signal },
    );
    expect(next).toEqual(["two"]);
    await expect(again.poll(() => undefined, { signal: AbortSignal.abort() })).resolves.toBeUndefined();
    await again.close();
  }, 30_000);
});

/** A TCP forwarder to the emulator that can be cut (every connection dropped) and brought back. */
async function cuttableProxy(
  target: string,
): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void> }> {
  const t = new URL(target);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      const next = createServer((client) => {
        const upstream = createConnection(Number(t.port), t.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on("close", () => sockets.delete(s));
          s.on("error", () => undefined);
        }
        client.pipe(upstream).pipe(client);
      });
      server = next;
      next.listen(port, "127.0.0.1", () => {
        port = (next.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    async cut() {
      await new Promise<void>((resolve) => {
        server?.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
    restore: listen,
  };
}

describe("polling through network failures", () => {
  it("a dropped connection is waited out with backoff (state reconnecting) and nothing is lost", async () => {
    const bot = await world.createBot("Reconnecting bot");
    const alice = await world.user("Alice");
    const proxy = await cuttableProxy(world.botApi);
    const client = new MaxBotClient({ url: proxy.url, token: bot.token, timeoutMs: 5000 });
    const states: string[] = [];
    client.on("state", (s) => {
      states.push(s.state);
    });
    const got: string[] = [];
    const stop = new AbortController();
    const polling = client.poll(
      (u) => {
        if (u.update_type === "message_created") got.push(u.message.body.text ?? "");
        if (got.length === 3) stop.abort();
      },
      { types: ["message_created"], timeout: 1, signal: stop.signal, backoff: { baseMs: 50, maxMs: 200 } },
    );
    await alice.sendToUser(bot.userId, "before");
    await until("before", () => got.includes("before"), 10_000);
    await proxy.cut();
    await alice.sendToUser(bot.userId, "during 1");
    await alice.sendToUser(bot.userId, "during 2");
    await until("reconnecting", () => states.includes("reconnecting"), 10_000);
    await proxy.restore();
    await polling;
    expect(got).toEqual(["before", "during 1", "during 2"]);
    expect(states.slice(states.indexOf("reconnecting"))).toContain("connected");
    await client.close();
  }, 30_000);
});
