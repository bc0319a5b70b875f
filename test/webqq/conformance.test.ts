/**
 * Raw HTTP against the emulator, written from seeds 002 / 004: our own cookies, Referers and
 * form bodies, no client code.
 */

import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  friendsHash,
  hash33,
  parseCheckVC,
  parsePtuiCB,
  passwordHash,
  passwordHashFromMd5,
  REFERER,
} from "../../src/webqq/protocol.js";
import { ALICE, BOB, CAROL, type Harness, seedWorld, startEmulator } from "./harness.js";
import { FRIENDS_HASH_VECTORS, HASH33_VECTORS, PASSWORD_VECTORS } from "./vectors.js";

let h: Harness;
let world: ReturnType<typeof seedWorld>;
beforeAll(async () => {
  h = await startEmulator({ pollTimeoutMs: 300 });
  world = seedWorld(h.emu);
});
afterAll(async () => h.close());

/**
 * The raw requests below compute the login and friend-list hashes with src's functions, and the
 * emulator checks them with src's functions too: were those wrong, both sides would agree and
 * these tests pass. So they are pinned first to known answers from the seeds' code and a public
 * client's code (vectors.ts: seed 002's Python line, pandolia/qqbot qqbot/qsession.py).
 */
describe("the hashes these requests use give the known answers", () => {
  it("password (client side and the emulator's md5-based check), friend-list hash, QR token", () => {
    for (const v of PASSWORD_VECTORS) {
      expect(passwordHash(v.password, new Uint8Array(v.uin), v.vcode), v.source).toBe(v.out);
      const md5 = createHash("md5").update(v.password).digest();
      expect(passwordHashFromMd5(md5, new Uint8Array(v.uin), v.vcode), v.source).toBe(v.out);
    }
    for (const v of FRIENDS_HASH_VECTORS) expect(friendsHash(v.uin, v.ptwebqq), v.source).toBe(v.out);
    for (const v of HASH33_VECTORS) expect(hash33(v.input), v.source).toBe(v.out);
  });
});

/** A browser-ish session: a cookie map and raw requests. */
class Raw {
  cookies = new Map<string, string>();
  constructor(readonly base: string) {}
  async req(
    method: string,
    path: string,
    opts: { form?: Record<string, string>; referer?: string; cookies?: boolean } = {},
  ) {
    const headers: Record<string, string> = {};
    if (opts.cookies !== false && this.cookies.size)
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (opts.referer) headers.referer = opts.referer;
    let body: string | undefined;
    if (opts.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(opts.form).toString();
    }
    const res = await fetch(this.base + path, { method, headers, body, redirect: "manual" });
    for (const sc of res.headers.getSetCookie()) {
      const [pair] = sc.split(";");
      const i = pair!.indexOf("=");
      this.cookies.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: raw JSON under test
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: res.status, text, json, headers: res.headers };
  }
}

async function rawLogin(qq: number, password: string, clientid = "32383579") {
  const r = new Raw(h.base);
  const chk = parseCheckVC((await r.req("GET", `/check?uin=${qq}&appid=1003903&r=0.09714`)).text)!;
  const p = passwordHash(password, chk.uinBytes, chk.vcode);
  const login = await r.req(
    "GET",
    `/login?u=${qq}&p=${p}&verifycode=${encodeURIComponent(chk.vcode)}&webqq_type=10&remember_uin=1&login2qq=1&aid=1003903&u1=http%3A%2F%2Fwebqq.qq.com%2Floginproxy.html%3Flogin2qq%3D1%26webqq_type%3D10&h=1&ptredirect=0&ptlang=2052&from_ui=1&pttype=1&dumy=&fp=loginerroralert&action=1-20-8656&mibao_css=m_webqq&t=1&g=1`,
  );
  const cb = parsePtuiCB(login.text)!;
  expect(cb.code).toBe(0);
  const sig = await r.req("GET", new URL(cb.url).pathname + new URL(cb.url).search);
  expect(sig.status).toBe(302);
  const ptwebqq = r.cookies.get("ptwebqq")!;
  const l2 = await r.req("POST", "/channel/login2", {
    referer: REFERER.login2,
    form: {
      r: JSON.stringify({ status: "online", ptwebqq, passwd_sig: "", clientid, psessionid: null }),
      clientid,
      psessionid: "null",
    },
  });
  expect(l2.json.retcode).toBe(0);
  return {
    r,
    ptwebqq,
    clientid,
    ...(l2.json.result as { uin: number; psessionid: string; vfwebqq: string }),
  };
}

