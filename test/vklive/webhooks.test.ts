import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  signWebhook,
  startWebhookServer,
  verifyWebhookSignature,
  WebhookReceiver,
} from "../../src/vklive/client/webhooks.js";
import { webhookSignature } from "../../src/vklive/emulator/webhooks.js";
import type { WebhookEvent } from "../../src/vklive/protocol/index.js";
import { nextTurn } from "../helpers/quiet.js";
import { type Harness, startEmulator, type World, waitFor, world } from "./harness.js";

let h: Harness;
let w: World;

beforeAll(async () => {
  h = await startEmulator({ webhookRetries: 3, webhookRetryBaseMs: 20 });
  w = world(h);
});
afterAll(() => h.close());

const eventJson = (id = "e1", userId = 7) =>
  JSON.stringify({
    id,
    time: 1_700_000_000,
    user_id: userId,
    type: "channel_follow_create",
    data: { user: { id: 1, nick: "a" } },
  });

describe("signature", () => {
  it("is sha256_hex(event + signature_key), the same on both sides", () => {
    const e = eventJson();
    expect(signWebhook(e, "key")).toBe(webhookSignature(e, "key"));
    expect(signWebhook(e, "key")).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(e, signWebhook(e, "key"), "key")).toBe(true);
    expect(verifyWebhookSignature(e, signWebhook(e, "key").toUpperCase(), "key")).toBe(true);
    expect(verifyWebhookSignature(`${e} `, signWebhook(e, "key"), "key")).toBe(false);
    expect(verifyWebhookSignature(e, "00", "key")).toBe(false);
  });
});

/**
 * Known-answer vectors, computed once outside our code with OpenSSL 3.0.19 (seed 003 has no
 * signed example). Exact commands (bash, no trailing newline: printf '%s'):
 *
 *   printf '%s' '{"id":"e1","time":1700000000,"user_id":7,"type":"channel_follow_create","data":{"user":{"id":1,"nick":"a"}}}sandbox-signature-key' | openssl dgst -sha256
 *   → SHA2-256(stdin)= bb7bacb40228c14bd87bf4a0e81d7c9b8e1090138f0057727516f83408bb0a3b
 *
 *   printf '%s' '{"id":"e2","time":1700000001,"user_id":8,"type":"channel_chat_message_send","data":{"text":"привет"}}ключ' | openssl dgst -sha256
 *   → SHA2-256(stdin)= 4ab3a57bc24d96da91736c92bdc159ae43d5b14beb711a5cb7e7c863ad0b7d50
 *   (UTF-8 in both the event and the key: pins the byte encoding too)
 */
const VECTORS = [
  {
    event:
      '{"id":"e1","time":1700000000,"user_id":7,"type":"channel_follow_create","data":{"user":{"id":1,"nick":"a"}}}',
    key: "sandbox-signature-key",
    signature: "bb7bacb40228c14bd87bf4a0e81d7c9b8e1090138f0057727516f83408bb0a3b",
  },
  {
    event:
      '{"id":"e2","time":1700000001,"user_id":8,"type":"channel_chat_message_send","data":{"text":"привет"}}',
    key: "ключ",
    signature: "4ab3a57bc24d96da91736c92bdc159ae43d5b14beb711a5cb7e7c863ad0b7d50",
  },
] as const;

describe("signature known-answer vectors (independent: openssl dgst)", () => {
  it.each(VECTORS)("our signers produce and our verifier accepts $signature", (v) => {
    expect(signWebhook(v.event, v.key)).toBe(v.signature);
    expect(webhookSignature(v.event, v.key)).toBe(v.signature);
    expect(verifyWebhookSignature(v.event, v.signature, v.key)).toBe(true);
    // One byte off in the event, the key or the signature: refused.
    expect(verifyWebhookSignature(v.event.replace("}", " }"), v.signature, v.key)).toBe(false);
    expect(verifyWebhookSignature(v.event, v.signature, `${v.key}x`)).toBe(false);
    const flipped = (v.signature[0] === "0" ? "1" : "0") + v.signature.slice(1);
    expect(verifyWebhookSignature(v.event, flipped, v.key)).toBe(false);
  });

  it("the receiver accepts a body signed with the vector and refuses it under another key", async () => {
    const v = VECTORS[1];
    const body = new URLSearchParams({ event: v.event, signature: v.signature }).toString();
    const ok = new WebhookReceiver({ signatureKey: v.key, onEvent: () => {} });
    expect((await ok.handle(body, "application/x-www-form-urlencoded")).reply).toEqual({
      id: "e2",
      status: "ok",
    });
    const other = new WebhookReceiver({ signatureKey: "other", onEvent: () => {} });
    expect((await other.handle(body, "application/x-www-form-urlencoded")).reply?.status).toBe(
      "invalid_signature",
    );
  });
});

