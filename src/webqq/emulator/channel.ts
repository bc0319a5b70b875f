/** d.web2 / s.web2 endpoints: poll2, sends, contacts, info, status, pictures, logout. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import {
  type ContentItem,
  DEFAULT_FONT,
  decodeContent,
  type Font,
  friendsHash,
  HashR,
  MSG_TYPE,
  type PollItem,
  PollR,
  RecentR,
  Retcode,
  SendBuddyR,
  SendDiscuR,
  SendQunR,
  SendSessR,
  STATUSES,
} from "../protocol.js";
import { type DiscuRow, type Emu, fail, type GroupRow, randomHex, sha256 } from "./context.js";
import type { Session } from "./hub.js";
import type { LoginState } from "./login.js";
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

const REPLY_IP = 176498310;
const ok = { retcode: 0, result: "ok" };

export interface ChannelState {
  /** gface key/sig per session (sha256(psessionid) → pair). */
  gface: Map<string, { key: string; sig: string }>;
  /** c2c sig → {qq of sender, target qq, gid}. */
  c2c: Map<string, { from: number; to: number; gid: number }>;
}

export function newChannelState(): ChannelState {
  return { gface: new Map(), c2c: new Map() };
}

interface SendFields {
  content: string;
  msg_id: number;
  clientid: string;
  psessionid: string;
  key?: string | undefined;
  sig?: string | undefined;
}

type Kind = "buddy" | "group" | "discu" | "sess";

function sizeNum(f: Font): Font {
  const n = Number(f.size);
  return { ...f, size: Number.isFinite(n) ? n : 10 };
}

/** Content as the receiver's poll shows it: font first, pictures as objects. */
export function receivedContent(items: readonly ContentItem[], font: Font | undefined): unknown[] {
  const out: unknown[] = [["font", sizeNum(font ?? DEFAULT_FONT)]];
  for (const it of items) {
    if (it.type === "text") out.push(it.text);
    else if (it.type === "face") out.push(["face", it.id]);
    else if (it.type === "cface")
      out.push([
        "cface",
        { name: it.name, file_id: it.fileId ?? 0, key: it.key ?? "", server: it.server ?? "" },
      ]);
    else out.push(["offpic", { success: 1, file_path: it.filePath }]);
  }
  return out;
}

export function groupOf(emu: Emu, id: number): GroupRow | undefined {
  return emu.q("SELECT * FROM webqq_groups WHERE gid = ? OR code = ? OR account = ?").get(id, id, id) as
    | GroupRow
    | undefined;
}

export function groupMembers(emu: Emu, gid: number): { qq: number; mflag: number }[] {
  return emu.q("SELECT qq, mflag FROM webqq_group_members WHERE gid = ? ORDER BY qq").all(gid) as {
    qq: number;
    mflag: number;
  }[];
}

export function discuMembers(emu: Emu, did: number): number[] {
  return (
    emu.q("SELECT qq FROM webqq_discu_members WHERE did = ? ORDER BY qq").all(did) as { qq: number }[]
  ).map((r) => r.qq);
}

export function areFriends(emu: Emu, a: number, b: number): boolean {
  return emu.q("SELECT 1 FROM webqq_friends WHERE qq = ? AND friend = ?").get(a, b) !== undefined;
}

export interface Outgoing {
  kind: Kind;
  from: number;
  /** Friend QQ, group gid, discussion did, or (sess) the stranger's QQ. */
  target: number;
  items: ContentItem[];
  font: Font | undefined;
  /** sess: the group through which the stranger was reached. */
  viaGid?: number;
}

