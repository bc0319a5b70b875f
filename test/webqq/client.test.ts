import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { credentialKey, FileCredentialStore, MemoryCredentialStore } from "../../src/core/credentials.js";
import { ManualClock } from "../../src/core/emulator/clock.js";
import { AbortError, ApiError, AuthError } from "../../src/core/errors.js";
import type { WebQQClient, WebQQSession } from "../../src/webqq/client/index.js";
import { untilSentinel } from "../helpers/quiet.js";
import {
  ALICE,
  BOB,
  CAROL,
  client,
  type Harness,
  loggedIn,
  seedWorld,
  startEmulator,
  until,
} from "./harness.js";

let h: Harness;
let world: ReturnType<typeof seedWorld>;
const open: WebQQClient[] = [];
beforeEach(async () => {
  h = await startEmulator();
  world = seedWorld(h.emu);
});
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
  await h.close();
});
const login = async (qq: number, pw: string) => {
  const c = await loggedIn(h.base, qq, pw);
  open.push(c);
  return c;
};

describe("WebQQ client against the emulator", () => {
  it("logs in with a password and reads contacts, groups, discussions and info", async () => {
    const a = await login(ALICE, "1234567890");
    expect(a.session?.uin).toBe(ALICE);
    const f = await a.friends();
    expect(f.info.map((i) => i.nick).sort()).toEqual(["qqbot", "呼吸 (糗百)"]);
    expect(f.info.every((i) => i.uin !== BOB && i.uin !== CAROL)).toBe(true);
    expect(f.categories[0]).toMatchObject({ index: 0, name: "My Friends" });
    const bobUin = f.info.find((i) => i.nick === "qqbot")!.uin;
    expect((await a.friendUin(bobUin)).account).toBe(CAROL);
    const g = await a.groups();
    expect(g.gnamelist).toEqual([
      { flag: 1090519041, name: "qqbot群", gid: expect.any(Number), code: world.group.code },
    ]);
    const gi = await a.groupInfo(world.group.code);
    expect(gi.ginfo.members).toHaveLength(3);
    expect((await a.friendUin(world.group.code, 4)).account).toBe(world.group.account);
    const d = await a.discussions();
    expect(d.dnamelist).toEqual([{ name: "good day", did: world.discu.did }]);
    const di = await a.discussionInfo(world.discu.did);
    expect(di.info.mem_list.find((m) => m.mem_uin === ALICE)?.ruin).toBe(ALICE);
    expect((await a.selfInfo()).account).toBe(ALICE);
    expect((await a.friendInfo(bobUin)).nick).toBe("qqbot");
    expect((await a.longNick(bobUin))[0]?.uin).toBe(bobUin);
    expect(await a.onlineBuddies()).toEqual([]);
    await a.heartbeat();
    await a.changeStatus("busy");
    expect(await a.recentList()).toEqual([]);
  });

  it("wrong password is an AuthError with ptuiCB code 3", async () => {
    const c = client(h.base);
    await expect(c.passwordLogin({ qq: ALICE, password: "nope" })).rejects.toMatchObject({ code: 3 });
    await expect(c.passwordLogin({ qq: ALICE, password: "nope" })).rejects.toBeInstanceOf(AuthError);
  });

  it("solves a captcha through the callback", async () => {
    h.emu.admin.setCaptcha(ALICE, true);
    const c = client(h.base);
    let seen = 0;
    await c.passwordLogin({
      qq: ALICE,
      password: "1234567890",
      onCaptcha: async (png) => {
        seen = png.length;
        return h.emu.admin.captcha(ALICE)!;
      },
    });
    expect(seen).toBeGreaterThan(50);
    expect(c.session?.qq).toBe(ALICE);
  });

  it("logs in by QR code", async () => {
    const c = client(h.base);
    const states: string[] = [];
    const s = await c.qrLogin({
      intervalMs: 10,
      onQrCode: () => {},
      onState: (st) => {
        states.push(st);
        if (states.length === 1) h.emu.admin.confirmQr(BOB, { scanOnly: true });
        if (st === "scanned") h.emu.admin.confirmQr(BOB);
      },
    });
    expect(s.qq).toBe(BOB);
    expect(states).toContain("scanned");
  });

  it("delivers buddy, group, discussion and sess messages with faces and font", async () => {
    const a = await login(ALICE, "1234567890");
    const b = await login(BOB, "pw-bob");
    const got: unknown[] = [];
    b.on("message", (v) => {
      got.push(["buddy", v.content]);
    });
    b.on("group_message", (v) => {
      got.push(["group", v.content]);
    });
    b.on("discu_message", (v) => {
      got.push(["discu", v.content]);
    });
    await b.connect();
    const bobUin = (await a.friends()).info.find((i) => i.nick.startsWith("呼吸"))!.uin;
    await a.sendBuddy(bobUin, [
      { type: "text", text: "hi " },
      { type: "face", id: 14 },
    ]);
    const gid = (await a.groups()).gnamelist[0]!.gid;
    await a.sendGroup(gid, [{ type: "text", text: "ooo" }]);
    await a.sendDiscussion(world.discu.did, [{ type: "text", text: "gogo" }]);
    await until(() => got.length === 3);
    expect(got[0]).toEqual([
      "buddy",
      [["font", { name: "宋体", size: 10, style: [0, 0, 0], color: "000000" }], "hi ", ["face", 14]],
    ]);
    // sess: Carol and Bob are not friends, but share the group.
    const c = await login(CAROL, "pw-carol");
    const gi = await c.groupInfo(world.group.code);
    const bobInGroup = gi.minfo.find((m) => m.nick.startsWith("呼吸"))!.uin;
    const sess: unknown[] = [];
    b.on("sess_message", (v) => {
      sess.push(v.content);
    });
    await c.sendSess(gi.ginfo.gid, bobInGroup, [{ type: "text", text: "psst" }]);
    await until(() => sess.length === 1);
  });

  it("uploads pictures: cface to a group, offpic to a buddy", async () => {
    const a = await login(ALICE, "1234567890");
    const b = await login(BOB, "pw-bob");
    const got: unknown[][] = [];
    b.on("group_message", (v) => {
      got.push(v.content);
    });
    b.on("message", (v) => {
      got.push(v.content);
    });
    await b.connect();
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const { name } = await a.uploadGroupPicture(png, "x.png");
    expect(name).toMatch(/^[0-9A-F]{32}\.png$/);
    expect((await a.uploadGroupPicture(png, "x.png")).name).toBe(name);
    const gid = (await a.groups()).gnamelist[0]!.gid;
    await a.sendGroup(gid, [{ type: "cface", name }]);
    const bobUin = (await a.friends()).info.find((i) => i.nick.startsWith("呼吸"))!.uin;
    const off = await a.uploadOffpic(png, "y.png", bobUin);
    await a.sendBuddy(bobUin, [{ type: "offpic", filePath: off.filePath, name: off.name, size: off.size }]);
    await until(() => got.length === 2);
    expect(got[0]![1]).toEqual(["cface", expect.objectContaining({ name })]);
    expect(got[1]![1]).toEqual(["offpic", { success: 1, file_path: off.filePath }]);
    expect(Buffer.from(await b.offpic(off.filePath, ALICE))).toEqual(Buffer.from(png));
    expect(Buffer.from(await b.groupPicture(name, gid, 0))).toEqual(Buffer.from(png));
  });

  it("a second login kicks the first (kick_message, then stop)", async () => {
    const first = await login(ALICE, "1234567890");
    const kicked: string[] = [];
    first.on("kicked", (r) => {
      kicked.push(r);
    });
    await first.connect();
    await until(() => h.emu.admin.stats().polling === 1);
    await login(ALICE, "1234567890");
    await until(() => kicked.length === 1);
    await until(() => first.state === "disconnected");
  });

  it("resends after 1202 never duplicate, and the poll loop suppresses repeated msg_ids", async () => {
    const a = await login(ALICE, "1234567890");
    const b = await login(BOB, "pw-bob");
    const got: string[] = [];
    b.on("message", (v) => {
      got.push(String(v.content[1]));
    });
    await b.connect();
    const bobUin = (await a.friends()).info.find((i) => i.nick.startsWith("呼吸"))!.uin;
    h.emu.admin.failSends({ times: 2, delivered: true });
    await a.sendBuddy(bobUin, [{ type: "text", text: "once" }]);
    h.emu.admin.failSends({ times: 1, delivered: false });
    await a.sendBuddy(bobUin, [{ type: "text", text: "twice" }]);
    h.emu.admin.failPolls({ duplicate: true, times: 1 });
    await a.sendBuddy(bobUin, [{ type: "text", text: "thrice" }]);
    await until(() => got.length >= 3);
    // Nothing more (no duplicate) arrives before a later message on the same ordered channel.
    const more = await untilSentinel<string>(
      (push) => b.on("message", (v) => push(String(v.content[1]))),
      (t) => t === "sentinel",
      () => a.sendBuddy(bobUin, [{ type: "text", text: "sentinel" }]),
    );
    expect(more).toEqual([]);
    expect(got).toEqual(["once", "twice", "thrice", "sentinel"]);
  });

  it("handles 116, 103, 120 and 102 in the poll loop", async () => {
    const a = await login(ALICE, "1234567890");
    const b = await login(BOB, "pw-bob");
    const got: string[] = [];
    b.on("message", (v) => {
      got.push(String(v.content[1]));
    });
    const before = b.session!.ptwebqq;
    h.emu.admin.failPolls({ retcode: 116, times: 1, qq: BOB });
    h.emu.admin.failPolls({ retcode: 103, times: 1, qq: BOB });
    h.emu.admin.failPolls({ retcode: 120, times: 1, qq: BOB });
    await b.connect();
    await until(() => h.emu.admin.stats().polling === 1);
    expect(b.session!.ptwebqq).not.toBe(before);
    const bobUin = (await a.friends()).info.find((i) => i.nick.startsWith("呼吸"))!.uin;
    await a.sendBuddy(bobUin, [{ type: "text", text: "after" }]);
    await until(() => got.length === 1);
    // The new ptwebqq feeds the hash: the friend list still works.
    expect((await b.friends()).info.length).toBe(1);
  });

  it("persists the session in a FileCredentialStore (mode 0600) and connect() resumes from it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "webqq-"));
    const file = join(dir, "session.json");
    const store = new FileCredentialStore<WebQQSession>(file);
    const a = await loggedIn(h.base, ALICE, "1234567890", { credentials: store, account: "alice" });
    open.push(a);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await store.list()).toEqual([credentialKey(h.base, "alice")]);
    const again = client(h.base, { credentials: store, account: "alice" });
    open.push(again);
    await again.connect();
    expect(again.state).toBe("connected");
    expect(again.clientid).toBe(a.clientid);
    expect((await again.friends()).info.length).toBe(2);
  });

  it("logout ends the session (103 afterwards) and forgets the stored one", async () => {
    const store = new MemoryCredentialStore<WebQQSession>();
    const a = await loggedIn(h.base, ALICE, "1234567890", { credentials: store });
    const s = a.session!;
    await a.logout();
    expect(await store.list()).toEqual([]);
    // Reuse the dead session to prove it is dead.
    const again = client(h.base, {
      credentials: new MemoryCredentialStore({ [credentialKey(h.base, "default")]: s }),
    });
    expect((await again.restore())?.psessionid).toBe(s.psessionid);
    await expect(again.onlineBuddies()).rejects.toMatchObject({ code: 103 });
  });

  it("typed errors and AbortSignal", async () => {
    const a = await login(ALICE, "1234567890");
    const err = await a.groupInfo(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 100001 });
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(a.friends({ signal: ctrl.signal })).rejects.toBeInstanceOf(AbortError);
    await expect(client(h.base).friends()).rejects.toBeInstanceOf(AuthError);
  });

  it("typing (input_notify), admin kick (121 → kicked) and the recent list", async () => {
    const a = await login(ALICE, "1234567890");
    const b = await login(BOB, "pw-bob");
    const typing: number[] = [];
    const kicked: string[] = [];
    b.on("input_notify", (v) => {
      typing.push(v.from_uin);
    });
    b.on("kicked", (r) => {
      kicked.push(r);
    });
    await b.connect();
    h.emu.admin.typing(ALICE, BOB);
    await until(() => typing.length === 1);
    const bobUin = (await a.friends()).info.find((i) => i.nick.startsWith("呼吸"))!.uin;
    await a.sendBuddy(bobUin, [{ type: "text", text: "x" }]);
    expect(await a.recentList()).toEqual([{ uin: bobUin, type: 0 }]);
    h.emu.admin.kick(BOB);
    await until(() => kicked.length === 1);
    await until(() => b.state === "disconnected");
  });
});

describe("session expiry", () => {
  it("100012 after the idle time-out: the poll loop relinks and goes on", async () => {
    const clock = new ManualClock();
    const short = await startEmulator({ sessionTtlMs: 150, clock });
    try {
      seedWorld(short.emu);
      const b = await loggedIn(short.base, BOB, "pw-bob");
      const before = b.session!.psessionid;
      clock.advance(200);
      await expect(b.onlineBuddies()).rejects.toMatchObject({ code: 100012 });
      const got: unknown[] = [];
      b.on("message", (v) => {
        got.push(v);
      });
      await b.connect();
      await until(() => b.session!.psessionid !== before);
      short.emu.admin.sendAs({ from: ALICE, to: BOB, text: "back" });
      await until(() => got.length === 1);
      await b.close();
    } finally {
      await short.close();
    }
  });
});
