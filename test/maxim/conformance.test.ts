import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/maxim/protocol.js";
import { api, type Harness, raw, seedHeaders, startEmulator, TOKEN } from "./harness.js";

/**
 * The seed's curl examples, byte for byte (host swapped), in the seed's order: one walk-through
 * whose steps build on each other (the ids the seed prints), so this suite is never shuffled.
 */
describe("seed 001 curl examples", { shuffle: false }, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startEmulator();
  });
  afterAll(() => h.close());

  it("POST /user/register/v2 with only app_id", async () => {
    const r = await raw(
      h.base,
      "POST",
      "/user/register/v2",
      { "Content-Type": "application/json", app_id: "welovemaxim" },
      '{ "username": "test_user", "password": "asd"}',
    );
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      code: 200,
      data: {
        user_id: 2302128618880,
        auto_download: false,
        group_confirm: false,
        no_sounds: false,
        no_push: false,
        vibratory: false,
        no_push_detail: false,
        auth_mode: 0,
        no_push_start_hour: 0,
        no_push_end_hour: 0,
      },
    });
  });

  it("POST /user/add_roster", async () => {
    const r = await raw(
      h.base,
      "POST",
      "/user/add_roster",
      seedHeaders(2302128618880),
      '{ "list": [2199040544848, 2199040544992]}',
    );
    expect(r.json).toEqual({ code: 200, data: true });
  });

  it("GET /user/rosters", async () => {
    const r = await raw(h.base, "GET", "/user/rosters", seedHeaders(2302128618880));
    expect(r.json).toEqual({
      code: 200,
      data: [
        { user_id: 2199040544848, name: "a" },
        { user_id: 2199040544992, name: "b" },
      ],
    });
  });

  it("POST /group/create", async () => {
    const r = await raw(
      h.base,
      "POST",
      "/group/create",
      seedHeaders(2302128618880),
      '{ "name": "g001", "description": "test-group"}',
    );
    expect(r.json.code).toBe(200);
    expect(Object.keys(r.json.data).sort()).toEqual(
      [
        "name",
        "status",
        "description",
        "type",
        "group_id",
        "owner_id",
        "created_at",
        "updated_at",
        "member_invite",
        "apply_approval",
        "read_ack",
        "history_visible",
        "member_modify",
      ].sort(),
    );
    expect(r.json.data).toMatchObject({
      name: "g001",
      status: 0,
      description: "test-group",
      type: 0,
      group_id: 2306414607729,
      owner_id: 2302128618880,
      member_invite: true,
      apply_approval: 1,
      read_ack: false,
      history_visible: false,
      member_modify: false,
    });
    expect(r.json.data.created_at).toBe(r.json.data.updated_at);
  });

  it("POST /group/invite", async () => {
    const r = await raw(
      h.base,
      "POST",
      "/group/invite",
      seedHeaders(2302128618880),
      '{ "group_id": 2306414607729, "user_list": [2199040544848, 2199040544992]}',
    );
    expect(r.json).toEqual({
      code: 200,
      data: [
        { result: "success", user_id: 2199040544848 },
        { result: "success", user_id: 2199040544992 },
      ],
    });
  });

  it("GET /group/member_list without Content-Type", async () => {
    const headers = { "access-token": TOKEN, app_id: "welovemaxim", user_id: "2302128618880" };
    const r = await raw(h.base, "GET", "/group/member_list?group_id=2306414607729&limit=50", headers);
    expect(r.json.code).toBe(200);
    expect(r.json.data.map((m: { user_id: number }) => m.user_id)).toEqual([
      2302128618880, 2199040544848, 2199040544992,
    ]);
    for (const m of r.json.data) expect(Object.keys(m).sort()).toEqual(["join_time", "user_id"]);
    expect(typeof r.json.version).toBe("number");
    expect(r.json.cursor).toBeUndefined();
  });

  it("POST /message/send (admin text to a user)", async () => {
    const r = await raw(
      h.base,
      "POST",
      "/message/send",
      { "Content-Type": "application/json", "access-token": TOKEN, app_id: "welovemaxim" },
      '{"targets":[2302128618880],"type":1,"content":"hello","content_type":0}',
    );
    expect(r.json).toEqual({ code: 200, data: true });
    const m = h.emu.admin.messages("welovemaxim").at(-1);
    expect(m).toMatchObject({ to: 2302128618880, toType: 1, contentType: 0, content: "hello" });
  });

  it("POST /push/notify — the three seed examples", async () => {
    const headers = { "Content-Type": "application/json", "access-token": TOKEN, app_id: "welovemaxim" };
    const bodies = [
      '{"audience": "all","message": {"type": "text","title": "this is push title","body": "this is push body"}}',
      '{"audience": {"push_token":["token1","token2"]},"message": {"type": "image","title": "this is push title","body": "this is push body","attachment_url": "https://xxx.com/images/1.jpg"}}',
      '{"audience": {"tag":["beijing","shanghai"]},"message": {"type": "cmd","title": "this is push title","body": "this is push body","ext": {"key1": 12345, "key2": "xxx" }}}',
    ];
    for (const body of bodies) {
      const r = await raw(h.base, "POST", "/push/notify", headers, body);
      expect(r.json).toEqual({ code: 200, data: true });
    }
    const pushes = h.emu.admin.pushes("welovemaxim");
    expect(pushes.map((p) => p.audience)).toEqual([
      "all",
      { push_token: ["token1", "token2"] },
      { tag: ["beijing", "shanghai"] },
    ]);
    expect(pushes[2]?.message).toMatchObject({ type: "cmd", ext: { key1: 12345, key2: "xxx" } });
  });

  it("DELETE /group/destroy without Content-Type", async () => {
    const headers = { "access-token": TOKEN, app_id: "welovemaxim", user_id: "2302128618880" };
    const r = await raw(h.base, "DELETE", "/group/destroy?group_id=2306414607729", headers);
    expect(r.json).toEqual({ code: 200, data: true });
    const again = await raw(h.base, "DELETE", "/group/destroy?group_id=2306414607729", headers);
    expect(again.json).toMatchObject({ code: 20001, message: "Group does not exist", data: null });
  });
});

