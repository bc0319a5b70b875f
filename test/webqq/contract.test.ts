/**
 * The platform contract (issue 11) on the WebQQ client and adapter: lifecycle and state,
 * events through the core Emitter (HandlerError), CallOptions (timeoutMs, signal), checks
 * before sending, the session in a CredentialStore, server-side de-duplication of adapter
 * retries, and an entry point that loads no emulator code.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryCredentialStore, serverCredentials } from "../../src/core/credentials.js";
import { ManualClock } from "../../src/core/emulator/clock.js";
import {
  AbortError,
  AuthError,
  HandlerError,
  TimeoutError,
  UnsupportedError,
  ValidationError,
} from "../../src/core/errors.js";
import { ref } from "../../src/core/model.js";
import { WebQQAdapter } from "../../src/webqq/adapter.js";
import type { WebQQClient, WebQQSession } from "../../src/webqq/client/index.js";
import { ALICE, BOB, client, type Harness, loggedIn, seedWorld, startEmulator, until } from "./harness.js";

let h: Harness;
let world: ReturnType<typeof seedWorld>;
const open: WebQQClient[] = [];
beforeEach(async () => {
  h = await startEmulator();
  world = seedWorld(h.emu);
});
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
  await h.close();
});
const track = (c: WebQQClient) => {
  open.push(c);
  return c;
};

describe("WebQQClient lifecycle", () => {
  it("connect() logs in with `login`, polls, emits state; connect twice and close twice are harmless", async () => {
    const c = track(client(h.base, { login: { qq: BOB, password: "pw-bob" } }));
    const states: string[] = [];
    c.on("state", ({ state }) => {
      states.push(state);
    });
    expect(c.platform).toBe("webqq");
    expect(c.account).toBe("default");
    expect(c.state).toBe("disconnected");
    await c.connect();
    await c.connect();
    expect(c.state).toBe("connected");
    await until(() => h.emu.admin.stats().polling === 1);
    const iterator = c.events({ types: ["message"] });
    h.emu.admin.sendAs({ from: ALICE, to: BOB, text: "via events()" });
    const first = await iterator.next();
    expect(first.value?.type).toBe("message");
    await c.close();
    await c.close();
    expect(c.state).toBe("closed");
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    expect(states).toEqual(["connecting", "connected", "closed"]);
  });

  it("connect() without a stored session or `login` is an AuthError and leaves it disconnected", async () => {
    const c = track(client(h.base));
    await expect(c.connect()).rejects.toBeInstanceOf(AuthError);
    expect(c.state).toBe("disconnected");
  });

  it("connect() relinks a stored session that went stale (100012 after the idle time-out)", async () => {
    const clock = new ManualClock();
    const short = await startEmulator({ sessionTtlMs: 150, clock });
    try {
      seedWorld(short.emu);
      // The clients' view of the store: sessions are kept per server URL + account.
      const store = serverCredentials(new MemoryCredentialStore<WebQQSession>(), { url: short.base });
      const a = await loggedIn(short.base, BOB, "pw-bob", { credentials: store });
      const before = a.session!.psessionid;
      clock.advance(200);
      const again = client(short.base, { credentials: store });
      await again.connect();
      expect(again.state).toBe("connected");
      expect(again.session!.psessionid).not.toBe(before);
      expect((await store.load("default"))?.psessionid).toBe(again.session!.psessionid);
      await again.close();
    } finally {
      await short.close();
    }
  });

  it("a listener that throws reaches the error event as a HandlerError", async () => {
    const c = track(await loggedIn(h.base, BOB, "pw-bob"));
    const errors: Error[] = [];
    c.on("error", (e) => {
      errors.push(e);
    });
    c.on("message", () => {
      throw new Error("listener bug");
    });
    await c.connect();
    h.emu.admin.sendAs({ from: ALICE, to: BOB, text: "boom" });
    await until(() => errors.length === 1);
    expect(errors[0]).toBeInstanceOf(HandlerError);
    expect(errors[0]!.message).toContain("listener bug");
    expect(c.state).toBe("connected");
  });

  it("a kick ends the loop: kicked, then state disconnected", async () => {
    const c = track(await loggedIn(h.base, BOB, "pw-bob"));
    const kicked: string[] = [];
    c.on("kicked", (r) => {
      kicked.push(r);
    });
    await c.connect();
    await until(() => h.emu.admin.stats().polling === 1);
    h.emu.admin.kick(BOB);
    await until(() => c.state === "disconnected");
    expect(kicked).toHaveLength(1);
  });
});

describe("CallOptions and checks before sending", () => {
  it("timeoutMs overrides the default: a held poll2 times out", async () => {
    const c = track(await loggedIn(h.base, BOB, "pw-bob"));
    await expect(c.poll({ timeoutMs: 50 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it("an already aborted signal sends nothing; aborting mid-call rejects with AbortError", async () => {
    let requests = 0;
    const c = track(
      await loggedIn(h.base, BOB, "pw-bob", {
        fetch: (input, init) => {
          requests++;
          return fetch(input, init);
        },
      }),
    );
    const n = requests;
    await expect(c.friends({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(requests).toBe(n);
    const ctrl = new AbortController();
    const p = c.poll({ signal: ctrl.signal });
    // Abort while the server holds the poll (no timer: wait until it is held).
    await until(() => h.emu.admin.stats().polling > 0);
    ctrl.abort();
    await expect(p).rejects.toBeInstanceOf(AbortError);
  });

  it("bad arguments are a ValidationError on every kind of call, before any request", async () => {
    let requests = 0;
    const c = track(
      client(h.base, {
        fetch: (input, init) => {
          requests++;
          return fetch(input, init);
        },
      }),
    );
    await expect(c.passwordLogin({ qq: 5, password: "x" })).rejects.toBeInstanceOf(ValidationError);
    await expect(c.passwordLogin({ qq: BOB, password: "" })).rejects.toBeInstanceOf(ValidationError);
    await expect(c.check(-1)).rejects.toBeInstanceOf(ValidationError);
    await expect(c.qrLogin({} as never)).rejects.toBeInstanceOf(ValidationError);
    expect(requests).toBe(0);
    await c.passwordLogin({ qq: BOB, password: "pw-bob" });
    const n = requests;
    const bad: [string, () => Promise<unknown>][] = [
      ["groupInfo", () => c.groupInfo(-1)],
      ["discussionInfo", () => c.discussionInfo(1.5)],
      ["friendUin", () => c.friendUin(1, 7 as never)],
      ["friendInfo", () => c.friendInfo(Number.NaN)],
      ["longNick", () => c.longNick(-3)],
      ["changeStatus", () => c.changeStatus("asleep" as never)],
      ["sendBuddy empty", () => c.sendBuddy(1, [])],
      ["sendBuddy bad uin", () => c.sendBuddy(-1, [{ type: "text", text: "x" }])],
      ["sendGroup", () => c.sendGroup(-1, [{ type: "text", text: "x" }])],
      ["sendDiscussion", () => c.sendDiscussion(Number.NaN, [{ type: "text", text: "x" }])],
      ["sendSess", () => c.sendSess(-1, 1, [{ type: "text", text: "x" }])],
      ["msgId", () => c.sendBuddy(1, [{ type: "text", text: "x" }], { msgId: -5 })],
      ["uploadGroupPicture", () => c.uploadGroupPicture(new Uint8Array(0), "x.png")],
      ["uploadOffpic", () => c.uploadOffpic(new Uint8Array([1]), "", 1)],
      ["offpic", () => c.offpic("", 1)],
      ["groupPicture", () => c.groupPicture("", 1, 1)],
    ];
    for (const [what, call] of bad) await expect(call(), what).rejects.toBeInstanceOf(ValidationError);
    expect(requests).toBe(n);
  });

  it("answers are parsed with the endpoint's schema: a malformed one is ApiError bad_response", async () => {
    const c = track(
      await loggedIn(h.base, BOB, "pw-bob", {
        fetch: async (input, init) => {
          const res = await fetch(input, init);
          const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
          if (!url.includes("get_self_info2")) return res;
          return new Response(JSON.stringify({ retcode: 0, result: { nick: 7 } }), {
            headers: { "content-type": "application/json" },
          });
        },
      }),
    );
    await expect(c.selfInfo()).rejects.toMatchObject({ code: "bad_response" });
  });
});

describe("WebQQAdapter", () => {
  it("a retry with the same idempotencyKey after a restart is dropped by the server (msg_id from the key)", async () => {
    const store = new MemoryCredentialStore<WebQQSession>();
    const a = await loggedIn(h.base, ALICE, "1234567890", { credentials: store });
    const b = track(await loggedIn(h.base, BOB, "pw-bob"));
    const got: unknown[] = [];
    b.on("group_message", (v) => {
      got.push(v);
    });
    await b.connect();
    const chat = ref("webqq", "default", `g:${world.group.gid}`);
    const first = new WebQQAdapter(a);
    const before = h.emu.admin.stats().messages;
    const r1 = await first.send(chat, "exactly once", { idempotencyKey: "k-1" });
    // A new process: a new client from the stored session (same clientid), a new adapter.
    const restarted = track(client(h.base, { credentials: store }));
    await restarted.restore();
    const second = new WebQQAdapter(restarted);
    const r2 = await second.send(chat, "exactly once", { idempotencyKey: "k-1" });
    expect(r2.ids).toEqual(r1.ids);
    expect(h.emu.admin.stats().messages).toBe(before + 1);
    await until(() => got.length === 1);
  });

  it("edit, delete, react and history are UnsupportedError; capabilities say so", async () => {
    const a = track(await loggedIn(h.base, ALICE, "1234567890"));
    const adapter = new WebQQAdapter(a);
    expect(adapter.capabilities.operations).toEqual({
      edit: false,
      delete: false,
      react: false,
      history: false,
    });
    const chat = ref("webqq", "default", `g:${world.group.gid}`);
    const msg = ref("webqq", "default", "x");
    await expect(adapter.edit(chat, msg, "y")).rejects.toBeInstanceOf(UnsupportedError);
    await expect(adapter.delete(chat, msg)).rejects.toBeInstanceOf(UnsupportedError);
    await expect(adapter.react(chat, msg, "+")).rejects.toBeInstanceOf(UnsupportedError);
    await expect(adapter.history(chat)).rejects.toBeInstanceOf(UnsupportedError);
  });
});

describe("switchboard/webqq", () => {
  it("loads no emulator code, fastify or SQLite (the import graph of src/webqq/index.ts)", () => {
    const root = resolve(__dirname, "../../src/webqq/index.ts");
    const seen = new Set<string>();
    const bare = new Set<string>();
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/^(?:import|export)\s(?!type\s)[^;]*?from\s+"([^"]+)"/gms)) {
        const spec = m[1] as string;
        if (spec.startsWith(".")) walk(join(dirname(file), spec.replace(/\.js$/, ".ts")));
        else bare.add(spec);
      }
    };
    walk(root);
    expect([...seen].filter((f) => f.includes("/emulator"))).toEqual([]);
    expect([...bare].filter((s) => /fastify|better-sqlite3|busboy/.test(s))).toEqual([]);
    expect(seen.size).toBeGreaterThan(5);
  });
});
