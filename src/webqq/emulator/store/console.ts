/** The console's reads of the WebQQ tables (accounts, chats, history, files). */
import type { Database } from "../../../core/storage.js";

/** What the console does with a prepared statement (a named type, so declarations can be emitted). */
export interface ConsoleStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

const prep = (db: Database, sql: string): ConsoleStatement => db.prepare(sql);

/** Prepared once per provider; every SQL statement the console runs. */
export function consoleQueries(db: Database) {
  return {
    account: prep(db, "SELECT qq, uin, nick, captcha, blocked FROM webqq_accounts WHERE qq = ?"),
    accounts: prep(db, "SELECT qq, uin, nick, captcha, blocked FROM webqq_accounts ORDER BY qq LIMIT 1000"),
    captchaAccounts: prep(db, "SELECT qq FROM webqq_accounts WHERE captcha = 1 LIMIT 1000"),
    accountsTable: prep(
      db,
      `SELECT a.qq, a.uin, a.nick, a.long_nick, a.captcha, a.blocked, a.created_at,
       (SELECT COUNT(*) FROM webqq_friends f WHERE f.qq = a.qq) AS friends,
       (SELECT COUNT(*) FROM webqq_group_members m WHERE m.qq = a.qq) AS groups,
       (SELECT COUNT(*) FROM webqq_discu_members d WHERE d.qq = a.qq) AS discussions
     FROM webqq_accounts a ORDER BY a.qq LIMIT 1000`,
    ),
    online: prep(
      db,
      "SELECT DISTINCT qq FROM webqq_sessions WHERE state = 'active' AND created_at >= ? LIMIT 10000",
    ),
    sessions: prep(
      db,
      `SELECT s.qq, a.nick, s.clientid, s.status, s.created_at FROM webqq_sessions s
     LEFT JOIN webqq_accounts a ON a.qq = s.qq
     WHERE s.state = 'active' AND s.created_at >= ? ORDER BY s.created_at DESC LIMIT 1000`,
    ),
    friendsOf: prep(
      db,
      `SELECT f.friend AS qq, f.markname, a.nick FROM webqq_friends f
     JOIN webqq_accounts a ON a.qq = f.friend WHERE f.qq = ? ORDER BY f.friend LIMIT 2000`,
    ),
    friendPairs: prep(
      db,
      `SELECT f.qq AS a, f.friend AS b, x.nick AS a_nick, y.nick AS b_nick FROM webqq_friends f
     JOIN webqq_accounts x ON x.qq = f.qq JOIN webqq_accounts y ON y.qq = f.friend
     WHERE f.qq < f.friend ORDER BY f.qq, f.friend LIMIT 2000`,
    ),
    groups: prep(
      db,
      `SELECT g.gid, g.code, g.account, g.name, g.owner, g.created_at,
       (SELECT COUNT(*) FROM webqq_group_members m WHERE m.gid = g.gid) AS members
     FROM webqq_groups g ORDER BY g.created_at, g.gid LIMIT 1000`,
    ),
    groupsOf: prep(
      db,
      `SELECT g.gid, g.name, (SELECT COUNT(*) FROM webqq_group_members c WHERE c.gid = g.gid) AS members
     FROM webqq_groups g JOIN webqq_group_members m ON m.gid = g.gid WHERE m.qq = ?
     ORDER BY g.gid LIMIT 1000`,
    ),
    group: prep(db, "SELECT gid FROM webqq_groups WHERE gid = ?"),
    groupMember: prep(db, "SELECT 1 FROM webqq_group_members WHERE gid = ? AND qq = ?"),
    discus: prep(
      db,
      `SELECT d.did, d.name, d.owner, d.created_at,
       (SELECT COUNT(*) FROM webqq_discu_members m WHERE m.did = d.did) AS members
     FROM webqq_discus d ORDER BY d.created_at, d.did LIMIT 1000`,
    ),
    discusOf: prep(
      db,
      `SELECT d.did, d.name, (SELECT COUNT(*) FROM webqq_discu_members c WHERE c.did = d.did) AS members
     FROM webqq_discus d JOIN webqq_discu_members m ON m.did = d.did WHERE m.qq = ?
     ORDER BY d.did LIMIT 1000`,
    ),
    discu: prep(db, "SELECT did FROM webqq_discus WHERE did = ?"),
    discuMember: prep(db, "SELECT 1 FROM webqq_discu_members WHERE did = ? AND qq = ?"),
    pairActivity: prep(
      db,
      `SELECT kind, MIN(from_qq, target) AS lo, MAX(from_qq, target) AS hi, MAX(created_at) AS last
     FROM webqq_messages WHERE kind IN ('buddy', 'sess') GROUP BY kind, lo, hi`,
    ),
    targetActivity: prep(
      db,
      `SELECT kind, target, MAX(created_at) AS last FROM webqq_messages
     WHERE kind IN ('group', 'discu') GROUP BY kind, target`,
    ),
    pairHistory: prep(
      db,
      `SELECT id, kind, from_qq, target, content, created_at FROM webqq_messages
     WHERE kind = ? AND ((from_qq = ? AND target = ?) OR (from_qq = ? AND target = ?))
     ORDER BY id DESC LIMIT ?`,
    ),
    targetHistory: prep(
      db,
      `SELECT id, kind, from_qq, target, content, created_at FROM webqq_messages
     WHERE kind = ? AND target = ? ORDER BY id DESC LIMIT ?`,
    ),
    files: prep(
      db,
      `SELECT name, kind, owner, size, created_at, substr(data, 1, 12) AS head
     FROM webqq_files ORDER BY created_at DESC, name LIMIT 1000`,
    ),
    fileHead: prep(db, "SELECT substr(data, 1, 12) AS head FROM webqq_files WHERE name = ? AND kind = ?"),
    fileData: prep(db, "SELECT data FROM webqq_files WHERE name = ? AND kind = ?"),
    lastSandboxMessage: prep(
      db,
      "SELECT id FROM webqq_messages WHERE from_qq = ? AND clientid = 'sandbox' ORDER BY id DESC LIMIT 1",
    ),
  };
}

export type ConsoleQueries = ReturnType<typeof consoleQueries>;
