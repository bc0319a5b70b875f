import { randomBytes, randomInt, randomUUID } from "node:crypto";
import { ErrorCode, Opcode } from "../../protocol.js";
import { type HandlerContext, handlers, type MaxEmulator, me } from "../context.js";
import { MaxProtocolError } from "../errors.js";
import { checkPassword, normalizePhone, type UserRow } from "../store/users.js";
import { codeRequestsLeft, takeAuthAttempt } from "./auth-limits.js";
import { listChatsForLogin } from "./chats.js";
import { contactsPresence, importContacts, listContactsForLogin, settingsOf } from "./contacts.js";
import { bindSession, closeSessionSockets } from "./session.js";

/** An SMS flow between 17 and 18 (and, with 2FA, 18 → 115). Short-lived, so kept in memory. */
interface AuthFlow {
  token: string;
  phone: string;
  code: string;
  expiresAt: number;
  attempts: number;
  /** Set once the code was right and the account has a 2FA password. */
  trackId?: string;
  userId?: number;
}

export interface QrFlow {
  trackId: string;
  qrLink: string;
  expiresAt: number;
  /** Set when a logged-in device (or the sandbox console) confirms the login. */
  userId?: number;
  used?: boolean;
}

const CODE_TTL_MS = 5 * 60_000;
const MAX_CODE_ATTEMPTS = 5;
export const USER_ID_START = 10_000_001;

/** A just-created account, which PyMax may name with 23 `{tokenType: "REGISTER"}`. */
interface RegisterFlow {
  userId: number;
  loginToken: string;
  expiresAt: number;
}

interface AuthState {
  flows: Map<string, AuthFlow>;
  tracks: Map<string, AuthFlow>;
  qr: Map<string, QrFlow>;
  register: Map<string, RegisterFlow>;
}
const states = new WeakMap<MaxEmulator, AuthState>();
export function authState(emu: MaxEmulator): AuthState {
  let s = states.get(emu);
  if (!s) {
    s = { flows: new Map(), tracks: new Map(), qr: new Map(), register: new Map() };
    states.set(emu, s);
  }
  return s;
}

export function newLoginToken(): string {
  return randomBytes(48).toString("base64url");
}

/** Sends (records) an SMS code for a phone: fixed by `--sms-code` or random 6 digits. */
export function sendSms(emu: MaxEmulator, phone: string): string {
  const code = emu.config.smsCode ?? String(randomInt(0, 1_000_000)).padStart(6, "0");
  emu.repos.users.recordSms(phone, code, emu.now());
  emu.hooks.onSms?.(phone, code);
  return code;
}

/** Creates an account (sandbox admin API, or an unknown phone completing SMS auth). */
export function createUser(
  emu: MaxEmulator,
  input: { phone: string; firstName: string; lastName?: string; password?: string; hint?: string },
): UserRow {
  const id = emu.ids.next("user", USER_ID_START);
  return emu.repos.users.create({ id, ...input }, emu.now());
}

export function profileOf(
  emu: MaxEmulator,
  user: UserRow,
): { contact: unknown; profileOptions: number[]; phone?: number } {
  // profileOptions as the apps and PyMax number them: 1 ESIA_CONNECTION, 2 SECOND_FACTOR_PASSWORD_ENABLED,
  // 3 SECOND_FACTOR_HAS_EMAIL, 4 SECOND_FACTOR_HAS_HINT (PyMax's check_2fa looks for 2).
  const contact = emu.repos.users.toContact(user, { withPhone: true });
  const profile: { contact: unknown; profileOptions: number[]; phone?: number } = {
    contact,
    profileOptions: user.password_hash ? (user.password_hint ? [2, 4] : [2]) : [],
  };
  // Older vkmax releases and vkmax-node read `profile.phone` after 18 / 19 (newer vkmax: contact.phone).
  if (contact.phone !== undefined) profile.phone = contact.phone;
  return profile;
}

