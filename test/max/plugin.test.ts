/** The MAX EmulatorPlugin on its own: store module, admin routes, SMS hook, seed section, clock. */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/emulator/clock.js";
import { SeedProblem } from "../../src/core/emulator/plugin.js";
import { openStore } from "../../src/core/emulator/store.js";
import type { Logger } from "../../src/core/log.js";
import type { Database } from "../../src/core/storage.js";
import { type MaxEmulatorInstance, maxEmulatorPlugin } from "../../src/max/emulator.js";
import { RawClient } from "./raw.js";

function recordingLogger(lines: string[]): Logger {
  const log: Logger = {
    trace: () => {},
    debug: () => {},
    info: (_o: unknown, msg?: string) => {
      if (msg) lines.push(msg);
    },
    warn: () => {},
    error: () => {},
    child: () => log,
  } as unknown as Logger;
  return log;
}

describe("maxEmulatorPlugin", () => {
  const plugin = maxEmulatorPlugin({ smsCode: "654321" });
  const lines: string[] = [];
  const clock = new ManualClock(Date.UTC(2025, 0, 1));
  let db: Database;
  let dir: string;
  let max: MaxEmulatorInstance;
  let app: FastifyInstance;
  let admin: string;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "sb-max-plugin-"));
    db = openStore({ file: null, modules: [plugin.store] });
    max = await plugin.create({
      db,
      dataDir: join(dir, "max"),
      log: recordingLogger(lines),
      clock,
      urls: () => ({}),
    });
    url = await max.listen(0, "127.0.0.1", "localhost");
    app = Fastify();
    max.registerAdmin(app);
    await app.listen({ port: 0, host: "127.0.0.1" });
    admin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await max?.close();
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(admin + path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
    return { status: res.status, body: (await res.json()) as any };
  };

  it("describes itself and listens on the shown host", () => {
    expect(plugin.platform).toBe("max");
    expect(plugin.title).toBe("MAX");
    expect(url).toMatch(/^ws:\/\/localhost:\d+\/websocket$/);
    expect(max.console.id).toBe("max");
  });

  it("serves the admin routes with today's answers", async () => {
    const created = await call("POST", "/_sandbox/max/users", { phone: "+79005550001", firstName: "Ира" });
    expect(created).toEqual({ status: 200, body: { userId: expect.any(Number) } });
    const dup = await call("POST", "/_sandbox/max/users", { phone: "+79005550001", firstName: "Ира" });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toContain("already exists");
    expect((await call("POST", "/_sandbox/max/users", { phone: "12", firstName: "X" })).status).toBe(400);
    expect(await call("GET", "/_sandbox/max/users?phone=%2B79005550001")).toEqual({
      status: 200,
      body: { userId: created.body.userId, phone: "+79005550001", firstName: "Ира", lastName: "" },
    });
    expect((await call("GET", "/_sandbox/max/sms?phone=%2B79005550001")).status).toBe(404);
    expect(await call("GET", "/_sandbox/max/qr")).toEqual({ status: 200, body: { pending: [] } });
    expect(await call("POST", "/_sandbox/max/faults", { action: "clear" })).toEqual({
      status: 200,
      body: { ok: true },
    });
    const stats = await call("GET", "/_sandbox/max/stats");
    expect(stats.status).toBe(200);
  });

  it("logs SMS codes, puts them in the console inbox and times them with the injected clock", async () => {
    const raw = await RawClient.connect(url);
    try {
      await raw.call(6, { userAgent: { deviceType: "WEB" }, deviceId: "plugin-test" });
      const r = await raw.call(17, { phone: "+79005550001", type: "START_AUTH", language: "ru" });
      expect(r.cmd).toBe(1);
      expect(lines).toContain("SMS code for +79005550001: 654321");
      expect(max.console.inbox?.().some((i) => i.kind === "sms" && i.value === "654321")).toBe(true);
      expect(await call("GET", "/_sandbox/max/sms?phone=%2B79005550001")).toEqual({
        status: 200,
        body: { phone: "+79005550001", code: "654321" },
      });
      // The code's lifetime runs on the sandbox clock: an hour later it has expired.
      clock.advance(60 * 60 * 1000);
      const late = await raw.call(18, {
        token: r.payload.token,
        verifyCode: "654321",
        authTokenType: "CHECK_CODE",
      });
      expect(late.cmd).toBe(3);
    } finally {
      raw.ws.close();
    }
  });

  it("applies its seed section idempotently and reports bad references with their place", async () => {
    const seed = max.seed;
    const section = seed.schema.parse({
      users: [
        { phone: "+79005550011", firstName: "Анна", password: "pw" },
        { phone: "+79005550012", firstName: "Борис" },
      ],
      chats: [{ type: "CHAT", title: "Плагин", owner: "+79005550011", members: ["+79005550012"] }],
      messages: [{ from: "+79005550012", chat: "Плагин", text: "привет" }],
    });
    const first = await seed.apply(section, (p) => p.join("."));
    expect(first.map((a) => [a.login, a.created])).toEqual([
      ["+79005550011", true],
      ["+79005550012", true],
    ]);
    const again = await seed.apply(section, (p) => p.join("."));
    expect(again.map((a) => a.created)).toEqual([false, false]);
    expect(again.map((a) => a.id)).toEqual(first.map((a) => a.id));

    const bad = seed.schema.safeParse({ chats: [{ type: "CHAT", title: "X", owner: "+79005550099" }] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(["chats", 0, "owner"]);
    expect(bad.error?.issues[0]?.message).toBe("no MAX user with phone +79005550099 in max.users");
    await expect(
      seed.apply(
        {
          users: [],
          chats: [{ type: "CHAT", title: "X", owner: "+79005550099", members: [] }],
          messages: [],
        },
        String,
      ),
    ).rejects.toBeInstanceOf(SeedProblem);
  });
});
