/**
 * VkLiveClient against the platform contract: lifecycle and `state`, the core emitter (HandlerError,
 * bounded events that end on close), `{signal, timeoutMs}` on calls, ValidationError before anything
 * is sent, responses parsed with the endpoint table's schemas, and the table ⇄ emulator routes.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialKey, MemoryCredentialStore } from "../../src/core/credentials.js";
import { systemClock } from "../../src/core/emulator/clock.js";
import { openStore } from "../../src/core/emulator/store.js";
import {
  AbortError,
  ApiError,
  HandlerError,
  TimeoutError,
  TransportError,
  ValidationError,
} from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/log.js";
import type { Database } from "../../src/core/storage.js";
import { VkLiveClient } from "../../src/vklive/client/index.js";
import type { TokenSet } from "../../src/vklive/client/oauth.js";
import { type VkLiveEmulatorInstance, vkliveEmulatorPlugin } from "../../src/vklive/emulator/index.js";
import { ROUTES } from "../../src/vklive/emulator/rest.js";
import { DEVAPI_ENDPOINTS, SCOPES, VKLIVE_ENDPOINTS } from "../../src/vklive/protocol/index.js";
import { raw, waitFor } from "./harness.js";

let db: Database;
let vk: VkLiveEmulatorInstance;
let base: string;
let token: string;
let channelUrl: string;
let fan: number;

beforeAll(async () => {
  db = openStore({ file: null, modules: [vkliveEmulatorPlugin.store] });
  vk = await vkliveEmulatorPlugin.create({
    db,
    dataDir: "/tmp",
    log: silentLogger,
    clock: systemClock,
    urls: () => ({}),
  });
  base = await vk.listen(0, "127.0.0.1", "127.0.0.1");
  const app = vk.admin.createApp({ redirectUri: "http://127.0.0.1:9/cb" });
  const owner = vk.admin.createUser({ nick: "owner" }).userId;
  fan = vk.admin.createUser({ nick: "fan" }).userId;
  channelUrl = vk.admin.createChannel({ ownerId: owner, url: "owner" }).url;
  token = vk.admin.issueToken({ clientId: app.clientId, userId: owner, scopes: SCOPES }).access_token;
});
afterAll(async () => {
  await vk.close();
  db.close();
});

const client = (extra: Partial<ConstructorParameters<typeof VkLiveClient>[0]> = {}) =>
  new VkLiveClient({ url: base, tokens: { accessToken: token, tokenType: "Bearer" }, retries: 0, ...extra });

describe("lifecycle", () => {
  it("disconnected → connecting → connected → closed, visible in `state` and as state events", async () => {
    const c = client();
    const states: string[] = [];
    c.on("state", (s) => {
      states.push(s.state);
    });
    expect(c.state).toBe("disconnected");
    expect(c.platform).toBe("vklive");
    expect(c.account).toBe("default");
    const info = await c.connect();
    expect(info?.type).toBe("user");
    expect(c.state).toBe("connected");
    await c.connect(); // idempotent
    await c.close();
    await c.close();
    expect(c.state).toBe("closed");
    expect(states).toEqual(["connecting", "connected", "closed"]);
    await expect(c.tokenInfo()).rejects.toBeInstanceOf(AbortError);
    await expect(c.connect()).rejects.toBeInstanceOf(TransportError);
  });

  it("a bad token fails connect() with AuthError and leaves the client disconnected", async () => {
    const c = client({ tokens: { accessToken: "nope", tokenType: "Bearer" } });
    await expect(c.connect()).rejects.toMatchObject({ name: "AuthError", code: "unauthorized" });
    expect(c.state).toBe("disconnected");
    await c.close();
  });

  it("connect() with `channels` opens realtime and subscribes; events() delivers, close() ends it", async () => {
    const c = client({ channels: [channelUrl] });
    await c.connect();
    const it = c.events({ types: ["channel_chat_message_send"] });
    vk.admin.postMessage({ channelUrl, userId: fan, text: "to the subscriber" });
    const first = await it.next();
    expect(first.done).toBe(false);
    if (!first.done)
      expect(first.value.data.event.data.chat_message.parts[0]?.text?.content).toBe("to the subscriber");
    await c.close();
    expect(await it.next()).toEqual({ value: undefined, done: true });
    await waitFor(() => vk.admin.stats().connections === 0, 3000, "the socket closed");
  });

  it("a listener that throws reaches the `error` event as a HandlerError", async () => {
    const c = client({ channels: [channelUrl] });
    const errors: Error[] = [];
    c.on("error", (e) => {
      errors.push(e);
    });
    c.on("channel_chat_message_send", () => {
      throw new Error("boom");
    });
    await c.connect();
    vk.admin.postMessage({ channelUrl, userId: fan, text: "make it throw" });
    await waitFor(() => errors.length > 0, 3000, "handler error");
    expect(errors[0]).toBeInstanceOf(HandlerError);
    expect((errors[0] as HandlerError).event).toBe("channel_chat_message_send");
    await c.close();
  });
});

describe("credentials", () => {
  it("tokens come from the CredentialStore under `account`; a renewal (single-flight) is saved back", async () => {
    const app = vk.admin.createApp({ redirectUri: "http://127.0.0.1:9/cb2" });
    const t = vk.admin.issueToken({ clientId: app.clientId, userId: fan, scopes: [] });
    // Tokens are kept per (OAuth) server URL + account.
    const store = new MemoryCredentialStore<TokenSet>({
      [credentialKey(base, "fan")]: {
        accessToken: t.access_token,
        refreshToken: t.refresh_token,
        expiresAt: Date.now() - 1,
        tokenType: "Bearer",
      },
    });
    const c = new VkLiveClient({
      url: base,
      clientId: app.clientId,
      clientSecret: app.secret,
      credentials: store,
      account: "fan",
    });
    expect(c.account).toBe("fan");
    const infos = await Promise.all(Array.from({ length: 5 }, () => c.tokenInfo()));
    expect(infos.every((i) => i.type === "user")).toBe(true);
    expect(c.tokens.renewals).toBe(1);
    const saved = await store.load(credentialKey(base, "fan"));
    expect(saved?.accessToken).not.toBe(t.access_token);
    expect(saved?.accessToken).toBe(c.tokens.tokens?.accessToken);
    await c.close();
  });
});

describe("calls", () => {
  it("timeoutMs on one call overrides the client's; an aborted signal rejects with AbortError", async () => {
    const c = client({ timeoutMs: 10_000 });
    vk.httpFaults.delay(500, 2000);
    try {
      await expect(c.tokenInfo({ timeoutMs: 100 })).rejects.toBeInstanceOf(TimeoutError);
    } finally {
      vk.httpFaults.clear();
    }
    const ctl = new AbortController();
    ctl.abort();
    await expect(c.chatMessages(channelUrl, 1, { signal: ctl.signal })).rejects.toBeInstanceOf(AbortError);
    await c.close();
  });

  it("ValidationError before anything is sent, on every kind of input", async () => {
    let sent = 0;
    const c = client({
      fetch: (input, init) => {
        sent++;
        return fetch(input, init);
      },
    });
    const bad: Promise<unknown>[] = [
      c.chatMessages(channelUrl, 0),
      c.chatMessages("", 5),
      c.chatMembers(channelUrl, 201),
      c.channels([]),
      c.channel("x".repeat(201)),
      c.sendMessage(channelUrl, []),
      c.sendMessage(channelUrl, [{ mention: { id: -1 } }]),
      c.searchCategories("", "game"),
      c.resolveDemand(channelUrl, "d1", "maybe" as "approved"),
      c.editChatSettings(channelUrl, { allow_access: "nobody" as "all" }),
      c.chatMember(channelUrl, 0),
    ];
    for (const p of bad) await expect(p).rejects.toBeInstanceOf(ValidationError);
    expect(sent).toBe(0);
    await c.close();
  });
});

describe("responses are parsed with the table's schemas", () => {
  let server: Server;
  let fake: string;
  let answer: unknown;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    fake = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("a malformed body is ApiError bad_response; unknown fields are kept under `extra`", async () => {
    const c = client({ url: fake });
    answer = { data: { token: 5 } };
    const e = await c.websocketToken().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).code).toBe("bad_response");
    answer = {
      data: { chat_messages: [{ id: "one", created_at: 1, author: { id: 1, nick: "a" }, parts: [] }] },
    };
    await expect(c.chatMessages(channelUrl, 1)).rejects.toMatchObject({ code: "bad_response" });
    answer = { data: { expired_at: 1, type: "user", brand_new: true } };
    expect(await c.tokenInfo()).toEqual({ expired_at: 1, type: "user", extra: { brand_new: true } });
    await c.close();
  });
});

describe("endpoint table ⇄ emulator routes", () => {
  it("every /v1 entry has a handler, and the dispatcher serves nothing else", () => {
    expect(ROUTES.map((r) => `${r.method} ${r.path}`).sort()).toEqual(
      DEVAPI_ENDPOINTS.map((e) => `${e.method} ${e.path}`).sort(),
    );
    for (const r of ROUTES) expect(typeof r.handle).toBe("function");
    expect(DEVAPI_ENDPOINTS).toHaveLength(28);
  });

  it("every entry answers on the wire (not unknown_api_method), and paths outside the table do not", async () => {
    for (const e of Object.values(VKLIVE_ENDPOINTS)) {
      const r = await raw(
        base,
        e.method,
        e.path,
        e.method === "POST" ? { "content-type": "application/json" } : {},
        e.method === "POST" ? "{}" : undefined,
      );
      expect(r.status, `${e.method} ${e.path}`).not.toBe(404);
    }
    expect((await raw(base, "GET", "/v1/chat/message/delete")).json?.error).toBe("unknown_api_method");
    expect((await raw(base, "POST", "/v1/chat/messages", {}, "{}")).json?.error).toBe("unknown_api_method");
  });

  it("the emulator's own routes are the table's OAuth paths and the /v1 dispatcher (admin and Centrifugo aside)", () => {
    const printed = vk.app.printRoutes({ commonPrefix: false });
    const paths = [...printed.matchAll(/[─└├]── (\S+) \(/g)].map((m) => m[1]);
    const table = new Set<string>(Object.values(VKLIVE_ENDPOINTS).map((e) => e.path));
    for (const p of paths) {
      if (p === "*" || p === "/v1/*") continue;
      expect(table.has(p as string), `route ${p} is in the table`).toBe(true);
    }
    for (const e of Object.values(VKLIVE_ENDPOINTS).filter((x) => !x.path.startsWith("/v1/")))
      expect(vk.app.hasRoute({ method: e.method, url: e.path }), `${e.method} ${e.path}`).toBe(true);
  });
});
