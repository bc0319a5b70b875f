/**
 * The upload flow end to end, in raw HTTP: POST /uploads?type=… → {url[, token]}; the file goes
 * to that url as multipart/form-data (field `data`) or in Content-Range chunks (as the official
 * SDK sends video and audio); the token then goes into POST /messages, and the MAX user sees the
 * attach in an ordinary message. A token used before its upload finished gets 400
 * attachment.not.ready; an upload url works once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MaxMessage } from "../../src/max/client/types.js";
import { type BotWorld, type CreatedBot, type SignedInUser, startBotWorld } from "./harness.js";

let world: BotWorld;
let bot: CreatedBot;
let alice: SignedInUser;

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(world.botApi + path, {
    method,
    headers: {
      authorization: bot.token,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function uploadForm(url: string, bytes: Uint8Array, name: string) {
  const form = new FormData();
  form.append("data", new Blob([bytes]), name);
  const res = await fetch(url, { method: "POST", body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The next message from the bot pushed to Alice. */
function nextFromBot(match: (m: MaxMessage) => boolean): Promise<MaxMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error("no message from the bot"));
    }, 8000);
    const off = alice.on("message", (e) => {
      if (e.message.sender !== bot.userId || !match(e.message)) return;
      clearTimeout(timer);
      off();
      resolve(e.message);
    });
  });
}

// A 1x1 PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

beforeAll(async () => {
  world = await startBotWorld();
  bot = await world.createBot("Upload bot");
  alice = await world.user("Alice");
}, 60_000);

afterAll(async () => {
  await world?.close();
});

describe("uploads", () => {
  it("a file: upload url, multipart upload → token, message with the file reaches the user", async () => {
    const slot = await call("POST", "/uploads?type=file");
    expect(slot.status).toBe(200);
    expect(slot.body.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(slot.body.token).toBeUndefined();
    const content = Buffer.from("report contents\n".repeat(100));
    const up = await uploadForm(slot.body.url as string, content, "report.txt");
    expect(up.status).toBe(200);
    expect(up.body).toEqual({ token: expect.any(String) });
    const seen = nextFromBot((m) => m.text === "here is the file");
    const sent = await call("POST", `/messages?user_id=${alice.userId}`, {
      text: "here is the file",
      attachments: [{ type: "file", payload: { token: up.body.token } }],
    });
    expect(sent.status).toBe(200);
    const message = await seen;
    const file = message.attaches.find((a) => a._type === "FILE") as Record<string, unknown> | undefined;
    expect(file).toBeDefined();
    expect(file?.name).toBe("report.txt");
    expect(file?.size).toBe(content.length);
    // The bot's own view of the message carries the file too.
    const attachments = (sent.body.message as { body: { attachments: { type: string }[] } }).body.attachments;
    expect(attachments.map((a) => a.type)).toContain("file");
    // The upload url was for one upload only.
    const again = await uploadForm(slot.body.url as string, content, "again.txt");
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ code: "not.found" });
  });

  it("an image: the upload answers {photos: {id: {token}}} and the user sees a photo", async () => {
    const slot = await call("POST", "/uploads?type=image");
    const up = await uploadForm(slot.body.url as string, PNG, "dot.png");
    expect(up.status).toBe(200);
    const photos = up.body.photos as Record<string, { token: string }>;
    const tokens = Object.values(photos).map((p) => p.token);
    expect(tokens).toHaveLength(1);
    const seen = nextFromBot((m) => m.text === "a picture");
    const sent = await call("POST", `/messages?user_id=${alice.userId}`, {
      text: "a picture",
      attachments: [{ type: "image", payload: { photos } }],
    });
    expect(sent.status).toBe(200);
    const message = await seen;
    expect(message.attaches.some((a) => a._type === "PHOTO")).toBe(true);
  });

  it("a video: the token comes first, is not ready until the chunks are in, then works", async () => {
    const slot = await call("POST", "/uploads?type=video");
    expect(slot.status).toBe(200);
    const token = slot.body.token as string;
    expect(typeof token).toBe("string");
    const early = await call("POST", `/messages?user_id=${alice.userId}`, {
      text: "too early",
      attachments: [{ type: "video", payload: { token } }],
    });
    expect(early.status).toBe(400);
    expect(early.body).toMatchObject({ code: "attachment.not.ready" });
    // Two raw chunks with Content-Range, as the official SDK uploads a stream.
    const video = Buffer.alloc(3000, 7);
    for (const [start, end] of [
      [0, 1999],
      [2000, 2999],
    ] as const) {
      const res = await fetch(slot.body.url as string, {
        method: "POST",
        headers: {
          "content-type": "application/x-binary; charset=x-user-defined",
          "content-range": `bytes ${start}-${end}/${video.length}`,
          "content-disposition": 'attachment; filename="clip.mp4"',
          "x-file-name": "clip.mp4",
        },
        body: video.subarray(start, end + 1),
      });
      expect(res.status).toBe(200);
      await res.text();
    }
    const details = await call("GET", `/videos/${token}`);
    expect(details.status).toBe(200);
    expect(details.body).toMatchObject({
      token,
      width: expect.any(Number),
      height: expect.any(Number),
      duration: expect.any(Number),
    });
    const seen = nextFromBot((m) => m.text === "a clip");
    const sent = await call("POST", `/messages?user_id=${alice.userId}`, {
      text: "a clip",
      attachments: [{ type: "video", payload: { token } }],
    });
    expect(sent.status).toBe(200);
    const message = await seen;
    expect(message.attaches.some((a) => a._type === "VIDEO")).toBe(true);
  });

  it("refuses unknown tokens, a form without `data` and a bad upload type", async () => {
    const unknown = await call("POST", `/messages?user_id=${alice.userId}`, {
      text: "x",
      attachments: [{ type: "file", payload: { token: "no-such-token" } }],
    });
    expect(unknown.status).toBe(404);
    expect((await call("GET", "/videos/no-such-token")).status).toBe(404);
    const badType = await call("POST", "/uploads?type=sticker");
    expect(badType.status).toBe(400);
    const slot = await call("POST", "/uploads?type=file");
    const form = new FormData();
    form.append("other", new Blob([Buffer.from("x")]), "x.txt");
    const res = await fetch(slot.body.url as string, { method: "POST", body: form });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "bad.request" });
  });
});
