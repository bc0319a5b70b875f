/** Accounts, friends, groups and discussions (`webqq_accounts`, `_categories`, `_friends`, `_groups`, `_group_members`, `_discus`, `_discu_members`). */
import type { Database } from "../../../core/storage.js";
import type { AccountRow, DiscuRow, GroupRow } from "../context.js";
import { stmt } from "./statements.js";

export function accountByQq(db: Database, qq: number): AccountRow | undefined {
  return stmt(db, "SELECT * FROM webqq_accounts WHERE qq = ?").get(qq) as AccountRow | undefined;
}

export function qqOfUin(db: Database, uin: number): number | undefined {
  return (stmt(db, "SELECT qq FROM webqq_accounts WHERE uin = ?").get(uin) as { qq: number } | undefined)?.qq;
}

const ID_COLUMNS = {
  "account.uin": "SELECT 1 FROM webqq_accounts WHERE uin = ?",
  "group.gid": "SELECT 1 FROM webqq_groups WHERE gid = ?",
  "group.code": "SELECT 1 FROM webqq_groups WHERE code = ?",
  "group.account": "SELECT 1 FROM webqq_groups WHERE account = ?",
  "discu.did": "SELECT 1 FROM webqq_discus WHERE did = ?",
} as const;

/** Whether an id (uin, gid, group code, group number, did) is handed out already. */
export function idTaken(db: Database, what: keyof typeof ID_COLUMNS, id: number): boolean {
  return stmt(db, ID_COLUMNS[what]).get(id) !== undefined;
}

