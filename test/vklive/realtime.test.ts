/** Centrifugo protocol v2 (JSON): raw frames against the emulator, then the official client. */
import { Centrifuge, type PublicationContext } from "centrifuge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { VkLiveClient } from "../../src/vklive/client/index.js";
import { signJwt } from "../../src/vklive/emulator/jwt.js";
import type { RealtimeEvent } from "../../src/vklive/index.js";
import { nextTurn } from "../helpers/quiet.js";
import { bearer, type Harness, raw, startEmulator, type World, waitFor, world } from "./harness.js";

let h: Harness;
let w: World;

beforeAll(async () => {
  h = await startEmulator({ pingIntervalSec: 1 });
  w = world(h);
});
afterAll(() => h.close());

const wsUrl = (q = "?format=json&cf_protocol_version=v2") =>
  `${h.base.replace("http", "ws")}/connection/websocket${q}`;

async function token(t = w.viewerToken): Promise<string> {
  return (await raw(h.base, "GET", "/v1/websocket/token", bearer(t))).json.data.token;
}

async function subToken(channel: string, t = w.viewerToken): Promise<string | undefined> {
  const r = await raw(
    h.base,
    "GET",
    `/v1/websocket/subscription_token?channels=${encodeURIComponent(channel)}`,
    bearer(t),
  );
  return r.json.data.channel_tokens[0]?.token;
}

/** A raw protocol peer: frames in, frames out, close code. */
class Peer {
  frames: string[] = [];
  closed: { code: number; reason: string } | undefined;
  autoPong = true;
  constructor(readonly ws: WebSocket) {
    ws.on("message", (d) => {
      const text = d.toString();
      this.frames.push(text);
      if (this.autoPong && text === "{}") ws.send("{}");
    });
    ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
  }
  static async open(url = wsUrl()): Promise<Peer> {
    const ws = new WebSocket(url);
    const p = new Peer(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return p;
  }
  send(...cmds: unknown[]): void {
    this.ws.send(cmds.map((c) => JSON.stringify(c)).join("\n"));
  }
  /** All replies (frames split on newlines) parsed. */
  replies(): Record<string, unknown>[] {
    return this.frames
      .flatMap((f) => f.split("\n"))
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l));
  }
  async reply(id: number): Promise<Record<string, unknown>> {
    await waitFor(
      () => this.replies().some((r) => r.id === id) || this.closed !== undefined,
      3000,
      `reply ${id}`,
    );
    const r = this.replies().find((x) => x.id === id);
    if (!r) throw new Error(`closed ${JSON.stringify(this.closed)}`);
    return r;
  }
  async push(pred: (p: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    await waitFor(
      () => this.replies().some((r) => r.push !== undefined && pred(r.push as Record<string, unknown>)),
      3000,
      "push",
    );
    return this.replies().find((r) => r.push !== undefined && pred(r.push as Record<string, unknown>))
      ?.push as Record<string, unknown>;
  }
  async closedWith(): Promise<{ code: number; reason: string }> {
    await waitFor(() => this.closed !== undefined, 3000, "close");
    return this.closed as { code: number; reason: string };
  }
  close(): void {
    this.ws.close();
  }
}

