/** Fuzzing the emulator's request parsing: any input gets a platform-shaped answer, never a crash. */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ERROR_STATUS } from "../../src/vklive/protocol/index.js";
import { bearer, type Harness, raw, startEmulator, type World, world } from "./harness.js";

let h: Harness;
let w: World;

beforeAll(async () => {
  h = await startEmulator({ rateLimit: { requests: 1_000_000, windowMs: 60_000 } });
  w = world(h);
});
afterAll(() => h.close());

const PATHS = [
  "/v1/chat/message/send",
  "/v1/chat/messages",
  "/v1/chat/members",
  "/v1/chat/member",
  "/v1/chat/settings/edit",
  "/v1/channel",
  "/v1/channels",
  "/v1/channel/stream/edit",
  "/v1/channel_point/reward/activate",
  "/v1/websocket/subscription_token",
  "/v1/stream_records",
  "/oauth/server/token",
  "/oauth/server/revoke",
  "/v1/unknown",
];
const KNOWN = new Set(Object.keys(ERROR_STATUS));

describe("HTTP fuzz", () => {
  it("random queries and bodies always get {data} or {error} with a matching status", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PATHS),
        fc.constantFrom("GET", "POST"),
        fc.dictionary(
          fc.constantFrom(
            "channel_url",
            "limit",
            "user_id",
            "stream_id",
            "channels",
            "with_source_urls",
            "offset",
            "x",
          ),
          fc.oneof(fc.string({ maxLength: 20 }), fc.integer().map(String), fc.constant(w.channelUrl)),
        ),
        fc.oneof(
          fc.json({ maxDepth: 3 }),
          fc.string({ maxLength: 200 }),
          fc.constant(JSON.stringify({ parts: [{ text: { content: "fuzz" } }] })),
          fc.constant("grant_type=refresh_token&refresh_token=x"),
        ),
        fc.constantFrom("application/json", "application/x-www-form-urlencoded", "text/plain"),
        fc.boolean(),
        async (path, method, query, body, type, authed) => {
          const qs = new URLSearchParams(query).toString();
          const headers: Record<string, string> = { "content-type": type };
          if (authed) Object.assign(headers, bearer(w.ownerToken));
          const r = await raw(h.base, method, `${path}?${qs}`, headers, method === "POST" ? body : undefined);
          expect(r.status).toBeLessThan(500);
          expect(r.json).toBeTypeOf("object");
          if (r.status >= 400) {
            expect(KNOWN.has(r.json.error)).toBe(true);
            expect(ERROR_STATUS[r.json.error as keyof typeof ERROR_STATUS]).toBe(r.status);
          }
        },
      ),
      { numRuns: 250 },
    );
    expect((await raw(h.base, "GET", "/v1/token", bearer(w.ownerToken))).status).toBe(200);
  });

  it("random Authorization headers are 401 / 403, never 500", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 100 }).filter((s) => !/[\r\n\0]/.test(s) && /^[\x20-\x7e]*$/.test(s)),
          fc.string({ maxLength: 60 }).map((s) => `Basic ${Buffer.from(s).toString("base64")}`),
          fc
            .string({ maxLength: 60 })
            .filter((s) => /^[\x21-\x7e]*$/.test(s))
            .map((s) => `Bearer ${s}`),
        ),
        async (auth) => {
          const r = await raw(h.base, "GET", `/v1/channel?channel_url=${w.channelUrl}`, {
            authorization: auth,
          });
          expect([401, 403]).toContain(r.status);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("Centrifugo fuzz", () => {
  it("random frames get replies or a protocol close; the hub keeps serving", async () => {
    const url = `${h.base.replace("http", "ws")}/connection/websocket`;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.json({ maxDepth: 3 }),
            fc.constant('{"id":1,"connect":{"token":"x.y.z"}}'),
            fc
              .record({
                id: fc.integer({ min: -2, max: 5 }),
                subscribe: fc.record({ channel: fc.string({ maxLength: 20 }) }),
              })
              .map((o) => JSON.stringify(o)),
          ),
          { minLength: 1, maxLength: 4 },
        ),
        async (lines) => {
          const ws = new WebSocket(url);
          await new Promise<void>((res, rej) => {
            ws.once("open", () => res());
            ws.once("error", rej);
          });
          const closed = new Promise<number>((res) => ws.once("close", (code) => res(code)));
          ws.send(lines.join("\n"));
          // Sentinel instead of a time window: a frame the server must answer (a reply) or
          // close on. Frames are handled in order, so whatever the fuzz frame caused came first.
          const SENTINEL = 987_654;
          const answered = new Promise<number>((res) =>
            ws.on("message", (d) => {
              if (d.toString().includes(`"id":${SENTINEL}`)) res(0);
            }),
          );
          if (ws.readyState === WebSocket.OPEN) {
            ws.send(JSON.stringify({ id: SENTINEL, connect: { token: "x.y.z" } }));
          }
          const code = await Promise.race([closed, answered]);
          if (code !== 0) expect(code === 1009 || (code >= 3000 && code < 4000)).toBe(true);
          ws.terminate();
        },
      ),
      { numRuns: 60 },
    );
    const ok = new WebSocket(url);
    const token = (await raw(h.base, "GET", "/v1/websocket/token", bearer(w.viewerToken))).json.data.token;
    const reply = await new Promise<string>((resolve, reject) => {
      ok.once("open", () => ok.send(JSON.stringify({ id: 1, connect: { token } })));
      ok.once("message", (d) => resolve(d.toString()));
      ok.once("error", reject);
    });
    expect(JSON.parse(reply).connect).toBeDefined();
    ok.close();
  });
});
