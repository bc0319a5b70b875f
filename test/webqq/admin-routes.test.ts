import Fastify from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { registerWebQQAdmin } from "../../src/webqq/emulator/admin-routes.js";
import { type Harness, startEmulator } from "./harness.js";

let h: Harness;
const app = Fastify();
beforeAll(async () => {
  h = await startEmulator();
  registerWebQQAdmin(app, h.emu.admin);
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await h.close();
});

const post = async (url: string, payload: unknown) => {
  const r = await app.inject({ method: "POST", url, payload: payload as object });
  return { status: r.statusCode, json: r.json() };
};

it("the DESIGN.md fixed minimum and the extras", async () => {
  expect(await post("/_sandbox/webqq/accounts", { qq: 10001, password: "a", nick: "A" })).toEqual({
    status: 200,
    json: { qq: 10001 },
  });
  expect((await post("/_sandbox/webqq/accounts", { qq: 10002, password: "b", nick: "B" })).json).toEqual({
    qq: 10002,
  });
  expect((await post("/_sandbox/webqq/accounts", { qq: 10001, password: "a", nick: "A" })).status).toBe(409);
  expect((await post("/_sandbox/webqq/accounts", { qq: "x" })).status).toBe(400);
  expect(await post("/_sandbox/webqq/friends", { qq: 10001, friend: 10002 })).toEqual({
    status: 200,
    json: { ok: true },
  });
  expect((await post("/_sandbox/webqq/friends", { qq: 10001, friend: 99999 })).status).toBe(404);
  const g = await post("/_sandbox/webqq/groups", { name: "g", owner: 10001, members: [10002] });
  expect(g.json).toEqual({ code: expect.any(Number), account: expect.any(Number), gid: expect.any(Number) });
  expect(
    (await post("/_sandbox/webqq/discussions", { name: "d", owner: 10001, members: [10002] })).json.did,
  ).toBeGreaterThan(0);
  expect((await post("/_sandbox/webqq/messages", { from: 10001, to: 10002, text: "hi" })).json).toEqual({
    ok: true,
  });
  expect(
    (await post("/_sandbox/webqq/messages", { from: 10001, group: g.json.code, text: "hi", faces: [1] }))
      .json,
  ).toEqual({ ok: true });
  expect((await post("/_sandbox/webqq/messages", { from: 10001, text: "hi" })).status).toBe(400);
  expect((await post("/_sandbox/webqq/captcha", { qq: 10001 })).json).toEqual({ ok: true });
  expect((await app.inject({ method: "GET", url: "/_sandbox/webqq/captcha?qq=10001" })).statusCode).toBe(404);
  expect((await post("/_sandbox/webqq/faults/poll", { retcode: 103, times: 2 })).json).toEqual({ ok: true });
  expect((await post("/_sandbox/webqq/faults/poll", {})).status).toBe(400);
  expect((await post("/_sandbox/webqq/faults/send", { delivered: true })).json).toEqual({ ok: true });
  expect((await post("/_sandbox/webqq/faults/clear", {})).json).toEqual({ ok: true });
  expect((await post("/_sandbox/webqq/kick", { qq: 10001 })).json).toEqual({ ok: true, kicked: 0 });
  expect((await post("/_sandbox/webqq/qr/confirm", { qq: 10001 })).status).toBe(404);
  expect((await app.inject({ method: "GET", url: "/_sandbox/webqq/qr" })).json()).toEqual({ pending: [] });
  expect((await app.inject({ method: "GET", url: "/_sandbox/webqq/stats" })).json()).toMatchObject({
    accounts: 2,
    messages: 2,
  });
});

it("closing the bare Fastify app ends held polls at once (as the sandbox runner closes it)", async () => {
  const { loggedIn, seedWorld, startEmulator: start, until } = await import("./harness.js");
  const other = await start({ pollTimeoutMs: 20_000 });
  seedWorld(other.emu);
  const c = await loggedIn(other.base, 10897944, "1234567890");
  const polled = c.poll();
  await until(() => other.emu.admin.stats().polling > 0);
  // Without the preClose hook this close waits for the 20 s poll (and the keep-alive) and the
  // test times out.
  await other.emu.app.close();
  expect((await polled).retcode).toBe(102);
  await other.close();
});
