/**
 * Webhooks, in raw HTTP: POST /subscriptions {url, secret}; each update is POSTed to the url
 * with X-Max-Bot-Api-Secret; any answer but 200 is a failure retried later (the platform every
 * 30–60 s; here the sandbox runs the same schedule in ms); updates arrive in order, each
 * delivered exactly once; long polling is refused while a subscription exists.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BotWorld, type SignedInUser, startBotWorld } from "./harness.js";

interface Received {
  headers: IncomingHttpHeaders;
  body: { update_type: string; message?: { body: { text: string } } };
  answered: number;
}

/** A webhook receiver on loopback; `answer` picks the status of each request. */
class Receiver {
  readonly got: Received[] = [];
  answer: (n: number, body: Received["body"]) => number = () => 200;
  private server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Received["body"];
      const status = this.answer(this.got.length, body);
      this.got.push({ headers: req.headers, body, answered: status });
      res.writeHead(status, { "content-type": "application/json" }).end("{}");
    });
  });
  url = "";
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }
  delivered(): string[] {
    return this.got
      .filter((r) => r.answered === 200)
      .map((r) => r.body.message?.body.text ?? r.body.update_type);
  }
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let world: BotWorld;
let alice: SignedInUser;
const receivers: Receiver[] = [];

async function call(token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(world.botApi + path, {
    method,
    headers: { authorization: token, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function until(check: () => boolean, what: string, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function receiver(): Promise<Receiver> {
  const r = new Receiver();
  await r.start();
  receivers.push(r);
  return r;
}

beforeAll(async () => {
  world = await startBotWorld({ maxbot: { updates: { webhook: { retryMinMs: 100, retryMaxMs: 150 } } } });
  alice = await world.user("Alice");
}, 60_000);

afterAll(async () => {
  await world?.close();
  await Promise.all(receivers.map((r) => r.close()));
});

describe("webhook subscriptions", () => {
  it("delivers updates with the secret header and lists the subscription without its secret", async () => {
    const bot = await world.createBot("Hook bot");
    const hook = await receiver();
    const sub = await call(bot.token, "POST", "/subscriptions", {
      url: hook.url,
      secret: "s3cret_value-1",
      update_types: ["message_created"],
    });
    expect(sub).toEqual({ status: 200, body: { success: true } });
    const listed = await call(bot.token, "GET", "/subscriptions");
    expect(listed.body).toEqual({
      subscriptions: [
        { url: hook.url, time: expect.any(Number), update_types: ["message_created"], version: null },
      ],
    });
    expect(JSON.stringify(listed.body)).not.toContain("s3cret_value-1");
    await alice.sendToUser(bot.userId, "hello hook");
    await until(() => hook.got.length >= 1, "the webhook POST");
    expect(hook.got[0]?.headers["x-max-bot-api-secret"]).toBe("s3cret_value-1");
    expect(hook.got[0]?.headers["content-type"]).toContain("application/json");
    expect(hook.got[0]?.body).toMatchObject({
      update_type: "message_created",
      message: { body: { text: "hello hook" } },
    });
  });

  it("long polling is refused while a subscription exists and works again after DELETE", async () => {
    const bot = await world.createBot("Exclusive bot");
    const hook = await receiver();
    await call(bot.token, "POST", "/subscriptions", { url: hook.url });
    const refused = await call(bot.token, "GET", "/updates?timeout=0");
    expect(refused.status).toBe(405);
    expect(refused.body).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    await alice.sendToUser(bot.userId, "via hook");
    await until(() => hook.delivered().includes("via hook"), "the hook delivery");
    const removed = await call(bot.token, "DELETE", `/subscriptions?url=${encodeURIComponent(hook.url)}`);
    expect(removed.body).toEqual({ success: true });
    expect((await call(bot.token, "GET", "/subscriptions")).body).toEqual({ subscriptions: [] });
    // What the webhook delivered is committed: long polling does not get it again.
    const polled = await call(bot.token, "GET", "/updates?timeout=0");
    expect(polled.status).toBe(200);
    expect((polled.body as { updates: unknown[] }).updates).toEqual([]);
    await alice.sendToUser(bot.userId, "via polling");
    const next = await call(bot.token, "GET", "/updates?timeout=5");
    const texts = (next.body as { updates: { message?: { body: { text: string } } }[] }).updates.map(
      (u) => u.message?.body.text,
    );
    expect(texts).toEqual(["via polling"]);
    expect(hook.delivered()).not.toContain("via polling");
  });

  it("retries after a 500 and delivers each update exactly once, in order", async () => {
    const bot = await world.createBot("Retry bot");
    const hook = await receiver();
    // The first two requests fail (500, then 503); every later one succeeds.
    hook.answer = (n) => (n === 0 ? 500 : n === 1 ? 503 : 200);
    await call(bot.token, "POST", "/subscriptions", {
      url: hook.url,
      secret: "retry_secret",
      update_types: ["message_created"],
    });
    const texts = ["m1", "m2", "m3", "m4", "m5"];
    for (const text of texts) await alice.sendToUser(bot.userId, text);
    await until(() => hook.delivered().length >= texts.length, "five deliveries");
    // Give a wrongly repeated delivery the time of a few retry delays to show up.
    await new Promise((r) => setTimeout(r, 600));
    expect(hook.delivered()).toEqual(texts);
    expect(hook.got.map((r) => r.answered)).toEqual([500, 503, 200, 200, 200, 200, 200]);
    // The failed attempts were the first update, sent again until it succeeded.
    expect(hook.got.slice(0, 3).map((r) => r.body.message?.body.text)).toEqual(["m1", "m1", "m1"]);
    expect(hook.got.every((r) => r.headers["x-max-bot-api-secret"] === "retry_secret")).toBe(true);
  });

  it("a receiver that is down gets the update once it is back", async () => {
    const bot = await world.createBot("Down bot");
    const hook = await receiver();
    const url = hook.url;
    await hook.close();
    await call(bot.token, "POST", "/subscriptions", { url, update_types: ["message_created"] });
    await alice.sendToUser(bot.userId, "while down");
    await new Promise((r) => setTimeout(r, 300));
    // Back on the same port.
    const port = Number(new URL(url).port);
    const back = new Receiver();
    await new Promise<void>((resolve) =>
      (back as unknown as { server: Server }).server.listen(port, "127.0.0.1", resolve),
    );
    receivers.push(back);
    await until(() => back.delivered().includes("while down"), "the delivery after the receiver came back");
    expect(back.delivered()).toEqual(["while down"]);
  });

  it("refuses a bad secret and a plain-http url outside loopback", async () => {
    const bot = await world.createBot("Strict bot");
    const shortSecret = await call(bot.token, "POST", "/subscriptions", {
      url: "https://example.com/h",
      secret: "abc",
    });
    expect(shortSecret.status).toBe(400);
    const badChars = await call(bot.token, "POST", "/subscriptions", {
      url: "https://example.com/h",
      secret: "has spaces!",
    });
    expect(badChars.status).toBe(400);
    const plainHttp = await call(bot.token, "POST", "/subscriptions", { url: "http://example.com/h" });
    expect(plainHttp.status).toBe(400);
    expect(plainHttp.body).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    expect((await call(bot.token, "GET", "/subscriptions")).body).toEqual({ subscriptions: [] });
  });
});
