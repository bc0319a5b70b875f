import type { Database } from "../../../core/storage.js";

/**
 * `max_contacts.status` holds both facts an owner keeps about another user: whether they are in
 * the contact list and whether they are blocked. `REMOVED` rows stay as tombstones so a client
 * syncing with `contactsSync` learns about removals.
 */
export type ContactStatus = "CONTACT" | "CONTACT_BLOCKED" | "BLOCKED" | "REMOVED";

export interface ContactRow {
  owner_id: number;
  contact_id: number;
  status: ContactStatus;
  first_name: string | null;
  last_name: string | null;
  updated_at: number;
}

export const isContactStatus = (s: ContactStatus | undefined): boolean =>
  s === "CONTACT" || s === "CONTACT_BLOCKED";
export const isBlockedStatus = (s: ContactStatus | undefined): boolean =>
  s === "BLOCKED" || s === "CONTACT_BLOCKED";

/** Contact lists, blocks and presence subscriptions (`max_contacts`, `max_presence_subs`). */
export class ContactsRepo {
  private readonly s;

  constructor(readonly db: Database) {
    this.s = {
      get: db.prepare("SELECT * FROM max_contacts WHERE owner_id = ? AND contact_id = ?"),
      upsert: db.prepare(
        `INSERT INTO max_contacts (owner_id, contact_id, status, first_name, last_name, updated_at)
         VALUES (@owner, @contact, @status, @first, @last, @now)
         ON CONFLICT(owner_id, contact_id) DO UPDATE SET status = excluded.status,
           first_name = excluded.first_name, last_name = excluded.last_name, updated_at = excluded.updated_at`,
      ),
      listLive: db.prepare(
        "SELECT * FROM max_contacts WHERE owner_id = ? AND status != 'REMOVED' ORDER BY updated_at, contact_id",
      ),
      listSince: db.prepare(
        "SELECT * FROM max_contacts WHERE owner_id = ? AND updated_at > ? ORDER BY updated_at, contact_id",
      ),
      contactIdsOf: db
        .prepare(
          "SELECT contact_id FROM max_contacts WHERE owner_id = ? AND status IN ('CONTACT', 'CONTACT_BLOCKED')",
        )
        .pluck(),
      ownersOf: db
        .prepare(
          "SELECT owner_id FROM max_contacts WHERE contact_id = ? AND status IN ('CONTACT', 'CONTACT_BLOCKED')",
        )
        .pluck(),
      blockedBy: db
        .prepare(
          "SELECT contact_id FROM max_contacts WHERE owner_id = ? AND status IN ('BLOCKED', 'CONTACT_BLOCKED')",
        )
        .pluck(),
      subscribe: db.prepare("INSERT OR IGNORE INTO max_presence_subs (user_id, target_id) VALUES (?, ?)"),
      unsubscribe: db.prepare("DELETE FROM max_presence_subs WHERE user_id = ? AND target_id = ?"),
      subscribersOf: db.prepare("SELECT user_id FROM max_presence_subs WHERE target_id = ?").pluck(),
      // Photos are uploaded through the files area; a profile photo only needs the id behind a token.
      photoByToken: db
        .prepare("SELECT id FROM max_files WHERE token = ? AND kind = 'photo' AND state = 'COMPLETE'")
        .pluck(),
    };
  }

  /**
   * Whom each owner has blocked, read once per owner: every 64 into a dialog asks, and a SQLite
   * read per message was a twentieth of the send path. Dropped on every write (put), and not
   * kept while a transaction is open (it could still roll back).
   */
  private readonly blocked = new Map<number, ReadonlySet<number>>();

  /** True when `ownerId` has blocked `otherId`. */
  isBlocked(ownerId: number, otherId: number): boolean {
    let set = this.blocked.get(ownerId);
    if (!set) {
      set = new Set(this.blockedBy(ownerId));
      if (!this.db.inTransaction) this.blocked.set(ownerId, set);
    }
    return set.has(otherId);
  }

  get(ownerId: number, contactId: number): ContactRow | undefined {
    return this.s.get.get(ownerId, contactId) as ContactRow | undefined;
  }

  put(
    ownerId: number,
    contactId: number,
    status: ContactStatus,
    names: { firstName: string | null; lastName: string | null },
    now: number,
  ): ContactRow {
    this.blocked.delete(ownerId);
    this.s.upsert.run({
      owner: ownerId,
      contact: contactId,
      status,
      first: names.firstName,
      last: names.lastName,
      now,
    });
    return this.get(ownerId, contactId) as ContactRow;
  }

  /** The owner's list for a login answer: everything live, or every change (tombstones too) after `since`. */
  list(ownerId: number, since: number): ContactRow[] {
    return (since > 0 ? this.s.listSince.all(ownerId, since) : this.s.listLive.all(ownerId)) as ContactRow[];
  }

  contactIdsOf(ownerId: number): number[] {
    return this.s.contactIdsOf.all(ownerId) as number[];
  }

  /** Users who have `contactId` in their contact list. */
  ownersOf(contactId: number): number[] {
    return this.s.ownersOf.all(contactId) as number[];
  }

  blockedBy(ownerId: number): number[] {
    return this.s.blockedBy.all(ownerId) as number[];
  }

  subscribe(userId: number, targetId: number): void {
    this.s.subscribe.run(userId, targetId);
  }

  unsubscribe(userId: number, targetId: number): void {
    this.s.unsubscribe.run(userId, targetId);
  }

  subscribersOf(targetId: number): number[] {
    return this.s.subscribersOf.all(targetId) as number[];
  }

  photoIdByToken(token: string): number | undefined {
    return this.s.photoByToken.get(token) as number | undefined;
  }
}
