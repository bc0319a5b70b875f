/**
 * The MaxIM client's hand checks on the send path are never looser than the schemas: whatever
 * they accept, the schema accepts and parses to an equal value; the rest still meets the schema
 * (same ValidationError). And a send is a copy: the caller's object can change under it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/core/errors.js";
import { plainSendBody, readEnvelope } from "../../src/maxim/client/fast.js";
import { MaxImClient } from "../../src/maxim/client/index.js";
import { Envelope, MessageSendBody } from "../../src/maxim/protocol.js";
import { type Harness, startEmulator, TOKEN } from "./harness.js";

const BODIES: unknown[] = [
  { targets: [1], type: 1, content: "hi", content_type: 0 },
  { targets: [1, 2, 3], type: 2, content: "", content_type: 5, transaction_id: "tx_1-A" },
  { targets: [1], type: 1, content: "x", content_type: 7, transaction_id: 42 },
  { targets: [1], type: 1, content: "x", content_type: 1 },
  { targets: [1], type: 1, content: "x", content_type: 2, attachment: "{}" },
  { targets: [1], type: 1, content_type: 0 },
  { targets: [], type: 1, content: "x", content_type: 0 },
  { targets: Array.from({ length: 1001 }, (_, i) => i + 1), type: 1, content: "x", content_type: 0 },
  { targets: [0], type: 1, content: "x", content_type: 0 },
  { targets: [1.5], type: 1, content: "x", content_type: 0 },
  { targets: [2 ** 53], type: 1, content: "x", content_type: 0 },
  { targets: ["1"], type: 1, content: "x", content_type: 0 },
  { targets: [1], type: 3, content: "x", content_type: 0 },
  { targets: [1], type: 1, content: "x", content_type: 8 },
  { targets: [1], type: 1, content: "x", content_type: -1 },
  { targets: [1], type: 1, content: "x", content_type: 0.5 },
  { targets: [1], type: 1, content: "x".repeat(64 * 1024), content_type: 0 },
  { targets: [1], type: 1, content: "x".repeat(64 * 1024 + 1), content_type: 0 },
  { targets: [1], type: 1, content: 5, content_type: 0 },
  { targets: [1], type: 1, content: "x", content_type: 0, transaction_id: "bad id!" },
  { targets: [1], type: 1, content: "x", content_type: 0, transaction_id: "a".repeat(65) },
  { targets: [1], type: 1, content: "x", content_type: 0, transaction_id: 0 },
  { targets: [1], type: 1, content: "x", content_type: 0, unknown: 1 },
  { targets: [1], type: 1, content: "x", content_type: 0, from_user_id: 3 },
  { targets: [1], type: 1, content: "x", content_type: 0, ext: { a: 1 } },
  { targets: [1], type: 1, content: undefined, content_type: 0 },
  null,
  [],
  "text",
];

const ENVELOPES: unknown[] = [
  { code: 200, data: true },
  { code: 200 },
  { code: 200, message: null, data: [1], cursor: "c", version: 3, total: 9 },
  { code: 10002, message: "bad" },
  { code: 200, data: {}, extra_field: 1 },
  { code: "200" },
  { code: 200, message: 5 },
  { code: 200, cursor: 1 },
  { code: 200, version: "1" },
  { data: true },
  null,
  "<html>",
  [1],
];

describe("MaxIM client hand checks", () => {
  it("plainSendBody accepts only what MessageSendBody accepts, with an equal result", () => {
    let accepted = 0;
    for (const body of BODIES) {
      const fast = plainSendBody(body);
      const schema = MessageSendBody.safeParse(body);
      if (fast !== undefined) {
        accepted++;
        expect(schema.success, JSON.stringify(body)?.slice(0, 80)).toBe(true);
        expect(fast).toEqual(schema.data);
        expect(fast).not.toBe(body);
      }
    }
    expect(accepted).toBe(4); // the four plain text sends above (1001 targets and 64K+1 excluded)
  });

  it("readEnvelope equals the schema's parse, or says no where the schema says no", () => {
    for (const env of ENVELOPES) {
      const schema = Envelope.safeParse(env);
      const fast = readEnvelope(env);
      if (schema.success) expect(fast).toEqual(schema.data);
      else expect(fast).toBeUndefined();
    }
    expect(readEnvelope({ code: 200, data: {}, extra_field: 1 })).toEqual({
      code: 200,
      data: {},
      extra: { extra_field: 1 },
    });
  });
});

describe("MaxIM client send path against the emulator", () => {
  let h: Harness;
  let admin: MaxImClient;
  let target = 0;
  let sender = 0;

  beforeAll(async () => {
    h = await startEmulator();
    admin = new MaxImClient({ url: h.base, appId: "welovemaxim", token: TOKEN, retries: 0 });
    target = (await admin.registerUser({ username: "fast_target", password: "pw" })).user_id;
    sender = (await admin.registerUser({ username: "fast_sender", password: "pw" })).user_id;
  });
  afterAll(async () => {
    await admin.close();
    await h.close();
  });

  it("a send is a copy: changing the caller's object after the call does not change what is sent", async () => {
    const body = { targets: [target], type: 1 as const, content: "first", content_type: 0 };
    const sent = admin.asUser(sender).sendMessage(body);
    body.content = "changed";
    body.targets.push(999_999_999);
    await sent;
    const page = await admin.asUser(target).conversationPage(sender);
    expect(page.messages[0]?.content).toBe("first");
  });

  it("bad bodies still fail before sending with the schema's ValidationError (10002)", async () => {
    const bad = [
      { targets: [target], type: 1 as const, content_type: 0 },
      { targets: [target], type: 1 as const, content: "x", content_type: 1 },
      { targets: [0], type: 1 as const, content: "x", content_type: 0 },
    ];
    for (const body of bad) {
      const err = await admin.sendMessage(body).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect(err).toMatchObject({ code: 10002, platform: "maxim" });
    }
  });
});
