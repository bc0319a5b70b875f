/**
 * Conformance: MAX account opcodes over raw packets — profile (16), settings (22),
 * 2FA management (23), sessions (24, PyMax 96/97).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorFixture, expectErrorPacket } from "./raw.js";

const world = emulatorFixture("922000");
const { login, connect } = world;
const expectError = expectErrorPacket;

beforeAll(world.start);
afterAll(world.stop);

describe("16 CHANGE_PROFILE", () => {
  it("changes names and description and answers the profile", async () => {
    const { client, token, userId } = await login();
    const res = await client.ok(16, { firstName: "Grace", lastName: "Hopper", description: "COBOL" });
    expect(res.profile.contact).toMatchObject({ id: userId, description: "COBOL" });
    expect(res.profile.contact.names[0]).toMatchObject({
      name: "Grace Hopper",
      firstName: "Grace",
      lastName: "Hopper",
    });
    expect(res.profile.profileOptions).toEqual([]);
    const again = await connect();
    const relog = await again.tokenLogin(token);
    expect(relog.profile.contact.names[0].name).toBe("Grace Hopper");
  });

  it("rejects a blank first name and an unknown photo token", async () => {
    const { client } = await login();
    expectError(await client.call(16, { firstName: "   " }), 16, "proto.payload");
    expectError(await client.call(16, { firstName: "" }), 16, "proto.payload");
    expectError(await client.call(16, { firstName: "A", photoToken: "no-such-photo" }), 16, "attach.invalid");
  });
});

describe("22 SETTINGS", () => {
  it("merges user and chat settings, answers them and serves them in 19's config", async () => {
    const { client, token } = await login();
    const first = await client.ok(22, { settings: { user: { SEARCH_BY_PHONE: "CONTACTS" } } });
    expect(first.user).toEqual({
      HIDDEN: false,
      SEARCH_BY_PHONE: "CONTACTS",
      INCOMING_CALL: "ALL",
      CHATS_INVITE: "ALL",
    });
    const second = await client.ok(22, {
      settings: {
        user: { CHATS_INVITE: "CONTACTS" },
        chats: { "-68093732121255": { dontDisturbUntil: -1 } },
      },
    });
    expect(second.user).toMatchObject({ SEARCH_BY_PHONE: "CONTACTS", CHATS_INVITE: "CONTACTS" });
    expect(second.chats).toEqual({ "-68093732121255": { dontDisturbUntil: -1 } });
    const third = await client.ok(22, {
      settings: { chats: { "-68093732121255": { dontDisturbUntil: 0 } } },
    });
    expect(third.chats["-68093732121255"].dontDisturbUntil).toBe(0);

    const c = await connect();
    const relog = await c.tokenLogin(token);
    expect(relog.config.user).toMatchObject({ SEARCH_BY_PHONE: "CONTACTS", CHATS_INVITE: "CONTACTS" });
  });

  it("rejects bad values", async () => {
    const { client } = await login();
    expectError(
      await client.call(22, { settings: { user: { SEARCH_BY_PHONE: "EVERYONE" } } }),
      22,
      "proto.payload",
    );
    expectError(await client.call(22, { settings: { user: { HIDDEN: "yes" } } }), 22, "proto.payload");
    expectError(
      await client.call(22, { settings: { chats: { abc: { dontDisturbUntil: 1 } } } }),
      22,
      "proto.payload",
    );
  });

  it("user.HIDDEN hides presence", async () => {
    const a = await login();
    const b = await login();
    const seen = await b.client.ok(35, { contactIds: [a.userId], subscribe: true });
    expect(seen.presence[String(a.userId)].status).toBe(1);
    const off = b.client.event(129, (p) => p.payload.userId === a.userId);
    const res = await a.client.ok(22, { settings: { user: { HIDDEN: true } } });
    expect(res.user.HIDDEN).toBe(true);
    expect((await off).payload.presence.on).toBe("OFF");
    const hidden = await b.client.ok(35, { contactIds: [a.userId], subscribe: true });
    expect(hidden.presence[String(a.userId)].status).toBeUndefined();
    const on = b.client.event(129, (p) => p.payload.userId === a.userId && p.payload.presence.on === "ON");
    await a.client.ok(22, { settings: { user: { HIDDEN: false } } });
    await on;
  });
});

describe("23 TWO_FA_MANAGE", () => {
  it("set / get / remove; login requires the password while it is set", async () => {
    const { client, phone } = await login();
    expect(await client.ok(23, { action: "GET" })).toEqual({ enabled: false, hint: "" });
    expect(await client.ok(23, { action: "SET", password: "s3cret", hint: "pet" })).toEqual({
      enabled: true,
      hint: "pet",
    });
    expect(await client.ok(23, { action: "GET" })).toEqual({ enabled: true, hint: "pet" });
    // Changing it needs the current one.
    expectError(await client.call(23, { action: "SET", password: "other" }), 23, "error.password.wrong");
    expectError(
      await client.call(23, { action: "SET", password: "other", currentPassword: "bad" }),
      23,
      "error.password.wrong",
    );

    const c = await connect();
    await c.hello();
    const start = await c.ok(17, { phone, type: "START_AUTH", language: "ru" });
    const challenge = await c.ok(18, {
      token: start.token,
      verifyCode: "123456",
      authTokenType: "CHECK_CODE",
    });
    expect(challenge.passwordChallenge.hint).toBe("pet");
    const done = await c.ok(115, { trackId: challenge.passwordChallenge.trackId, password: "s3cret" });
    expect(done.profile.profileOptions).toContain(2);

    expectError(
      await client.call(23, { action: "REMOVE", currentPassword: "nope" }),
      23,
      "error.password.wrong",
    );
    expect(await client.ok(23, { action: "REMOVE", currentPassword: "s3cret" })).toEqual({
      enabled: false,
      hint: "",
    });

    const d = await connect();
    const plain = await d.smsLogin(phone);
    expect(plain.profile.profileOptions).toEqual([]);
  });

  it("needs a logged-in session", async () => {
    const c = await connect();
    await c.hello();
    expectError(await c.call(23, { action: "GET" }), 23, "proto.state");
  });
});

describe("24 SESSIONS and PyMax 96 / 97", () => {
  it("lists sessions without tokens, marks the current one", async () => {
    const a = await login();
    const b = await connect();
    await b.smsLogin(a.phone);
    const list = await a.client.ok(24, { action: "LIST" });
    expect(list.sessions).toHaveLength(2);
    expect(list.sessions.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    expect(list.sessions[0]).toMatchObject({
      id: expect.any(Number),
      deviceType: "WEB",
      deviceName: "My Client",
      appVersion: "25.11.2",
      created: expect.any(Number),
      online: true,
    });
    const text = JSON.stringify(list);
    expect(text).not.toContain(a.token);
    expect(text).not.toMatch(/token/i);
    const info = await a.client.ok(96, {});
    expect(info.sessions.map((s: { id: number }) => s.id)).toEqual(
      list.sessions.map((s: { id: number }) => s.id),
    );
  });

  it("terminating another session closes its socket and revokes its token", async () => {
    const a = await login();
    const b = await connect();
    const bLogin = await b.smsLogin(a.phone);
    const list = await a.client.ok(24, { action: "LIST" });
    const other = list.sessions.find((s: { current: boolean }) => !s.current);
    const res = await a.client.ok(24, { action: "TERMINATE", sessionId: other.id });
    expect(res.sessions.map((s: { id: number }) => s.id)).not.toContain(other.id);
    const closed = await b.closed;
    expect(closed.code).toBe(4001);
    const c = await connect();
    await c.hello();
    expectError(
      await c.call(19, { interactive: true, token: bLogin.token, chatsCount: 40 }),
      19,
      "login.token",
    );
    // The terminating socket is unaffected.
    expect((await a.client.call(24, { action: "LIST" })).cmd).toBe(1);
    expectError(await a.client.call(24, { action: "TERMINATE", sessionId: other.id }), 24, "not.found");
  });

  it("cannot terminate another user's session", async () => {
    const a = await login();
    const stranger = await login();
    const theirs = (await stranger.client.ok(24, { action: "LIST" })).sessions[0].id;
    expectError(await a.client.call(24, { action: "TERMINATE", sessionId: theirs }), 24, "not.found");
    expect((await stranger.client.call(1, { interactive: false })).cmd).toBe(1);
    expect((await stranger.client.ok(24, { action: "LIST" })).sessions).toHaveLength(1);
  });

  it("TERMINATE_OTHERS keeps only the current session", async () => {
    const a = await login();
    const b = await connect();
    const c = await connect();
    await b.smsLogin(a.phone);
    await c.smsLogin(a.phone);
    expect((await a.client.ok(24, { action: "LIST" })).sessions).toHaveLength(3);
    const res = await a.client.ok(24, { action: "TERMINATE_OTHERS" });
    expect(res.sessions).toHaveLength(1);
    expect(res.sessions[0].current).toBe(true);
    expect((await b.closed).code).toBe(4001);
    expect((await c.closed).code).toBe(4001);
  });

  it("97 closes the other sessions and rotates the current token, keeping this socket online", async () => {
    const a = await login();
    const b = await connect();
    const bLogin = await b.smsLogin(a.phone);
    const res = await a.client.ok(97, {});
    expect(res.token).toBeTypeOf("string");
    expect(res.token).not.toBe(a.token);
    expect((await b.closed).code).toBe(4001);
    // Still online on the same socket.
    const sessions = (await a.client.ok(96, {})).sessions;
    expect(sessions).toHaveLength(1);
    expect(sessions[0].current).toBe(true);
    const old = await connect();
    await old.hello();
    expectError(await old.call(19, { interactive: true, token: a.token, chatsCount: 40 }), 19, "login.token");
    expectError(
      await old.call(19, { interactive: true, token: bLogin.token, chatsCount: 40 }),
      19,
      "login.token",
    );
    const fresh = await old.ok(19, { interactive: true, token: res.token, chatsCount: 40 });
    expect(fresh.profile.contact.id).toBe(a.userId);
  });
});
