/**
 * Conformance: PyMax's two-factor settings flow (MaxApiTeam/PyMax api/auth/service.py set_2fa,
 * change_password, remove_2fa; payloads from api/auth/payloads.py, TwoFactorAction numbers from
 * api/auth/enums.py) as raw packets: 112 AUTH_CREATE_TRACK `{type: 0}` → `{trackId}`, then
 * 107 `{trackId, password}`, 108 `{trackId, hint}`, 109 `{trackId, email}`, 110
 * `{trackId, verifyCode}`, 113 `{trackId, password}` and 111 AUTH_SET_2FA. Each change is checked
 * through the login path that follows it (17 → 18 → passwordChallenge → 115).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectErrorPacket, loggedIn, RawClient, startEmulator } from "./raw.js";

const SET_PASSWORD = 0;
const UPDATE_PASSWORD = 1;
const HINT = 3;
const EMAIL = 4;
const REMOVE_2FA = 5;

let emu: Awaited<ReturnType<typeof startEmulator>>;
const inbox: { to: string; code: string }[] = [];
const sockets: RawClient[] = [];
let phoneSeq = 0;
const nextPhone = () => `+7915300${String(++phoneSeq).padStart(4, "0")}`;

beforeAll(async () => {
  emu = await startEmulator({ hooks: { onSms: (to, code) => inbox.push({ to, code }) } });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await emu.close();
});

async function account() {
  const phone = nextPhone();
  const r = await loggedIn(emu.url, phone);
  sockets.push(r.client);
  return { ...r, phone };
}

/** A fresh login over SMS: the 18 answer (a login token, or a passwordChallenge). */
async function codeStep(phone: string) {
  const c = await RawClient.connect(emu.url);
  sockets.push(c);
  await c.hello();
  const start = await c.ok(17, { phone, type: "START_AUTH", language: "ru" });
  const answer = await c.ok(18, { token: start.token, verifyCode: "123456", authTokenType: "CHECK_CODE" });
  return { c, answer };
}

/** Logs in with 2FA; resolves to the 115 packet (answer or error). */
async function passwordLogin(phone: string, password: string) {
  const { c, answer } = await codeStep(phone);
  expect(answer.passwordChallenge?.trackId).toEqual(expect.any(String));
  return {
    hint: answer.passwordChallenge.hint,
    packet: await c.call(115, { trackId: answer.passwordChallenge.trackId, password }),
  };
}

async function track(client: RawClient): Promise<string> {
  const r = await client.ok(112, { type: 0 });
  expect(r.trackId).toEqual(expect.any(String));
  return r.trackId;
}

/** PyMax set_2fa(password, hint=…): 112, 107, 108, 111 [SET_PASSWORD, HINT]. */
async function set2fa(client: RawClient, password: string, hint?: string) {
  const trackId = await track(client);
  expect(await client.ok(107, { trackId, password })).toEqual({});
  const caps = [SET_PASSWORD];
  if (hint !== undefined) {
    expect(await client.ok(108, { trackId, hint })).toEqual({});
    caps.push(HINT);
  }
  expect(await client.ok(111, { expectedCapabilities: caps, trackId, password, hint: hint ?? null })).toEqual(
    {},
  );
  return trackId;
}

