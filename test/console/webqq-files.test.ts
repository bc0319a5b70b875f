/** WebQQ pictures (cface and offline) in the console's Files tab and previews, through its JSON routes. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { WebQQClient } from "../../src/webqq/client/index.js";
import { api } from "../sandbox/proc.js";
import { PNG } from "./helpers.js";

const ALICE = 10897944;
const BOB = 2440652742;

// biome-ignore lint/suspicious/noExplicitAny: route answers are inspected loosely
type Any = any;

describe("console: WebQQ pictures", () => {
  let sb: Sandbox;
  let base: string;
  let gid: number;
  const clients: WebQQClient[] = [];
  const post = async (path: string, body: unknown) => {
    const r = await api(base, "POST", path, body);
    expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(200);
    return r.body as Any;
  };

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, data: null });
    base = sb.urls.console;
    await post("/_sandbox/webqq/accounts", { qq: ALICE, password: "pw-alice", nick: "alice" });
    await post("/_sandbox/webqq/accounts", { qq: BOB, password: "pw-bob", nick: "bob" });
    await post("/_sandbox/webqq/friends", { qq: ALICE, friend: BOB });
    gid = (await post("/_sandbox/webqq/groups", { name: "pics", owner: ALICE, members: [BOB] })).gid;
  });
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await sb?.close();
  });

  it("lists uploaded cface and offline pictures and previews their bytes", async () => {
    const { platforms } = (await api(base, "GET", "/_sandbox/console/platforms")).body as Any;
    expect(platforms.find((p: Any) => p.id === "webqq").features).toContain("files");
    expect((await api(base, "GET", "/_sandbox/console/webqq/files")).body.files).toEqual([]);

    const a = new WebQQClient({ url: sb.urls.webqq, backoffBaseMs: 5, pollTimeoutMs: 10_000 });
    clients.push(a);
    await a.passwordLogin({ qq: ALICE, password: "pw-alice" });
    const { name } = await a.uploadGroupPicture(PNG, "cat.png");
    const groupGid = (await a.groups()).gnamelist[0]?.gid as number;
    await a.sendGroup(groupGid, [{ type: "cface", name }]);
    // An offline picture without a known extension: its type comes from its bytes.
    const gif = Buffer.from("GIF89a\x01\x00\x01\x00\x00\x00\x00;", "latin1");
    const bobUin = (await a.friends()).info[0]?.uin as number;
    const off = await a.uploadOffpic(gif, "dog.gif", bobUin);
    await a.sendBuddy(bobUin, [{ type: "offpic", filePath: off.filePath, name: off.name, size: off.size }]);

    const files = (await api(base, "GET", "/_sandbox/console/webqq/files")).body.files as Any[];
    expect(files).toHaveLength(2);
    const cface = files.find((f) => f.id === `cface-${name}`);
    expect(cface).toMatchObject({
      name,
      mime: "image/png",
      size: PNG.length,
      ownerId: String(ALICE),
      time: expect.any(Number),
      previewUrl: `/_sandbox/console/webqq/files/cface-${name}`,
    });
    const offpic = files.find((f) => f.id.startsWith("offpic-"));
    expect(offpic).toMatchObject({ mime: "image/gif", size: gif.length, ownerId: String(ALICE) });
    expect(offpic.id).toBe(`offpic-${off.filePath.slice(1)}`);

    for (const [f, bytes, type] of [
      [cface, PNG, "image/png"],
      [offpic, gif, "image/gif"],
    ] as const) {
      const res = await fetch(`${base}${f.previewUrl}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(type);
      expect(res.headers.get("content-length")).toBe(String(bytes.length));
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("content-security-policy")).toContain("sandbox");
      expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(bytes));
    }

    // The chat history links the pictures to their previews.
    const group = (await api(base, "GET", `/_sandbox/console/webqq/chats/g:${gid}/messages`)).body.messages;
    expect(group.at(-1).attachments).toEqual([
      { type: "cface", name, previewUrl: cface.previewUrl, mime: "image/png" },
    ]);
    const [lo, hi] = [ALICE, BOB].sort((x, y) => x - y);
    const direct = (await api(base, "GET", `/_sandbox/console/webqq/chats/u:${lo}:${hi}/messages`)).body
      .messages;
    expect(direct.at(-1).attachments).toEqual([
      expect.objectContaining({ type: "offpic", previewUrl: offpic.previewUrl, mime: "image/gif" }),
    ]);

    for (const bad of ["cface-NOPE.png", "offpic-1-2", "nope", "cface-..%2F..%2Fx"]) {
      expect((await fetch(`${base}/_sandbox/console/webqq/files/${bad}`)).status, bad).toBe(404);
    }
  });
});
