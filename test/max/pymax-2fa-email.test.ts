/**
 * Conformance: the recovery email of two-factor setup, as raw packets. PyMax's set_2fa confirms
 * an email on its track (109 `{trackId, email}`, 110 `{trackId, verifyCode}`) and applies it with
 * 111 `{expectedCapabilities: [SET_PASSWORD, EMAIL], ...}`. The account keeps it (stored, so it
 * survives a restart) and 104 AUTH_2FA_DETAILS shows it as the apps read it, `{enabled, hint,
 * email}`; PyMax itself never sends 104. The seed's 23 GET shows it too.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectErrorPacket, loggedIn, RawClient, startEmulator } from "./raw.js";

const SET_PASSWORD = 0;
const EMAIL = 4;
const REMOVE_2FA = 5;

const file = join(mkdtempSync(join(tmpdir(), "sb-max-email-")), "max.db");
const inbox: { to: string; code: string }[] = [];
const onSms = (to: string, code: string) => {
  inbox.push({ to, code });
};
let emu: Awaited<ReturnType<typeof startEmulator>>;
const sockets: RawClient[] = [];
let phoneSeq = 0;
const nextPhone = () => `+7916300${String(++phoneSeq).padStart(4, "0")}`;

beforeAll(async () => {
  emu = await startEmulator({ file, hooks: { onSms } });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await emu.close();
});

async function account() {
  const r = await loggedIn(emu.url, nextPhone());
  sockets.push(r.client);
  return r;
}

/** 112 → (113 when a password is set) → 109 → 110 from the sandbox inbox: a track with a confirmed email. */
async function confirmedTrack(client: RawClient, email: string, currentPassword?: string): Promise<string> {
  const { trackId } = await client.ok(112, { type: 0 });
  if (currentPassword !== undefined) await client.ok(113, { trackId, password: currentPassword });
  const before = inbox.length;
  await client.ok(109, { trackId, email });
  const code = inbox.slice(before).find((m) => m.to === email.toLowerCase())?.code;
  expect(code).toMatch(/^\d{6}$/);
  await client.ok(110, { trackId, verifyCode: code });
  return trackId;
}

describe("the 2FA recovery email", () => {
  it("is stored by 111 [SET_PASSWORD, EMAIL], shown by 104 and 23 GET, and survives a restart", async () => {
    const { client, token } = await account();
    expect(await client.ok(104, {})).toEqual({ enabled: false });

    const trackId = await confirmedTrack(client, "Owner@Example.org");
    await client.ok(107, { trackId, password: "p4ss" });
    await client.ok(108, { trackId, hint: "the usual" });
    await client.ok(111, { expectedCapabilities: [SET_PASSWORD, 3, EMAIL], trackId, password: "p4ss" });

    const details = { enabled: true, hint: "the usual", email: "owner@example.org" };
    expect(await client.ok(104, {})).toEqual(details);
    // With a live track of the caller, as the apps send it after 112.
    const { trackId: fresh } = await client.ok(112, { type: 0 });
    expect(await client.ok(104, { trackId: fresh })).toEqual(details);
    expect(await client.ok(23, { action: "GET" })).toMatchObject({
      enabled: true,
      email: "owner@example.org",
    });

    // Restart on the same database file: the email is still there.
    for (const s of sockets.splice(0)) s.close();
    await emu.close();
    emu = await startEmulator({ file, hooks: { onSms } });
    const again = await RawClient.connect(emu.url);
    sockets.push(again);
    await again.tokenLogin(token);
    expect(await again.ok(104, {})).toEqual(details);
  });

  it("changes alone with [EMAIL] after 113, and goes with the password on REMOVE_2FA", async () => {
    const { client } = await account();
    const setTrack = await confirmedTrack(client, "first@example.org");
    await client.ok(111, {
      expectedCapabilities: [SET_PASSWORD, EMAIL],
      trackId: setTrack,
      password: "pw-1",
    });
    expect((await client.ok(104, {})).email).toBe("first@example.org");

    // An email change without the current password is refused and changes nothing.
    const unchecked = await confirmedTrack(client, "nope@example.org");
    expectErrorPacket(
      await client.call(111, { expectedCapabilities: [EMAIL], trackId: unchecked }),
      111,
      "error.password.wrong",
    );
    expect((await client.ok(104, {})).email).toBe("first@example.org");

    const change = await confirmedTrack(client, "second@example.org", "pw-1");
    expect(await client.ok(111, { expectedCapabilities: [EMAIL], trackId: change })).toEqual({});
    expect((await client.ok(104, {})).email).toBe("second@example.org");

    const { trackId: removeTrack } = await client.ok(112, { type: 0 });
    await client.ok(113, { trackId: removeTrack, password: "pw-1" });
    await client.ok(111, { expectedCapabilities: [REMOVE_2FA], trackId: removeTrack, remove2fa: true });
    expect(await client.ok(104, {})).toEqual({ enabled: false });
    expect(await client.ok(23, { action: "GET" })).toEqual({ enabled: false, hint: "" });
  });

  it("104 refuses another account's track and an unauthenticated socket", async () => {
    const a = await account();
    const b = await account();
    const { trackId } = await a.client.ok(112, { type: 0 });
    expectErrorPacket(await b.client.call(104, { trackId }), 104, "error.code.expired");
    const bare = await RawClient.connect(emu.url);
    sockets.push(bare);
    await bare.hello();
    expect((await bare.call(104, {})).cmd).toBe(3);
  });
});
