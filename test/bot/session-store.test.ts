/**
 * Sessions at the store seam (types.ts): keys per chat / user / chat+user, lazy load and a single
 * versioned write applied with the update's completion, TTL, schema migrations, and version
 * conflicts. The end-to-end behaviour through Bot and the sandbox is in session-bot.test.ts.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  CommitConflictError,
  type SessionFlavor,
  type SessionHost,
  type SessionOptions,
  SessionSchemaError,
  session,
} from "../../src/bot/session.js";
import { MemoryBotStore } from "../../src/bot/store/memory.js";
import type { BotStore } from "../../src/bot/types.js";
import { type Ref, ref } from "../../src/core/model.js";

/** One update's run: the context fields sessions read, and its completion transaction. */
interface Run<S> extends SessionHost, SessionFlavor<S> {
  complete(): void;
}

function run<S>(store: BotStore, chat: string | undefined, user: string | undefined): Run<S> {
  const writes: (() => void)[] = [];
  const from: Ref | undefined = user === undefined ? undefined : ref("maxbot", "bot", user);
  return {
    store,
    effects: { onCommit: (write) => void writes.push(write) },
    chatKey: `maxbot:bot:${chat ?? "-"}`,
    accountKey: "maxbot:bot",
    from,
    session: undefined as S,
    complete() {
      store.transaction(() => {
        for (const write of writes) write();
      });
    },
  };
}

/** Runs `handler` for one update with the session middleware, then completes it. */
async function handle<S>(
  store: BotStore,
  options: SessionOptions<S>,
  where: { chat?: string; user?: string },
  handler: (ctx: Run<S>) => void,
): Promise<Run<S>> {
  const ctx = run<S>(store, where.chat, where.user);
  await session<S>(options)(ctx, async () => handler(ctx));
  ctx.complete();
  return ctx;
}

interface Counter {
  count: number;
}
const counter = (): Counter => ({ count: 0 });

afterEach(() => {
  vi.useRealTimers();
});

describe("session keys", () => {
  it("chat: everyone in a chat shares one value; other chats start from initial()", async () => {
    const store = new MemoryBotStore();
    const opts: SessionOptions<Counter> = { initial: counter };
    await handle(store, opts, { chat: "g1", user: "alice" }, (c) => void c.session.count++);
    await handle(store, opts, { chat: "g1", user: "bob" }, (c) => void c.session.count++);
    await handle(store, opts, { chat: "g2", user: "alice" }, (c) => void c.session.count++);
    expect(store.getSession("session:chat:maxbot:bot:g1", Date.now())?.value).toEqual({ count: 2 });
    expect(store.getSession("session:chat:maxbot:bot:g2", Date.now())?.value).toEqual({ count: 1 });
  });

  it("user: one value per user across chats", async () => {
    const store = new MemoryBotStore();
    const opts: SessionOptions<Counter> = { initial: counter, key: "user" };
    await handle(store, opts, { chat: "g1", user: "alice" }, (c) => void c.session.count++);
    await handle(store, opts, { chat: "g2", user: "alice" }, (c) => void c.session.count++);
    await handle(store, opts, { chat: "g1", user: "bob" }, (c) => void c.session.count++);
    expect(store.getSession("session:user:maxbot:bot:alice", Date.now())?.value).toEqual({ count: 2 });
    expect(store.getSession("session:user:maxbot:bot:bob", Date.now())?.value).toEqual({ count: 1 });
  });

  it("chat+user: one value per user in each chat", async () => {
    const store = new MemoryBotStore();
    const opts: SessionOptions<Counter> = { initial: counter, key: "chat+user" };
    let seen = -1;
    await handle(store, opts, { chat: "g1", user: "alice" }, (c) => void c.session.count++);
    await handle(store, opts, { chat: "g2", user: "alice" }, (c) => void c.session.count++);
    await handle(store, opts, { chat: "g1", user: "alice" }, (c) => {
      seen = c.session.count;
      c.session.count++;
    });
    expect(seen).toBe(1);
    expect(store.getSession("session:chat+user:maxbot:bot:g1:alice", Date.now())?.value).toEqual({
      count: 2,
    });
  });

  it("a custom key function; undefined = no session, and reading it then throws a clear error", async () => {
    const store = new MemoryBotStore();
    const opts: SessionOptions<Counter> = {
      initial: counter,
      key: (ctx) => (ctx.from ? `lang:${ctx.from.id}` : undefined),
    };
    await handle(store, opts, { chat: "g1", user: "alice" }, (c) => void c.session.count++);
    expect(store.getSession("session:custom:lang:alice", Date.now())?.value).toEqual({ count: 1 });
    await expect(handle(store, opts, { chat: "g1" }, (c) => void c.session.count)).rejects.toThrow(
      /no custom session key/,
    );
    await expect(
      handle(store, { initial: counter }, { user: "alice" }, (c) => void c.session.count),
    ).rejects.toThrow(/no chat session key/);
  });

  it("writes only what changed, once, with the completion; a handler that only reads writes nothing", async () => {
    const store = new MemoryBotStore();
    const opts: SessionOptions<Counter> = { initial: counter };
    const key = "session:chat:maxbot:bot:g1";
    const ctx = run<Counter>(store, "g1", "alice");
    await session<Counter>(opts)(ctx, async () => {
      ctx.session.count = 5;
      ctx.session.count = 6;
    });
    expect(store.getSession(key, Date.now())).toBeUndefined(); // not before completion
    ctx.complete();
    expect(store.getSession(key, Date.now())).toMatchObject({ value: { count: 6 }, version: 1 });
    await handle(store, opts, { chat: "g1", user: "bob" }, (c) => void c.session.count);
    expect(store.getSession(key, Date.now())?.version).toBe(1);
    await handle(store, opts, { chat: "g2", user: "bob" }, (c) => void c.session.count);
    expect(store.getSession("session:chat:maxbot:bot:g2", Date.now())).toBeUndefined(); // initial() unchanged: no write
  });

  it("assigning a new value replaces it; assigning null deletes the stored session", async () => {
    const store = new MemoryBotStore();
    const opts: SessionOptions<Counter> = { initial: counter };
    const key = "session:chat:maxbot:bot:g1";
    await handle(store, opts, { chat: "g1", user: "a" }, (c) => {
      c.session = { count: 41 };
    });
    expect(store.getSession(key, Date.now())?.value).toEqual({ count: 41 });
    await handle(store, opts, { chat: "g1", user: "a" }, (c) => {
      (c as { session: Counter | null }).session = null;
    });
    expect(store.getSession(key, Date.now())).toBeUndefined();
  });
});

