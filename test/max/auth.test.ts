/**
 * Conformance: MAX authentication flows over raw packets (seed 000 + PyMax's variants).
 * Every packet example of the seed's auth section is sent verbatim.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/emulator/clock.js";
import { quietFor } from "../helpers/quiet.js";
import { loggedIn, RawClient, type RawPacket, startEmulator } from "./raw.js";

let emu: Awaited<ReturnType<typeof startEmulator>>;
const clients: RawClient[] = [];
let phoneSeq = 0;
const nextPhone = () => `+7911000${String(++phoneSeq).padStart(4, "0")}`;

async function connect(): Promise<RawClient> {
  const c = await RawClient.connect(emu.url);
  clients.push(c);
  return c;
}

/** Sends an exact seed packet (own seq) and waits for the answer with that seq and opcode. */
async function sendVector(
  c: RawClient,
  packet: { seq: number; opcode: number; payload: unknown },
): Promise<RawPacket> {
  c.ws.send(JSON.stringify({ ver: 11, cmd: 0, ...packet }));
  return c.waitFor((p) => p.seq === packet.seq && p.opcode === packet.opcode && p.cmd !== 0);
}

function expectError(p: RawPacket, opcode: number, code: string): void {
  expect(p.cmd).toBe(3);
  expect(p.opcode).toBe(opcode);
  expect(p.payload.error).toBe(code);
  expect(typeof p.payload.message).toBe("string");
  expect(typeof p.payload.localizedMessage).toBe("string");
  expect(typeof p.payload.title).toBe("string");
}

beforeAll(async () => {
  emu = await startEmulator();
});

afterAll(async () => {
  for (const c of clients) c.close();
  await emu.close();
});

describe("seed vectors", () => {
  it("hello → 17 → 18 → keepalive, then 19 on a new connection", async () => {
    const c = await connect();
    const hello = await sendVector(c, {
      seq: 1,
      opcode: 6,
      payload: {
        userAgent: {
          deviceType: "WEB",
          locale: "ru_RU",
          osVersion: "Windows",
          deviceName: "My Client",
          appVersion: "25.11.2",
          screen: "1920x1080",
          timezone: "Europe/Moscow",
        },
        deviceId: "uuid-v4-string",
      },
    });
    expect(hello).toMatchObject({ ver: 11, cmd: 1, seq: 1, opcode: 6 });

    const start = await sendVector(c, {
      seq: 2,
      opcode: 17,
      payload: { phone: "+79001234567", type: "START_AUTH", language: "ru" },
    });
    expect(start).toMatchObject({ ver: 11, cmd: 1, seq: 2, opcode: 17 });
    expect(typeof start.payload.token).toBe("string");
    expect(emu.admin.lastSms("+79001234567")).toEqual({ phone: "+79001234567", code: "123456" });

    const verify = await sendVector(c, {
      seq: 3,
      opcode: 18,
      payload: { token: start.payload.token, verifyCode: "123456", authTokenType: "CHECK_CODE" },
    });
    expect(verify).toMatchObject({ ver: 11, cmd: 1, seq: 3, opcode: 18 });
    expect(verify.payload.profile.contact.id).toBeTypeOf("number");
    expect(verify.payload.profile.contact.phone).toBe(79001234567);
    const token = verify.payload.tokenAttrs.LOGIN.token as string;
    expect(token.length).toBeGreaterThan(20);

    const ping = await sendVector(c, { seq: 4, opcode: 1, payload: { interactive: false } });
    expect(ping).toMatchObject({ ver: 11, cmd: 1, seq: 4, opcode: 1 });

    const again = await connect();
    await sendVector(again, {
      seq: 1,
      opcode: 6,
      payload: { userAgent: { deviceType: "WEB" }, deviceId: "uuid-v4-string" },
    });
    const login = await sendVector(again, {
      seq: 1,
      opcode: 19,
      payload: { interactive: true, token, chatsSync: 0, contactsSync: 0, chatsCount: 40 },
    });
    expect(login).toMatchObject({ ver: 11, cmd: 1, seq: 1, opcode: 19 });
    expect(login.payload.profile.contact.id).toBe(verify.payload.profile.contact.id);
    expect(Array.isArray(login.payload.chats)).toBe(true);
    expect(Array.isArray(login.payload.contacts)).toBe(true);
  });
});

