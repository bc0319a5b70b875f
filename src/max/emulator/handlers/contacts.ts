import { type Contact, ErrorCode, Opcode } from "../../protocol.js";
import { handlers, type MaxEmulator, me } from "../context.js";
import { badPayload, MaxProtocolError } from "../errors.js";
import { type ContactRow, type ContactStatus, isBlockedStatus, isContactStatus } from "../store/contacts.js";
import { normalizePhone, type UserRow } from "../store/users.js";

/** Presence as 35 answers it and 132 carries it: `seen` in unix seconds, `status: 1` while online. */
export interface Presence {
  seen: number;
  status?: 1;
}

/** Settings stored in `max_users.settings` (22 SETTINGS): privacy flags and per-chat options. */
export interface StoredSettings {
  user: Record<string, unknown>;
  chats: Record<string, Record<string, unknown>>;
}

export function parseSettings(json: string): StoredSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    raw = {};
  }
  const obj = raw && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const user = obj.user && typeof obj.user === "object" ? (obj.user as Record<string, unknown>) : {};
  const chats =
    obj.chats && typeof obj.chats === "object" ? (obj.chats as Record<string, Record<string, unknown>>) : {};
  return { user: { ...user }, chats: { ...chats } };
}

/** What a user's privacy settings are when they never changed them. */
export const DEFAULT_USER_SETTINGS = {
  HIDDEN: false,
  SEARCH_BY_PHONE: "ALL",
  INCOMING_CALL: "ALL",
  CHATS_INVITE: "ALL",
} as const;

/** A user's effective settings (22, 19 `config`): defaults under what they set. */
export function settingsOf(user: UserRow): StoredSettings {
  const stored = parseSettings(user.settings);
  return {
    user: { ...DEFAULT_USER_SETTINGS, ...stored.user, HIDDEN: Boolean(user.hidden) },
    chats: stored.chats,
  };
}

const notFound = () => new MaxProtocolError(ErrorCode.NOT_FOUND, "Contact not found", "Контакт не найден");
const seconds = (ms: number) => Math.floor(ms / 1000);

/** True when `ownerId` has blocked `otherId`: `otherId` may not write to `ownerId` in a dialog. */
export function isBlocked(emu: MaxEmulator, ownerId: number, otherId: number): boolean {
  return emu.repos.contacts.isBlocked(ownerId, otherId);
}

/** `user` as `viewerId` sees them: the owner's own names for them first, their block/removal state. */
export function contactView(emu: MaxEmulator, viewerId: number, user: UserRow, row?: ContactRow): Contact {
  const rel = row ?? emu.repos.contacts.get(viewerId, user.id);
  // The phone is shown to the user themself and to those who have them as a contact.
  const contact = emu.repos.users.toContact(user, {
    withPhone: viewerId === user.id || isContactStatus(rel?.status),
  });
  if (rel?.first_name) {
    const name = [rel.first_name, rel.last_name].filter(Boolean).join(" ");
    contact.names = [
      { name, firstName: rel.first_name, lastName: rel.last_name ?? "", type: "CUSTOM" },
      ...contact.names,
    ];
  }
  if (rel && isBlockedStatus(rel.status)) contact.status = "BLOCKED";
  else if (rel?.status === "REMOVED") contact.status = "REMOVED";
  return contact;
}

/** Contacts for the login answer (19), changed after `since` (ms). */
export function listContactsForLogin(emu: MaxEmulator, userId: number, since: number): Contact[] {
  const out: Contact[] = [];
  for (const row of emu.repos.contacts.list(userId, since)) {
    const user = emu.repos.users.byId(row.contact_id);
    if (user) out.push(contactView(emu, userId, user, row));
  }
  return out;
}

/** What `viewerId` may know of `user`'s presence: hidden users and blockers look offline. */
export function presenceOf(emu: MaxEmulator, user: UserRow, viewerId?: number): Presence {
  const visible = !user.hidden && (viewerId === undefined || !isBlocked(emu, user.id, viewerId));
  if (visible && emu.hub.isOnline(user.id)) return { seen: seconds(emu.now()), status: 1 };
  return { seen: seconds(user.last_seen) };
}

