import type { Database } from "../../../core/storage.js";

export interface MessageRow {
  id: number;
  chat_id: number;
  sender_id: number;
  time: number;
  type: string;
  text: string;
  cid: number | null;
  elements: string;
  attaches: string;
  link: string | null;
  status: string | null;
  update_time: number | null;
}

/** The wire's message object (ids as strings, time in ms). */
export interface WireMessage {
  id: string;
  time: number;
  sender: number;
  text: string;
  type: string;
  cid?: number;
  elements: unknown[];
  attaches: Record<string, unknown>[];
  link?: Record<string, unknown>;
  status?: "EDITED" | "REMOVED";
  updateTime?: number;
  reactionInfo?: ReactionInfo;
}

export interface ReactionInfo {
  totalCount: number;
  counters: { reaction: string; count: number }[];
  yourReaction?: string;
}

/** Visibility of a chat's messages for one member. */
export interface Viewer {
  userId: number;
  /** Messages older than this are not shown (joined with `showHistory: false`). */
  historyFrom: number;
}

const VISIBLE = `(m.status IS NULL OR m.status <> 'REMOVED') AND m.time >= @historyFrom
  AND NOT EXISTS (SELECT 1 FROM max_hidden_messages h WHERE h.user_id = @userId AND h.message_id = m.id)`;

/** Messages a search (opcode 90) considers: the newest this many of the chat (or of the store). */
export const SEARCH_SCAN_CAP = 10_000;
/** Unread counters (chat lists, login) stop here: a chat list costs at most this per chat. */
export const UNREAD_CAP = 1_000;
/** `total` of a search answer counts at most this many matches. */
export const SEARCH_TOTAL_CAP = 1_000;

const SEARCH_FILTER = `instr(max_fold(m.text), @query) > 0
  AND (m.status IS NULL OR m.status <> 'REMOVED') AND m.time >= mm.history_from
  AND NOT EXISTS (SELECT 1 FROM max_hidden_messages h WHERE h.user_id = @userId AND h.message_id = m.id)`;

/** Messages, per-user hiding and reactions (`max_messages`, `max_hidden_messages`, `max_reactions`). */
export class MessagesRepo {
  private readonly s;

