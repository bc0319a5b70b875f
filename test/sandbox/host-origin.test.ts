/**
 * DNS rebinding and cross-site requests (issue 12 item 3): the console port (admin API, console
 * routes, live feed) answers only requests whose Host is a loopback name, the bound host or a
 * host given with `allowedHosts`, and refuses browser requests from any other site.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { rawHttp as raw } from "./proc.js";

describe("console port: Host and Origin checks", () => {
  let sb: Sandbox;
  let port: string;
  beforeAll(async () => {
    sb = await startSandbox({
      port: 0,
      data: null,
      smsCode: "123456",
      allowedHosts: ["sandbox.test", "10.1.2.3"],
    });
    port = new URL(sb.urls.console).port;
  });
  afterAll(async () => {
    await sb?.close();
  });

  const get = (path: string, headers: Record<string, string>) => raw(sb.urls.console, path, headers);

  it.each([
    "/_sandbox/health",
    "/_sandbox/max/sms?phone=%2B79001234567",
    "/_sandbox/console/traffic",
    "/_sandbox/console/platforms",
    "/",
    "/_sandbox/no-such-route",
  ])("refuses a foreign Host on %s with 403 and a JSON error", async (path) => {
    for (const host of ["attacker.example", `attacker.example:${port}`, "127.0.0.1.attacker.example"]) {
      const res = await get(path, { host });
      expect(res.status, host).toBe(403);
      expect(res.type).toContain("application/json");
      expect(JSON.parse(res.body).error).toMatch(/host .*not allowed.*--allowed-hosts/i);
    }
  });

  it("refuses a foreign Host on a POST that would act as a user", async () => {
    const res = await raw(
      sb.urls.console,
      "/_sandbox/max/users",
      { host: "attacker.example", "content-type": "application/json" },
      { method: "POST", body: JSON.stringify({ phone: "+79005550001", firstName: "Evil" }) },
    );
    expect(res.status).toBe(403);
    const check = await get("/_sandbox/max/users?phone=%2B79005550001", { host: `127.0.0.1:${port}` });
    expect(check.status).toBe(404);
  });

  it.each([
    `127.0.0.1:${"PORT"}`,
    "127.0.0.1",
    "127.8.9.10",
    "localhost",
    "LOCALHOST:1",
    `[::1]:${"PORT"}`,
    "sandbox.test",
    "Sandbox.Test:8080",
    "10.1.2.3",
  ])("serves the loopback and allowed host %s", async (h) => {
    const res = await get("/_sandbox/health", { host: h.replace("PORT", port) });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true });
  });

  it("refuses the foreign Host on the live feed (SSE)", async () => {
    const res = await raw(sb.urls.console, "/_sandbox/console/events", { host: "attacker.example" }, {});
    expect(res.status).toBe(403);
  });

  it("refuses a cross-site Origin on every route, GETs and the live feed included", async () => {
    const host = `127.0.0.1:${port}`;
    for (const origin of [
      "https://attacker.example",
      "http://attacker.example",
      "null",
      `http://127.0.0.1:${Number(port) + 1}`,
      `http://localhost:${Number(port) + 1}`,
    ]) {
      for (const path of ["/_sandbox/health", "/_sandbox/max/sms?phone=%2B79001234567", "/"]) {
        const res = await get(path, { host, origin });
        expect(res.status, `${origin} ${path}`).toBe(403);
        expect(JSON.parse(res.body).error).toMatch(/origin/i);
      }
      const feed = await raw(
        sb.urls.console,
        "/_sandbox/console/events",
        { host, origin },
        { headOnly: true },
      );
      expect(feed.status).toBe(403);
      const post = await raw(
        sb.urls.console,
        "/_sandbox/console/max/messages",
        { host, origin, "content-type": "application/json" },
        { method: "POST", body: JSON.stringify({ as: "1", to: "2", text: "x" }) },
      );
      expect(post.status).toBe(403);
    }
  });

  it("refuses Sec-Fetch-Site: cross-site even without an Origin", async () => {
    const res = await get("/_sandbox/health", { host: `127.0.0.1:${port}`, "sec-fetch-site": "cross-site" });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error).toMatch(/cross-site/i);
  });

  it("serves same-origin browser requests and scripts without an Origin", async () => {
    const host = `127.0.0.1:${port}`;
    const cases: Record<string, string>[] = [
      { host },
      { host, origin: `http://${host}`, "sec-fetch-site": "same-origin" },
      { host: `localhost:${port}`, origin: `http://localhost:${port}` },
      { host: `sandbox.test:${port}`, origin: `http://sandbox.test:${port}` },
      { host, "sec-fetch-site": "none" },
    ];
    for (const headers of cases) {
      const res = await get("/_sandbox/health", headers);
      expect(res.status, JSON.stringify(headers)).toBe(200);
    }
    const feed = await raw(
      sb.urls.console,
      "/_sandbox/console/events",
      { host, origin: `http://${host}`, "sec-fetch-site": "same-origin" },
      { headOnly: true },
    );
    expect(feed.status).toBe(200);
    expect(feed.type).toContain("text/event-stream");
    // fetch (a script) as before.
    expect(await (await fetch(`${sb.urls.console}/_sandbox/health`)).json()).toEqual({ ok: true });
  });
});

describe("console port bound to a wildcard address", () => {
  it("serves its printed URL host and loopback, refuses others", async () => {
    const sb = await startSandbox({ port: 0, data: null, host: "0.0.0.0" });
    try {
      const port = new URL(sb.urls.console).port;
      expect((await raw(sb.urls.console, "/_sandbox/health", { host: `127.0.0.1:${port}` })).status).toBe(
        200,
      );
      expect((await raw(sb.urls.console, "/_sandbox/health", { host: `0.0.0.0:${port}` })).status).toBe(200);
      expect((await raw(sb.urls.console, "/_sandbox/health", { host: `192.168.1.20:${port}` })).status).toBe(
        403,
      );
    } finally {
      await sb.close();
    }
  });
});
