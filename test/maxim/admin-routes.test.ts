/** The sandbox admin calls for MaxIM, mounted on a Fastify instance of the test's own. */
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerMaxImAdmin } from "../../src/maxim/emulator/admin-routes.js";
import { api, type Harness, raw, startEmulator, TOKEN } from "./harness.js";

let h: Harness;
let console_: FastifyInstance;
let adminBase: string;

beforeAll(async () => {
  h = await startEmulator();
  console_ = Fastify({ logger: false });
  registerMaxImAdmin(console_, h.emu.admin);
  await console_.listen({ port: 0, host: "127.0.0.1" });
  const addr = console_.server.address();
  adminBase = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
});
afterAll(async () => {
  await console_.close();
  await h.close();
});

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(adminBase + path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe("/_sandbox/maxim admin routes", () => {
  it("POST /apps creates an app whose admin token works at once (DESIGN.md minimum)", async () => {
    const r = await call("POST", "/_sandbox/maxim/apps", { appId: "team_app" });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json).sort()).toEqual(["adminToken", "appId"]);
    expect(r.json.appId).toBe("team_app");
    const token = String(r.json.adminToken);
    const headers = { "Content-Type": "application/json", app_id: "team_app", "access-token": token };
    const reg = await raw(
      h.base,
      "POST",
      "/user/register/v2",
      headers,
      '{"username":"first","password":"p"}',
    );
    expect(reg.json.code).toBe(200);
    const list = await raw(h.base, "GET", "/user/list", headers);
    expect(list.json.data).toEqual([{ user_id: reg.json.data.user_id, username: "first", status: 0 }]);
  });

  it("POST /apps on an existing app adds a token and keeps the old ones (the seed's example token too)", async () => {
    const first = await call("POST", "/_sandbox/maxim/apps", { appId: "twice" });
    const second = await call("POST", "/_sandbox/maxim/apps", { appId: "twice" });
    expect(second.json.adminToken).not.toBe(first.json.adminToken);
    for (const t of [first.json.adminToken, second.json.adminToken]) {
      const r = await raw(h.base, "GET", "/user/list", { app_id: "twice", "access-token": String(t) });
      expect(r.json.code).toBe(200);
    }
    const example = await call("POST", "/_sandbox/maxim/apps", { appId: "welovemaxim" });
    expect(example.status).toBe(200);
    expect((await api(h.base, "GET", "/user/list")).json.code).toBe(200);
    const extra = await raw(h.base, "GET", "/user/list", {
      app_id: "welovemaxim",
      "access-token": String(example.json.adminToken),
    });
    expect(extra.json.code).toBe(200);
    // Another app's token is not an admin token here.
    const cross = await raw(h.base, "GET", "/user/list", {
      app_id: "welovemaxim",
      "access-token": String(first.json.adminToken),
    });
    expect(cross.json.code).toBe(10008);
  });

  it("bad bodies → 400 {error}", async () => {
    for (const body of [{}, { appId: "" }, { appId: "no spaces" }, { appId: 5 }]) {
      const r = await call("POST", "/_sandbox/maxim/apps", body);
      expect(r.status).toBe(400);
      expect(typeof r.json.error).toBe("string");
    }
    const f = await call("POST", "/_sandbox/maxim/faults", { code: 12345 });
    expect(f.status).toBe(400);
    expect(String(f.json.error)).toContain("code");
    expect((await call("POST", "/_sandbox/maxim/faults", { code: 20000, path: "no-slash" })).status).toBe(
      400,
    );
    expect((await call("POST", "/_sandbox/maxim/faults", { code: 20000, times: 0 })).status).toBe(400);
  });

  it("GET /messages and /pushes show what was sent and pushed, per app", async () => {
    const u = (await api(h.base, "POST", "/user/register/v2", { username: "adm_target", password: "p" })).json
      .data.user_id as number;
    await api(h.base, "POST", "/message/send", {
      targets: [u],
      type: 1,
      content_type: 0,
      content: "hello admin",
    });
    await api(h.base, "POST", "/message/notify", {
      targets: [u],
      type: 1,
      content_type: 0,
      content: "notice",
    });
    await api(h.base, "POST", "/push/notify", { audience: "all", message: { type: "text", body: "pushed" } });
    const m = await call("GET", "/_sandbox/maxim/messages?appId=welovemaxim");
    const messages = m.json.messages as { content: string; kind: string; to: number; from: number }[];
    expect(messages.slice(-2)).toMatchObject([
      { content: "hello admin", kind: "message", to: u, from: 0 },
      { content: "notice", kind: "notify", to: u, from: 0 },
    ]);
    const p = await call("GET", "/_sandbox/maxim/pushes?appId=welovemaxim");
    const pushes = p.json.pushes as { message: { body: string }; recipients: unknown[]; users: number[] }[];
    expect(pushes.at(-1)).toMatchObject({ message: { body: "pushed" }, recipients: [], users: [] });
    const other = await call("GET", "/_sandbox/maxim/messages?appId=team_app");
    expect(other.json.messages).toEqual([]);
    const everything = await call("GET", "/_sandbox/maxim/messages");
    expect((everything.json.messages as unknown[]).length).toBe(messages.length);
  });

  it("POST /faults fails the next requests with a seed code (optionally per path); DELETE clears", async () => {
    expect(
      (await call("POST", "/_sandbox/maxim/faults", { code: 20006, path: "/group/create", times: 2 })).json,
    ).toEqual({
      ok: true,
    });
    const u = (await api(h.base, "POST", "/user/register/v2", { username: "fault_u", password: "p" })).json
      .data.user_id as number;
    expect((await api(h.base, "GET", "/user/profile", undefined, u)).json.code).toBe(200);
    for (let i = 0; i < 2; i++) {
      const r = await api(h.base, "POST", "/group/create", { name: "g" }, u);
      expect(r.json).toEqual({ code: 20006, message: "Group in repair mode", data: null });
    }
    expect((await api(h.base, "POST", "/group/create", { name: "g" }, u)).json.code).toBe(200);
    await call("POST", "/_sandbox/maxim/faults", { code: 20000, times: 5 });
    expect(
      (await raw(h.base, "GET", "/user/list", { app_id: "welovemaxim", "access-token": TOKEN })).json.code,
    ).toBe(20000);
    expect((await call("DELETE", "/_sandbox/maxim/faults")).json).toEqual({ ok: true });
    expect((await api(h.base, "GET", "/user/list")).json.code).toBe(200);
  });
});
