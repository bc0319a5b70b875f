import { createHash, randomInt } from "node:crypto";
import { type ContentItem, decodeContent, MSG_TYPE } from "../protocol.js";
import type { Emu, GroupRow } from "./context.js";
import { areFriends, discuMembers, groupMembers, groupOf, storeAndFanOut } from "./deliver.js";
import type { LoginState, PendingQr } from "./login.js";
import * as store from "./store/directory.js";
import { countMessages } from "./store/messages.js";

/** Admin mistakes (unknown account, bad input): the admin API answers them as HTTP 4xx. */
export class WebQQAdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface SendAsInput {
  from: number;
  /** Exactly one target: a friend's QQ, a group (gid, code or number) or a discussion id. */
  to?: number;
  group?: number;
  discu?: number;
  text?: string;
  /** Items instead of text (faces etc.). */
  content?: ContentItem[];
}

export interface WebQQAdmin {
  createAccount(input: { qq: number; password: string; nick: string; longNick?: string; face?: number }): {
    qq: number;
  };
  addFriend(qq: number, friend: number, opts?: { markname?: string }): void;
  createGroup(input: { name: string; owner: number; members: number[] }): {
    gid: number;
    code: number;
    account: number;
  };
  createDiscussion(input: { name: string; owner: number; members: number[] }): { did: number };
  setCaptcha(qq: number, required: boolean): void;
  /** The code of the captcha picture last shown for `qq` (sandbox inbox). */
  captcha(qq: number): string | undefined;
  setBlocked(qq: number, blocked: boolean): void;
  sendAs(input: SendAsInput): { ok: true };
  typing(from: number, to: number): void;
  pendingQr(): { token: number; state: PendingQr["state"] }[];
  /** The state of one QR login not yet used or expired, confirmed ones included (the console's inbox). */
  qrState(token: number): PendingQr["state"] | undefined;
  /** Confirms (or only scans) the newest pending QR login, or the one with `token`. */
  confirmQr(qq: number, opts?: { token?: number; scanOnly?: boolean }): { token: number };
  failPolls(input: {
    retcode?: number;
    drop?: boolean;
    duplicate?: boolean;
    times?: number;
    probability?: number;
    qq?: number;
  }): void;
  failSends(input: { times?: number; delivered?: boolean; probability?: number; qq?: number }): void;
  clearFaults(): void;
  /** Kicks every live session of `qq` (kick_message, then 121). */
  kick(qq: number): number;
  stats(): { sessions: number; polling: number; accounts: number; messages: number };
}

/** List caps as the real service has them (2,000-member groups), so every list answer is bounded. */
export const MAX_GROUP_MEMBERS = 2000;
export const MAX_DISCU_MEMBERS = 500;
export const MAX_FRIENDS = 5000;

const need = (cond: unknown, status: number, message: string): void => {
  if (!cond) throw new WebQQAdminError(status, message);
};
const validQq = (qq: number) => Number.isInteger(qq) && qq >= 10_000 && qq <= 0xffffffff;

