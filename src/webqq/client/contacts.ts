/** Contacts, groups, discussions, profiles, status, keep-alive and logout. */
import type { CallOptions } from "../../core/call.js";
import { friendsHash, REFERER, Retcode, type Status } from "../protocol.js";
import { type Ctx, retcodeError } from "./transport.js";

export async function friends(ctx: Ctx, options: CallOptions = {}) {
  const s = ctx.need();
  const r = { vfwebqq: s.vfwebqq, hash: friendsHash(s.uin, s.ptwebqq) };
  ctx.check("friends", r);
  return ctx.api("friends", {
    method: "POST",
    form: ctx.rForm(r, false),
    referer: REFERER.s,
    ...options,
    idempotent: true,
  });
}

export async function groups(ctx: Ctx, options: CallOptions = {}) {
  const s = ctx.need();
  const r = { vfwebqq: s.vfwebqq, hash: friendsHash(s.uin, s.ptwebqq) };
  ctx.check("groups", r);
  return ctx.api("groups", {
    method: "POST",
    form: ctx.rForm(r, false),
    referer: REFERER.s,
    ...options,
    idempotent: true,
  });
}

export async function groupInfo(ctx: Ctx, code: number, options: CallOptions = {}) {
  const s = ctx.need();
  ctx.check("groupInfo", { gcode: code, vfwebqq: s.vfwebqq });
  return ctx.api("groupInfo", {
    query: { gcode: code, vfwebqq: s.vfwebqq, t: Date.now() },
    referer: REFERER.s,
    ...options,
  });
}

export async function discussions(ctx: Ctx, options: CallOptions = {}) {
  const s = ctx.need();
  ctx.check("discusList", { vfwebqq: s.vfwebqq });
  return ctx.api("discusList", { query: ctx.ids({ vfwebqq: s.vfwebqq }), referer: REFERER.s, ...options });
}

export async function discussionInfo(ctx: Ctx, did: number, options: CallOptions = {}) {
  const s = ctx.need();
  ctx.check("discuInfo", { did, vfwebqq: s.vfwebqq });
  return ctx.api("discuInfo", {
    query: ctx.ids({ did, vfwebqq: s.vfwebqq }),
    referer: REFERER.d,
    ...options,
  });
}

export async function friendUin(ctx: Ctx, tuin: number, type: 1 | 4, options: CallOptions = {}) {
  const s = ctx.need();
  ctx.check("friendUin", { tuin, type, vfwebqq: s.vfwebqq });
  return ctx.api("friendUin", {
    query: { tuin, type, verifysession: "", code: "", vfwebqq: s.vfwebqq, t: Date.now() },
    referer: REFERER.s,
    ...options,
  });
}

export async function friendInfo(ctx: Ctx, tuin: number, options: CallOptions = {}) {
  const s = ctx.need();
  ctx.check("friendInfo", { tuin, vfwebqq: s.vfwebqq });
  return ctx.api("friendInfo", {
    query: ctx.ids({ tuin, vfwebqq: s.vfwebqq }),
    referer: REFERER.s,
    ...options,
  });
}

export async function longNick(ctx: Ctx, tuin: number, options: CallOptions = {}) {
  const s = ctx.need();
  ctx.check("longNick", { tuin, vfwebqq: s.vfwebqq });
  return ctx.api("longNick", {
    query: { tuin, vfwebqq: s.vfwebqq, t: Date.now() },
    referer: REFERER.s,
    ...options,
  });
}

export async function selfInfo(ctx: Ctx, options: CallOptions = {}) {
  const s = ctx.need();
  ctx.check("selfInfo", { vfwebqq: s.vfwebqq });
  return ctx.api("selfInfo", {
    query: { vfwebqq: s.vfwebqq, t: Date.now() },
    referer: REFERER.s,
    ...options,
  });
}

export async function onlineBuddies(ctx: Ctx, options: CallOptions = {}) {
  const s = ctx.need();
  ctx.check("onlineBuddies", { vfwebqq: s.vfwebqq });
  return ctx.api("onlineBuddies", { query: ctx.ids({ vfwebqq: s.vfwebqq }), referer: REFERER.d, ...options });
}

export async function recentList(ctx: Ctx, options: CallOptions = {}) {
  const s = ctx.need();
  const r = { vfwebqq: s.vfwebqq, clientid: ctx.clientid, psessionid: s.psessionid };
  ctx.check("recentList", r);
  return ctx.api("recentList", {
    method: "POST",
    form: ctx.rForm(r),
    referer: REFERER.d,
    ...options,
    idempotent: true,
  });
}

export async function changeStatus(ctx: Ctx, status: Status, options: CallOptions = {}): Promise<void> {
  ctx.check("changeStatus", { newstatus: status });
  const s = ctx.need();
  const env = await ctx.envelope("changeStatus", {
    query: ctx.ids({ newstatus: status }),
    referer: REFERER.d,
    ...options,
  });
  if (env.retcode !== 0) throw retcodeError(env.retcode, "changeStatus");
  s.status = status;
}

/** get_msg_tip keep-alive. */
export async function heartbeat(ctx: Ctx, options: CallOptions = {}): Promise<void> {
  ctx.check("msgTip", {});
  const env = await ctx.envelope("msgTip", {
    query: { uin: "", tp: 1, id: 0, retype: 1, rc: 1, lv: 3, t: Date.now() },
    ...options,
  });
  if (env.retcode !== 0) throw retcodeError(env.retcode, "msgTip");
}

/** logout2; true when there was a session to end. */
export async function logout(ctx: Ctx, options: CallOptions = {}): Promise<boolean> {
  if (!ctx.session) return false;
  ctx.check("logout", {});
  const env = await ctx.envelope("logout", { query: ctx.ids({ ids: "" }), referer: REFERER.d, ...options });
  if (env.retcode !== 0 && env.retcode !== Retcode.LOST) throw retcodeError(env.retcode, "logout");
  ctx.session = undefined;
  return true;
}