  constructor(readonly db: Database) {
    // Case folding that also covers Cyrillic (SQLite's LIKE / lower() fold ASCII only).
    db.function("max_fold", { deterministic: true }, (text: unknown) => String(text ?? "").toLowerCase());
    this.s = {
      insert: db.prepare(
        `INSERT INTO max_messages (id, chat_id, sender_id, time, type, text, cid, elements, attaches, link)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      inChat: db.prepare("SELECT * FROM max_messages WHERE id = ? AND chat_id = ?"),
      visible: db.prepare(
        `SELECT m.* FROM max_messages m WHERE m.id = @id AND m.chat_id = @chatId AND ${VISIBLE}`,
      ),
      backward: db.prepare(
        `SELECT m.* FROM max_messages m WHERE m.chat_id = @chatId AND m.time <= @from AND ${VISIBLE}
         ORDER BY m.time DESC, m.id DESC LIMIT @limit`,
      ),
      forward: db.prepare(
        `SELECT m.* FROM max_messages m WHERE m.chat_id = @chatId AND m.time > @from AND ${VISIBLE}
         ORDER BY m.time, m.id LIMIT @limit`,
      ),
      last: db.prepare(
        `SELECT m.* FROM max_messages m WHERE m.chat_id = @chatId AND ${VISIBLE} ORDER BY m.time DESC, m.id DESC LIMIT 1`,
      ),
      lastAny: db.prepare(
        `SELECT * FROM max_messages WHERE chat_id = ? AND (status IS NULL OR status <> 'REMOVED')
         ORDER BY time DESC, id DESC LIMIT 1`,
      ),
      unread: db
        .prepare(
          `SELECT COUNT(*) FROM (SELECT 1 FROM max_messages m WHERE m.chat_id = @chatId AND m.time > @mark
           AND m.sender_id <> @userId AND ${VISIBLE} LIMIT ${UNREAD_CAP})`,
        )
        .pluck(),
      edit: db.prepare(
        "UPDATE max_messages SET text = ?, elements = ?, attaches = ?, status = 'EDITED', update_time = ? WHERE id = ?",
      ),
      remove: db.prepare(
        `UPDATE max_messages SET status = 'REMOVED', text = '', elements = '[]', attaches = '[]', link = NULL,
           update_time = ? WHERE id = ?`,
      ),
      hide: db.prepare("INSERT OR IGNORE INTO max_hidden_messages (user_id, message_id) VALUES (?, ?)"),
      // Candidates: the newest SEARCH_SCAN_CAP messages of the chat (or of the whole store), then
      // the viewer's filters and the exact, Cyrillic-aware substring test; at most SEARCH_TOTAL_CAP
      // rows come back. A full-text index would find older matches but costs every send an
      // index update (it halved opcode 64 throughput), so search stays a bounded scan.
      searchRecentInChat: db.prepare(
        `SELECT m.* FROM (SELECT id FROM max_messages WHERE chat_id = @chatId ORDER BY time DESC, id DESC
           LIMIT @scan) f
         CROSS JOIN max_messages m ON m.id = f.id
         CROSS JOIN max_members mm ON mm.chat_id = m.chat_id AND mm.user_id = @userId
         WHERE ${SEARCH_FILTER}
         ORDER BY m.time DESC, m.id DESC LIMIT @cap`,
      ),
      searchRecent: db.prepare(
        `SELECT m.* FROM (SELECT id FROM max_messages ORDER BY id DESC LIMIT @scan) f
         CROSS JOIN max_messages m ON m.id = f.id
         CROSS JOIN max_members mm ON mm.chat_id = m.chat_id AND mm.user_id = @userId
         WHERE ${SEARCH_FILTER}
         ORDER BY m.id DESC LIMIT @cap`,
      ),
      setReaction: db.prepare(
        `INSERT INTO max_reactions (message_id, user_id, reaction, time) VALUES (?, ?, ?, ?)
         ON CONFLICT(message_id, user_id) DO UPDATE SET reaction = excluded.reaction, time = excluded.time`,
      ),
      removeReaction: db.prepare("DELETE FROM max_reactions WHERE message_id = ? AND user_id = ?"),
      count: db.prepare("SELECT COUNT(*) FROM max_messages").pluck(),
      counters: db.prepare(
        `SELECT reaction, COUNT(*) AS count, MIN(time) AS first FROM max_reactions WHERE message_id = ?
         GROUP BY reaction ORDER BY count DESC, first`,
      ),
      yourReaction: db
        .prepare("SELECT reaction FROM max_reactions WHERE message_id = ? AND user_id = ?")
        .pluck(),
      reactionsOf: db.prepare(
        "SELECT user_id, reaction, time FROM max_reactions WHERE message_id = ? ORDER BY time, user_id LIMIT ?",
      ),
      hasReactions: db.prepare("SELECT 1 FROM max_reactions WHERE message_id = ? LIMIT 1").pluck(),
    };
  }

  /** Every stored message (benchmarks check nothing was lost). */
  count(): number {
    return this.s.count.get() as number;
  }

  insert(row: Omit<MessageRow, "status" | "update_time">): void {
    this.s.insert.run(
      row.id,
      row.chat_id,
      row.sender_id,
      row.time,
      row.type,
      row.text,
      row.cid,
      row.elements,
      row.attaches,
      row.link,
    );
  }

  /** A message of a chat whatever its state (edit / delete permission checks). */
  inChat(chatId: number, id: number): MessageRow | undefined {
    return this.s.inChat.get(id, chatId) as MessageRow | undefined;
  }

  /** A message the viewer can see: not removed, not hidden for them, not before their history start. */
  visible(chatId: number, id: number, viewer: Viewer): MessageRow | undefined {
    return this.s.visible.get({ id, chatId, ...viewer }) as MessageRow | undefined;
  }

  /** History around `from` (ms): `backward` at or before it, `forward` after it; oldest first. */
  history(chatId: number, viewer: Viewer, from: number, backward: number, forward: number): MessageRow[] {
    const before =
      backward > 0 ? (this.s.backward.all({ chatId, from, limit: backward, ...viewer }) as MessageRow[]) : [];
    const after =
      forward > 0 ? (this.s.forward.all({ chatId, from, limit: forward, ...viewer }) as MessageRow[]) : [];
    return [...before.reverse(), ...after];
  }

  last(chatId: number, viewer?: Viewer): MessageRow | undefined {
    if (!viewer) return this.s.lastAny.get(chatId) as MessageRow | undefined;
    return this.s.last.get({ chatId, ...viewer }) as MessageRow | undefined;
  }

  /** Messages of others after `mark` that the viewer can see, at most UNREAD_CAP. */
  unread(chatId: number, viewer: Viewer, mark: number): number {
    return this.s.unread.get({ chatId, mark, ...viewer }) as number;
  }

  edit(id: number, text: string, elements: string, attaches: string, now: number): void {
    this.s.edit.run(text, elements, attaches, now, id);
  }

  /** Deletes for everyone: the content is dropped, a REMOVED tombstone stays. */
  remove(id: number, now: number): void {
    this.s.remove.run(now, id);
  }

  hide(userId: number, id: number): void {
    this.s.hide.run(userId, id);
  }

  /** Hides for `userId` every message of the chat stored at exactly `time` (a clear's last millisecond). */
  hideAtTime(chatId: number, userId: number, time: number): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO max_hidden_messages (user_id, message_id)
         SELECT ?, id FROM max_messages WHERE chat_id = ? AND time = ?`,
      )
      .run(userId, chatId, time);
  }

  /**
   * Case-insensitive substring search over what `userId` can see; newest first. Bounded cost:
   * the newest SEARCH_SCAN_CAP messages are the candidates, and `total` stops at SEARCH_TOTAL_CAP.
   */
  search(
    userId: number,
    query: string,
    chatId: number | undefined,
    limit: number,
  ): { rows: MessageRow[]; total: number } {
    const folded = query.toLowerCase();
    const params = {
      userId,
      chatId: chatId ?? null,
      query: folded,
      scan: SEARCH_SCAN_CAP,
      cap: SEARCH_TOTAL_CAP,
    };
    const statement = chatId === undefined ? this.s.searchRecent : this.s.searchRecentInChat;
    const rows: MessageRow[] = [];
    let total = 0;
    for (const row of statement.iterate(params)) {
      if (rows.length < limit) rows.push(row as MessageRow);
      total++;
    }
    return { rows, total };
  }

  setReaction(id: number, userId: number, reaction: string, now: number): void {
    this.s.setReaction.run(id, userId, reaction, now);
  }

  removeReaction(id: number, userId: number): boolean {
    return this.s.removeReaction.run(id, userId).changes > 0;
  }

  hasReactions(id: number): boolean {
    return this.s.hasReactions.get(id) !== undefined;
  }

  reactionInfo(id: number, userId?: number): ReactionInfo {
    const counters = (this.s.counters.all(id) as { reaction: string; count: number }[]).map((c) => ({
      reaction: c.reaction,
      count: c.count,
    }));
    const info: ReactionInfo = { totalCount: counters.reduce((n, c) => n + c.count, 0), counters };
    if (userId !== undefined) {
      const mine = this.s.yourReaction.get(id, userId) as string | undefined;
      if (mine !== undefined) info.yourReaction = mine;
    }
    return info;
  }

  reactionsOf(id: number, limit: number): { userId: number; reaction: string; time: number }[] {
    return (this.s.reactionsOf.all(id, limit) as { user_id: number; reaction: string; time: number }[]).map(
      (r) => ({
        userId: r.user_id,
        reaction: r.reaction,
        time: r.time,
      }),
    );
  }

  toWire(row: MessageRow): WireMessage {
    const msg: WireMessage = {
      id: String(row.id),
      time: row.time,
      sender: row.sender_id,
      text: row.text,
      type: row.type,
      elements: JSON.parse(row.elements) as unknown[],
      attaches: JSON.parse(row.attaches) as Record<string, unknown>[],
    };
    if (row.cid !== null) msg.cid = row.cid;
    if (row.link) msg.link = JSON.parse(row.link) as Record<string, unknown>;
    if (row.status === "EDITED" || row.status === "REMOVED") msg.status = row.status;
    if (row.update_time !== null) msg.updateTime = row.update_time;
    return msg;
  }
}
