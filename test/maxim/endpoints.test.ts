/**
 * The reference endpoints beyond the seed (maxim-top/im.gitbook server-api), presence, user
 * paging and push audience resolution: raw HTTP for the wire shape, the client for every call.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/core/emulator/store.js";
import { ApiError, ValidationError } from "../../src/core/errors.js";
import { MaxImClient } from "../../src/maxim/client/index.js";
import { createMaxImEmulator } from "../../src/maxim/emulator/server.js";
import { maximStoreModule } from "../../src/maxim/emulator/store/schema.js";
import { api, type Harness, raw, startEmulator, TOKEN } from "./harness.js";

let h: Harness;
let admin: MaxImClient;

beforeAll(async () => {
  h = await startEmulator();
  admin = new MaxImClient({ url: h.base, appId: "welovemaxim", token: TOKEN, retries: 0 });
});
afterAll(() => h.close());

async function register(username: string, password = "pw"): Promise<number> {
  return (await admin.registerUser({ username, password })).user_id;
}

describe("user account endpoints", () => {
  it("/user/avatar, /user/mobile, /user/nickname, /user/username (raw, POST and PUT)", async () => {
    const id = await register("acct_a");
    const r1 = await api(h.base, "POST", "/user/avatar", { avatar: "https://x/a.png" }, id);
    expect(r1.json).toEqual({ code: 200, data: true });
    expect((await api(h.base, "PUT", "/user/mobile?mobile=13800000001", undefined, id)).json).toEqual({
      code: 200,
      data: true,
    });
    expect((await api(h.base, "POST", "/user/nickname?nick_name=Anna", undefined, id)).json.data).toBe(true);
    expect((await api(h.base, "PUT", "/user/username?username=acct_a2", undefined, id)).json.data).toBe(true);
    const p = await api(h.base, "GET", "/user/profile", undefined, id);
    expect(p.json.data).toMatchObject({
      user_id: id,
      username: "acct_a2",
      nick_name: "Anna",
      mobile: "13800000001",
      avatar: "https://x/a.png",
    });
    // Missing or malformed parameters, taken names and numbers.
    expect((await api(h.base, "POST", "/user/avatar", {}, id)).json.code).toBe(10002);
    expect((await api(h.base, "PUT", "/user/mobile?mobile=abc", undefined, id)).json.code).toBe(10002);
    expect((await api(h.base, "PUT", "/user/username?username=12345", undefined, id)).json.code).toBe(10002);
    expect((await api(h.base, "PUT", "/user/username?username=maxim_x", undefined, id)).json.code).toBe(
      10002,
    );
    const other = await register("acct_b");
    expect((await api(h.base, "PUT", "/user/username?username=acct_a2", undefined, other)).json.code).toBe(
      10004,
    );
    expect((await api(h.base, "PUT", "/user/mobile?mobile=13800000001", undefined, other)).json.code).toBe(
      10004,
    );
  });

  it("client: setters, change_password, change_password_admin, token by id and login name", async () => {
    const id = await register("acct_c", "old");
    const c = admin.asUser(id);
    expect(await c.setAvatar("https://x/c.png")).toBe(true);
    expect(await c.setMobile("+4915100000002")).toBe(true);
    expect(await c.setNickname("Cee")).toBe(true);
    expect(await c.setUsername("acct_c2")).toBe(true);
    expect(await c.profile()).toMatchObject({
      username: "acct_c2",
      nick_name: "Cee",
      mobile: "+4915100000002",
    });
    await expect(c.setUsername("9999")).rejects.toBeInstanceOf(ValidationError);

    const t = await admin.userToken({ name: "acct_c2", password: "old" });
    const asC = admin.withToken(t.token);
    await expect(asC.changePassword("wrong", "new")).rejects.toMatchObject({ code: 10010 });
    expect(await asC.changePassword("old", "new")).toBe(true);
    await expect(admin.userToken({ name: "acct_c2", password: "old" })).rejects.toMatchObject({
      code: 10010,
    });
    expect((await admin.userTokenById({ user_id: id, password: "new" })).user_id).toBe(id);
    // /token/login: username, mobile number (email is never set by the server API here).
    expect((await admin.login({ login_name: "acct_c2", password: "new" })).user_id).toBe(id);
    expect((await admin.login({ login_name: "+4915100000002", password: "new" })).user_id).toBe(id);
    await expect(admin.login({ login_name: "nobody_here", password: "new" })).rejects.toMatchObject({
      code: 10000,
    });
    await expect(admin.userTokenById({ user_id: 99, password: "x" })).rejects.toMatchObject({ code: 10000 });
    // An app token sets a password without the old one; a user token may not.
    expect(await c.setPasswordAsAdmin("reset")).toBe(true);
    expect((await admin.login({ login_name: "acct_c2", password: "reset" })).user_id).toBe(id);
    // (The password change ended asC's session: a token issued after it asks.)
    const asC2 = admin.withToken((await admin.userToken({ name: "acct_c2", password: "reset" })).token);
    await expect(asC2.setPasswordAsAdmin("x")).rejects.toMatchObject({ code: 10010 });
  });

  it("raw /token/id and /token/login answer {token, user_id, expire} (+ push_token with device_guid)", async () => {
    const id = await register("tok_raw");
    const hdr = { "Content-Type": "application/json", app_id: "welovemaxim" };
    const a = await raw(h.base, "POST", "/token/id", hdr, JSON.stringify({ user_id: id, password: "pw" }));
    expect(a.json.code).toBe(200);
    expect(Object.keys(a.json.data).sort()).toEqual(["expire", "token", "user_id"]);
    const b = await raw(
      h.base,
      "POST",
      "/token/login",
      hdr,
      JSON.stringify({ login_name: "tok_raw", password: "pw", device_guid: "guid-1" }),
    );
    expect(b.json.data).toMatchObject({
      user_id: id,
      token: expect.any(String),
      push_token: expect.any(String),
    });
    expect((await raw(h.base, "POST", "/token/id", hdr, '{"user_id":"x","password":"pw"}')).json.code).toBe(
      10002,
    );
  });
});

describe("devices and presence", () => {
  it("logins with device_guid create devices; kick and remove act per device_sn", async () => {
    const id = await register("dev_user");
    const ua = { "Content-Type": "application/json", app_id: "welovemaxim" };
    const login = async (guid: string, agent: string) =>
      (
        await raw(
          h.base,
          "POST",
          "/token/user",
          { ...ua, "User-Agent": agent },
          JSON.stringify({ name: "dev_user", password: "pw", device_guid: guid }),
        )
      ).json.data as { token: string; push_token: string };
    const phone = await login("phone", "MaxIM/1.0 (Linux; Android 14)");
    const laptop = await login("laptop", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)");
    const again = await login("phone", "MaxIM/1.0 (Linux; Android 14)");
    expect(again.push_token).toBe(phone.push_token);
    const me = admin.withToken(laptop.token);
    const list = [];
    for await (const d of me.devices()) list.push(d);
    expect(list).toEqual([
      { device_sn: 1, platform: 2, user_agent: "MaxIM/1.0 (Linux; Android 14)", user_id: id },
      { device_sn: 2, platform: 4, user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)", user_id: id },
    ]);
    // Kick device 1: both phone tokens stop working, the laptop's does not.
    expect(await admin.asUser(id).kick(1)).toBe(true);
    await expect(admin.withToken(phone.token).profile()).rejects.toMatchObject({ code: 10008 });
    await expect(admin.withToken(again.token).profile()).rejects.toMatchObject({ code: 10008 });
    expect((await me.profile()).user_id).toBe(id);
    // Remove device 2: its token and push binding go.
    expect(await admin.asUser(id).removeDevice(2)).toBe(true);
    await expect(me.profile()).rejects.toMatchObject({ code: 10008 });
    await expect(admin.asUser(id).removeDevice(2)).rejects.toMatchObject({ code: 10002 });
    const raw2 = await api(h.base, "GET", "/user/device/list", undefined, id);
    expect(raw2.json).toMatchObject({ code: 200, data: [{ device_sn: 1 }] });
    expect(raw2.json.cursor).toBeUndefined();
  });

  it("online = an unexpired user token used within the window; kick and disable end it", async () => {
    const id = await register("presence");
    const asAdmin = admin.asUser(id);
    expect(await asAdmin.onlineStatus()).toEqual({ online: false });
    const t0 = Date.now();
    h.now.value = t0;
    const { token } = await admin.userToken({ name: "presence", password: "pw" });
    const user = admin.withToken(token);
    expect(await asAdmin.onlineStatus()).toEqual({ online: true });
    // 4 minutes later, still within the 5-minute window.
    h.now.value = t0 + 4 * 60_000;
    expect(await asAdmin.onlineStatus()).toEqual({ online: true });
    // The user token is used again at 4 min: online until 9 min.
    expect((await user.profile()).user_id).toBe(id);
    h.now.value = t0 + 8 * 60_000;
    expect(await asAdmin.onlineStatus()).toEqual({ online: true });
    h.now.value = t0 + 10 * 60_000;
    expect(await asAdmin.onlineStatus()).toEqual({ online: false });
    // Admin-token calls on the user's behalf don't count as the user being online.
    expect(await asAdmin.onlineStatus()).toEqual({ online: false });
    expect(await user.onlineStatus()).toEqual({ online: true });
    await asAdmin.kick();
    expect(await asAdmin.onlineStatus()).toEqual({ online: false });
    await admin.userToken({ name: "presence", password: "pw" });
    expect(await asAdmin.onlineStatus()).toEqual({ online: true });
    await admin.disableUsers([id]);
    expect(await asAdmin.onlineStatus()).toEqual({ online: false });
    await admin.enableUsers([id]);
    // An expired token is offline even if used a moment ago.
    h.emu.admin.configureApp("welovemaxim", { tokenTtlSec: 1 });
    await admin.userToken({ name: "presence", password: "pw" });
    h.now.value = (h.now.value ?? 0) + 2000;
    expect(await asAdmin.onlineStatus()).toEqual({ online: false });
    h.emu.admin.configureApp("welovemaxim", { tokenTtlSec: 7 * 24 * 3600 });
    h.now.value = null;
  });
});

describe("/user/list", () => {
  it("pages by page_num/page_size and walks past 1000 users by cursor", async () => {
    const before = (await collect(admin.users({ pageSize: 1000 }))).length;
    for (let batch = 0; batch < 3; batch++) {
      const list = Array.from({ length: 400 }, (_, i) => ({ username: `bulk_${batch}_${i}`, password: "p" }));
      const res = await admin.registerUsers(list);
      expect(res.every((r) => r.success)).toBe(true);
    }
    await admin.disableUsers([(await admin.findUserByName("bulk_0_0")).user_id]);
    const all = await collect(admin.users({ pageSize: 1000 }));
    expect(all.length).toBe(before + 1200);
    expect(all.length).toBeGreaterThan(1000);
    expect(new Set(all.map((u) => u.user_id)).size).toBe(all.length);
    expect(all.map((u) => u.user_id)).toEqual([...all.map((u) => u.user_id)].sort((a, b) => a - b));
    expect(all.find((u) => u.username === "bulk_0_0")?.status).toBe(1);
    expect(all.find((u) => u.username === "bulk_0_1")?.status).toBe(0);

    // Reference paging: default 50 per page, page_num from 1.
    const first = await api(h.base, "GET", "/user/list");
    expect(first.json.code).toBe(200);
    expect(first.json.data).toHaveLength(50);
    expect(Object.keys(first.json.data[0]).sort()).toEqual(["status", "user_id", "username"]);
    const p3 = await admin.userPage({ pageNum: 3, pageSize: 10 });
    expect(p3.users.map((u) => u.user_id)).toEqual(all.slice(20, 30).map((u) => u.user_id));
    const next = await admin.userPage({ cursor: p3.cursor, pageSize: 10 });
    expect(next.users.map((u) => u.user_id)).toEqual(all.slice(30, 40).map((u) => u.user_id));
    const last = await admin.userPage({ pageNum: Math.ceil(all.length / 1000), pageSize: 1000 });
    expect(last.cursor).toBeUndefined();
    for (const bad of ["page_size=0", "page_size=1001", "page_num=0", "cursor=x"])
      expect((await api(h.base, "GET", `/user/list?${bad}`)).json.code).toBe(10002);
    const asUser = await api(h.base, "GET", "/user/list", undefined, all[0]?.user_id);
    expect(asUser.json.code).toBe(200);
    const { token } = await admin.userToken({ name: "bulk_1_1", password: "p" });
    await expect(admin.withToken(token).userPage()).rejects.toMatchObject({ code: 10010 });
  });
});

describe("friends: /roster/apply/batch and /roster/may_message", () => {
  it("batch applies follow each target's auth_mode and report failures per user", async () => {
    const me = await register("rb_me");
    const open = await register("rb_open");
    const ask = await register("rb_ask");
    const closed = await register("rb_closed");
    const blocker = await register("rb_blocker");
    await admin.asUser(ask).updateSettings({ auth_mode: 1 });
    await admin.asUser(closed).updateSettings({ auth_mode: 3 });
    await admin.asUser(blocker).blockUser(me);
    const r = await api(
      h.base,
      "POST",
      "/roster/apply/batch",
      [
        { user_id: open, alias: "O" },
        { user_id: ask, reason: "hi" },
        { user_id: closed },
        { user_id: blocker },
        { user_id: 99 },
      ],
      me,
    );
    expect(r.json).toEqual({
      code: 200,
      data: {
        success: [open, ask],
        fails: [
          { user_id: closed, reason: "10012" },
          { user_id: blocker, reason: "10006" },
          { user_id: 99, reason: "10000" },
        ],
      },
    });
    expect((await admin.asUser(me).rosters()).map((x) => x.user_id)).toEqual([open]);
    const apps = await collect(admin.asUser(ask).friendApplications());
    expect(apps).toMatchObject([{ user_id: me, reason: "hi", status: 0 }]);
    // Again: `open` is now a friend (10005).
    const again = await admin.asUser(me).applyFriends([{ user_id: open }]);
    expect(again).toEqual({ success: [], fails: [{ user_id: open, reason: "10005" }] });
    expect((await api(h.base, "POST", "/roster/apply/batch", { user_id: open }, me)).json.code).toBe(10002);
    expect((await api(h.base, "POST", "/roster/apply/batch", [], me)).json.code).toBe(10002);
  });

  it("may_message is false once the recipient blacklisted the sender", async () => {
    const a = await register("mm_a");
    const b = await register("mm_b");
    expect(await admin.mayMessage(a, b)).toBe(true);
    await admin.asUser(b).blockUser(a);
    expect(await admin.mayMessage(a, b)).toBe(false);
    expect(await admin.mayMessage(b, a)).toBe(true);
    const r = await api(h.base, "GET", `/roster/may_message?user_id=${a}&roster_id=${b}`);
    expect(r.json).toEqual({ code: 200, data: false });
    expect((await api(h.base, "GET", `/roster/may_message?user_id=${a}`)).json.code).toBe(10002);
    expect((await api(h.base, "GET", `/roster/may_message?user_id=${a}&roster_id=99`)).json.code).toBe(10000);
  });
});

describe("messages: /message/notify and DELETE /message/conversation", () => {
  it("a system notification comes from the app (0) and is recorded as notify", async () => {
    const u = await register("nt_user");
    const r = await api(h.base, "POST", "/message/notify", {
      targets: [u],
      type: 1,
      content_type: 0,
      content: "maintenance at 5",
    });
    expect(r.json).toEqual({ code: 200, data: true });
    const rec = h.emu.admin.messages().at(-1);
    expect(rec).toMatchObject({ from: 0, to: u, kind: "notify", content: "maintenance at 5" });
    const page = await admin.asUser(u).conversationPage(0);
    expect(page.messages[0]).toMatchObject({
      from_xid: { uid: 0 },
      content: "maintenance at 5",
      status: "UNREAD",
    });
    expect(
      await admin.sendNotification({ targets: [u], type: 1, content_type: 0, content: "x", from_user_id: u }),
    ).toBe(true);
    expect(h.emu.admin.messages().at(-1)).toMatchObject({ from: u, kind: "notify" });
    const { token } = await admin.userToken({ name: "nt_user", password: "pw" });
    await expect(
      admin.withToken(token).sendNotification({ targets: [u], type: 1, content_type: 0, content: "x" }),
    ).rejects.toMatchObject({ code: 10010 });
    expect((await api(h.base, "POST", "/message/notify", { targets: [u], type: 3 })).json.code).toBe(10002);
  });

  it("deleting a conversation clears only the acting user's history and unread", async () => {
    const a = await register("dc_a");
    const b = await register("dc_b");
    for (const text of ["one", "two"]) {
      await admin.sendMessage({ targets: [b], type: 1, content_type: 0, content: text, from_user_id: a });
    }
    const asB = admin.asUser(b);
    expect(await asB.unread()).toEqual([{ conversation_id: { uid: a }, num: 2 }]);
    const r = await api(h.base, "DELETE", `/message/conversation?conversation_id=${a}`, undefined, b);
    expect(r.json).toEqual({ code: 200, data: true });
    expect(await asB.unread()).toEqual([]);
    expect((await asB.conversationPage(a)).messages).toEqual([]);
    expect((await admin.asUser(a).conversationPage(b)).messages.map((m) => m.content)).toEqual([
      "two",
      "one",
    ]);
    await admin.sendMessage({ targets: [b], type: 1, content_type: 0, content: "three", from_user_id: a });
    expect((await asB.conversationPage(a)).messages.map((m) => m.content)).toEqual(["three"]);
    expect(await asB.deleteConversation(0)).toBe(true);
    await expect(asB.deleteConversation(12345)).rejects.toMatchObject({ code: 20001 });
    expect((await api(h.base, "DELETE", "/message/conversation", undefined, b)).json.code).toBe(10002);
  });
});

describe("/push/notify resolves its audience to devices", () => {
  it("all, tag, alias, user_id and push_token; no_push, quiet hours and disabled users are suppressed", async () => {
    h.emu.admin.createApp("pushapp", { adminToken: "push-admin" });
    const p = new MaxImClient({ url: h.base, appId: "pushapp", token: "push-admin", retries: 0 });
    const ids: Record<string, number> = {};
    for (const n of ["p_ann", "p_bob", "p_cat", "p_dan"])
      ids[n] = (await p.registerUser({ username: n, password: "pw" })).user_id;
    const device = async (name: string, guid: string) =>
      (await p.userToken({ name, password: "pw", device_guid: guid })).push_token as string;
    const annPhone = await device("p_ann", "ann-phone");
    const annTab = await device("p_ann", "ann-tab");
    const bobPhone = await device("p_bob", "bob-phone");
    const catPhone = await device("p_cat", "cat-phone");
    const ann = p.asUser(ids.p_ann as number);
    const bob = p.asUser(ids.p_bob as number);
    const cat = p.asUser(ids.p_cat as number);
    await ann.addPushTags(["beijing"]);
    await bob.addPushTags(["shanghai", "beijing"]);
    expect(await bob.bindPushAlias(bobPhone, "bobby")).toBe(true);
    // A push token bound by alias only (no login device).
    expect(await cat.bindPushAlias("cat-extra", "kitty")).toBe(true);
    // p_dan has no device: no audience form reaches it.
    const last = () => h.emu.admin.pushes("pushapp").at(-1);
    const tokensOf = () => (last()?.recipients ?? []).map((r) => r.pushToken).sort();
    const message = { type: "text" as const, title: "t", body: "b" };

    await p.pushNotify({ audience: "all", message });
    expect(tokensOf()).toEqual([annPhone, annTab, bobPhone, catPhone, "cat-extra"].sort());
    expect(last()?.users.sort()).toEqual([ids.p_ann, ids.p_bob, ids.p_cat].sort());

    await p.pushNotify({ audience: { tag: ["beijing", "nowhere"] }, message });
    expect(tokensOf()).toEqual([annPhone, annTab, bobPhone].sort());
    await p.pushNotify({ audience: { alias: ["kitty", "bobby"] }, message });
    expect(tokensOf()).toEqual([bobPhone, "cat-extra"].sort());
    await p.pushNotify({ audience: { user_id: [ids.p_ann as number, ids.p_dan as number, 99] }, message });
    expect(tokensOf()).toEqual([annPhone, annTab].sort());
    expect(last()?.users).toEqual([ids.p_ann]);
    await p.pushNotify({ audience: { push_token: [catPhone, "unknown"] }, message });
    expect(last()?.recipients).toEqual([
      { userId: ids.p_cat, pushToken: catPhone, alias: null, deviceSn: 1 },
    ]);

    // Settings: no_push suppresses, quiet hours (UTC) suppress, disabled users are skipped.
    await bob.updateSettings({ no_push: true });
    const hour = new Date().getUTCHours();
    await cat.updateSettings({ no_push_start_hour: hour, no_push_end_hour: (hour + 1) % 24 });
    await p.disableUsers([ids.p_ann as number]);
    await p.pushNotify({ audience: "all", message });
    expect(last()?.recipients).toEqual([]);
    expect(
      last()
        ?.suppressed.map((s) => `${s.userId}:${s.reason}`)
        .sort(),
    ).toEqual(
      [
        `${ids.p_ann}:disabled`,
        `${ids.p_ann}:disabled`,
        `${ids.p_bob}:no_push`,
        `${ids.p_cat}:no_push_hours`,
        `${ids.p_cat}:no_push_hours`,
      ].sort(),
    );
    await p.enableUsers([ids.p_ann as number]);

    // Over the limit is 12005 and nothing is recorded.
    const count = h.emu.admin.pushes("pushapp").length;
    const tooMany = Array.from({ length: 501 }, (_, i) => `t${i}`);
    const r = await raw(
      h.base,
      "POST",
      "/push/notify",
      { "Content-Type": "application/json", app_id: "pushapp", "access-token": "push-admin" },
      JSON.stringify({ audience: { push_token: tooMany }, message }),
    );
    expect(r.json.code).toBe(12005);
    expect(h.emu.admin.pushes("pushapp").length).toBe(count);
  });
});

describe("group commit of sends", () => {
  it("concurrent sends share a commit; a failing one rolls back alone", async () => {
    const u = await register("gc_target");
    const before = h.emu.admin.messages().length;
    const bodies = Array.from({ length: 12 }, (_, i) => ({
      targets: i === 5 ? [u, 99] : [u],
      type: 1,
      content_type: 0,
      content: `m${i}`,
    }));
    const answers = await Promise.all(bodies.map((b) => api(h.base, "POST", "/message/send", b)));
    expect(answers.map((a) => a.json.code)).toEqual(bodies.map((_, i) => (i === 5 ? 10000 : 200)));
    const stored = h.emu.admin.messages().slice(before);
    expect(stored.map((m) => m.content).sort()).toEqual(
      bodies.flatMap((b, i) => (i === 5 ? [] : [b.content])).sort(),
    );
  });

  it("an acknowledged send survives a restart of a file-backed emulator", async () => {
    const dir = mkdtempSync(join(tmpdir(), "maxim-durable-"));
    const file = join(dir, "db.sqlite");
    try {
      const db1 = openStore({ file, modules: [maximStoreModule] });
      const e1 = createMaxImEmulator({ db: db1 });
      const base = await e1.listen(0);
      const id = (await api(base, "POST", "/user/register/v2", { username: "durable", password: "p" })).json
        .data.user_id as number;
      const sent = await api(base, "POST", "/message/send", {
        targets: [id],
        type: 1,
        content_type: 0,
        content: "kept",
      });
      expect(sent.json.code).toBe(200);
      await e1.close();
      db1.close();
      const db2 = openStore({ file, modules: [maximStoreModule] });
      const e2 = createMaxImEmulator({ db: db2 });
      expect(e2.admin.messages().map((m) => m.content)).toEqual(["kept"]);
      await e2.close();
      db2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("errors stay typed", () => {
  it("ApiError carries the numeric code and the seed's description", async () => {
    const err = await admin
      .asUser(1)
      .setNickname("x")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 10000 });
    expect((err as Error).message).toContain("User does not exist");
  });
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
