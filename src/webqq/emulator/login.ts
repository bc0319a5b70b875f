/**
 * Login: check → (captcha image) → login (ptuiCB) → check_sig (ptwebqq cookie) → login2;
 * QR login: ptqrshow (qrsig cookie) → ptqrlogin (66 / 67 / 65 / 0) → check_sig → login2.
 */

import { randomInt } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  formatCheckVC,
  formatPtuiCB,
  hash33,
  Login2R,
  LoginCode,
  passwordHashFromMd5,
  QrCode,
  Retcode,
  uinBytes,
} from "../protocol.js";
import { type Emu, fail, randomHex, sha256 } from "./context.js";
import type { Session } from "./hub.js";
import { patternPng } from "./png.js";
import { cookies, fields, rBody, requireReferer, setCookies } from "./request.js";
import { route } from "./routes.js";

const CHECK_TTL_MS = 5 * 60_000;
const QR_TTL_MS = 2 * 60_000;
const TICKET_TTL_MS = 5 * 60_000;

interface PendingCheck {
  qq: number;
  vcode: string;
  captcha: string | undefined;
  needCaptcha: boolean;
  expires: number;
}

export interface PendingQr {
  token: number;
  state: "waiting" | "scanned" | "confirmed";
  qq: number | undefined;
  expires: number;
}

export interface LoginState {
  checks: Map<string, PendingCheck>;
  qrs: Map<number, PendingQr>;
  /** ptsig of the check_sig URL → account. */
  tickets: Map<string, { qq: number; expires: number }>;
  /** sha256(ptwebqq) → account, issued by check_sig (and by 116 rotations). */
  ptwebqqs: Map<string, number>;
}

/**
 * Entries each login table (pending checks, QR logins, check_sig tickets, issued ptwebqqs) keeps
 * at most: past it the oldest go first (a login that slow starts again with 4,2 / 65 / 108).
 */
export const LOGIN_TABLE_CAP = 10_000;

/** Adds a new entry to a bounded table, dropping the oldest at the cap. */
export function capped<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  while (map.size >= LOGIN_TABLE_CAP) map.delete(map.keys().next().value as K);
  map.set(key, value);
}

/** Drops entries from the front (oldest first) while `expired` says so. */
function sweepFront<K, V>(map: Map<K, V>, expired: (v: V) => boolean): void {
  for (const [k, v] of map) {
    if (!expired(v)) return;
    map.delete(k);
  }
}

export function newLoginState(): LoginState {
  return { checks: new Map(), qrs: new Map(), tickets: new Map(), ptwebqqs: new Map() };
}

const js = (reply: FastifyReply, text: string) =>
  reply.type("application/javascript; charset=utf-8").send(text);

const MESSAGES: Record<number, string> = {
  0: "登录成功！",
  3: "您输入的帐号或密码不正确，请重新输入。",
  4: "您输入的验证码不正确，请重新输入。",
  7: "很遗憾，网络连接出现异常，请您稍后再试。",
  24: "很遗憾，网络连接出现异常，请您检查是否禁用cookies。",
  71: "您的帐号暂时无法登录，请到 http://aq.qq.com 恢复正常使用。",
};

function origin(req: FastifyRequest): string {
  const host = req.headers.host ?? "127.0.0.1";
  return `http://${host}`;
}

function captchaText(): string {
  const letters = "ABCDEFGHJKLMNPQRSTUVWXYZ";
  return Array.from({ length: 4 }, () => letters[randomInt(letters.length)]).join("");
}

