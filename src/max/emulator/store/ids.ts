import type { Database } from "../../../core/storage.js";

/**
 * Persistent id sequences. Message ids are time-ordered (ms * 1000 + counter) so history
 * queries can page by id; they stay below 2^53 so they survive JSON numbers on any client.
 */
export class IdAllocator {
  private readonly read;
  private readonly write;
  private lastMessageId: number;

  constructor(db: Database) {
    this.read = db.prepare("SELECT value FROM max_sequences WHERE name = ?").pluck();
    this.write = db.prepare(
      "INSERT INTO max_sequences (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
    );
    const maxMessage = db.prepare("SELECT MAX(id) FROM max_messages").pluck().get() as number | null;
    this.lastMessageId = maxMessage ?? 0;
  }

  /** Next value of a named counter starting at `start`. */
  next(name: "user" | "chat" | "file" | "photo" | "video" | "audio", start: number): number {
    const current = (this.read.get(name) as number | undefined) ?? start - 1;
    const value = current + 1;
    this.write.run(name, value);
    return value;
  }

  messageId(now: number): number {
    const candidate = now * 1000;
    this.lastMessageId = candidate > this.lastMessageId ? candidate : this.lastMessageId + 1;
    return this.lastMessageId;
  }
}