describe("PyMax two-factor settings (112, 107, 108, 109, 110, 113, 111)", () => {
  it("set_2fa with a hint: the next login asks for that password and shows the hint", async () => {
    const { client, phone } = await account();
    // Before: no challenge at login, 23 GET says disabled.
    expect(await client.ok(23, { action: "GET" })).toMatchObject({ enabled: false });
    const trackId = await set2fa(client, "s3cret-pass", "my cat");
    expect(await client.ok(23, { action: "GET" })).toMatchObject({ enabled: true, hint: "my cat" });
    // The track applies once.
    expectErrorPacket(
      await client.call(111, { expectedCapabilities: [SET_PASSWORD], trackId, password: "s3cret-pass" }),
      111,
      "error.code.expired",
    );

    const wrong = await passwordLogin(phone, "guess");
    expect(wrong.hint).toBe("my cat");
    expectErrorPacket(wrong.packet, 115, "error.password.wrong");
    const right = await passwordLogin(phone, "s3cret-pass");
    expect(right.packet.cmd).toBe(1);
    expect(right.packet.payload.tokenAttrs.LOGIN.token).toEqual(expect.any(String));
  });

  it("change_password: 113 checks the old one, 111 UPDATE_PASSWORD applies the new one; the hint stays", async () => {
    const { client, phone } = await account();
    await set2fa(client, "old-pass", "the usual");
    const trackId = await track(client);
    expectErrorPacket(await client.call(113, { trackId, password: "not-it" }), 113, "error.password.wrong");
    // UPDATE_PASSWORD before the current password was checked is refused.
    expect(await client.ok(107, { trackId, password: "new-pass" })).toEqual({});
    expectErrorPacket(
      await client.call(111, {
        expectedCapabilities: [UPDATE_PASSWORD],
        trackId,
        password: "new-pass",
        hint: null,
      }),
      111,
      "error.password.wrong",
    );
    expect(await client.ok(113, { trackId, password: "old-pass" })).toEqual({});
    expect(
      await client.ok(111, {
        expectedCapabilities: [UPDATE_PASSWORD],
        trackId,
        password: "new-pass",
        hint: null,
      }),
    ).toEqual({});

    expectErrorPacket((await passwordLogin(phone, "old-pass")).packet, 115, "error.password.wrong");
    const fresh = await passwordLogin(phone, "new-pass");
    expect(fresh.hint).toBe("the usual");
    expect(fresh.packet.cmd).toBe(1);
  });

  it("remove_2fa: 113 then 111 {remove2fa: true, [REMOVE_2FA]}; the next login needs no password", async () => {
    const { client, phone } = await account();
    await set2fa(client, "to-remove");
    const trackId = await track(client);
    // Without 113 first the removal is refused.
    expectErrorPacket(
      await client.call(111, { trackId, remove2fa: true, expectedCapabilities: [REMOVE_2FA] }),
      111,
      "error.password.wrong",
    );
    expect(await client.ok(113, { trackId, password: "to-remove" })).toEqual({});
    expect(await client.ok(111, { trackId, remove2fa: true, expectedCapabilities: [REMOVE_2FA] })).toEqual(
      {},
    );
    expect(await client.ok(23, { action: "GET" })).toMatchObject({ enabled: false });
    const { answer } = await codeStep(phone);
    expect(answer.passwordChallenge).toBeUndefined();
    expect(answer.tokenAttrs.LOGIN.token).toEqual(expect.any(String));
    // Removing again: there is nothing to check the password against.
    const again = await track(client);
    expectErrorPacket(await client.call(113, { trackId: again, password: "to-remove" }), 113, "proto.state");
  });

  it("set_2fa with an email: 109 sends a code to the email, 110 checks it, 111 [SET_PASSWORD, EMAIL] applies", async () => {
    const { client, phone } = await account();
    const trackId = await track(client);
    expect(await client.ok(107, { trackId, password: "mail-pass" })).toEqual({});
    // EMAIL before the email was confirmed is refused.
    expectErrorPacket(
      await client.call(111, { expectedCapabilities: [SET_PASSWORD, EMAIL], trackId, password: "mail-pass" }),
      111,
      "proto.payload",
    );
    const before = inbox.length;
    expect(await client.ok(109, { trackId, email: "Me@Example.org" })).toEqual({});
    const sent = inbox.slice(before).find((m) => m.to === "me@example.org");
    expect(sent?.code).toMatch(/^\d{6}$/);
    expectErrorPacket(await client.call(110, { trackId, verifyCode: "000000" }), 110, "error.code.wrong");
    expect(await client.ok(110, { trackId, verifyCode: sent?.code })).toEqual({});
    expect(
      await client.ok(111, {
        expectedCapabilities: [SET_PASSWORD, EMAIL],
        trackId,
        password: "mail-pass",
        hint: null,
      }),
    ).toEqual({});
    expect((await passwordLogin(phone, "mail-pass")).packet.cmd).toBe(1);
    // 110 on a track with no code asked for is expired.
    const other = await track(client);
    expectErrorPacket(
      await client.call(110, { trackId: other, verifyCode: "123456" }),
      110,
      "error.code.expired",
    );
    expectErrorPacket(
      await client.call(109, { trackId: other, email: "not an email" }),
      109,
      "proto.payload",
    );
  });

  it("bad tracks, bad payloads, wrong order and sessions are refused with protocol errors", async () => {
    const a = await account();
    const b = await account();
    const trackA = await track(a.client);
    // Unknown and foreign tracks look the same.
    expectErrorPacket(
      await a.client.call(107, { trackId: "no-such-track", password: "x" }),
      107,
      "error.code.expired",
    );
    expectErrorPacket(
      await b.client.call(107, { trackId: trackA, password: "x" }),
      107,
      "error.code.expired",
    );
    expectErrorPacket(await b.client.call(108, { trackId: trackA, hint: "x" }), 108, "error.code.expired");
    // Payload shapes.
    expectErrorPacket(await a.client.call(107, { trackId: trackA, password: "" }), 107, "proto.payload");
    expectErrorPacket(await a.client.call(107, { password: "x" }), 107, "proto.payload");
    expectErrorPacket(await a.client.call(108, { trackId: trackA, hint: "   " }), 108, "proto.payload");
    expectErrorPacket(
      await a.client.call(108, { trackId: trackA, hint: "h".repeat(101) }),
      108,
      "proto.payload",
    );
    expectErrorPacket(
      await a.client.call(111, { trackId: trackA, expectedCapabilities: [9] }),
      111,
      "proto.payload",
    );
    expectErrorPacket(
      await a.client.call(111, { trackId: trackA, expectedCapabilities: [] }),
      111,
      "proto.payload",
    );
    // 111 must repeat the password 107 validated.
    expect(await a.client.ok(107, { trackId: trackA, password: "first" })).toEqual({});
    expectErrorPacket(
      await a.client.call(111, { expectedCapabilities: [SET_PASSWORD], trackId: trackA, password: "second" }),
      111,
      "proto.payload",
    );
    // HINT without a hint anywhere.
    expectErrorPacket(
      await a.client.call(111, {
        expectedCapabilities: [SET_PASSWORD, HINT],
        trackId: trackA,
        password: "first",
      }),
      111,
      "proto.payload",
    );
    // The refusals above left the account without a password.
    expect(await a.client.ok(23, { action: "GET" })).toMatchObject({ enabled: false });

    // SET_PASSWORD over an existing password needs the current one (113) first.
    await set2fa(b.client, "b-pass");
    const trackB = await track(b.client);
    expectErrorPacket(
      await b.client.call(111, { expectedCapabilities: [SET_PASSWORD], trackId: trackB, password: "other" }),
      111,
      "proto.state",
    );

    // Before login every step is a session request.
    const anon = await RawClient.connect(emu.url);
    sockets.push(anon);
    await anon.hello();
    expectErrorPacket(await anon.call(112, { type: 0 }), 112, "proto.state");
    expectErrorPacket(await anon.call(113, { trackId: trackA, password: "x" }), 113, "proto.state");
  });

  it("five wrong current passwords spend the track", async () => {
    const { client } = await account();
    await set2fa(client, "right-one");
    const trackId = await track(client);
    for (let i = 0; i < 5; i++) {
      expectErrorPacket(
        await client.call(113, { trackId, password: `wrong-${i}` }),
        113,
        "error.password.wrong",
      );
    }
    expectErrorPacket(await client.call(113, { trackId, password: "right-one" }), 113, "error.code.expired");
  });
});