describe("SMS login", () => {
  it("an unknown phone registers a new account, the same phone logs into it again", async () => {
    const phone = nextPhone();
    const a = await connect();
    const first = await a.smsLogin(phone);
    expect(first.profile.contact.names[0].name).toMatch(/\S/);
    expect(first.profile.contact.phone).toBe(Number(phone.slice(1)));
    const b = await connect();
    const second = await b.smsLogin(phone);
    expect(second.userId).toBe(first.userId);
    expect(second.token).not.toBe(first.token);
  });

  it("PyMax registration: 18 answers a REGISTER token, 23 names the account and answers its token", async () => {
    const c = await connect();
    await c.hello();
    const start = await c.ok(17, { phone: nextPhone(), type: "START_AUTH", language: "ru" });
    const verify = await c.ok(18, { token: start.token, verifyCode: "123456", authTokenType: "CHECK_CODE" });
    const registerToken = verify.tokenAttrs.REGISTER.token;
    const confirmed = await c.ok(23, {
      firstName: "Ada",
      lastName: "Lovelace",
      token: registerToken,
      tokenType: "REGISTER",
    });
    expect(confirmed.token).toBe(verify.tokenAttrs.LOGIN.token);
    expect(confirmed.profile.contact.names[0]).toMatchObject({ firstName: "Ada", lastName: "Lovelace" });
    const reused = await c.call(23, { firstName: "Eve", token: registerToken, tokenType: "REGISTER" });
    expectError(reused, 23, "error.code.expired");
    const d = await connect();
    const login = await d.tokenLogin(confirmed.token);
    expect(login.profile.contact.names[0].name).toBe("Ada Lovelace");
  });

  it("a wrong code is an error packet with the request's seq and opcode", async () => {
    const c = await connect();
    await c.hello();
    const start = await c.ok(17, { phone: nextPhone(), type: "START_AUTH", language: "ru" });
    const seq = c.send(18, { token: start.token, verifyCode: "000000", authTokenType: "CHECK_CODE" });
    const p = await c.waitFor((x) => x.seq === seq);
    expect(p).toMatchObject({ ver: 11, cmd: 3, seq, opcode: 18 });
    expect(p.payload).toMatchObject({
      error: "error.code.wrong",
      message: "Invalid code",
      localizedMessage: "Неверный код",
    });
    expect(typeof p.payload.title).toBe("string");
    // The flow survives a typo.
    const ok = await c.ok(18, { token: start.token, verifyCode: "123456", authTokenType: "CHECK_CODE" });
    expect(ok.tokenAttrs.LOGIN.token).toBeTypeOf("string");
  });

  it("an unknown or expired SMS token is error.code.expired", async () => {
    const c = await connect();
    await c.hello();
    expectError(
      await c.call(18, { token: "no-such-token", verifyCode: "123456", authTokenType: "CHECK_CODE" }),
      18,
      "error.code.expired",
    );
    const start = await c.ok(17, { phone: nextPhone(), type: "START_AUTH", language: "ru" });
    const realNow = emu.server.emu.now;
    emu.server.emu.now = () => Date.now() + 60 * 60_000;
    try {
      expectError(
        await c.call(18, { token: start.token, verifyCode: "123456", authTokenType: "CHECK_CODE" }),
        18,
        "error.code.expired",
      );
    } finally {
      emu.server.emu.now = realNow;
    }
  });

  it("a malformed phone is error.phone.wrong", async () => {
    const c = await connect();
    await c.hello();
    expectError(await c.call(17, { phone: "12", type: "START_AUTH" }), 17, "error.phone.wrong");
  });
});

