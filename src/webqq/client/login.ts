/** Logging in: password (with a captcha callback), QR code, check_sig, login2 and relink. */
import { sleep } from "../../core/backoff.js";
import type { CallOptions } from "../../core/call.js";
import { ApiError, AuthError, ValidationError } from "../../core/errors.js";
import {
  APPID,
  type CheckResult,
  hash33,
  LoginCode,
  parseCheckVC,
  parsePtuiCB,
  passwordHash,
  QR_APPID,
  QrCode,
  REFERER,
  STATUSES,
} from "../protocol.js";
import { restoreJar } from "./cookies.js";
import type { Ctx } from "./transport.js";
import type { PasswordLoginInput, QrLoginInput, WebQQSession } from "./types.js";

export async function check(ctx: Ctx, qq: number, options: CallOptions = {}): Promise<CheckResult> {
  ctx.check("check", { uin: qq });
  const text = await ctx.raw("check", {
    query: { uin: qq, appid: APPID, r: Math.random() },
    type: "text",
    ...options,
  });
  const r = parseCheckVC(String(text));
  if (!r) throw new ApiError("check: unexpected answer", { platform: "webqq", code: "bad_response" });
  return r;
}

export async function captchaImage(ctx: Ctx, qq: number, options: CallOptions = {}): Promise<Uint8Array> {
  ctx.check("captchaImage", { uin: qq });
  const data = await ctx.raw("captchaImage", {
    query: { aid: APPID, r: Math.random(), uin: qq },
    type: "bytes",
    ...options,
  });
  return data as Uint8Array;
}

function checkStatus(status: string | undefined): void {
  if (status !== undefined && !(STATUSES as readonly string[]).includes(status))
    throw new ValidationError(`status: must be one of ${STATUSES.join(", ")}`, {
      platform: "webqq",
      code: "invalid_input",
    });
}

export async function passwordLogin(
  ctx: Ctx,
  input: PasswordLoginInput,
  options: CallOptions = {},
): Promise<WebQQSession> {
  ctx.check("check", { uin: input.qq });
  if (typeof input.password !== "string" || input.password.length === 0)
    throw new ValidationError("password: must not be empty", { platform: "webqq", code: "invalid_input" });
  checkStatus(input.status);
  const chk = await check(ctx, input.qq, options);
  let vcode = chk.vcode;
  if (chk.needCaptcha) {
    if (!input.onCaptcha)
      throw new AuthError("this account needs a captcha: pass onCaptcha", {
        platform: "webqq",
        code: "captcha",
      });
    vcode = (await input.onCaptcha(await captchaImage(ctx, input.qq, options))).trim();
  }
  const p = passwordHash(input.password, chk.uinBytes, vcode);
  ctx.check("login", { u: input.qq, p, verifycode: vcode });
  const text = await ctx.raw("login", {
    query: {
      u: input.qq,
      p,
      verifycode: vcode,
      webqq_type: 10,
      remember_uin: 1,
      login2qq: 1,
      aid: APPID,
      u1: "http://webqq.qq.com/loginproxy.html?login2qq=1&webqq_type=10",
      h: 1,
      ptredirect: 0,
      ptlang: 2052,
      from_ui: 1,
      pttype: 1,
      dumy: "",
      fp: "loginerroralert",
      action: "1-20-8656",
      mibao_css: "m_webqq",
      t: 1,
      g: 1,
    },
    type: "text",
    ...options,
  });
  const cb = parsePtuiCB(String(text));
  if (!cb) throw new ApiError("login: unexpected answer", { platform: "webqq", code: "bad_response" });
  if (cb.code !== LoginCode.OK) {
    const o = { platform: "webqq" as const, code: cb.code, details: { subcode: cb.subcode } };
    const msg = `login failed: ptuiCB ${cb.code} (${cb.message})`;
    throw cb.code === LoginCode.BAD_PARAMS || cb.code === LoginCode.COOKIES_OFF
      ? new ApiError(msg, o)
      : new AuthError(msg, o);
  }
  ctx.password = chk.needCaptcha ? undefined : input.password;
  await checkSig(ctx, cb.url, options);
  return login2(ctx, input.qq, input.status ?? "online", options);
}

export async function qrLogin(
  ctx: Ctx,
  input: QrLoginInput,
  options: CallOptions = {},
): Promise<WebQQSession> {
  if (typeof input?.onQrCode !== "function")
    throw new ValidationError("onQrCode: must be a function", { platform: "webqq", code: "invalid_input" });
  checkStatus(input.status);
  ctx.check("qrShow", {});
  const png = (await ctx.raw("qrShow", {
    query: { appid: QR_APPID, e: 0, l: "M", s: 5, d: 72, v: 4, t: Math.random() },
    type: "bytes",
    ...options,
  })) as Uint8Array;
  const qrsig = (await ctx.jar.getCookies(ctx.url("qrShow"))).find((c) => c.key === "qrsig")?.value;
  if (!qrsig) throw new ApiError("ptqrshow set no qrsig cookie", { platform: "webqq", code: "bad_response" });
  await input.onQrCode(png);
  for (;;) {
    const text = await ctx.raw("qrLogin", {
      query: {
        ptqrtoken: hash33(qrsig),
        webqq_type: 10,
        remember_uin: 1,
        login2qq: 1,
        aid: QR_APPID,
        u1: "http://w.qq.com/proxy.html?login2qq=1&webqq_type=10",
        ptredirect: 0,
        ptlang: 2052,
        daid: 164,
        from_ui: 1,
        pttype: 1,
        dumy: "",
        fp: "loginerroralert",
        action: "0-0-1000",
        mibao_css: "m_webqq",
        t: "undefined",
        g: 1,
        js_type: 0,
        js_ver: 10197,
        login_sig: "",
        pt_randsalt: 0,
      },
      type: "text",
      ...options,
    });
    const cb = parsePtuiCB(String(text));
    if (!cb) throw new ApiError("ptqrlogin: unexpected answer", { platform: "webqq", code: "bad_response" });
    if (cb.code === QrCode.OK) {
      const qq = Number(/[?&]uin=(\d+)/.exec(cb.url)?.[1] ?? Number.NaN);
      await checkSig(ctx, cb.url, options);
      return login2(ctx, qq, input.status ?? "online", options);
    }
    if (cb.code === QrCode.WAITING || cb.code === QrCode.SCANNED) {
      input.onState?.(cb.code === QrCode.WAITING ? "waiting" : "scanned");
      await sleep(input.intervalMs ?? 1000, options.signal, "webqq");
      continue;
    }
    throw new AuthError(`QR login failed: ptuiCB ${cb.code} (${cb.message})`, {
      platform: "webqq",
      code: cb.code,
    });
  }
}

