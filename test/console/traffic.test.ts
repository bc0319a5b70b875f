/**
 * The traffic inspector records from the start (issue 18 item 8): a page opened later sees what
 * happened before it, secrets masked as always, in one bounded ring per platform.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConsoleProvider, ConsoleSink } from "../../src/core/emulator/console.js";
import { silentLogger } from "../../src/core/log.js";
import { REDACTED } from "../../src/core/redact.js";
import { registerAdminApi } from "../../src/sandbox/admin-api.js";
import { TRAFFIC_LIMIT } from "../../src/sandbox/console/bus.js";
import { registerConsole } from "../../src/sandbox/console/routes.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { RawClient } from "../max/raw.js";
import { api } from "../sandbox/proc.js";
import { openFeed } from "./helpers.js";

// biome-ignore lint/suspicious/noExplicitAny: route answers are inspected loosely
type Any = any;

describe("traffic is recorded from the sandbox's start", () => {
  let sb: Sandbox;
  let client: RawClient | undefined;

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, data: null, seed: "demo", smsCode: "123456" });
  });
  afterAll(async () => {
    client?.close();
    await sb?.close();
  });

  it("a page opened after a login and a REST call sees both, masked", async () => {
    // No page, no recorder switched on: the console is as `npm start` leaves it.
    const platforms = (await api(sb.urls.console, "GET", "/_sandbox/console/platforms")).body as Any;
    expect(platforms.traffic).toEqual({ capturing: true, recording: true });

    client = await RawClient.connect(sb.urls.max);
    const { token } = await client.smsLogin(sb.seeded.find((u) => !u.password)?.phone as string);
    const maxim = await fetch(`${sb.urls.maxim}/token/user`, {
      method: "POST",
      headers: { app_id: "switchboard-demo", "content-type": "application/json" },
      body: JSON.stringify({ name: "alice", password: "alice-pass" }),
    });
    expect(maxim.status).toBe(200);

    // Now a page opens: its first read has the earlier traffic.
    const feed = await openFeed(sb.urls.console);
    try {
      const { records } = (await api(sb.urls.console, "GET", "/_sandbox/console/traffic?limit=5000"))
        .body as Any;
      const verify = records.find((r: Any) => r.platform === "max" && r.opcode === 18 && r.dir === "in");
      expect(verify.payload).toMatchObject({ verifyCode: REDACTED, token: REDACTED });
      const rest = records.filter((r: Any) => r.platform === "maxim" && r.path === "/token/user");
      expect(rest.map((r: Any) => r.dir)).toEqual(["in", "out"]);
      expect(rest[0].payload.body.password).toBe(REDACTED);
      expect(JSON.stringify(records)).not.toContain(token);
      expect(JSON.stringify(records)).not.toContain("alice-pass");
    } finally {
      await feed.close();
    }
  });

  it("switched off, it captures only while a page watches; switched on again, it records", async () => {
    const base = sb.urls.console;
    expect((await api(base, "POST", "/_sandbox/console/traffic/record", { on: false })).body).toEqual({
      ok: true,
      capturing: false,
    });
    await api(base, "DELETE", "/_sandbox/console/traffic");
    await client?.ok(1, { interactive: false });
    expect(((await api(base, "GET", "/_sandbox/console/traffic")).body as Any).records).toEqual([]);
    expect((await api(base, "POST", "/_sandbox/console/traffic/record", { on: true })).body.capturing).toBe(
      true,
    );
    await client?.ok(1, { interactive: false });
    const { records } = (await api(base, "GET", "/_sandbox/console/traffic?opcode=1")).body as Any;
    expect(records.map((r: Any) => r.dir)).toEqual(["in", "out"]);
  });
});

describe("the traffic log is bounded per platform", () => {
  let app: FastifyInstance;
  let base: string;
  const sinks = new Map<string, ConsoleSink>();
  const fake = (id: string): ConsoleProvider => ({
    id,
    title: id,
    url: () => "",
    attach: (s) => {
      sinks.set(id, s);
    },
  });

  beforeAll(async () => {
    app = Fastify();
    registerAdminApi(app, { urls: () => ({}), faces: [], log: silentLogger, indexPath: "/_sandbox/api" });
    registerConsole(app, { providers: [fake("quiet"), fake("chatty")], urls: () => ({}) });
    base = await app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    await app?.close();
  });

  it("a flood on one platform keeps the other's records; each keeps its newest TRAFFIC_LIMIT", async () => {
    const send = (platform: string, n: number) =>
      sinks
        .get(platform)
        ?.traffic({ platform, dir: "in", time: Date.now(), size: 1, summary: `#${n}`, payload: {} });
    send("quiet", 0);
    for (let i = 1; i <= TRAFFIC_LIMIT + 500; i++) send("chatty", i);
    send("quiet", 1);

    const all = ((await api(base, "GET", "/_sandbox/console/traffic?limit=5000")).body as Any).records;
    expect(all.length).toBe(TRAFFIC_LIMIT + 2);
    const quiet = all.filter((r: Any) => r.platform === "quiet").map((r: Any) => r.summary);
    expect(quiet).toEqual(["#0", "#1"]);
    const chatty = all.filter((r: Any) => r.platform === "chatty");
    expect(chatty.length).toBe(TRAFFIC_LIMIT);
    expect(chatty[0].summary).toBe("#501");
    expect(chatty.at(-1).summary).toBe(`#${TRAFFIC_LIMIT + 500}`);
    // Oldest first across platforms (by id), and the last `limit` of them.
    const ids = all.map((r: Any) => r.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(all.at(-1).summary).toBe("#1");
    const last = ((await api(base, "GET", "/_sandbox/console/traffic?limit=3")).body as Any).records;
    expect(last.map((r: Any) => r.summary)).toEqual([
      `#${TRAFFIC_LIMIT + 499}`,
      `#${TRAFFIC_LIMIT + 500}`,
      "#1",
    ]);
    const onlyQuiet = ((await api(base, "GET", "/_sandbox/console/traffic?platform=quiet")).body as Any)
      .records;
    expect(onlyQuiet.map((r: Any) => r.summary)).toEqual(["#0", "#1"]);
  });
});