describe("2FA", () => {
  it("18 answers a passwordChallenge; the seed's 18 CHECK_PASSWORD and PyMax's 115 both finish it", async () => {
    const phone = nextPhone();
    const { userId } = emu.admin.createUser({ phone, firstName: "Secret", password: "hunter2" });

    // Seed form: 18 with the SMS token and CHECK_PASSWORD.
    const a = await connect();
    await a.hello();
    const startA = await a.ok(17, { phone, type: "START_AUTH", language: "ru" });
    const challengeA = await a.ok(18, {
      token: startA.token,
      verifyCode: "123456",
      authTokenType: "CHECK_CODE",
    });
    expect(challengeA.passwordChallenge).toMatchObject({
      trackId: expect.any(String),
      hint: expect.any(String),
    });
    expect(challengeA.tokenAttrs).toBeUndefined();
    expectError(
      await a.call(18, { token: startA.token, password: "wrong", authTokenType: "CHECK_PASSWORD" }),
      18,
      "error.password.wrong",
    );
    const doneA = await a.ok(18, {
      token: startA.token,
      password: "hunter2",
      authTokenType: "CHECK_PASSWORD",
    });
    expect(doneA.profile.contact.id).toBe(userId);
    expect(doneA.profile.profileOptions).toContain(2);
    const tokenA = doneA.tokenAttrs.LOGIN.token;

    // PyMax form: 115 with the trackId.
    const b = await connect();
    await b.hello();
    const startB = await b.ok(17, { phone, type: "START_AUTH", language: "ru" });
    const challengeB = await b.ok(18, {
      token: startB.token,
      verifyCode: "123456",
      authTokenType: "CHECK_CODE",
    });
    const trackId = challengeB.passwordChallenge.trackId;
    expectError(await b.call(115, { trackId, password: "nope" }), 115, "error.password.wrong");
    const doneB = await b.ok(115, { trackId, password: "hunter2" });
    expect(doneB.tokenAttrs.LOGIN.token).not.toBe(tokenA);
    // The track is spent.
    expectError(await b.call(115, { trackId, password: "hunter2" }), 115, "error.code.expired");

    const c = await connect();
    expect((await c.tokenLogin(doneB.tokenAttrs.LOGIN.token)).profile.contact.id).toBe(userId);
  });
});

describe("login by token (19)", () => {
  it("a bad token is login.token; a good one answers profile, chats and contacts", async () => {
    const c = await connect();
    await c.hello();
    const bad = await c.call(19, {
      interactive: true,
      token: "bogus",
      chatsSync: 0,
      contactsSync: 0,
      chatsCount: 40,
    });
    expectError(bad, 19, "login.token");
    expect(bad.payload.message).toBe("FAIL_LOGIN_TOKEN");

    const { token, userId } = await loggedIn(emu.url, nextPhone());
    const ok = await c.ok(19, { interactive: true, token, chatsSync: 0, contactsSync: 0, chatsCount: 40 });
    expect(ok.profile.contact.id).toBe(userId);
    expect(ok.chats).toEqual(expect.any(Array));
    expect(ok.contacts).toEqual(expect.any(Array));
    expect(ok.time).toBeTypeOf("number");
  });
});

describe("session state", () => {
  it("requests before hello are proto.state", async () => {
    const c = await connect();
    expectError(await c.call(17, { phone: nextPhone(), type: "START_AUTH" }), 17, "proto.state");
    expectError(await c.call(19, { token: "x", interactive: true }), 19, "proto.state");
    // Keepalive is served in any state.
    expect((await c.call(1, { interactive: false })).cmd).toBe(1);
  });

  it("online-only opcodes before login are proto.state 'Must be ONLINE session'", async () => {
    const c = await connect();
    await c.hello();
    const send = await c.call(64, {
      chatId: 1,
      message: { text: "hi", cid: 1, elements: [], attaches: [] },
      notify: true,
    });
    expectError(send, 64, "proto.state");
    expect(send.payload.message).toBe("Must be ONLINE session");
    const contacts = await c.call(32, { contactIds: [1] });
    expectError(contacts, 32, "proto.state");
    expect(contacts.payload.message).toBe("Must be ONLINE session");
  });

  it("closes a connection that sends no keepalive, even a busy one; one that pings survives", async () => {
    const idle = await startEmulator({ idleTimeoutMs: 300 });
    try {
      const silent = await RawClient.connect(idle.url);
      const busy = await RawClient.connect(idle.url);
      const chatty = await RawClient.connect(idle.url);
      await busy.hello();
      await chatty.hello();
      // `busy` keeps sending requests, but never opcode 1: that does not keep it open.
      const busyTimer = setInterval(() => busy.send(6, {}), 50);
      const timer = setInterval(() => chatty.send(1, { interactive: false }), 80);
      try {
        const closed = await silent.closed;
        expect(closed.code).toBe(4000);
        expect((await busy.closed).code).toBe(4000);
        // A window longer than the idle timeout (300 ms): no close may come while it pings.
        const closes = await quietFor<number>((push) => {
          chatty.ws.on("close", push);
          return () => chatty.ws.off("close", push);
        }, 500);
        expect(closes).toEqual([]);
        expect(chatty.ws.readyState).toBe(chatty.ws.OPEN);
        expect((await chatty.call(1, { interactive: false })).cmd).toBe(1);
      } finally {
        clearInterval(busyTimer);
        clearInterval(timer);
        chatty.close();
      }
    } finally {
      await idle.close();
    }
  });
});