async function checkSig(ctx: Ctx, url: string, options: CallOptions): Promise<void> {
  // The check_sig URL comes from the server; follow it without following its redirect, so
  // the cookies it sets land in the jar for the login hosts.
  const res = (await ctx.request(url, "checkSig", { type: "text", redirect: "manual", ...options })) as {
    status: number;
  };
  if (res.status >= 400)
    throw new AuthError(`check_sig failed with HTTP ${res.status}`, { platform: "webqq", code: res.status });
  const pt = (await ctx.jar.getCookies(url)).find((c) => c.key === "ptwebqq")?.value;
  if (!pt) throw new AuthError("check_sig set no ptwebqq cookie", { platform: "webqq", code: "no_ptwebqq" });
}

async function ptwebqqCookie(ctx: Ctx): Promise<string | undefined> {
  for (const name of ["login2", "checkSig"] as const) {
    const c = (await ctx.jar.getCookies(ctx.url(name))).find((x) => x.key === "ptwebqq");
    if (c) return c.value;
  }
  return undefined;
}

export async function login2(
  ctx: Ctx,
  qq: number,
  status: string,
  options: CallOptions = {},
): Promise<WebQQSession> {
  const ptwebqq = (await ptwebqqCookie(ctx)) ?? ctx.session?.ptwebqq;
  if (!ptwebqq)
    throw new AuthError("no ptwebqq cookie: log in first", { platform: "webqq", code: "no_ptwebqq" });
  const r = { status, ptwebqq, passwd_sig: "", clientid: ctx.clientid, psessionid: null };
  ctx.check("login2", r);
  const form = new URLSearchParams();
  form.set("r", JSON.stringify(r));
  form.set("clientid", ctx.clientid);
  form.set("psessionid", "null");
  const res = await ctx.api("login2", {
    method: "POST",
    form,
    referer: REFERER.login2,
    ...options,
    idempotent: false,
    retries: 0,
  });
  ctx.session = {
    qq: Number.isFinite(qq) ? qq : res.uin,
    uin: res.uin,
    clientid: ctx.clientid,
    psessionid: res.psessionid,
    vfwebqq: res.vfwebqq,
    ptwebqq,
    status: res.status,
    cookies: await ctx.jar.serialize(),
    ...(ctx.session?.msgId !== undefined ? { msgId: ctx.session.msgId } : {}),
  };
  await ctx.persist();
  return ctx.session;
}

/**
 * login2 again with the ptwebqq we hold (after 103 / 108 / 120 / 100012). Refused (AuthError):
 * the session is dead for good, so it is removed from the store (see forgetStoredSession) and
 * the error rethrown; the session stays in memory for a password re-login of the same qq.
 */
export async function relink(ctx: Ctx, options: CallOptions = {}): Promise<WebQQSession> {
  const s = ctx.need();
  try {
    return await login2(ctx, s.qq, s.status === "offline" ? "online" : s.status, options);
  } catch (err) {
    if (err instanceof AuthError) await forgetStoredSession(ctx, err);
    throw err;
  }
}

/**
 * The server refused the session this client holds (a restarted sandbox, expiry, a relink
 * refused): removes it from the credential store, with a log line saying why (no cookie or
 * psessionid), so no later run replays it. Never throws: a store error is logged.
 */
export async function forgetStoredSession(ctx: Ctx, err: AuthError): Promise<void> {
  let removed = true;
  await ctx.credentials.delete(ctx.account).catch(() => {
    removed = false;
  });
  ctx.log.warn(
    { account: ctx.account, url: ctx.credentials.url, code: err.code, removed },
    "WebQQ refused the stored session (expired, or issued by another server): removed; log in again",
  );
}

/** Adopts a stored session (its cookies and clientid). */
export async function restore(ctx: Ctx, s: WebQQSession): Promise<void> {
  if (!s || typeof s.psessionid !== "string" || typeof s.vfwebqq !== "string")
    throw new ValidationError("the stored value is not a WebQQ session", {
      platform: "webqq",
      code: "bad_session",
    });
  if (ctx.o.clientid !== undefined && s.clientid !== ctx.o.clientid)
    throw new ValidationError("the stored session belongs to another clientid", {
      platform: "webqq",
      code: "bad_session",
    });
  ctx.jar = await restoreJar(s.cookies);
  ctx.clientid = s.clientid;
  ctx.adoptMsgId(s.msgId);
  ctx.session = s;
}
