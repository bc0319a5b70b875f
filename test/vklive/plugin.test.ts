/** The EmulatorPlugin: create on a sandbox context, admin + fault routes, console, seed section. */
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/emulator/clock.js";
import { SeedProblem } from "../../src/core/emulator/plugin.js";
import { openStore } from "../../src/core/emulator/store.js";
import { silentLogger } from "../../src/core/log.js";
import type { Database } from "../../src/core/storage.js";
import { type VkLiveEmulatorInstance, vkliveEmulatorPlugin } from "../../src/vklive/emulator/index.js";

let db: Database;
let vk: VkLiveEmulatorInstance;
let base: string;
const clock = new ManualClock(1_700_000_000_000);
const consoleApp = Fastify();

beforeAll(async () => {
  db = openStore({ file: null, modules: [vkliveEmulatorPlugin.store] });
  vk = await vkliveEmulatorPlugin.create({
    db,
    dataDir: "/tmp",
    log: silentLogger,
    clock,
    urls: () => ({}),
  });
  vk.registerAdmin(consoleApp);
  await consoleApp.ready();
  base = await vk.listen(0, "127.0.0.1", "localhost");
});
afterAll(async () => {
  await consoleApp.close();
  await vk.close();
  db.close();
});

describe("vkliveEmulatorPlugin", () => {
  it("listens and answers with the shown host; the admin and fault routes are mounted", async () => {
    expect(base).toMatch(/^http:\/\/localhost:\d+$/);
    const user = await consoleApp.inject({
      method: "POST",
      url: "/_sandbox/vklive/users",
      payload: { nick: "a" },
    });
    expect(user.json()).toEqual({ userId: expect.any(Number) });
    const faults = await consoleApp.inject({ method: "GET", url: "/_sandbox/vklive/faults/http" });
    expect(faults.json()).toEqual({ faults: [] });
    const r = await fetch(`${base.replace("localhost", "127.0.0.1")}/v1/channel?channel_url=x`);
    expect(r.status).toBe(401);
  });

  it("uses the injected clock for token expiry", async () => {
    const app = vk.admin.createApp({ redirectUri: "http://127.0.0.1:9/cb" });
    const userId = vk.admin.createUser({ nick: "clocked" }).userId;
    vk.admin.createChannel({ ownerId: userId, url: "clocked" });
    const t = vk.admin.issueToken({ clientId: app.clientId, userId, scopes: [], expiresIn: 60 });
    const url = `${base.replace("localhost", "127.0.0.1")}/v1/channel?channel_url=clocked`;
    const headers = { authorization: `Bearer ${t.access_token}` };
    expect((await fetch(url, { headers })).status).toBe(200);
    clock.advance(61_000);
    expect((await fetch(url, { headers })).status).toBe(401);
  });

  it("applies its seed section idempotently, with notes on the accounts", async () => {
    const section = vk.seed.schema.parse({
      apps: [{ redirectUri: "http://127.0.0.1:9/seed", clientId: "seedapp", secret: "s3cret-value" }],
      users: [{ nick: "owner" }, { nick: "fan" }],
      channels: [
        {
          url: "owner",
          owner: "owner",
          stream: { title: "Live" },
          followers: ["fan"],
          messages: [{ from: "fan", text: "hi" }],
        },
      ],
    });
    const first = await vk.seed.apply(section, () => "");
    expect(first.map((a) => [a.login, a.created])).toEqual([
      ["owner", true],
      ["fan", true],
    ]);
    expect(first[0]?.notes).toEqual([
      "VK Live app seedapp (secret s3cret-value), redirect http://127.0.0.1:9/seed",
      "VK Live channel owner is live: Live",
    ]);
    const again = await vk.seed.apply(section, () => "");
    expect(again.map((a) => a.created)).toEqual([false, false]);
    expect(vk.console.messages("owner", { limit: 10 }).map((m) => m.text)).toEqual(["hi"]);
    expect(vk.console.accounts().map((a) => a.name)).toContain("fan");
  });

  it("checks references in the schema, at their place in the section", () => {
    const r = vk.seed.schema.safeParse({ users: [], channels: [{ url: "x", owner: "ghost" }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(["channels", 0, "owner"]);
    expect(r.error?.issues[0]?.message).toBe("no VK Live user with nick ghost in vklive.users");
  });

  it("an admin refusal becomes a SeedProblem with the whole-file path", async () => {
    const section = vk.seed.schema.parse({
      users: [{ nick: "n1" }],
      channels: [{ url: "owner", owner: "n1" }],
    });
    // A category the emulator does not know (the schema would refuse it; the admin refuses too).
    const bad = {
      ...section,
      channels: [{ ...section.channels[0], url: "fresh", stream: { category: "nope" } }],
    };
    await expect(vk.seed.apply(bad as typeof section, () => "")).rejects.toBeInstanceOf(SeedProblem);
  });
});
