/** The account: profile, settings, 2FA, sessions (16, 22, 23, 24, 96, 97). */
import { randomUUID } from "node:crypto";
import type { CallOptions } from "../../core/call.js";
import { ApiError } from "../../core/errors.js";
import type { MaxEngine } from "./engine.js";
import { num } from "./engine.js";
import type { SessionInfo } from "./options.js";
import { isObject, listOf, type MaxProfile, splitKnown } from "./types.js";

export async function updateProfile(
  e: MaxEngine,
  patch: { firstName?: string; lastName?: string; description?: string; photoToken?: string },
  options: CallOptions,
): Promise<MaxProfile> {
  const answer = await e.call("changeProfile", { ...patch }, options);
  const profile = e.readProfile(answer.profile);
  if (!profile) throw new ApiError("profile answer had no profile", { platform: "max", code: "bad_answer" });
  return profile;
}

function twoFa(a: { enabled?: boolean; hint?: string }): { enabled: boolean; hint: string } {
  return { enabled: a.enabled === true, hint: typeof a.hint === "string" ? a.hint : "" };
}

export async function getTwoFactor(e: MaxEngine, options: CallOptions) {
  return twoFa(await e.call("twoFaManage", { action: "GET" }, options));
}

export async function setTwoFactor(
  e: MaxEngine,
  password: string,
  options: CallOptions & { currentPassword?: string; hint?: string },
) {
  const payload: Record<string, unknown> = { action: "SET", password };
  if (options.currentPassword !== undefined) payload.currentPassword = options.currentPassword;
  if (options.hint !== undefined) payload.hint = options.hint;
  return twoFa(await e.call("twoFaManage", payload, options));
}

const SESSION_KEYS: ReadonlySet<string> = new Set([
  "id",
  "current",
  "online",
  "deviceType",
  "client",
  "deviceName",
  "appVersion",
  "info",
  "location",
  "created",
  "lastActive",
]);

function sessionList(a: unknown): SessionInfo[] {
  return listOf(a, "sessions", (s) => {
    if (!isObject(s)) return undefined;
    const id = num(s.id);
    if (id === undefined) return undefined;
    return { ...(splitKnown(s, SESSION_KEYS) as Partial<SessionInfo>), id, current: s.current === true };
  });
}

export async function sessions(e: MaxEngine, options: CallOptions): Promise<SessionInfo[]> {
  return sessionList(await e.call("sessions", { action: "LIST" }, options));
}

/** Sessions as PyMax lists them (96). */
export async function sessionsInfo(e: MaxEngine, options: CallOptions): Promise<SessionInfo[]> {
  return sessionList(await e.call("sessionsInfo", {}, options));
}

/** Ends every other session and rotates this one's token (97); the new token is stored. */
export async function resetSessions(e: MaxEngine, options: CallOptions): Promise<void> {
  const a = await e.call("sessionsClose", {}, options);
  if (typeof a.token !== "string") return;
  await e.loadSession();
  await e.saveSession({ ...(e.session ?? { deviceId: randomUUID() }), token: a.token });
}

/** 104 AUTH_2FA_DETAILS: whether a cloud password is set, its hint and the recovery email. */
export async function twoFactorDetails(
  e: MaxEngine,
  options: CallOptions,
): Promise<{ enabled: boolean; hint: string; email?: string | undefined }> {
  const a = await e.call("twoFaDetails", {}, options);
  const out: { enabled: boolean; hint: string; email?: string | undefined } = twoFa(a);
  if (typeof a.email === "string" && a.email !== "") out.email = a.email;
  return out;
}