/** Opens a fresh session for `user` on this connection and returns the login token. */
function logIn(ctx: HandlerContext, user: UserRow): string {
  const { emu, conn } = ctx;
  const token = newLoginToken();
  const session = emu.repos.users.createSession(
    {
      token,
      userId: user.id,
      deviceId: conn.deviceId,
      deviceType: conn.deviceType,
      deviceName: conn.deviceName,
      appVersion: conn.appVersion,
    },
    emu.now(),
  );
  bindSession(emu, conn, user.id, session.id);
  return token;
}

function loginAnswer(ctx: HandlerContext, user: UserRow): Record<string, unknown> {
  const token = logIn(ctx, user);
  return { profile: profileOf(ctx.emu, user), tokenAttrs: { LOGIN: { token } } };
}

/**
 * A new phone gets an account at once and a LOGIN token, as the seed's 18 answer has it; the
 * answer also carries a REGISTER token with which a client may set the real name (PyMax 23
 * AUTH_CONFIRM). Clients that see LOGIN use it and never need the second step.
 */
function registerAnswer(ctx: HandlerContext, user: UserRow): Record<string, unknown> {
  const loginToken = logIn(ctx, user);
  const registerToken = randomBytes(32).toString("base64url");
  authState(ctx.emu).register.set(registerToken, {
    userId: user.id,
    loginToken,
    expiresAt: ctx.emu.now() + CODE_TTL_MS,
  });
  return {
    profile: profileOf(ctx.emu, user),
    tokenAttrs: { LOGIN: { token: loginToken }, REGISTER: { token: registerToken } },
  };
}

/** 23 `{firstName, lastName?, token, tokenType:"REGISTER"}`: names the new account, answers its login token. */
export function confirmRegistration(
  ctx: HandlerContext,
  input: { token: string; firstName: string; lastName?: string },
): Record<string, unknown> {
  const { emu } = ctx;
  const s = authState(emu);
  const flow = s.register.get(input.token);
  if (!flow || flow.expiresAt < emu.now()) {
    s.register.delete(input.token);
    throw new MaxProtocolError(
      ErrorCode.CODE_EXPIRED,
      "Registration token expired",
      "Этот код устарел, запросите новый",
    );
  }
  const firstName = input.firstName.trim();
  if (!firstName)
    throw new MaxProtocolError(ErrorCode.PROTO_PAYLOAD, "firstName is required", "Ошибка валидации");
  s.register.delete(input.token);
  const existing = emu.repos.users.byId(flow.userId);
  if (!existing) throw new MaxProtocolError(ErrorCode.CODE_EXPIRED, "Registration token expired");
  const user = emu.repos.users.updateProfile(
    existing,
    { firstName, lastName: input.lastName?.trim() ?? "" },
    emu.now(),
  );
  const session = emu.repos.users.sessionByToken(flow.loginToken);
  let token = flow.loginToken;
  if (!session) token = logIn(ctx, user);
  else if (ctx.conn.sessionId !== session.id) bindSession(emu, ctx.conn, user.id, session.id);
  return { token, tokenAttrs: { LOGIN: { token } }, profile: profileOf(emu, user) };
}

function passwordStep(ctx: HandlerContext, flow: AuthFlow | undefined, password: string | undefined) {
  if (!flow || flow.userId === undefined || flow.expiresAt < ctx.emu.now()) {
    throw new MaxProtocolError(ErrorCode.CODE_EXPIRED, "Code expired", "Этот код устарел, запросите новый");
  }
  const user = ctx.emu.repos.users.byId(flow.userId);
  if (!user) throw new MaxProtocolError(ErrorCode.CODE_EXPIRED, "Code expired");
  if (!user.password_hash || password === undefined || !checkPassword(password, user.password_hash)) {
    flow.attempts++;
    if (flow.attempts >= MAX_CODE_ATTEMPTS) dropFlow(ctx.emu, flow);
    throw new MaxProtocolError(ErrorCode.PASSWORD_WRONG, "Invalid password", "Неверный пароль");
  }
  dropFlow(ctx.emu, flow);
  return loginAnswer(ctx, user);
}

function dropFlow(emu: MaxEmulator, flow: AuthFlow): void {
  const s = authState(emu);
  s.flows.delete(flow.token);
  if (flow.trackId) s.tracks.delete(flow.trackId);
}