describe("login (seeds 002 / 004)", () => {
  it("check answers ptui_checkVC with the uin bytes and sets a cookie", async () => {
    const r = new Raw(h.base);
    const res = await r.req("GET", `/check?uin=${ALICE}&appid=1003903&r=0.09714`);
    expect(res.text).toMatch(/^ptui_checkVC\('0','![A-Z]{3}','\\x00\\x00\\x00\\x00\\x00\\xa6\\x4a\\x18'\);$/);
    expect(r.cookies.has("ptvfsession")).toBe(true);
  });

  it("login codes 0, 3, 4, 7, 24, 71 and page expired (4,2)", async () => {
    const r = new Raw(h.base);
    const chk = parseCheckVC((await r.req("GET", `/check?uin=${ALICE}&appid=1003903`)).text)!;
    const good = passwordHash("1234567890", chk.uinBytes, chk.vcode);
    const bad = passwordHash("wrong", chk.uinBytes, chk.vcode);
    const q = (p: string, v = chk.vcode, u = String(ALICE)) =>
      `/login?u=${u}&p=${p}&verifycode=${encodeURIComponent(v)}&aid=1003903`;
    expect(parsePtuiCB((await r.req("GET", q(bad))).text)?.code).toBe(3);
    expect(parsePtuiCB((await r.req("GET", q(good, "!ZZZ"))).text)?.code).toBe(4);
    expect(parsePtuiCB((await r.req("GET", "/login?u=abc&p=1&verifycode=x")).text)?.code).toBe(7);
    expect(parsePtuiCB((await r.req("GET", q(good), { cookies: false })).text)?.code).toBe(24);
    const stale = new Raw(h.base);
    stale.cookies.set("ptvfsession", "deadbeef");
    expect(parsePtuiCB((await stale.req("GET", q(good))).text)).toMatchObject({ code: 4, subcode: 2 });
    h.emu.admin.setBlocked(ALICE, true);
    expect(parsePtuiCB((await r.req("GET", q(good))).text)?.code).toBe(71);
    h.emu.admin.setBlocked(ALICE, false);
    const ok = parsePtuiCB((await r.req("GET", q(good))).text)!;
    expect(ok.code).toBe(0);
    expect(ok.message).toBe("登录成功！");
    expect(ok.nick).toBe("alice");
    expect(ok.url).toContain("/check_sig?");
    // the check_sig ticket is one-time
    const path = new URL(ok.url).pathname + new URL(ok.url).search;
    expect((await r.req("GET", path)).status).toBe(302);
    expect(r.cookies.get("ptwebqq")).toMatch(/^[0-9a-f]{64}$/);
    expect((await r.req("GET", path)).status).toBe(403);
  });

  it("captcha: check says 1, getimage shows a PNG, the code from the admin API logs in", async () => {
    h.emu.admin.setCaptcha(CAROL, true);
    const r = new Raw(h.base);
    const chk = parseCheckVC((await r.req("GET", `/check?uin=${CAROL}&appid=1003903`)).text)!;
    expect(chk.needCaptcha).toBe(true);
    const img = await fetch(`${h.base}/getimage?aid=1003903&uin=${CAROL}`, {
      headers: { cookie: `ptvfsession=${r.cookies.get("ptvfsession")}` },
    });
    expect(img.headers.get("content-type")).toBe("image/png");
    expect([...new Uint8Array(await img.arrayBuffer()).slice(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    r.cookies.set("verifysession", r.cookies.get("ptvfsession")!);
    const code = h.emu.admin.captcha(CAROL)!;
    const p = passwordHash("pw-carol", chk.uinBytes, code);
    const res = await r.req("GET", `/login?u=${CAROL}&p=${p}&verifycode=${code.toLowerCase()}&aid=1003903`);
    expect(parsePtuiCB(res.text)?.code).toBe(0);
    h.emu.admin.setCaptcha(CAROL, false);
  });

  it("QR: ptqrshow sets qrsig; ptqrlogin 66 → 67 → 0, and 65 for an unknown code", async () => {
    const r = new Raw(h.base);
    const img = await r.req("GET", "/ptqrshow?appid=501004106&e=0&l=M&s=5&d=72&v=4&t=0.1");
    expect(img.headers.get("content-type")).toBe("image/png");
    const qrsig = r.cookies.get("qrsig")!;
    let e = 0;
    for (let i = 0; i < qrsig.length; i++) e += (e << 5) + qrsig.charCodeAt(i);
    const token = e & 0x7fffffff;
    const poll = async () =>
      parsePtuiCB((await r.req("GET", `/ptqrlogin?ptqrtoken=${token}&webqq_type=10&aid=501004106`)).text)!;
    expect((await poll()).code).toBe(66);
    h.emu.admin.confirmQr(BOB, { token, scanOnly: true });
    expect((await poll()).code).toBe(67);
    h.emu.admin.confirmQr(BOB, { token });
    const done = await poll();
    expect(done.code).toBe(0);
    expect(done.url).toContain(`uin=${BOB}`);
    expect((await poll()).code).toBe(65);
    const other = new Raw(h.base);
    other.cookies.set("qrsig", "nope");
    expect(parsePtuiCB((await other.req("GET", "/ptqrlogin")).text)?.code).toBe(65);
  });

  it("login2: the seed's body; 103 without cookie, 108 with a wrong ptwebqq, 100006 without Referer", async () => {
    const s = await rawLogin(ALICE, "1234567890");
    expect(s.uin).toBe(ALICE);
    expect(s.psessionid).toMatch(/^[0-9a-f]+$/);
    const body = (pt: string) => ({
      r: JSON.stringify({ status: "online", ptwebqq: pt, passwd_sig: "", clientid: "1", psessionid: null }),
      clientid: "1",
      psessionid: "null",
    });
    expect(
      (
        await s.r.req("POST", "/channel/login2", {
          referer: REFERER.login2,
          form: body(s.ptwebqq),
          cookies: false,
        })
      ).json,
    ).toEqual({ retcode: 103, errmsg: "" });
    expect(
      (await s.r.req("POST", "/channel/login2", { referer: REFERER.login2, form: body("x") })).json.retcode,
    ).toBe(108);
    expect((await s.r.req("POST", "/channel/login2", { form: body(s.ptwebqq) })).json.retcode).toBe(100006);
    expect(
      (await s.r.req("POST", "/channel/login2", { referer: REFERER.login2, form: { r: "{bad" } })).json
        .retcode,
    ).toBe(100006);
  });
});

describe("contacts and channel calls", () => {
  it("get_user_friends2 needs the right hash (100001) and the cookie (100101); the seed's get_user_friend2 body works", async () => {
    const s = await rawLogin(ALICE, "1234567890");
    const good = friendsHash(s.uin, s.ptwebqq);
    const call = (r: unknown, cookies = true) =>
      s.r.req("POST", "/api/get_user_friends2", {
        referer: REFERER.s,
        form: { r: JSON.stringify(r) },
        cookies,
      });
    const ok = await call({ vfwebqq: s.vfwebqq, hash: good });
    expect(ok.json.retcode).toBe(0);
    expect(Object.keys(ok.json.result).sort()).toEqual([
      "categories",
      "friends",
      "info",
      "marknames",
      "vipinfo",
    ]);
    expect((await call({ vfwebqq: s.vfwebqq, hash: "00" })).json.retcode).toBe(100001);
    expect((await call({ vfwebqq: s.vfwebqq, hash: good }, false)).json.retcode).toBe(100101);
    expect((await call({ vfwebqq: "nope", hash: good })).json.retcode).toBe(108);
    const legacy = await s.r.req("POST", "/api/get_user_friend2", {
      referer: REFERER.login2,
      form: { r: JSON.stringify({ h: "hello", vfwebqq: s.vfwebqq }) },
    });
    expect(legacy.json.retcode).toBe(0);
    expect(legacy.json.result.info).toHaveLength(2);
  });

  it("groups, group info (100001 for a bad gcode), discussions, get_friend_uin2 types 1 and 4", async () => {
    const s = await rawLogin(ALICE, "1234567890");
    const gl = await s.r.req("POST", "/api/get_group_name_list_mask2", {
      referer: REFERER.s,
      form: { r: JSON.stringify({ vfwebqq: s.vfwebqq, hash: friendsHash(s.uin, s.ptwebqq) }) },
    });
    const g = gl.json.result.gnamelist[0];
    expect(g).toEqual({ flag: 1090519041, name: "qqbot群", gid: expect.any(Number), code: world.group.code });
    const info = await s.r.req("GET", `/api/get_group_info_ext2?gcode=${g.code}&vfwebqq=${s.vfwebqq}&t=1`);
    expect(Object.keys(info.json.result).sort()).toEqual(["ginfo", "minfo", "stats", "vipinfo"]);
    expect(
      (await s.r.req("GET", `/api/get_group_info_ext2?gcode=1&vfwebqq=${s.vfwebqq}&t=1`)).json.retcode,
    ).toBe(100001);
    const fu = await s.r.req(
      "GET",
      `/api/get_friend_uin2?code=&t=1&tuin=${g.code}&type=4&verifysession=&vfwebqq=${s.vfwebqq}`,
    );
    expect(fu.json).toEqual({ retcode: 0, result: { uiuin: "", account: world.group.account, uin: g.code } });
    const bob = info.json.result.minfo.find((m: { nick: string }) => m.nick.startsWith("呼吸"));
    expect(bob.uin).not.toBe(BOB);
    const fu1 = await s.r.req(
      "GET",
      `/api/get_friend_uin2?code=&t=1&tuin=${bob.uin}&type=1&verifysession=&vfwebqq=${s.vfwebqq}`,
    );
    expect(fu1.json.result).toEqual({ uiuin: "", account: BOB, uin: bob.uin });
    const dl = await s.r.req(
      "GET",
      `/api/get_discus_list?clientid=${s.clientid}&psessionid=${s.psessionid}&vfwebqq=${s.vfwebqq}&t=1`,
    );
    expect(dl.json).toEqual({
      retcode: 0,
      result: { dnamelist: [{ name: "good day", did: world.discu.did }] },
    });
    const di = await s.r.req(
      "GET",
      `/channel/get_discu_info?did=${world.discu.did}&clientid=${s.clientid}&psessionid=${s.psessionid}&vfwebqq=${s.vfwebqq}&t=1`,
    );
    expect(Object.keys(di.json.result).sort()).toEqual(["info", "mem_info", "mem_status"]);
  });

  it("poll2 holds then answers 102; send_buddy_msg2 with the seed's body shape arrives as a message", async () => {
    const a = await rawLogin(ALICE, "1234567890", "44597165");
    const b = await rawLogin(BOB, "pw-bob", "32383579");
    const pollForm = {
      clientid: b.clientid,
      psessionid: b.psessionid,
      r: JSON.stringify({ clientid: b.clientid, psessionid: b.psessionid, key: 0, ids: [] }),
    };
    const t0 = Date.now();
    const empty = await b.r.req("POST", "/channel/poll2", { referer: REFERER.d, form: pollForm });
    // Buddy status of Alice may arrive first (she logged in before Bob); then a held poll ends in 102.
    let idle = empty;
    if (idle.json.retcode === 0)
      idle = await b.r.req("POST", "/channel/poll2", { referer: REFERER.d, form: pollForm });
    expect(idle.json).toEqual({ retcode: 102, errmsg: "" });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    const friends = await a.r.req("POST", "/api/get_user_friends2", {
      referer: REFERER.s,
      form: { r: JSON.stringify({ vfwebqq: a.vfwebqq, hash: friendsHash(a.uin, a.ptwebqq) }) },
    });
    const bobUin = friends.json.result.info.find((i: { nick: string }) => i.nick.startsWith("呼吸")).uin;
    const send = await a.r.req("POST", "/channel/send_buddy_msg2", {
      referer: "http://d.web2.qq.com/proxy.html?v=20110331002&callback=1&id=3",
      cookies: false,
      form: {
        clientid: a.clientid,
        psessionid: a.psessionid,
        r: JSON.stringify({
          to: bobUin,
          face: 177,
          content:
            '["好快，就到中午了\\n",["font",{"name":"宋体","size":"10","style":[0,0,0],"color":"000000"}]]',
          msg_id: 85970004,
          clientid: a.clientid,
          psessionid: a.psessionid,
        }),
      },
    });
    expect(send.json).toEqual({ retcode: 0, result: "ok" });
    const got = await b.r.req("POST", "/channel/poll2", {
      referer: REFERER.d,
      form: pollForm,
      cookies: false,
    });
    expect(got.json.retcode).toBe(0);
    const item = got.json.result[0];
    expect(item.poll_type).toBe("message");
    expect(item.value).toMatchObject({
      msg_type: 9,
      to_uin: BOB,
      content: [
        ["font", { name: "宋体", size: 10, style: [0, 0, 0], color: "000000" }],
        "好快，就到中午了\n",
      ],
    });
    expect(item.value.from_uin).not.toBe(ALICE);
    for (const k of ["reply_ip", "msg_id", "msg_id2", "time"]) expect(typeof item.value[k]).toBe("number");
    // Same msg_id again (a genuine retry: same content): acknowledged, not delivered twice.
    // (Issue 12 item 1: the same msg_id with other content is not a retry and is delivered.)
    const again = await a.r.req("POST", "/channel/send_buddy_msg2", {
      referer: REFERER.d,
      form: {
        r: JSON.stringify({
          to: bobUin,
          face: 0,
          content:
            '["好快，就到中午了\\n",["font",{"name":"宋体","size":"10","style":[0,0,0],"color":"000000"}]]',
          msg_id: 85970004,
          clientid: a.clientid,
          psessionid: a.psessionid,
        }),
      },
    });
    expect(again.json.retcode).toBe(0);
    expect(
      (await b.r.req("POST", "/channel/poll2", { referer: REFERER.d, form: pollForm })).json.retcode,
    ).toBe(102);
  });

  it("channel retcodes: 100006 wrong Referer / bad r, 103 unknown psessionid, 122 wrong clientid, 100001 unknown target", async () => {
    const a = await rawLogin(ALICE, "1234567890", "555");
    const pr = (r: unknown) => ({ r: JSON.stringify(r) });
    const poll = { clientid: a.clientid, psessionid: a.psessionid, key: 0, ids: [] };
    expect((await a.r.req("POST", "/channel/poll2", { form: pr(poll) })).json.retcode).toBe(100006);
    expect(
      (await a.r.req("POST", "/channel/poll2", { referer: REFERER.d, form: { r: "[" } })).json.retcode,
    ).toBe(100006);
    expect(
      (
        await a.r.req("POST", "/channel/poll2", {
          referer: REFERER.d,
          form: pr({ ...poll, psessionid: "ffff" }),
        })
      ).json.retcode,
    ).toBe(103);
    expect(
      (
        await a.r.req("POST", "/channel/poll2", {
          referer: REFERER.d,
          form: pr({ ...poll, clientid: "999" }),
        })
      ).json.retcode,
    ).toBe(122);
    const send = {
      to: 1,
      face: 0,
      content: '["x"]',
      msg_id: 1,
      clientid: a.clientid,
      psessionid: a.psessionid,
    };
    expect(
      (await a.r.req("POST", "/channel/send_buddy_msg2", { referer: REFERER.d, form: pr(send) })).json
        .retcode,
    ).toBe(100001);
    expect(
      (
        await a.r.req("POST", "/channel/send_qun_msg2", {
          referer: REFERER.d,
          form: pr({ ...send, to: undefined, group_uin: 5 }),
        })
      ).json.retcode,
    ).toBe(100001);
    expect(
      (
        await a.r.req("POST", "/channel/send_discu_msg2", {
          referer: REFERER.d,
          form: pr({ ...send, to: undefined, did: "2006892653" }),
        })
      ).json.retcode,
    ).toBe(100001);
    expect(
      (
        await a.r.req("POST", "/channel/send_buddy_msg2", {
          referer: REFERER.d,
          form: pr({ ...send, content: "not json" }),
        })
      ).json.retcode,
    ).toBe(100006);
  });

  it("change_status2 (seed URL), online buddies and the status push; get_msg_tip; logout2", async () => {
    const a = await rawLogin(ALICE, "1234567890", "1001");
    const b = await rawLogin(BOB, "pw-bob", "1002");
    const ch = await b.r.req(
      "GET",
      `/channel/change_status2?newstatus=hidden&clientid=${b.clientid}&psessionid=${b.psessionid}&t=1348482231366`,
      { cookies: false },
    );
    expect(ch.json).toEqual({ retcode: 0, result: "ok" });
    expect(
      (
        await b.r.req(
          "GET",
          `/channel/change_status2?newstatus=sleepy&clientid=${b.clientid}&psessionid=${b.psessionid}&t=1`,
        )
      ).json.retcode,
    ).toBe(100006);
    const form = { r: JSON.stringify({ clientid: a.clientid, psessionid: a.psessionid, key: 0, ids: [] }) };
    const items: { poll_type: string; value: { status?: string } }[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await a.r.req("POST", "/channel/poll2", { referer: REFERER.d, form });
      if (p.json.retcode !== 0) break;
      items.push(...p.json.result);
    }
    expect(
      items
        .filter((x) => x.poll_type === "buddies_status_change")
        .map((x) => x.value.status)
        .at(-1),
    ).toBe("offline");
    const online = await a.r.req(
      "GET",
      `/channel/get_online_buddies2?vfwebqq=${a.vfwebqq}&clientid=${a.clientid}&psessionid=${a.psessionid}&t=1`,
    );
    expect(online.json).toEqual({ retcode: 0, result: [] });
    expect(
      (await a.r.req("GET", "/web2/get_msg_tip?uin=&tp=1&id=0&retype=1&rc=1&lv=3&t=1348458711542")).json
        .retcode,
    ).toBe(0);
    expect(
      (await a.r.req("GET", `/channel/logout2?ids=&clientid=${a.clientid}&psessionid=${a.psessionid}&t=1`))
        .json.retcode,
    ).toBe(0);
    expect((await a.r.req("POST", "/channel/poll2", { referer: REFERER.d, form })).json.retcode).toBe(103);
  });

  it("kick: a second login queues kick_message for the first session, then 121", async () => {
    const first = await rawLogin(CAROL, "pw-carol", "7001");
    await rawLogin(CAROL, "pw-carol", "7002");
    const form = {
      r: JSON.stringify({ clientid: first.clientid, psessionid: first.psessionid, key: 0, ids: [] }),
    };
    const k = await first.r.req("POST", "/channel/poll2", { referer: REFERER.d, form });
    expect(k.json.result.map((x: { poll_type: string }) => x.poll_type)).toContain("kick_message");
    const kick = k.json.result.find((x: { poll_type: string }) => x.poll_type === "kick_message");
    expect(kick.value).toMatchObject({ msg_type: 48, from_uin: 10000, show_reason: 1, to_uin: CAROL });
    expect((await first.r.req("POST", "/channel/poll2", { referer: REFERER.d, form })).json).toEqual({
      retcode: 121,
      t: "0",
    });
  });

  it("get_gface_sig2, cface_upload (callback HTML) and get_c2cmsg_sig2", async () => {
    const a = await rawLogin(ALICE, "1234567890", "72295937");
    const sig = await a.r.req(
      "GET",
      `/channel/get_gface_sig2?clientid=${a.clientid}&psessionid=${a.psessionid}&t=1395248986808`,
    );
    expect(sig.json.retcode).toBe(0);
    expect(Object.keys(sig.json.result).sort()).toEqual(["gface_key", "gface_sig", "reply"]);
    const fd = new FormData();
    fd.set("from", "control");
    fd.set("f", "EQQ.Model.ChatMsg.callbackSendPicGroup");
    fd.set("vfwebqq", a.vfwebqq);
    fd.set("custom_face", new Blob([new Uint8Array([1, 2, 3])]), "a.jPg");
    fd.set("fileid", "1");
    const res = await fetch(`${h.base}/cgi-bin/cface_upload?time=1395248690537`, {
      method: "POST",
      body: fd,
      headers: { cookie: `ptwebqq=${a.ptwebqq}` },
    });
    const html = await res.text();
    expect(html).toMatch(
      /parent\.EQQ\.Model\.ChatMsg\.callbackSendPicGroup\(\{"ret":0,"msg":"[0-9A-F]{32}\.jPg"\}\)/,
    );
    const gid = (
      await a.r.req("POST", "/api/get_group_name_list_mask2", {
        referer: REFERER.s,
        form: { r: JSON.stringify({ vfwebqq: a.vfwebqq, hash: friendsHash(a.uin, a.ptwebqq) }) },
      })
    ).json.result.gnamelist[0].gid;
    const info = await a.r.req(
      "GET",
      `/api/get_group_info_ext2?gcode=${world.group.code}&vfwebqq=${a.vfwebqq}&t=1`,
    );
    const carol = info.json.result.minfo.find((m: { nick: string }) => m.nick === "qqbot").uin;
    const c2c = await a.r.req(
      "GET",
      `/channel/get_c2cmsg_sig2?id=${gid}&to_uin=${carol}&service_type=0&clientid=${a.clientid}&psessionid=${a.psessionid}&t=1`,
    );
    expect(c2c.json.result).toMatchObject({ type: 0, value: expect.any(String) });
  });
});

describe("discussions and pictures (seed 004 bodies)", () => {
  it("send_discu_msg2 with a string did and a cface + key/sig arrives as discu_message from_uin 10000", async () => {
    const a = await rawLogin(ALICE, "1234567890", "30833194");
    const c = await rawLogin(CAROL, "pw-carol", "84369220");
    const sig = (
      await a.r.req("GET", `/channel/get_gface_sig2?clientid=${a.clientid}&psessionid=${a.psessionid}&t=1`)
    ).json.result;
    const fd = new FormData();
    fd.set("from", "control");
    fd.set("f", "EQQ.Model.ChatMsg.callbackSendPicGroup");
    fd.set("vfwebqq", a.vfwebqq);
    fd.set("custom_face", new Blob([new Uint8Array([9, 9, 9])]), "p.jPg");
    fd.set("fileid", "1");
    const up = await fetch(`${h.base}/cgi-bin/cface_upload?time=1`, {
      method: "POST",
      body: fd,
      headers: { cookie: `ptwebqq=${a.ptwebqq}` },
    });
    const name = /"msg":"([^"]+)"/.exec(await up.text())![1]!;
    const font = ["font", { name: "宋体", size: "10", style: [0, 0, 0], color: "000000" }];
    const r = {
      did: String(world.discu.did),
      key: sig.gface_key,
      sig: sig.gface_sig,
      content: JSON.stringify([["cface", "group", name], "\n", font]),
      msg_id: 78330002,
      clientid: a.clientid,
      psessionid: a.psessionid,
    };
    expect(
      (
        await a.r.req("POST", "/channel/send_discu_msg2", {
          referer: REFERER.d,
          form: { clientid: a.clientid, psessionid: a.psessionid, r: JSON.stringify(r) },
        })
      ).json,
    ).toEqual({ retcode: 0, result: "ok" });
    // Without the key/sig of get_gface_sig2 a picture is refused.
    const noSig = { ...r, key: undefined, sig: undefined, msg_id: 78330003 };
    expect(
      (
        await a.r.req("POST", "/channel/send_discu_msg2", {
          referer: REFERER.d,
          form: { r: JSON.stringify(noSig) },
        })
      ).json.retcode,
    ).toBe(100006);
    const form = { r: JSON.stringify({ clientid: c.clientid, psessionid: c.psessionid, key: 0, ids: [] }) };
    let item: { poll_type: string; value: Record<string, unknown> } | undefined;
    for (let i = 0; i < 4 && !item; i++) {
      const p = await c.r.req("POST", "/channel/poll2", { referer: REFERER.d, form });
      item = p.json.result?.find((x: { poll_type: string }) => x.poll_type === "discu_message");
    }
    expect(item?.value).toMatchObject({
      from_uin: 10000,
      msg_type: 42,
      did: world.discu.did,
      to_uin: CAROL,
      info_seq: 2,
    });
    expect(item?.value.content).toEqual([
      ["font", { name: "宋体", size: 10, style: [0, 0, 0], color: "000000" }],
      ["cface", expect.objectContaining({ name, key: sig.gface_key })],
      "\n",
    ]);
  });

  it("116: the poll answers the new ptwebqq in p, and login2 accepts it", async () => {
    const s = await rawLogin(BOB, "pw-bob", "116116");
    h.emu.admin.failPolls({ retcode: 116, qq: BOB });
    const form = { r: JSON.stringify({ clientid: s.clientid, psessionid: s.psessionid, key: 0, ids: [] }) };
    const p = await s.r.req("POST", "/channel/poll2", { referer: REFERER.d, form });
    expect(p.json).toEqual({ retcode: 116, p: expect.stringMatching(/^[0-9a-f]{64}$/) });
    s.r.cookies.set("ptwebqq", p.json.p);
    const l2 = await s.r.req("POST", "/channel/login2", {
      referer: REFERER.login2,
      form: {
        r: JSON.stringify({
          status: "online",
          ptwebqq: p.json.p,
          passwd_sig: "",
          clientid: s.clientid,
          psessionid: null,
        }),
      },
    });
    expect(l2.json.retcode).toBe(0);
  });
});

describe("bad input", () => {
  it("unknown paths, broken bodies, wrong types and huge bodies get protocol errors; the server keeps serving", async () => {
    const r = new Raw(h.base);
    expect((await r.req("GET", "/nope")).status).toBe(404);
    expect((await r.req("GET", "/nope")).json.retcode).toBe(100006);
    const huge = "r=" + "x".repeat(3 * 1024 * 1024);
    const big = await fetch(`${h.base}/channel/poll2`, {
      method: "POST",
      body: huge,
      headers: { "content-type": "application/x-www-form-urlencoded", referer: REFERER.d },
    });
    expect(((await big.json()) as { retcode: number }).retcode).toBe(100006);
    for (const body of ["r=null", "r=%7B%7D", "r=%5B1%5D", "r=%7B%22clientid%22%3A%5B%5D%7D", "%%%", ""]) {
      const res = await fetch(`${h.base}/channel/poll2`, {
        method: "POST",
        body,
        headers: { "content-type": "application/x-www-form-urlencoded", referer: REFERER.d },
      });
      expect(((await res.json()) as { retcode: number }).retcode).toBe(100006);
    }
    const weird = await fetch(`${h.base}/channel/send_buddy_msg2`, {
      method: "POST",
      body: "r=1",
      headers: { "content-type": "utf-8", referer: REFERER.d },
    });
    expect(((await weird.json()) as { retcode: number }).retcode).toBe(100006);
    const mp = await fetch(`${h.base}/cgi-bin/cface_upload`, {
      method: "POST",
      body: "garbage",
      headers: { "content-type": "multipart/form-data; boundary=x" },
    });
    expect(((await mp.json()) as { retcode: number }).retcode).toBe(100006);
    expect((await r.req("GET", "/check?uin=abc")).text).toContain("ptui_checkVC");
    expect((await r.req("GET", "/check_sig?ptsig=x&uin=1")).status).toBe(403);
    expect(
      (await r.req("GET", `/api/get_friend_uin2?tuin=abc&type=1&vfwebqq=x`, { cookies: false })).json.retcode,
    ).toBe(100101);
    expect((await r.req("GET", "/web2/get_msg_tip")).json.retcode).toBe(0);
  });
});
