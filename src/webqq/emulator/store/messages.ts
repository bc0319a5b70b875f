/** Messages and pictures at rest (`webqq_messages`, `webqq_files`). */
import type { Database } from "../../../core/storage.js";
import { stmt } from "./statements.js";

/** Stores a message once per sender + clientid + msg_id; false when it was there already. */
export function insertMessage(
  db: Database,
  m: {
    kind: string;
    from: number;
    target: number;
    clientid: string;
    clientMsgId: number;
    content: string;
    now: number;
  },
): boolean {
  return db.transaction(() => {
    const r = stmt(
      db,
      `INSERT OR IGNORE INTO webqq_messages (kind, from_qq, target, clientid, client_msg_id, content, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(m.kind, m.from, m.target, m.clientid, m.clientMsgId, m.content, m.now);
    return r.changes === 1;
  })();
}

/** The latest chats of `qq` (its own sends, and buddy / sess messages to it), newest first. */
export function recentChats(db: Database, qq: number): { kind: string; target: number; from_qq: number }[] {
  return stmt(
    db,
    `SELECT kind, target, from_qq, MAX(id) AS last FROM webqq_messages
     WHERE from_qq = ? OR (kind IN ('buddy','sess') AND target = ?)
     GROUP BY kind, CASE WHEN from_qq = ? THEN target ELSE from_qq END ORDER BY last DESC LIMIT 50`,
  ).all(qq, qq, qq) as { kind: string; target: number; from_qq: number }[];
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
