import type { RunResult } from "better-sqlite3";
import type { StatementCache } from "../../../core/emulator/store.js";

export interface PushRow {
  id: number;
  app_id: string;
  audience: string;
  message: string;
  recipients: string;
  created_at: number;
}

/** A row of `maxim_messages`. */
export interface MessageRow {
  msg_id: number;
  from_id: number;
  to_id: number;
  to_type: number;
  content_type: number;
  content: string;
  attachment: string | null;
  ext: string | null;
  config: string | null;
  recalled: number;
  created_at: number;
}

/** What the admin API and the console list: every push and message (of one app, or all). */
export class RecordsStore {
  constructor(private readonly sql: StatementCache) {}

  pushes(appId: string | undefined): PushRow[] {
    return this.sql
      .get("SELECT * FROM maxim_pushes WHERE (? IS NULL OR app_id = ?) ORDER BY id")
      .all(appId ?? null, appId ?? null) as PushRow[];
  }

  messages(appId: string | undefined): (MessageRow & { app_id: string; kind: string })[] {
    return this.sql
      .get("SELECT * FROM maxim_messages WHERE (? IS NULL OR app_id = ?) ORDER BY msg_id")
      .all(appId ?? null, appId ?? null) as (MessageRow & { app_id: string; kind: string })[];
  }

  insertPush(
    appId: string,
    audience: string,
    message: string,
    recipients: string,
    createdAt: number,
  ): RunResult {
    return this.sql
      .get(
        `INSERT INTO maxim_pushes (app_id, audience, message, recipients, created_at) VALUES (?, ?, ?, ?, ?)`,
      )
      .run(appId, audience, message, recipients, createdAt);
  }

  /** How many messages are stored (all apps). */
  countMessages(): number {
    return (this.sql.get("SELECT COUNT(*) AS n FROM maxim_messages").get() as { n: number }).n;
  }
}
