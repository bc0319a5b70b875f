/**
 * Conformance: MAX uploads and downloads — opcodes 65/80/82/83/84/85/87/88 over raw packets,
 * the upload/download HTTP side over real loopback HTTP, event 136, and the attach check the
 * message path uses. Upload shapes: multipart field `file` (seed, vkmax, vkmax-node) and
 * PyMax's raw body with Content-Disposition / Content-Range.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateMediaAttach } from "../../src/max/emulator/handlers/files.js";
import { setUploadLimit } from "../../src/max/emulator/http.js";
import { quietFor, untilSentinel } from "../helpers/quiet.js";
import { loggedIn, RawClient, type RawPacket, startEmulator } from "./raw.js";

let emu: Awaited<ReturnType<typeof startEmulator>>;
const clients: RawClient[] = [];
let phoneSeq = 0;
const nextPhone = () => `+7933000${String(++phoneSeq).padStart(4, "0")}`;

async function login(phone = nextPhone()) {
  const r = await loggedIn(emu.url, phone);
  clients.push(r.client);
  return { ...r, phone };
}

const core = () => emu.server.emu;
const filesDir = () => join(emu.dataDir, "files");
const tempFiles = () => readdirSync(filesDir()).filter((n) => n.startsWith(".tmp-"));
const sha = (b: Buffer | Uint8Array) => createHash("sha256").update(b).digest("hex");

// biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON answers
const json = (res: Response): Promise<any> => res.json();

function expectError(p: RawPacket, opcode: number, code: string): void {
  expect(p.cmd).toBe(3);
  expect(p.opcode).toBe(opcode);
  expect(p.payload.error).toBe(code);
}

function expectAttachInvalid(fn: () => unknown): void {
  expect(fn).toThrow(expect.objectContaining({ code: "attach.invalid" }));
}

/** A PNG header (signature + IHDR) of a 3×2 image followed by filler bytes. */
function png(extra = 100): Buffer {
  const head = Buffer.alloc(24);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(head, 0);
  head.writeUInt32BE(13, 8);
  head.write("IHDR", 12, "latin1");
  head.writeUInt32BE(3, 16);
  head.writeUInt32BE(2, 20);
  return Buffer.concat([head, Buffer.alloc(extra, 7)]);
}

function bytes(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 17) & 0xff;
  return b;
}

/** The seed's / vkmax's upload: a multipart form with the file in field `file`. */
function postForm(
  url: string,
  data: Buffer,
  filename: string,
  type: string,
  field = "file",
): Promise<Response> {
  const form = new FormData();
  form.append(field, new Blob([data], { type }), filename);
  return fetch(url, { method: "POST", body: form, headers: { Origin: "https://web.max.ru" } });
}

/** PyMax's upload: the body is the file; `bytes ` prefix on video/voice, none on files. */
function postRaw(url: string, data: Buffer, name: string, rangePrefix = "bytes "): Promise<Response> {
  return fetch(url, {
    method: "POST",
    body: data,
    headers: {
      "Content-Disposition": `attachment; filename=${encodeURIComponent(name)}`,
      "Content-Range": `${rangePrefix}0-${data.length - 1}/${data.length}`,
      "Content-Type": "application/octet-stream",
    },
  });
}

interface StreamResult {
  status: number;
  body: string;
  sentSha: string;
  sent: number;
}

/**
 * Streams a generated body with backpressure (never the whole thing in memory). `chunks`
 * yields the payload; multipart framing is added around it when `multipart` is set. Writing
 * stops once the server has answered (an early refusal). `abortAfter` destroys the request
 * after that many payload bytes, once `beforeAbort` resolves.
 */