describe("raw Centrifugo frames", () => {
  it("connect + subscribe batched in one frame; replies batched; publication push on chat send", async () => {
    const p = await Peer.open();
    const chat = `channel-chat:${w.channelId}`;
    p.send({ id: 1, connect: { token: await token(), name: "js" } }, { id: 2, subscribe: { channel: chat } });
    const c = await p.reply(1);
    expect(c.connect).toMatchObject({ ping: 1, pong: true, expires: true });
    expect(typeof (c.connect as { client: string }).client).toBe("string");
    expect(await p.reply(2)).toMatchObject({ id: 2, subscribe: { recoverable: true } });
    expect(p.frames.some((f) => f.includes("\n"))).toBe(true);
    await raw(
      h.base,
      "POST",
      `/v1/chat/message/send?channel_url=${w.channelUrl}`,
      { ...bearer(w.ownerToken), "content-type": "application/json" },
      JSON.stringify({ parts: [{ text: { content: "to the wire" } }] }),
    );
    const push = await p.push((x) => x.channel === chat);
    const pub = push.pub as {
      data: { type: string; data: { chat_message: { parts: unknown[] }; channel_url: string } };
      offset: number;
    };
    expect(pub.data.type).toBe("channel_chat_message_send");
    expect(pub.data.data.chat_message.parts).toEqual([{ text: { content: "to the wire" } }]);
    expect(pub.offset).toBeGreaterThan(0);
    // Unsubscribe, publish, nothing more arrives on that channel.
    p.send({ id: 3, unsubscribe: { channel: chat } });
    expect(await p.reply(3)).toEqual({ id: 3, unsubscribe: {} });
    p.close();
  });

  it("server ping {} is answered by {}; a peer that never pongs is cut with 3012", async () => {
    const p = await Peer.open();
    p.send({ id: 1, connect: { token: await token() } });
    await p.reply(1);
    await waitFor(() => p.frames.includes("{}"), 3000, "ping");
    // Answered pings keep it open through the next tick: two more pings mean the server's
    // pong check ran after an answered ping and let it live (an event, not a sleep).
    const pings = () => p.frames.filter((f) => f === "{}").length;
    const seen = pings();
    await waitFor(() => pings() >= seen + 2 || p.closed !== undefined, 5000, "two more pings");
    expect(p.closed).toBeUndefined();
    p.autoPong = false;
    const closed = await p.closedWith();
    expect(closed.code).toBe(3012);
  });

  it("private ($) channels need a subscription token for this user and channel", async () => {
    const p = await Peer.open();
    p.send({ id: 1, connect: { token: await token(w.ownerToken) } });
    await p.reply(1);
    const priv = `$channel-info-private:${w.channelId}`;
    p.send({ id: 2, subscribe: { channel: priv } });
    expect((await p.reply(2)).error).toEqual({ code: 103, message: "permission denied" });
    const other = `$channel-points-private:${w.channelId}`;
    p.send({ id: 3, subscribe: { channel: priv, token: await subToken(other, w.ownerToken) } });
    expect((await p.reply(3)).error).toMatchObject({ code: 103 });
    p.send({ id: 4, subscribe: { channel: priv, token: await subToken(priv, w.ownerToken) } });
    expect((await p.reply(4)).subscribe).toBeDefined();
    p.send({ id: 5, subscribe: { channel: priv, token: await subToken(priv, w.ownerToken) } });
    expect((await p.reply(5)).error).toMatchObject({ code: 105 });
    p.send(
      { id: 6, subscribe: { channel: "channel-chat:999999" } },
      { id: 7, subscribe: { channel: "weird" } },
    );
    expect((await p.reply(6)).error).toMatchObject({ code: 102 });
    expect((await p.reply(7)).error).toMatchObject({ code: 102 });
    const expired = signJwt({ sub: String(w.owner), channel: priv, exp: 1 }, "x");
    p.send({ id: 8, subscribe: { channel: `$channel-chat-private:${w.channelId}`, token: expired } });
    expect((await p.reply(8)).error).toMatchObject({ code: 103 });
    p.send(
      { id: 9, publish: { channel: priv, data: {} } },
      { id: 10, history: { channel: priv } },
      { id: 11, rpc: { method: "x" } },
    );
    expect((await p.reply(9)).error).toMatchObject({ code: 103 });
    expect((await p.reply(10)).error).toMatchObject({ code: 108 });
    expect((await p.reply(11)).error).toMatchObject({ code: 104 });
    p.close();
  });

  it("bad input closes with the protocol's codes, never crashes", async () => {
    const before = await Peer.open();
    before.send({ id: 1, subscribe: { channel: "x" } });
    expect((await before.closedWith()).code).toBe(3501);
    const garbage = await Peer.open();
    garbage.ws.send("{nope");
    expect((await garbage.closedWith()).code).toBe(3501);
    const bad = await Peer.open();
    bad.send({ id: 1, connect: { token: "a.b.c" } });
    expect(await bad.closedWith()).toEqual({ code: 3500, reason: "invalid token" });
    const none = await Peer.open();
    none.send({ id: 1, connect: {} });
    expect((await none.reply(1)).error).toMatchObject({ code: 101 });
    const old = await Peer.open(wsUrl("?cf_protocol_version=v1"));
    expect((await old.closedWith()).code).toBe(3506);
    const binary = await Peer.open();
    binary.ws.send(Buffer.from([1, 2, 3]));
    expect((await binary.closedWith()).code).toBe(3501);
    const noId = await Peer.open();
    noId.send({ connect: { token: await token() } });
    expect((await noId.closedWith()).code).toBe(3501);
    // Still serving.
    const ok = await Peer.open();
    ok.send({ id: 1, connect: { token: await token() } });
    expect((await ok.reply(1)).connect).toBeDefined();
    ok.close();
  });

  it("an expired connection token answers 109; refresh extends the session", async () => {
    const t = h.emu.admin.issueToken({ clientId: w.clientId, userId: w.viewer, scopes: [], expiresIn: 5 });
    const short = await token(t.access_token);
    h.advance(6000);
    try {
      const p = await Peer.open();
      p.send({ id: 1, connect: { token: short } });
      expect((await p.reply(1)).error).toEqual({ code: 109, message: "token expired" });
      p.close();
    } finally {
      h.now.value = null;
    }
    const p = await Peer.open();
    p.send({ id: 1, connect: { token: short } });
    await p.reply(1);
    p.send({ id: 2, refresh: { token: await token() } });
    expect((await p.reply(2)).refresh).toMatchObject({ expires: true });
    p.close();
  });

  it("a session whose token expired and was not refreshed is closed with 3005 (client reconnects)", async () => {
    const t = h.emu.admin.issueToken({ clientId: w.clientId, userId: w.viewer, scopes: [], expiresIn: 5 });
    const p = await Peer.open();
    p.send({ id: 1, connect: { token: await token(t.access_token) } });
    await p.reply(1);
    h.advance(31_000);
    try {
      expect(await p.closedWith()).toEqual({ code: 3005, reason: "expired" });
    } finally {
      h.now.value = null;
    }
  });

  it("the unknown upgrade path is refused", async () => {
    const ws = new WebSocket(`${h.base.replace("http", "ws")}/elsewhere`);
    const err = await new Promise<Error>((resolve) => ws.once("error", resolve));
    expect(err.message).toContain("404");
  });
});

