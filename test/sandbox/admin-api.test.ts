import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, SandboxStartError, startSandbox } from "../../src/sandbox/index.js";
import { RawClient } from "../max/raw.js";
import { api, freeBase, isFree, occupy, release } from "./proc.js";

describe("sandbox admin API", () => {
  let sb: Sandbox;
  let base: string;
  beforeAll(async () => {
    // No fixed code: the admin API is how a script learns the random one.
    sb = await startSandbox({ port: 0, data: null });
    base = sb.urls.console;
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("GET /_sandbox/health", async () => {
    expect(await api(base, "GET", "/_sandbox/health")).toEqual({ status: 200, body: { ok: true } });
  });

  it("creates users and refuses duplicates and bad input", async () => {
    const created = await api(base, "POST", "/_sandbox/max/users", {
      phone: "+79001234567",
      firstName: "Иван",
      lastName: "Петров",
    });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ userId: expect.any(Number) });

    const dup = await api(base, "POST", "/_sandbox/max/users", {
      phone: "+7 (900) 123-45-67",
      firstName: "Другой",
    });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toContain("already exists");

    const badPhone = await api(base, "POST", "/_sandbox/max/users", { phone: "12", firstName: "X" });
    expect(badPhone.status).toBe(400);
    expect(badPhone.body.error).toContain("phone");

    const noName = await api(base, "POST", "/_sandbox/max/users", { phone: "+79001230000" });
    expect(noName.status).toBe(400);
    expect(noName.body.error).toContain("firstName");

    const found = await api(base, "GET", "/_sandbox/max/users?phone=%2B79001234567");
    expect(found).toEqual({
      status: 200,
      body: { userId: created.body.userId, phone: "+79001234567", firstName: "Иван", lastName: "Петров" },
    });
    expect((await api(base, "GET", "/_sandbox/max/users?phone=+79001239999")).status).toBe(404);
    expect((await api(base, "GET", "/_sandbox/max/users?phone=xyz")).status).toBe(400);

    const wrongType = await api(base, "POST", "/_sandbox/max/users", { phone: 79001230000, firstName: "X" });
    expect(wrongType.status).toBe(400);

    const badJson = await api(base, "POST", "/_sandbox/max/users", "{not json");
    expect(badJson.status).toBe(400);
    expect(typeof badJson.body.error).toBe("string");
  });

  it("hands out the SMS code of a raw 17 request, which then logs the user in", async () => {
    const phone = "+79005550101";
    expect((await api(base, "GET", `/_sandbox/max/sms?phone=${phone}`)).status).toBe(404);

    const client = await RawClient.connect(sb.urls.max);
    await client.hello();
    const start = await client.ok(17, { phone, type: "START_AUTH", language: "ru" });

    // Written as in the contract (a bare "+") and URL-encoded: both mean the same phone.
    const sms = await api(base, "GET", `/_sandbox/max/sms?phone=${phone}`);
    expect(sms.status).toBe(200);
    expect(sms.body).toEqual({ phone, code: expect.stringMatching(/^\d{6}$/) });
    expect((await api(base, "GET", `/_sandbox/max/sms?phone=${encodeURIComponent(phone)}`)).body).toEqual(
      sms.body,
    );

    const done = await client.ok(18, {
      token: start.token,
      verifyCode: sms.body.code,
      authTokenType: "CHECK_CODE",
    });
    expect(typeof done.tokenAttrs.LOGIN.token).toBe("string");
    client.close();

    expect((await api(base, "GET", "/_sandbox/max/sms")).status).toBe(400);
    expect((await api(base, "GET", "/_sandbox/max/sms?phone=abc")).status).toBe(400);
  });

  it("creates chats and sends messages as any user; a logged-in member receives them live", async () => {
    const mk = async (phone: string, firstName: string) =>
      (await api(base, "POST", "/_sandbox/max/users", { phone, firstName })).body.userId as number;
    const owner = await mk("+79005550001", "Owner");
    const member = await mk("+79005550002", "Member");
    const outsider = await mk("+79005550003", "Outsider");

    const chat = await api(base, "POST", "/_sandbox/max/chats", {
      ownerId: owner,
      title: "Team",
      memberIds: [member],
    });
    expect(chat.status).toBe(200);
    const chatId = chat.body.chatId as number;
    expect(chatId).toBeLessThan(0);

    const c = await RawClient.connect(sb.urls.max);
    await c.hello();
    const start = await c.ok(17, { phone: "+79005550002", type: "START_AUTH", language: "ru" });
    const sms = await api(base, "GET", "/_sandbox/max/sms?phone=%2B79005550002");
    await c.ok(18, { token: start.token, verifyCode: sms.body.code, authTokenType: "CHECK_CODE" });

    const sent = await api(base, "POST", "/_sandbox/max/messages", {
      fromUserId: owner,
      chatId,
      text: "hello team",
    });
    expect(sent.status).toBe(200);
    const pushed = await c.event(128, (p) => p.payload.message.id === sent.body.messageId);
    expect(pushed.payload).toMatchObject({ chatId, message: { sender: owner, text: "hello team" } });

    const dm = await api(base, "POST", "/_sandbox/max/messages", {
      fromUserId: owner,
      toUserId: member,
      text: "psst",
    });
    expect(dm.status).toBe(200);
    expect(dm.body.chatId).toBeGreaterThan(0);
    expect((await c.event(128, (p) => p.payload.message.id === dm.body.messageId)).payload.message.text).toBe(
      "psst",
    );

    const history = await c.ok(49, {
      chatId,
      from: Date.now() + 1000,
      forward: 0,
      backward: 10,
      getMessages: true,
    });
    expect(history.messages.map((m: { text: string }) => m.text)).toContain("hello team");
    c.close();

    const notMember = await api(base, "POST", "/_sandbox/max/messages", {
      fromUserId: outsider,
      chatId,
      text: "x",
    });
    expect(notMember.status).toBe(403);
    const both = await api(base, "POST", "/_sandbox/max/messages", {
      fromUserId: owner,
      chatId,
      toUserId: member,
      text: "x",
    });
    expect(both.status).toBe(400);
    const noUser = await api(base, "POST", "/_sandbox/max/chats", { ownerId: 999, title: "x" });
    expect(noUser.status).toBe(404);
    const tooLong = await api(base, "POST", "/_sandbox/max/messages", {
      fromUserId: owner,
      chatId,
      text: "x".repeat(4001),
    });
    expect(tooLong.status).toBe(400);
  });

  it("serves the MaxIM, WebQQ and VK Live minimum of the contract", async () => {
    const app = await api(base, "POST", "/_sandbox/maxim/apps", { appId: "sandboxapp" });
    expect(app.status).toBe(200);
    expect(app.body).toEqual({ appId: "sandboxapp", adminToken: expect.any(String) });
    // The new admin token works against the MaxIM port: register a user with it.
    const reg = await fetch(`${sb.urls.maxim}/user/register/v2`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        app_id: "sandboxapp",
        "access-token": app.body.adminToken,
      },
      body: JSON.stringify({ username: "sandbox_user", password: "pw" }),
    });
    expect(((await reg.json()) as { code: number }).code).toBe(200);

    const a = await api(base, "POST", "/_sandbox/webqq/accounts", {
      qq: 123456,
      password: "pw1",
      nick: "Alice",
    });
    expect(a).toEqual({ status: 200, body: { qq: 123456 } });
    await api(base, "POST", "/_sandbox/webqq/accounts", { qq: 234567, password: "pw2", nick: "Bob" });
    expect(await api(base, "POST", "/_sandbox/webqq/friends", { qq: 123456, friend: 234567 })).toEqual({
      status: 200,
      body: { ok: true },
    });
    const g = await api(base, "POST", "/_sandbox/webqq/groups", {
      name: "Team",
      owner: 123456,
      members: [234567],
    });
    expect(g.status).toBe(200);
    expect(g.body).toMatchObject({ code: expect.any(Number), account: expect.any(Number) });

    // VK Live: app, user, channel, token, then the token opens the channel over REST.
    const vkApp = await api(base, "POST", "/_sandbox/vklive/apps", { redirectUri: "http://localhost:9/cb" });
    expect(vkApp.body).toEqual({
      clientId: expect.any(String),
      secret: expect.any(String),
      signatureKey: expect.any(String),
    });
    const vkUser = await api(base, "POST", "/_sandbox/vklive/users", { nick: "streamer" });
    expect(vkUser.body).toEqual({ userId: expect.any(Number) });
    const channel = await api(base, "POST", "/_sandbox/vklive/channels", {
      ownerId: vkUser.body.userId,
      url: "streamer",
    });
    expect(channel.body).toEqual({ channelId: expect.any(Number), url: "streamer" });
    const token = await api(base, "POST", "/_sandbox/vklive/tokens", {
      clientId: vkApp.body.clientId,
      userId: vkUser.body.userId,
      scopes: ["channel:credentials"],
    });
    expect(token.body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      expires_in: expect.any(Number),
    });
    const res = await fetch(`${sb.urls.vklive}/v1/channel?channel_url=streamer`, {
      headers: { authorization: `Bearer ${token.body.access_token}` },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { channel: { url: string } } }).data.channel.url).toBe("streamer");
  });

  it("lists and confirms QR logins", async () => {
    const { body } = await api(base, "POST", "/_sandbox/max/users", {
      phone: "+79005550202",
      firstName: "Кью",
    });
    const client = await RawClient.connect(sb.urls.max);
    await client.hello();
    const qr = await client.ok(20, {});

    const pending = await api(base, "GET", "/_sandbox/max/qr");
    expect(pending.status).toBe(200);
    expect(pending.body.pending).toContainEqual({
      trackId: qr.trackId,
      qrLink: qr.qrLink,
      expiresAt: expect.any(Number),
    });

    expect(
      (await api(base, "POST", "/_sandbox/max/qr/confirm", { trackId: "nope", userId: body.userId })).status,
    ).toBe(404);
    expect((await api(base, "POST", "/_sandbox/max/qr/confirm", { userId: body.userId })).status).toBe(400);
    const ok = await api(base, "POST", "/_sandbox/max/qr/confirm", {
      qrLink: qr.qrLink,
      userId: body.userId,
    });
    expect(ok).toEqual({ status: 200, body: { ok: true } });

    const poll = await client.ok(289, { trackId: qr.trackId });
    expect(poll.status.loginAvailable).toBe(true);
    const login = await client.ok(291, { trackId: qr.trackId });
    expect(login.profile.contact.id).toBe(body.userId);
    client.close();
  });

  it("reports stats", async () => {
    const stats = await api(base, "GET", "/_sandbox/max/stats");
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({
      connections: expect.any(Number),
      online: expect.any(Number),
      faults: { fails: 0, delays: 0 },
    });
  });

  it("answers unknown paths with 404 JSON and serves the index page", async () => {
    const missing = await api(base, "GET", "/_sandbox/nope");
    expect(missing.status).toBe(404);
    expect(missing.body.error).toContain("/_sandbox/nope");
    const page = await fetch(`${base}/`);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    expect(html).toContain(sb.urls.max);
    expect(html).toContain("/_sandbox/max/sms");
  });
});

describe("startSandbox", () => {
  it("undoes everything already started when a later port is taken", async () => {
    const b = await freeBase();
    const held = await occupy(b + 2);
    try {
      const err = await startSandbox({ port: b, data: null }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SandboxStartError);
      expect((err as Error).message).toContain(`MaxIM port ${b + 2} on 127.0.0.1 is already in use`);
      expect(await isFree(b)).toBe(true);
      expect(await isFree(b + 1)).toBe(true);
    } finally {
      await release(held.server);
    }
  });

  it("keeps memory-mode uploads in a temp folder that close() removes", async () => {
    const sb = await startSandbox({ port: 0, data: null });
    expect(sb.dataFile).toBeNull();
    expect(existsSync(sb.filesDir)).toBe(true);
    await sb.close();
    await sb.close();
    expect(existsSync(sb.filesDir)).toBe(false);
  });

  it("refuses a malformed fixed SMS code", async () => {
    await expect(startSandbox({ port: 0, smsCode: "12" })).rejects.toThrow("6 digits");
  });
});
