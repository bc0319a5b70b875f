import type { RunResult } from "better-sqlite3";
import type { StatementCache } from "../../../core/emulator/store.js";

/** Messages, each user's inbox, cleared conversations and the transaction_id window. */
export class MessagesStore {
  constructor(private readonly sql: StatementCache) {}

  expireTransactions(createdAt: number): RunResult {
    return this.sql.get("DELETE FROM maxim_transactions WHERE created_at < ?").run(createdAt);
  }
  /**
   * Claims a sender's transaction_id: 0 changes when the same sender used it at or after
   * `windowStart` (a retry), else it is (re)claimed at `createdAt`.
   */
  claimTransaction(
    appId: string,
    fromId: number,
    transactionId: string,
    createdAt: number,
    windowStart: number,
  ): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_transactions (app_id, from_id, transaction_id, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (app_id, from_id, transaction_id) DO UPDATE SET created_at = excluded.created_at
         WHERE maxim_transactions.created_at < ?`,
      )
      .run(appId, fromId, transactionId, createdAt, windowStart);
  }
  clearedUpTo(userId: number, conversationId: number): unknown {
    return this.sql
      .get(`SELECT up_to_msg_id FROM maxim_conversation_cleared WHERE user_id = ? AND conversation_id = ?`)
      .get(userId, conversationId);
  }
  message(msgId: number, appId: string): unknown {
    return this.sql.get("SELECT * FROM maxim_messages WHERE msg_id = ? AND app_id = ?").get(msgId, appId);
  }
  recall(msgId: number): RunResult {
    return this.sql.get("UPDATE maxim_messages SET recalled = 1 WHERE msg_id = ?").run(msgId);
  }
  directPage(
    appId: string,
    msgId: number,
    msgId2: number,
    fromId: number,
    toId: number,
    fromId2: number,
    toId2: number,
    limit: number,
  ): unknown[] {
    // Each direction walks maxim_messages_from backwards and stops after `limit` rows, so a page
    // sorts at most 2 × limit rows however long the conversation (an OR would sort all of it).
    // UNION, not UNION ALL: a user's chat with itself is both directions at once.
    const side = `SELECT * FROM maxim_messages WHERE from_id = ? AND to_id = ? AND msg_id < ? AND msg_id > ?
      AND app_id = ? AND to_type = 1 AND recalled = 0 ORDER BY msg_id DESC LIMIT ?`;
    return this.sql
      .get(`SELECT * FROM (${side}) UNION SELECT * FROM (${side}) ORDER BY msg_id DESC LIMIT ?`)
      .all(fromId, toId, msgId, msgId2, appId, limit, fromId2, toId2, msgId, msgId2, appId, limit, limit);
  }
  groupPage(toId: number, msgId: number, msgId2: number, createdAt: number, limit: number): unknown[] {
    return this.sql
      .get(
        `SELECT * FROM maxim_messages WHERE to_type = 2 AND to_id = ? AND recalled = 0 AND msg_id < ? AND msg_id > ? AND created_at >= ? ORDER BY msg_id DESC LIMIT ?`,
      )
      .all(toId, msgId, msgId2, createdAt, limit);
  }
  unreadCounts(userId: number): unknown[] {
    return this.sql
      .get(
        `SELECT i.conversation_id AS uid, COUNT(*) AS num FROM maxim_inbox i JOIN maxim_messages m ON m.msg_id = i.msg_id WHERE i.user_id = ? AND i.read = 0 AND m.recalled = 0 GROUP BY i.conversation_id ORDER BY MAX(i.msg_id) DESC`,
      )
      .all(userId);
  }
  markRead(userId: number, conversationId: number, msgId: number): RunResult {
    return this.sql
      .get(
        `UPDATE maxim_inbox SET read = 1 WHERE user_id = ? AND read = 0 AND conversation_id = ? AND msg_id <= ?`,
      )
      .run(userId, conversationId, msgId);
  }
  /** The highest message id of any app (one global sequence): the rowid's end, no scan. */
  lastMsgId(): unknown {
    return this.sql.get("SELECT MAX(msg_id) AS n FROM maxim_messages").get();
  }
  setClearedUpTo(userId: number, conversationId: number, upToMsgId: number): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_conversation_cleared (user_id, conversation_id, up_to_msg_id) VALUES (?, ?, ?) ON CONFLICT (user_id, conversation_id) DO UPDATE SET up_to_msg_id = excluded.up_to_msg_id`,
      )
      .run(userId, conversationId, upToMsgId);
  }
  clearInbox(userId: number, conversationId: number): RunResult {
    return this.sql
      .get("DELETE FROM maxim_inbox WHERE user_id = ? AND read IN (0, 1) AND conversation_id = ?")
      .run(userId, conversationId);
  }

  insertMessage(
    msgId: number,
    appId: string,
    fromId: number,
    toId: number,
    toType: number,
    contentType: number,
    content: string,
    attachment: string | null,
    ext: string | null,
    config: string | null,
    createdAt: number,
    kind: string,
  ): RunResult {
    return this.sql
      .get(`INSERT INTO maxim_messages (msg_id, app_id, from_id, to_id, to_type, content_type, content, attachment, ext, config, created_at, kind)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(
        msgId,
        appId,
        fromId,
        toId,
        toType,
        contentType,
        content,
        attachment,
        ext,
        config,
        createdAt,
        kind,
      );
  }

  /** Puts a message in a user's inbox (user_id, conversation_id, msg_id, read). */
  deliver(userId: number, conversationId: number, msgId: number, read: number): RunResult {
    return this.sql
      .get("INSERT OR IGNORE INTO maxim_inbox (user_id, conversation_id, msg_id, read) VALUES (?, ?, ?, ?)")
      .run(userId, conversationId, msgId, read);
  }

  readFlag(userId: number, msgId: number): unknown {
    return this.sql.get("SELECT read FROM maxim_inbox WHERE user_id = ? AND msg_id = ?").get(userId, msgId);
  }
}
