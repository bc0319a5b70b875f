import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { RawClient } from "../max/raw.js";
import {
  api,
  freeBase,
  isFree,
  occupy,
  rawHttp,
  release,
  runCli,
  type Sandboxed,
  startCliSandbox,
  untilStdout,
} from "./proc.js";

const CONTRACT =
  /^\{"console":"http:\/\/127\.0\.0\.1:\d+","max":"ws:\/\/127\.0\.0\.1:\d+\/websocket","maxim":"http:\/\/127\.0\.0\.1:\d+","webqq":"http:\/\/127\.0\.0\.1:\d+","vklive":"http:\/\/127\.0\.0\.1:\d+","maxbot":"http:\/\/127\.0\.0\.1:\d+","maxSocket":"tls:\/\/127\.0\.0\.1:\d+"\}$/;

describe("switchboard sandbox --json (the contract line)", () => {
  let sb: Sandboxed;
  beforeAll(async () => {
    sb = await startCliSandbox(["--memory"]);
  });
  afterAll(async () => {
    await sb?.stop("SIGKILL");
  });

  it("prints exactly one line with the five endpoints in contract order, then the extensions maxbot and maxSocket", async () => {
    const line = sb.stdout().split("\n")[0]!;
    expect(line).toMatch(CONTRACT);
    expect(Object.keys(JSON.parse(line))).toEqual([
      "console",
      "max",
      "maxim",
      "webqq",
      "vklive",
      "maxbot",
      "maxSocket",
    ]);
    const ports = Object.values(sb.urls).map((u) => Number(new URL(u).port));
    expect(new Set(ports).size).toBe(7);
  });

  it("answers health on the console and WebSocket on MAX", async () => {
    expect(await api(sb.urls.console, "GET", "/_sandbox/health")).toEqual({
      status: 200,
      body: { ok: true },
    });
    const client = await RawClient.connect(sb.urls.max);
    await client.hello();
    client.close();
  });

  it("serves MaxIM on its port: the seed's register example works there verbatim", async () => {
    const res = await fetch(`${sb.urls.maxim}/user/register/v2`, {
      method: "POST",
      headers: { "content-type": "application/json", app_id: "welovemaxim" },
      body: JSON.stringify({ username: "test_user", password: "asd" }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { code: number; data: { user_id: number } };
    expect(body.code).toBe(200);
    expect(typeof body.data.user_id).toBe("number");
  });

  it("serves WebQQ on its port: login2 without the login cookie answers a retcode, not a crash", async () => {
    const res = await fetch(`${sb.urls.webqq}/channel/login2`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        referer: "http://d1.web2.qq.com/proxy.html?v=20151105001&callback=1&id=2",
      },
      body: "r=%7B%7D",
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { retcode: number };
    expect(body.retcode).not.toBe(0);
  });

  it("serves VK Video Live on its port: REST errors in its shape, Centrifugo answers a connect", async () => {
    const vk = await api(sb.urls.vklive, "GET", "/v1/channel?channel_url=x");
    expect(vk.status).toBe(401);
    expect(vk.body).toMatchObject({ error: "unauthorized" });
    // Centrifugo's WebSocket path upgrades; a connect without a token is refused in-protocol.
    const ws = new WebSocket(
      `${sb.urls.vklive.replace("http", "ws")}/connection/websocket?cf_protocol_version=v2`,
    );
    await new Promise<void>((resolve, reject) => ws.once("open", () => resolve()).once("error", reject));
    ws.send(JSON.stringify({ id: 1, connect: {} }));
    const answer = await new Promise<string>((resolve) => {
      ws.once("message", (d) => resolve(String(d)));
      ws.once("close", (code) => resolve(`closed ${code}`));
    });
    expect(answer).toMatch(/error|closed/);
    ws.close();
  });

  it("writes nothing else on stdout and exits 0 on SIGTERM, releasing its ports", async () => {
    const t0 = Date.now();
    expect(await sb.stop("SIGTERM")).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(sb.stdout()).toBe(`${JSON.stringify(sb.urls)}\n`);
    expect(await isFree(Number(new URL(sb.urls.console).port))).toBe(true);
  });
});

describe("switchboard sandbox --allowed-hosts / --allowed-origins", () => {
  it("serves the named hosts on the console port and the named origins on the MAX socket", async () => {
    const sb = await startCliSandbox([
      "--memory",
      "--log-level",
      "silent",
      "--allowed-hosts",
      "sandbox.test, 10.9.8.7",
      "--allowed-origins",
      "http://app.test:3000",
    ]);
    try {
      const port = new URL(sb.urls.console).port;
      const health = (host: string) => rawHttp(sb.urls.console, "/_sandbox/health", { host });
      expect((await health(`sandbox.test:${port}`)).status).toBe(200);
      expect((await health("10.9.8.7")).status).toBe(200);
      expect((await health(`localhost:${port}`)).status).toBe(200);
      const refused = await health("attacker.example");
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body).error).toContain("--allowed-hosts");

      const open = (origin?: string) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(sb.urls.max, origin ? { origin } : {});
          ws.once("open", () => {
            ws.close();
            resolve("open");
          });
          ws.once("unexpected-response", (_req, res) => {
            resolve(`http ${res.statusCode}`);
            ws.terminate();
          });
          ws.once("error", () => resolve("error"));
        });
      expect(await open()).toBe("open");
      expect(await open("http://app.test:3000")).toBe("open");
      expect(await open("https://web.max.ru")).toBe("open");
      expect(await open("https://attacker.example")).toBe("http 403");
    } finally {
      expect(await sb.stop("SIGTERM")).toBe(0);
    }
  });

  it("rejects malformed lists with exit code 1", async () => {
    const badOrigin = runCli(["sandbox", "--memory", "--allowed-origins", "app.test/path"]);
    expect(await badOrigin.exited).toBe(1);
    expect(badOrigin.stderr()).toContain("is not an origin");
    const badHost = runCli(["sandbox", "--memory", "--allowed-hosts", "http://x/"]);
    expect(await badHost.exited).toBe(1);
    expect(badHost.stderr()).toContain("is not a host name");
  });
});

