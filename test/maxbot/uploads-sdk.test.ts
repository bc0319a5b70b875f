/**
 * The official SDK's upload helpers (@maxhub/max-bot-api, unmodified, pointed at the emulator)
 * against our upload URLs: an image from a Buffer (multipart), a file from a path (multipart
 * stream) and a video from a path (the SDK's resumable upload: raw chunks with Content-Range and
 * the token from POST /uploads). Each goes into a message the MAX user receives with the attach.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bot } from "@maxhub/max-bot-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MaxMessage } from "../../src/max/client/types.js";
import { type BotWorld, type CreatedBot, type SignedInUser, startBotWorld } from "./harness.js";

let world: BotWorld;
let created: CreatedBot;
let bot: Bot;
let alice: SignedInUser;
const dir = mkdtempSync(join(tmpdir(), "maxbot-sdk-upload-"));

function nextFromBot(text: string): Promise<MaxMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no "${text}" from the bot`));
    }, 8000);
    const off = alice.on("message", (e) => {
      if (e.message.sender !== created.userId || e.message.text !== text) return;
      clearTimeout(timer);
      off();
      resolve(e.message);
    });
  });
}

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

beforeAll(async () => {
  world = await startBotWorld();
  created = await world.createBot("SDK upload bot");
  alice = await world.user("Alice");
  bot = new Bot(created.token, { clientOptions: { baseUrl: world.botApi } });
}, 60_000);

afterAll(async () => {
  await world?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the official SDK's uploads", () => {
  it("uploadImage from a Buffer, sent to a user, arrives as a photo", async () => {
    const image = await bot.api.uploadImage({ source: PNG });
    expect(Object.keys(image.photos ?? {})).toHaveLength(1);
    const seen = nextFromBot("sdk image");
    await bot.api.sendMessageToUser(alice.userId, "sdk image", { attachments: [image.toJson()] });
    expect((await seen).attaches.some((a) => a._type === "PHOTO")).toBe(true);
  });

  it("uploadFile from a path, sent to a user, arrives as a file with its name and size", async () => {
    const path = join(dir, "notes.txt");
    const content = "line\n".repeat(5000);
    writeFileSync(path, content);
    const file = await bot.api.uploadFile({ source: path });
    expect(typeof file.token).toBe("string");
    const seen = nextFromBot("sdk file");
    await bot.api.sendMessageToUser(alice.userId, "sdk file", { attachments: [file.toJson()] });
    const attach = (await seen).attaches.find((a) => a._type === "FILE") as
      | Record<string, unknown>
      | undefined;
    expect(attach).toMatchObject({ name: "notes.txt", size: content.length });
  });

  it("uploadVideo from a path (resumable chunks), sent to a user, arrives as a video", async () => {
    const path = join(dir, "clip.mp4");
    // Larger than one read-stream chunk (64 KiB), so the SDK sends several Content-Range parts.
    writeFileSync(path, Buffer.alloc(200_000, 3));
    const video = await bot.api.uploadVideo({ source: path });
    expect(typeof video.token).toBe("string");
    // (The SDK's own getVideoInfo sends the token as a query parameter of the literal path
    // `/videos/{video_token}`, so it is asked in raw HTTP here.)
    const res = await fetch(`${world.botApi}/videos/${video.token}`, {
      headers: { authorization: created.token },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ token: video.token, urls: { mp4_720: expect.any(String) } });
    const seen = nextFromBot("sdk video");
    await bot.api.sendMessageToUser(alice.userId, "sdk video", { attachments: [video.toJson()] });
    expect((await seen).attaches.some((a) => a._type === "VIDEO")).toBe(true);
  });
});