/** Fans a stored message out to the recipients' sessions (not to the sender's own). */
export function fanOut(emu: Emu, m: Outgoing): void {
  const time = Math.floor(emu.now() / 1000);
  const content = receivedContent(m.items, m.font);
  const base = (s: Session, type: keyof typeof MSG_TYPE) => ({
    msg_id: emu.nextMsgId(),
    msg_id2: 100000 + Math.floor(Math.random() * 900000),
    to_uin: s.qq,
    msg_type: MSG_TYPE[type],
    reply_ip: REPLY_IP,
    time,
  });
  if (m.kind === "buddy") {
    emu.deliver(m.target, (s) => ({
      poll_type: "message",
      value: { ...base(s, "message"), from_uin: emu.uinFor(s.qq, m.from), content },
    }));
  } else if (m.kind === "sess") {
    emu.deliver(m.target, (s) => ({
      poll_type: "sess_message",
      value: {
        ...base(s, "sess_message"),
        from_uin: emu.uinFor(s.qq, m.from),
        id: m.viaGid ?? 0,
        ruin: m.from,
        service_type: 0,
        flags: { text: 1, pic: 1, file: 1, audio: 1, video: 1 },
        content,
      },
    }));
  } else if (m.kind === "group") {
    const g = emu.q("SELECT * FROM webqq_groups WHERE gid = ?").get(m.target) as GroupRow;
    const seq = emu.nextMsgId();
    for (const mem of groupMembers(emu, g.gid)) {
      if (mem.qq === m.from) continue;
      emu.deliver(mem.qq, (s) => ({
        poll_type: "group_message",
        value: {
          ...base(s, "group_message"),
          from_uin: g.gid,
          group_code: g.code,
          send_uin: emu.uinFor(s.qq, m.from),
          info_seq: g.account,
          seq,
          content,
        },
      }));
    }
  } else {
    const seq = emu.nextMsgId();
    for (const qq of discuMembers(emu, m.target)) {
      if (qq === m.from) continue;
      emu.deliver(qq, (s) => ({
        poll_type: "discu_message",
        value: {
          ...base(s, "discu_message"),
          from_uin: 10000,
          did: m.target,
          send_uin: emu.uinFor(s.qq, m.from),
          info_seq: 2,
          seq,
          content,
        },
      }));
    }
  }
}

