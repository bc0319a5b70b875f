/** The VK Live console provider through the console's JSON routes, against a real sandbox (no browser). */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Centrifuge, type PublicationContext } from "centrifuge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { REDACTED } from "../../src/core/redact.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { api } from "../sandbox/proc.js";
import { until } from "./helpers.js";

// biome-ignore lint/suspicious/noExplicitAny: route answers are inspected loosely
type Any = any;

describe("console: VK Live", () => {
  let sb: Sandbox;
  let base: string;
  let vk: string;
  let app: { clientId: string; secret: string; signatureKey: string };
  let alice: number;
  let bob: number;
  let channelId: number;
  let bobToken: string;
  let bobRefresh: string;
  let redirect: Server;
  let redirectUri: string;
  const callbacks: string[] = [];
  const centrifuges: Centrifuge[] = [];

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
  const rest = async (path: string, token = bobToken, init: RequestInit = {}) => {
    const res = await fetch(vk + path, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
    });
    return { status: res.status, headers: res.headers, json: (await res.json()) as Any };
  };
  const vkTraffic = async () =>
    (await get("/_sandbox/console/traffic?platform=vklive&limit=5000")).records as Any[];

  beforeAll(async () => {
    redirect = createServer((req, res) => {
      callbacks.push(req.url ?? "");
      res.end("ok");
    });
    await new Promise<void>((r) => redirect.listen(0, "127.0.0.1", r));
    redirectUri = `http://127.0.0.1:${(redirect.address() as AddressInfo).port}/cb`;
    sb = await startSandbox({ port: 0, data: null });
    base = sb.urls.console;
    vk = sb.urls.vklive;
    app = await post("/_sandbox/vklive/apps", { redirectUri });
    alice = (await post("/_sandbox/vklive/users", { nick: "alice" })).userId;
    bob = (await post("/_sandbox/vklive/users", { nick: "bob" })).userId;
    channelId = (await post("/_sandbox/vklive/channels", { ownerId: alice, url: "alice_live" })).channelId;
    await post("/_sandbox/vklive/streams/start", { channelUrl: "alice_live", title: "hello stream" });
    const t = await post("/_sandbox/vklive/tokens", {
      clientId: app.clientId,
      userId: bob,
      scopes: ["chat:message:send"],
    });
    bobToken = t.access_token;
    bobRefresh = t.refresh_token;
    await post("/_sandbox/console/traffic/record", { on: true });
  });
  afterAll(async () => {
    for (const c of centrifuges) c.disconnect();
    await sb?.close();
    await new Promise((r) => redirect?.close(r));
  });

  it("is a console platform with its features and fault forms", async () => {
    const { platforms } = await get("/_sandbox/console/platforms");
    const p = platforms.find((x: Any) => x.id === "vklive");
    expect(p).toMatchObject({ available: true, title: "VK Video Live", url: vk });
    expect(p.features).toEqual(
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
    // The "+" form creates a channel (its stream chat); VK Live has no groups.
    expect(p.features).toContain("createChat");
    expect(p.chatKinds).toEqual(["channel"]);
    expect(p.faults.map((f: Any) => f.action)).toEqual(["fail", "ratelimit", "drop", "delay", "clear"]);
  });

  it("lists users, channels' stream chats and the tables, never a secret", async () => {
    const { accounts } = await get("/_sandbox/console/vklive/accounts");
    expect(accounts).toEqual([
      { id: String(alice), name: "alice", detail: `id ${alice} · channel alice_live` },
      { id: String(bob), name: "bob", detail: `id ${bob}` },
    ]);
    const { chats } = await get("/_sandbox/console/vklive/chats");
    expect(chats).toEqual([
      expect.objectContaining({ id: "alice_live", kind: "stream", title: "alice_live · live", members: 0 }),
    ]);
    const { tables } = await get("/_sandbox/console/vklive/tables");
    const byId = Object.fromEntries(tables.map((t: Any) => [t.id, t]));
    expect(Object.keys(byId)).toEqual([
      "apps",
      "users",
      "channels",
      "tokens",
      "codes",
      "deliveries",
      "stats",
      "faults",
    ]);
    expect(byId.apps.rows).toEqual([
      expect.objectContaining({ client_id: app.clientId, redirect_uri: redirectUri, grants: 1 }),
    ]);
    expect(byId.users.rows.map((u: Any) => u.nick)).toEqual(["alice", "bob"]);
    expect(byId.channels.rows).toEqual([
      expect.objectContaining({
        id: channelId,
        url: "alice_live",
        owner: "alice",
        stream: "online",
        stream_title: "hello stream",
      }),
    ]);
    expect(byId.tokens.rows.map((t: Any) => [t.kind, t.user_id, t.flow, t.scopes]).sort()).toEqual([
      ["access", bob, "admin", "chat:message:send"],
      ["refresh", bob, "admin", "chat:message:send"],
    ]);
    const text = JSON.stringify(tables);
    for (const secret of [bobToken, bobRefresh, app.secret, app.signatureKey])
      expect(text).not.toContain(secret);
    expect(text).not.toContain("token_hash");
    expect(text).not.toContain("stream_key");
  });

  it("writes as a user into a channel's chat: REST history, raw Centrifugo and the official client see it", async () => {
    const wsToken = (await rest("/v1/websocket/token")).json.data.token as string;
    // Raw protocol peer.
    const ws = new WebSocket(
      `${vk.replace("http", "ws")}/connection/websocket?format=json&cf_protocol_version=v2`,
    );
    const frames: Any[] = [];
    ws.on("message", (d) => {
      for (const line of d.toString().split("\n")) if (line.trim()) frames.push(JSON.parse(line));
    });
    await new Promise((r, j) => {
      ws.once("open", r);
      ws.once("error", j);
    });
    ws.send(
      `${JSON.stringify({ id: 1, connect: { token: wsToken } })}\n${JSON.stringify({ id: 2, subscribe: { channel: `channel-chat:${channelId}` } })}`,
    );
    await until(() => frames.some((f) => f.id === 2), 3000, "raw subscribe");
    expect(frames.find((f) => f.id === 2).error).toBeUndefined();
    // The official client.
    const c = new Centrifuge(`${vk.replace("http", "ws")}/connection/websocket`, {
      websocket: WebSocket,
      token: wsToken,
    });
    centrifuges.push(c);
    const pubs: Any[] = [];
    const sub = c.newSubscription(`channel-chat:${channelId}`);
    sub.on("publication", (ctx: PublicationContext) => pubs.push(ctx.data));
    sub.subscribe();
    c.connect();
    await sub.ready(3000);

    const sent = await post("/_sandbox/console/vklive/messages", {
      as: bob,
      chatId: "alice_live",
      text: "hi from the console",
    });
    expect(sent).toEqual({ chatId: "alice_live", messageId: expect.any(String) });

    await until(() => frames.some((f) => f.push), 3000, "raw push");
    const push = frames.find((f) => f.push).push;
    expect(push.channel).toBe(`channel-chat:${channelId}`);
    expect(push.pub.data).toMatchObject({
      type: "channel_chat_message_send",
      data: {
        channel_url: "alice_live",
        chat_message: {
          id: Number(sent.messageId),
          author: { id: bob, nick: "bob" },
          parts: [{ text: { content: "hi from the console" } }],
        },
      },
    });
    await until(() => pubs.length > 0, 3000, "centrifuge publication");
    expect(pubs[0].data.chat_message.id).toBe(Number(sent.messageId));

    const history = await rest("/v1/chat/messages?channel_url=alice_live&limit=10");
    expect(history.status).toBe(200);
    expect(history.json.data.chat_messages[0]).toMatchObject({
      id: Number(sent.messageId),
      author: { id: bob },
      parts: [{ text: { content: "hi from the console" } }],
    });
    const { messages } = await get("/_sandbox/console/vklive/chats/alice_live/messages?limit=10");
    expect(messages).toEqual([
      expect.objectContaining({
        id: sent.messageId,
        chatId: "alice_live",
        authorId: String(bob),
        authorName: "bob",
        text: "hi from the console",
      }),
    ]);

    // Errors are the caller's: unknown channel / user, no direct chats, too long.
    expect(
      (await api(base, "POST", "/_sandbox/console/vklive/messages", { as: bob, chatId: "nope", text: "x" }))
        .status,
    ).toBe(404);
    expect(
      (
        await api(base, "POST", "/_sandbox/console/vklive/messages", {
          as: 999,
          chatId: "alice_live",
          text: "x",
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await api(base, "POST", "/_sandbox/console/vklive/messages", {
          as: bob,
          to: String(alice),
          text: "x",
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await api(base, "POST", "/_sandbox/console/vklive/messages", {
          as: bob,
          chatId: "alice_live",
          text: "x".repeat(600),
        })
      ).status,
    ).toBe(400);
    expect((await api(base, "GET", "/_sandbox/console/vklive/chats/nope/messages")).status).toBe(404);

    // Centrifugo frames are in the inspector, with the connect token masked.
    await until(
      async () => (await vkTraffic()).some((r) => r.conn && /push channel-chat/.test(r.summary)),
      3000,
      "ws traffic",
    );
    const records = await vkTraffic();
    const connect = records.find((r) => r.conn && r.dir === "in" && /^connect/.test(r.summary ?? ""));
    expect(connect).toMatchObject({
      account: String(bob),
      payload: [{ id: 1, connect: { token: REDACTED } }, expect.anything()],
    });

    // Drop fault: the raw socket is closed, the official client reconnects.
    const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
    const dropped = await post("/_sandbox/console/vklive/faults", { action: "drop", account: String(bob) });
    expect(dropped.dropped).toBe(2);
    expect(await closed).toBe(3000);
    await until(() => c.state === "connected", 5000, "centrifuge reconnect");
    expect(JSON.stringify(await vkTraffic())).not.toContain(wsToken);
  });

  it("faults: fail next with the chosen error (and status), rate limit, delay, clear", async () => {
    await post("/_sandbox/console/vklive/faults", {
      action: "fail",
      error: "send_too_fast",
      times: "1",
      path: "",
    });
    let r = await rest("/v1/current_user");
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: "send_too_fast", error_description: "Sending messages too fast" });
    expect((await rest("/v1/current_user")).status).toBe(200);

    await post("/_sandbox/console/vklive/faults", {
      action: "fail",
      error: "service_unavailable",
      status: 502,
      times: 2,
      path: "/v1/current_user",
    });
    expect((await rest("/v1/chat/messages?channel_url=alice_live&limit=1")).status).toBe(200);
    r = await rest("/v1/current_user");
    expect(r.status).toBe(502);
    expect(r.json.error).toBe("service_unavailable");
    expect((await rest("/v1/current_user")).status).toBe(502);
    expect((await rest("/v1/current_user")).status).toBe(200);

    await post("/_sandbox/console/vklive/faults", { action: "ratelimit", limit: 1, windowMs: 60_000 });
    expect((await rest("/v1/current_user")).status).toBe(200);
    r = await rest("/v1/current_user");
    expect(r.status).toBe(429);
    expect(r.json.error).toBe("ratelimit_exceeded");
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    const { tables } = await get("/_sandbox/console/vklive/tables");
    expect(tables.find((t: Any) => t.id === "faults").rows).toEqual([
      expect.objectContaining({ fault: "ratelimit" }),
    ]);
    await post("/_sandbox/console/vklive/faults", { action: "clear" });
    expect((await rest("/v1/current_user")).status).toBe(200);

    await post("/_sandbox/console/vklive/faults", { action: "delay", ms: 300, durationMs: 60_000 });
    const t0 = Date.now();
    expect((await rest("/v1/current_user")).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    await post("/_sandbox/console/vklive/faults", { action: "clear" });

    expect(
      (await api(base, "POST", "/_sandbox/console/vklive/faults", { action: "fail", error: "nope" })).status,
    ).toBe(400);
    expect((await api(base, "POST", "/_sandbox/console/vklive/faults", { action: "explode" })).status).toBe(
      400,
    );
  });

  it("consent windows reach the inbox; Confirm grants and delivers the code to a loopback app", async () => {
    const q = new URLSearchParams({
      client_id: app.clientId,
      redirect_uri: redirectUri,
      response_type: "code",
      scope: "chat:message:send",
      state: "st-1",
    });
    const page = await fetch(`${vk}/app/oauth2/authorize?${q}`);
    expect(page.status).toBe(200);
    await page.text();
    const { items } = await get("/_sandbox/console/inbox");
    const item = items.find((i: Any) => i.platform === "vklive");
    expect(item).toMatchObject({ kind: "consent", to: app.clientId, status: "pending", confirmable: true });
    expect(item.value).toContain("chat:message:send");

    expect(
      (await api(base, "POST", `/_sandbox/console/vklive/inbox/${item.id}/confirm`, { as: 999 })).status,
    ).toBe(404);
    await post(`/_sandbox/console/vklive/inbox/${item.id}/confirm`, { as: String(alice) });
    await until(() => callbacks.length > 0, 3000, "redirect delivered");
    const cb = new URL(callbacks[0] as string, "http://x");
    expect(cb.pathname).toBe("/cb");
    expect(cb.searchParams.get("state")).toBe("st-1");
    const code = cb.searchParams.get("code") as string;
    expect(code).toBeTruthy();
    const after = (await get("/_sandbox/console/inbox")).items.find((i: Any) => i.id === item.id);
    expect(after).toMatchObject({ status: "confirmed", confirmable: false });
    expect(after.value).toContain(`user ${alice}`);
    expect(
      (await api(base, "POST", `/_sandbox/console/vklive/inbox/${item.id}/confirm`, { as: alice })).status,
    ).toBe(409);

    // The app exchanges the code: the token request and answer are masked in the inspector.
    const res = await fetch(`${vk}/oauth/server/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: redirectUri,
        client_id: app.clientId,
        client_secret: app.secret,
      }).toString(),
    });
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as Any;
    const { tables } = await get("/_sandbox/console/vklive/tables");
    const codes = tables.find((t: Any) => t.id === "codes").rows;
    expect(codes).toEqual([expect.objectContaining({ client_id: app.clientId, user_id: alice, used: 1 })]);

    // A consent decided in the window itself is marked too.
    const q2 = new URLSearchParams({
      client_id: app.clientId,
      redirect_uri: redirectUri,
      response_type: "token",
    });
    await (await fetch(`${vk}/app/oauth2/authorize?${q2}`)).text();
    const html = await (await fetch(`${vk}/app/oauth2/authorize?${q2}`)).text();
    const pending = (await get("/_sandbox/console/inbox")).items.filter(
      (i: Any) => i.platform === "vklive" && i.status === "pending",
    );
    expect(pending).toHaveLength(1); // the same window twice is one item
    const mac = /name="consent" value="([^"]+)"/.exec(html)?.[1] as string;
    const decided = await fetch(`${vk}/app/oauth2/authorize`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        ...Object.fromEntries(q2),
        scope: "",
        consent: mac,
        user_id: String(bob),
        decision: "deny",
      }).toString(),
    });
    expect(decided.status).toBe(302);
    const denied = (await get("/_sandbox/console/inbox")).items.find((i: Any) => i.id === pending[0].id);
    expect(denied).toMatchObject({ status: "expired", confirmable: false });
    expect(denied.value).toContain("access_denied");

    // Traffic: Authorization, client secret, code and tokens are masked everywhere.
    const records = await vkTraffic();
    const text = JSON.stringify(records);
    for (const secret of [bobToken, app.secret, code, tokens.access_token, tokens.refresh_token, mac]) {
      expect(text).not.toContain(secret);
    }
    const tokenReq = records.find((r) => r.dir === "in" && r.path === "/oauth/server/token");
    expect(tokenReq.payload.body).toMatchObject({
      code: REDACTED,
      client_secret: REDACTED,
      grant_type: "authorization_code",
    });
    const tokenRes = records.find((r) => r.dir === "out" && r.path === "/oauth/server/token");
    expect(tokenRes.payload).toMatchObject({ access_token: REDACTED, refresh_token: REDACTED });
    const restReq = records.find((r) => r.dir === "in" && r.path === "/v1/current_user");
    expect(restReq).toMatchObject({
      account: String(bob),
      payload: { headers: { authorization: REDACTED } },
    });
    const fault = records.find((r) => r.dir === "out" && r.status === 429);
    expect(fault.summary).toContain("ratelimit_exceeded");
  });

  it('"+" creates a channel owned by the acting user, followed by the chosen members', async () => {
    const created = await post("/_sandbox/console/vklive/chats", {
      as: String(bob),
      kind: "channel",
      title: "bob_channel",
      members: [String(alice)],
    });
    expect(created).toEqual({ chatId: "bob_channel" });
    const { chats } = await get("/_sandbox/console/vklive/chats");
    expect(chats).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: "bob_channel", kind: "stream", title: "bob_channel", members: 1 }),
      ]),
    );
    // The emulator's own REST API has the channel, owned by bob.
    const channel = await fetch(`${vk}/v1/channel?channel_url=bob_channel`, {
      headers: { authorization: `Bearer ${bobToken}` },
    });
    expect(channel.status).toBe(200);
    expect(((await channel.json()) as Any).data.owner).toMatchObject({ id: bob });
    // Writing into it works like any stream chat.
    const sent = await post("/_sandbox/console/vklive/messages", {
      as: String(alice),
      chatId: "bob_channel",
      text: "first!",
    });
    expect(sent.chatId).toBe("bob_channel");

    // Refusals: groups, a url VK Live can't have, a taken url, an unknown user.
    const bad = (body: unknown) => api(base, "POST", "/_sandbox/console/vklive/chats", body);
    expect((await bad({ as: String(bob), kind: "group", title: "g", members: [] })).status).toBe(400);
    const spaced = await bad({ as: String(bob), kind: "channel", title: "has spaces", members: [] });
    expect(spaced.status).toBe(400);
    expect(spaced.body.error).toContain("channel url");
    const taken = await bad({ as: String(alice), kind: "channel", title: "bob_channel", members: [] });
    expect(taken.status).toBe(400);
    expect(taken.body.error).toContain("taken");
    expect((await bad({ as: "999", kind: "channel", title: "x_y", members: [] })).status).toBe(404);
  });
});
