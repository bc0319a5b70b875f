import type { z } from "zod";
import {
  DevicePlatform,
  MaxImEndpoints as E,
  LIMITS,
  type MaxImEndpoint,
  Password,
  Username,
} from "../../protocol.js";
import { type Ctx, fail, hashSecret, newToken, Paged, type RouteDef, route } from "../context.js";
import { actingUser, cursorPaged, findUser, mustUser, type UserRow } from "../lookups.js";
import { checkPassword, hashPassword } from "../passwords.js";

interface Settings {
  auto_download: boolean;
  group_confirm: boolean;
  no_sounds: boolean;
  no_push: boolean;
  vibratory: boolean;
  no_push_detail: boolean;
  auth_mode: number;
  no_push_start_hour: number;
  no_push_end_hour: number;
  auth_question: string;
  auth_answer: string;
  push_nick_name: string;
}

const DEFAULT_SETTINGS: Settings = {
  auto_download: false,
  group_confirm: false,
  no_sounds: false,
  no_push: false,
  vibratory: false,
  no_push_detail: false,
  auth_mode: 0,
  no_push_start_hour: 0,
  no_push_end_hour: 0,
  auth_question: "",
  auth_answer: "",
  push_nick_name: "",
};

export function settingsOf(row: Pick<UserRow, "settings">): Settings {
  return { ...DEFAULT_SETTINGS, ...(JSON.parse(row.settings) as Partial<Settings>) };
}

/** The register response's field order (seed); the answer to the question stays private. */
export function serializeSettings(userId: number, s: Settings, full = false): Record<string, unknown> {
  const out: Record<string, unknown> = {
    user_id: userId,
    auto_download: s.auto_download,
    group_confirm: s.group_confirm,
    no_sounds: s.no_sounds,
    no_push: s.no_push,
    vibratory: s.vibratory,
    no_push_detail: s.no_push_detail,
    auth_mode: s.auth_mode,
    no_push_start_hour: s.no_push_start_hour,
    no_push_end_hour: s.no_push_end_hour,
  };
  if (full) {
    out.auth_question = s.auth_question;
    out.push_nick_name = s.push_nick_name;
  }
  return out;
}

/** Device platform from the User-Agent (the server API has no platform field). */
function platformOf(userAgent: string): number {
  const ua = userAgent.toLowerCase();
  if (/iphone|ipad|ios/.test(ua)) return DevicePlatform.IOS;
  if (ua.includes("android")) return DevicePlatform.ANDROID;
  if (ua.includes("windows")) return DevicePlatform.WINDOWS;
  if (/mac ?os|macintosh|darwin/.test(ua)) return DevicePlatform.MAC;
  if (ua.includes("linux")) return DevicePlatform.LINUX;
  return DevicePlatform.WEB;
}

/**
 * The device a login names by `device_guid`: created on first use with the next `device_sn` and
 * a push token bound to the user (so push audiences reach it).
 */
function deviceFor(ctx: Ctx, userId: number, guid: string): { device_sn: number; push_token: string } {
  const { emu } = ctx;
  const found = emu.store.users.deviceByGuid(userId, guid) as
    | { device_sn: number; push_token: string }
    | undefined;
  if (found) return found;
  const sn =
    (
      emu.store.users.lastDeviceSn(userId) as {
        n: number | null;
      }
    ).n ?? 0;
  const device = { device_sn: sn + 1, push_token: newToken() };
  emu.store.users.insertDevice(
    userId,
    device.device_sn,
    ctx.app.appId,
    guid,
    platformOf(ctx.userAgent),
    ctx.userAgent.slice(0, 512),
    device.push_token,
    ctx.now,
  );
  emu.store.users.insertPushBinding(ctx.app.appId, device.push_token, userId, device.device_sn);
  return device;
}

