/** Messages and pictures at rest (`webqq_messages`, `webqq_files`). */
import type { Database } from "../../../core/storage.js";
import { stmt } from "./statements.js";

/** How long and how many sends (per sender + clientid) are remembered for de-duplication. */
export interface DedupLimits {
  windowMs: number;
  maxPerClient: number;
}

/**
 * Stores a message unless it repeats a send remembered for sender + clientid + msg_id + content
 * (false then). What is remembered is pruned here: entries older than `windowMs` (the injected
 * clock) and, when `trim`, per sender + clientid all but the newest `maxPerClient` (an index
 * scan of that many rows, so callers trim every few sends). One transaction.
 */
export function insertMessage(
  db: Database,
  m: {
    kind: string;
    from: number;
    target: number;
    clientid: string;
    clientMsgId: number;
    contentHash: string;
    content: string;
    now: number;
  },
  limits: DedupLimits,
  /** Trim the sender + clientid scope to `maxPerClient` now (the caller amortises this). */
  trim = true,
): boolean {
  return db.transaction(() => {
    stmt(db, "DELETE FROM webqq_send_ids WHERE created_at < ?").run(m.now - limits.windowMs);
    const fresh = stmt(
      db,
      `INSERT OR IGNORE INTO webqq_send_ids (from_qq, clientid, client_msg_id, content_hash, created_at)
       VALUES (?, ?, ?, ?, ?)`,
    ).run(m.from, m.clientid, m.clientMsgId, m.contentHash, m.now);
    if (fresh.changes !== 1) return false;
    stmt(
      db,
      `INSERT INTO webqq_messages (kind, from_qq, target, clientid, client_msg_id, content, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(m.kind, m.from, m.target, m.clientid, m.clientMsgId, m.content, m.now);
    if (!trim) return true;
    stmt(
      db,
      `DELETE FROM webqq_send_ids WHERE from_qq = ? AND clientid = ? AND seq <= (
         SELECT seq FROM webqq_send_ids WHERE from_qq = ? AND clientid = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
    ).run(m.from, m.clientid, m.from, m.clientid, limits.maxPerClient);
    return true;
  })();
}

/** How many of the newest messages (sent, and received) `recentChats` looks at. */
export const RECENT_SCAN = 1000;

/**
 * The latest chats of `qq` (its own sends, and buddy / sess messages to it), newest first.
 * Bounded: only the newest RECENT_SCAN messages each way are looked at (index range scans), so
 * the cost does not grow with the account's history.
 */
export const RECENT_CHATS_SQL = `SELECT kind, target, from_qq, MAX(id) AS last FROM (
       SELECT * FROM (SELECT id, kind, target, from_qq FROM webqq_messages WHERE from_qq = ?
                      ORDER BY id DESC LIMIT ${RECENT_SCAN})
       UNION ALL
       SELECT * FROM (SELECT id, kind, target, from_qq FROM webqq_messages
                      WHERE target = ? AND kind IN ('buddy','sess') ORDER BY id DESC LIMIT ${RECENT_SCAN}))
     GROUP BY kind, CASE WHEN from_qq = ? THEN target ELSE from_qq END ORDER BY last DESC LIMIT 50`;

export function recentChats(db: Database, qq: number): { kind: string; target: number; from_qq: number }[] {
  return stmt(db, RECENT_CHATS_SQL).all(qq, qq, qq) as { kind: string; target: number; from_qq: number }[];
}

export function countMessages(db: Database): number {
  return (stmt(db, "SELECT COUNT(*) AS n FROM webqq_messages").get() as { n: number }).n;
}

export type FileKind = "cface" | "offpic";

export function fileExists(db: Database, name: string, kind: FileKind): boolean {
  const sql =
    kind === "cface"
      ? "SELECT size FROM webqq_files WHERE name = ? AND kind = 'cface'"
      : "SELECT size FROM webqq_files WHERE name = ? AND kind = 'offpic'";
  return stmt(db, sql).get(name) !== undefined;
}

export function fileData(db: Database, name: string, kind: FileKind): Buffer | undefined {
  const sql =
    kind === "cface"
      ? "SELECT data FROM webqq_files WHERE name = ? AND kind = 'cface'"
      : "SELECT data FROM webqq_files WHERE name = ? AND kind = 'offpic'";
  return (stmt(db, sql).get(name) as { data: Buffer } | undefined)?.data;
}

/** A cface is stored once per name (false when it was there); an offpic always gets a new path. */
export function insertFile(
  db: Database,
  f: { name: string; kind: FileKind; owner: number; data: Buffer; now: number },
): boolean {
  const sql =
    f.kind === "cface"
      ? `INSERT OR IGNORE INTO webqq_files (name, kind, owner, data, size, created_at) VALUES (?, 'cface', ?, ?, ?, ?)`
      : `INSERT INTO webqq_files (name, kind, owner, data, size, created_at) VALUES (?, 'offpic', ?, ?, ?, ?)`;
  return stmt(db, sql).run(f.name, f.owner, f.data, f.data.length, f.now).changes === 1;
}