describe("receiver (framework neutral)", () => {
  it("answers ok, then already_processed for the same id; invalid_signature; unprocessable; not_linked", async () => {
    const handled: WebhookEvent[] = [];
    const r = new WebhookReceiver({
      signatureKey: "k",
      onEvent: (e) => void handled.push(e),
      isLinked: (u) => u !== 13,
    });
    const body = (e: string, sig = signWebhook(e, "k")) =>
      new URLSearchParams({ event: e, signature: sig }).toString();
    const form = "application/x-www-form-urlencoded";
    expect(await r.handle(body(eventJson()), form)).toEqual({
      status: 200,
      reply: { id: "e1", status: "ok" },
    });
    expect(await r.handle(body(eventJson()), form)).toEqual({
      status: 200,
      reply: { id: "e1", status: "already_processed" },
    });
    expect(handled).toHaveLength(1);
    expect((await r.handle(body(eventJson("e2"), "f".repeat(64)), form)).reply).toEqual({
      id: "e2",
      status: "invalid_signature",
    });
    expect((await r.handle("event=only", form)).reply?.status).toBe("unprocessable");
    const notJson = "{{";
    expect((await r.handle(body(notJson), form)).reply?.status).toBe("unprocessable");
    expect((await r.handle(body(eventJson("e3", 13)), form)).reply).toEqual({
      id: "e3",
      status: "not_linked",
    });
    // JSON bodies are accepted too.
    const e4 = eventJson("e4");
    const j = await r.handle(
      JSON.stringify({ event: e4, signature: signWebhook(e4, "k") }),
      "application/json",
    );
    expect(j.reply).toEqual({ id: "e4", status: "ok" });
  });

  it("a failing handler answers 500 (the sender retries) and the id is not marked processed", async () => {
    let fail = true;
    const r = new WebhookReceiver({
      signatureKey: "k",
      onEvent: () => {
        if (fail) throw new Error("db down");
      },
    });
    const e = eventJson("x1");
    const b = new URLSearchParams({ event: e, signature: signWebhook(e, "k") }).toString();
    expect((await r.handle(b)).status).toBe(500);
    fail = false;
    expect((await r.handle(b)).reply?.status).toBe("ok");
  });

  it("concurrent duplicates run the handler once", async () => {
    let calls = 0;
    // The handler stays busy until all three deliveries are in (a gate, not a sleep).
    let open!: () => void;
    const gate = new Promise<void>((res) => {
      open = res;
    });
    const r = new WebhookReceiver({
      signatureKey: "k",
      onEvent: async () => {
        calls++;
        await gate;
      },
    });
    const e = eventJson("c1");
    const b = new URLSearchParams({ event: e, signature: signWebhook(e, "k") }).toString();
    const pending = [r.handle(b), r.handle(b), r.handle(b)];
    await nextTurn();
    open();
    const out = await Promise.all(pending);
    expect(calls).toBe(1);
    expect(out.map((o) => o.reply?.status).sort()).toEqual(["already_processed", "already_processed", "ok"]);
  });
});