describe("QR login", () => {
  async function qrStart(c: RawClient, opcode = 288) {
    await c.hello();
    const qr = await c.ok(opcode, {});
    expect(qr).toMatchObject({
      qrLink: expect.any(String),
      trackId: expect.any(String),
      pollingInterval: expect.any(Number),
      expiresAt: expect.any(Number),
      ttl: expect.any(Number),
    });
    return qr as { qrLink: string; trackId: string };
  }

  async function finish(c: RawClient, trackId: string, userId: number) {
    expect((await c.ok(289, { trackId })).status.loginAvailable).toBe(true);
    const done = await c.ok(291, { trackId });
    const token = done.tokenAttrs.LOGIN.token;
    expect(token).toBeTypeOf("string");
    const d = await connect();
    expect((await d.tokenLogin(token)).profile.contact.id).toBe(userId);
    // A QR code logs in once.
    expectError(await c.call(291, { trackId }), 291, "qr.expired");
  }

  it("288 → 289 pending → admin confirm → 289 available → 291 token", async () => {
    const { userId } = emu.admin.createUser({ phone: nextPhone(), firstName: "Qr" });
    const c = await connect();
    const qr = await qrStart(c);
    const pending = await c.ok(289, { trackId: qr.trackId });
    expect(pending.status).toMatchObject({ loginAvailable: false, expiresAt: expect.any(Number) });
    expectError(await c.call(291, { trackId: qr.trackId }), 291, "qr.pending");
    expect(emu.admin.pendingQr().some((p) => p.trackId === qr.trackId)).toBe(true);
    emu.admin.confirmQr(qr.trackId, userId);
    await finish(c, qr.trackId, userId);
  });

  it("another logged-in device confirms with the seed's 21 {qrLink}; 20 starts like 288", async () => {
    const phone = nextPhone();
    const device = await loggedIn(emu.url, phone);
    clients.push(device.client);
    const c = await connect();
    const qr = await qrStart(c, 20);
    expect((await device.client.call(21, { qrLink: qr.qrLink })).cmd).toBe(1);
    await finish(c, qr.trackId, device.userId);
  });

  it("another logged-in device confirms with PyMax's 290 {qrLink}", async () => {
    const device = await loggedIn(emu.url, nextPhone());
    clients.push(device.client);
    const c = await connect();
    const qr = await qrStart(c);
    expect((await device.client.call(290, { qrLink: qr.qrLink })).cmd).toBe(1);
    await finish(c, qr.trackId, device.userId);
  });

  it("confirming needs a logged-in device", async () => {
    const c = await connect();
    const qr = await qrStart(c);
    const stranger = await connect();
    await stranger.hello();
    expectError(await stranger.call(290, { qrLink: qr.qrLink }), 290, "proto.state");
  });

  it("an expired QR code is qr.expired", async () => {
    // Its own emulator on a ManualClock: the code expires when the test moves time, not by sleeping.
    const clock = new ManualClock();
    const timed = await startEmulator({ clock });
    const local: RawClient[] = [];
    try {
      const c = await RawClient.connect(timed.url);
      local.push(c);
      const qr = await qrStart(c);
      clock.advance(timed.server.emu.config.qrTtlMs + 1);
      expectError(await c.call(289, { trackId: qr.trackId }), 289, "qr.expired");
      expectError(await c.call(291, { trackId: qr.trackId }), 291, "qr.expired");
      const device = await loggedIn(timed.url, nextPhone());
      local.push(device.client);
      expectError(await device.client.call(290, { qrLink: qr.qrLink }), 290, "qr.expired");
    } finally {
      for (const c of local) c.close();
      await timed.close();
    }
  });
});