function newQr(emu: MaxEmulator): Record<string, unknown> {
  const trackId = randomUUID();
  const qrLink = `https://max.ru/:auth/${trackId}`;
  const ttl = emu.config.qrTtlMs;
  const flow: QrFlow = { trackId, qrLink, expiresAt: emu.now() + ttl };
  authState(emu).qr.set(trackId, flow);
  emu.hooks.onQrRequested?.(trackId, qrLink);
  return { qrLink, trackId, pollingInterval: 1000, expiresAt: flow.expiresAt, ttl };
}

function liveQr(emu: MaxEmulator, trackId: string): QrFlow {
  const flow = authState(emu).qr.get(trackId);
  if (!flow || flow.used || flow.expiresAt < emu.now()) {
    if (flow) authState(emu).qr.delete(trackId);
    throw new MaxProtocolError(ErrorCode.QR_EXPIRED, "QR code expired", "QR-код устарел");
  }
  return flow;
}

/** Confirms a QR login for `userId` (another device of that user, or the sandbox console). */
export function confirmQr(emu: MaxEmulator, trackIdOrLink: string, userId: number): QrFlow {
  const trackId = trackIdOrLink.includes("/")
    ? trackIdOrLink.slice(trackIdOrLink.lastIndexOf("/") + 1)
    : trackIdOrLink;
  const flow = liveQr(emu, trackId);
  flow.userId = userId;
  return flow;
}

export function pendingQr(emu: MaxEmulator): QrFlow[] {
  const now = emu.now();
  return [...authState(emu).qr.values()].filter(
    (f) => !f.used && f.userId === undefined && f.expiresAt > now,
  );
}