describe("emulator delivery", () => {
  it("delivers signed events for linked channels to the Node receiver; ids de-duplicated on redelivery", async () => {
    const got: WebhookEvent[] = [];
    const receiver = new WebhookReceiver({ signatureKey: w.signatureKey, onEvent: (e) => void got.push(e) });
    const srv = await startWebhookServer(receiver);
    try {
      h.emu.admin.setWebhook(w.clientId, srv.url);
      const fan = h.emu.admin.createUser({ nick: "webfan" }).userId;
      h.emu.admin.follow({ channelUrl: w.channelUrl, userId: fan });
      h.emu.admin.postMessage({ channelUrl: w.channelUrl, userId: fan, text: "hook me" });
      await waitFor(() => got.length === 2, 3000, "2 webhooks");
      expect(got.map((e) => e.type)).toEqual(["channel_follow_create", "channel_chat_message_send"]);
      expect(got[0]?.user_id).toBe(w.owner);
      const list = h.emu.admin.deliveries(w.clientId);
      await waitFor(
        () => h.emu.admin.deliveries(w.clientId).every((d) => d.state === "delivered"),
        3000,
        "delivered",
      );
      const first = list[0];
      expect(first?.eventId).toBe(got[0]?.id);
      expect(h.emu.admin.redeliver(first?.id ?? 0)).toBe(true);
      await waitFor(
        () => h.emu.admin.deliveries(w.clientId)[0]?.replyStatus === "already_processed",
        3000,
        "dedupe",
      );
      expect(got).toHaveLength(2);
    } finally {
      h.emu.admin.setWebhook(w.clientId, null);
      await srv.close();
    }
  });

  it("retries on 5xx / network errors with backoff, stops at a final status; wrong key → invalid_signature", async () => {
    let hits = 0;
    const server: Server = createServer((req, res) => {
      hits++;
      req.resume();
      if (hits < 3) {
        res.writeHead(503).end();
        return;
      }
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ id: "x", status: "ok" }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const app2 = h.emu.admin.createApp({ redirectUri: "http://127.0.0.1:9/cb", webhookUrl: url });
      h.emu.admin.issueToken({ clientId: app2.clientId, userId: w.owner, scopes: [] });
      h.emu.admin.raid({ channelUrl: w.channelUrl, fromChannelUrl: w.channelUrl, viewers: 1 });
      await waitFor(
        () => h.emu.admin.deliveries(app2.clientId)[0]?.state === "delivered",
        3000,
        "retried delivery",
      );
      expect(h.emu.admin.deliveries(app2.clientId)[0]?.attempts).toBe(3);

      // A receiver with the wrong key answers invalid_signature: final, not retried.
      const wrong = await startWebhookServer(
        new WebhookReceiver({ signatureKey: "not-the-key", onEvent: () => {} }),
      );
      h.emu.admin.setWebhook(app2.clientId, wrong.url);
      h.emu.admin.raid({ channelUrl: w.channelUrl, fromChannelUrl: w.channelUrl, viewers: 2 });
      await waitFor(() => h.emu.admin.deliveries(app2.clientId)[1]?.state === "rejected", 3000, "rejected");
      expect(h.emu.admin.deliveries(app2.clientId)[1]).toMatchObject({
        attempts: 1,
        replyStatus: "invalid_signature",
      });
      await wrong.close();

      // Nobody listening: retries, then failed.
      h.emu.admin.setWebhook(app2.clientId, "http://127.0.0.1:9/");
      h.emu.admin.raid({ channelUrl: w.channelUrl, fromChannelUrl: w.channelUrl, viewers: 3 });
      await waitFor(() => h.emu.admin.deliveries(app2.clientId)[2]?.state === "failed", 5000, "failed");
      expect(h.emu.admin.deliveries(app2.clientId)[2]?.attempts).toBe(4);
    } finally {
      server.close();
    }
  });

  it("unlinked owners (no live grant) get no deliveries", async () => {
    const app3 = h.emu.admin.createApp({
      redirectUri: "http://127.0.0.1:9/cb",
      webhookUrl: "http://127.0.0.1:9/",
    });
    h.emu.admin.raid({ channelUrl: w.channelUrl, fromChannelUrl: w.channelUrl });
    expect(h.emu.admin.deliveries(app3.clientId)).toEqual([]);
  });
});