/**
 * Every code of the seed's appendix, reached over raw HTTP. Each area runs on an emulator of its
 * own; "reached every code" opens one more and reaches each code itself, so no test depends on
 * another having run (any order, any subset with -t).
 */
interface ErrorTable {
  h: Harness;
  U: Record<string, number>;
  group: number;
  reached: Set<number>;
  expectCode(
    code: number,
    p: Promise<{ status: number; json: { code: number; message: string } }>,
  ): Promise<void>;
}

async function openErrorTable(): Promise<ErrorTable> {
  const h = await startEmulator();
  const U: Record<string, number> = {};
  const reached = new Set<number>();
  for (const username of ["owner", "adm", "mem", "out", "picky", "quiz", "closed", "x"]) {
    const r = await api(h.base, "POST", "/user/register/v2", { username, password: "pw" });
    U[username] = r.json.data.user_id;
  }
  const group = (
    await api(h.base, "POST", "/group/create", { name: "g", user_list: [U.adm, U.mem] }, U.owner)
  ).json.data.group_id;
  await api(h.base, "POST", "/group/admin/add", { group_id: group, user_list: [U.adm] }, U.owner);
  return {
    h,
    U,
    group,
    reached,
    async expectCode(code, p) {
      const r = await p;
      expect(r.status).toBe(200);
      expect(r.json.code).toBe(code);
      expect(r.json.message.startsWith((ERROR_CODES as Record<number, string>)[code] as string)).toBe(true);
      reached.add(code);
    },
  };
}