/** Stores a message (idempotent on sender + clientid + msg_id) and fans it out once. */
export function storeAndFanOut(emu: Emu, m: Outgoing, clientid: string, clientMsgId: number): boolean {
  const stored = emu.db.transaction(() => {
    const r = emu
      .q(
        `INSERT OR IGNORE INTO webqq_messages (kind, from_qq, target, clientid, client_msg_id, content, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(m.kind, m.from, m.target, clientid, clientMsgId, JSON.stringify(m.items), emu.now());
    return r.changes === 1;
  })();
  if (stored) fanOut(emu, m);
  return stored;
}

function userInfo(emu: Emu, viewer: number, qq: number) {
  const a = emu.account(qq);
  if (!a) fail(Retcode.BAD_ID);
  return {
    face: a.face,
    birthday: { month: 1, year: 1990, day: 1 },
    occupation: "",
    phone: "",
    allow: 1,
    college: "",
    uin: emu.uinFor(viewer, qq),
    constel: 0,
    blood: 0,
    homepage: "",
    stat: emu.hub.active(qq).length > 0 ? 10 : 20,
    vip_info: 0,
    country: "中国",
    city: "",
    personal: "",
    nick: a.nick,
    shengxiao: 0,
    email: "",
    province: "",
    gender: a.gender,
    mobile: "",
  };
}

function statusOf(emu: Emu, qq: number): string | undefined {
  const s = emu.hub.active(qq);
  if (s.length === 0) return undefined;
  const st = s[s.length - 1]?.status ?? "online";
  return st === "hidden" || st === "offline" ? undefined : st;
}

export function friendQqs(emu: Emu, qq: number): number[] {
  return (
    emu.q("SELECT friend FROM webqq_friends WHERE qq = ? ORDER BY friend").all(qq) as { friend: number }[]
  ).map((r) => r.friend);
}

/** Tells the friends of `qq` its new visible status. */
export function broadcastStatus(emu: Emu, qq: number, status: string): void {
  const shown = status === "hidden" ? "offline" : status;
  for (const f of friendQqs(emu, qq)) {
    emu.deliver(f, (s) => ({
      poll_type: "buddies_status_change",
      value: { uin: emu.uinFor(s.qq, qq), status: shown, client_type: 1 },
    }));
  }
}

export function registerChannelRoutes(
  app: FastifyInstance,
  emu: Emu,
  login: LoginState,
  ch: ChannelState,
): void {
  const d = (
    method: "GET" | "POST",
    url: string,
    fn: (req: FastifyRequest, reply: FastifyReply) => unknown,
  ) => app.route({ method, url, handler: async (req, reply) => fn(req, reply) });

  // ---- poll2 -------------------------------------------------------------------------------
  d("POST", "/channel/poll2", async (req, reply) => {
    requireReferer(req);
    const f = fields(req);
    const r = rBody(f, PollR);
    if (f.psessionid !== undefined && f.psessionid !== "null" && f.psessionid !== r.psessionid)
      fail(Retcode.BAD_REQUEST);
    const s = sessionOf(emu, r.psessionid, r.clientid);
    const fault = takePollFault(emu, s.qq);
    if (fault?.kind === "drop") {
      reply.hijack();
      req.raw.socket.destroy();
      return;
    }
    if (fault?.kind === "retcode" && fault.retcode !== undefined) {
      if (fault.retcode === Retcode.NEW_PTWEBQQ) {
        const p = randomHex(32);
        s.ptHash = sha256(p);
        emu.sessions.setPtwebqq(s.psid, s.ptHash);
        login.ptwebqqs.set(s.ptHash, s.qq);
        return reply.send({ retcode: 116, p });
      }
      if (fault.retcode === Retcode.KICKED) return reply.send({ retcode: 121, t: "0" });
      return reply.send({ retcode: fault.retcode, errmsg: "" });
    }
    const answer = await emu.hub.poll(s, emu.pollTimeoutMs, (cancel) => {
      reply.raw.on("close", () => {
        if (!reply.raw.writableFinished) cancel();
      });
    });
    if (fault?.kind === "duplicate" && answer.retcode === 0) s.redeliver = answer.result as PollItem[];
    if (answer.retcode === 121) emu.hub.remove(s);
    if (reply.raw.destroyed) {
      // The client hung up as the items were taken: keep them for its next poll.
      if (answer.retcode === 0) emu.hub.requeue(s, answer);
      reply.hijack();
      return;
    }
    if (emu.closing) reply.header("connection", "close");
    return reply.send(answer);
  });

  // ---- sends -------------------------------------------------------------------------------
  const sendRoute = <T extends SendFields>(
    url: string,
    schema: z.ZodType<T>,
    resolve: (s: Session, r: T) => Omit<Outgoing, "items" | "font" | "from">,
  ) =>
    d("POST", url, async (req, reply) => {
      requireReferer(req);
      const f = fields(req);
      const r = rBody(f, schema);
      const s = sessionOf(emu, r.psessionid, r.clientid);
      if (s.state !== "active") fail(Retcode.KICKED);
      const decoded = decodeContent(r.content);
      if (!decoded || decoded.items.length === 0) fail(Retcode.BAD_REQUEST);
      const target = resolve(s, r);
      for (const it of decoded.items) {
        if (it.type === "cface") {
          const pair = ch.gface.get(s.psid);
          if (target.kind === "buddy" || target.kind === "sess") fail(Retcode.BAD_REQUEST);
          if (!pair || r.key !== pair.key || r.sig !== pair.sig) fail(Retcode.BAD_REQUEST);
          const row = emu.q("SELECT size FROM webqq_files WHERE name = ? AND kind = 'cface'").get(it.name);
          if (!row) fail(Retcode.BAD_ID);
          it.key = pair.key;
          it.server = "127.0.0.1:8000";
          it.fileId = Math.floor(Math.random() * 1e9);
        } else if (it.type === "offpic") {
          const row = emu
            .q("SELECT size FROM webqq_files WHERE name = ? AND kind = 'offpic'")
            .get(it.filePath);
          if (!row) fail(Retcode.BAD_ID);
        }
      }
      const m: Outgoing = { ...target, from: s.qq, items: decoded.items, font: decoded.font };
      const sf = takeSendFault(emu, s.qq);
      if (sf && !sf.delivered) return reply.send({ retcode: Retcode.SEND_FAILED, errmsg: "" });
      storeAndFanOut(emu, m, s.clientid, r.msg_id);
      if (sf) return reply.send({ retcode: Retcode.SEND_FAILED, errmsg: "" });
      return reply.send(ok);
    });

  sendRoute("/channel/send_buddy_msg2", SendBuddyR, (s, r) => {
    const qq = emu.qqOfUin(s.qq, r.to);
    if (qq === undefined || !areFriends(emu, s.qq, qq)) fail(Retcode.BAD_ID);
    return { kind: "buddy", target: qq };
  });
  sendRoute("/channel/send_qun_msg2", SendQunR, (s, r) => {
    const g = emu.q("SELECT * FROM webqq_groups WHERE gid = ?").get(r.group_uin) as GroupRow | undefined;
    if (!g || !groupMembers(emu, g.gid).some((m) => m.qq === s.qq)) fail(Retcode.BAD_ID);
    return { kind: "group", target: g.gid };
  });
  sendRoute("/channel/send_discu_msg2", SendDiscuR, (s, r) => {
    const dd = emu.q("SELECT * FROM webqq_discus WHERE did = ?").get(r.did) as DiscuRow | undefined;
    if (!dd || !discuMembers(emu, dd.did).includes(s.qq)) fail(Retcode.BAD_ID);
    return { kind: "discu", target: dd.did };
  });
  sendRoute("/channel/send_sess_msg2", SendSessR, (s, r) => {
    const sig = ch.c2c.get(r.group_sig);
    const qq = emu.qqOfUin(s.qq, r.to);
    if (!sig || sig.from !== s.qq || qq === undefined || sig.to !== qq) fail(Retcode.BAD_ID);
    return { kind: "sess", target: qq, viaGid: sig.gid };
  });

  d("GET", "/channel/get_c2cmsg_sig2", async (req) => {
    const f = fields(req);
    const s = sessionOf(emu, f.psessionid, f.clientid);
    const gid = intField(f, "id");
    const to = emu.qqOfUin(s.qq, intField(f, "to_uin"));
    const g = emu.q("SELECT * FROM webqq_groups WHERE gid = ?").get(gid) as GroupRow | undefined;
    const members = g ? groupMembers(emu, g.gid).map((m) => m.qq) : [];
    if (!g || to === undefined || !members.includes(s.qq) || !members.includes(to)) fail(Retcode.BAD_ID);
    const value = randomHex(32);
    ch.c2c.set(value, { from: s.qq, to, gid });
    return {
      retcode: 0,
      result: { type: 0, value, flags: { text: 1, pic: 1, file: 1, audio: 1, video: 1 } },
    };
  });

  // ---- status, heartbeat, logout ---------------------------------------------------------------
  d("GET", "/channel/change_status2", async (req) => {
    const f = fields(req);
    const s = sessionOf(emu, f.psessionid, f.clientid);
    const ns = f.newstatus ?? "";
    if (!(STATUSES as readonly string[]).includes(ns)) fail(Retcode.BAD_REQUEST);
    if (s.state !== "active") fail(Retcode.KICKED);
    s.status = ns;
    emu.sessions.setStatus(s.psid, ns);
    broadcastStatus(emu, s.qq, ns);
    return ok;
  });

  d("GET", "/web2/get_msg_tip", async () => ({ retcode: 0, result: [] }));

  d("GET", "/channel/logout2", async (req) => {
    const f = fields(req);
    const s = sessionOf(emu, f.psessionid, f.clientid);
    emu.hub.remove(s);
    if (emu.hub.active(s.qq).length === 0) broadcastStatus(emu, s.qq, "offline");
    return ok;
  });

  // ---- contacts (s.web2) ------------------------------------------------------------------------
  const friendsHandler = (legacy: boolean) => async (req: FastifyRequest) => {
    requireReferer(req);
    const f = fields(req);
    const r = rBody(f, HashR);
    const s = apiSession(emu, req, r.vfwebqq);
    if (!legacy && r.hash !== friendsHash(s.qq, ptwebqqCookie(req))) fail(Retcode.BAD_ID);
    const rows = emu
      .q(
        `SELECT f.friend, f.category, f.markname, a.uin, a.nick, a.face FROM webqq_friends f
         JOIN webqq_accounts a ON a.qq = f.friend WHERE f.qq = ? ORDER BY f.friend`,
      )
      .all(s.qq) as {
      friend: number;
      category: number;
      markname: string | null;
      uin: number;
      nick: string;
      face: number;
    }[];
    const cats = emu.q("SELECT idx, name FROM webqq_categories WHERE qq = ? ORDER BY idx").all(s.qq) as {
      idx: number;
      name: string;
    }[];
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
  d("POST", "/api/get_user_friends2", friendsHandler(false));
  d("POST", "/api/get_user_friend2", friendsHandler(true));

  d("POST", "/api/get_group_name_list_mask2", async (req) => {
    requireReferer(req);
    const r = rBody(fields(req), HashR);
    const s = apiSession(emu, req, r.vfwebqq);
    if (r.hash !== undefined && r.hash !== friendsHash(s.qq, ptwebqqCookie(req))) fail(Retcode.BAD_ID);
    const rows = emu
      .q(
        `SELECT g.* FROM webqq_groups g JOIN webqq_group_members m ON m.gid = g.gid WHERE m.qq = ? ORDER BY g.gid`,
      )
      .all(s.qq) as GroupRow[];
    return {
      retcode: 0,
      result: {
        gmasklist: [],
        gnamelist: rows.map((g) => ({ flag: 1090519041, name: g.name, gid: g.gid, code: g.code })),
        gmarklist: [],
      },
    };
  });

  d("GET", "/api/get_group_info_ext2", async (req) => {
    const f = fields(req);
    const s = apiSession(emu, req, f.vfwebqq);
    const code = intField(f, "gcode");
    const g = emu.q("SELECT * FROM webqq_groups WHERE code = ?").get(code) as GroupRow | undefined;
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

  d("GET", "/api/get_discus_list", async (req) => {
    const f = fields(req);
    const s = f.psessionid ? sessionOf(emu, f.psessionid, f.clientid) : apiSession(emu, req, f.vfwebqq);
    const rows = emu
      .q(
        `SELECT d.* FROM webqq_discus d JOIN webqq_discu_members m ON m.did = d.did WHERE m.qq = ? ORDER BY d.did`,
      )
      .all(s.qq) as DiscuRow[];
    return { retcode: 0, result: { dnamelist: rows.map((x) => ({ name: x.name, did: x.did })) } };
  });

  d("GET", "/channel/get_discu_info", async (req) => {
    const f = fields(req);
    const s = sessionOf(emu, f.psessionid, f.clientid);
    if (f.vfwebqq !== undefined) checkVfwebqq(s, f.vfwebqq);
    const did = intField(f, "did");
    const dd = emu.q("SELECT * FROM webqq_discus WHERE did = ?").get(did) as DiscuRow | undefined;
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

  d("GET", "/api/get_friend_uin2", async (req) => {
    const f = fields(req);
    const s = apiSession(emu, req, f.vfwebqq);
    const tuin = intField(f, "tuin");
    const type = f.type ?? "1";
    if (type === "4") {
      const g = emu.q("SELECT * FROM webqq_groups WHERE gid = ? OR code = ?").get(tuin, tuin) as
        | GroupRow
        | undefined;
      if (!g) fail(Retcode.BAD_ID);
      return { retcode: 0, result: { uiuin: "", account: g.account, uin: tuin } };
    }
    if (type !== "1") fail(Retcode.BAD_REQUEST);
    const qq = emu.qqOfUin(s.qq, tuin);
    if (qq === undefined) fail(Retcode.BAD_ID);
    return { retcode: 0, result: { uiuin: "", account: qq, uin: tuin } };
  });

  d("GET", "/api/get_friend_info2", async (req) => {
    const f = fields(req);
    const s = apiSession(emu, req, f.vfwebqq);
    const qq = emu.qqOfUin(s.qq, intField(f, "tuin"));
    if (qq === undefined) fail(Retcode.BAD_ID);
    return { retcode: 0, result: userInfo(emu, s.qq, qq) };
  });

  d("GET", "/api/get_single_long_nick2", async (req) => {
    const f = fields(req);
    const s = apiSession(emu, req, f.vfwebqq);
    const tuin = intField(f, "tuin");
    const qq = emu.qqOfUin(s.qq, tuin);
    const a = qq === undefined ? undefined : emu.account(qq);
    if (!a) fail(Retcode.BAD_ID);
    return { retcode: 0, result: [{ uin: tuin, lnick: a.long_nick }] };
  });

  d("GET", "/api/get_self_info2", async (req) => {
    const f = fields(req);
    const s = f.vfwebqq ? apiSession(emu, req, f.vfwebqq) : sessionByCookie(emu, req);
    const a = emu.account(s.qq);
    return {
      retcode: 0,
      result: { ...userInfo(emu, s.qq, s.qq), account: s.qq, lnick: a?.long_nick ?? "", vfwebqq: s.vfwebqq },
    };
  });

  d("GET", "/channel/get_online_buddies2", async (req) => {
    const f = fields(req);
    const s = sessionOf(emu, f.psessionid, f.clientid);
    const list = friendQqs(emu, s.qq)
      .map((qq) => ({ qq, st: statusOf(emu, qq) }))
      .filter((x) => x.st !== undefined)
      .map((x) => ({ uin: emu.uinFor(s.qq, x.qq), status: x.st as string, client_type: 1 }));
    return { retcode: 0, result: list };
  });

  d("POST", "/channel/get_recent_list2", async (req) => {
    requireReferer(req);
    const r = rBody(fields(req), RecentR);
    const s = sessionOf(emu, r.psessionid, r.clientid);
    checkVfwebqq(s, r.vfwebqq);
    const rows = emu
      .q(
        `SELECT kind, target, from_qq, MAX(id) AS last FROM webqq_messages
         WHERE from_qq = ? OR (kind IN ('buddy','sess') AND target = ?)
         GROUP BY kind, CASE WHEN from_qq = ? THEN target ELSE from_qq END ORDER BY last DESC LIMIT 50`,
      )
      .all(s.qq, s.qq, s.qq) as { kind: string; target: number; from_qq: number }[];
    const result = rows.map((x) => {
      if (x.kind === "group") return { uin: x.target, type: 1 };
      if (x.kind === "discu") return { uin: x.target, type: 2 };
      const other = x.from_qq === s.qq ? x.target : x.from_qq;
      return { uin: emu.uinFor(s.qq, other), type: 0 };
    });
    return { retcode: 0, result };
  });

  // ---- pictures ---------------------------------------------------------------------------------
  d("GET", "/channel/get_gface_sig2", async (req) => {
    const f = fields(req);
    const s = sessionOf(emu, f.psessionid, f.clientid);
    const key = s.psid;
    let pair = ch.gface.get(key);
    if (!pair) {
      pair = { key: randomHex(8), sig: randomHex(48) };
      ch.gface.set(key, pair);
    }
    return { retcode: 0, result: { reply: 0, gface_key: pair.key, gface_sig: pair.sig } };
  });

  d("GET", "/channel/get_offpic2", async (req, reply) => {
    const f = fields(req);
    sessionOf(emu, f.psessionid, f.clientid);
    const row = emu
      .q("SELECT data FROM webqq_files WHERE name = ? AND kind = 'offpic'")
      .get(f.file_path ?? "") as { data: Buffer } | undefined;
    if (!row) fail(Retcode.BAD_ID);
    return reply.type("image/jpeg").send(row.data);
  });

  d("GET", "/cgi-bin/get_group_pic", async (req, reply) => {
    const f = fields(req);
    apiSession(emu, req, f.vfwebqq);
    const row = emu.q("SELECT data FROM webqq_files WHERE name = ? AND kind = 'cface'").get(f.pic ?? "") as
      | { data: Buffer }
      | undefined;
    if (!row) fail(Retcode.BAD_ID);
    return reply.type("image/jpeg").send(row.data);
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

function pick<T extends { remaining: number; probability?: number; qq?: number }>(
  list: T[],
  qq: number,
): T | undefined {
  for (let i = 0; i < list.length; i++) {
    const f = list[i] as T;
    if (f.qq !== undefined && f.qq !== qq) continue;
    if (f.probability !== undefined && Math.random() >= f.probability) continue;
    f.remaining -= 1;
    if (f.remaining <= 0) list.splice(i, 1);
    return f;
  }
  return undefined;
}

export function takePollFault(emu: Emu, qq: number) {
  return pick(emu.pollFaults, qq);
}

export function takeSendFault(emu: Emu, qq: number) {
  return pick(emu.sendFaults, qq);
}
