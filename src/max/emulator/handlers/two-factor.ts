/**
 * PyMax's two-factor settings flow (api/auth/service.py: set_2fa, change_password, remove_2fa).
 * Every flow starts with 112, which opens a track for the logged-in account; the later steps
 * name it: 107 validates a new password, 108 a hint, 109 / 110 bind an email with a code, 113
 * checks the current password, and 111 applies the change to the account. A track lives in
 * memory for a few minutes, like the login flows of auth.ts.
 *
 * The email a track confirmed becomes the account's recovery email when 111 applies it (with the
 * EMAIL capability, alone or with a password), and goes with the password on REMOVE_2FA. 104
 * AUTH_2FA_DETAILS shows it as the apps read it: `{enabled, hint, email}`.
 */
import { randomInt, randomUUID } from "node:crypto";
import { ErrorCode, Opcode, TwoFactorAction, TwoFaPassword } from "../../protocol.js";
import { type HandlerContext, handlers, type MaxEmulator, me } from "../context.js";
import { badPayload, MaxProtocolError } from "../errors.js";
import { checkPassword, hashPassword, type UserRow } from "../store/users.js";
import { takeAuthAttempt } from "./auth-limits.js";

const TRACK_TTL_MS = 10 * 60_000;
const EMAIL_CODE_TTL_MS = 10 * 60_000;
/** Wrong passwords (113) or email codes (110) a track takes before it is dropped. */
const MAX_ATTEMPTS = 5;
/** Live tracks one account may hold; opening more drops the oldest. */
const MAX_TRACKS_PER_USER = 5;

interface TwoFaTrack {
  trackId: string;
  userId: number;
  expiresAt: number;
  attempts: number;
  /** 113 accepted the account's current password on this track. */
  passwordChecked: boolean;
  /** Hash of the password 107 validated (never the password itself). */
  newPasswordHash?: string;
  hint?: string;
  email?: { address: string; code: string; expiresAt: number; verified: boolean };
}

const states = new WeakMap<MaxEmulator, Map<string, TwoFaTrack>>();
function tracksOf(emu: MaxEmulator): Map<string, TwoFaTrack> {
  let tracks = states.get(emu);
  if (!tracks) {
    tracks = new Map();
    states.set(emu, tracks);
  }
  return tracks;
}

const trackExpired = () =>
  new MaxProtocolError(ErrorCode.CODE_EXPIRED, "Track expired", "Время действия истекло, начните заново");
const wrongPassword = () =>
  new MaxProtocolError(ErrorCode.PASSWORD_WRONG, "Invalid password", "Неверный пароль");
const notEnabled = () =>
  new MaxProtocolError(ErrorCode.PROTO_STATE, "2FA password is not set", "Облачный пароль не установлен");

function currentUser(ctx: HandlerContext): UserRow {
  const user = ctx.emu.repos.users.byId(me(ctx));
  if (!user) throw new MaxProtocolError(ErrorCode.LOGIN_TOKEN, "FAIL_LOGIN_TOKEN");
  return user;
}

/** The caller's live track; another account's track is reported exactly like a missing one. */
function liveTrack(ctx: HandlerContext, trackId: string): TwoFaTrack {
  const tracks = tracksOf(ctx.emu);
  const track = tracks.get(trackId);
  if (!track || track.userId !== me(ctx)) throw trackExpired();
  if (track.expiresAt < ctx.emu.now()) {
    tracks.delete(trackId);
    throw trackExpired();
  }
  return track;
}

function failedAttempt(emu: MaxEmulator, track: TwoFaTrack): void {
  track.attempts++;
  if (track.attempts >= MAX_ATTEMPTS) tracksOf(emu).delete(track.trackId);
}