describe("session TTL", () => {
  it("an expired session reads as initial() and can be written again; writes slide the expiry", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(1_000_000);
    const store = new MemoryBotStore();
    const opts: SessionOptions<Counter> = { initial: counter, ttlMs: 60_000 };
    const key = "session:chat:maxbot:bot:g1";
    await handle(store, opts, { chat: "g1", user: "a" }, (c) => void c.session.count++);
    expect(store.getSession(key, Date.now())?.expiresAt).toBe(1_060_000);

    vi.setSystemTime(1_050_000); // within the TTL: the value is there, the write slides it
    let seen = -1;
    await handle(store, opts, { chat: "g1", user: "a" }, (c) => {
      seen = c.session.count;
      c.session.count++;
    });
    expect(seen).toBe(1);
    expect(store.getSession(key, Date.now())?.expiresAt).toBe(1_110_000);

    vi.setSystemTime(1_110_001); // expired
    await handle(store, opts, { chat: "g1", user: "a" }, (c) => {
      seen = c.session.count;
      c.session.count += 10;
    });
    expect(seen).toBe(0);
    expect(store.getSession(key, Date.now())?.value).toEqual({ count: 10 });
  });

  it("a session only read is re-written (kept alive) once less than half its TTL is left", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(2_000_000);
    const store = new MemoryBotStore();
    const opts: SessionOptions<Counter> = { initial: counter, ttlMs: 60_000 };
    const key = "session:chat:maxbot:bot:g1";
    await handle(store, opts, { chat: "g1", user: "a" }, (c) => void c.session.count++);
    vi.setSystemTime(2_010_000); // 50 s left: no write
    await handle(store, opts, { chat: "g1", user: "a" }, (c) => void c.session.count);
    expect(store.getSession(key, Date.now())).toMatchObject({ version: 1, expiresAt: 2_060_000 });
    vi.setSystemTime(2_040_000); // 20 s left: refreshed
    await handle(store, opts, { chat: "g1", user: "a" }, (c) => void c.session.count);
    expect(store.getSession(key, Date.now())).toMatchObject({
      version: 2,
      expiresAt: 2_100_000,
      value: { count: 1 },
    });
  });

  it("rejects a non-positive ttlMs", () => {
    expect(() => session({ initial: counter, ttlMs: 0 })).toThrow(RangeError);
  });
});