export function registerLoginRoutes(
  app: FastifyInstance,
  emu: Emu,
  st: LoginState,
  hooks: { onLogin2(s: Session, previous: Session[]): void },
): void {
  // Entries go in with a fixed lifetime, so each map is in expiry order: the sweep stops at the
  // first live entry (no walk over the whole table per request).
  const sweep = () => {
    const now = emu.now();
    sweepFront(st.checks, (v) => v.expires < now);
    sweepFront(st.tickets, (v) => v.expires < now);
    sweepFront(st.qrs, (v) => v.expires + QR_TTL_MS < now);
  };

  const issueTicket = (req: FastifyRequest, qq: number): string => {
    const ptsig = randomHex(24);
    capped(st.tickets, ptsig, { qq, expires: emu.now() + TICKET_TTL_MS });
    const s_url = encodeURIComponent("http://web2.qq.com/loginproxy.html?login2qq=1&webqq_type=10");
    return `${origin(req)}/check_sig?pttype=1&uin=${qq}&service=login&nodirect=0&ptsig=${ptsig}&s_url=${s_url}&f_url=&ptlang=2052&ptredirect=100&aid=1003903&daid=164&j_later=0&low_login_hour=0&regmaster=0&pt_login_type=1&pt_aid=0&pt_aaid=0&pt_light=0`;
  };

  route(app, "check", async (req, reply) => {
    sweep();
    const f = fields(req);
    const uin = f.uin;
    if (!uin || !/^\d{5,10}$/.test(uin)) return js(reply, formatCheckVC(true, "", 0));
    const qq = Number(uin);
    const acc = emu.account(qq);
    const needCaptcha = acc ? acc.captcha === 1 : false;
    const vcode = needCaptcha ? randomHex(16) : `!${captchaText().slice(0, 3)}`;
    const key = randomHex(16);
    capped(st.checks, key, { qq, vcode, captcha: undefined, needCaptcha, expires: emu.now() + CHECK_TTL_MS });
    setCookies(reply, { ptvfsession: key, confirmuin: "0" });
    return js(reply, formatCheckVC(needCaptcha, vcode, qq > 0xffffffff ? 0 : qq));
  });

  route(app, "captchaImage", async (req, reply) => {
    const c = cookies(req);
    const pending = c.ptvfsession ? st.checks.get(c.ptvfsession) : undefined;
    if (!pending) return reply.code(404).type("text/plain").send("page expired");
    pending.captcha = captchaText();
    setCookies(reply, { verifysession: c.ptvfsession ?? "" });
    emu.log.info({ qq: pending.qq }, "WebQQ captcha issued");
    return reply.type("image/png").send(patternPng(pending.captcha));
  });

  route(app, "login", async (req, reply) => {
    sweep();
    const f = fields(req);
    const nick = f.u ?? "";
    const cb = (code: number, subcode = 0, url = "", n = nick, message = MESSAGES[code] ?? "") =>
      js(reply, formatPtuiCB({ code, subcode, url, message, nick: n }));
    if (
      !f.u ||
      !/^\d{5,10}$/.test(f.u) ||
      !f.p ||
      !/^[0-9A-Fa-f]{32}$/.test(f.p) ||
      f.verifycode === undefined
    )
      return cb(LoginCode.BAD_PARAMS);
    if (f.aid !== undefined && f.aid !== String(1003903)) return cb(LoginCode.BAD_PARAMS);
    const c = cookies(req);
    const key = c.verifysession ?? c.ptvfsession;
    if (!key) return cb(LoginCode.COOKIES_OFF);
    const pending = st.checks.get(key);
    if (!pending || pending.expires < emu.now())
      return cb(LoginCode.WRONG_CAPTCHA, 2, "", nick, "页面过期，请重试。*");
    const qq = Number(f.u);
    if (pending.qq !== qq) return cb(LoginCode.BAD_PARAMS);
    const expectedCode = pending.needCaptcha ? pending.captcha : pending.vcode;
    if (!expectedCode || f.verifycode.toUpperCase() !== expectedCode.toUpperCase()) {
      if (pending.needCaptcha) pending.captcha = undefined; // one try per picture
      return cb(LoginCode.WRONG_CAPTCHA);
    }
    const acc = emu.account(qq);
    const expected = acc
      ? passwordHashFromMd5(Buffer.from(acc.password_md5, "hex"), uinBytes(qq), f.verifycode)
      : undefined;
    if (!acc || expected !== f.p.toUpperCase()) return cb(LoginCode.WRONG_PASSWORD);
    if (acc.blocked) return cb(LoginCode.BLOCKED);
    st.checks.delete(key);
    setCookies(reply, { ptcz: randomHex(32), pt2gguin: `o${qq}`, uin: `o${qq}`, skey: `@${randomHex(5)}` });
    return cb(LoginCode.OK, 0, issueTicket(req, qq), acc.nick);
  });

  route(app, "qrShow", async (_req, reply) => {
    sweep();
    const qrsig = randomHex(24);
    const token = hash33(qrsig);
    sweep();
    capped(st.qrs, token, { token, state: "waiting", qq: undefined, expires: emu.now() + QR_TTL_MS });
    setCookies(reply, { qrsig });
    emu.log.info({ token }, "WebQQ QR login requested; confirm with POST /_sandbox/webqq/qr/confirm");
    return reply.type("image/png").send(patternPng(qrsig));
  });

  route(app, "qrLogin", async (req, reply) => {
    const f = fields(req);
    const qrsig = cookies(req).qrsig;
    const cb = (code: number, message: string, url = "", n = "") =>
      js(reply, formatPtuiCB({ code, subcode: 0, url, message, nick: n }));
    if (!qrsig) return cb(LoginCode.COOKIES_OFF, MESSAGES[24] ?? "");
    const token = hash33(qrsig);
    if (f.ptqrtoken !== undefined && f.ptqrtoken !== String(token))
      return cb(LoginCode.BAD_PARAMS, MESSAGES[7] ?? "");
    const qr = st.qrs.get(token);
    if (!qr || qr.expires < emu.now()) return cb(QrCode.EXPIRED, "二维码已失效。");
    if (qr.state === "waiting") return cb(QrCode.WAITING, "二维码未失效。");
    if (qr.state === "scanned") return cb(QrCode.SCANNED, "二维码认证中。");
    const acc = qr.qq === undefined ? undefined : emu.account(qr.qq);
    st.qrs.delete(token);
    if (!acc) return cb(QrCode.EXPIRED, "二维码已失效。");
    if (acc.blocked) return cb(LoginCode.BLOCKED, MESSAGES[71] ?? "");
    setCookies(reply, {
      ptcz: randomHex(32),
      pt2gguin: `o${acc.qq}`,
      uin: `o${acc.qq}`,
      skey: `@${randomHex(5)}`,
    });
    return cb(QrCode.OK, MESSAGES[0] ?? "", issueTicket(req, acc.qq), acc.nick);
  });

  route(app, "checkSig", async (req, reply) => {
    const f = fields(req);
    const t = f.ptsig ? st.tickets.get(f.ptsig) : undefined;
    if (!t || t.expires < emu.now() || String(t.qq) !== f.uin) {
      return reply.code(403).type("text/html").send("<html><body>ptsig invalid</body></html>");
    }
    if (f.ptsig) st.tickets.delete(f.ptsig);
    const ptwebqq = randomHex(32);
    capped(st.ptwebqqs, sha256(ptwebqq), t.qq);
    setCookies(reply, { ptwebqq, p_uin: `o${t.qq}`, p_skey: randomHex(16), pt4_token: randomHex(12) });
    const to = f.s_url && /^https?:\/\//.test(f.s_url) ? f.s_url : "http://web2.qq.com/loginproxy.html";
    return reply.code(302).header("location", to).send("");
  });

  route(app, "login2", async (req, reply) => {
    requireReferer(req);
    const f = fields(req);
    const r = rBody(f, Login2R);
    const cookie = cookies(req).ptwebqq;
    if (!cookie) fail(Retcode.LOST);
    if (cookie !== r.ptwebqq) fail(Retcode.BAD_COOKIE);
    const ptHash = sha256(r.ptwebqq);
    // After a restart the check_sig map is empty: a ptwebqq a session was using still counts.
    const qq = st.ptwebqqs.get(ptHash) ?? emu.sessions.qqOfPtwebqq(ptHash);
    if (qq === undefined) fail(Retcode.BAD_COOKIE);
    const acc = emu.account(qq);
    if (!acc) fail(Retcode.BAD_COOKIE);
    if (acc.blocked) fail(Retcode.LOST);
    const status = r.status === "" ? "online" : r.status;
    const psessionid = randomHex(48);
    const vfwebqq = randomHex(40);
    const now = emu.now();
    const s: Session = {
      psid: sha256(psessionid),
      vfHash: sha256(vfwebqq),
      ptHash,
      vfwebqq,
      clientid: r.clientid,
      qq,
      status,
      state: "active",
      queue: [],
      redeliver: undefined,
      waiter: undefined,
      lastSeen: now,
      savedSeen: now,
    };
    const previous = emu.hub.active(qq);
    emu.sessions.insert(s, now);
    emu.hub.add(s);
    hooks.onLogin2(s, previous);
    return reply.send({
      retcode: 0,
      result: {
        uin: qq,
        cip: 1959559061,
        index: 1075,
        port: 40036,
        status,
        vfwebqq,
        psessionid,
        user_state: 0,
        f: 0,
      },
    });
  });
}