/** Presence of the user's contacts, keyed by id, for the login answer. */
export function contactsPresence(emu: MaxEmulator, userId: number): Record<string, Presence> {
  const out: Record<string, Presence> = {};
  for (const id of emu.repos.contacts.contactIdsOf(userId)) {
    const user = emu.repos.users.byId(id);
    if (user) out[String(id)] = presenceOf(emu, user, userId);
  }
  return out;
}

/** Who hears about `userId`'s presence: subscribers and contacts both ways, minus those it blocked. */
function presenceAudience(emu: MaxEmulator, userId: number): number[] {
  const { contacts } = emu.repos;
  const audience = new Set<number>([
    ...contacts.subscribersOf(userId),
    ...contacts.contactIdsOf(userId),
    ...contacts.ownersOf(userId),
  ]);
  audience.delete(userId);
  for (const id of contacts.blockedBy(userId)) audience.delete(id);
  return [...audience];
}

/** Pushes 129 (seed shape) and 132 (PyMax shape) regardless of the hidden flag. */
function pushPresence(emu: MaxEmulator, userId: number, online: boolean, seenMs: number): void {
  const audience = presenceAudience(emu, userId);
  if (audience.length === 0) return;
  const now = emu.now();
  const seen = seconds(online ? now : seenMs);
  emu.hub.emit(audience, Opcode.PRESENCE_UPDATE, {
    userId,
    presence: online ? { seen, on: "ON", status: 1 } : { seen, on: "OFF" },
    time: now,
  });
  emu.hub.emit(audience, Opcode.PRESENCE, { userId, presence: online ? { seen, status: 1 } : { seen } });
}

/** Pushes presence (129, and 132 for PyMax) to everyone subscribed to `userId`. A hidden user announces nothing. */
export function announcePresence(emu: MaxEmulator, userId: number, online: boolean): void {
  const user = emu.repos.users.byId(userId);
  if (!user || user.hidden) return;
  pushPresence(emu, userId, online, user.last_seen);
}

/**
 * Hides or shows the user's presence (36 SET_PRESENCE, 22 `user.HIDDEN`). Going hidden while
 * online looks like going offline to everyone else; coming back looks like coming online.
 */
export function setHiddenPresence(emu: MaxEmulator, userId: number, hidden: boolean): void {
  const user = emu.repos.users.byId(userId);
  if (!user) return;
  const settings = parseSettings(user.settings);
  if (settings.user.HIDDEN !== hidden) {
    settings.user.HIDDEN = hidden;
    emu.repos.users.setSettings(userId, { ...settings }, emu.now());
  }
  if (Boolean(user.hidden) === hidden) return;
  const online = emu.hub.isOnline(userId);
  if (hidden) {
    if (online) {
      emu.repos.users.setLastSeen(userId, emu.now());
      pushPresence(emu, userId, false, emu.now());
    }
    emu.repos.users.setHidden(userId, true);
  } else {
    emu.repos.users.setHidden(userId, false);
    if (online) pushPresence(emu, userId, true, emu.now());
  }
}

/**
 * PyMax SYNC (21 `{contactList: {"+7…": {firstName, lastName?}}}`): adds the known users with
 * those phones as contacts under the given names; unknown phones and users who don't let
 * strangers find them by phone are left out.
 */
export function importContacts(
  emu: MaxEmulator,
  ownerId: number,
  list: Record<string, { firstName?: string; lastName?: string }>,
): { contacts: Contact[] } {
  const entries = Object.entries(list);
  if (entries.length > 1000) throw badPayload("contactList holds at most 1000 phones");
  const contacts: Contact[] = [];
  const seen = new Set<number>();
  for (const [rawPhone, names] of entries) {
    const phone = normalizePhone(rawPhone);
    const user = phone ? emu.repos.users.byPhone(phone) : undefined;
    if (!user || user.id === ownerId || seen.has(user.id)) continue;
    const privacy = parseSettings(user.settings).user.SEARCH_BY_PHONE;
    const theyKnowMe = isContactStatus(emu.repos.contacts.get(user.id, ownerId)?.status);
    if (privacy === "NOBODY" || (privacy === "CONTACTS" && !theyKnowMe)) continue;
    seen.add(user.id);
    const current = emu.repos.contacts.get(ownerId, user.id);
    const status: ContactStatus = isBlockedStatus(current?.status) ? "CONTACT_BLOCKED" : "CONTACT";
    const row = emu.repos.contacts.put(
      ownerId,
      user.id,
      status,
      { firstName: names.firstName?.trim() || null, lastName: names.lastName?.trim() || null },
      emu.now(),
    );
    contacts.push(contactView(emu, ownerId, user, row));
  }
  return { contacts };
}

