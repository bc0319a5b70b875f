/**
 * Issue 12 item 7: a "photo" must be an image; downloads can't be rendered as a page of the
 * emulator's origin (nosniff, a restrictive CSP, attachment for anything not image/video/audio).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RawClient, startEmulator } from "./raw.js";

const HTML = Buffer.from("<!doctype html><html><body><script>alert(document.domain)</script></body></html>");
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da6364f8cf00000301010018dd8db40000000049454e44ae426082",
  "hex",
);

let emu: Awaited<ReturnType<typeof startEmulator>>;
let alice: RawClient;
let bobId: number;
const clients: RawClient[] = [];

function postForm(url: string, data: Buffer, filename: string, type: string): Promise<Response> {
  const form = new FormData();
  form.append("file", new Blob([data], { type }), filename);
  return fetch(url, { method: "POST", body: form, headers: { Origin: "https://web.max.ru" } });
}

/** Sends one attach to Bob and answers the attach as stored (with its download link). */
// biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary payloads
async function sendAttach(attach: Record<string, unknown>): Promise<any> {
  const sent = await alice.ok(64, {
    userId: bobId,
    message: { text: "", cid: Date.now(), elements: [], attaches: [attach] },
  });
  return sent.message.attaches[0];
}

function expectSafeHeaders(res: Response): void {
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  const csp = res.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("sandbox");
}

beforeAll(async () => {
  emu = await startEmulator();
  alice = await RawClient.connect(emu.url);
  clients.push(alice);
  await alice.smsLogin("+79127100001");
  const bob = await RawClient.connect(emu.url);
  clients.push(bob);
  bobId = (await bob.smsLogin("+79127100002")).userId;
});

afterAll(async () => {
  for (const c of clients) c.close();
  await emu.close();
});

describe("item 7: upload types and safe downloads", () => {
  it("refuses an HTML body uploaded as a photo, whatever it declares", async () => {
    for (const [name, type] of [
      ["p.png", "image/png"],
      ["p.html", "text/html"],
    ] as const) {
      const { url } = await alice.ok(80, { count: 1 });
      const res = await postForm(url, HTML, name, type);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error?: string }).error).toBe("upload.type.invalid");
      // The slot is still usable for a real image.
      const retry = await postForm(url, PNG, "p.png", "image/png");
      expect(retry.status).toBe(200);
    }
  });

  it("serves a real photo inline as an image, with nosniff and CSP", async () => {
    const { url } = await alice.ok(80, { count: 1 });
    const res = await postForm(url, PNG, "p.png", "image/png");
    const { photos } = (await res.json()) as { photos: Record<string, { token: string }> };
    const attach = await sendAttach({ _type: "PHOTO", photoToken: photos["0"]?.token });
    const got = await fetch(attach.baseUrl);
    expect(got.status).toBe(200);
    expect(got.headers.get("content-type")).toBe("image/png");
    expect(got.headers.get("content-disposition")).toMatch(/^inline/);
    expectSafeHeaders(got);
  });

  it("serves an HTML body uploaded as a file as an attachment, nosniff, CSP", async () => {
    const { info } = await alice.ok(87, { count: 1 });
    const res = await postForm(info[0].url, HTML, "page.html", "text/html");
    expect(res.status).toBe(200);
    const { fileId } = (await res.json()) as { fileId: number };
    await sendAttach({ _type: "FILE", fileId });
    const link = await alice.ok(88, { fileId, chatId: 0, messageId: "0" });
    const got = await fetch(link.url);
    expect(got.status).toBe(200);
    expect(got.headers.get("content-disposition")).toMatch(/^attachment/);
    expectSafeHeaders(got);
    expect(Buffer.from(await got.arrayBuffer()).equals(HTML)).toBe(true);
  });

  it("an HTML body uploaded as a video is not served as a page", async () => {
    const { info } = await alice.ok(82, { count: 1 });
    const res = await postForm(info[0].url, HTML, "clip.html", "text/html");
    expect(res.status).toBe(200);
    const videoId = info[0].videoId;
    const play = await alice.ok(83, { videoId, chatId: 0, messageId: "0" });
    const got = await fetch(String(play.MP4_720));
    expect(got.status).toBe(200);
    expect(got.headers.get("content-type")).not.toMatch(/html/);
    expect(got.headers.get("content-disposition")).toMatch(/^attachment/);
    expectSafeHeaders(got);
  });
});