async function reachUserCodes(t: ErrorTable): Promise<void> {
  const { h, U, expectCode } = t;
  await expectCode(10000, api(h.base, "GET", "/user/profile", undefined, 999999));
  await api(
    h.base,
    "PUT",
    "/user/settings",
    { auth_mode: 2, auth_question: "2+2?", auth_answer: "4" },
    U.quiz,
  );
  await expectCode(10001, api(h.base, "POST", "/roster/apply", { user_id: U.quiz, auth_answer: "5" }, U.x));
  await expectCode(10002, api(h.base, "POST", "/user/register/v2", { username: "12345", password: "pw" }));
  await expectCode(10002, api(h.base, "POST", "/user/register/v2", { username: "maxim_a", password: "pw" }));
  await expectCode(
    10003,
    raw(h.base, "GET", "/user/profile", { app_id: "welovemaxim", user_id: String(U.x) }),
  );
  await expectCode(10004, api(h.base, "POST", "/user/register/v2", { username: "x", password: "pw" }));
  await api(h.base, "POST", "/user/add_roster", { list: [U.mem] }, U.x);
  await expectCode(10005, api(h.base, "POST", "/roster/apply", { user_id: U.mem }, U.x));
  await api(h.base, "POST", `/roster/block?user_id=${U.out}`, undefined, U.x);
  await expectCode(10006, api(h.base, "POST", `/roster/block?user_id=${U.out}`, undefined, U.x));
  await expectCode(10006, api(h.base, "POST", "/roster/apply", { user_id: U.x }, U.out));
  await expectCode(10007, api(h.base, "DELETE", `/roster/delete?user_id=${U.owner}`, undefined, U.x));
  await expectCode(
    10008,
    raw(h.base, "GET", "/user/profile", { "access-token": "nope", app_id: "welovemaxim" }),
  );
  const login = await api(h.base, "POST", "/token/user", { name: "x", password: "pw" });
  const userHeaders = {
    "access-token": login.json.data.token,
    app_id: "welovemaxim",
    "Content-Type": "application/json",
  };
  await expectCode(
    10010,
    raw(h.base, "POST", "/push/notify", userHeaders, '{"audience":"all","message":{}}'),
  );
  await expectCode(10010, raw(h.base, "GET", "/user/profile", { ...userHeaders, user_id: String(U.mem) }));
  await api(h.base, "POST", "/user/push/alias", { push_token: "device-1" }, U.x);
  await expectCode(10011, api(h.base, "POST", "/user/push/alias", { push_token: "device-1" }, U.mem));
  await api(h.base, "PUT", "/user/settings", { auth_mode: 3 }, U.closed);
  await expectCode(10012, api(h.base, "POST", "/roster/apply", { user_id: U.closed }, U.x));
  h.emu.admin.failNext(10009, { path: "/user/profile" });
  await expectCode(10009, api(h.base, "GET", "/user/profile", undefined, U.x));
}

async function reachPushCodes(t: ErrorTable): Promise<void> {
  const { h, expectCode } = t;
  const list = Array.from({ length: 501 }, (_, i) => i + 1);
  await expectCode(
    12005,
    api(h.base, "POST", "/push/notify", { audience: { user_id: list }, message: { body: "x" } }),
  );
  await expectCode(
    12004,
    api(h.base, "POST", "/push/notify", {
      audience: "all",
      message: { type: "image", attachment_url: "ftp:/nope" },
    }),
  );
  for (const code of [12001, 12002, 12003]) {
    h.emu.admin.failNext(code, { path: "/push/notify" });
    await expectCode(
      code,
      api(h.base, "POST", "/push/notify", { audience: "all", message: { type: "image" } }),
    );
  }
  const other = h.emu.admin.createApp("nopush", { config: { push: false } });
  await expectCode(
    12006,
    raw(
      h.base,
      "POST",
      "/push/notify",
      { "Content-Type": "application/json", "access-token": other.adminToken, app_id: "nopush" },
      '{"audience":"all","message":{"body":"x"}}',
    ),
  );
}