/** Next relation after an action, from the current one (undefined = none yet). */
function nextStatus(
  current: ContactStatus | undefined,
  action: "ADD" | "REMOVE" | "BLOCK" | "UNBLOCK" | "UPDATE",
): ContactStatus {
  const blocked = isBlockedStatus(current);
  const contact = isContactStatus(current);
  switch (action) {
    case "ADD":
    case "UPDATE":
      return blocked ? "CONTACT_BLOCKED" : "CONTACT";
    case "REMOVE":
      return blocked ? "BLOCKED" : "REMOVED";
    case "BLOCK":
      return contact ? "CONTACT_BLOCKED" : "BLOCKED";
    case "UNBLOCK":
      return contact ? "CONTACT" : "REMOVED";
  }
}

export const contactHandlers = handlers({
  [Opcode.GET_CONTACTS]: {
    handle: (ctx, payload) => {
      const viewer = me(ctx);
      const contacts: Contact[] = [];
      for (const id of new Set(payload.contactIds)) {
        const user = ctx.emu.repos.users.byId(id);
        if (user) contacts.push(contactView(ctx.emu, viewer, user));
      }
      return { contacts };
    },
  },
  [Opcode.CONTACT_ACTION]: {
    handle: (ctx, payload) => {
      const { emu } = ctx;
      const owner = me(ctx);
      const user = emu.repos.users.byId(payload.contactId);
      if (!user) throw notFound();
      if (user.id === owner) throw badPayload("A user cannot be their own contact");
      const current = emu.repos.contacts.get(owner, user.id);
      const status = nextStatus(current?.status, payload.action);
      let firstName = current?.first_name ?? null;
      let lastName = current?.last_name ?? null;
      if (payload.action === "REMOVE") {
        firstName = null;
        lastName = null;
      } else if (payload.firstName !== undefined || payload.lastName !== undefined) {
        firstName = payload.firstName?.trim() || null;
        lastName = firstName ? payload.lastName?.trim() || null : null;
      }
      // Blocking a bot is what the Bot API reports as bot_stopped (for the dialog with it).
      const dialog =
        payload.action === "BLOCK" && !isBlockedStatus(current?.status) && user.is_bot === 1
          ? emu.repos.chats.dialogOf(owner, user.id)
          : undefined;
      const row = emu.db.transaction(() => {
        const stored = emu.repos.contacts.put(owner, user.id, status, { firstName, lastName }, emu.now());
        // A stopped bot starts again with the user's next message to it.
        if (dialog) emu.repos.bots.forgetStart(user.id, owner);
        if (dialog && emu.events.active) {
          emu.events.emit({ type: "bot.stopped", chatId: dialog.id, userId: owner, botId: user.id });
        }
        return stored;
      })();
      return { contact: contactView(emu, owner, user, row) };
    },
  },
  [Opcode.PRESENCE_SUBSCRIBE]: {
    handle: (ctx, payload) => {
      const { emu } = ctx;
      const viewer = me(ctx);
      const presence: Record<string, Presence> = {};
      for (const id of new Set(payload.contactIds)) {
        const user = emu.repos.users.byId(id);
        if (!user) continue;
        if (id !== viewer) {
          if (payload.subscribe) emu.repos.contacts.subscribe(viewer, id);
          else emu.repos.contacts.unsubscribe(viewer, id);
        }
        presence[String(id)] = presenceOf(emu, user, viewer);
      }
      return { presence };
    },
  },
  [Opcode.SET_PRESENCE]: {
    handle: (ctx, payload) => {
      if (payload.hidden === undefined && payload.status === undefined) {
        throw badPayload("status or hidden is required");
      }
      // ONLINE shows the user again; OFFLINE and HIDDEN both make them look offline to others.
      const hidden = payload.hidden ?? payload.status !== "ONLINE";
      setHiddenPresence(ctx.emu, me(ctx), hidden);
      return {};
    },
  },
});
