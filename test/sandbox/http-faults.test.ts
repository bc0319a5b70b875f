/** The shared HTTP fault layer (src/core/emulator/http-faults.ts) over real HTTP, on every HTTP emulator. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { WebQQClient } from "../../src/webqq/client/index.js";
import { until } from "../console/helpers.js";
import { loggedIn, type RawClient } from "../max/raw.js";
import { api } from "./proc.js";

// biome-ignore lint/suspicious/noExplicitAny: answers are inspected loosely
type Any = any;

interface Answer {
  status: number;
  json: Any;
  headers: Headers;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: Any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers };
}

const BOB = 2440652742;

describe("HTTP faults on every platform (POST /_sandbox/<platform>/faults/http)", () => {
  let sb: Sandbox;
  let maximHeaders: Record<string, string>;
  const webqqClients: WebQQClient[] = [];
  const maxClients: RawClient[] = [];
  const fault = async (platform: string, body: unknown) => {
    const r = await api(sb.urls.console, "POST", `/_sandbox/${platform}/faults/http`, body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as Any;
  };

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, data: null, smsCode: "123456" });
    const app = await api(sb.urls.console, "POST", "/_sandbox/maxim/apps", { appId: "faults_app" });
    maximHeaders = { app_id: "faults_app", "access-token": app.body.adminToken };
    await api(sb.urls.console, "POST", "/_sandbox/webqq/accounts", {
      qq: BOB,
      password: "pw-bob",
      nick: "bob",
    });
  });
  afterEach(async () => {
    for (const p of ["maxim", "webqq", "vklive"]) await fault(p, { action: "clear" });
    await api(sb.urls.console, "POST", "/_sandbox/max/faults", { action: "clear" });
    for (const c of webqqClients.splice(0)) await c.close().catch(() => {});
    for (const c of maxClients.splice(0)) c.close();
  });
  afterAll(async () => {
    await sb?.close();
  });

  const maxim = (headers: Record<string, string> = {}) =>
    call(`${sb.urls.maxim}/user/list`, { headers: { ...maximHeaders, ...headers } });
  // No session: the emulator answers HTTP 200 with a retcode of its own (not 120).
  const webqq = (cookie?: string) =>
    call(`${sb.urls.webqq}/channel/get_online_buddies2?vfwebqq=x&clientid=1&psessionid=y&t=1`, {
      headers: {
        referer: "http://d1.web2.qq.com/proxy.html?v=20151105001&callback=1&id=2",
        ...(cookie ? { cookie } : {}),
      },
    });
  // No token: 401 from the emulator itself.
  const vklive = (token = "none") =>
    call(`${sb.urls.vklive}/v1/current_user`, { headers: { authorization: `Bearer ${token}` } });

  it("the requests used below answer normally without faults", async () => {
    expect((await maxim()).json).toMatchObject({ code: 200 });
    const w = await webqq();
    expect(w.status).toBe(200);
    expect(w.json.retcode).not.toBe(120);
    expect((await vklive()).status).toBe(401);
  });

  describe("delay", () => {
    it.each([
      ["maxim", () => maxim()],
      ["webqq", () => webqq()],
      ["vklive", () => vklive()],
    ] as const)("%s: requests wait at least the delay; clear removes it", async (platform, request) => {
      await fault(platform, { action: "delay", ms: 300, durationMs: 10_000 });
      const t0 = Date.now();
      await request();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
      await fault(platform, { action: "clear" });
      const t1 = Date.now();
      await request();
      expect(Date.now() - t1).toBeLessThan(280);
    });

    it("a path prefix and an account narrow the delay (MaxIM user_id header)", async () => {
      await fault("maxim", { action: "delay", ms: 300, path: "/user/", account: "42" });
      let t0 = Date.now();
      await maxim({ user_id: "7" });
      expect(Date.now() - t0).toBeLessThan(280);
      t0 = Date.now();
      await maxim({ user_id: "42" });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    });
  });

  describe("fail next N", () => {
    it("MaxIM: HTTP 200 {code, message} from its table, N times, then recovers", async () => {
      expect(await fault("maxim", { action: "fail", code: 20000, times: 2 })).toEqual({ ok: true });
      for (let i = 0; i < 2; i++) {
        const r = await maxim();
        expect(r.status).toBe(200);
        expect(r.json).toEqual({ code: 20000, message: "Server database exception", data: null });
      }
      expect((await maxim()).json.code).toBe(200);
      const bad = await api(sb.urls.console, "POST", "/_sandbox/maxim/faults/http", {
        action: "fail",
        code: 1,
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toContain("code");
    });

    it("WebQQ: HTTP 200 {retcode}, N times, then recovers", async () => {
      await fault("webqq", { action: "fail", retcode: 120, times: 2, path: "/channel/" });
      for (let i = 0; i < 2; i++) {
        const r = await webqq();
        expect(r.status).toBe(200);
        expect(r.json).toEqual({ retcode: 120, errmsg: "relink required" });
      }
      expect((await webqq()).json.retcode).not.toBe(120);
    });

    it("WebQQ: the uin cookie names the account", async () => {
      await fault("webqq", { action: "fail", retcode: 120, account: BOB });
      expect((await webqq("uin=o0123456")).json.retcode).not.toBe(120);
      expect((await webqq(`uin=o0${BOB}; other=1`)).json.retcode).toBe(120);
    });

    it("VK Live: {error, error_description} with the constant's status, N times, then recovers", async () => {
      await fault("vklive", { action: "fail", error: "service_unavailable", times: 2 });
      for (let i = 0; i < 2; i++) {
        const r = await vklive();
        expect(r.status).toBe(503);
        expect(r.json).toEqual({ error: "service_unavailable", error_description: expect.any(String) });
      }
      expect((await vklive()).status).toBe(401);
      await fault("vklive", { action: "fail", error: "service_unavailable", status: 502 });
      expect((await vklive()).status).toBe(502);
      expect((await vklive()).status).toBe(401);
    });
  });

  describe("rate-limit", () => {
    it("MaxIM: past N per window, HTTP 200 with the closest code (30023)", async () => {
      await fault("maxim", { action: "rate-limit", limit: 2, windowMs: 60_000 });
      expect((await maxim()).json.code).toBe(200);
      expect((await maxim()).json.code).toBe(200);
      const r = await maxim();
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ code: 30023, data: null });
      expect(r.json.message).toContain("too many requests");
      await fault("maxim", { action: "clear" });
      expect((await maxim()).json.code).toBe(200);
    });

    it("WebQQ: past N per window, HTTP 503 {retcode: 1202} with Retry-After", async () => {
      await fault("webqq", { action: "rate-limit", limit: 1, windowMs: 60_000 });
      expect((await webqq()).status).toBe(200);
      const r = await webqq();
      expect(r.status).toBe(503);
      expect(r.json).toEqual({ retcode: 1202, errmsg: "too many requests" });
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
      await fault("webqq", { action: "clear" });
      expect((await webqq()).status).toBe(200);
    });

    it("VK Live: past N per window (per token), 429 ratelimit_exceeded with Retry-After", async () => {
      await fault("vklive", { action: "rate-limit", limit: 1, windowMs: 60_000 });
      expect((await vklive("a")).status).toBe(401);
      const r = await vklive("a");
      expect(r.status).toBe(429);
      expect(r.json).toEqual({ error: "ratelimit_exceeded", error_description: expect.any(String) });
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await vklive("b")).status).toBe(401);
      await fault("vklive", { action: "clear" });
      expect((await vklive("a")).status).toBe(401);
    });

    it("MAX: POST /_sandbox/max/faults {action: rate-limit} answers error.rate_limited past the limit", async () => {
      const a = await loggedIn(sb.urls.max, "+79007770001");
      maxClients.push(a.client);
      const set = await api(sb.urls.console, "POST", "/_sandbox/max/faults", {
        action: "rate-limit",
        userId: a.userId,
        limit: 1,
        windowMs: 60_000,
      });
      expect(set).toEqual({ status: 200, body: { ok: true } });
      expect((await a.client.call(48, { chatIds: [] })).cmd).toBe(1);
      const p = await a.client.call(48, { chatIds: [] });
      expect(p.cmd).toBe(3);
      expect(p.payload).toMatchObject({ error: "error.rate_limited" });
      await api(sb.urls.console, "POST", "/_sandbox/max/faults", { action: "clear" });
      expect((await a.client.call(48, { chatIds: [] })).cmd).toBe(1);
      const bad = await api(sb.urls.console, "POST", "/_sandbox/max/faults", { action: "rate-limit" });
      expect(bad.status).toBe(400);
    });
  });

  describe("drop", () => {
    it.each([
      ["maxim", () => maxim()],
      ["webqq", () => webqq()],
      ["vklive", () => vklive()],
    ] as const)(
      "%s: the next request's connection is destroyed (fetch rejects), then it recovers",
      async (platform, request) => {
        expect(await fault(platform, { action: "drop", times: 1 })).toMatchObject({ ok: true });
        await expect(request()).rejects.toThrow();
        await expect(request()).resolves.toMatchObject({ status: expect.any(Number) });
      },
    );

    it("clear disarms a pending drop", async () => {
      await fault("vklive", { action: "drop", times: 3 });
      await fault("vklive", { action: "clear" });
      expect((await vklive()).status).toBe(401);
    });

    it("WebQQ: a held poll2 is cut at once (the client sees a network error)", async () => {
      const bob = new WebQQClient({
        url: sb.urls.webqq,
        backoffBaseMs: 5,
        pollTimeoutMs: 10_000,
        sendAttempts: 1,
      });
      webqqClients.push(bob);
      await bob.passwordLogin({ qq: BOB, password: "pw-bob" });
      const polling = bob.poll();
      const outcome = polling.then(
        () => "answered",
        () => "failed",
      );
      // `times: 0` cuts only what is held now and arms nothing: repeat until the poll is held.
      let res: unknown;
      await until(
        async () => {
          res = await fault("webqq", { action: "drop", times: 0, path: "/channel/poll2" });
          return (res as { dropped?: number }).dropped !== 0;
        },
        5000,
        "the poll2 to be held",
      );
      expect(res).toEqual({ ok: true, dropped: 1 });
      expect(await outcome).toBe("failed");
    });
  });
  describe("console forms (POST /_sandbox/console/<platform>/faults) use the same layer", () => {
    const consoleFault = (platform: string, body: unknown) =>
      api(sb.urls.console, "POST", `/_sandbox/console/${platform}/faults`, body);

    it("MaxIM and WebQQ offer delay, ratelimit and drop next to their own faults", async () => {
      const { body } = await api(sb.urls.console, "GET", "/_sandbox/console/platforms");
      const actions = (id: string) =>
        (body.platforms as Any[]).find((p) => p.id === id).faults.map((f: Any) => f.action);
      expect(actions("maxim")).toEqual(["fail", "delay", "ratelimit", "drop", "clear"]);
      expect(actions("webqq")).toEqual(expect.arrayContaining(["fail", "delay", "ratelimit", "drop"]));
      expect(actions("vklive")).toEqual(expect.arrayContaining(["fail", "delay", "ratelimit", "drop"]));
    });

    it("MaxIM rate limit and WebQQ fail from the console; the admin API sees them; clear restores", async () => {
      expect(
        (await consoleFault("maxim", { action: "ratelimit", limit: "1", windowMs: "60000" })).status,
      ).toBe(200);
      const listed = await api(sb.urls.console, "GET", "/_sandbox/maxim/faults/http");
      expect(listed.body.faults).toEqual([expect.objectContaining({ fault: "ratelimit" })]);
      expect((await maxim()).json.code).toBe(200);
      expect((await maxim()).json.code).toBe(30023);
      await consoleFault("maxim", { action: "clear" });
      expect((await maxim()).json.code).toBe(200);

      await consoleFault("webqq", { action: "fail", retcode: "120", times: "1", path: "", account: "" });
      expect((await webqq()).json.retcode).toBe(120);
      expect((await webqq()).json.retcode).not.toBe(120);
      expect((await consoleFault("webqq", { action: "delay" })).status).toBe(400);
    });

    it("VK Live's console rate limit runs on the shared layer", async () => {
      await consoleFault("vklive", { action: "ratelimit", limit: 0, windowMs: 60_000 });
      const listed = await api(sb.urls.console, "GET", "/_sandbox/vklive/faults/http");
      expect(listed.body.faults).toEqual([expect.objectContaining({ fault: "ratelimit" })]);
      expect((await vklive()).status).toBe(429);
      await fault("vklive", { action: "clear" });
      expect((await vklive()).status).toBe(401);
    });
  });
});
