/** VkLiveClient against the emulator: every method, typed errors, 429 backoff, abort. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AbortError, ApiError, RateLimitError, ValidationError } from "../../src/core/errors.js";
import { VkLiveClient } from "../../src/vklive/client/index.js";
import { isVkError } from "../../src/vklive/client/transport.js";
import { toTypedParts } from "../../src/vklive/protocol/index.js";
import { type Harness, startEmulator, type World, world } from "./harness.js";

let h: Harness;
let w: World;
let owner: VkLiveClient;
let viewer: VkLiveClient;
let app: VkLiveClient;

beforeAll(async () => {
  h = await startEmulator();
  w = world(h);
  const base = { url: h.base, clientId: w.clientId, clientSecret: w.secret, redirectUri: w.redirectUri };
  owner = new VkLiveClient({
    ...base,
    tokens: { accessToken: w.ownerToken, refreshToken: w.ownerRefresh, tokenType: "Bearer" },
  });
  viewer = new VkLiveClient({ ...base, tokens: { accessToken: w.viewerToken, tokenType: "Bearer" } });
  app = new VkLiveClient(base);
});
afterAll(() => h.close());

describe("channel, stream, catalog", () => {
  it("channel / channels / credentials / stream edit / ws channels", async () => {
    const c = await app.channel(w.channelUrl);
    expect(c.channel.url).toBe(w.channelUrl);
    expect((await app.channels([w.channelUrl, "missing"])).map((x) => x.channel.id)).toEqual([w.channelId]);
    await expect(app.channels(Array.from({ length: 101 }, (_, i) => `c${i}`))).rejects.toBeInstanceOf(
      ValidationError,
    );
    const creds = await owner.channelCredentials(w.channelUrl);
    expect(creds.url).toMatch(/^rtmp:\/\//);
    await owner.editStream(w.channelUrl, { title: "Speedrun", category: { id: "minecraft" } });
    const { streamId } = h.emu.admin.startStream({ channelUrl: w.channelUrl, viewers: 3 });
    expect((await viewer.stream(w.channelUrl))?.title).toBe("Speedrun");
    expect((await app.onlineChannels({ categoryId: "minecraft" }))[0]?.channel.url).toBe(w.channelUrl);
    expect((await app.onlineChannels({ categoryType: "irl" })).length).toBe(0);
    expect((await app.onlineCategories({ limit: 5 }))[0]?.id).toBe("minecraft");
    expect((await app.category("minecraft")).title).toBe("Minecraft");
    expect((await app.searchCategories("counter", "game")).map((x) => x.id)).toEqual(["cs2"]);
    h.emu.admin.stopStream({ channelUrl: w.channelUrl });
    const recs = await app.streamRecords(w.channelUrl, { limit: 1 });
    expect(recs.records[0]?.id).toBe(streamId);
    expect(recs.isLast).toBe(true);
    expect((await app.streamRecord(streamId)).title).toBe("Speedrun");
    expect((await app.video(`v${streamId}`)).id).toBe(`v${streamId}`);
    expect(await viewer.stream(w.channelUrl)).toBeNull();
    const ws = await viewer.wsChannels(w.channelUrl);
    expect(ws.chat).toBe(`channel-chat:${w.channelId}`);
    expect((await viewer.websocketToken()).split(".")).toHaveLength(3);
    expect((await owner.subscriptionTokens([ws.private_info ?? ""])).length).toBe(1);
    expect((await viewer.subscriptionTokens([ws.private_info ?? ""])).length).toBe(0);
  });
});

describe("chat", () => {
  it("send text and typed parts, read back as typed parts; members and member", async () => {
    const chat = viewer.chat(w.channelUrl);
    await chat.send("plain");
    await chat.send([
      { type: "text", content: "hey " },
      { type: "mention", id: w.owner },
      { type: "link", url: "https://vk.com/" },
      { type: "smile", id: "pog" },
    ]);
    const [last, prev] = await chat.messages(2);
    expect(toTypedParts(prev?.parts ?? [])).toEqual([{ type: "text", content: "plain" }]);
    expect(toTypedParts(last?.parts ?? [])).toMatchObject([
      { type: "text", content: "hey " },
      { type: "mention", id: w.owner, nick: "streamer" },
      { type: "link", url: "https://vk.com/" },
      { type: "smile", id: "pog" },
    ]);
    expect((await app.chatMembers(w.channelUrl, 10)).map((u) => u.id)).toContain(w.viewer);
    expect((await app.chatMember(w.channelUrl, w.viewer)).user.nick).toBe("viewer");
    await expect(app.chatMessages(w.channelUrl, 201)).rejects.toBeInstanceOf(ValidationError);
    await expect(viewer.sendMessage(w.channelUrl, "x".repeat(501))).rejects.toMatchObject({
      code: "message_too_long",
    });
    await expect(viewer.sendMessage(w.channelUrl, [])).rejects.toBeInstanceOf(ValidationError);
  });

  it("settings read / edit; rule violations are typed by their error constant", async () => {
    expect((await owner.chatSettings(w.channelUrl)).allow_access).toBe("all");
    await owner.editChatSettings(w.channelUrl, { same_message_timeout: 30 });
    expect((await owner.chatSettings(w.channelUrl)).same_message_timeout).toBe(30);
    await viewer.sendMessage(w.channelUrl, "dup");
    const err = await viewer.sendMessage(w.channelUrl, "dup").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(isVkError(err, "same_message")).toBe(true);
    expect((err as ApiError).details).toMatchObject({ status: 400, error: "same_message" });
    await expect(viewer.chatSettings(w.channelUrl)).rejects.toMatchObject({ code: "forbidden" });
    await owner.editChatSettings(w.channelUrl, { same_message_timeout: 0 });
  });

  it("429 on send is retried with backoff (Retry-After); GETs too; exhausted retries → RateLimitError", async () => {
    h.emu.admin.failNext("ratelimit_exceeded", { path: "/v1/chat/message/send" });
    const t0 = Date.now();
    await viewer.sendMessage(w.channelUrl, "after a 429");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    h.emu.admin.failNext("ratelimit_exceeded", { path: "/v1/chat/messages", times: 1 });
    expect((await viewer.chatMessages(w.channelUrl, 1))[0]?.parts[0]?.text?.content).toBe("after a 429");
    const noRetry = new VkLiveClient({
      url: h.base,
      tokens: { accessToken: w.viewerToken, tokenType: "Bearer" },
      retries: 0,
    });
    h.emu.admin.failNext("ratelimit_exceeded", { path: "/v1/token" });
    const e = await noRetry.tokenInfo().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RateLimitError);
    expect((e as RateLimitError).retryAfterMs).toBe(1000);
  });

  it("AbortSignal cancels a call", async () => {
    const ctl = new AbortController();
    ctl.abort();
    await expect(viewer.chatMessages(w.channelUrl, 1, { signal: ctl.signal })).rejects.toBeInstanceOf(
      AbortError,
    );
  });
});

describe("user, roles, points, token", () => {
  it("current user, roles, points and rewards with demands", async () => {
    expect((await owner.currentUser()).channel?.url).toBe(w.channelUrl);
    h.emu.admin.addModerator({ channelUrl: w.channelUrl, userId: w.viewer });
    const roles = await owner.channelRoles(w.channelUrl);
    expect(roles.roles[0]?.users?.map((u) => u.id)).toEqual([w.viewer]);
    const { rewardId } = h.emu.admin.createReward({
      channelUrl: w.channelUrl,
      name: "Song",
      price: 10,
      messageRequired: true,
    });
    h.emu.admin.grantPoints({ channelUrl: w.channelUrl, userId: w.viewer, amount: 25 });
    expect((await viewer.channelPoints(w.channelUrl)).balance).toBe(25);
    expect((await app.rewards(w.channelUrl))[0]?.is_message_required).toBe(true);
    await expect(viewer.activateReward(w.channelUrl, rewardId)).rejects.toMatchObject({
      code: "missing_param",
    });
    const d = await viewer.activateReward(w.channelUrl, rewardId, "Never gonna");
    expect(d.message?.parts[0]?.text?.content).toBe("Never gonna");
    expect((await owner.rewardDemands(w.channelUrl, { limit: 10 })).map((x) => x.id)).toContain(d.id);
    await owner.resolveDemand(w.channelUrl, d.id, "approved");
    expect((await owner.rewardDemands(w.channelUrl))[0]?.status).toBe("approved");
    expect((await viewer.tokenInfo()).type).toBe("user");
    await expect(app.currentUser()).rejects.toMatchObject({ code: "forbidden" });
  });

  it("unknown channel surfaces channel_not_found as ApiError with status 404", async () => {
    const e = await app.channel("nobody-here").catch((x: unknown) => x);
    expect(isVkError(e, "channel_not_found")).toBe(true);
    expect((e as ApiError).details?.status).toBe(404);
  });
});