function openTrack(ctx: HandlerContext): { trackId: string } {
  const { emu } = ctx;
  const userId = me(ctx);
  const tracks = tracksOf(emu);
  const now = emu.now();
  const own: TwoFaTrack[] = [];
  for (const t of tracks.values()) {
    if (t.expiresAt < now) tracks.delete(t.trackId);
    else if (t.userId === userId) own.push(t);
  }
  // Map order is insertion order: the first ones are the oldest.
  for (const t of own.slice(0, Math.max(0, own.length - MAX_TRACKS_PER_USER + 1))) tracks.delete(t.trackId);
  const trackId = randomUUID();
  tracks.set(trackId, {
    trackId,
    userId,
    expiresAt: now + TRACK_TTL_MS,
    attempts: 0,
    passwordChecked: false,
  });
  return { trackId };
}

/** The password 111 applies: the one 107 validated on this track (111 repeats it). */
function passwordToApply(track: TwoFaTrack, given: string | undefined): string {
  if (given === undefined) throw badPayload("password is required");
  const valid = TwoFaPassword.safeParse(given);
  if (!valid.success) throw badPayload("password must be 1 to 256 characters");
  if (track.newPasswordHash !== undefined && !checkPassword(given, track.newPasswordHash)) {
    throw badPayload("password differs from the one validated on this track");
  }
  return given;
}

/** The address 109 / 110 confirmed on this track; refused when there is none. */
function confirmedEmail(track: TwoFaTrack): string {
  if (!track.email?.verified) throw badPayload("email is not confirmed on this track (109, 110)");
  return track.email.address;
}

/** 104: what the apps show on the cloud-password screen. */
export function twoFaDetails(user: UserRow): { enabled: boolean; hint?: string; email?: string } {
  const enabled = user.password_hash !== null;
  const out: { enabled: boolean; hint?: string; email?: string } = { enabled };
  if (enabled && user.password_hint) out.hint = user.password_hint;
  if (enabled && user.email) out.email = user.email;
  return out;
}

function applyTwoFa(
  ctx: HandlerContext,
  track: TwoFaTrack,
  payload: { expectedCapabilities: number[]; password?: string; hint?: string | null; remove2fa?: boolean },
): void {
  const { emu } = ctx;
  const user = currentUser(ctx);
  const caps = new Set(payload.expectedCapabilities);
  if (payload.remove2fa === true || caps.has(TwoFactorAction.REMOVE_2FA)) {
    if (!user.password_hash) throw notEnabled();
    if (!track.passwordChecked) throw wrongPassword();
    emu.db.transaction(() => {
      emu.repos.users.setPassword(user.id, null, null, emu.now());
      emu.repos.users.setEmail(user.id, null, emu.now());
    })();
    return;
  }
  if (caps.has(TwoFactorAction.UPDATE_PASSWORD)) {
    if (!user.password_hash) throw notEnabled();
    if (!track.passwordChecked) throw wrongPassword();
    const password = passwordToApply(track, payload.password);
    // change_password sends no hint: the account keeps the one it has unless the track set one.
    const hint = payload.hint ?? track.hint ?? user.password_hint;
    const email = caps.has(TwoFactorAction.EMAIL) ? confirmedEmail(track) : undefined;
    emu.db.transaction(() => {
      emu.repos.users.setPassword(user.id, password, hint || null, emu.now());
      if (email !== undefined) emu.repos.users.setEmail(user.id, email, emu.now());
    })();
    return;
  }
  if (caps.has(TwoFactorAction.SET_PASSWORD)) {
    // Setting over an existing password is a change: it needs the current one first (113).
    if (user.password_hash && !track.passwordChecked) {
      throw new MaxProtocolError(
        ErrorCode.PROTO_STATE,
        "2FA password is already set",
        "Облачный пароль уже установлен",
      );
    }
    const password = passwordToApply(track, payload.password);
    let hint: string | null = null;
    if (caps.has(TwoFactorAction.HINT)) {
      hint = payload.hint ?? track.hint ?? null;
      if (!hint) throw badPayload("hint is required with the HINT capability");
    }
    const email = caps.has(TwoFactorAction.EMAIL) ? confirmedEmail(track) : undefined;
    emu.db.transaction(() => {
      emu.repos.users.setPassword(user.id, password, hint, emu.now());
      if (email !== undefined) emu.repos.users.setEmail(user.id, email, emu.now());
    })();
    return;
  }
  if (caps.has(TwoFactorAction.EMAIL)) {
    // A new recovery email alone: the account's password was checked on this track (113).
    if (!user.password_hash) throw notEnabled();
    if (!track.passwordChecked) throw wrongPassword();
    emu.repos.users.setEmail(user.id, confirmedEmail(track), emu.now());
    return;
  }
  throw badPayload("expectedCapabilities must name SET_PASSWORD, UPDATE_PASSWORD or REMOVE_2FA");
}

