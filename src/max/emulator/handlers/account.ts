import { z } from "zod";
import { ErrorCode, Opcode } from "../../protocol.js";
import type { MaxConnection } from "../connection.js";
import { type HandlerContext, handlers, type MaxEmulator, me } from "../context.js";
import { badPayload, MaxProtocolError } from "../errors.js";
import { checkPassword, type SessionRow, type UserRow } from "../store/users.js";
import type { BotWorldEvent } from "../world-events.js";
import { confirmRegistration, newLoginToken, profileOf } from "./auth.js";
import { parseSettings, setHiddenPresence, settingsOf } from "./contacts.js";
import { closeSessionSockets } from "./session.js";

const Audience = z.enum(["ALL", "CONTACTS", "NOBODY"]);
const Scalar = z.union([z.string().max(256), z.number(), z.boolean(), z.null()]);
/** Known keys are checked; other flags are kept as given (clients send more than we know of). */
const UserSettingsPatch = z
  .object({
    HIDDEN: z.boolean().optional(),
    SEARCH_BY_PHONE: Audience.optional(),
    INCOMING_CALL: Audience.optional(),
    CHATS_INVITE: Audience.optional(),
  })
  .catchall(Scalar);
const ChatSettingsPatch = z.record(
  z.string().regex(/^-?\d+$/, "chat ids are digit strings"),
  z.object({ dontDisturbUntil: z.number().int().optional() }).catchall(Scalar),
);
const SettingsPatch = z
  .object({ user: UserSettingsPatch.optional(), chats: ChatSettingsPatch.optional() })
  .catchall(z.unknown());

/** The dialog_(un)muted events a settings patch makes: dontDisturbUntil set or cleared on a dialog with a bot. */
function dialogMutes(
  emu: MaxEmulator,
  userId: number,
  chats: Record<string, Record<string, unknown>>,
): BotWorldEvent[] {
  if (!emu.events.active) return [];
  const out: BotWorldEvent[] = [];
  for (const [key, options] of Object.entries(chats)) {
    if (!("dontDisturbUntil" in options)) continue;
    const chatId = Number(key);
    if (emu.repos.chats.kindOf(chatId) !== "DIALOG" || !emu.repos.chats.member(chatId, userId)) continue;
    const botId = emu.repos.chats.memberIds(chatId).find((id) => id !== userId && emu.repos.users.isBot(id));
    if (botId === undefined) continue;
    const until = options.dontDisturbUntil;
    if (typeof until === "number" && (until === -1 || until > emu.now())) {
      out.push({ type: "dialog.muted", chatId, userId, botId, mutedUntil: until });
    } else out.push({ type: "dialog.unmuted", chatId, userId, botId });
  }
  return out;
}

function currentUser(ctx: HandlerContext): UserRow {
  const user = ctx.emu.repos.users.byId(me(ctx));
  if (!user)
    throw new MaxProtocolError(
      ErrorCode.LOGIN_TOKEN,
      "FAIL_LOGIN_TOKEN",
      "Ошибка входа. Пожалуйста, авторизируйтесь снова",
    );
  return user;
}

/** The seed's 23 state `{enabled, hint}`, plus the recovery email when the account has one. */
function twoFaState(user: UserRow): { enabled: boolean; hint: string; email?: string } {
  const state: { enabled: boolean; hint: string; email?: string } = {
    enabled: user.password_hash !== null,
    hint: user.password_hash ? (user.password_hint ?? "") : "",
  };
  if (user.password_hash && user.email) state.email = user.email;
  return state;
}

function requireCurrentPassword(user: UserRow, given: string | undefined): void {
  if (!user.password_hash) return;
  if (given === undefined || !checkPassword(given, user.password_hash)) {
    throw new MaxProtocolError(ErrorCode.PASSWORD_WRONG, "Invalid password", "Неверный пароль");
  }
}

/** A session as 24 / 96 list it; tokens (even hashed) never leave the server. */
function sessionView(emu: MaxEmulator, session: SessionRow, conn: MaxConnection) {
  let online = false;
  for (const c of emu.hub.connectionsOf(session.user_id))
    if (c.sessionId === session.id && !c.closed) online = true;
  const info = [session.device_name, session.app_version].filter(Boolean).join(", ");
  return {
    id: session.id,
    current: session.id === conn.sessionId,
    online,
    deviceType: session.device_type,
    client: session.device_type,
    deviceName: session.device_name,
    appVersion: session.app_version,
    info,
    // PyMax 1.x's Session reads `location` unconditionally; the emulator knows no geography.
    location: "",
    created: session.created_at,
    lastActive: session.last_active,
    lastActivity: session.last_active,
    time: session.last_active,
  };
}

function listSessions(ctx: HandlerContext) {
  const { emu, conn } = ctx;
  return emu.repos.users.sessionsOf(me(ctx)).map((s) => sessionView(emu, s, conn));
}

function terminate(emu: MaxEmulator, userId: number, sessionId: number): void {
  emu.repos.users.revokeSession(sessionId, emu.now());
  closeSessionSockets(emu, userId, sessionId);
}

function terminateOthers(ctx: HandlerContext): number {
  const userId = me(ctx);
  let n = 0;
  for (const s of ctx.emu.repos.users.sessionsOf(userId)) {
    if (s.id === ctx.conn.sessionId) continue;
    terminate(ctx.emu, userId, s.id);
    n++;
  }
  return n;
}

