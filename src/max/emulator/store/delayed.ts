import type { Database } from "../../../core/storage.js";

/** A scheduled message, held until `fire_at` (ms). JSON columns as in max_messages. */
export interface DelayedRow {
  id: number;
  chat_id: number;
  sender_id: number;
  cid: number | null;
  text: string;
  elements: string;
  attaches: string;
  link: string | null;
  notify_sender: number;
  fire_at: number;
  created_at: number;
  update_time: number;
}

/** A sender sees at most this many of their scheduled messages in one chat (49 DELAYED). */
export const DELAYED_PER_CHAT_LIMIT = 1_000;

/** Scheduled messages (`max_delayed_messages`): only their sender reads or changes them. */
export class DelayedRepo {
  private readonly s;

  constructor(readonly db: Database) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO max_delayed_messages (id, chat_id, sender_id, cid, text, elements, attaches, link,
           notify_sender, fire_at, created_at, update_time)
         VALUES (@id, @chat_id, @sender_id, @cid, @text, @elements, @attaches, @link, @notify_sender, @fire_at,
           @created_at, @update_time)`,
      ),
      own: db.prepare("SELECT * FROM max_delayed_messages WHERE id = ? AND chat_id = ? AND sender_id = ?"),
      list: db.prepare(
        "SELECT * FROM max_delayed_messages WHERE chat_id = ? AND sender_id = ? ORDER BY fire_at, id LIMIT ?",
      ),
      count: db
        .prepare("SELECT COUNT(*) FROM max_delayed_messages WHERE chat_id = ? AND sender_id = ?")
        .pluck(),
      update: db.prepare(
        `UPDATE max_delayed_messages SET text = @text, elements = @elements, attaches = @attaches,
           notify_sender = @notify_sender, fire_at = @fire_at, update_time = @update_time WHERE id = @id`,
      ),
      remove: db.prepare("DELETE FROM max_delayed_messages WHERE id = ?"),
      due: db.prepare("SELECT * FROM max_delayed_messages WHERE fire_at <= ? ORDER BY fire_at, id LIMIT ?"),
      next: db.prepare("SELECT MIN(fire_at) FROM max_delayed_messages").pluck(),
    };
  }

  insert(row: DelayedRow): void {
    this.s.insert.run(row);
  }

  /** The sender's own held message in this chat, or undefined (others' are never found). */
  own(chatId: number, senderId: number, id: number): DelayedRow | undefined {
    return this.s.own.get(id, chatId, senderId) as DelayedRow | undefined;
  }

  list(chatId: number, senderId: number): DelayedRow[] {
    return this.s.list.all(chatId, senderId, DELAYED_PER_CHAT_LIMIT) as DelayedRow[];
  }

  count(chatId: number, senderId: number): number {
    return this.s.count.get(chatId, senderId) as number;
  }

  update(row: DelayedRow): void {
    this.s.update.run({
      id: row.id,
      text: row.text,
      elements: row.elements,
      attaches: row.attaches,
      notify_sender: row.notify_sender,
      fire_at: row.fire_at,
      update_time: row.update_time,
    });
  }

  /** True when the row was there (a message fires or is cancelled once). */
  remove(id: number): boolean {
    return this.s.remove.run(id).changes > 0;
  }

  /** Held messages whose time has come, oldest first. */
  due(now: number, limit: number): DelayedRow[] {
    return this.s.due.all(now, limit) as DelayedRow[];
  }

  /** The earliest `fire_at` held, or undefined when nothing is. */
  nextFireAt(): number | undefined {
    return (this.s.next.get() as number | null) ?? undefined;
  }
}
