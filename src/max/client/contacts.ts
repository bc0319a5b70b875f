/** Users, the contact list and presence (32, 34, 35, 36). */
import type { CallOptions } from "../../core/call.js";
import { ApiError } from "../../core/errors.js";
import type { MaxEngine } from "./engine.js";
import { isObject, listOf, type MaxUser, toMaxUser } from "./types.js";

export type ContactAction = "ADD" | "REMOVE" | "BLOCK" | "UNBLOCK" | "UPDATE";

export async function getUsers(e: MaxEngine, userIds: number[], options: CallOptions): Promise<MaxUser[]> {
  return listOf(await e.call("getContacts", { contactIds: userIds }, options), "contacts", toMaxUser);
}

/** The contact list: from the login answer, refreshed through 32. */
export async function getContacts(e: MaxEngine, options: CallOptions): Promise<MaxUser[]> {
  if (e.contacts.length === 0) return [];
  e.contacts = await getUsers(
    e,
    e.contacts.map((c) => c.id),
    options,
  );
  return e.contacts;
}

export async function contactAction(
  e: MaxEngine,
  contactId: number,
  action: ContactAction,
  names: { firstName?: string; lastName?: string },
  options: CallOptions,
): Promise<MaxUser> {
  const a = await e.call("contactAction", { contactId, action, ...names }, options);
  const user = toMaxUser(a.contact);
  if (!user) throw new ApiError("contact answer had no contact", { platform: "max", code: "bad_answer" });
  return user;
}

export async function subscribePresence(
  e: MaxEngine,
  userIds: number[],
  options: CallOptions & { subscribe?: boolean },
): Promise<Record<string, { seen?: number; status?: number }>> {
  const a = await e.call(
    "presenceSubscribe",
    { contactIds: userIds, subscribe: options.subscribe ?? true },
    options,
  );
  return (isObject(a.presence) ? a.presence : {}) as Record<string, { seen?: number; status?: number }>;
}