/** Checks the password and hands out a user token (stored hashed; its use marks the user online). */
function login(ctx: Ctx, u: UserRow | undefined, password: string, guid: string | undefined) {
  if (!u) fail(10000);
  if (!checkPassword(password, u.password_hash)) fail(10010, "Incorrect username or password");
  if (u.disabled) fail(10010, "User is disabled");
  const token = newToken();
  const expire = ctx.now + ctx.app.config.tokenTtlSec * 1000;
  return ctx.emu.db.transaction(() => {
    const device = guid === undefined ? undefined : deviceFor(ctx, u.user_id, guid);
    ctx.emu.store.users.insertToken(
      hashSecret(token),
      ctx.app.appId,
      u.user_id,
      expire,
      ctx.now,
      device?.device_sn ?? 0,
      ctx.now,
    );
    const out: Record<string, unknown> = { token, user_id: u.user_id, expire };
    if (device) out.push_token = device.push_token;
    return out;
  })();
}

/**
 * Online = an unexpired user token of this user was used (issued, or sent as `access-token`)
 * within the app's `onlineWindowSec` (default 5 min). Kick, device removal and disable delete
 * tokens, so they take the user offline at once.
 */
export function isOnline(ctx: Ctx, userId: number): boolean {
  const since = ctx.now - ctx.app.config.onlineWindowSec * 1000;
  return !!ctx.emu.store.users.hasRecentToken(userId, ctx.app.appId, ctx.now, since);
}

function byName(ctx: Ctx, column: "username" | "mobile" | "email", value: string): UserRow | undefined {
  return ctx.emu.store.users.byColumn(column, ctx.app.appId, value);
}

function createUser(ctx: Ctx, username: string, password: string): number {
  const { emu, app } = ctx;
  if (emu.store.users.usernameTaken(app.appId, username)) fail(10004);
  const count = (emu.store.users.countUsers(app.appId, app.config.limits.licenseUsers) as { n: number }).n;
  if (count >= app.config.limits.licenseUsers) fail(30023);
  const userId = emu.nextId("user");
  emu.store.users.insertUser(userId, app.appId, username, hashPassword(password), ctx.now);
  return userId;
}

function profileOf(u: UserRow): Record<string, unknown> {
  return {
    user_id: u.user_id,
    username: u.username,
    nick_name: u.nick_name ?? "",
    avatar: u.avatar ?? "",
    description: u.description ?? "",
    email: u.email ?? "",
    mobile: u.mobile ?? "",
    public_info: u.public_info ?? "",
    private_info: u.private_info ?? "",
  };
}

function setDisabled(ctx: Ctx, list: number[], disabled: 0 | 1): boolean {
  for (const id of list) mustUser(ctx, id);
  ctx.emu.db.transaction(() => {
    for (const id of list) {
      ctx.emu.store.users.setDisabled(disabled, id);
      if (disabled) ctx.emu.store.users.deleteTokens(id);
    }
  })();
  return true;
}

/**
 * A new password ends every session: each token issued before it (the caller's own included) is
 * deleted, so it answers 10008 from now on; the user logs in again with the new password.
 */
function setPassword(ctx: Ctx, userId: number, password: string): true {
  const hash = hashPassword(password);
  ctx.emu.db.transaction(() => {
    ctx.emu.store.users.setPasswordHash(hash, userId);
    ctx.emu.store.users.deleteTokens(userId);
  })();
  return true;
}

/**
 * `POST|PUT path` sets the acting user's `column` from the field of that name. Usernames and
 * mobile numbers log in (`/token/login`), so one value names one user (else 10004).
 */
function setProfileColumn<C extends "avatar" | "nick_name" | "mobile" | "username">(
  endpoint: MaxImEndpoint<z.ZodType<Record<C, string>>>,
  column: C,
): RouteDef {
  const handle = (ctx: Ctx, values: Record<C, string>): true => {
    const u = actingUser(ctx);
    const value = values[column];
    if (column === "mobile" || column === "username") {
      const other = byName(ctx, column as "mobile" | "username", value);
      if (other && other.user_id !== u.user_id) fail(10004);
    }
    ctx.emu.store.users.setColumn(column, value, u.user_id);
    return true;
  };
  return {
    endpoint,
    handle: (ctx, q, b) => handle(ctx, (endpoint.in === "query" ? q : b) as Record<C, string>),
  };
}

