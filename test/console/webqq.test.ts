/** The WebQQ console provider through the console's JSON routes, against a real sandbox (no browser). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDACTED } from "../../src/core/redact.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { WebQQClient } from "../../src/webqq/client/index.js";
import { api } from "../sandbox/proc.js";
import { until } from "./helpers.js";

const ALICE = 10897944;
const BOB = 2440652742;
const CAROL = 2769546520;
const DAVE = 3100000001;

// biome-ignore lint/suspicious/noExplicitAny: route answers are inspected loosely
type Any = any;

describe("console: WebQQ", () => {
  let sb: Sandbox;
  let base: string;
  let group: { gid: number; code: number };
  let did: number;
  const clients: WebQQClient[] = [];
  const client = () => {
    const c = new WebQQClient({
      url: sb.urls.webqq,
      backoffBaseMs: 5,
      pollTimeoutMs: 10_000,
      sendAttempts: 1,
    });
    clients.push(c);
    return c;
  };
  const get = async (path: string) => {
    const r = await api(base, "GET", path);
    expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(200);
    return r.body as Any;
  };
  const post = async (path: string, body: unknown, status = 200) => {
    const r = await api(base, "POST", path, body);
    expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(status);
    return r.body as Any;
  };

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, data: null });
    base = sb.urls.console;
    await post("/_sandbox/webqq/accounts", { qq: ALICE, password: "pw-alice", nick: "alice" });
    await post("/_sandbox/webqq/accounts", { qq: BOB, password: "pw-bob", nick: "bob" });
    await post("/_sandbox/webqq/accounts", { qq: CAROL, password: "pw-carol", nick: "carol" });
    await post("/_sandbox/webqq/accounts", { qq: DAVE, password: "pw-dave", nick: "dave" });
    await post("/_sandbox/webqq/friends", { qq: ALICE, friend: BOB, markname: "Bobby" });
    group = await post("/_sandbox/webqq/groups", { name: "test group", owner: ALICE, members: [BOB] });
    did = (await post("/_sandbox/webqq/discussions", { name: "talk", owner: BOB, members: [ALICE, CAROL] }))
      .did;
    await post("/_sandbox/console/traffic/record", { on: true });
  });
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await sb?.close();
  });

  it("is a console platform with its features and fault forms", async () => {
    const { platforms } = await get("/_sandbox/console/platforms");
    const webqq = platforms.find((p: Any) => p.id === "webqq");
    expect(webqq).toMatchObject({ available: true, title: "WebQQ", url: sb.urls.webqq });
    expect(webqq.features).toEqual(
      expect.arrayContaining([
        "accounts",
        "chats",
        "messages",
        "send",
        "inbox",
        "confirm",
        "tables",
        "applyFault",
      ]),
    );
    expect(webqq.faults.map((f: Any) => f.action)).toEqual([
      "failPolls",
      "failSends",
      "fail",
      "delay",
      "ratelimit",
      "drop",
      "kick",
      "clear",
    ]);
  });

  it("lists accounts, and chats (friends, groups, discussions) as an account sees them", async () => {
    const { accounts } = await get("/_sandbox/console/webqq/accounts");
    expect(accounts.map((a: Any) => [a.id, a.name, a.online])).toEqual([
      [String(ALICE), "alice", false],
      [String(BOB), "bob", false],
      [String(CAROL), "carol", false],
      [String(DAVE), "dave", false],
    ]);

    const pair = `u:${ALICE}:${BOB}`;
    const asAlice = (await get(`/_sandbox/console/webqq/chats?as=${ALICE}`)).chats;
    expect(asAlice).toEqual(
      expect.arrayContaining([
        { id: pair, kind: "direct", title: "Bobby", members: 2 },
        { id: `g:${group.gid}`, kind: "group", title: "test group", members: 2 },
        { id: `d:${did}`, kind: "group", title: "talk (discussion)", members: 3 },
      ]),
    );
    expect(asAlice).toHaveLength(3);
    const asCarol = (await get(`/_sandbox/console/webqq/chats?as=${CAROL}`)).chats;
    expect(asCarol.map((c: Any) => c.id)).toEqual([`d:${did}`]);
    const all = (await get("/_sandbox/console/webqq/chats")).chats;
    expect(all.find((c: Any) => c.id === pair)).toMatchObject({ title: "alice ↔ bob" });
    expect(all).toHaveLength(3);

    expect((await api(base, "GET", "/_sandbox/console/webqq/chats?as=12345")).status).toBe(404);
    expect((await api(base, "GET", "/_sandbox/console/webqq/chats?as=abc")).status).toBe(400);

    const { tables } = await get("/_sandbox/console/webqq/tables");
    expect(tables.map((t: Any) => t.id)).toEqual(["accounts", "groups", "discussions", "sessions", "stats"]);
    expect(tables[0].rows.find((r: Any) => r.qq === ALICE)).toMatchObject({
      friends: 1,
      groups: 1,
      discussions: 1,
    });
    expect(tables[1].rows).toEqual([
      expect.objectContaining({ gid: group.gid, name: "test group", members: 2 }),
    ]);
    expect(tables[2].rows).toEqual([expect.objectContaining({ did, name: "talk", members: 3 })]);
  });

  it("sends as an account: stored in the history and delivered to the other account's poll2", async () => {
    const bob = client();
    await bob.passwordLogin({ qq: BOB, password: "pw-bob" });
    expect(
      (await get("/_sandbox/console/webqq/accounts")).accounts.find((a: Any) => a.id === String(BOB)),
    ).toMatchObject({ online: true });
    const sessions = (await get("/_sandbox/console/webqq/tables")).tables.find(
      (t: Any) => t.id === "sessions",
    );
    expect(sessions.rows).toEqual([expect.objectContaining({ qq: BOB, nick: "bob", status: "online" })]);

    const pair = `u:${ALICE}:${BOB}`;
    const sent = await post("/_sandbox/console/webqq/messages", {
      as: String(ALICE),
      chatId: pair,
      text: "hello bob",
    });
    expect(sent).toEqual({ chatId: pair, messageId: expect.stringMatching(/^\d+$/) });
    const { messages } = await get(`/_sandbox/console/webqq/chats/${pair}/messages?as=${BOB}`);
    expect(messages).toEqual([
      expect.objectContaining({
        id: sent.messageId,
        chatId: pair,
        authorId: String(ALICE),
        authorName: "alice",
        text: "hello bob",
      }),
    ]);
    const polled = await bob.poll();
    expect(polled.retcode).toBe(0);
    const item = (polled.result as Any[]).find((i) => i.poll_type === "message");
    expect(JSON.stringify(item.value.content)).toContain("hello bob");

    // `to` writes into the dialog with a friend; groups and discussions by chat id.
    expect(
      await post("/_sandbox/console/webqq/messages", { as: BOB, to: ALICE, text: "hi alice" }),
    ).toMatchObject({
      chatId: pair,
    });
    await post("/_sandbox/console/webqq/messages", {
      as: ALICE,
      chatId: `g:${group.gid}`,
      text: "hello group",
    });
    const inGroup = await bob.poll();
    expect(inGroup.retcode).toBe(0);
    expect((inGroup.result as Any[]).some((i) => i.poll_type === "group_message")).toBe(true);
    expect(
      (await get(`/_sandbox/console/webqq/chats/g:${group.gid}/messages`)).messages.map((m: Any) => m.text),
    ).toEqual(["hello group"]);
    await post("/_sandbox/console/webqq/messages", { as: CAROL, chatId: `d:${did}`, text: "hello talk" });
    const chats = (await get(`/_sandbox/console/webqq/chats?as=${ALICE}`)).chats;
    expect(chats[0]).toMatchObject({ id: `d:${did}`, lastActivity: expect.any(Number) });

    // Mistakes: not a member, not friends, unknown chat.
    expect(
      (await api(base, "GET", `/_sandbox/console/webqq/chats/${pair}/messages?as=${CAROL}`)).status,
    ).toBe(403);
    expect(
      (
        await api(base, "POST", "/_sandbox/console/webqq/messages", {
          as: DAVE,
          chatId: `g:${group.gid}`,
          text: "x",
        })
      ).status,
    ).toBe(403);
    const notFriends = await api(base, "POST", "/_sandbox/console/webqq/messages", {
      as: CAROL,
      to: DAVE,
      text: "x",
    });
    expect(notFriends.status).toBe(400);
    expect(notFriends.body.error).toContain("not friends");
    expect((await api(base, "GET", "/_sandbox/console/webqq/chats/g:1/messages")).status).toBe(404);
    expect((await api(base, "GET", "/_sandbox/console/webqq/chats/nonsense/messages")).status).toBe(404);
  });

  it("faults: the next poll answers the chosen retcode; sends answer 1202; kick ends the session", async () => {
    const alice = client();
    await alice.passwordLogin({ qq: ALICE, password: "pw-alice" });
    expect(
      await post("/_sandbox/console/webqq/faults", {
        action: "failPolls",
        retcode: "108",
        times: "1",
        account: String(ALICE),
      }),
    ).toEqual({ ok: true });
    expect((await alice.poll()).retcode).toBe(108);

    await post("/_sandbox/console/webqq/faults", {
      action: "failPolls",
      retcode: 100012,
      times: 1,
      account: "",
    });
    await post("/_sandbox/console/webqq/faults", { action: "clear" });
    // Cleared: the poll waits normally and takes the next message.
    const next = alice.poll();
    await post("/_sandbox/console/webqq/messages", { as: BOB, to: ALICE, text: "after clear" });
    expect((await next).retcode).toBe(0);

    expect(
      await post("/_sandbox/console/webqq/faults", { action: "failSends", times: 1, account: ALICE }),
    ).toEqual({
      ok: true,
    });
    const friend = (await alice.friends()).info[0]?.uin as number;
    await expect(alice.sendBuddy(friend, [{ type: "text", text: "lost" }])).rejects.toMatchObject({
      code: 1202,
    });
    // The fault was used up: the next send goes through.
    await alice.sendBuddy(friend, [{ type: "text", text: "kept" }]);
    const texts = (await get(`/_sandbox/console/webqq/chats/u:${ALICE}:${BOB}/messages`)).messages.map(
      (m: Any) => m.text,
    );
    expect(texts).toContain("kept");
    expect(texts).not.toContain("lost");

    const bad = await api(base, "POST", "/_sandbox/console/webqq/faults", { action: "failPolls" });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain("retcode");
    expect((await api(base, "POST", "/_sandbox/console/webqq/faults", { action: "explode" })).status).toBe(
      400,
    );
    expect(
      (await api(base, "POST", "/_sandbox/console/webqq/faults", { action: "kick", account: "12345" }))
        .status,
    ).toBe(404);

    expect(await post("/_sandbox/console/webqq/faults", { action: "kick", account: String(ALICE) })).toEqual({
      ok: true,
      kicked: 1,
    });
    const kicked = await alice.poll();
    expect((kicked.result as Any[] | undefined)?.[0]?.poll_type).toBe("kick_message");
    expect((await alice.poll()).retcode).toBe(121);
    const online = (await get("/_sandbox/console/webqq/accounts")).accounts.find(
      (a: Any) => a.id === String(ALICE),
    );
    expect(online.online).toBe(false);
  });

  it("inbox: the captcha code, and QR logins confirmed from the console", async () => {
    await post("/_sandbox/webqq/captcha", { qq: DAVE, required: true });
    const dave = client();
    await dave.passwordLogin({
      qq: DAVE,
      password: "pw-dave",
      onCaptcha: async () => {
        const { items } = await get("/_sandbox/console/inbox");
        const item = items.find(
          (i: Any) => i.platform === "webqq" && i.kind === "captcha" && i.to.startsWith(`${DAVE}`),
        );
        expect(item).toMatchObject({ status: "new", value: expect.stringMatching(/^[A-Z]{4}$/) });
        expect((await api(base, "GET", `/_sandbox/webqq/captcha?qq=${DAVE}`)).body.code).toBe(item.value);
        const refused = await api(base, "POST", `/_sandbox/console/webqq/inbox/${item.id}/confirm`, {
          as: DAVE,
        });
        expect(refused.status).toBe(400);
        return item.value;
      },
    });
    expect(dave.session?.qq).toBe(DAVE);
    const used = (await get("/_sandbox/console/inbox")).items.find((i: Any) => i.kind === "captcha");
    expect(used.status).toBe("expired");

    const carol = client();
    let qrId = "";
    const session = await carol.qrLogin({
      onQrCode: async () => {
        const { items } = await get("/_sandbox/console/inbox");
        const qr = items.find(
          (i: Any) => i.platform === "webqq" && i.kind === "qr" && i.status === "pending",
        );
        expect(qr).toMatchObject({ confirmable: true, value: "waiting" });
        qrId = qr.id;
        expect(await post(`/_sandbox/console/webqq/inbox/${qr.id}/confirm`, { as: String(CAROL) })).toEqual({
          ok: true,
        });
      },
    });
    expect(session.qq).toBe(CAROL);
    const done = (await get("/_sandbox/console/inbox")).items.find((i: Any) => i.id === qrId);
    expect(done).toMatchObject({ status: "confirmed", confirmable: false });
    expect(
      (await api(base, "POST", `/_sandbox/console/webqq/inbox/${qrId}/confirm`, { as: CAROL })).status,
    ).toBe(404);
    expect(
      (await api(base, "POST", "/_sandbox/console/webqq/inbox/qr:1/confirm", { as: CAROL })).status,
    ).toBe(404);
  });

  it("captures WebQQ HTTP traffic with secrets masked", async () => {
    const bob = client();
    const s = await bob.passwordLogin({ qq: BOB, password: "pw-bob" });
    const polling = bob.poll();
    await post("/_sandbox/console/webqq/messages", { as: ALICE, to: BOB, text: "traced" });
    await polling;
    let records: Any[] = [];
    await until(
      async () => {
        records = (await get(`/_sandbox/console/traffic?platform=webqq&account=${BOB}&limit=5000`)).records;
        return records.some(
          (r) =>
            r.dir === "out" && r.path === "/channel/poll2" && JSON.stringify(r.payload).includes("traced"),
        );
      },
      5000,
      "the poll2 answer in the traffic log",
    );

    const login = records.findLast((r) => r.dir === "in" && r.path?.startsWith("/login?"));
    expect(login).toMatchObject({ method: "GET", account: String(BOB) });
    expect(login.path).toContain(`p=${REDACTED}`);
    expect(login.path).toContain(`u=${BOB}`);
    const check = records.findLast((r) => r.dir === "out" && r.path?.startsWith("/check?"));
    expect(check.payload.body).toMatch(/^ptui_checkVC\('0','\[redacted\]','/);
    const login2Out = records.findLast((r) => r.dir === "out" && r.path === "/channel/login2");
    expect(login2Out).toMatchObject({ status: 200, summary: expect.stringContaining("retcode 0") });
    expect(login2Out.payload.result).toMatchObject({ psessionid: REDACTED, vfwebqq: REDACTED, uin: BOB });
    const pollIn = records.findLast((r) => r.dir === "in" && r.path === "/channel/poll2");
    expect(pollIn.payload.body.r).toMatchObject({ psessionid: REDACTED, clientid: s.clientid });
    expect(pollIn.payload.headers.cookie).toMatchObject({ ptwebqq: REDACTED });
    const checkSig = records.findLast((r) => r.dir === "out" && r.path?.startsWith("/check_sig"));
    expect(checkSig.payload.headers["set-cookie"]).toMatchObject({ ptwebqq: REDACTED, p_uin: `o${BOB}` });

    const everything = JSON.stringify(
      (await get("/_sandbox/console/traffic?platform=webqq&limit=5000")).records,
    );
    for (const secret of [s.psessionid, s.vfwebqq, s.ptwebqq, "pw-bob", "pw-alice"])
      expect(everything).not.toContain(secret);
    const cookieJar = JSON.stringify(s.cookies);
    for (const name of ["skey", "ptcz", "p_skey"]) {
      const value = new RegExp(`"key":"${name}","value":"([^"]+)"`).exec(cookieJar)?.[1];
      if (value) expect(everything).not.toContain(value);
    }
  });
});