describe("official centrifuge client", () => {
  it("connects with getToken, subscribes (public + private with getToken), receives every event type", async () => {
    const c = new Centrifuge(wsUrl(), {
      websocket: WebSocket,
      getToken: () => token(w.ownerToken),
      minReconnectDelay: 50,
      maxReconnectDelay: 200,
    });
    const got: { channel: string; type: string }[] = [];
    const onPub = (channel: string) => (ctx: PublicationContext) =>
      got.push({ channel, type: (ctx.data as { type: string }).type });
    const names = [
      `channel-chat:${w.channelId}`,
      `channel-info:${w.channelId}`,
      `$channel-info-private:${w.channelId}`,
      `$channel-points-private:${w.channelId}`,
    ];
    for (const n of names) {
      const sub = c.newSubscription(
        n,
        n.startsWith("$") ? { getToken: async () => (await subToken(n, w.ownerToken)) ?? "" } : {},
      );
      sub.on("publication", onPub(n));
      sub.subscribe();
    }
    c.connect();
    await c.ready(3000);
    await Promise.all(names.map((n) => c.getSubscription(n)?.ready(3000)));
    const a = h.emu.admin;
    const fan = a.createUser({ nick: "fan" }).userId;
    const other = a.createUser({ nick: "raider" }).userId;
    a.createChannel({ ownerId: other, url: "raider" });
    const { rewardId } = a.createReward({ channelUrl: w.channelUrl, name: "Hi", price: 0 });
    a.startStream({ channelUrl: w.channelUrl });
    const { messageId } = a.postMessage({ channelUrl: w.channelUrl, userId: fan, text: "hello" });
    a.deleteMessage({ channelUrl: w.channelUrl, messageId });
    a.follow({ channelUrl: w.channelUrl, userId: fan });
    a.raid({ channelUrl: w.channelUrl, fromChannelUrl: "raider", viewers: 42 });
    a.demandReward({ channelUrl: w.channelUrl, userId: fan, rewardId, text: "please" });
    a.stopStream({ channelUrl: w.channelUrl });
    await waitFor(() => got.length >= 7, 3000, "7 events");
    expect(got).toEqual([
      { channel: names[1], type: "channel_stream_start" },
      { channel: names[0], type: "channel_chat_message_send" },
      { channel: names[0], type: "channel_chat_message_delete" },
      { channel: names[2], type: "channel_follow_create" },
      { channel: names[1], type: "channel_raid_income" },
      { channel: names[3], type: "channel_points_reward_demand_create" },
      { channel: names[1], type: "channel_stream_end" },
    ]);
    c.disconnect();
  });

  it("refreshes an expiring connection token (refresh command) and stays connected", async () => {
    const short = h.emu.admin.issueToken({
      clientId: w.clientId,
      userId: w.viewer,
      scopes: [],
      expiresIn: 2,
    });
    let calls = 0;
    let handedOver = false;
    const c = new Centrifuge(wsUrl(), {
      websocket: WebSocket,
      getToken: async () => {
        if (++calls === 1) return token(short.access_token);
        const t = await token();
        handedOver = true;
        return t;
      },
    });
    let disconnects = 0;
    c.on("disconnected", () => disconnects++);
    c.on("connecting", () => disconnects++);
    c.connect();
    await c.ready(3000);
    const before = disconnects;
    await waitFor(() => calls >= 2, 5000, "token refresh");
    // Sentinel: a raw peer on a token as short as the first one, never refreshed. Moving the
    // clock past both tokens' expiry (+ the 25 s close delay) makes the hub's next expiry pass
    // close the sentinel with 3005; the same pass would have closed the client had its refresh
    // not taken. So when the sentinel is closed, the client's fate is known — no sleep.
    const sentinelToken = h.emu.admin.issueToken({
      clientId: w.clientId,
      userId: w.viewer,
      scopes: [],
      expiresIn: 2,
    });
    const sentinel = await Peer.open();
    sentinel.send({ id: 1, connect: { token: await token(sentinelToken.access_token) } });
    await sentinel.reply(1);
    // The refresh command went out once the second token was handed over; an rpc on the same
    // socket is answered after it (frames are handled in order), so the refresh took effect.
    await waitFor(() => handedOver, 5000, "second token handed over");
    await nextTurn();
    await c.rpc("sentinel", {}).catch(() => undefined);
    try {
      h.advance(30_000);
      const closed = await sentinel.closedWith();
      expect(closed.code).toBe(3005);
      expect(c.state).toBe("connected");
      expect(disconnects).toBe(before);
    } finally {
      h.now.value = null;
      c.disconnect();
    }
  });

  it("a viewer's private subscription is refused (no token from the API)", async () => {
    const c = new Centrifuge(wsUrl(), { websocket: WebSocket, getToken: () => token() });
    const n = `$channel-info-private:${w.channelId}`;
    const sub = c.newSubscription(n, { getToken: async () => (await subToken(n)) ?? "" });
    const state = new Promise<string>((resolve) =>
      sub.on("unsubscribed", (ctx) => resolve(String(ctx.code))),
    );
    sub.subscribe();
    c.connect();
    expect(await state).not.toBe("");
    c.disconnect();
  });

  it("reconnects after a dropped connection, resubscribes and recovers missed publications", async () => {
    const c = new Centrifuge(wsUrl(), {
      websocket: WebSocket,
      getToken: () => token(),
      minReconnectDelay: 100,
      maxReconnectDelay: 300,
    });
    const chat = `channel-chat:${w.channelId}`;
    const texts: string[] = [];
    const sub = c.newSubscription(chat);
    sub.on("publication", (ctx) => {
      const d = ctx.data as {
        type: string;
        data: { chat_message?: { parts: { text?: { content: string } }[] } };
      };
      if (d.type === "channel_chat_message_send")
        texts.push(d.data.chat_message?.parts[0]?.text?.content ?? "");
    });
    let connects = 0;
    c.on("connected", () => connects++);
    sub.subscribe();
    c.connect();
    await sub.ready(3000);
    h.emu.admin.postMessage({ channelUrl: w.channelUrl, userId: w.owner, text: "before" });
    await waitFor(() => texts.includes("before"), 3000, "before");
    expect(h.emu.admin.dropConnections(w.viewer)).toBe(1);
    // Published while the client is away: recovered from history on resubscribe.
    h.emu.admin.postMessage({ channelUrl: w.channelUrl, userId: w.owner, text: "while away" });
    await waitFor(() => connects >= 2, 5000, "reconnect");
    await waitFor(() => texts.includes("while away"), 3000, "recovered");
    h.emu.admin.postMessage({ channelUrl: w.channelUrl, userId: w.owner, text: "after" });
    await waitFor(() => texts.includes("after"), 3000, "after");
    expect(texts).toEqual(["before", "while away", "after"]);
    c.disconnect();
  });
});

