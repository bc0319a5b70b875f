/**
 * MaxImClient on the platform contract: lifecycle (state, connect, close), credentials through a
 * CredentialStore, HandlerError for listeners that throw, `{signal, timeoutMs}` on a call,
 * ValidationError before anything is sent, and the one endpoint table both sides are driven by.
 */
import { mkdtempSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileCredentialStore, MemoryCredentialStore, serverCredentials } from "../../src/core/credentials.js";
import {
  AbortError,
  AuthError,
  HandlerError,
  TimeoutError,
  TransportError,
  ValidationError,
} from "../../src/core/errors.js";
import { MaxImClient, type MaxImCredentials } from "../../src/maxim/client/index.js";
import { routeMethods } from "../../src/maxim/emulator/context.js";
import { ROUTES } from "../../src/maxim/emulator/server.js";
import { type MaxImEndpoint, MaxImEndpoints } from "../../src/maxim/protocol.js";
import { type Harness, startEmulator, TOKEN } from "./harness.js";

const APP = "welovemaxim";

/** A server that counts requests and never answers them (until closed). */
async function silentServer(): Promise<{
  url: string;
  count: () => number;
  /** Resolves once the server has received `n` requests in all (the request is in flight). */
  arrived: (n: number) => Promise<void>;
  close: () => Promise<void>;
}> {
  let n = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const server: Server = createServer(() => {
    n += 1;
    for (const w of waiters.splice(0)) {
      if (n >= w.n) w.resolve();
      else waiters.push(w);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    count: () => n,
    arrived: (want) =>
      n >= want ? Promise.resolve() : new Promise((resolve) => waiters.push({ n: want, resolve })),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("MaxImClient lifecycle and credentials", () => {
  let h: Harness;
  let userId = 0;
  let userToken = "";

  beforeAll(async () => {
    h = await startEmulator();
    const admin = new MaxImClient({ url: h.base, appId: APP, adminToken: TOKEN, retries: 0 });
    userId = (await admin.registerUser({ username: "lifecycle", password: "pw" })).user_id;
    userToken = (await admin.userToken({ name: "lifecycle", password: "pw" })).token;
  });
  afterAll(() => h.close());

  it("connect() checks the credentials and emits state; close() ends iterators; both idempotent", async () => {
    const c = new MaxImClient({ url: h.base, appId: APP, token: userToken, retries: 0 });
    expect(c.platform).toBe("maxim");
    expect(c.account).toBe("default");
    expect(c.state).toBe("disconnected");
    const states: string[] = [];
    c.on("state", (s) => {
      states.push(s.state);
    });
    const iterator = c.events({ types: ["state"] });
    expect(await c.connect()).toEqual({ userId, loggedIn: true });
    expect(await c.connect()).toEqual({ userId, loggedIn: true });
    expect(c.state).toBe("connected");
    await c.close();
    await c.close();
    expect(c.state).toBe("closed");
    expect(states).toEqual(["connecting", "connected", "closed"]);
    const seen: string[] = [];
    for await (const e of iterator) seen.push(e.data.state);
    expect(seen).toEqual(["connecting", "connected", "closed"]);
    // Calls after close fail without a request; connect() opens the client again.
    await expect(c.profile()).rejects.toBeInstanceOf(TransportError);
    await c.connect();
    expect((await c.profile()).user_id).toBe(userId);
    await c.close();
  });

  it("an app token connects with or without an acting user", async () => {
    const admin = new MaxImClient({ url: h.base, appId: APP, adminToken: TOKEN });
    expect(await admin.connect()).toEqual({ userId: undefined, loggedIn: true });
    const asUser = new MaxImClient({ url: h.base, appId: APP, adminToken: TOKEN, userId });
    expect(await asUser.connect()).toEqual({ userId, loggedIn: true });
    expect(admin.asUser(userId).userId).toBe(userId);
    await admin.close();
    await asUser.close();
  });

  it("wrong credentials: connect() rejects with AuthError and the state says why", async () => {
    const c = new MaxImClient({ url: h.base, appId: APP, token: "not-a-token-at-all", retries: 0 });
    const err = await c.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({ code: 10008 });
    expect(c.state).toBe("disconnected");
    const none = new MaxImClient({ url: h.base, appId: APP });
    await expect(none.connect()).rejects.toMatchObject({ code: 10003 });
  });

  it("credentials live in a CredentialStore: saved on connect, used when no token is given", async () => {
    // The clients' view of the store: logins are kept per server URL + account.
    const store = serverCredentials(new MemoryCredentialStore<MaxImCredentials>(), { url: h.base });
    const first = new MaxImClient({
      url: h.base,
      appId: APP,
      token: userToken,
      credentials: store,
      account: "me",
    });
    await first.connect();
    expect(await store.load("me")).toEqual({ appId: APP, token: userToken });
    const second = new MaxImClient({ url: h.base, appId: APP, credentials: store, account: "me" });
    expect(await second.connect()).toEqual({ userId, loggedIn: true });
    // Even without connect(): the first call loads them.
    const third = new MaxImClient({ url: h.base, appId: APP, credentials: store, account: "me" });
    expect((await third.profile()).user_id).toBe(userId);
    const dir = mkdtempSync(join(tmpdir(), "maxim-creds-"));
    const file = serverCredentials(new FileCredentialStore<MaxImCredentials>(join(dir, "credentials.json")), {
      url: h.base,
    });
    const fourth = new MaxImClient({ url: h.base, appId: APP, token: userToken, credentials: file });
    await fourth.connect();
    expect(statSync(join(dir, "credentials.json")).mode & 0o777).toBe(0o600);
    expect(await file.load("default")).toEqual({ appId: APP, token: userToken });
    // A derived client (asUser, withToken) never writes over the stored credentials.
    const derived = fourth.asUser(userId);
    await derived.connect();
    expect(await file.load("default")).toEqual({ appId: APP, token: userToken });
    for (const c of [first, second, third, fourth, derived]) await c.close();
  });

  it("a listener that throws reaches the error event as a HandlerError", async () => {
    const c = new MaxImClient({ url: h.base, appId: APP, token: userToken });
    const errors: Error[] = [];
    c.on("error", (e) => {
      errors.push(e);
    });
    c.on("state", () => {
      throw new Error("boom");
    });
    await c.connect();
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toBeInstanceOf(HandlerError);
    expect(errors[0]).toMatchObject({ event: "state", platform: "maxim" });
    await c.close();
  });
});

describe("MaxImClient calls: {signal, timeoutMs} and ValidationError before sending", () => {
  let silent: Awaited<ReturnType<typeof silentServer>>;
  let c: MaxImClient;

  beforeAll(async () => {
    silent = await silentServer();
    c = new MaxImClient({ url: silent.url, appId: APP, token: TOKEN, retries: 0, timeoutMs: 30_000 });
  });
  afterAll(async () => {
    await c.close();
    await silent.close();
  });

  it("timeoutMs overrides the client's default", async () => {
    const started = Date.now();
    await expect(c.profile({ timeoutMs: 100 })).rejects.toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("an aborted signal fails the call with AbortError (before sending, or in flight)", async () => {
    const before = silent.count();
    await expect(c.profile({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(silent.count()).toBe(before);
    const ac = new AbortController();
    const sent = silent.count();
    const pending = c.groupInfo(7, { signal: ac.signal });
    await silent.arrived(sent + 1); // in flight: the server has it, no answer will come
    ac.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortError);
  });

  it("close() fails the calls in flight", async () => {
    const other = new MaxImClient({ url: silent.url, appId: APP, token: TOKEN, retries: 0 });
    const sent = silent.count();
    const pending = other.profile();
    await silent.arrived(sent + 1);
    void other.close();
    await expect(pending).rejects.toBeInstanceOf(AbortError);
  });

  it("invalid input is a ValidationError (MaxIM code 10002) and nothing is sent", async () => {
    const before = silent.count();
    const cases: Promise<unknown>[] = [
      c.registerUser({ username: "mta_reserved", password: "pw" }),
      c.groupInfo(-5),
      c.setMobile("not a phone"),
      c.sendMessage({ targets: [], type: 1, content_type: 0, content: "x" }),
      c.pushNotify({ audience: { tag: [] }, message: {} }),
      c.disableUsers([]),
      c.conversationPage(1, { limit: 100_000 }),
    ];
    for (const p of cases) {
      const err = await p.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect(err).toMatchObject({ platform: "maxim", code: 10002 });
      expect((err as ValidationError).issues.length).toBeGreaterThan(0);
    }
    expect(silent.count()).toBe(before);
  });
});

describe("the endpoint table drives the emulator", () => {
  it("every table entry has an emulator route and every route is a table entry", async () => {
    const h = await startEmulator();
    try {
      const table: MaxImEndpoint[] = Object.values(MaxImEndpoints);
      const routed = new Set(ROUTES.map((r) => r.endpoint));
      for (const e of table) {
        expect(routed.has(e), `${e.method} ${e.path} has a route`).toBe(true);
        for (const method of [e.method, ...(e.also ?? [])])
          expect(h.emu.app.hasRoute({ method, url: e.path }), `${method} ${e.path}`).toBe(true);
      }
      const entries = new Set<unknown>(table);
      for (const r of ROUTES)
        expect(entries.has(r.endpoint), `${routeMethods(r)} ${r.endpoint.path}`).toBe(true);
      expect(ROUTES.length).toBe(table.length);
      // No path is declared twice for the same method.
      const keys = table.flatMap((e) => [e.method, ...(e.also ?? [])].map((m) => `${m} ${e.path}`));
      expect(new Set(keys).size).toBe(keys.length);
    } finally {
      await h.close();
    }
  });
});
