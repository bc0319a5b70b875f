/** The admin routes as the sandbox console mounts them: the DESIGN.md fixed minimum and extras. */
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerVkLiveAdmin } from "../../src/vklive/emulator/admin-routes.js";
import { bearer, type Harness, raw, startEmulator } from "./harness.js";

let h: Harness;
let consoleApp: FastifyInstance;

beforeAll(async () => {
  h = await startEmulator();
  consoleApp = Fastify();
  registerVkLiveAdmin(consoleApp, h.emu.admin);
  await consoleApp.ready();
});
afterAll(async () => {
  await consoleApp.close();
  await h.close();
});

// biome-ignore lint/suspicious/noExplicitAny: raw JSON under test
async function post(path: string, body: unknown): Promise<{ status: number; json: any }> {
  const r = await consoleApp.inject({
    method: "POST",
    url: `/_sandbox/vklive/${path}`,
    payload: body as object,
  });
  return { status: r.statusCode, json: r.json() };
}

describe("admin API", () => {
  it("fixed minimum: apps, users, channels, tokens — and the token works against the emulator", async () => {
    const app = await post("apps", { redirectUri: "http://127.0.0.1:5173/cb" });
    expect(Object.keys(app.json).sort()).toEqual(["clientId", "secret", "signatureKey"]);
    const user = await post("users", { nick: "alice" });
    expect(user.json).toEqual({ userId: expect.any(Number) });
    const ch = await post("channels", { ownerId: user.json.userId, url: "alice" });
    expect(ch.json).toEqual({ channelId: expect.any(Number), url: "alice" });
    const tok = await post("tokens", {
      clientId: app.json.clientId,
      userId: user.json.userId,
      scopes: ["chat:message:send"],
    });
    expect(Object.keys(tok.json).sort()).toEqual(["access_token", "expires_in", "refresh_token"]);
    expect(
      (await raw(h.base, "GET", "/v1/current_user", bearer(tok.json.access_token))).json.data.user.nick,
    ).toBe("alice");

    const consent = await post("consent", {
      clientId: app.json.clientId,
      userId: user.json.userId,
      redirectUri: "http://127.0.0.1:5173/cb",
      state: "s",
    });
    expect(consent.json.location).toMatch(/^http:\/\/127\.0\.0\.1:5173\/cb\?code=.+&state=s$/);
    expect((await post("streams/start", { channelUrl: "alice", title: "Hi" })).json.streamId).toBeTypeOf(
      "string",
    );
    expect(
      (await post("messages", { channelUrl: "alice", userId: user.json.userId, text: "yo" })).json.messageId,
    ).toBeTypeOf("number");
    expect((await post("follows", { channelUrl: "alice", userId: user.json.userId })).json).toEqual({
      ok: true,
    });
    const reward = await post("rewards", { channelUrl: "alice", name: "R", price: 1 });
    expect(
      (
        await post("demands", {
          channelUrl: "alice",
          userId: user.json.userId,
          rewardId: reward.json.rewardId,
        })
      ).json.demandId,
    ).toBeTypeOf("string");
    expect((await post("faults", { error: "service_unavailable", path: "/v1/token" })).json).toEqual({
      ok: true,
    });
    expect((await raw(h.base, "GET", "/v1/token", bearer(tok.json.access_token))).status).toBe(503);
    const stats = await consoleApp.inject({ method: "GET", url: "/_sandbox/vklive/stats" });
    expect(stats.json().published).toBeGreaterThan(0);
  });

  it("bad input answers 400 with a message; unknown references 404", async () => {
    expect((await post("users", {})).status).toBe(400);
    expect((await post("apps", { redirectUri: "ftp://x" })).status).toBe(400);
    expect((await post("channels", { ownerId: 999_999, url: "x" })).status).toBe(404);
    expect((await post("channels", { ownerId: 1, url: "bad url" })).status).toBe(400);
    expect((await post("tokens", { clientId: "nope", userId: 1, scopes: [] })).status).toBe(404);
    expect((await post("messages", { channelUrl: "nobody", userId: 1, text: "x" })).status).toBe(404);
    expect((await post("faults", { error: "not_an_error" })).status).toBe(400);
  });
});