describe("VkLiveClient realtime", () => {
  it("chat(url).events() yields typed events; realtime state changes are reported", async () => {
    const client = new VkLiveClient({
      url: h.base,
      tokens: { accessToken: w.ownerToken, tokenType: "Bearer" },
    });
    const ctl = new AbortController();
    const seen: RealtimeEvent[] = [];
    const done = (async () => {
      for await (const e of client.chat(w.channelUrl).events({ signal: ctl.signal, private: true })) {
        seen.push(e);
        if (seen.length === 2) ctl.abort();
      }
    })();
    const rt = await client.realtime();
    await waitFor(
      () => rt.centrifuge.getSubscription(`channel-chat:${w.channelId}`)?.state === "subscribed",
      3000,
      "subscribed",
    );
    await waitFor(
      () => rt.centrifuge.getSubscription(`$channel-info-private:${w.channelId}`)?.state === "subscribed",
      3000,
      "private",
    );
    const typed: string[] = [];
    rt.on("channel_follow_create", (e) => {
      typed.push(e.event.data.user.nick);
    });
    await client.chat(w.channelUrl).send("via client");
    const u = h.emu.admin.createUser({ nick: "newfan" }).userId;
    h.emu.admin.follow({ channelUrl: w.channelUrl, userId: u });
    await done;
    expect(seen.map((e) => e.event.type)).toEqual(["channel_chat_message_send", "channel_follow_create"]);
    expect(typed).toEqual(["newfan"]);
    const e0 = seen[0]?.event;
    if (e0?.type === "channel_chat_message_send")
      expect(e0.data.chat_message.parts[0]?.text?.content).toBe("via client");
    await client.close();
  });
});

describe("shutdown", () => {
  it("closing the emulator (Fastify close) ends pubsub sessions with 3001 promptly", async () => {
    const h2 = await startEmulator();
    const w2 = world(h2);
    const t = (await raw(h2.base, "GET", "/v1/websocket/token", bearer(w2.viewerToken))).json.data.token;
    const ws = new WebSocket(`${h2.base.replace("http", "ws")}/connection/websocket`);
    await new Promise((r) => ws.once("open", r));
    ws.send(JSON.stringify({ id: 1, connect: { token: t } }));
    await new Promise((r) => ws.once("message", r));
    const closed = new Promise<number>((r) => ws.once("close", (c) => r(c)));
    await h2.emu.app.close();
    expect(await closed).toBe(3001);
  });
});
