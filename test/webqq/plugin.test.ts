/** The WebQQ EmulatorPlugin: admin + fault routes on the console app, the injected clock, the seed section. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/emulator/clock.js";
import { SeedProblem } from "../../src/core/emulator/plugin.js";
import { openStore } from "../../src/core/emulator/store.js";
import { silentLogger } from "../../src/core/log.js";
import type { Database } from "../../src/core/storage.js";
import { WebQQClient } from "../../src/webqq/client/index.js";
import { type WebQQEmulatorInstance, webqqEmulatorPlugin } from "../../src/webqq/emulator.js";

let db: Database;
let emu: WebQQEmulatorInstance;
const clock = new ManualClock(Date.UTC(2026, 0, 1));

async function start(): Promise<string> {
  db = openStore({ file: null, modules: [webqqEmulatorPlugin.store] });
  emu = await webqqEmulatorPlugin.create({
    db,
    dataDir: mkdtempSync(join(tmpdir(), "webqq-plugin-")),
    log: silentLogger,
    clock,
    urls: () => ({}),
  });
  return emu.listen(0, "127.0.0.1", "localhost");
}
afterEach(async () => {
  await emu.close();
  db.close();
});

describe("webqqEmulatorPlugin", () => {
  it("listens on the shown host and mounts the admin and fault routes on another app", async () => {
    const url = await start();
    expect(url).toMatch(/^http:\/\/localhost:\d+$/);
    expect(webqqEmulatorPlugin.platform).toBe("webqq");
    expect(emu.console.id).toBe("webqq");
    const admin = Fastify();
    emu.registerAdmin(admin);
    const post = async (path: string, payload: object) => {
      const r = await admin.inject({ method: "POST", url: path, payload });
      return { status: r.statusCode, json: r.json() };
    };
    expect(await post("/_sandbox/webqq/accounts", { qq: 10001, password: "a", nick: "A" })).toEqual({
      status: 200,
      json: { qq: 10001 },
    });
    await post("/_sandbox/webqq/accounts", { qq: 10002, password: "b", nick: "B" });
    expect((await post("/_sandbox/webqq/friends", { qq: 10001, friend: 10002 })).json).toEqual({ ok: true });
    const g = await post("/_sandbox/webqq/groups", { name: "g", owner: 10001, members: [10002] });
    expect(g.json).toMatchObject({ code: expect.any(Number), account: expect.any(Number) });
    expect((await post("/_sandbox/webqq/faults/http", { action: "clear" })).json).toEqual({ ok: true });
    await admin.close();
  });

  it("session idle time follows the injected clock (100012 without waiting)", async () => {
    const url = await start();
    emu.admin.createAccount({ qq: 10001, password: "pw", nick: "A" });
    const c = new WebQQClient({ url });
    await c.passwordLogin({ qq: 10001, password: "pw" });
    expect(await c.onlineBuddies()).toEqual([]);
    clock.advance(25 * 3600_000);
    await expect(c.onlineBuddies()).rejects.toMatchObject({ code: 100012 });
    await c.close();
  });

  it("applies its seed section idempotently and reports dangling references at their place", async () => {
    await start();
    const section = {
      accounts: [
        { qq: 10001, password: "pw-a", nick: "A" },
        { qq: 10002, password: "pw-b", nick: "B" },
      ],
      friends: [[10001, 10002]],
      groups: [{ name: "g", owner: 10001, members: [10002] }],
      discussions: [],
      messages: [{ from: 10002, group: "g", text: "hi" }],
    };
    const seed = emu.seed;
    const parsed = seed.schema.parse(section);
    const at = () => "here";
    const first = await seed.apply(parsed, at);
    expect(first.map((a) => [a.login, a.created])).toEqual([
      ["10001", true],
      ["10002", true],
    ]);
    const before = emu.admin.stats().messages;
    const second = await seed.apply(parsed, at);
    expect(second.every((a) => !a.created)).toBe(true);
    expect(emu.admin.stats().messages).toBe(before);
    const bad = seed.schema.parse({ ...section, friends: [[10001, 10003]] });
    const err = await seed.apply(bad, at).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SeedProblem);
    expect(err).toMatchObject({
      path: ["friends", 0, 1],
      message: "no WebQQ account 10003 in webqq.accounts",
    });
    expect(() => seed.schema.parse({ accounts: [{ qq: 1, password: "x", nick: "y" }] })).toThrow();
  });
});