export const accountHandlers = handlers({
  [Opcode.CHANGE_PROFILE]: {
    handle: (ctx, payload) => {
      const { emu } = ctx;
      const user = currentUser(ctx);
      const firstName = payload.firstName?.trim();
      if (payload.firstName !== undefined && !firstName) throw badPayload("firstName must not be blank");
      let photoId: number | undefined;
      if (payload.photoToken !== undefined) {
        photoId = emu.repos.contacts.photoIdByToken(payload.photoToken);
        if (photoId === undefined) {
          throw new MaxProtocolError(ErrorCode.ATTACH_INVALID, "Unknown photoToken", "Фото не найдено");
        }
      }
      const updated = emu.repos.users.updateProfile(
        user,
        { firstName, lastName: payload.lastName?.trim(), description: payload.description, photoId },
        emu.now(),
      );
      return { profile: profileOf(emu, updated) };
    },
  },
  [Opcode.SETTINGS]: {
    handle: (ctx, payload) => {
      const { emu } = ctx;
      const user = currentUser(ctx);
      const parsed = SettingsPatch.safeParse(payload.settings ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw badPayload(
          `Invalid settings: ${issue ? `${issue.path.join(".")}: ${issue.message}` : "bad value"}`,
        );
      }
      const patch = parsed.data;
      const stored = parseSettings(user.settings);
      for (const [key, value] of Object.entries(patch.user ?? {})) {
        // null resets a flag to its default.
        if (value === null) delete stored.user[key];
        else stored.user[key] = value;
      }
      for (const [chatId, options] of Object.entries(patch.chats ?? {})) {
        const merged = { ...(stored.chats[chatId] ?? {}) };
        for (const [key, value] of Object.entries(options)) {
          if (value === null) delete merged[key];
          else merged[key] = value;
        }
        if (Object.keys(merged).length === 0) delete stored.chats[chatId];
        else stored.chats[chatId] = merged;
      }
      const mutes = dialogMutes(emu, user.id, patch.chats ?? {});
      emu.db.transaction(() => {
        emu.repos.users.setSettings(user.id, { user: stored.user, chats: stored.chats }, emu.now());
        // Muting or unmuting a dialog with a bot is what the Bot API reports as dialog_(un)muted.
        for (const m of mutes) emu.events.emit(m);
      })();
      if (patch.user && "HIDDEN" in patch.user) setHiddenPresence(emu, user.id, patch.user.HIDDEN === true);
      const fresh = currentUser(ctx);
      return settingsOf(fresh);
    },
  },
  [Opcode.TWO_FA_MANAGE]: {
    handle: (ctx, payload) => {
      if (
        payload.tokenType === "REGISTER" ||
        (payload.token !== undefined && payload.firstName !== undefined)
      ) {
        if (!payload.token || payload.firstName === undefined)
          throw badPayload("token and firstName are required");
        return confirmRegistration(ctx, {
          token: payload.token,
          firstName: payload.firstName,
          lastName: payload.lastName,
        });
      }
      if (ctx.conn.state !== "online")
        throw new MaxProtocolError(ErrorCode.PROTO_STATE, "Must be ONLINE session");
      const { emu } = ctx;
      const user = currentUser(ctx);
      switch (payload.action) {
        case "GET":
          return twoFaState(user);
        case "SET": {
          if (!payload.password) throw badPayload("password is required");
          requireCurrentPassword(user, payload.currentPassword);
          emu.repos.users.setPassword(user.id, payload.password, payload.hint ?? null, emu.now());
          return twoFaState(currentUser(ctx));
        }
        case "REMOVE": {
          requireCurrentPassword(user, payload.currentPassword ?? payload.password);
          emu.db.transaction(() => {
            emu.repos.users.setPassword(user.id, null, null, emu.now());
            emu.repos.users.setEmail(user.id, null, emu.now());
          })();
          return twoFaState(currentUser(ctx));
        }
      }
    },
  },
  [Opcode.SESSIONS]: {
    handle: (ctx, payload) => {
      const userId = me(ctx);
      switch (payload.action) {
        case "LIST":
          return { sessions: listSessions(ctx) };
        case "TERMINATE": {
          if (payload.sessionId === undefined) throw badPayload("sessionId is required");
          const session = ctx.emu.repos.users.sessionById(payload.sessionId);
          // Another user's session is reported exactly like a missing one.
          if (!session || session.user_id !== userId || session.revoked_at !== null) {
            throw new MaxProtocolError(ErrorCode.NOT_FOUND, "Session not found", "Сеанс не найден");
          }
          terminate(ctx.emu, userId, session.id);
          return { sessions: listSessions(ctx) };
        }
        case "TERMINATE_OTHERS":
          terminateOthers(ctx);
          return { sessions: listSessions(ctx) };
      }
    },
  },
  [Opcode.SESSIONS_INFO]: {
    handle: (ctx) => ({ sessions: listSessions(ctx) }),
  },
  [Opcode.SESSIONS_CLOSE]: {
    handle: (ctx) => {
      const { emu, conn } = ctx;
      const userId = me(ctx);
      terminateOthers(ctx);
      // The current session gets a fresh token (PyMax saves it); its sockets stay online.
      const old = conn.sessionId === undefined ? undefined : emu.repos.users.sessionById(conn.sessionId);
      const token = newLoginToken();
      const fresh = emu.repos.users.createSession(
        {
          token,
          userId,
          deviceId: old?.device_id ?? conn.deviceId,
          deviceType: old?.device_type ?? conn.deviceType,
          deviceName: old?.device_name ?? conn.deviceName,
          appVersion: old?.app_version ?? conn.appVersion,
        },
        emu.now(),
      );
      if (old) {
        emu.repos.users.revokeSession(old.id, emu.now());
        for (const c of emu.hub.connectionsOf(userId)) if (c.sessionId === old.id) c.sessionId = fresh.id;
      } else {
        conn.sessionId = fresh.id;
      }
      return { token };
    },
  },
});