export function insertAccount(
  db: Database,
  a: { qq: number; uin: number; md5: string; nick: string; face: number; longNick: string; now: number },
): void {
  db.transaction(() => {
    stmt(
      db,
      `INSERT INTO webqq_accounts (qq, uin, password_md5, nick, face, long_nick, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(a.qq, a.uin, a.md5, a.nick, a.face, a.longNick, a.now);
    stmt(db, "INSERT INTO webqq_categories (qq, idx, name) VALUES (?, 0, 'My Friends')").run(a.qq);
  })();
}

export function setAccountFlag(db: Database, qq: number, flag: "captcha" | "blocked", on: boolean): void {
  const sql =
    flag === "captcha"
      ? "UPDATE webqq_accounts SET captcha = ? WHERE qq = ?"
      : "UPDATE webqq_accounts SET blocked = ? WHERE qq = ?";
  stmt(db, sql).run(on ? 1 : 0, qq);
}

/** Both directions; a pair that exists stays as it is. */
export function insertFriendPair(
  db: Database,
  qq: number,
  friend: number,
  markname: string | null,
  now: number,
): void {
  const ins = stmt(
    db,
    "INSERT OR IGNORE INTO webqq_friends (qq, friend, category, markname, created_at) VALUES (?, ?, 0, ?, ?)",
  );
  db.transaction(() => {
    ins.run(qq, friend, markname, now);
    ins.run(friend, qq, null, now);
  })();
}

export function areFriends(db: Database, a: number, b: number): boolean {
  return stmt(db, "SELECT 1 FROM webqq_friends WHERE qq = ? AND friend = ?").get(a, b) !== undefined;
}

export function friendCount(db: Database, qq: number): number {
  return (stmt(db, "SELECT COUNT(*) AS n FROM webqq_friends WHERE qq = ?").get(qq) as { n: number }).n;
}

export function friendQqs(db: Database, qq: number): number[] {
  return (
    stmt(db, "SELECT friend FROM webqq_friends WHERE qq = ? ORDER BY friend").all(qq) as { friend: number }[]
  ).map((r) => r.friend);
}

export interface FriendRow {
  friend: number;
  category: number;
  markname: string | null;
  uin: number;
  nick: string;
  face: number;
}

export function friendsOf(db: Database, qq: number): FriendRow[] {
  return stmt(
    db,
    `SELECT f.friend, f.category, f.markname, a.uin, a.nick, a.face FROM webqq_friends f
     JOIN webqq_accounts a ON a.qq = f.friend WHERE f.qq = ? ORDER BY f.friend`,
  ).all(qq) as FriendRow[];
}

export function categoriesOf(db: Database, qq: number): { idx: number; name: string }[] {
  return stmt(db, "SELECT idx, name FROM webqq_categories WHERE qq = ? ORDER BY idx").all(qq) as {
    idx: number;
    name: string;
  }[];
}

export function insertGroup(
  db: Database,
  g: { gid: number; code: number; account: number; name: string; owner: number; now: number },
  members: { qq: number; mflag: number }[],
): void {
  db.transaction(() => {
    stmt(
      db,
      "INSERT INTO webqq_groups (gid, code, account, name, owner, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(g.gid, g.code, g.account, g.name, g.owner, g.now);
    const ins = stmt(db, "INSERT INTO webqq_group_members (gid, qq, mflag) VALUES (?, ?, ?)");
    for (const m of members) ins.run(g.gid, m.qq, m.mflag);
  })();
}

export function groupByGid(db: Database, gid: number): GroupRow | undefined {
  return stmt(db, "SELECT * FROM webqq_groups WHERE gid = ?").get(gid) as GroupRow | undefined;
}

export function groupByCode(db: Database, code: number): GroupRow | undefined {
  return stmt(db, "SELECT * FROM webqq_groups WHERE code = ?").get(code) as GroupRow | undefined;
}

export function groupByGidOrCode(db: Database, id: number): GroupRow | undefined {
  return stmt(db, "SELECT * FROM webqq_groups WHERE gid = ? OR code = ?").get(id, id) as GroupRow | undefined;
}

/** A group by gid, code or group number. */
export function groupByAnyId(db: Database, id: number): GroupRow | undefined {
  return stmt(db, "SELECT * FROM webqq_groups WHERE gid = ? OR code = ? OR account = ?").get(id, id, id) as
    | GroupRow
    | undefined;
}

export function groupsOf(db: Database, qq: number): GroupRow[] {
  return stmt(
    db,
    `SELECT g.* FROM webqq_groups g JOIN webqq_group_members m ON m.gid = g.gid WHERE m.qq = ? ORDER BY g.gid`,
  ).all(qq) as GroupRow[];
}

export function groupMembers(db: Database, gid: number): { qq: number; mflag: number }[] {
  return stmt(db, "SELECT qq, mflag FROM webqq_group_members WHERE gid = ? ORDER BY qq").all(gid) as {
    qq: number;
    mflag: number;
  }[];
}

export function insertDiscussion(
  db: Database,
  d: { did: number; name: string; owner: number; now: number },
  members: number[],
): void {
  db.transaction(() => {
    stmt(db, "INSERT INTO webqq_discus (did, name, owner, created_at) VALUES (?, ?, ?, ?)").run(
      d.did,
      d.name,
      d.owner,
      d.now,
    );
    const ins = stmt(db, "INSERT INTO webqq_discu_members (did, qq) VALUES (?, ?)");
    for (const m of members) ins.run(d.did, m);
  })();
}

export function discussionByDid(db: Database, did: number): DiscuRow | undefined {
  return stmt(db, "SELECT * FROM webqq_discus WHERE did = ?").get(did) as DiscuRow | undefined;
}

export function discussionsOf(db: Database, qq: number): DiscuRow[] {
  return stmt(
    db,
    `SELECT d.* FROM webqq_discus d JOIN webqq_discu_members m ON m.did = d.did WHERE m.qq = ? ORDER BY d.did`,
  ).all(qq) as DiscuRow[];
}

export function discussionMembers(db: Database, did: number): number[] {
  return (
    stmt(db, "SELECT qq FROM webqq_discu_members WHERE did = ? ORDER BY qq").all(did) as { qq: number }[]
  ).map((r) => r.qq);
}

export function countAccounts(db: Database): number {
  return (stmt(db, "SELECT COUNT(*) AS n FROM webqq_accounts").get() as { n: number }).n;
}