export const authHandlers = handlers({
  [Opcode.START_AUTH]: {
    handle: ({ emu, conn }, payload) => {
      const phone = normalizePhone(payload.phone);
      takeAuthAttempt(emu, "request", conn.id, phone || undefined);
      if (!phone) {
        throw new MaxProtocolError(
          ErrorCode.PHONE_WRONG,
          "Invalid phone number",
          "Не нашли этот номер, проверьте цифры",
        );
      }
      const s = authState(emu);
      for (const f of s.flows.values()) if (f.phone === phone) dropFlow(emu, f);
      const code = sendSms(emu, phone);
      const token = randomBytes(32).toString("base64url");
      s.flows.set(token, { token, phone, code, expiresAt: emu.now() + CODE_TTL_MS, attempts: 0 });
      return {
        token,
        codeLength: 6,
        requestMaxDuration: 60_000,
        requestCountLeft: codeRequestsLeft(emu, phone),
        altActionDuration: 60_000,
      };
    },
  },
  [Opcode.VERIFY_CODE]: {
    handle: (ctx, payload) => {
      const { emu } = ctx;
      const s = authState(emu);
      const flow = s.flows.get(payload.token);
      const tracked = payload.trackId ? s.tracks.get(payload.trackId) : undefined;
      takeAuthAttempt(emu, "check", ctx.conn.id, (flow ?? tracked)?.phone);
      if (payload.authTokenType === "CHECK_PASSWORD") {
        return passwordStep(ctx, flow ?? tracked, payload.password);
      }
      if (!flow || flow.expiresAt < emu.now()) {
        if (flow) dropFlow(emu, flow);
        throw new MaxProtocolError(
          ErrorCode.CODE_EXPIRED,
          "Code expired",
          "Этот код устарел, запросите новый",
        );
      }
      if (payload.verifyCode === undefined || payload.verifyCode !== flow.code) {
        flow.attempts++;
        if (flow.attempts >= MAX_CODE_ATTEMPTS) dropFlow(emu, flow);
        throw new MaxProtocolError(ErrorCode.CODE_WRONG, "Invalid code", "Неверный код");
      }
      const known = emu.repos.users.byPhone(flow.phone);
      if (!known) {
        dropFlow(emu, flow);
        return registerAnswer(
          ctx,
          createUser(emu, { phone: flow.phone, firstName: `User ${flow.phone.slice(-4)}` }),
        );
      }
      const user = known;
      if (user.password_hash) {
        flow.trackId = randomUUID();
        flow.userId = user.id;
        flow.attempts = 0;
        s.tracks.set(flow.trackId, flow);
        return { passwordChallenge: { trackId: flow.trackId, hint: user.password_hint ?? "", email: "" } };
      }
      dropFlow(emu, flow);
      return loginAnswer(ctx, user);
    },
  },
  [Opcode.CHECK_PASSWORD]: {
    handle: (ctx, payload) => {
      const flow = authState(ctx.emu).tracks.get(payload.trackId);
      takeAuthAttempt(ctx.emu, "check", ctx.conn.id, flow?.phone);
      return passwordStep(ctx, flow, payload.password);
    },
  },
  [Opcode.LOGIN_BY_TOKEN]: {
    handle: (ctx, payload) => {
      const { emu, conn } = ctx;
      const session = emu.repos.users.sessionByToken(payload.token);
      const user = session ? emu.repos.users.byId(session.user_id) : undefined;
      if (!session || !user) {
        throw new MaxProtocolError(
          ErrorCode.LOGIN_TOKEN,
          "FAIL_LOGIN_TOKEN",
          "Ошибка входа. Пожалуйста, авторизируйтесь снова",
        );
      }
      bindSession(emu, conn, user.id, session.id);
      const chats = listChatsForLogin(emu, user.id, payload.chatsCount ?? 40, payload.chatsSync ?? 0);
      const contacts = listContactsForLogin(emu, user.id, payload.contactsSync ?? 0);
      const settings = settingsOf(user);
      return {
        profile: profileOf(emu, user),
        chats,
        contacts,
        messages: {},
        presence: contactsPresence(emu, user.id),
        drafts: { chats: { discarded: {}, saved: {} }, users: { discarded: {}, saved: {} } },
        config: { hash: "0", server: {}, user: settings.user, chats: settings.chats },
        time: emu.now(),
      };
    },
  },
  [Opcode.QR_LOGIN]: {
    // PyMax's LOGOUT shares 20: on a logged-in connection it ends this session (token revoked,
    // sockets closed after the answer); before login it is the seed's QR start.
    handle: (ctx) => {
      const { emu, conn } = ctx;
      if (conn.state !== "online" || conn.sessionId === undefined) return newQr(emu);
      emu.repos.users.revokeSession(conn.sessionId, emu.now());
      closeSessionSockets(emu, me(ctx), conn.sessionId);
      return {};
    },
  },
  [Opcode.QR_START]: { handle: ({ emu }) => newQr(emu) },
  [Opcode.QR_POLL]: {
    handle: ({ emu }, payload) => {
      const flow = liveQr(emu, payload.trackId);
      return { status: { expiresAt: flow.expiresAt, loginAvailable: flow.userId !== undefined } };
    },
  },
  [Opcode.QR_FINISH]: {
    handle: (ctx, payload) => {
      const flow = liveQr(ctx.emu, payload.trackId);
      if (flow.userId === undefined) {
        throw new MaxProtocolError(
          ErrorCode.QR_PENDING,
          "QR login not confirmed yet",
          "Вход ещё не подтверждён",
        );
      }
      const user = ctx.emu.repos.users.byId(flow.userId);
      if (!user) throw new MaxProtocolError(ErrorCode.QR_EXPIRED, "QR code expired");
      flow.used = true;
      authState(ctx.emu).qr.delete(flow.trackId);
      return loginAnswer(ctx, user);
    },
  },
  [Opcode.QR_CONFIRM]: {
    handle: (ctx, payload) => {
      // PyMax sends contact SYNC on 21: `{contactList: {"+7…": {firstName}}}`.
      if (payload.contactList) return importContacts(ctx.emu, me(ctx), payload.contactList);
      const link = payload.qrLink ?? payload.trackId;
      if (!link)
        throw new MaxProtocolError(ErrorCode.PROTO_PAYLOAD, "qrLink is required", "Ошибка валидации");
      confirmQr(ctx.emu, link, me(ctx));
      return {};
    },
  },
  [Opcode.QR_APPROVE]: {
    handle: (ctx, payload) => {
      confirmQr(ctx.emu, payload.qrLink, me(ctx));
      return {};
    },
  },
});
