/** Login flows: SMS code (17 → 18 → 115 with 2FA), QR (288 → 289 → 291), token (19), logout. */
import { randomUUID } from "node:crypto";
import { sleep } from "../../core/backoff.js";
import type { CallOptions } from "../../core/call.js";
import { ApiError, AuthError, ValidationError } from "../../core/errors.js";
import { sessions } from "./account.js";
import type { MaxEngine } from "./engine.js";
import { num } from "./engine.js";
import type { QrInfo, QrLoginStep, SignInResult } from "./options.js";
import { type MaxSession, markGivenToken } from "./session.js";
import { isObject, type MaxProfile } from "./types.js";

export async function requestCode(
  e: MaxEngine,
  phone: string,
  options: CallOptions & { resend?: boolean },
): Promise<{ codeLength: number }> {
  const answer = await e.call(
    "startAuth",
    { phone, type: options.resend ? "RESEND" : "START_AUTH", language: "ru" },
    options,
  );
  if (typeof answer.token !== "string") {
    throw new ApiError("START_AUTH answer had no token", { platform: "max", code: "bad_answer" });
  }
  e.authToken = answer.token;
  e.authPhone = phone;
  return { codeLength: num(answer.codeLength) ?? 6 };
}

export async function signIn(e: MaxEngine, code: string, options: CallOptions): Promise<SignInResult> {
  if (!e.authToken)
    throw new ValidationError("call requestCode(phone) before signIn(code)", { platform: "max" });
  const answer = await e.call(
    "verifyCode",
    { token: e.authToken, verifyCode: String(code), authTokenType: "CHECK_CODE" },
    options,
  );
  const challenge = isObject(answer.passwordChallenge) ? answer.passwordChallenge : undefined;
  if (challenge && typeof challenge.trackId === "string") {
    e.passwordTrack = challenge.trackId;
    return {
      status: "password",
      hint: typeof challenge.hint === "string" ? challenge.hint : "",
      trackId: challenge.trackId,
    };
  }
  return { status: "ok", profile: await afterAuth(e, answer) };
}

export async function checkPassword(
  e: MaxEngine,
  password: string,
  options: CallOptions,
): Promise<MaxProfile> {
  if (!e.passwordTrack) {
    throw new ValidationError("no password challenge pending: call signIn(code) first", {
      platform: "max",
    });
  }
  const answer = await e.call("checkPassword", { trackId: e.passwordTrack, password }, options);
  e.passwordTrack = undefined;
  return afterAuth(e, answer);
}

export async function* qrLogin(
  e: MaxEngine,
  options: CallOptions & { seedOpcode?: boolean },
): AsyncGenerator<QrLoginStep, void, void> {
  // The seed names 20 QR_LOGIN for the start; web clients use 288. Both answer the same.
  const started = await e.call(options.seedOpcode ? "qrLogin" : "qrStart", {}, options);
  const qr: QrInfo = {
    qrLink: String(started.qrLink ?? ""),
    trackId: String(started.trackId ?? ""),
    expiresAt: num(started.expiresAt) ?? Date.now() + 120_000,
    pollingInterval: Math.max(100, num(started.pollingInterval) ?? 1000),
  };
  yield { type: "qr", qr };
  for (;;) {
    await sleep(qr.pollingInterval, options.signal, "max");
    const status = await e.call("qrPoll", { trackId: qr.trackId }, options);
    const s = isObject(status.status) ? status.status : status;
    if (s.loginAvailable === true) break;
    if (Date.now() > qr.expiresAt) {
      throw new ApiError("QR login expired before it was confirmed", {
        platform: "max",
        code: "qr.expired",
      });
    }
  }
  const answer = await e.call("qrFinish", { trackId: qr.trackId }, options);
  yield { type: "done", profile: await afterAuth(e, answer) };
}

export async function loginByToken(e: MaxEngine, token: string, options: CallOptions): Promise<MaxProfile> {
  await e.loadSession();
  markGivenToken(e, token);
  e.session = { ...(e.session ?? { deviceId: randomUUID() }), token };
  if (e.transport.state !== "connected") {
    await e.connect(options.signal ? { signal: options.signal } : {});
    // A client that was logged in before stays connected when a token is refused: say so here.
    if (!e.online)
      throw new AuthError("the server refused this login token", { platform: "max", code: "login.token" });
  } else {
    const answer = await e.call(
      "loginByToken",
      { interactive: true, token, chatsCount: 100, chatsSync: 0, contactsSync: 0 },
      options,
    );
    e.afterTokenLogin(answer, true);
  }
  await e.saveSession(e.session);
  if (!e.profile)
    throw new AuthError("login by token gave no profile", { platform: "max", code: "login.token" });
  return e.profile;
}

export async function logout(e: MaxEngine, options: CallOptions): Promise<void> {
  if (e.online) {
    e.loggingOut = true;
    try {
      const list = await sessions(e, options);
      const current = list.find((s) => s.current);
      if (current) await e.call("sessions", { action: "TERMINATE", sessionId: current.id }, options);
    } catch (err) {
      e.log.warn({ err }, "logout: could not end the session on the server");
    }
  }
  await e.loadSession();
  if (e.session) await e.saveSession({ ...e.session, token: undefined });
  await e.close();
}

async function afterAuth(e: MaxEngine, answer: Record<string, unknown>): Promise<MaxProfile> {
  const attrs = isObject(answer.tokenAttrs) ? answer.tokenAttrs : {};
  const login = isObject(attrs.LOGIN) ? attrs.LOGIN : {};
  const token =
    typeof login.token === "string"
      ? login.token
      : typeof answer.token === "string"
        ? answer.token
        : undefined;
  if (!token) throw new AuthError("login answer carried no token", { platform: "max", code: "no_token" });
  const profile = e.readProfile(answer.profile);
  await e.loadSession();
  const session: MaxSession = { ...(e.session ?? { deviceId: randomUUID() }), token };
  if (profile) session.userId = profile.contact.id;
  if (e.authPhone) session.phone = e.authPhone;
  await e.saveSession(session);
  e.authToken = undefined;
  e.markOnline(Date.now());
  if (!profile)
    throw new AuthError("login answer carried no profile", { platform: "max", code: "no_profile" });
  return profile;
}