describe("switchboard sandbox process behaviour", () => {
  it("exits 0 on SIGINT with a client still connected", async () => {
    const sb = await startCliSandbox(["--memory", "--log-level", "silent"]);
    const client = await RawClient.connect(sb.urls.max);
    await client.hello();
    expect(await sb.stop("SIGINT")).toBe(0);
    expect((await client.closed).code).toBeGreaterThan(0);
  });

  it("with a taken port exits 1 with a readable message and leaves nothing listening", async () => {
    const base = await freeBase();
    // The last face (VK Live) collides, so four servers had already started and must be undone.
    const held = await occupy(base + 4);
    try {
      const run = runCli(["sandbox", "--port", String(base), "--memory", "--json"]);
      expect(await run.exited).toBe(1);
      expect(run.stdout()).toBe("");
      expect(run.stderr()).toContain(`VK Video Live port ${base + 4} on 127.0.0.1 is already in use`);
      expect(run.stderr()).toContain("--port");
      for (const p of [base, base + 1, base + 2, base + 3]) expect(await isFree(p)).toBe(true);
    } finally {
      await release(held.server);
    }
  });

  it("rejects bad flags with exit code 1", async () => {
    const bad = runCli(["sandbox", "--sms-code", "12ab", "--memory"]);
    expect(await bad.exited).toBe(1);
    expect(bad.stderr()).toContain("6 digits");
    const both = runCli(["sandbox", "--memory", "--data", "x.db"]);
    expect(await both.exited).toBe(1);
    expect(both.stderr()).toContain("cannot be used with");
  });

  it("without --json prints one readable line per endpoint and where SMS codes appear", async () => {
    const run = runCli(["sandbox", "--port", "0", "--memory", "--seed", "demo"]);
    await untilStdout(run, "Ctrl+C");
    run.proc.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    const out = run.stdout();
    expect(out).toMatch(/console \+ admin API\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toMatch(/MAX\s+ws:\/\/127\.0\.0\.1:\d+\/websocket/);
    expect(out).toMatch(/MaxIM\s+http:\/\/127\.0\.0\.1:\d+\n/);
    expect(out).toMatch(/WebQQ\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toMatch(/VK Video Live\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toContain("MAX SMS codes: random per request (fix one with --sms-code)");
    // The demo accounts with their ids, per platform, and how to log in there.
    expect(out).toMatch(/ {2}MAX\n {4}id \d+\s+\+79000000001 {2}Анна Смирнова {2}\(2FA password: anna-2fa\)/);
    expect(out).toMatch(/ {4}id \d+\s+alice\n/);
    expect(out).toMatch(/ {4}id 10001\s+小明 {2}\(password: xiaoming-pw\)/);
    expect(out).toMatch(/ {4}id \d+\s+pixel_streamer\n/);
    expect(out).toMatch(
      /log in: switchboard max login --url ws:\/\/127\.0\.0\.1:\d+\/websocket --phone <phone>/,
    );
  });
});
