import { createHash, randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import type { Database } from "../../../core/storage.js";
import type { Contact } from "../../protocol.js";

export interface UserRow {
  id: number;
  phone: string;
  first_name: string;
  last_name: string;
  description: string;
  photo_id: number | null;
  link: string | null;
  password_hash: string | null;
  password_hint: string | null;
  settings: string;
  hidden: number;
  last_seen: number;
  created_at: number;
  updated_at: number;
  /** 1: a bot of the MAX Bot API (no phone, no login). */
  is_bot: number;
  /** The 2FA recovery email (confirmed with a code), null when none. */
  email: string | null;
}

export interface SessionRow {
  id: number;
  token_hash: string;
  user_id: number;
  device_id: string;
  device_type: string;
  device_name: string;
  app_version: string;
  created_at: number;
  last_active: number;
  revoked_at: number | null;
}

/** Login tokens are stored hashed: a copied database file does not hand out sessions. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `${salt.toString("hex")}:${scryptSync(password, salt, 32).toString("hex")}`;
}

export function checkPassword(password: string, stored: string): boolean {
  const [saltHex, hashHex] = stored.split(":");
  if (!saltHex || !hashHex) return false;
  const actual = scryptSync(password, Buffer.from(saltHex, "hex"), 32);
  return timingSafeEqual(actual, Buffer.from(hashHex, "hex"));
}

/** Phone numbers are kept as `+<digits>`; the wire's `contact.phone` is the digits as a number. */
export function normalizePhone(phone: string): string | undefined {
  const digits = phone.replace(/[\s()-]/g, "");
  if (!/^\+?\d{10,15}$/.test(digits)) return undefined;
  return digits.startsWith("+") ? digits : `+${digits}`;
}

/** The phone column of a bot: unique, and never a number any login or lookup accepts. */
export function botPhone(id: number): string {
  return `bot:${id}`;
}

/** Accounts, login sessions, SMS codes, contacts and presence subscriptions (`max_users` & co). */
export class UsersRepo {
  private readonly s;
  /** Ids of bots, loaded on first use: a send into a dialog asks whether the peer is a bot. */
  private bots: Set<number> | undefined;

  constructor(private readonly db: Database) {
    this.s = {
      byId: db.prepare("SELECT * FROM max_users WHERE id = ?"),
      byPhone: db.prepare("SELECT * FROM max_users WHERE phone = ?"),
      list: db.prepare("SELECT id, phone, first_name, last_name FROM max_users ORDER BY id LIMIT 1000"),
      byLink: db.prepare("SELECT * FROM max_users WHERE link = ?"),
      insert: db.prepare(
        `INSERT INTO max_users (id, phone, first_name, last_name, password_hash, password_hint, created_at, updated_at)
         VALUES (@id, @phone, @first_name, @last_name, @password_hash, @password_hint, @now, @now)`,
      ),
      updateProfile: db.prepare(
        `UPDATE max_users SET first_name = @first_name, last_name = @last_name, description = @description,
         photo_id = @photo_id, updated_at = @now WHERE id = @id`,
      ),
      setPassword: db.prepare(
        "UPDATE max_users SET password_hash = ?, password_hint = ?, updated_at = ? WHERE id = ?",
      ),
      setEmail: db.prepare("UPDATE max_users SET email = ?, updated_at = ? WHERE id = ?"),
      setSettings: db.prepare("UPDATE max_users SET settings = ?, updated_at = ? WHERE id = ?"),
      setHidden: db.prepare("UPDATE max_users SET hidden = ? WHERE id = ?"),
      setLastSeen: db.prepare("UPDATE max_users SET last_seen = ? WHERE id = ?"),
      botIds: db.prepare("SELECT id FROM max_users WHERE is_bot = 1").pluck(),
      insertBot: db.prepare(
        `INSERT INTO max_users (id, phone, first_name, last_name, description, link, is_bot, created_at, updated_at)
         VALUES (@id, @phone, @first_name, '', @description, @link, 1, @now, @now)`,
      ),
      updateBot: db.prepare(
        "UPDATE max_users SET first_name = @first_name, description = @description, link = @link, updated_at = @now WHERE id = @id AND is_bot = 1",
      ),
      insertSession: db.prepare(
        `INSERT INTO max_sessions (token_hash, user_id, device_id, device_type, device_name, app_version, created_at, last_active)
         VALUES (@token_hash, @user_id, @device_id, @device_type, @device_name, @app_version, @now, @now)`,
      ),
      sessionByToken: db.prepare("SELECT * FROM max_sessions WHERE token_hash = ?"),
      sessionById: db.prepare("SELECT * FROM max_sessions WHERE id = ?"),
      sessionsOf: db.prepare(
        "SELECT * FROM max_sessions WHERE user_id = ? AND revoked_at IS NULL ORDER BY id",
      ),
      touchSession: db.prepare(
        "UPDATE max_sessions SET last_active = ?, device_id = ?, device_type = ?, device_name = ?, app_version = ? WHERE id = ?",
      ),
      revokeSession: db.prepare("UPDATE max_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"),
      insertSms: db.prepare("INSERT INTO max_sms (phone, code, created_at) VALUES (?, ?, ?)"),
      lastSms: db.prepare(
        "SELECT phone, code, created_at FROM max_sms WHERE phone = ? ORDER BY id DESC LIMIT 1",
      ),
    };
  }

  byId(id: number): UserRow | undefined {
    return this.s.byId.get(id) as UserRow | undefined;
  }

  /** The first 1000 accounts, oldest first (the web console's list). */
  listForConsole(): Pick<UserRow, "id" | "phone" | "first_name" | "last_name">[] {
    return this.s.list.all() as Pick<UserRow, "id" | "phone" | "first_name" | "last_name">[];
  }

  /** Whether the user is a bot (in-memory after the first call). */
  isBot(id: number): boolean {
    if (!this.bots) this.bots = new Set(this.s.botIds.all() as number[]);
    return this.bots.has(id);
  }

  createBot(
    input: { id: number; name: string; username: string | null; description: string },
    now: number,
  ): UserRow {
    this.s.insertBot.run({
      id: input.id,
      phone: botPhone(input.id),
      first_name: input.name,
      description: input.description,
      link: input.username,
      now,
    });
    // A rolled-back transaction leaves a stale id here; harmless, as no user row has it.
    this.isBot(input.id);
    this.bots?.add(input.id);
    return this.byId(input.id)!;
  }

  updateBot(
    id: number,
    patch: { name: string; description: string; username: string | null },
    now: number,
  ): void {
    this.s.updateBot.run({
      id,
      first_name: patch.name,
      description: patch.description,
      link: patch.username,
      now,
    });
  }

  byPhone(phone: string): UserRow | undefined {
    return this.s.byPhone.get(phone) as UserRow | undefined;
  }

  byLink(link: string): UserRow | undefined {
    return this.s.byLink.get(link) as UserRow | undefined;
  }

  create(
    input: {
      id: number;
      phone: string;
      firstName: string;
      lastName?: string;
      password?: string;
      hint?: string;
    },
    now: number,
  ): UserRow {
    this.s.insert.run({
      id: input.id,
      phone: input.phone,
      first_name: input.firstName,
      last_name: input.lastName ?? "",
      password_hash: input.password ? hashPassword(input.password) : null,
      password_hint: input.hint ?? null,
      now,
    });
    return this.byId(input.id)!;
  }

  updateProfile(
    user: UserRow,
    patch: { firstName?: string; lastName?: string; description?: string; photoId?: number },
    now: number,
  ): UserRow {
    this.s.updateProfile.run({
      id: user.id,
      first_name: patch.firstName ?? user.first_name,
      last_name: patch.lastName ?? user.last_name,
      description: patch.description ?? user.description,
      photo_id: patch.photoId ?? user.photo_id,
      now,
    });
    return this.byId(user.id)!;
  }

  setPassword(userId: number, password: string | null, hint: string | null, now: number): void {
    this.s.setPassword.run(password ? hashPassword(password) : null, hint, now, userId);
  }

  setEmail(userId: number, email: string | null, now: number): void {
    this.s.setEmail.run(email, now, userId);
  }

  setSettings(userId: number, settings: Record<string, unknown>, now: number): void {
    this.s.setSettings.run(JSON.stringify(settings), now, userId);
  }

  setHidden(userId: number, hidden: boolean): void {
    this.s.setHidden.run(hidden ? 1 : 0, userId);
  }

  setLastSeen(userId: number, time: number): void {
    this.s.setLastSeen.run(time, userId);
  }

  createSession(
    input: {
      token: string;
      userId: number;
      deviceId: string;
      deviceType: string;
      deviceName: string;
      appVersion: string;
    },
    now: number,
  ): SessionRow {
    const info = this.s.insertSession.run({
      token_hash: hashToken(input.token),
      user_id: input.userId,
      device_id: input.deviceId,
      device_type: input.deviceType,
      device_name: input.deviceName,
      app_version: input.appVersion,
      now,
    });
    return this.s.sessionById.get(info.lastInsertRowid) as SessionRow;
  }

  /** The live session a token opens, or undefined when unknown or revoked. */
  sessionByToken(token: string): SessionRow | undefined {
    const row = this.s.sessionByToken.get(hashToken(token)) as SessionRow | undefined;
    return row && row.revoked_at === null ? row : undefined;
  }

  sessionById(id: number): SessionRow | undefined {
    return this.s.sessionById.get(id) as SessionRow | undefined;
  }

  sessionsOf(userId: number): SessionRow[] {
    return this.s.sessionsOf.all(userId) as SessionRow[];
  }

  touchSession(
    id: number,
    device: { deviceId: string; deviceType: string; deviceName: string; appVersion: string },
    now: number,
  ): void {
    this.s.touchSession.run(
      now,
      device.deviceId,
      device.deviceType,
      device.deviceName,
      device.appVersion,
      id,
    );
  }

  revokeSession(id: number, now: number): boolean {
    return this.s.revokeSession.run(now, id).changes > 0;
  }

  recordSms(phone: string, code: string, now: number): void {
    this.s.insertSms.run(phone, code, now);
  }

  lastSms(phone: string): { phone: string; code: string; created_at: number } | undefined {
    return this.s.lastSms.get(phone) as { phone: string; code: string; created_at: number } | undefined;
  }

  /** The wire's user object (`contact`), as 32, 19, 59 and chats carry it. */
  toContact(user: UserRow, options: { withPhone?: boolean } = {}): Contact {
    const name = [user.first_name, user.last_name].filter(Boolean).join(" ");
    const contact: Contact = {
      id: user.id,
      names: [{ name, firstName: user.first_name, lastName: user.last_name, type: "ONEME" }],
      updateTime: user.updated_at,
      accountStatus: 0,
    };
    if (options.withPhone && user.phone.startsWith("+")) contact.phone = Number(user.phone.slice(1));
    // How the emulator marks bots to user-API clients (the apps show a bot badge).
    if (user.is_bot === 1) contact.options = ["BOT"];
    if (user.description) contact.description = user.description;
    if (user.photo_id) {
      contact.photoId = user.photo_id;
      contact.baseUrl = `/i?r=${user.photo_id}`;
    }
    if (user.link) contact.link = `https://max.ru/${user.link}`;
    return contact;
  }

  get database(): Database {
    return this.db;
  }
}