async function reachGroupCodes(t: ErrorTable): Promise<void> {
  const { h, U, expectCode } = t;
  const g = t.group;
  h.emu.admin.failNext(20000);
  await expectCode(20000, api(h.base, "GET", `/group/info?group_id=${g}`, undefined, U.owner));
  await expectCode(20001, api(h.base, "GET", "/group/info?group_id=42", undefined, U.owner));
  await expectCode(20002, api(h.base, "GET", `/group/member_list?group_id=${g}`, undefined, U.out));
  await expectCode(
    20003,
    api(h.base, "PUT", "/group/msg/push_mode", { group_id: g, msg_push_mode: 9 }, U.mem),
  );
  await expectCode(20004, api(h.base, "DELETE", `/group/leave?group_id=${g}`, undefined, U.owner));
  await expectCode(20005, api(h.base, "PUT", "/group/transfer", { group_id: g, new_owner: U.out }, U.owner));
  h.emu.admin.failNext(20006, { path: "/group/invite" });
  await expectCode(20006, api(h.base, "POST", "/group/invite", { group_id: g, user_list: [U.out] }, U.owner));
  h.emu.admin.configureApp("welovemaxim", { limits: { appGroups: 1 } });
  await expectCode(20007, api(h.base, "POST", "/group/create", { name: "g2" }, U.mem));
  h.emu.admin.configureApp("welovemaxim", { limits: { appGroups: 100, userGroups: 1 } });
  await expectCode(20008, api(h.base, "POST", "/group/create", { name: "g2" }, U.owner));
  h.emu.admin.configureApp("welovemaxim", { limits: { userGroups: 100, joinedGroups: 1 } });
  await expectCode(20009, api(h.base, "POST", "/group/create", { name: "g2" }, U.mem));
  h.emu.admin.configureApp("welovemaxim", { limits: { joinedGroups: 100, groupCapacity: 3 } });
  await api(
    h.base,
    "PUT",
    "/group/settings/require_admin_approval",
    { group_id: g, apply_approval: 0 },
    U.owner,
  );
  await expectCode(20010, api(h.base, "POST", "/group/apply", { group_id: g }, U.out));
  h.emu.admin.configureApp("welovemaxim", { limits: { groupCapacity: 2000 } });
  await expectCode(
    20011,
    api(h.base, "POST", "/group/file/upload", { group_id: g, name: "f", size: 1, url: "https://f" }, U.out),
  );
  await api(h.base, "PUT", "/group/settings/allow_member_invitation", { group_id: g, value: false }, U.owner);
  await expectCode(20012, api(h.base, "POST", "/group/invite", { group_id: g, user_list: [U.out] }, U.mem));
  await expectCode(20013, api(h.base, "DELETE", `/group/destroy?group_id=${g}`, undefined, U.adm));
  await expectCode(
    20014,
    api(h.base, "PUT", "/group/apply/handle", { group_id: g, user_id: U.out, approval: true }, U.adm),
  );
  await expectCode(
    20015,
    api(h.base, "PUT", "/group/invite/handle", { group_id: g, user_id: U.owner, approval: true }, U.out),
  );
  // kicked three times: may not come back
  for (let i = 0; i < 3; i++) {
    await api(h.base, "POST", "/group/apply", { group_id: g }, U.picky);
    await api(h.base, "DELETE", "/group/kick", { group_id: g, user_list: [U.picky] }, U.adm);
  }
  await expectCode(20016, api(h.base, "POST", "/group/apply", { group_id: g }, U.picky));
  await expectCode(20017, api(h.base, "POST", "/group/apply", { group_id: g }, U.mem));
  await api(h.base, "POST", "/group/block", { group_id: g, user_list: [U.closed] }, U.owner);
  await expectCode(20018, api(h.base, "POST", "/group/apply", { group_id: g }, U.closed));
  await expectCode(
    20020,
    api(h.base, "GET", `/group/announcement?group_id=${g}&announcement_id=7`, undefined, U.mem),
  );
  // The app's admin switches group announcements off: publishing one answers 20021.
  h.emu.admin.configureApp("welovemaxim", { announcements: false });
  await expectCode(
    20021,
    api(h.base, "POST", "/group/announcement/edit", { group_id: g, title: "t", content: "c" }, U.adm),
  );
  h.emu.admin.configureApp("welovemaxim", { announcements: true });
  await expectCode(20022, api(h.base, "GET", `/group/file?group_id=${g}&file_id=5`, undefined, U.mem));
  const f = await api(
    h.base,
    "POST",
    "/group/file/upload",
    { group_id: g, name: "f", size: 1, url: "https://f" },
    U.adm,
  );
  await expectCode(
    20023,
    api(
      h.base,
      "PUT",
      "/group/file/update_name",
      { group_id: g, file_id: f.json.data.file_id, name: "n" },
      U.mem,
    ),
  );
  await expectCode(20024, api(h.base, "POST", "/group/qrcode/invite", { qr_info: "garbage" }, U.out));
  const qr = await api(h.base, "GET", `/group/qrcode/sign?group_id=${g}`, undefined, U.mem);
  const tampered = qr.json.data.qr_info.replace(/^\d+/, "1");
  await expectCode(20024, api(h.base, "POST", "/group/qrcode/invite", { qr_info: tampered }, U.out));
  h.now.value = qr.json.data.expire_at + 1;
  await expectCode(
    20025,
    api(h.base, "POST", "/group/qrcode/invite", { qr_info: qr.json.data.qr_info }, U.out),
  );
  h.now.value = null;
}