function postStream(
  url: string,
  opts: {
    total: number;
    multipart?: boolean;
    headers?: Record<string, string>;
    abortAfter?: number;
    beforeAbort?: () => Promise<void>;
  },
): Promise<StreamResult> {
  const boundary = "----switchboardtest7MA4YWxkTrZu0gW";
  const pre = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const post = Buffer.from(`\r\n--${boundary}--\r\n`);
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.multipart) headers["Content-Type"] = `multipart/form-data; boundary=${boundary}`;
  const hash = createHash("sha256");
  return new Promise<StreamResult>((resolve, reject) => {
    let responded = false;
    // An early answer detaches the socket from the request: its 'drain' never comes then.
    let wake: () => void = () => {};
    const req = http.request(url, { method: "POST", headers }, (res) => {
      responded = true;
      wake();
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(parts).toString("utf8"),
          sentSha: hash.digest("hex"),
          sent,
        }),
      );
    });
    let sent = 0;
    req.on("error", (err) => {
      if (opts.abortAfter !== undefined) resolve({ status: 0, body: "", sentSha: "", sent });
      else if (!responded) reject(err);
    });
    const write = (b: Buffer) =>
      req.write(b)
        ? Promise.resolve()
        : new Promise<void>((r) => {
            wake = r;
            req.once("drain", r);
          });
    (async () => {
      if (opts.multipart) await write(pre);
      const chunk = Buffer.alloc(64 * 1024);
      let i = 0;
      while (sent < opts.total && !responded) {
        chunk.fill(i & 0xff);
        chunk.writeUInt32BE(i++, 0);
        const piece = chunk.subarray(0, Math.min(chunk.length, opts.total - sent));
        hash.update(piece);
        sent += piece.length;
        await write(piece);
        if (opts.abortAfter !== undefined && sent >= opts.abortAfter) {
          await opts.beforeAbort?.();
          req.destroy();
          return;
        }
      }
      if (opts.multipart && !responded) await write(post);
      req.end();
    })().catch(reject);
  });
}

/** Streams a GET into a hash; returns status, headers and the digest. */
function getStream(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; sha: string; size: number }>(
    (resolve, reject) => {
      http
        .get(url, { headers }, (res) => {
          const hash = createHash("sha256");
          let size = 0;
          res.on("data", (d: Buffer) => {
            hash.update(d);
            size += d.length;
          });
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, sha: hash.digest("hex"), size }),
          );
          res.on("error", reject);
        })
        .on("error", reject);
    },
  );
}

