/**
 * A QR login confirmed outside the console (the admin API, the CLI, another device) is listed as
 * confirmed in the inbox, before and after the waiting client uses it, never as expired
 * (issue 18 item 8). Raw MAX packets and raw WebQQ HTTP, as a client sends them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { RawClient } from "../max/raw.js";
import { api } from "../sandbox/proc.js";

// biome-ignore lint/suspicious/noExplicitAny: route answers are inspected loosely
type Any = any;

describe("console inbox: QR logins confirmed elsewhere", () => {
  let sb: Sandbox;
  const item = async (id: string) =>
    ((await api(sb.urls.console, "GET", "/_sandbox/console/inbox")).body as Any).items.find(
      (i: Any) => i.id === id,
    );

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, data: null, seed: "demo" });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("MAX: confirmed through POST /_sandbox/max/qr/confirm, then used by QR_FINISH", async () => {
    const c = await RawClient.connect(sb.urls.max);
    try {
      await c.hello();
      const { trackId } = await c.ok(288, {});
      const id = `qr:${trackId}`;
      expect(await item(id)).toMatchObject({ status: "pending", confirmable: true });
      const userId = sb.seeded[1]?.userId;
      const confirmed = await api(sb.urls.console, "POST", "/_sandbox/max/qr/confirm", { trackId, userId });
      expect(confirmed.status).toBe(200);
      expect(await item(id)).toMatchObject({ status: "confirmed", confirmable: false });
      const done = await c.ok(291, { trackId });
      expect(done.profile.contact.id).toBe(userId);
      expect(await item(id)).toMatchObject({ status: "confirmed", confirmable: false });
    } finally {
      c.close();
    }
  });

  it("MAX: a QR login nobody confirms is pending, not confirmed", async () => {
    const c = await RawClient.connect(sb.urls.max);
    try {
      await c.hello();
      const { trackId } = await c.ok(288, {});
      expect(await item(`qr:${trackId}`)).toMatchObject({ status: "pending", confirmable: true });
    } finally {
      c.close();
    }
  });

  it("WebQQ: confirmed through POST /_sandbox/webqq/qr/confirm, then used by ptqrlogin", async () => {
    const show = await fetch(`${sb.urls.webqq}/ptqrshow?appid=501004106&e=0&l=M&s=5&d=72&v=4&t=0.5`);
    expect(show.status).toBe(200);
    const qrsig = /qrsig=([^;]+)/.exec(show.headers.get("set-cookie") ?? "")?.[1];
    expect(qrsig).toBeTruthy();
    const pending = ((await api(sb.urls.console, "GET", "/_sandbox/console/inbox")).body as Any).items.find(
      (i: Any) => i.platform === "webqq" && i.kind === "qr" && i.status === "pending",
    );
    expect(pending).toMatchObject({ value: "waiting", confirmable: true });
    const token = Number(pending.id.slice(3));
    const confirmed = await api(sb.urls.console, "POST", "/_sandbox/webqq/qr/confirm", { qq: 10001, token });
    expect(confirmed.body).toEqual({ token });
    expect(await item(pending.id)).toMatchObject({ status: "confirmed", confirmable: false });

    const poll = await fetch(`${sb.urls.webqq}/ptqrlogin?ptqrtoken=${token}&u1=x&aid=501004106&daid=164`, {
      headers: { cookie: `qrsig=${qrsig}` },
    });
    expect(await poll.text()).toMatch(/^ptuiCB\('0'/);
    expect(await item(pending.id)).toMatchObject({ status: "confirmed", confirmable: false });
  });
});
