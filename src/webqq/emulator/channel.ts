/** d.web2 channel endpoints: poll2, sends, c2c signature, status, logout (routes from the endpoint table). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import type { EndpointName } from "../protocol.js";
import {
  decodeContent,
  type PollItem,
  PollR,
  Retcode,
  SendBuddyR,
  SendDiscuR,
  SendQunR,
  SendSessR,
  STATUSES,
} from "../protocol.js";
import { registerContactRoutes } from "./contacts.js";
import { type Emu, fail, randomHex, sha256 } from "./context.js";
import {
  areFriends,
  broadcastStatus,
  type ChannelState,
  discuMembers,
  groupMembers,
  type Outgoing,
  ok,
  remember,
  type SendFields,
  storeAndFanOut,
} from "./deliver.js";
import type { Session } from "./hub.js";
import { capped, type LoginState } from "./login.js";
import { fields, intField, rBody, requireReferer, sessionOf } from "./request.js";
import { route } from "./routes.js";
import { discussionByDid, groupByGid } from "./store/directory.js";
import { fileExists } from "./store/messages.js";

export function registerChannelRoutes(
  app: FastifyInstance,
  emu: Emu,
  login: LoginState,
  ch: ChannelState,
): void {
  const d = (name: EndpointName, fn: (req: FastifyRequest, reply: FastifyReply) => unknown) =>
    route(app, name, fn);

  // ---- poll2 -------------------------------------------------------------------------------
  d("poll2", async (req, reply) => {
    requireReferer(req);
    const f = fields(req);
    const r = rBody(f, PollR);
    if (f.psessionid !== undefined && f.psessionid !== "null" && f.psessionid !== r.psessionid)
      fail(Retcode.BAD_REQUEST);
    const s = sessionOf(emu, r.psessionid, r.clientid, true);
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
        capped(login.ptwebqqs, s.ptHash, s.qq);
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
    name: "sendBuddy" | "sendQun" | "sendDiscu" | "sendSess",
    schema: z.ZodType<T>,
    resolve: (s: Session, r: T) => Omit<Outgoing, "items" | "font" | "from">,
  ) =>
    d(name, async (req, reply) => {
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
          if (!fileExists(emu.db, it.name, "cface")) fail(Retcode.BAD_ID);
          it.key = pair.key;
          it.server = "127.0.0.1:8000";
          it.fileId = Math.floor(Math.random() * 1e9);
        } else if (it.type === "offpic") {
          if (!fileExists(emu.db, it.filePath, "offpic")) fail(Retcode.BAD_ID);
        }
      }
      // A buddy / sess message to a session whose poll queue is full is refused (1202, not
      // stored): the sender may retry later, and nothing answered ok is dropped.
      if (
        (target.kind === "buddy" || target.kind === "sess") &&
        emu.hub.active(target.target).some((x) => emu.hub.full(x))
      )
        fail(Retcode.SEND_FAILED);
      const m: Outgoing = { ...target, from: s.qq, items: decoded.items, font: decoded.font };
      const sf = takeSendFault(emu, s.qq);
      if (sf && !sf.delivered) return reply.send({ retcode: Retcode.SEND_FAILED, errmsg: "" });
      storeAndFanOut(emu, m, s.clientid, r.msg_id, r.content);
      if (sf) return reply.send({ retcode: Retcode.SEND_FAILED, errmsg: "" });
      return reply.send(ok);
    });

  sendRoute("sendBuddy", SendBuddyR, (s, r) => {
    const qq = emu.qqOfUin(s.qq, r.to);
    if (qq === undefined || !areFriends(emu, s.qq, qq)) fail(Retcode.BAD_ID);
    return { kind: "buddy", target: qq };
  });
  sendRoute("sendQun", SendQunR, (s, r) => {
    const g = groupByGid(emu.db, r.group_uin);
    if (!g || !groupMembers(emu, g.gid).some((m) => m.qq === s.qq)) fail(Retcode.BAD_ID);
    return { kind: "group", target: g.gid };
  });
  sendRoute("sendDiscu", SendDiscuR, (s, r) => {
    const dd = discussionByDid(emu.db, r.did);
    if (!dd || !discuMembers(emu, dd.did).includes(s.qq)) fail(Retcode.BAD_ID);
    return { kind: "discu", target: dd.did };
  });
  sendRoute("sendSess", SendSessR, (s, r) => {
    const sig = ch.c2c.get(r.group_sig);
    const qq = emu.qqOfUin(s.qq, r.to);
    if (!sig || sig.from !== s.qq || qq === undefined || sig.to !== qq) fail(Retcode.BAD_ID);
    return { kind: "sess", target: qq, viaGid: sig.gid };
  });

  d("c2cMsgSig", async (req) => {
    const f = fields(req);
    const s = sessionOf(emu, f.psessionid, f.clientid);
    const gid = intField(f, "id");
    const to = emu.qqOfUin(s.qq, intField(f, "to_uin"));
    const g = groupByGid(emu.db, gid);
    const members = g ? groupMembers(emu, g.gid).map((m) => m.qq) : [];
    if (!g || to === undefined || !members.includes(s.qq) || !members.includes(to)) fail(Retcode.BAD_ID);
    // One signature per sender + peer + group (not one more per call), and a bounded table.
    const pair = `${s.qq}:${to}:${gid}`;
    let value = ch.c2cByPair.get(pair);
    if (value === undefined) {
      value = randomHex(32);
      remember(ch.c2c, value, { from: s.qq, to, gid }, (old) =>
        ch.c2cByPair.delete(`${old.from}:${old.to}:${old.gid}`),
      );
      ch.c2cByPair.set(pair, value);
    }
    return {
      retcode: 0,
      result: { type: 0, value, flags: { text: 1, pic: 1, file: 1, audio: 1, video: 1 } },
    };
  });

  // ---- status, heartbeat, logout ---------------------------------------------------------------
  d("changeStatus", async (req) => {
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

  d("msgTip", async () => ({ retcode: 0, result: [] }));

  d("logout", async (req) => {
    const f = fields(req);
    const s = sessionOf(emu, f.psessionid, f.clientid, true);
    emu.hub.remove(s);
    if (emu.hub.active(s.qq).length === 0) broadcastStatus(emu, s.qq, "offline");
    return ok;
  });

  registerContactRoutes(app, emu, ch);
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
