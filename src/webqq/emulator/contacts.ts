/** s.web2 endpoints and d.web2 info / picture endpoints: contacts, groups, discussions, profiles. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { EndpointName } from "../protocol.js";
import { friendsHash, HashR, RecentR, Retcode } from "../protocol.js";
import { type Emu, fail, randomHex, sha256 } from "./context.js";
import {
  type ChannelState,
  discuMembers,
  friendQqs,
  groupMembers,
  remember,
  statusOf,
  userInfo,
} from "./deliver.js";
import type { Session } from "./hub.js";
import { sendPicture } from "./media.js";
import {
  apiSession,
  checkVfwebqq,
  cookies,
  fields,
  intField,
  rBody,
  requireReferer,
  sessionOf,
} from "./request.js";
import { route } from "./routes.js";
import * as store from "./store/directory.js";
import { fileData, recentChats } from "./store/messages.js";

export function registerContactRoutes(app: FastifyInstance, emu: Emu, ch: ChannelState): void {
  const d = (name: EndpointName, fn: (req: FastifyRequest, reply: FastifyReply) => unknown) =>
    route(app, name, fn);

  // ---- contacts (s.web2) ------------------------------------------------------------------------
  const friendsHandler = (legacy: boolean) => async (req: FastifyRequest) => {
    requireReferer(req);
    const f = fields(req);
    const r = rBody(f, HashR);
    const s = apiSession(emu, req, r.vfwebqq);
    if (!legacy && r.hash !== friendsHash(s.qq, ptwebqqCookie(req))) fail(Retcode.BAD_ID);
    const rows = store.friendsOf(emu.db, s.qq);
    const cats = store.categoriesOf(emu.db, s.qq);
    return {
      retcode: 0,
      result: {
        categories: cats.map((c) => ({ index: c.idx, sort: c.idx, name: c.name })),
        friends: rows.map((x) => ({ flag: x.category * 4, uin: x.uin, categories: x.category })),
        info: rows.map((x) => ({ face: x.face, flag: 25707010, nick: x.nick, uin: x.uin })),
        marknames: rows
          .filter((x) => x.markname)
          .map((x) => ({ uin: x.uin, markname: x.markname as string, type: 0 })),
        vipinfo: rows.map((x) => ({ vip_level: 0, u: x.uin, is_vip: 0 })),
      },
    };
  };
  d("friends", friendsHandler(false));
  d("friendsOld", friendsHandler(true));

  d("groups", async (req) => {
    requireReferer(req);
    const r = rBody(fields(req), HashR);
    const s = apiSession(emu, req, r.vfwebqq);
    if (r.hash !== undefined && r.hash !== friendsHash(s.qq, ptwebqqCookie(req))) fail(Retcode.BAD_ID);
    const rows = store.groupsOf(emu.db, s.qq);
    return {
      retcode: 0,
      result: {
        gmasklist: [],
        gnamelist: rows.map((g) => ({ flag: 1090519041, name: g.name, gid: g.gid, code: g.code })),
        gmarklist: [],
      },
    };
  });

  d("groupInfo", async (req) => {
    const f = fields(req);
    const s = apiSession(emu, req, f.vfwebqq);
    const code = intField(f, "gcode");
    const g = store.groupByCode(emu.db, code);
    const members = g ? groupMembers(emu, g.gid) : [];
    if (!g || !members.some((m) => m.qq === s.qq)) fail(Retcode.BAD_ID);
    const uin = (qq: number) => emu.uinFor(s.qq, qq);
    return {
      retcode: 0,
      result: {
        stats: members
          .filter((m) => statusOf(emu, m.qq))
          .map((m) => ({ client_type: 1, uin: uin(m.qq), stat: 10 })),
        minfo: members.map((m) => {
          const a = emu.account(m.qq);
          return {
            nick: a?.nick ?? "",
            province: "",
            gender: a?.gender ?? "unknown",
            uin: uin(m.qq),
            country: "中国",
            city: "",
          };
        }),
        ginfo: {
          face: 0,
          memo: g.memo,
          class: 10048,
          fingermemo: "",
          code: g.code,
          createtime: Math.floor(g.created_at / 1000),
          flag: 1090519041,
          level: 0,
          name: g.name,
          gid: g.gid,
          owner: uin(g.owner),
          members: members.map((m) => ({ muin: uin(m.qq), mflag: m.mflag })),
          option: 1,
        },
        vipinfo: members.map((m) => ({ vip_level: 0, u: uin(m.qq), is_vip: 0 })),
      },
    };
  });

  d("discusList", async (req) => {
    const f = fields(req);
    const s = f.psessionid ? sessionOf(emu, f.psessionid, f.clientid) : apiSession(emu, req, f.vfwebqq);
    const rows = store.discussionsOf(emu.db, s.qq);
    return { retcode: 0, result: { dnamelist: rows.map((x) => ({ name: x.name, did: x.did })) } };
  });

  d("discuInfo", async (req) => {
    const f = fields(req);
    const s = sessionOf(emu, f.psessionid, f.clientid);
    if (f.vfwebqq !== undefined) checkVfwebqq(s, f.vfwebqq);
    const did = intField(f, "did");
    const dd = store.discussionByDid(emu.db, did);
    const members = dd ? discuMembers(emu, did) : [];
    if (!dd || !members.includes(s.qq)) fail(Retcode.BAD_ID);
    const uin = (qq: number) => emu.uinFor(s.qq, qq);
    return {
      retcode: 0,
      result: {
        info: {
          did,
          discu_owner: uin(dd.owner),
          discu_name: dd.name,
          info_seq: 2,
          mem_list: members.map((qq) => ({ mem_uin: uin(qq), ruin: qq })),
        },
        mem_status: members
          .filter((qq) => statusOf(emu, qq))
          .map((qq) => ({ uin: uin(qq), status: statusOf(emu, qq) ?? "online", client_type: 1 })),
        mem_info: members.map((qq) => ({ uin: uin(qq), nick: emu.account(qq)?.nick ?? String(qq) })),
      },
    };
  });

  d("friendUin", async (req) => {
    const f = fields(req);
    const s = apiSession(emu, req, f.vfwebqq);
    const tuin = intField(f, "tuin");
    const type = f.type ?? "1";
    if (type === "4") {
      const g = store.groupByGidOrCode(emu.db, tuin);
      if (!g) fail(Retcode.BAD_ID);
      return { retcode: 0, result: { uiuin: "", account: g.account, uin: tuin } };
    }
    if (type !== "1") fail(Retcode.BAD_REQUEST);
    const qq = emu.qqOfUin(s.qq, tuin);
    if (qq === undefined) fail(Retcode.BAD_ID);
    return { retcode: 0, result: { uiuin: "", account: qq, uin: tuin } };
  });

  d("friendInfo", async (req) => {
    const f = fields(req);
    const s = apiSession(emu, req, f.vfwebqq);
    const qq = emu.qqOfUin(s.qq, intField(f, "tuin"));
    if (qq === undefined) fail(Retcode.BAD_ID);
    return { retcode: 0, result: userInfo(emu, s.qq, qq) };
  });

  d("longNick", async (req) => {
    const f = fields(req);
    const s = apiSession(emu, req, f.vfwebqq);
    const tuin = intField(f, "tuin");
    const qq = emu.qqOfUin(s.qq, tuin);
    const a = qq === undefined ? undefined : emu.account(qq);
    if (!a) fail(Retcode.BAD_ID);
    return { retcode: 0, result: [{ uin: tuin, lnick: a.long_nick }] };
  });

  d("selfInfo", async (req) => {
    const f = fields(req);
    const s = f.vfwebqq ? apiSession(emu, req, f.vfwebqq) : sessionByCookie(emu, req);
    const a = emu.account(s.qq);
    return {
      retcode: 0,
      result: { ...userInfo(emu, s.qq, s.qq), account: s.qq, lnick: a?.long_nick ?? "", vfwebqq: s.vfwebqq },
    };
  });

  d("onlineBuddies", async (req) => {
    const f = fields(req);
    const s = sessionOf(emu, f.psessionid, f.clientid);
    const list = friendQqs(emu, s.qq)
      .map((qq) => ({ qq, st: statusOf(emu, qq) }))
      .filter((x) => x.st !== undefined)
      .map((x) => ({ uin: emu.uinFor(s.qq, x.qq), status: x.st as string, client_type: 1 }));
    return { retcode: 0, result: list };
  });

  d("recentList", async (req) => {
    requireReferer(req);
    const r = rBody(fields(req), RecentR);
    const s = sessionOf(emu, r.psessionid, r.clientid);
    checkVfwebqq(s, r.vfwebqq);
    const rows = recentChats(emu.db, s.qq);
    const result = rows.map((x) => {
      if (x.kind === "group") return { uin: x.target, type: 1 };
      if (x.kind === "discu") return { uin: x.target, type: 2 };
      const other = x.from_qq === s.qq ? x.target : x.from_qq;
      return { uin: emu.uinFor(s.qq, other), type: 0 };
    });
    return { retcode: 0, result };
  });

  // ---- pictures ---------------------------------------------------------------------------------
  d("gfaceSig", async (req) => {
    const f = fields(req);
    const s = sessionOf(emu, f.psessionid, f.clientid);
    const key = s.psid;
    let pair = ch.gface.get(key);
    if (!pair) {
      pair = { key: randomHex(8), sig: randomHex(48) };
      remember(ch.gface, key, pair);
    }
    return { retcode: 0, result: { reply: 0, gface_key: pair.key, gface_sig: pair.sig } };
  });

  d("offpic", async (req, reply) => {
    const f = fields(req);
    sessionOf(emu, f.psessionid, f.clientid);
    const path = f.file_path ?? "";
    const data = fileData(emu.db, path, "offpic");
    if (!data) fail(Retcode.BAD_ID);
    return sendPicture(reply, data, path);
  });

  d("groupPic", async (req, reply) => {
    const f = fields(req);
    apiSession(emu, req, f.vfwebqq);
    const pic = f.pic ?? "";
    const data = fileData(emu.db, pic, "cface");
    if (!data) fail(Retcode.BAD_ID);
    return sendPicture(reply, data, pic);
  });
}

/** The ptwebqq cookie (apiSession has checked it against the session's hash). */
function ptwebqqCookie(req: FastifyRequest): string {
  return cookies(req).ptwebqq ?? "";
}

/** get_self_info2 without vfwebqq: the ptwebqq cookie names the session. */
function sessionByCookie(emu: Emu, req: FastifyRequest): Session {
  const raw = req.headers.cookie ?? "";
  const m = /(?:^|;\s*)ptwebqq=([^;]+)/.exec(raw);
  if (!m) fail(Retcode.NO_COOKIE);
  const h = sha256(m[1] ?? "");
  for (const s of emu.hub.byPsession.values()) if (s.ptHash === h && s.state === "active") return s;
  fail(Retcode.BAD_COOKIE);
}
