/**
 * The Bot API face under bad input: malformed URLs, JSON, content types, oversized bodies, wrong
 * types in queries and paths each get a `{code, message}` error body with a 4xx status, nothing
 * is written, and the server keeps serving. Concurrent sends are all stored, in order of their ids.
 */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BotWorld, type CreatedBot, type SignedInUser, startBotWorld } from "./harness.js";

let world: BotWorld;
let bot: CreatedBot;
let alice: SignedInUser;
let dialogId = 0;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

const recent: number[] = [];
async function pace(): Promise<void> {
  while (recent.length >= 20) {
    const wait = (recent[0] as number) + 1000 - Date.now();
    if (wait <= 0) recent.shift();
    else await new Promise((r) => setTimeout(r, wait));
  }
  recent.push(Date.now());
}

/** A raw HTTP request (node:http, so nothing normalises the path or the body). */
async function raw(
  method: string,
  path: string,
  body?: string | Buffer,
  contentType?: string,
): Promise<Answer> {
  await pace();
  const url = new URL(world.botApi);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { Authorization: bot.token };
    if (contentType) headers["Content-Type"] = contentType;
    if (body !== undefined) headers["Content-Length"] = Buffer.byteLength(body);
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed: Record<string, unknown> = {};
        try {
          parsed = JSON.parse(text) as Record<string, unknown>;
        } catch {
          parsed = { unparsed: text };
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.setTimeout(5000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function expectClientError(a: Answer): void {
  expect(a.status).toBeGreaterThanOrEqual(400);
  expect(a.status).toBeLessThan(500);
  expect(typeof a.body.code).toBe("string");
  expect(typeof a.body.message).toBe("string");
}

async function messageCount(): Promise<number> {
  const a = await raw("GET", `/messages?chat_id=${dialogId}&count=100`);
  return (a.body.messages as unknown[]).length;
}

beforeAll(async () => {
  world = await startBotWorld();
  bot = await world.createBot("Hardening bot");
  alice = await world.user("Alice");
  const first = await raw(
    "POST",
    `/messages?user_id=${alice.userId}`,
    JSON.stringify({ text: "hi" }),
    "application/json",
  );
  dialogId = (first.body.message as { recipient: { chat_id: number } }).recipient.chat_id;
}, 60_000);

afterAll(async () => {
  await world?.close();
});

describe("bad input never crashes the server or writes anything", () => {
  it("answers every malformed request with a 4xx error body", async () => {
    const before = await messageCount();
    const json = "application/json";
    const target = `/messages?chat_id=${dialogId}`;
    const cases: [string, string, (string | Buffer)?, string?][] = [
      ["POST", target, "{", json],
      ["POST", target, "[]", json],
      ["POST", target, "null", json],
      ["POST", target, '"text"', json],
      ["POST", target, "", json],
      ["POST", target, JSON.stringify({ text: 5 }), json],
      ["POST", target, JSON.stringify({ text: "x", attachments: "no" }), json],
      ["POST", target, JSON.stringify({ text: "x", attachments: [{ type: "bomb" }] }), json],
      ["POST", target, JSON.stringify({ text: "x", link: { type: "quote", mid: "x" } }), json],
      ["POST", target, JSON.stringify({ text: "x", notify: "yes" }), json],
      ["POST", target, Buffer.from([0xff, 0xfe, 0x00, 0x7b]), json],
      [
        "POST",
        target,
        "--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--b--",
        "multipart/form-data; boundary=b",
      ],
      ["POST", target, JSON.stringify({ text: "x".repeat(2 * 1024 * 1024) }), json],
      ["POST", "/messages?chat_id=abc", JSON.stringify({ text: "x" }), json],
      ["POST", "/messages?chat_id=1&chat_id=2", JSON.stringify({ text: "x" }), json],
      ["POST", "/messages?user_id=99999999999999999999", JSON.stringify({ text: "x" }), json],
      ["GET", "/chats/%E0%A4%A"],
      ["GET", "/chats/99999999999999999999"],
      ["GET", "/chats?count=-5"],
      ["GET", "/messages?chat_id=1&count=1e3"],
      ["GET", "/messages/not-a-mid"],
      ["DELETE", "/messages"],
      ["PUT", "/messages?message_id=", JSON.stringify({ text: "x" }), json],
      ["POST", "/answers?callback_id=%20", JSON.stringify({ notification: "x" }), json],
      ["PATCH", "/me", JSON.stringify({ commands: "start" }), json],
      ["PATCH", "/chats/1", JSON.stringify({ icon: { url: 5 } }), json],
    ];
    for (const [method, path, body, type] of cases) {
      const a = await raw(method, path, body, type);
      try {
        expectClientError(a);
      } catch (err) {
        throw new Error(
          `${method} ${path.slice(0, 60)}: ${a.status} ${JSON.stringify(a.body).slice(0, 200)}`,
          {
            cause: err,
          },
        );
      }
    }
    expect(await messageCount()).toBe(before);
    expect((await raw("GET", "/me")).status).toBe(200);
  }, 30_000);
});

describe("concurrent writes", () => {
  it("stores every one of 20 concurrent sends and answers each with its own mid", async () => {
    const before = await messageCount();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        raw("POST", `/messages?chat_id=${dialogId}`, JSON.stringify({ text: `n${i}` }), "application/json"),
      ),
    );
    for (const a of answers) expect(a.status).toBe(200);
    const mids = answers.map((a) => (a.body.message as { body: { mid: string } }).body.mid);
    expect(new Set(mids).size).toBe(20);
    expect(await messageCount()).toBe(before + 20);
  }, 30_000);
});