describe("session migrations", () => {
  interface V1 {
    count: number;
  }
  interface V2 {
    visits: number;
    names: string[];
  }

  it("a value stored with an older schema is migrated on load and written back in the new schema", async () => {
    const store = new MemoryBotStore();
    const key = "session:chat:maxbot:bot:g1";
    await handle<V1>(store, { initial: () => ({ count: 0 }), schema: 1 }, { chat: "g1", user: "a" }, (c) => {
      c.session.count = 7;
    });
    expect(store.getSession(key, Date.now())).toMatchObject({ schema: 1, value: { count: 7 } });

    const calls: number[] = [];
    const v2: SessionOptions<V2> = {
      initial: () => ({ visits: 0, names: [] }),
      schema: 2,
      migrate: (old, from) => {
        calls.push(from);
        return { visits: (old as V1).count, names: [] };
      },
    };
    let seen: V2 | undefined;
    await handle(store, v2, { chat: "g1", user: "a" }, (c) => {
      seen = structuredClone(c.session);
    });
    expect(seen).toEqual({ visits: 7, names: [] });
    expect(store.getSession(key, Date.now())).toMatchObject({ schema: 2, value: { visits: 7, names: [] } });
    await handle(store, v2, { chat: "g1", user: "a" }, (c) => void c.session.visits++);
    expect(calls).toEqual([1]); // migrated once, then read as schema 2
    expect(store.getSession(key, Date.now())?.value).toEqual({ visits: 8, names: [] });
  });

  it("another schema without migrate, or a migrate that throws, is a SessionSchemaError (the stored value is kept)", async () => {
    const store = new MemoryBotStore();
    const key = "session:chat:maxbot:bot:g1";
    await handle<V1>(store, { initial: () => ({ count: 3 }), schema: 1 }, { chat: "g1", user: "a" }, (c) => {
      c.session.count++;
    });
    await expect(
      handle<V2>(
        store,
        { initial: () => ({ visits: 0, names: [] }), schema: 2 },
        { chat: "g1", user: "a" },
        (c) => void c.session,
      ),
    ).rejects.toThrow(SessionSchemaError);
    const failing: SessionOptions<V2> = {
      initial: () => ({ visits: 0, names: [] }),
      schema: 2,
      migrate: () => {
        throw new Error("bad shape");
      },
    };
    await expect(handle(store, failing, { chat: "g1", user: "a" }, (c) => void c.session)).rejects.toThrow(
      /migrate from schema 1 failed: bad shape/,
    );
    expect(store.getSession(key, Date.now())).toMatchObject({ schema: 1, value: { count: 4 } });
  });
});

describe("session version conflicts", () => {
  it("two runs that read the same version: the second commit throws CommitConflictError and rolls back its transaction", async () => {
    const store = new MemoryBotStore();
    const opts: SessionOptions<Counter> = { initial: counter, key: "user" };
    const key = "session:user:maxbot:bot:alice";
    // Alice writes in two chats at once (chats run concurrently): both runs read version 0.
    const a = run<Counter>(store, "g1", "alice");
    const b = run<Counter>(store, "g2", "alice");
    const mw = session<Counter>(opts);
    await mw(a, async () => void a.session.count++);
    await mw(b, async () => void b.session.count++);
    store.transaction(() => store.setCursor("marker", "before")); // state the failed transaction must not touch
    a.complete();
    let thrown: unknown;
    try {
      store.transaction(() => {
        store.setCursor("marker", "inside");
        b.complete();
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CommitConflictError);
    expect((thrown as { commitConflict?: unknown }).commitConflict).toBe(true);
    expect(store.cursor("marker")).toBe("before"); // rolled back with it
    expect(store.getSession(key, Date.now())).toMatchObject({ version: 1, value: { count: 1 } });

    // Handled again (what the pipeline does on a commit conflict): reads version 1, no update lost.
    await handle(store, opts, { chat: "g2", user: "alice" }, (c) => void c.session.count++);
    expect(store.getSession(key, Date.now())).toMatchObject({ version: 2, value: { count: 2 } });
  });

  it("a delete after someone else's write conflicts too", async () => {
    const store = new MemoryBotStore();
    const opts: SessionOptions<Counter> = { initial: counter };
    await handle(store, opts, { chat: "g1", user: "a" }, (c) => void c.session.count++);
    const a = run<Counter>(store, "g1", "a");
    await session<Counter>(opts)(a, async () => {
      (a as { session: Counter | null }).session = null;
    });
    await handle(store, opts, { chat: "g1", user: "b" }, (c) => void c.session.count++);
    expect(() => a.complete()).toThrow(CommitConflictError);
    expect(store.getSession("session:chat:maxbot:bot:g1", Date.now())?.value).toEqual({ count: 2 });
  });
});