export const twoFactorHandlers = handlers({
  [Opcode.AUTH_CREATE_TRACK]: { handle: (ctx) => openTrack(ctx) },
  [Opcode.AUTH_2FA_DETAILS]: {
    handle: (ctx, payload) => {
      if (payload.trackId !== undefined) liveTrack(ctx, payload.trackId);
      return twoFaDetails(currentUser(ctx));
    },
  },
  [Opcode.AUTH_VALIDATE_PASSWORD]: {
    handle: (ctx, payload) => {
      const track = liveTrack(ctx, payload.trackId);
      if (!TwoFaPassword.safeParse(payload.password).success) {
        throw badPayload("password must be 1 to 256 characters");
      }
      track.newPasswordHash = hashPassword(payload.password);
      return {};
    },
  },
  [Opcode.AUTH_VALIDATE_HINT]: {
    handle: (ctx, payload) => {
      const track = liveTrack(ctx, payload.trackId);
      const hint = payload.hint.trim();
      if (!hint) throw badPayload("hint must not be blank");
      track.hint = hint;
      return {};
    },
  },
  [Opcode.AUTH_CHECK_PASSWORD]: {
    handle: (ctx, payload) => {
      const { emu } = ctx;
      const track = liveTrack(ctx, payload.trackId);
      const user = currentUser(ctx);
      if (!user.password_hash) throw notEnabled();
      takeAuthAttempt(emu, "check", ctx.conn.id, user.phone);
      if (!checkPassword(payload.password, user.password_hash)) {
        failedAttempt(emu, track);
        throw wrongPassword();
      }
      track.passwordChecked = true;
      return {};
    },
  },
  [Opcode.AUTH_VERIFY_EMAIL]: {
    handle: (ctx, payload) => {
      const { emu } = ctx;
      const track = liveTrack(ctx, payload.trackId);
      const address = payload.email.trim().toLowerCase();
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address)) {
        throw new MaxProtocolError(ErrorCode.PROTO_PAYLOAD, "Invalid email", "Неверный адрес почты");
      }
      takeAuthAttempt(emu, "request", ctx.conn.id, currentUser(ctx).phone);
      const code = emu.config.smsCode ?? String(randomInt(0, 1_000_000)).padStart(6, "0");
      track.email = { address, code, expiresAt: emu.now() + EMAIL_CODE_TTL_MS, verified: false };
      // The sandbox has no mail: the code lands in the same inbox as SMS codes, addressed to the email.
      emu.hooks.onSms?.(address, code);
      return {};
    },
  },
  [Opcode.AUTH_CHECK_EMAIL]: {
    handle: (ctx, payload) => {
      const { emu } = ctx;
      const track = liveTrack(ctx, payload.trackId);
      const email = track.email;
      if (!email || email.expiresAt < emu.now()) {
        throw new MaxProtocolError(
          ErrorCode.CODE_EXPIRED,
          "Code expired",
          "Этот код устарел, запросите новый",
        );
      }
      takeAuthAttempt(emu, "check", ctx.conn.id, currentUser(ctx).phone);
      if (payload.verifyCode !== email.code) {
        failedAttempt(emu, track);
        throw new MaxProtocolError(ErrorCode.CODE_WRONG, "Invalid code", "Неверный код");
      }
      email.verified = true;
      return {};
    },
  },
  [Opcode.AUTH_SET_2FA]: {
    handle: (ctx, payload) => {
      const track = liveTrack(ctx, payload.trackId);
      applyTwoFa(ctx, track, payload);
      // A track applies once.
      tracksOf(ctx.emu).delete(track.trackId);
      return {};
    },
  },
});