export function createAdmin(emu: Emu, login: LoginState, uinMin: number): WebQQAdmin {
  const exists = (qq: number) => {
    need(emu.account(qq), 404, `no WebQQ account ${qq}`);
  };
  const freshId = (what: Parameters<typeof store.idTaken>[1], min: number, max: number): number => {
    for (;;) {
      const id = min + randomInt(max - min);
      if (!store.idTaken(emu.db, what, id)) return id;
    }
  };

  return {
    createAccount({ qq, password, nick, longNick, face }) {
      need(validQq(qq), 400, "qq must be an integer from 10000 to 4294967295");
      need(
        typeof password === "string" && password.length > 0 && password.length <= 64,
        400,
        "password: 1-64 chars",
      );
      need(typeof nick === "string" && nick.length > 0 && nick.length <= 64, 400, "nick: 1-64 chars");
      need(!emu.account(qq), 409, `account ${qq} exists`);
      const uin = freshId("account.uin", uinMin, 0xffffffff);
      const md5 = createHash("md5").update(password).digest("hex");
      store.insertAccount(emu.db, {
        qq,
        uin,
        md5,
        nick,
        face: face ?? 0,
        longNick: longNick ?? "",
        now: emu.now(),
      });
      return { qq };
    },
    addFriend(qq, friend, opts = {}) {
      exists(qq);
      exists(friend);
      need(qq !== friend, 400, "an account can't befriend itself");
      need(
        store.areFriends(emu.db, qq, friend) ||
          (store.friendCount(emu.db, qq) < MAX_FRIENDS && store.friendCount(emu.db, friend) < MAX_FRIENDS),
        400,
        "an account has at most 5,000 friends",
      );
      store.insertFriendPair(emu.db, qq, friend, opts.markname ?? null, emu.now());
    },
    createGroup({ name, owner, members }) {
      need(typeof name === "string" && name.length > 0 && name.length <= 64, 400, "name: 1-64 chars");
      exists(owner);
      const all = [...new Set([owner, ...members])];
      need(all.length <= MAX_GROUP_MEMBERS, 400, "a group has at most 2,000 members");
      for (const m of all) exists(m);
      const gid = freshId("group.gid", 2_000_000_000, 0xffffffff);
      const code = freshId("group.code", 2_000_000_000, 0xffffffff);
      const account = freshId("group.account", 100_000_000, 999_999_999);
      store.insertGroup(
        emu.db,
        { gid, code, account, name, owner, now: emu.now() },
        all.map((m) => ({ qq: m, mflag: m === owner ? 21 : 20 })),
      );
      return { gid, code, account };
    },
    createDiscussion({ name, owner, members }) {
      need(typeof name === "string" && name.length > 0 && name.length <= 64, 400, "name: 1-64 chars");
      exists(owner);
      const all = [...new Set([owner, ...members])];
      need(all.length <= MAX_DISCU_MEMBERS, 400, "a discussion has at most 500 members");
      for (const m of all) exists(m);
      const did = freshId("discu.did", 1_000_000_000, 0xffffffff);
      store.insertDiscussion(emu.db, { did, name, owner, now: emu.now() }, all);
      return { did };
    },
    setCaptcha(qq, required) {
      exists(qq);
      store.setAccountFlag(emu.db, qq, "captcha", required);
    },
    captcha(qq) {
      let code: string | undefined;
      for (const c of login.checks.values()) if (c.qq === qq && c.captcha) code = c.captcha;
      return code;
    },
    setBlocked(qq, blocked) {
      exists(qq);
      store.setAccountFlag(emu.db, qq, "blocked", blocked);
    },
    sendAs(input) {
      exists(input.from);
      const items: ContentItem[] =
        input.content ?? (input.text !== undefined ? (decodeContent([input.text])?.items ?? []) : []);
      need(items.length > 0, 400, "text or content is required");
      const targets = [input.to, input.group, input.discu].filter((x) => x !== undefined);
      need(targets.length === 1, 400, "exactly one of to, group, discu");
      const clientMsgId = randomInt(1, 2 ** 47);
      if (input.to !== undefined) {
        exists(input.to);
        need(areFriends(emu, input.from, input.to), 400, `${input.from} and ${input.to} are not friends`);
        storeAndFanOut(
          emu,
          { kind: "buddy", from: input.from, target: input.to, items, font: undefined },
          "sandbox",
          clientMsgId,
          JSON.stringify(items),
        );
      } else if (input.group !== undefined) {
        const g = groupOf(emu, input.group) as GroupRow | undefined;
        need(g, 404, `no group ${input.group}`);
        need(
          groupMembers(emu, (g as GroupRow).gid).some((m) => m.qq === input.from),
          400,
          `${input.from} is not in the group`,
        );
        storeAndFanOut(
          emu,
          { kind: "group", from: input.from, target: (g as GroupRow).gid, items, font: undefined },
          "sandbox",
          clientMsgId,
          JSON.stringify(items),
        );
      } else {
        const did = input.discu as number;
        need(discuMembers(emu, did).includes(input.from), 400, `${input.from} is not in discussion ${did}`);
        storeAndFanOut(
          emu,
          { kind: "discu", from: input.from, target: did, items, font: undefined },
          "sandbox",
          clientMsgId,
          JSON.stringify(items),
        );
      }
      return { ok: true };
    },
    typing(from, to) {
      exists(from);
      exists(to);
      emu.deliver(to, (s) => ({
        poll_type: "input_notify",
        value: {
          msg_id: emu.nextMsgId(),
          from_uin: emu.uinFor(s.qq, from),
          to_uin: s.qq,
          msg_id2: emu.nextMsgId(),
          msg_type: MSG_TYPE.input_notify,
          reply_ip: 0,
          time: Math.floor(emu.now() / 1000),
        },
      }));
    },
    pendingQr() {
      return [...login.qrs.values()]
        .filter((q) => q.expires >= emu.now() && q.state !== "confirmed")
        .map((q) => ({ token: q.token, state: q.state }));
    },
    qrState(token) {
      const q = login.qrs.get(token);
      return q && q.expires >= emu.now() ? q.state : undefined;
    },
    confirmQr(qq, opts = {}) {
      exists(qq);
      const live = [...login.qrs.values()].filter((q) => q.expires >= emu.now() && q.state !== "confirmed");
      const qr = opts.token !== undefined ? live.find((q) => q.token === opts.token) : live[live.length - 1];
      need(qr, 404, "no pending QR login");
      const q = qr as PendingQr;
      q.qq = qq;
      q.state = opts.scanOnly ? "scanned" : "confirmed";
      return { token: q.token };
    },
    failPolls(input) {
      const kind = input.drop ? "drop" : input.duplicate ? "duplicate" : "retcode";
      need(
        kind !== "retcode" || Number.isInteger(input.retcode),
        400,
        "retcode, drop or duplicate is required",
      );
      need(
        input.probability === undefined || (input.probability > 0 && input.probability <= 1),
        400,
        "probability in (0,1]",
      );
      emu.pollFaults.push({
        kind,
        ...(input.retcode !== undefined ? { retcode: input.retcode } : {}),
        remaining: input.times ?? 1,
        probability: input.probability ?? 1,
        ...(input.qq !== undefined ? { qq: input.qq } : {}),
      });
    },
    failSends(input) {
      need(
        input.probability === undefined || (input.probability > 0 && input.probability <= 1),
        400,
        "probability in (0,1]",
      );
      emu.sendFaults.push({
        remaining: input.times ?? 1,
        probability: input.probability ?? 1,
        delivered: input.delivered ?? false,
        ...(input.qq !== undefined ? { qq: input.qq } : {}),
      });
    },
    clearFaults() {
      emu.pollFaults.length = 0;
      emu.sendFaults.length = 0;
    },
    kick(qq) {
      const list = emu.hub.active(qq);
      for (const s of list) {
        s.state = "kicked";
        emu.sessions.setState(s.psid, "kicked");
        emu.hub.push(s, {
          poll_type: "kick_message",
          value: {
            reply_ip: 0,
            msg_type: MSG_TYPE.kick_message,
            msg_id: emu.nextMsgId(),
            reason: "xxxx for force logout",
            msg_id2: emu.nextMsgId(),
            from_uin: 10000,
            show_reason: 1,
            to_uin: s.qq,
          },
        });
      }
      return list.length;
    },
    stats() {
      let polling = 0;
      for (const s of emu.hub.byPsession.values()) if (s.waiter) polling++;
      return {
        sessions: emu.hub.byPsession.size,
        polling,
        accounts: store.countAccounts(emu.db),
        messages: countMessages(emu.db),
      };
    },
  };
}
