/**
 * MaxImAdapter specifics beyond the shared conformance suite: the server de-duplicates a retry
 * by the transaction_id derived from the idempotencyKey (even across adapter instances), replies
 * round-trip, event ids are stable, and an app token without an acting user is refused.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AdapterEvent } from "../../src/core/adapter.js";
import { UnsupportedError, ValidationError } from "../../src/core/errors.js";
import { ref } from "../../src/core/model.js";
import { MaxImAdapter, transactionIdFromKey } from "../../src/maxim/adapter.js";
import { MaxImClient } from "../../src/maxim/client/index.js";
import { type Harness, startEmulator, TOKEN } from "./harness.js";

const APP = "welovemaxim";

describe("MaxImAdapter", () => {
  let h: Harness;
  let admin: MaxImClient;
  let ann = 0;
  let ben = 0;
  let group = 0;
  const adapters: MaxImAdapter[] = [];
  const adapterFor = async (userId: number) => {
    const a = new MaxImAdapter(new MaxImClient({ url: h.base, appId: APP, adminToken: TOKEN, userId }), {
      pollIntervalMs: 30,
    });
    adapters.push(a);
    await a.connect();
    return a;
  };

  beforeAll(async () => {
    h = await startEmulator();
    admin = new MaxImClient({ url: h.base, appId: APP, adminToken: TOKEN, retries: 0 });
    ann = (await admin.registerUser({ username: "ac_ann", password: "pw" })).user_id;
    ben = (await admin.registerUser({ username: "ac_ben", password: "pw" })).user_id;
    group = (await admin.asUser(ann).createGroup({ name: "ac", user_list: [ben] })).group_id;
  });
  // Adapters of one user compete for its unread messages (each acks what it read): one at a time.
  afterEach(async () => {
    for (const a of adapters.splice(0)) await a.close();
  });
  afterAll(() => h.close());

  it("transaction ids from keys fit the wire's pattern and differ per part", () => {
    const t = transactionIdFromKey("some key with spaces and ünïcode");
    expect(t).toMatch(/^[0-9A-Za-z_-]{1,64}$/);
    expect(transactionIdFromKey("k", 1)).not.toBe(transactionIdFromKey("k", 0));
    expect(transactionIdFromKey("k", 0)).toBe(transactionIdFromKey("k", 0));
  });

  it("the same idempotencyKey from a restarted adapter is sent once (the server de-duplicates)", async () => {
    const first = await adapterFor(ann);
    const chat = ref("maxim", first.account, group);
    const a = await first.send(chat, "dedup me", { idempotencyKey: "restart-key" });
    await first.close();
    const second = await adapterFor(ann);
    const b = await second.send(chat, "dedup me", { idempotencyKey: "restart-key" });
    expect(b.ids).toEqual(a.ids);
    expect(h.emu.admin.messages(APP).filter((m) => m.content === "dedup me")).toHaveLength(1);
  });

  it("replyTo round-trips through history; edit and react are unsupported", async () => {
    const ad = await adapterFor(ann);
    const chat = ref("maxim", ad.account, group);
    const q = await ad.send(chat, "question");
    const reply = await ad.send(chat, "answer", { replyTo: q.ids[0] });
    const all = await ad.history(chat, { after: q.ids[0] });
    expect(all.map((m) => m.ref.id)).toEqual([reply.ids[0]?.id]);
    expect(all[0]?.replyTo).toEqual(q.ids[0]);
    await expect(ad.edit(chat, q.ids[0]!, "x")).rejects.toBeInstanceOf(UnsupportedError);
    await expect(ad.react(chat, q.ids[0]!, "👍")).rejects.toBeInstanceOf(UnsupportedError);
  });

  it("direct chats: a peer's message arrives with a stable id; history of the direct chat", async () => {
    const ad = await adapterFor(ann);
    const got = new Promise<AdapterEvent>((resolve) => {
      const off = ad.onEvent((e) => {
        if (e.type === "message.created" && e.message.chat.id === String(ben)) {
          off();
          resolve(e);
        }
      });
    });
    await admin.asUser(ben).sendMessage({ targets: [ann], type: 1, content_type: 0, content: "psst" });
    const e = await got;
    if (e.type !== "message.created") throw new Error("unreachable");
    expect(e.id).toBe(`message.created:${ben}:${e.message.ref.id}`);
    expect(e.message.author.id).toBe(String(ben));
    const chat = await ad.getChat(ref("maxim", ad.account, ben));
    expect(chat.kind).toBe("direct");
    const hist = await ad.history(ref("maxim", ad.account, ben));
    expect(hist.map((m) => m.ref.id)).toContain(e.message.ref.id);
  });

  it("an app token without an acting user can't make an adapter", async () => {
    const a = new MaxImAdapter(new MaxImClient({ url: h.base, appId: APP, adminToken: TOKEN }));
    await expect(a.connect()).rejects.toBeInstanceOf(ValidationError);
    await a.close();
  });
});
