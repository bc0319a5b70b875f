/** The lookups a sandbox seed needs to stay idempotent (find what an earlier start created). */
import type { Database } from "../../../core/storage.js";
import { stmt } from "./statements.js";

export function accountExists(db: Database, qq: number): boolean {
  return stmt(db, "SELECT 1 FROM webqq_accounts WHERE qq = ?").get(qq) !== undefined;
}

/** The oldest group with this name and owner. */
export function groupByName(db: Database, name: string, owner: number): number | undefined {
  const row = stmt(
    db,
    "SELECT gid FROM webqq_groups WHERE name = ? AND owner = ? ORDER BY created_at LIMIT 1",
  ).get(name, owner) as { gid: number } | undefined;
  return row?.gid;
}

/** The oldest discussion with this name and owner. */
export function discussionByName(db: Database, name: string, owner: number): number | undefined {
  const row = stmt(
    db,
    "SELECT did FROM webqq_discus WHERE name = ? AND owner = ? ORDER BY created_at LIMIT 1",
  ).get(name, owner) as { did: number } | undefined;
  return row?.did;
}
