import type { Database } from "../../../core/storage.js";
import type { ChatRow } from "./chats.js";

/** Where an inline keyboard lives: its `callbackId` names it in a press (118). */
export interface KeyboardRow {
  callback_id: string;
  chat_id: number;
  message_id: number;
}

/** Bot bookkeeping of the shared world: keyboards of messages and who started which bot. */
export class BotsRepo {
  private readonly s;

  constructor(readonly db: Database) {
    this.s = {
      insertKeyboard: db.prepare(
        "INSERT OR REPLACE INTO max_keyboards (callback_id, chat_id, message_id) VALUES (?, ?, ?)",
      ),
      keyboard: db.prepare("SELECT * FROM max_keyboards WHERE callback_id = ?"),
      insertStart: db.prepare(
        `INSERT INTO max_bot_starts (bot_id, user_id, chat_id, payload, started_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(bot_id, user_id) DO UPDATE SET chat_id = excluded.chat_id, payload = excluded.payload,
           started_at = excluded.started_at`,
      ),
      chatsPage: db.prepare(
        `SELECT c.* FROM max_members m JOIN max_chats c ON c.id = m.chat_id
         WHERE m.user_id = @userId AND (@time IS NULL OR c.last_event_time < @time
           OR (c.last_event_time = @time AND c.id < @id))
         ORDER BY c.last_event_time DESC, c.id DESC LIMIT @limit`,
      ),
      forgetStart: db.prepare("DELETE FROM max_bot_starts WHERE bot_id = ? AND user_id = ?"),
      started: db.prepare("SELECT 1 FROM max_bot_starts WHERE bot_id = ? AND user_id = ?").pluck(),
    };
  }

  addKeyboard(callbackId: string, chatId: number, messageId: number): void {
    this.s.insertKeyboard.run(callbackId, chatId, messageId);
  }

  keyboard(callbackId: string): KeyboardRow | undefined {
    return this.s.keyboard.get(callbackId) as KeyboardRow | undefined;
  }

  /** A user's chats, newest event first, after the chat `after` of the previous page. */
  chatsPage(userId: number, after: ChatRow | undefined, limit: number): ChatRow[] {
    return this.s.chatsPage.all({
      userId,
      time: after ? after.last_event_time : null,
      id: after ? after.id : null,
      limit,
    }) as ChatRow[];
  }

  hasStarted(botId: number, userId: number): boolean {
    return this.s.started.get(botId, userId) !== undefined;
  }

  forgetStart(botId: number, userId: number): void {
    this.s.forgetStart.run(botId, userId);
  }

  recordStart(botId: number, userId: number, chatId: number, payload: string | null, now: number): void {
    this.s.insertStart.run(botId, userId, chatId, payload, now);
  }
}