/** `/user/push/tag` (POST adds, DELETE removes) each of the acting user's `tags`. */
function tagRoute(endpoint: typeof E.addPushTags | typeof E.removePushTags, add: boolean): RouteDef {
  return route({
    endpoint,
    handle: (ctx, _q, b) => {
      const u = actingUser(ctx);
      ctx.emu.db.transaction(() => {
        for (const t of b.tags) ctx.emu.store.users.setTag(u.user_id, t, add);
      })();
      return true;
    },
  });
}

export const userRoutes: RouteDef[] = [
  route({
    endpoint: E.registerUser,
    handle: (ctx, _q, b) => {
      const userId = createUser(ctx, b.username, b.password);
      return serializeSettings(userId, DEFAULT_SETTINGS);
    },
  }),
  route({
    endpoint: E.registerUsers,
    handle: (ctx, _q, b) =>
      ctx.emu.db.transaction(() =>
        b.list.map((item) => {
          const username = typeof item.username === "string" ? item.username : "";
          const u = Username.safeParse(item.username);
          const p = Password.safeParse(item.password);
          if (!u.success || !p.success) return { success: false, username, reason: "10002" };
          try {
            return { success: true, username, user_id: createUser(ctx, u.data, p.data) };
          } catch (err) {
            if (err instanceof Error && "code" in err && typeof err.code === "number") {
              return { success: false, username, reason: String(err.code) };
            }
            throw err;
          }
        }),
      )(),
  }),
  route({
    endpoint: E.tokenUser,
    handle: (ctx, _q, b) => login(ctx, byName(ctx, "username", b.name), b.password, b.device_guid),
  }),
  route({
    endpoint: E.tokenId,
    handle: (ctx, _q, b) => login(ctx, findUser(ctx, b.user_id), b.password, b.device_guid),
  }),
  route({
    endpoint: E.tokenLogin,
    handle: (ctx, _q, b) => {
      const u =
        byName(ctx, "username", b.login_name) ??
        byName(ctx, "mobile", b.login_name) ??
        byName(ctx, "email", b.login_name);
      return login(ctx, u, b.password, b.device_guid);
    },
  }),
  route({
    endpoint: E.profile,
    handle: (ctx) => profileOf(actingUser(ctx)),
  }),
  route({
    endpoint: E.updateProfile,
    handle: (ctx, _q, b) => {
      const u = actingUser(ctx);
      ctx.emu.store.users.updateProfile(
        b.nick_name ?? null,
        b.description ?? null,
        b.public_info ?? null,
        b.private_info ?? null,
        b.avatar ?? null,
        u.user_id,
      );
      return true;
    },
  }),
  route({
    endpoint: E.settings,
    handle: (ctx) => {
      const u = actingUser(ctx);
      return serializeSettings(u.user_id, settingsOf(u), true);
    },
  }),
  route({
    endpoint: E.updateSettings,
    handle: (ctx, _q, b) => {
      const u = actingUser(ctx);
      const next = { ...settingsOf(u) };
      for (const [k, v] of Object.entries(b)) if (v !== undefined) (next as Record<string, unknown>)[k] = v;
      ctx.emu.store.users.setSettings(JSON.stringify(next), u.user_id);
      return true;
    },
  }),
  route({
    endpoint: E.onlineStatus,
    handle: (ctx) => ({ online: isOnline(ctx, actingUser(ctx).user_id) }),
  }),
  ...(
    [
      [E.disableUsers, 1],
      [E.enableUsers, 0],
    ] as const
  ).map(([endpoint, disabled]) =>
    route({
      endpoint,
      handle: (ctx, _q, b) => setDisabled(ctx, b.list, disabled),
    }),
  ),
  route({
    endpoint: E.kick,
    handle: (ctx, q) => {
      const u = actingUser(ctx);
      // No device_sn: every device (reference: "not set means kick all devices").
      if (q.device_sn === undefined) ctx.emu.store.users.deleteTokens(u.user_id);
      else ctx.emu.store.users.deleteDeviceTokens(u.user_id, q.device_sn);
      return true;
    },
  }),
  route({
    endpoint: E.pushAlias,
    handle: (ctx, _q, b) => {
      const u = actingUser(ctx);
      const bound = ctx.emu.store.users.pushBindingOwner(ctx.app.appId, b.push_token) as
        | { user_id: number }
        | undefined;
      if (bound && bound.user_id !== u.user_id) fail(10011);
      ctx.emu.store.users.upsertPushAlias(ctx.app.appId, b.push_token, u.user_id, b.alias ?? null);
      return true;
    },
  }),
  route({
    endpoint: E.pushTags,
    handle: (ctx) =>
      (
        ctx.emu.store.users.tags(actingUser(ctx).user_id) as {
          tag: string;
        }[]
      ).map((r) => r.tag),
  }),
  tagRoute(E.addPushTags, true),
  tagRoute(E.removePushTags, false),
  route({
    endpoint: E.userList,
    handle: (ctx, q) => {
      const size = q.page_size ?? LIMITS.userPageDefault;
      // `cursor` (the last user_id seen) wins over `page_num`: it stays stable while users register.
      const rows = (
        q.cursor !== undefined
          ? ctx.emu.store.users.usersAfter(ctx.app.appId, Number(q.cursor), size + 1)
          : ctx.emu.store.users.usersPage(ctx.app.appId, size + 1, ((q.page_num ?? 1) - 1) * size)
      ) as { user_id: number; username: string; disabled: number }[];
      return cursorPaged(
        rows,
        size,
        (r) => r.user_id,
        (r) => ({ user_id: r.user_id, username: r.username, status: r.disabled ? 1 : 0 }),
      );
    },
  }),
  setProfileColumn(E.avatar, "avatar"),
  setProfileColumn(E.mobile, "mobile"),
  setProfileColumn(E.nickname, "nick_name"),
  setProfileColumn(E.username, "username"),
  route({
    endpoint: E.changePassword,
    handle: (ctx, _q, b) => {
      const u = actingUser(ctx);
      if (!checkPassword(b.old_password, u.password_hash)) fail(10010, "Incorrect old password");
      return setPassword(ctx, u.user_id, b.new_password);
    },
  }),
  route({
    endpoint: E.changePasswordAdmin,
    handle: (ctx, _q, b) => setPassword(ctx, actingUser(ctx).user_id, b.password),
  }),
  route({
    endpoint: E.devices,
    handle: (ctx) => {
      const u = actingUser(ctx);
      const rows = ctx.emu.store.users.devices(u.user_id) as {
        device_sn: number;
        platform: number;
        user_agent: string;
        user_id: number;
      }[];
      // Devices per user are few: one page, so no cursor (the reference's "last page").
      return new Paged(rows, { version: rows.length });
    },
  }),
  route({
    endpoint: E.removeDevice,
    handle: (ctx, q) => {
      const u = actingUser(ctx);
      ctx.emu.db.transaction(() => {
        const r = ctx.emu.store.users.deleteDevice(u.user_id, q.device_sn);
        if (r.changes === 0) fail(10002, "device does not exist");
        ctx.emu.store.users.deleteDeviceTokens(u.user_id, q.device_sn);
        ctx.emu.store.users.deleteDevicePushBindings(u.user_id, q.device_sn);
      })();
      return true;
    },
  }),
];

export { findUser };
