/**
 * Issue 12 item 7: pictures (cface / offpic) are served so a browser can never run them as a
 * page: nosniff, a restrictive CSP, the image type read from the magic bytes, and anything that
 * is not an image as an attachment of type application/octet-stream. Markup is refused at
 * upload, and the upload callback page never echoes a file name as markup.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { ApiError } from "../../src/core/errors.js";
import type { WebQQClient } from "../../src/webqq/client/index.js";
import { REFERER } from "../../src/webqq/protocol.js";
import { ALICE, BOB, type Harness, loggedIn, seedWorld, startEmulator } from "./harness.js";

let h: Harness;
let a: WebQQClient;
let b: WebQQClient;
let bobUin: number;

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46]);
const HTML = new TextEncoder().encode("<html><script>alert(document.cookie)</script></html>");

beforeAll(async () => {
  h = await startEmulator();
  seedWorld(h.emu);
  a = await loggedIn(h.base, ALICE, "1234567890");
  b = await loggedIn(h.base, BOB, "pw-bob");
  bobUin = (await a.friends()).info.find((i) => i.nick.startsWith("呼吸"))?.uin as number;
});

afterAll(async () => {
  await h.close();
});

async function getOffpic(filePath: string): Promise<Response> {
  const s = b.session!;
  const q = new URLSearchParams({
    file_path: filePath,
    f_uin: String(ALICE),
    clientid: b.clientid,
    psessionid: s.psessionid,
  });
  return fetch(`${h.base}/channel/get_offpic2?${q}`, { headers: { referer: REFERER.d } });
}

async function getGroupPic(name: string): Promise<Response> {
  const s = a.session!;
  const q = new URLSearchParams({ type: "0", gid: "1", uin: "0", pic: name, vfwebqq: s.vfwebqq });
  return fetch(`${h.base}/cgi-bin/get_group_pic?${q}`, { headers: { cookie: `ptwebqq=${s.ptwebqq}` } });
}

function expectLockedDown(res: Response): void {
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  const csp = res.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("sandbox");
}

it("serves pictures with their image type (from the bytes), nosniff and a restrictive CSP", async () => {
  const off = await a.uploadOffpic(PNG, "y.jpg", bobUin);
  const res = await getOffpic(off.filePath);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("image/png");
  expectLockedDown(res);
  expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(PNG));
  const { name } = await a.uploadGroupPicture(JPEG, "z.png");
  const g = await getGroupPic(name);
  expect(g.headers.get("content-type")).toBe("image/jpeg");
  expectLockedDown(g);
});

it("refuses markup disguised as a picture at upload (cface and offpic)", async () => {
  await expect(a.uploadGroupPicture(HTML, "photo.jpg")).rejects.toBeInstanceOf(ApiError);
  await expect(a.uploadOffpic(HTML, "photo.jpg", bobUin)).rejects.toBeInstanceOf(ApiError);
  // Leading whitespace or a BOM does not hide it.
  const padded = new Uint8Array([0xef, 0xbb, 0xbf, 0x20, 0x0a, ...HTML]);
  await expect(a.uploadOffpic(padded, "photo.png", bobUin)).rejects.toMatchObject({ code: 100006 });
});

it("serves other non-image bytes as an attachment, never inline", async () => {
  const off = await a.uploadOffpic(new Uint8Array([1, 2, 3, 4]), "data.jpg", bobUin);
  const res = await getOffpic(off.filePath);
  expect(res.headers.get("content-type")).toBe("application/octet-stream");
  expect(res.headers.get("content-disposition")).toMatch(/^attachment/);
  expectLockedDown(res);
});

it("the upload callback page does not echo a file name as markup", async () => {
  const s = a.session!;
  const fd = new FormData();
  fd.set("vfwebqq", s.vfwebqq);
  fd.set("peeruin", String(bobUin));
  fd.set("file", new Blob([PNG]), "</script><script>alert(1)</script>.png");
  const res = await fetch(`${h.base}/ftn_access/upload_offline_pic?time=1`, {
    method: "POST",
    body: fd,
    headers: { cookie: `ptwebqq=${s.ptwebqq}` },
  });
  const html = await res.text();
  expect(html).toContain("callbackSendPic(");
  expect(html).not.toContain("<script>alert");
  expect(html.match(/<\/script>/g)?.length).toBe(1);
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
});
