/** Conformance of the REST methods with raw HTTP, written from seed 003 (not from our client). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basic, bearer, type Harness, json, raw, startEmulator, type World, world } from "./harness.js";

let h: Harness;
let w: World;

beforeAll(async () => {
  h = await startEmulator();
  w = world(h);
});
afterAll(() => h.close());

const get = (path: string, token = w.viewerToken) => raw(h.base, "GET", path, bearer(token));
const post = (path: string, body: unknown, token = w.viewerToken) =>
  raw(
    h.base,
    "POST",
    path,
    { ...bearer(token), ...json },
    typeof body === "string" ? body : JSON.stringify(body),
  );
const send = (text: string, token = w.viewerToken, url = w.channelUrl) =>
  post(`/v1/chat/message/send?channel_url=${url}`, { parts: [{ text: { content: text } }] }, token);

describe("seed examples", () => {
  it("401 body is exactly the seed's", async () => {
    const r = await raw(h.base, "GET", "/v1/websocket/token");
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ error: "unauthorized", error_description: "Not authorized" });
    expect((await get("/v1/websocket/token", "garbage")).json).toEqual({
      error: "unauthorized",
      error_description: "Not authorized",
    });
  });

  it("403 body is exactly the seed's", async () => {
    const r = await get(`/v1/channel/credentials?channel_url=${w.channelUrl}`);
    expect(r.status).toBe(403);
    expect(r.json).toEqual({ error: "forbidden", error_description: "Access to resource forbidden" });
  });

  it('GET /v1/websocket/token → {"data":{"token":"string"}} for a user and for the app (Basic)', async () => {
    const r = await get("/v1/websocket/token");
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(["data"]);
    expect(typeof r.json.data.token).toBe("string");
    expect(r.json.data.token.split(".")).toHaveLength(3);
    const app = await raw(h.base, "GET", "/v1/websocket/token", basic(w.clientId, w.secret));
    expect(app.status).toBe(200);
    expect(typeof app.json.data.token).toBe("string");
  });

  it("GET /v1/websocket/subscription_token?channels=a,b → channel_tokens only for accessible channels", async () => {
    const names = `$channel-info-private:${w.channelId},channel-chat:${w.channelId},$channel-chat-private:${w.channelId},nonsense`;
    const viewer = await get(`/v1/websocket/subscription_token?channels=${encodeURIComponent(names)}`);
    expect(viewer.json.data.channel_tokens.map((t: { channel: string }) => t.channel)).toEqual([
      `channel-chat:${w.channelId}`,
    ]);
    const owner = await get(
      `/v1/websocket/subscription_token?channels=${encodeURIComponent(names)}`,
      w.ownerToken,
    );
    expect(owner.json.data.channel_tokens).toHaveLength(3);
    const none = await get("/v1/websocket/subscription_token");
    expect(none.json).toEqual({ data: { channel_tokens: [] } });
  });

  it("GET /v1/channel/credentials (owner + channel:credentials) → {data:{token,url}}", async () => {
    const r = await get(`/v1/channel/credentials?channel_url=${w.channelUrl}`, w.ownerToken);
    expect(r.status).toBe(200);
    expect(Object.keys(r.json.data).sort()).toEqual(["token", "url"]);
  });

  it("POST /v1/chat/message/send → 200 {} and the message is readable", async () => {
    const r = await send("hello seed");
    expect(r.status).toBe(200);
    expect(r.json).toEqual({});
    const m = await get(`/v1/chat/messages?channel_url=${w.channelUrl}&limit=1`);
    expect(m.json.data.chat_messages[0]).toMatchObject({
      author: { id: w.viewer, nick: "viewer", is_owner: false, is_moderator: false },
      parts: [{ text: { content: "hello seed" } }],
      is_private: false,
    });
  });

  it("message parts: link / mention / smile / text as the seed lists them", async () => {
    const r = await post(`/v1/chat/message/send?channel_url=${w.channelUrl}`, {
      parts: [
        { text: { content: "hi " } },
        { mention: { id: w.owner } },
        { link: { url: "https://example.com/" } },
        { smile: { id: "kappa" } },
      ],
    });
    expect(r.status).toBe(200);
    const m = await get(`/v1/chat/messages?channel_url=${w.channelUrl}&limit=1`);
    const parts = m.json.data.chat_messages[0].parts;
    expect(parts[1]).toEqual({ mention: { id: w.owner, nick: "streamer" } });
    expect(parts[2]).toEqual({ link: { url: "https://example.com/", content: "https://example.com/" } });
    expect(parts[3].smile).toMatchObject({ id: "kappa", name: "kappa", animated: false });
  });
});

describe("channel methods", () => {
  it("GET /v1/channel: channel, owner, stream, ws channel names; with_source_urls while live", async () => {
    const off = await get(`/v1/channel?channel_url=${w.channelUrl}`);
    expect(off.json.data.channel).toMatchObject({ id: w.channelId, url: w.channelUrl, status: "offline" });
    expect(off.json.data.stream).toBeNull();
    expect(Object.keys(off.json.data.channel.web_socket_channels)).toEqual([
      "chat",
      "private_chat",
      "info",
      "private_info",
      "channel_points",
      "private_channel_points",
      "limited_chat",
      "limited_private_chat",
    ]);
    const { streamId } = h.emu.admin.startStream({ channelUrl: w.channelUrl, title: "Live!", viewers: 5 });
    const on = await get(`/v1/channel?channel_url=${w.channelUrl}&with_source_urls=true`);
    expect(on.json.data.stream).toMatchObject({ id: streamId, title: "Live!", status: "online" });
    expect(on.json.data.stream.source_urls[0].type).toBe("hls");
    expect((await get(`/v1/stream?channel_url=${w.channelUrl}`)).json.data.stream.id).toBe(streamId);
    const online = await get("/v1/catalog/online_channels?limit=10");
    expect(online.json.data.channels.map((c: { channel: { url: string } }) => c.channel.url)).toContain(
      w.channelUrl,
    );
    const cats = await get("/v1/catalog/online_categories?limit=10");
    expect(cats.json.data.categories[0].counters.viewers).toBe(5);
    h.emu.admin.stopStream({ channelUrl: w.channelUrl });
    const recs = await raw(
      h.base,
      "GET",
      `/v1/stream_records?channel_url=${w.channelUrl}&limit=10`,
      bearer(w.viewerToken),
    );
    expect(recs.json.data.stream_records[0]).toMatchObject({
      id: streamId,
      title: "Live!",
      video_id: `v${streamId}`,
    });
    expect(recs.json.extra).toEqual({ is_last: true, offset: 1 });
    expect((await get(`/v1/stream_record?record_id=${streamId}`)).json.data.stream_record.id).toBe(streamId);
    expect((await get(`/v1/video?video_id=v${streamId}`)).json.data.video.id).toBe(`v${streamId}`);
    expect((await get("/v1/video?video_id=vnope")).json.error).toBe("not_found");
  });

  it("unknown channel → 404 channel_not_found; banned → 403 channel_banned", async () => {
    const r = await get("/v1/channel?channel_url=nobody");
    expect(r.status).toBe(404);
    expect(r.json.error).toBe("channel_not_found");
    const u = h.emu.admin.createUser({ nick: "bad" }).userId;
    h.emu.admin.createChannel({ ownerId: u, url: "bad" });
    h.emu.admin.banChannel({ channelUrl: "bad", banned: true });
    const b = await get("/v1/channel?channel_url=bad");
    expect(b.status).toBe(403);
    expect(b.json.error).toBe("channel_banned");
  });

  it("POST /v1/channels: ≤ 100 urls, unknown ones skipped", async () => {
    const r = await post("/v1/channels", { channels: [{ url: w.channelUrl }, { url: "nobody" }] });
    expect(r.json.data.channels).toHaveLength(1);
    const many = await post("/v1/channels", {
      channels: Array.from({ length: 101 }, (_, i) => ({ url: `c${i}` })),
    });
    expect(many.status).toBe(400);
    expect(many.json.error).toBe("invalid_param");
    expect((await post("/v1/channels", {})).json.error).toBe("missing_param");
  });

  it("POST /v1/channel/stream/edit: owner with channel:stream:settings only", async () => {
    const body = { stream: { title: "New title", category: { id: "dota2" }, planned_at: 1_800_000_000 } };
    expect((await post(`/v1/channel/stream/edit?channel_url=${w.channelUrl}`, body)).json.error).toBe(
      "forbidden",
    );
    const ok = await post(`/v1/channel/stream/edit?channel_url=${w.channelUrl}`, body, w.ownerToken);
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({});
    const bad = await post(
      `/v1/channel/stream/edit?channel_url=${w.channelUrl}`,
      { stream: { category: { id: "nope" } } },
      w.ownerToken,
    );
    expect(bad.json.error).toBe("invalid_param");
    const t = h.emu.admin.issueToken({ clientId: w.clientId, userId: w.owner, scopes: [] });
    const noScope = await post(`/v1/channel/stream/edit?channel_url=${w.channelUrl}`, body, t.access_token);
    expect(noScope.status).toBe(403);
    expect(noScope.json.error).toBe("invalid_scope");
  });

  it("category, search, current_user, token", async () => {
    expect((await get("/v1/category?category_id=dota2")).json.data.category).toMatchObject({
      id: "dota2",
      type: "game",
    });
    expect((await get("/v1/category?category_id=zzz")).status).toBe(404);
    const s = await get("/v1/category/search?query=dota&type=game&limit=5");
    expect(s.json.data.categories.map((c: { id: string }) => c.id)).toEqual(["dota2"]);
    expect((await get("/v1/category/search?query=dota&limit=5")).json.error).toBe("missing_param");
    const me = await get("/v1/current_user", w.ownerToken);
    expect(me.json.data).toMatchObject({
      user: { id: w.owner, nick: "streamer" },
      channel: { url: w.channelUrl },
    });
    const tok = await get("/v1/token");
    expect(tok.json.data.type).toBe("user");
    expect(tok.json.data.expired_at).toBeGreaterThan(Date.now() / 1000);
  });
});

describe("chat methods and rules", () => {
  it("chat/member and chat/members (limit ≤ 200)", async () => {
    await send("member check");
    const m = await get(`/v1/chat/member?channel_url=${w.channelUrl}&user_id=${w.viewer}`);
    expect(m.json.data.user).toMatchObject({ id: w.viewer, nick: "viewer" });
    expect(m.json.data.statistics.chat_messages_count).toBeGreaterThan(0);
    expect((await get(`/v1/chat/member?channel_url=${w.channelUrl}&user_id=999999`)).json.error).toBe(
      "not_found",
    );
    expect((await get(`/v1/chat/member?channel_url=${w.channelUrl}&user_id=abc`)).json.error).toBe(
      "invalid_param",
    );
    const ms = await get(`/v1/chat/members?channel_url=${w.channelUrl}&limit=200`);
    expect(ms.json.data.users.map((u: { id: number }) => u.id)).toContain(w.viewer);
    expect((await get(`/v1/chat/members?channel_url=${w.channelUrl}&limit=201`)).json.error).toBe(
      "invalid_param",
    );
    expect((await get(`/v1/chat/members?channel_url=${w.channelUrl}&limit=0`)).json.error).toBe(
      "invalid_param",
    );
    expect((await get(`/v1/chat/members?channel_url=${w.channelUrl}`)).json.error).toBe("missing_param");
  });

  it("settings: owner / moderator only; edit then enforce same_message, send_too_fast, allow_access", async () => {
    expect((await get(`/v1/chat/settings?channel_url=${w.channelUrl}`)).status).toBe(403);
    const s = await get(`/v1/chat/settings?channel_url=${w.channelUrl}`, w.ownerToken);
    expect(s.json.data.chat_settings).toMatchObject({ allow_access: "all", same_message_timeout: 0 });
    const edit = await post(
      `/v1/chat/settings/edit?channel_url=${w.channelUrl}`,
      { chat_settings: { same_message_timeout: 60, any_message_timeout: 5 } },
      w.ownerToken,
    );
    expect(edit.json).toEqual({});
    h.now.value = Date.now() + 10_000;
    try {
      expect((await send("once")).status).toBe(200);
      h.advance(6000);
      const same = await send("once");
      expect(same.status).toBe(400);
      expect(same.json).toEqual({ error: "same_message", error_description: "Message is the same" });
      const fast = await send("twice");
      expect(fast.status).toBe(200);
      const tooFast = await send("thrice");
      expect(tooFast.json).toEqual({
        error: "send_too_fast",
        error_description: "Sending messages too fast",
      });
      // Owner and moderators are not limited.
      expect((await send("owner 1", w.ownerToken)).status).toBe(200);
      expect((await send("owner 1", w.ownerToken)).status).toBe(200);
      h.advance(61_000);
      // Followers only, for 10 minutes.
      await post(
        `/v1/chat/settings/edit?channel_url=${w.channelUrl}`,
        {
          chat_settings: {
            allow_access: "followers",
            allow_access_after: 600,
            same_message_timeout: 0,
            any_message_timeout: 0,
          },
        },
        w.ownerToken,
      );
      expect((await send("let me in")).json.error).toBe("forbidden");
      h.emu.admin.follow({ channelUrl: w.channelUrl, userId: w.viewer });
      expect((await send("let me in")).status).toBe(403);
      h.advance(601_000);
      expect((await send("let me in")).status).toBe(200);
      // A moderator can read settings and edit them (without channel_url: not their channel → missing).
      h.emu.admin.addModerator({ channelUrl: w.channelUrl, userId: w.viewer });
      expect(
        (await get(`/v1/chat/settings?channel_url=${w.channelUrl}`)).json.data.chat_settings.allow_access,
      ).toBe("followers");
      const reset = await post(`/v1/chat/settings/edit?channel_url=${w.channelUrl}`, {
        chat_settings: { allow_access: "all" },
      });
      expect(reset.status).toBe(200);
      expect((await post("/v1/chat/settings/edit", { chat_settings: {} })).json.error).toBe("missing_param");
      expect((await post("/v1/chat/settings/edit", { chat_settings: {} }, w.ownerToken)).status).toBe(200);
      expect(
        (
          await post(
            `/v1/chat/settings/edit?channel_url=${w.channelUrl}`,
            { chat_settings: { allow_access: "aliens" } },
            w.ownerToken,
          )
        ).json.error,
      ).toBe("invalid_param");
    } finally {
      h.now.value = null;
    }
  });

  it("message_too_long (> 500), empty and malformed messages, bad stream_id", async () => {
    const long = await send("x".repeat(501));
    expect(long.json).toEqual({ error: "message_too_long", error_description: "Text too long" });
    const max = await send("x".repeat(500));
    expect(max.json).toEqual({});
    expect((await send("   ")).json.error).toBe("invalid_param");
    expect((await post(`/v1/chat/message/send?channel_url=${w.channelUrl}`, "{not json")).json.error).toBe(
      "invalid_param",
    );
    expect((await post(`/v1/chat/message/send?channel_url=${w.channelUrl}`, { parts: [] })).json.error).toBe(
      "invalid_param",
    );
    expect(
      (await post(`/v1/chat/message/send?channel_url=${w.channelUrl}`, { parts: [{ text: { content: 1 } }] }))
        .json.error,
    ).toBe("invalid_param");
    expect(
      (
        await post(`/v1/chat/message/send?channel_url=${w.channelUrl}`, {
          parts: [{ mention: { id: 99999 } }],
        })
      ).json.error,
    ).toBe("invalid_param");
    expect(
      (
        await post(`/v1/chat/message/send?channel_url=${w.channelUrl}`, {
          parts: [{ link: { url: "javascript:1" } }],
        })
      ).json.error,
    ).toBe("invalid_param");
    const noBody = await raw(
      h.base,
      "POST",
      `/v1/chat/message/send?channel_url=${w.channelUrl}`,
      bearer(w.viewerToken),
    );
    expect(noBody.json.error).toBe("missing_param");
    expect(
      (
        await post(`/v1/chat/message/send?channel_url=${w.channelUrl}&stream_id=nope`, {
          parts: [{ text: { content: "s" } }],
        })
      ).json.error,
    ).toBe("invalid_param");
    expect((await post("/v1/chat/message/send", { parts: [{ text: { content: "s" } }] })).json.error).toBe(
      "missing_param",
    );
  });

  it("send needs a user token with chat:message:send", async () => {
    const app = await raw(
      h.base,
      "POST",
      `/v1/chat/message/send?channel_url=${w.channelUrl}`,
      { ...basic(w.clientId, w.secret), ...json },
      JSON.stringify({ parts: [{ text: { content: "app" } }] }),
    );
    expect(app.status).toBe(403);
    const t = h.emu.admin.issueToken({ clientId: w.clientId, userId: w.viewer, scopes: ["chat:settings"] });
    expect((await send("no scope", t.access_token)).json.error).toBe("invalid_scope");
  });
});

describe("channel points and roles", () => {
  it("rewards, activate (spends points), demands list and resolve", async () => {
    const { rewardId } = h.emu.admin.createReward({ channelUrl: w.channelUrl, name: "Hydrate", price: 100 });
    const rewards = await get(`/v1/channel_point/rewards?channel_url=${w.channelUrl}`);
    expect(rewards.json.data.rewards[0]).toMatchObject({ id: rewardId, name: "Hydrate", price: 100 });
    const poor = await post(`/v1/channel_point/reward/activate?channel_url=${w.channelUrl}`, {
      reward: { id: rewardId },
    });
    expect(poor.status).toBe(422);
    expect(poor.json.error).toBe("unprocessable_entity");
    h.emu.admin.grantPoints({ channelUrl: w.channelUrl, userId: w.viewer, amount: 150 });
    expect((await get(`/v1/channel_point?channel_url=${w.channelUrl}`)).json.data.balance).toBe(150);
    const ok = await post(`/v1/channel_point/reward/activate?channel_url=${w.channelUrl}`, {
      reward: { id: rewardId, message: { parts: [{ text: { content: "drink!" } }] } },
    });
    expect(ok.json.data.demand).toMatchObject({
      status: "pending",
      reward: { id: rewardId },
      user: { id: w.viewer },
    });
    expect((await get(`/v1/channel_point?channel_url=${w.channelUrl}`)).json.data.balance).toBe(50);
    const ds = await get(`/v1/channel_point/reward/demands?channel_url=${w.channelUrl}`, w.ownerToken);
    expect(ds.json.data.demands).toHaveLength(1);
    const r = await post(
      `/v1/channel_point/reward/demand/resolve?channel_url=${w.channelUrl}`,
      { demand_id: ok.json.data.demand.id, status: "rejected" },
      w.ownerToken,
    );
    expect(r.json).toEqual({});
    expect((await get(`/v1/channel_point?channel_url=${w.channelUrl}`)).json.data.balance).toBe(150);
    const twice = await post(
      `/v1/channel_point/reward/demand/resolve?channel_url=${w.channelUrl}`,
      { demand_id: ok.json.data.demand.id, status: "approved" },
      w.ownerToken,
    );
    expect(twice.status).toBe(422);
  });

  it("channel_roles lists moderators (staff + channel:roles)", async () => {
    const r = await get(`/v1/channel_roles?channel_url=${w.channelUrl}`, w.ownerToken);
    expect(r.json.data.roles[0].id).toBe("moderator");
  });
});

describe("errors and limits", () => {
  it("unknown method → 404 unknown_api_method; unknown path → not_found", async () => {
    const r = await get("/v1/does/not/exist");
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ error: "unknown_api_method", error_description: "Unknown API method" });
    expect((await raw(h.base, "DELETE", "/v1/channel", bearer(w.viewerToken))).json.error).toBe(
      "unknown_api_method",
    );
    expect((await get("/elsewhere")).json.error).toBe("not_found");
  });

  it("rate limit → 429 ratelimit_exceeded with Retry-After", async () => {
    const h2 = await startEmulator({ rateLimit: { requests: 3, windowMs: 60_000 } });
    try {
      const w2 = world(h2);
      for (let i = 0; i < 3; i++)
        expect((await raw(h2.base, "GET", "/v1/token", bearer(w2.viewerToken))).status).toBe(200);
      const r = await raw(h2.base, "GET", "/v1/token", bearer(w2.viewerToken));
      expect(r.status).toBe(429);
      expect(r.json.error).toBe("ratelimit_exceeded");
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
      // Another token has its own budget.
      expect((await raw(h2.base, "GET", "/v1/token", bearer(w2.ownerToken))).status).toBe(200);
    } finally {
      await h2.close();
    }
  });

  it("injected faults answer the platform's codes", async () => {
    h.emu.admin.failNext("service_unavailable", { path: "/v1/token" });
    const r = await get("/v1/token");
    expect(r.status).toBe(503);
    expect(r.json.error).toBe("service_unavailable");
    expect((await get("/v1/token")).status).toBe(200);
  });

  it("oversized body → invalid_param, server keeps serving", async () => {
    const big = JSON.stringify({ parts: [{ text: { content: "x".repeat(1_100_000) } }] });
    const r = await post(`/v1/chat/message/send?channel_url=${w.channelUrl}`, big);
    expect(r.status).toBe(400);
    expect(r.json.error).toBe("invalid_param");
    expect((await get("/v1/token")).status).toBe(200);
  });

  it("array query values and wrong types are invalid_param", async () => {
    expect((await get(`/v1/chat/messages?channel_url=${w.channelUrl}&limit=1&limit=2`)).json.error).toBe(
      "invalid_param",
    );
    expect((await get(`/v1/channel?channel_url=${w.channelUrl}&with_source_urls=maybe`)).json.error).toBe(
      "invalid_param",
    );
    expect((await post("/v1/channels", [1, 2])).json.error).toBe("invalid_param");
  });
});

describe("browser access", () => {
  it("CORS preflight and header for ImplicitFlow apps", async () => {
    const pre = await raw(h.base, "OPTIONS", "/v1/chat/messages", {
      origin: "http://app.example",
      "access-control-request-method": "GET",
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-headers")).toContain("authorization");
    const r = await get(`/v1/chat/messages?channel_url=${w.channelUrl}&limit=1`);
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
  });
});
