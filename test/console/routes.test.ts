/**
 * The console's JSON and SSE routes without a browser: what the page calls, against a real
 * sandbox (demo seed) and raw MAX clients.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { REDACTED } from "../../src/core/redact.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { loggedIn, RawClient } from "../max/raw.js";
import { api } from "../sandbox/proc.js";
import { openFeed, PNG, until, uploadForm } from "./helpers.js";

describe("sandbox console routes", () => {
  let sb: Sandbox;
  let base: string;
  let anna: number;
  let boris: number;
  let team: string;
  const open: RawClient[] = [];
  const feeds: { close(): Promise<void> }[] = [];
  const login = async (phone: string) => {
    const r = await loggedIn(sb.urls.max, phone);
    open.push(r.client);
    return r;
  };
  const feed = async () => {
    const f = await openFeed(base);
    feeds.push(f);
    return f;
  };

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, data: null, seed: "demo", smsCode: "123456" });
    base = sb.urls.console;
    [anna, boris] = sb.seeded.map((u) => u.userId) as [number, number];
    const { body } = await api(base, "GET", "/_sandbox/console/max/chats");
    team = body.chats.find((c: { title: string }) => c.title === "Команда проекта").id;
  });
  afterEach(async () => {
    await api(base, "POST", "/_sandbox/console/max/faults", { action: "clear" });
    for (const c of open.splice(0)) c.close();
    for (const f of feeds.splice(0)) await f.close();
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("serves the page and its assets at / and lists the platforms", async () => {
    const page = await fetch(`${base}/`);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    expect(html).toContain("/console/console.js");
    expect(html).toContain(sb.urls.max);
    for (const asset of ["console.js", "console.css"]) {
      expect((await fetch(`${base}/console/${asset}`)).status).toBe(200);
    }
    expect((await fetch(`${base}/console/../../package.json`)).status).toBe(404);
    expect((await fetch(`${base}/console/secret.txt`)).status).toBe(404);
    // The old plain page is still there for humans and scripts.
    expect(await (await fetch(`${base}/_sandbox/api`)).text()).toContain("/_sandbox/max/sms");

    const { body } = await api(base, "GET", "/_sandbox/console/platforms");
    const byId = Object.fromEntries(body.platforms.map((p: { id: string }) => [p.id, p]));
    expect(Object.keys(byId)).toEqual(["max", "maxim", "webqq", "vklive", "maxbot"]);
    expect(byId.max).toMatchObject({ available: true, url: sb.urls.max });
    expect(byId.max.features).toEqual(
      expect.arrayContaining(["accounts", "chats", "send", "confirm", "files"]),
    );
    expect(byId.max.faults.map((f: { action: string }) => f.action)).toEqual([
      "drop",
      "delay",
      "fail",
      "ratelimit",
      "clear",
    ]);
    expect(byId.maxim).toMatchObject({ available: true, url: sb.urls.maxim });
    expect(byId.maxim.features).toEqual(expect.arrayContaining(["send", "createChat"]));
    expect(byId.webqq).toMatchObject({ available: true, url: sb.urls.webqq });
    // Recorded from the start, with no page open (traffic.test.ts).
    expect(body.traffic).toEqual({ capturing: true, recording: true });
  });

  it("lists MAX accounts, chats per user and history, and refuses non-members", async () => {
    const accounts = (await api(base, "GET", "/_sandbox/console/max/accounts")).body.accounts;
    expect(accounts[0]).toEqual({
      id: String(anna),
      name: "Анна Смирнова",
      detail: "+79000000001",
      online: false,
    });

    const borisChats = (await api(base, "GET", `/_sandbox/console/max/chats?as=${boris}`)).body.chats;
    expect(borisChats.map((c: { kind: string }) => c.kind).sort()).toEqual(["channel", "direct", "group"]);
    expect(borisChats.find((c: { kind: string }) => c.kind === "direct").title).toBe("Анна Смирнова");

    const history = (await api(base, "GET", `/_sandbox/console/max/chats/${team}/messages?as=${boris}`)).body;
    expect(history.messages.map((m: { text: string }) => m.text)).toEqual([
      "Всем привет! Здесь обсуждаем релиз.",
      "Привет! Сборка готова, тесты зелёные.",
      "Отлично, завтра выкатываем.",
    ]);
    expect(history.messages[0]).toMatchObject({ authorId: String(anna), authorName: "Анна Смирнова" });

    const { userId: stranger } = sb.max.admin.createUser({ phone: "+79007770001", firstName: "Чужой" });
    const denied = await api(base, "GET", `/_sandbox/console/max/chats/${team}/messages?as=${stranger}`);
    expect(denied.status).toBe(403);
    expect((await api(base, "GET", "/_sandbox/console/max/chats/12345/messages")).status).toBe(404);
    expect((await api(base, "GET", "/_sandbox/console/nope/accounts")).status).toBe(404);
    // WebQQ's console creates no chats (its "+" is hidden); VK Live's creates channels (vklive.test.ts).
    const noCreate = await api(base, "POST", "/_sandbox/console/webqq/chats", {
      as: "10001",
      title: "x",
    });
    expect(noCreate.status).toBe(404);
    expect(noCreate.body.error).toContain("has no createChat");
  });

  it("writes as a user: the message reaches a logged-in client and the live feed says the chat changed", async () => {
    const b = await login("+79000000002");
    const f = await feed();
    const sent = await api(base, "POST", "/_sandbox/console/max/messages", {
      as: String(anna),
      chatId: team,
      text: "Из консоли",
    });
    expect(sent).toEqual({ status: 200, body: { chatId: team, messageId: expect.any(String) } });
    const pushed = await b.client.event(128, (p) => p.payload.message.text === "Из консоли");
    expect(pushed.payload).toMatchObject({ chatId: Number(team), message: { sender: anna } });
    await f.next("changed", (d) => d.platform === "max" && d.chatId === team);

    const direct = await api(base, "POST", "/_sandbox/console/max/messages", {
      as: String(anna),
      to: String(boris),
      text: "Лично",
    });
    expect(direct.status).toBe(200);
    await b.client.event(128, (p) => p.payload.message.text === "Лично");

    const bad = await api(base, "POST", "/_sandbox/console/max/messages", { as: String(anna), text: "x" });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain("exactly one of chatId and to");
    const { userId: outsider } = sb.max.admin.createUser({ phone: "+79007770002", firstName: "Вне" });
    const forbidden = await api(base, "POST", "/_sandbox/console/max/messages", {
      as: String(outsider),
      chatId: team,
      text: "x",
    });
    expect(forbidden.status).toBe(403);

    const created = await api(base, "POST", "/_sandbox/console/max/chats", {
      as: String(anna),
      kind: "channel",
      title: "Канал из консоли",
      members: [String(boris)],
    });
    expect(created.status).toBe(200);
    await b.client.event(135, (p) => String(p.payload.chat?.id) === created.body.chatId);
  });

  it("with recording off, captures traffic only while someone watches, masked, and filters it", async () => {
    // Recording is on from the start (traffic.test.ts); switched off, only a page's feed captures.
    expect(sb.max.traffic.active).toBe(true);
    await api(base, "POST", "/_sandbox/console/traffic/record", { on: false });
    await api(base, "DELETE", "/_sandbox/console/traffic");
    // The previous test's page has just gone: the server notices its stream close.
    await until(() => !sb.max.traffic.active, 2000, "the tap to stop");
    const f = await feed();
    expect(sb.max.traffic.active).toBe(true);
    const c = await RawClient.connect(sb.urls.max);
    open.push(c);
    const { token } = await c.smsLogin("+79000000003");

    const verify = await f.next("traffic", (d) => d.opcode === 18 && d.dir === "in");
    expect(verify).toMatchObject({ platform: "max", opcodeName: "VERIFY_CODE", size: expect.any(Number) });
    expect(verify.payload.verifyCode).toBe(REDACTED);
    expect(verify.payload.token).toBe(REDACTED);
    const answer = await f.next("traffic", (d) => d.opcode === 18 && d.dir === "out");
    // The answer leaves once the connection belongs to the user it logged in.
    expect(answer.account).toBe(String(sb.seeded[2]?.userId));
    expect(JSON.stringify(answer.payload)).not.toContain(token);
    expect(answer.payload.tokenAttrs).toBe(REDACTED);
    expect(answer.payload.profile.contact.id).toBe(Number(answer.account));

    await c.ok(48, { chatIds: [Number(team)] });
    const log = (await api(base, "GET", "/_sandbox/console/traffic?opcode=48")).body;
    expect(log.capturing).toBe(true);
    expect(log.records.length).toBe(2);
    expect(log.records.map((r: { dir: string }) => r.dir)).toEqual(["in", "out"]);
    const sveta = String(sb.seeded[2]?.userId);
    expect(log.records.every((r: { account: string }) => r.account === sveta)).toBe(true);
    const byName = (await api(base, "GET", "/_sandbox/console/traffic?opcode=get_chats")).body.records;
    expect(byName.length).toBe(2);
    expect(
      (await api(base, "GET", `/_sandbox/console/traffic?account=${sveta}&dir=in`)).body.records.length,
    ).toBe(1);
    expect(JSON.stringify((await api(base, "GET", "/_sandbox/console/traffic")).body)).not.toContain(token);

    await f.close();
    await until(() => !sb.max.traffic.active, 2000, "the tap to stop");
    const before = (await api(base, "GET", "/_sandbox/console/traffic")).body.records.length;
    await c.ok(1, { interactive: false });
    expect((await api(base, "GET", "/_sandbox/console/traffic")).body.records.length).toBe(before);

    // Recording keeps capturing without a page; DELETE empties the log.
    expect((await api(base, "POST", "/_sandbox/console/traffic/record", { on: true })).body.capturing).toBe(
      true,
    );
    await c.ok(1, { interactive: false });
    expect((await api(base, "GET", "/_sandbox/console/traffic?opcode=1")).body.records.length).toBe(2);
    await api(base, "POST", "/_sandbox/console/traffic/record", { on: false });
    expect(sb.max.traffic.active).toBe(false);
    await api(base, "DELETE", "/_sandbox/console/traffic");
    expect((await api(base, "GET", "/_sandbox/console/traffic")).body.records).toEqual([]);
  });

  it("shows SMS codes in the inbox and confirms a QR login", async () => {
    const f = await feed();
    const c = await RawClient.connect(sb.urls.max);
    open.push(c);
    await c.hello();
    await c.ok(17, { phone: "+79000000004", type: "START_AUTH", language: "ru" });
    const sms = await f.next("inbox", (d) => d.kind === "sms");
    expect(sms).toMatchObject({ platform: "max", to: "+79000000004", value: "123456", status: "new" });

    const q = await RawClient.connect(sb.urls.max);
    open.push(q);
    await q.hello();
    const { trackId } = await q.ok(288, {});
    const item = await f.next("inbox", (d) => d.kind === "qr");
    expect(item).toMatchObject({ id: `qr:${trackId}`, status: "pending", confirmable: true });
    const inbox = (await api(base, "GET", "/_sandbox/console/inbox")).body.items;
    expect(inbox[0]).toMatchObject({ id: `qr:${trackId}`, status: "pending" });
    expect((await q.ok(289, { trackId })).status.loginAvailable).toBe(false);

    const wrong = await api(base, "POST", `/_sandbox/console/max/inbox/qr:${trackId}/confirm`, { as: "99" });
    expect(wrong.status).toBe(404);
    const ok = await api(base, "POST", `/_sandbox/console/max/inbox/qr:${trackId}/confirm`, {
      as: String(boris),
    });
    expect(ok).toEqual({ status: 200, body: { ok: true } });
    await f.next("inbox", (d) => d.id === `qr:${trackId}` && d.status === "confirmed");
    expect((await q.ok(289, { trackId })).status.loginAvailable).toBe(true);
    const done = await q.ok(291, { trackId });
    expect(done.profile.contact.id).toBe(boris);
    const again = await api(base, "POST", `/_sandbox/console/max/inbox/qr:${trackId}/confirm`, {
      as: String(boris),
    });
    expect(again.status).toBe(404);
  });

  it("lists uploaded files and serves them inline for previews", async () => {
    const user = await login("+79000000002");
    const { info } = await user.client.ok(87, { count: 1 });
    const { url, fileId } = info[0];
    expect((await uploadForm(url, PNG, "кот.png", "image/png")).status).toBe(200);
    await user.client.event(136, (p) => p.payload.fileId === fileId);
    await user.client.ok(64, {
      chatId: Number(team),
      message: { text: "фото", cid: Date.now(), elements: [], attaches: [{ _type: "FILE", fileId }] },
      notify: true,
    });

    const files = (await api(base, "GET", "/_sandbox/console/max/files")).body.files;
    expect(files[0]).toMatchObject({
      id: String(fileId),
      name: "кот.png",
      mime: "image/png",
      size: PNG.length,
    });
    const res = await fetch(`${base}${files[0].previewUrl}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("content-disposition")).toContain("inline");
    expect(res.headers.get("content-security-policy")).toContain("sandbox");
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);
    expect((await fetch(`${base}/_sandbox/console/max/files/999999`)).status).toBe(404);

    const history = (await api(base, "GET", `/_sandbox/console/max/chats/${team}/messages`)).body.messages;
    expect(history.at(-1).attachments).toEqual([
      { type: "FILE", name: "кот.png", mime: "image/png", previewUrl: files[0].previewUrl },
    ]);
  });

  it("injects MAX faults: drop, fail with a chosen code, rate limit, and reports them live", async () => {
    const f = await feed();
    const a = await login("+79000000003");
    const b = await login("+79000000004");
    const fault = (body: unknown) => api(base, "POST", "/_sandbox/console/max/faults", body);

    expect(await fault({ action: "drop", account: String(a.userId) })).toEqual({
      status: 200,
      body: { ok: true, dropped: 1 },
    });
    expect((await a.client.closed).code).toBe(1006);
    await f.next("notice", (d) => d.text.includes("dropped 1"));

    // Form posts send numbers as strings and untouched fields as "".
    expect(
      (
        await fault({
          action: "fail",
          account: String(b.userId),
          count: "2",
          error: "error.rate_limited",
          opcode: "",
        })
      ).status,
    ).toBe(200);
    for (let i = 0; i < 2; i++)
      expect((await b.client.call(48, { chatIds: [] })).payload.error).toBe("error.rate_limited");
    expect((await b.client.call(48, { chatIds: [] })).cmd).toBe(1);

    expect(
      (await fault({ action: "ratelimit", limit: 2, windowMs: 60_000, durationMs: 60_000 })).status,
    ).toBe(200);
    expect((await b.client.call(48, { chatIds: [] })).cmd).toBe(1);
    expect((await b.client.call(48, { chatIds: [] })).cmd).toBe(1);
    const limited = await b.client.call(48, { chatIds: [] });
    expect(limited.cmd).toBe(3);
    expect(limited.payload).toMatchObject({ error: "error.rate_limited", message: "Too many requests" });
    // Keepalives are never limited.
    expect((await b.client.call(1, { interactive: false })).cmd).toBe(1);
    const tables = (await api(base, "GET", "/_sandbox/console/max/tables")).body.tables;
    expect(tables.find((t: { id: string }) => t.id === "faults").rows).toEqual([
      expect.objectContaining({ kind: "ratelimit", user: "everyone", detail: "2 per 60000 ms" }),
    ]);
    await fault({ action: "clear" });
    expect((await b.client.call(48, { chatIds: [] })).cmd).toBe(1);

    const bad = await fault({ action: "delay" });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain("ms");
    expect((await fault({ action: "explode" })).status).toBe(400);
  });

  it("shows MaxIM apps, users, messages and pushes, its REST traffic masked, and fails its requests", async () => {
    const f = await feed();
    const headers = {
      "content-type": "application/json",
      app_id: "welovemaxim",
      "access-token": "seed-token",
    };
    // Whatever the answer, the exchange is captured with the token masked.
    await fetch(`${sb.urls.maxim}/user/register/v2`, {
      method: "POST",
      headers,
      body: JSON.stringify({ username: "console1", password: "pw-secret" }),
    });
    const inbound = await f.next("traffic", (d) => d.platform === "maxim" && d.dir === "in");
    expect(inbound).toMatchObject({ method: "POST", path: "/user/register/v2" });
    expect(inbound.payload.headers["access-token"]).toBe(REDACTED);
    expect(inbound.payload.body.password).toBe(REDACTED);
    const outbound = await f.next("traffic", (d) => d.platform === "maxim" && d.dir === "out");
    expect(outbound.status).toBe(200);
    expect(typeof outbound.payload.code).toBe("number");
    const byPath = (await api(base, "GET", "/_sandbox/console/traffic?path=/user/register")).body.records;
    expect(byPath.length).toBe(2);

    const tables = (await api(base, "GET", "/_sandbox/console/maxim/tables")).body.tables;
    expect(tables.map((t: { id: string }) => t.id)).toEqual([
      "apps",
      "users",
      "groups",
      "pushes",
      "messages",
    ]);
    expect(tables[0].rows[0]).toMatchObject({ app_id: "welovemaxim" });
    expect(JSON.stringify(tables[0])).not.toContain("hash");
    expect((await api(base, "GET", "/_sandbox/console/maxim/accounts")).body.accounts.length).toBeGreaterThan(
      0,
    );

    const set = await api(base, "POST", "/_sandbox/console/maxim/faults", {
      action: "fail",
      code: "10010",
      path: "/user/register/v2",
    });
    expect(set.status).toBe(200);
    const failed = await fetch(`${sb.urls.maxim}/user/register/v2`, {
      method: "POST",
      headers,
      body: JSON.stringify({ username: "console2", password: "pw" }),
    });
    expect(((await failed.json()) as { code: number }).code).toBe(10010);
    expect(
      (await api(base, "POST", "/_sandbox/console/maxim/faults", { action: "fail", code: 1 })).status,
    ).toBe(400);
    expect((await api(base, "POST", "/_sandbox/console/maxim/faults", { action: "clear" })).status).toBe(200);
  });
});

describe("sandbox console shutdown", () => {
  it("closes promptly while a page still has its live feed open", async () => {
    const sb = await startSandbox({ port: 0, data: null });
    const f = await openFeed(sb.urls.console);
    const started = Date.now();
    await sb.close();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(sb.max.traffic.active).toBe(false);
    await f.close();
  });
});
