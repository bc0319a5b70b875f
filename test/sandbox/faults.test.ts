import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { loggedIn, RawClient } from "../max/raw.js";
import { api } from "./proc.js";

describe("sandbox fault injection (POST /_sandbox/max/faults)", () => {
  let sb: Sandbox;
  const faults = (body: unknown) => api(sb.urls.console, "POST", "/_sandbox/max/faults", body);
  const open: RawClient[] = [];
  const login = async (phone: string) => {
    const r = await loggedIn(sb.urls.max, phone);
    open.push(r.client);
    return r;
  };

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, data: null, smsCode: "123456" });
  });
  afterEach(async () => {
    await faults({ action: "clear" });
    for (const c of open.splice(0)) c.close();
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("drop cuts one user's socket without a close frame, leaving others", async () => {
    const a = await login("+79006660001");
    const b = await login("+79006660002");
    const res = await faults({ action: "drop", userId: a.userId });
    expect(res).toEqual({ status: 200, body: { ok: true, dropped: 1 } });
    expect((await a.client.closed).code).toBe(1006);
    await b.client.ok(1, { interactive: false });
  });

  it("fail makes the next N matching requests answer cmd 3 with the chosen error", async () => {
    const a = await login("+79006660003");
    const b = await login("+79006660004");
    const set = await faults({
      action: "fail",
      userId: a.userId,
      count: 2,
      error: "error.rate_limited",
      message: "Too many requests",
    });
    expect(set.status).toBe(200);
    expect((await api(sb.urls.console, "GET", "/_sandbox/max/stats")).body.faults.fails).toBe(2);

    // Another user is not affected.
    expect((await b.client.call(48, { chatIds: [] })).cmd).toBe(1);
    for (let i = 0; i < 2; i++) {
      const p = await a.client.call(48, { chatIds: [] });
      expect(p.cmd).toBe(3);
      expect(p.payload).toMatchObject({ error: "error.rate_limited", message: "Too many requests" });
    }
    expect((await a.client.call(48, { chatIds: [] })).cmd).toBe(1);
  });

  it("fail can target one opcode and defaults to one service error", async () => {
    const client = await RawClient.connect(sb.urls.max);
    open.push(client);
    await faults({ action: "fail", opcode: 17 });
    await client.hello();
    const p = await client.call(17, { phone: "+79006660005", type: "START_AUTH", language: "ru" });
    expect(p.cmd).toBe(3);
    expect(p.payload.error).toBe("service.unavailable");
    expect((await client.call(17, { phone: "+79006660005", type: "START_AUTH", language: "ru" })).cmd).toBe(
      1,
    );
  });

  it("delay holds responses for a while; clear removes it", async () => {
    const a = await login("+79006660006");
    await faults({ action: "delay", ms: 300, durationMs: 10_000 });
    let t0 = Date.now();
    expect((await a.client.call(48, { chatIds: [] })).cmd).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);

    await faults({ action: "clear" });
    t0 = Date.now();
    await a.client.call(48, { chatIds: [] });
    expect(Date.now() - t0).toBeLessThan(250);
  });

  it("rejects malformed fault requests with 400", async () => {
    for (const body of [
      {},
      { action: "explode" },
      { action: "delay" },
      { action: "fail", count: 0 },
      { action: "drop", userId: "x" },
    ]) {
      const res = await faults(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(typeof res.body.error).toBe("string");
    }
  });
});
