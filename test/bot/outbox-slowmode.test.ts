/**
 * VK Live's slow mode (the channel's `any_message_timeout`) is a per-chat limit only the channel
 * knows: a viewer's send inside it answers send_too_fast. The outbox treats that as a rate limit of
 * that chat: it pauses the chat (not the account, not the item's attempts) and delivers each
 * message once, spaced by the slow mode, while another chat of the same account is not held back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutbox } from "../../src/bot/outbox.js";
import { MemoryBotStore } from "../../src/bot/store/memory.js";
import { ref } from "../../src/core/model.js";
import { VkLiveAdapter } from "../../src/vklive/adapter.js";
import { VkLiveClient } from "../../src/vklive/client/index.js";
import { SCOPES } from "../../src/vklive/protocol/index.js";
import { historyTexts, startWorld, type World } from "./outbox-fixtures.js";

const text = (t: string) => [{ type: "text" as const, text: t }];

describe("outbox and VK Live slow mode", () => {
  let world: World;
  let owner: VkLiveClient;
  let viewer: VkLiveAdapter;
  const slowUrl = `slow${process.pid}`;
  const freeUrl = `free${process.pid}`;

  beforeAll(async () => {
    world = await startWorld();
    const emu = world.sandbox.vklive;
    const app = emu.admin.createApp({ redirectUri: "http://127.0.0.1:9/callback" });
    const ownerId = emu.admin.createUser({ nick: "streamer" }).userId;
    const viewerId = emu.admin.createUser({ nick: "viewer" }).userId;
    emu.admin.createChannel({ ownerId, url: slowUrl });
    emu.admin.createChannel({ ownerId, url: freeUrl });
    const client = (userId: number, account: string) => {
      const t = emu.admin.issueToken({ clientId: app.clientId, userId, scopes: SCOPES });
      return new VkLiveClient({
        url: world.sandbox.urls.vklive,
        clientId: app.clientId,
        clientSecret: app.secret,
        timeoutMs: 5000,
        retries: 0,
        account,
        tokens: { accessToken: t.access_token, refreshToken: t.refresh_token, tokenType: "Bearer" },
      });
    };
    owner = client(ownerId, "streamer");
    await owner.editChatSettings(slowUrl, { any_message_timeout: 1 });
    viewer = new VkLiveAdapter(client(viewerId, "viewer"), { channels: [slowUrl, freeUrl] });
    await viewer.connect();
  }, 30_000);

  afterAll(async () => {
    await viewer?.close();
    await owner?.close();
    await world?.close();
  });

  it("pauses the slow chat on send_too_fast and delivers each message once, about a second apart", async () => {
    const store = new MemoryBotStore();
    const account = `vklive:${viewer.account}`;
    const outbox = createOutbox({ store, adapters: new Map([[account, viewer]]) });
    outbox.start();
    const slow = ref("vklive", viewer.account, slowUrl);
    const free = ref("vklive", viewer.account, freeUrl);
    const started = Date.now();
    const done: number[] = [];
    const keys = ["slow-a", "slow-b", "slow-c"];
    const sends = keys.map((k) =>
      outbox
        .submit({ key: k, account, chat: slow, op: "send", content: text(k), priority: "reply" })
        .then(() => done.push(Date.now() - started)),
    );
    // Queued behind the slow chat's pause: another chat goes out at once.
    await new Promise((r) => setTimeout(r, 100));
    const freeAt = outbox
      .submit({ key: "free-a", account, chat: free, op: "send", content: text("free-a"), priority: "reply" })
      .then(() => Date.now() - started);
    await Promise.all(sends);
    expect(await freeAt).toBeLessThan(700);
    expect((done[1] ?? 0) - (done[0] ?? 0)).toBeGreaterThanOrEqual(900);
    expect((done[2] ?? 0) - (done[1] ?? 0)).toBeGreaterThanOrEqual(900);
    expect((await historyTexts(viewer, slow)).filter((t) => t.startsWith("slow-"))).toEqual(keys);
    // The slow mode is not the items' failure, and not the account's limit.
    expect(keys.map((k) => store.outboxItem(k)?.attempts)).toEqual([1, 1, 1]);
    expect(outbox.bucketOf(account)?.pausedUntil).toBe(0);
    await outbox.drain(2000);
  }, 20_000);
});
