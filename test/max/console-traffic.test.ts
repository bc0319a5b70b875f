/**
 * Issue 12 items 9 and 10: what the console's traffic inspector shows of MAX. A frame nested too
 * deep is refused at parse time (also before login) and its record stays serialisable; no MAX
 * secret (login / auth / register / upload tokens, codes, passwords, 2FA and QR trackIds,
 * download keys) reaches the traffic API in clear.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { api } from "../sandbox/proc.js";
import { expectErrorPacket, RawClient } from "./raw.js";

let sb: Sandbox;
const clients: RawClient[] = [];
// biome-ignore lint/suspicious/noExplicitAny: route answers are inspected loosely
type Any = any;

async function connect(): Promise<RawClient> {
  const c = await RawClient.connect(sb.urls.max);
  clients.push(c);
  return c;
}

async function trafficText(): Promise<string> {
  const r = await api(sb.urls.console, "GET", "/_sandbox/console/traffic?platform=max&limit=5000");
  expect(r.status, JSON.stringify(r.body)?.slice(0, 300)).toBe(200);
  return JSON.stringify(r.body);
}

beforeAll(async () => {
  sb = await startSandbox({ port: 0, data: null, smsCode: "482913" });
  const r = await api(sb.urls.console, "POST", "/_sandbox/console/traffic/record", { on: true });
  expect(r.status).toBe(200);
});

afterAll(async () => {
  for (const c of clients) c.close();
  await sb?.close();
});

describe("item 9: depth limits at parse time", () => {
  it("a frame nested 20k deep before login answers proto.payload; the traffic API still answers", async () => {
    const c = await connect();
    const deep = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
    c.sendText(`{"ver":11,"cmd":0,"seq":7,"opcode":6,"payload":{"x":${deep}}}`);
    const p = await c.waitFor((x) => x.seq === 7 && x.cmd === 3);
    expectErrorPacket(p, 6, "proto.payload");
    await c.hello();
    const text = await trafficText();
    expect(text.length).toBeLessThan(200_000);
  });

  it("a message whose formatting is nested 20k deep answers proto.payload, not service.unavailable", async () => {
    const c = await connect();
    await c.smsLogin("+79126700001", "482913");
    // Built as text: JSON.stringify itself can't go this deep.
    const open = '{"type":"STRONG","from":0,"length":1,"elements":['.repeat(20_000);
    const inner = '{"type":"STRONG","from":0,"length":1}';
    const elements = `${open}${inner}${"]}".repeat(20_000)}`;
    c.sendText(
      `{"ver":11,"cmd":0,"seq":900,"opcode":64,"payload":{"chatId":0,"message":{"text":"deep","cid":1,"elements":[${elements}],"attaches":[]}}}`,
    );
    const p = await c.waitFor((x) => x.seq === 900 && x.cmd !== 0);
    expectErrorPacket(p, 64, "proto.payload");
    // The same connection is still served.
    expect((await c.call(1, { interactive: false })).cmd).toBe(1);
    await trafficText();
  });

  it("a frame at the depth bound is still parsed as usual", async () => {
    const c = await connect();
    let nested: unknown = 1;
    for (let i = 0; i < 50; i++) nested = [nested];
    const p = await c.call(6, { userAgent: { deviceType: "WEB" }, deviceId: "d", extra: nested });
    expect(p.payload.error).not.toBe("proto.payload");
  });
});

describe("item 10: no MAX secret in the traffic inspector", () => {
  it("plants every secret kind and finds none in the traffic API output", async () => {
    const secrets: string[] = [];
    const phone2fa = "+79126700002";
    const password = "Tr0ub4dor-secret-pass";
    sb.max.admin.createUser({ phone: phone2fa, firstName: "Two", password });

    // SMS flow with 2FA: auth token (17), verifyCode (18), trackId (18 answer), password (115 / 18).
    const a = await connect();
    await a.hello();
    const start = await a.ok(17, { phone: phone2fa, type: "START_AUTH", language: "ru" });
    secrets.push(start.token);
    const challenge = await a.ok(18, {
      token: start.token,
      verifyCode: "482913",
      authTokenType: "CHECK_CODE",
    });
    const trackId: string = challenge.passwordChallenge.trackId;
    secrets.push(trackId);
    const wrong = await a.call(115, { trackId, password: "wrong-pass-zzz" });
    expect(wrong.cmd).toBe(3);
    const done = await a.ok(115, { trackId, password });
    const loginToken: string = done.tokenAttrs.LOGIN.token;
    secrets.push(loginToken, password, "wrong-pass-zzz");

    // Login by token (19 request), a new account (REGISTER token).
    const b = await connect();
    await b.tokenLogin(loginToken);
    const c = await connect();
    await c.hello();
    const s2 = await c.ok(17, { phone: "+79126700003", type: "START_AUTH", language: "ru" });
    secrets.push(s2.token);
    const reg = await c.ok(18, { token: s2.token, verifyCode: "482913", authTokenType: "CHECK_CODE" });
    secrets.push(reg.tokenAttrs.LOGIN.token, reg.tokenAttrs.REGISTER.token);

    // QR login: trackId and the link that carries it.
    const q = await connect();
    await q.hello();
    const qr = await q.ok(288, {});
    secrets.push(qr.trackId);
    await q.ok(289, { trackId: qr.trackId });

    // Upload URLs (apiToken), a photo's token and its download key.
    const up = await b.ok(80, { count: 1 });
    const uploadUrl = new URL(up.url);
    secrets.push(uploadUrl.searchParams.get("apiToken") ?? "missing");
    const png = Buffer.from(
      "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da6364f8cf00000301010018dd8db40000000049454e44ae426082",
      "hex",
    );
    const res = await fetch(up.url, { method: "POST", headers: { "content-type": "image/png" }, body: png });
    expect(res.status).toBe(200);
    const photoToken: string = ((await res.json()) as Any).photos["0"].token;
    secrets.push(photoToken);
    const sent = await b.ok(64, {
      userId: reg.profile.contact.id,
      message: { text: "", cid: 5, elements: [], attaches: [{ _type: "PHOTO", photoToken }] },
    });
    const baseUrl: string = sent.message.attaches[0].baseUrl;
    secrets.push(new URL(baseUrl).searchParams.get("r") ?? "missing");
    const video = await b.ok(82, { count: 1 });
    secrets.push(video.info[0].token);

    expect(secrets.every((s) => typeof s === "string" && s.length >= 8)).toBe(true);
    const text = await trafficText();
    // The inspector did see these packets.
    expect(text).toContain('"opcodeName"');
    for (const secret of secrets) expect(text, `secret ${secret.slice(0, 4)}… leaked`).not.toContain(secret);
  });
});