async function reachLicenseCodes(t: ErrorTable): Promise<void> {
  const { h, expectCode } = t;
  const lic = h.emu.admin.createApp("lic", { config: { limits: { licenseUsers: 1 } } });
  const hdr = { "Content-Type": "application/json", app_id: "lic", "access-token": lic.adminToken };
  await raw(h.base, "POST", "/user/register/v2", hdr, '{"username":"one","password":"p"}');
  await expectCode(30023, raw(h.base, "POST", "/user/register/v2", hdr, '{"username":"two","password":"p"}'));
  h.emu.admin.setLicense("lic", "invalid");
  await expectCode(30021, raw(h.base, "GET", "/user/profile", hdr));
  h.emu.admin.setLicense("lic", "expired");
  await expectCode(30022, raw(h.base, "GET", "/user/profile", hdr));
  await expectCode(
    40000,
    raw(h.base, "GET", "/user/profile", { "access-token": TOKEN, app_id: "nosuchapp" }),
  );
  await expectCode(40000, raw(h.base, "GET", "/user/profile", { "access-token": TOKEN }));
  // the admin token of another app is not valid here
  await expectCode(10008, raw(h.base, "GET", "/user/profile", { ...hdr, app_id: "welovemaxim" }));
}

describe("seed 001 error table", () => {
  const opened: ErrorTable[] = [];
  const fresh = async () => {
    const t = await openErrorTable();
    opened.push(t);
    return t;
  };
  afterEach(async () => {
    for (const t of opened.splice(0)) await t.h.close();
  });

  it("1xxxx: users and friends", async () => reachUserCodes(await fresh()));
  it("12xxx: push", async () => reachPushCodes(await fresh()));
  it("2xxxx: groups", async () => reachGroupCodes(await fresh()));
  it("3xxxx and 40000: license and app", async () => reachLicenseCodes(await fresh()));

  it("reached every code of the table", async () => {
    const t = await fresh();
    for (const reach of [reachUserCodes, reachPushCodes, reachGroupCodes, reachLicenseCodes]) await reach(t);
    const all = Object.keys(ERROR_CODES).map(Number);
    expect(all.filter((c) => !t.reached.has(c))).toEqual([]);
  });
});