async function waitUntil(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Puts users in a chat with one message carrying `attaches` (fixture for the access rules). */
let fixtureIds = 0;
function chatWithMessage(
  memberIds: number[],
  senderId: number,
  attaches: unknown[],
): { chatId: number; messageId: string } {
  const db = emu.db;
  const now = Date.now();
  const chatId = -(9_000_000_000 + ++fixtureIds);
  const messageId = 9_000_000_000_000 + fixtureIds;
  db.prepare(
    "INSERT INTO max_chats (id, type, title, owner_id, created_at, modified_at, last_event_time) VALUES (?, 'CHAT', 'files', ?, ?, ?, ?)",
  ).run(chatId, senderId, now, now, now);
  for (const userId of memberIds) {
    db.prepare("INSERT INTO max_members (chat_id, user_id, joined_at) VALUES (?, ?, ?)").run(
      chatId,
      userId,
      now,
    );
  }
  db.prepare("INSERT INTO max_messages (id, chat_id, sender_id, time, attaches) VALUES (?, ?, ?, ?, ?)").run(
    messageId,
    chatId,
    senderId,
    now,
    JSON.stringify(attaches),
  );
  return { chatId, messageId: String(messageId) };
}

beforeAll(async () => {
  emu = await startEmulator();
});

afterAll(async () => {
  for (const c of clients) c.close();
  await emu.close();
});

describe("65 UPLOAD_START", () => {
  it("accepts vkmax's notice for every media type in a chat of the sender and validates the rest", async () => {
    const { client } = await login();
    const other = await login();
    const sent = await client.ok(64, { userId: other.userId, message: { text: "hi", cid: 1 } });
    for (const type of ["PHOTO", "VIDEO", "FILE"]) {
      expect(await client.ok(65, { chatId: sent.chatId, type })).toEqual({});
    }
    expect((await client.call(65, { chatId: 123, type: "PHOTO" })).cmd).toBe(3);
    expectError(await client.call(65, { chatId: sent.chatId, type: "HOLOGRAM" }), 65, "proto.payload");
  });

  it("needs a logged-in session", async () => {
    const c = await RawClient.connect(emu.url);
    clients.push(c);
    await c.hello();
    expectError(await c.call(80, { count: 1 }), 80, "proto.state");
  });
});

describe("photos (80)", () => {
  it('seed example: URL, multipart `file`, photos["0"].token → PHOTO attach; GET and Range on baseUrl', async () => {
    const { client, userId } = await login();
    const resp = await client.ok(80, { count: 1 });
    const url = new URL(resp.url);
    expect(url.pathname).toBe("/upload/photo");
    const photoId = url.searchParams.get("photoIds");
    expect(photoId).toMatch(/^\d+$/);
    expect(url.searchParams.get("apiToken")).toMatch(/^[\w-]{20,}$/);

    const data = png(500);
    const res = await postForm(resp.url, data, "photo.jpg", "image/jpeg");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const respJson = await json(res);
    // Both readings work: by the id from the URL (PyMax, vkmax-node) and the seed's "0".
    const token = respJson.photos["0"].token;
    expect(typeof token).toBe("string");
    expect(respJson.photos[String(photoId)].token).toBe(token);
    // vkmax: list(photos.values())[0]
    expect(Object.values(respJson.photos as Record<string, { token: string }>)[0]?.token).toBe(token);

    const attach = validateMediaAttach(core(), { _type: "PHOTO", photoToken: token }, userId);
    expect(attach).toMatchObject({
      _type: "PHOTO",
      photoToken: token,
      photoId: Number(photoId),
      width: 3,
      height: 2,
    });
    if (attach._type !== "PHOTO") throw new Error("unreachable");
    expect(new URL(attach.baseUrl).pathname).toBe("/i");

    const got = await fetch(attach.baseUrl);
    expect(got.status).toBe(200);
    expect(got.headers.get("content-type")).toBe("image/jpeg");
    expect(got.headers.get("content-length")).toBe(String(data.length));
    expect(Buffer.from(await got.arrayBuffer()).equals(data)).toBe(true);

    const part = await fetch(attach.baseUrl, { headers: { Range: "bytes=0-7" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 0-7/${data.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(data.subarray(0, 8))).toBe(true);

    // No 136 for photos: they are usable as soon as the POST answers. The upload's events leave
    // when its HTTP answer closes, with no ordered channel to a sentinel: one named window.
    const late = await quietFor<RawPacket>((push) => {
      const onMessage = (d: Buffer) => push(JSON.parse(String(d)) as RawPacket);
      client.ws.on("message", onMessage);
      return () => client.ws.off("message", onMessage);
    });
    expect(late.filter((p) => p.opcode === 136)).toHaveLength(0);
    expect(client.events(136)).toHaveLength(0);
  });

  it("count 2: two ids in one URL, two `file` parts in one form", async () => {
    const { client, userId } = await login();
    const { url } = await client.ok(80, { count: 2 });
    const ids = new URL(url).searchParams.get("photoIds")?.split(",") ?? [];
    expect(ids).toHaveLength(2);
    const form = new FormData();
    form.append("file", new Blob([png(10)], { type: "image/png" }), "a.png");
    form.append("file", new Blob([png(20)], { type: "image/png" }), "b.png");
    const res = await fetch(url, { method: "POST", body: form });
    expect(res.status).toBe(200);
    const { photos } = await json(res);
    for (const id of ids) {
      const attach = validateMediaAttach(core(), { _type: "PHOTO", photoToken: photos[id].token }, userId);
      expect(attach).toMatchObject({ photoId: Number(id) });
    }
    expect(photos[ids[0] as string].token).not.toBe(photos[ids[1] as string].token);
  });

  it("another user cannot attach an unsent photo; unknown tokens are refused", async () => {
    const alice = await login();
    const bob = await login();
    const { url } = await alice.client.ok(80, { count: 1 });
    const { photos } = await json(await postForm(url, png(), "p.png", "image/png"));
    const token = photos["0"].token;
    expectAttachInvalid(() => validateMediaAttach(core(), { _type: "PHOTO", photoToken: token }, bob.userId));
    expectAttachInvalid(() =>
      validateMediaAttach(core(), { _type: "PHOTO", photoToken: "nope" }, alice.userId),
    );
    // Once Bob has seen it in a chat, he may forward it.
    chatWithMessage([alice.userId, bob.userId], alice.userId, [
      { _type: "PHOTO", photoToken: token, photoId: 1 },
    ]);
    expect(validateMediaAttach(core(), { _type: "PHOTO", photoToken: token }, bob.userId)).toMatchObject({
      photoToken: token,
    });
  });

  it("a photo URL whose upload never happened is not an attach", async () => {
    const { client, userId } = await login();
    const { url } = await client.ok(80, { count: 1 });
    const id = Number(new URL(url).searchParams.get("photoIds"));
    const row = core().repos.files.byId(id);
    expect(row?.state).toBe("PENDING");
    expectAttachInvalid(() =>
      validateMediaAttach(core(), { _type: "PHOTO", photoToken: row?.token ?? "" }, userId),
    );
  });
});

describe("videos (82, 83)", () => {
  it("multipart upload answers <retval>1</retval>, 136 follows, attach checks the token, 83 serves the bytes", async () => {
    const { client, userId } = await login();
    const { info } = await client.ok(82, { count: 1 });
    expect(info).toHaveLength(1);
    const { url, videoId, token } = info[0];
    expect(typeof videoId).toBe("number");
    expect(typeof token).toBe("string");

    const data = bytes(300_000, 2);
    const res = await postForm(url, data, "video.mp4", "video/mp4");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("<retval>1</retval>");
    const ev = await client.event(136, (p) => p.payload.videoId === videoId);
    expect(ev.payload).toMatchObject({ videoId, token });

    expect(validateMediaAttach(core(), { _type: "VIDEO", videoId, token, duration: 1234 }, userId)).toEqual({
      _type: "VIDEO",
      videoId,
      token,
      duration: 1234,
      // Fields PyMax 1.x's VideoAttach reads unconditionally (no transcoding here: unknown size).
      width: 0,
      height: 0,
      previewData: "",
      thumbnail: "",
      videoType: 0,
    });
    // Ids as strings are the same id; a wrong token is not.
    expect(
      validateMediaAttach(core(), { _type: "VIDEO", videoId: String(videoId), token }, userId),
    ).toMatchObject({
      videoId,
    });
    expectAttachInvalid(() =>
      validateMediaAttach(core(), { _type: "VIDEO", videoId, token: "forged" }, userId),
    );

    const play = await client.ok(83, { videoId, chatId: 0, messageId: "0" });
    expect(play.cache).toBe(false);
    expect(typeof play.EXTERNAL).toBe("string");
    const links = Object.entries(play).filter(([k]) => k !== "cache" && k !== "EXTERNAL");
    expect(links.length).toBeGreaterThan(0);
    const mp4 = String(play.MP4_720);
    const full = await getStream(mp4);
    expect(full.status).toBe(200);
    expect(full.headers["content-type"]).toBe("video/mp4");
    expect(full.headers["content-length"]).toBe(String(data.length));
    expect(full.headers["accept-ranges"]).toBe("bytes");
    expect(full.sha).toBe(sha(data));

    const tail = await fetch(mp4, { headers: { Range: "bytes=299990-" } });
    expect(tail.status).toBe(206);
    expect(tail.headers.get("content-range")).toBe(`bytes 299990-299999/${data.length}`);
    expect(Buffer.from(await tail.arrayBuffer()).equals(data.subarray(299_990))).toBe(true);

    const beyond = await fetch(mp4, { headers: { Range: `bytes=${data.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe(`bytes */${data.length}`);

    const forged = mp4.replace(/\/[^/]+$/, "/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    const notFound = await fetch(forged);
    expect(notFound.status).toBe(404);
    expect((await json(notFound)).error).toBe("not.found");
  });

  it("PyMax raw body (Content-Disposition + `bytes` Content-Range) answers JSON and fires 136", async () => {
    const { client, userId } = await login();
    const { info } = await client.ok(82, { count: 1, type: 0, uploaderType: 0, profile: false });
    const { url, videoId, token } = info[0];
    const data = bytes(70_000, 3);
    const res = await postRaw(url, data, "clip one.mp4");
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ videoId, token });
    await client.event(136, (p) => p.payload.videoId === videoId);
    const row = core().repos.files.byId(videoId);
    expect(row).toMatchObject({
      state: "COMPLETE",
      name: "clip one.mp4",
      mime: "video/mp4",
      size: data.length,
    });
    expect(validateMediaAttach(core(), { _type: "VIDEO", videoId, token }, userId)).toMatchObject({
      videoId,
    });
  });

  it("PyMax voice: 82 with type 2, raw body, AUDIO attach by videoId", async () => {
    const { client, userId } = await login();
    const { info } = await client.ok(82, { count: 1, type: 2, uploaderType: 1, profile: false });
    const { url, videoId, token } = info[0];
    const res = await postRaw(url, bytes(5000, 4), "voice.ogg");
    expect(res.status).toBe(200);
    const attach = validateMediaAttach(
      core(),
      { _type: "AUDIO", videoId, token, duration: 3000, wave: "AAAA" },
      userId,
    );
    expect(attach).toMatchObject({ _type: "AUDIO", audioId: videoId, videoId, duration: 3000 });
  });

  it("83 for someone else's video needs a visible message carrying it", async () => {
    const alice = await login();
    const bob = await login();
    const carol = await login();
    const { info } = await alice.client.ok(82, { count: 1 });
    await postForm(info[0].url, bytes(1000), "v.mp4", "video/mp4");
    const videoId = info[0].videoId;
    expectError(await bob.client.call(83, { videoId }), 83, "chat.not.access");
    const { chatId, messageId } = chatWithMessage([alice.userId, bob.userId], alice.userId, [
      { _type: "VIDEO", videoId, token: info[0].token },
    ]);
    const ok = await bob.client.ok(83, { videoId, chatId, messageId });
    expect((await getStream(ok.MP4_720)).size).toBe(1000);
    // Carol is not in that chat.
    expectError(await carol.client.call(83, { videoId, chatId, messageId }), 83, "chat.not.access");
    expectError(await alice.client.call(83, { videoId: 424242 }), 83, "not.found");
    expectError(await alice.client.call(83, {}), 83, "proto.payload");
  });
});

describe("files (87, 88)", () => {
  it("multipart upload → JSON, 136 {fileId} to every session of the uploader only, 88 download", async () => {
    const { client, userId, token: loginToken } = await login();
    const second = await RawClient.connect(emu.url);
    clients.push(second);
    await second.tokenLogin(loginToken);
    const bob = await login();

    const { info } = await client.ok(87, { count: 1 });
    const { url, fileId } = info[0];
    expect(new URL(url).searchParams.get("fileId")).toBe(String(fileId));
    const data = bytes(123_457, 5);
    const res = await postForm(url, data, "отчёт 2025.pdf", "application/pdf");
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ fileId, size: data.length });
    expect((await client.event(136, (p) => p.payload.fileId === fileId)).payload).toEqual({ fileId });
    await second.event(136, (p) => p.payload.fileId === fileId);
    // The 136 went out to the uploader's sessions already; a message pushed to Bob afterwards
    // arrives after anything that was sent to him with it.
    const mark = `sentinel ${fileId}`;
    await untilSentinel<RawPacket>(
      (push) => {
        const onMessage = (d: Buffer) => push(JSON.parse(String(d)) as RawPacket);
        bob.client.ws.on("message", onMessage);
        return () => bob.client.ws.off("message", onMessage);
      },
      (p) => p.opcode === 128 && p.payload?.message?.text === mark,
      () => emu.admin.sendMessage({ fromUserId: userId, toUserId: bob.userId, text: mark }),
    );
    expect(bob.client.events(136)).toHaveLength(0);

    expect(validateMediaAttach(core(), { _type: "FILE", fileId }, userId)).toMatchObject({
      _type: "FILE",
      fileId,
      name: "отчёт 2025.pdf",
      size: data.length,
    });
    expectAttachInvalid(() => validateMediaAttach(core(), { _type: "FILE", fileId }, bob.userId));
    expectAttachInvalid(() => validateMediaAttach(core(), { _type: "FILE", fileId: 1 }, userId));
    expectAttachInvalid(() => validateMediaAttach(core(), { _type: "STICKER", stickerId: 1 }, userId));

    const dl = await client.ok(88, { fileId, chatId: 0, messageId: "0" });
    expect(dl.unsafe).toBe(false);
    const got = await getStream(dl.url);
    expect(got.status).toBe(200);
    expect(got.headers["content-type"]).toBe("application/pdf");
    expect(got.headers["content-length"]).toBe(String(data.length));
    expect(got.headers["content-disposition"]).toContain(
      `filename*=UTF-8''${encodeURIComponent("отчёт 2025.pdf")}`,
    );
    expect(got.sha).toBe(sha(data));

    const last = await fetch(dl.url, { headers: { Range: "bytes=-5" } });
    expect(last.status).toBe(206);
    expect(Buffer.from(await last.arrayBuffer()).equals(data.subarray(data.length - 5))).toBe(true);
    const mid = await fetch(dl.url, { headers: { Range: "bytes=100-199" } });
    expect(mid.status).toBe(206);
    expect(mid.headers.get("content-length")).toBe("100");
    expect(Buffer.from(await mid.arrayBuffer()).equals(data.subarray(100, 200))).toBe(true);

    // The same URL cannot be used twice.
    const again = await postForm(url, data, "again.pdf", "application/pdf");
    expect(again.status).toBe(403);
    expect((await json(again)).error).toBe("upload.token.used");
  });

  it("PyMax raw body with Content-Range without the `bytes` prefix", async () => {
    const { client, userId } = await login();
    const { info } = await client.ok(87, { count: 1, type: 0, uploaderType: 0, profile: false });
    const { url, fileId } = info[0];
    const data = bytes(10_000, 6);
    const res = await postRaw(url, data, "данные.bin", "");
    expect(res.status).toBe(200);
    await client.event(136, (p) => p.payload.fileId === fileId);
    expect(validateMediaAttach(core(), { _type: "FILE", fileId: String(fileId) }, userId)).toMatchObject({
      name: "данные.bin",
      size: 10_000,
    });
    const { url: dl } = await client.ok(88, { fileId });
    expect((await getStream(dl)).sha).toBe(sha(data));
  });

  it("a raw body shorter or longer than its Content-Range is refused and leaves nothing", async () => {
    const { client } = await login();
    const { info } = await client.ok(87, { count: 1 });
    const res = await fetch(info[0].url, {
      method: "POST",
      body: bytes(100),
      headers: { "Content-Range": "bytes 0-199/200", "Content-Disposition": "attachment; filename=x" },
    });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toBe("upload.incomplete");
    expect(core().repos.files.byId(info[0].fileId)?.state).toBe("PENDING");
    const partial = await fetch(info[0].url, {
      method: "POST",
      body: bytes(100),
      headers: { "Content-Range": "bytes 100-199/200" },
    });
    expect(partial.status).toBe(416);
    expect(tempFiles()).toEqual([]);
  });

  it("88 for another user's file: granted through a message in a shared chat, refused otherwise", async () => {
    const alice = await login();
    const bob = await login();
    const { info } = await alice.client.ok(87, { count: 1 });
    const fileId = info[0].fileId;
    await postForm(info[0].url, bytes(64), "a.txt", "text/plain");
    expectError(await bob.client.call(88, { fileId }), 88, "chat.not.access");
    expectAttachInvalid(() => validateMediaAttach(core(), { _type: "FILE", fileId }, bob.userId));
    const other = chatWithMessage([alice.userId, bob.userId], alice.userId, [{ _type: "FILE", fileId: 1 }]);
    expectError(await bob.client.call(88, { fileId, ...other }), 88, "chat.not.access");
    const shared = chatWithMessage([alice.userId, bob.userId], alice.userId, [
      { _type: "FILE", fileId, name: "a.txt" },
    ]);
    const dl = await bob.client.ok(88, { fileId, chatId: shared.chatId, messageId: shared.messageId });
    expect((await getStream(dl.url)).size).toBe(64);
    // Bob has seen it, so he may send it on.
    expect(validateMediaAttach(core(), { _type: "FILE", fileId }, bob.userId)).toMatchObject({ fileId });
  });
});

describe("voice (84, 85)", () => {
  it("84 → upload → 136 {voiceId, audioId} → VOICE attach → 85 url", async () => {
    const { client, userId } = await login();
    const { info } = await client.ok(84, { count: 1 });
    const { url, voiceId, audioId, token } = info[0];
    expect(voiceId).toBe(audioId);
    const data = bytes(20_000, 7);
    const res = await postForm(url, data, "audio.ogg", "audio/ogg");
    expect(res.status).toBe(200);
    const ev = await client.event(136, (p) => p.payload.voiceId === voiceId);
    expect(ev.payload).toMatchObject({ voiceId, audioId, token });

    const attach = validateMediaAttach(core(), { _type: "VOICE", voiceId, duration: 5000 }, userId);
    expect(attach).toMatchObject({ _type: "VOICE", voiceId, audioId, duration: 5000 });
    if (attach._type !== "VOICE") throw new Error("unreachable");
    expect((await getStream(attach.url)).sha).toBe(sha(data));

    const { url: dl } = await client.ok(85, { voiceId });
    const got = await getStream(dl);
    expect(got.headers["content-type"]).toBe("audio/ogg");
    expect(got.sha).toBe(sha(data));
    expect((await client.ok(85, { audioId })).url).toBe(dl);
  });
});

describe("upload HTTP errors", () => {
  it("invalid apiToken → 403 JSON; wrong kind path for a token → 403; unknown path → 404 JSON", async () => {
    const { client } = await login();
    const { url } = await client.ok(80, { count: 1 });
    const base = emu.server.httpUrl;
    const bad = await postForm(
      `${base}/upload/photo?photoIds=1&apiToken=forged`,
      png(),
      "p.png",
      "image/png",
    );
    expect(bad.status).toBe(403);
    expect(await json(bad)).toMatchObject({ error: "upload.token.invalid" });
    const none = await postForm(`${base}/upload/photo`, png(), "p.png", "image/png");
    expect(none.status).toBe(403);
    const key = new URL(url).searchParams.get("apiToken") ?? "";
    const wrongKind = await postForm(`${base}/upload/file?apiToken=${key}`, png(), "p.png", "image/png");
    expect(wrongKind.status).toBe(403);
    const unknownKind = await postForm(`${base}/upload/sticker?apiToken=${key}`, png(), "p.png", "image/png");
    expect(unknownKind.status).toBe(404);
    expect(unknownKind.headers.get("content-type")).toMatch(/json/);
    const elsewhere = await postForm(`${base}/uploads/photo?apiToken=${key}`, png(), "p.png", "image/png");
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.headers.get("content-type")).toMatch(/json/);
    const get = await fetch(`${base}/nothing/here`);
    expect(get.status).toBe(404);
    expect(get.headers.get("content-type")).toMatch(/json/);
    // The real URL still works after all that.
    expect((await postForm(url, png(), "p.png", "image/png")).status).toBe(200);
  });

  it("a form without a `file` field → 400, the slot stays usable", async () => {
    const { client } = await login();
    const { info } = await client.ok(87, { count: 1 });
    const form = new FormData();
    form.append("comment", "no file here");
    form.append("document", new Blob([bytes(10)]), "wrong-field.bin");
    const res = await fetch(info[0].url, { method: "POST", body: form });
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ error: "upload.file.missing" });
    expect(core().repos.files.byId(info[0].fileId)?.state).toBe("PENDING");
    expect((await postForm(info[0].url, bytes(10), "ok.bin", "application/octet-stream")).status).toBe(200);
  });

  it("CORS preflight for the web client", async () => {
    const res = await fetch(`${emu.server.httpUrl}/upload/photo?apiToken=x`, {
      method: "OPTIONS",
      headers: { Origin: "https://web.max.ru", "Access-Control-Request-Method": "POST" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
  });

  for (const multipart of [true, false]) {
    it(`an aborted ${multipart ? "multipart" : "raw"} upload leaves no file and no completed slot`, async () => {
      const { client } = await login();
      const { info } = await client.ok(87, { count: 1 });
      const { url, fileId } = info[0];
      const result = await postStream(url, {
        total: 8 * 1024 * 1024,
        multipart,
        headers: multipart ? {} : { "Content-Range": `bytes 0-${8 * 1024 * 1024 - 1}/${8 * 1024 * 1024}` },
        abortAfter: 1024 * 1024,
        // Abort only once the server is really writing the body to disk.
        beforeAbort: () => waitUntil(() => tempFiles().length > 0),
      });
      expect(result.status).toBe(0);
      await waitUntil(() => tempFiles().length === 0 && core().repos.files.byId(fileId)?.state === "PENDING");
      expect(existsSync(join(filesDir(), String(fileId)))).toBe(false);
      expect(client.events(136)).toHaveLength(0);
      // The same URL works for a complete retry.
      const retry = await postForm(url, bytes(1000), "retry.bin", "application/octet-stream");
      expect(retry.status).toBe(200);
      await client.event(136, (p) => p.payload.fileId === fileId);
    });
  }

  it("the size limit: declared too large → 413 at once; streamed past the limit → 413, nothing kept", async () => {
    const { client } = await login();
    setUploadLimit(core(), 1024 * 1024);
    try {
      const { info } = await client.ok(87, { count: 2 });
      const declared = await postStream(info[0].url, {
        total: 2 * 1024 * 1024,
        headers: { "Content-Length": String(2 * 1024 * 1024) },
      });
      expect(declared.status).toBe(413);
      expect(JSON.parse(declared.body)).toMatchObject({ error: "file.too.large" });

      // Chunked multipart: the size is only known while streaming.
      const streamed = await postStream(info[1].url, { total: 64 * 1024 * 1024, multipart: true });
      expect(streamed.status).toBe(413);
      expect(JSON.parse(streamed.body)).toMatchObject({ error: "file.too.large" });
      // The refusal arrives while the sender is still sending, not after the whole body.
      expect(streamed.sent).toBeLessThan(64 * 1024 * 1024);
      await waitUntil(() => tempFiles().length === 0);
      expect(core().repos.files.byId(info[1].fileId)?.state).toBe("PENDING");

      const raw = await postStream(info[1].url, { total: 3 * 1024 * 1024 });
      expect(raw.status).toBe(413);
      await waitUntil(() => tempFiles().length === 0);

      // Exactly at the limit is fine.
      const exact = await postStream(info[1].url, { total: 1024 * 1024, multipart: true });
      expect(exact.status).toBe(200);
      expect(core().repos.files.byId(info[1].fileId)).toMatchObject({ state: "COMPLETE", size: 1024 * 1024 });
    } finally {
      setUploadLimit(core(), undefined);
    }
  });
});

describe("large uploads", () => {
  it("50 MB streamed multipart upload completes with bounded memory and downloads identically", async () => {
    const { client } = await login();
    const { info } = await client.ok(87, { count: 1 });
    const total = 50 * 1024 * 1024;
    global.gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    try {
      const up = await postStream(info[0].url, { total, multipart: true });
      expect(up.status).toBe(200);
      await client.event(136, (p) => p.payload.fileId === info[0].fileId);
      const { url } = await client.ok(88, { fileId: info[0].fileId });
      const down = await getStream(url);
      peak = Math.max(peak, process.memoryUsage().rss);
      expect(down.size).toBe(total);
      expect(down.sha).toBe(up.sentSha);
    } finally {
      clearInterval(sampler);
    }
    expect(peak - base).toBeLessThan(40 * 1024 * 1024);
  });
});