describe("bad input", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startEmulator();
  });
  afterAll(() => h.close());

  it("broken JSON, wrong types, missing fields → 10002", async () => {
    for (const body of [
      "{bad",
      "[]",
      "null",
      '"x"',
      '{"username":1,"password":"p"}',
      '{"username":"ok_name"}',
    ]) {
      const r = await raw(
        h.base,
        "POST",
        "/user/register/v2",
        { "Content-Type": "application/json", app_id: "welovemaxim" },
        body,
      );
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ code: 10002, data: null });
    }
    const r = await api(h.base, "POST", "/message/send", {
      targets: ["1"],
      type: 1,
      content: "x",
      content_type: 0,
    });
    expect(r.json.code).toBe(10002);
    const q = await api(h.base, "GET", "/group/member_list?group_id=abc", undefined, 1);
    expect(q.json.code).toBe(10002);
    const bad = await raw(h.base, "GET", "/user/profile", { ...seedHeaders(), user_id: "12abc" });
    expect(bad.json.code).toBe(10002);
  });

  it("a body over the limit is refused with 10002 and the server keeps serving", async () => {
    const huge = JSON.stringify({ username: "big", password: "x".repeat(2 * 1024 * 1024) });
    const r = await raw(
      h.base,
      "POST",
      "/user/register/v2",
      { "Content-Type": "application/json", app_id: "welovemaxim" },
      huge,
    );
    expect(r.status).toBe(200);
    expect(r.json.code).toBe(10002);
    const ok = await raw(
      h.base,
      "POST",
      "/user/register/v2",
      { "Content-Type": "application/json", app_id: "welovemaxim" },
      '{"username":"after_big","password":"p"}',
    );
    expect(ok.json.code).toBe(200);
  });

  it("non-JSON content types are parsed as JSON text (curl -d default)", async () => {
    const r = await raw(
      h.base,
      "POST",
      "/user/register/v2",
      { "Content-Type": "application/x-www-form-urlencoded", app_id: "welovemaxim" },
      '{"username":"formy","password":"p"}',
    );
    expect(r.json.code).toBe(200);
  });

  it("app token without user_id on a user endpoint → 10002", async () => {
    const r = await api(h.base, "GET", "/user/profile");
    expect(r.json.code).toBe(10002);
  });

  it("unknown path or method → HTTP 404 with a MaxIM envelope (10002)", async () => {
    const r = await api(h.base, "GET", "/nope");
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ code: 10002, data: null });
    const wrongMethod = await api(h.base, "GET", "/message/send");
    expect(wrongMethod.status).toBe(404);
    expect(wrongMethod.json.code).toBe(10002);
  });

  it("nothing half-written: a send with one unknown target stores nothing", async () => {
    const a = (await api(h.base, "POST", "/user/register/v2", { username: "half_a", password: "p" })).json
      .data.user_id;
    const before = h.emu.admin.messages().length;
    const r = await api(h.base, "POST", "/message/send", {
      targets: [a, 999],
      type: 1,
      content: "x",
      content_type: 0,
    });
    expect(r.json.code).toBe(10000);
    expect(h.emu.admin.messages().length).toBe(before);
    const batch = await api(h.base, "POST", "/user/disable", { list: [a, 999] });
    expect(batch.json.code).toBe(10000);
    const login = await api(h.base, "POST", "/token/user", { name: "half_a", password: "p" });
    expect(login.json.code).toBe(200);
  });

  it("mixed target kinds: a user id with type 2 is not a group", async () => {
    const a = (await api(h.base, "POST", "/user/register/v2", { username: "mix_a", password: "p" })).json.data
      .user_id;
    const r = await api(h.base, "POST", "/message/send", {
      targets: [a],
      type: 2,
      content: "x",
      content_type: 0,
    });
    expect(r.json.code).toBe(20001);
  });

  it("transaction_id de-duplicates", async () => {
    const a = (await api(h.base, "POST", "/user/register/v2", { username: "dedupe", password: "p" })).json
      .data.user_id;
    const before = h.emu.admin.messages().length;
    const body = { targets: [a], type: 1, content: "once", content_type: 0, transaction_id: 77 };
    expect((await api(h.base, "POST", "/message/send", body)).json).toEqual({ code: 200, data: true });
    expect((await api(h.base, "POST", "/message/send", body)).json).toEqual({ code: 200, data: true });
    expect(h.emu.admin.messages().length).toBe(before + 1);
  });

  it("attachment is required for media content types", async () => {
    const r = await api(h.base, "POST", "/message/send", { targets: [1], type: 1, content_type: 1 });
    expect(r.json.code).toBe(10002);
  });
});
