import type { StatementCache } from "../../../core/emulator/store.js";

/** The console's reads of the MaxIM tables (across apps). */
export class ConsoleStore {
  constructor(private readonly sql: StatementCache) {}

  user(userId: number): { user_id: number; app_id: string } | undefined {
    return this.sql.get("SELECT user_id, app_id FROM maxim_users WHERE user_id = ?").get(userId) as
      | { user_id: number; app_id: string }
      | undefined;
  }

  group(groupId: number): { group_id: number; app_id: string } | undefined {
    return this.sql.get("SELECT group_id, app_id FROM maxim_groups WHERE group_id = ?").get(groupId) as
      | { group_id: number; app_id: string }
      | undefined;
  }

  /** The newest message `from` sent to `to`. */
  lastSent(appId: string, from: number, to: number, toType: number): number | undefined {
    const row = this.sql
      .get(
        "SELECT MAX(msg_id) AS id FROM maxim_messages WHERE app_id = ? AND from_id = ? AND to_id = ? AND to_type = ?",
      )
      .get(appId, from, to, toType) as { id: number | null } | undefined;
    return row?.id ?? undefined;
  }

  apps(): Record<string, unknown>[] {
    return this.sql
      .get(
        `SELECT a.app_id, a.license, a.created_at,
           (SELECT COUNT(*) FROM maxim_users u WHERE u.app_id = a.app_id) AS users
         FROM maxim_apps a ORDER BY a.created_at`,
      )
      .all() as Record<string, unknown>[];
  }

  users(): {
    user_id: number;
    app_id: string;
    username: string;
    nick_name: string | null;
    mobile: string | null;
    disabled: number;
  }[] {
    return this.sql
      .get(
        "SELECT user_id, app_id, username, nick_name, mobile, disabled FROM maxim_users ORDER BY user_id LIMIT 1000",
      )
      .all() as never;
  }

  groups(): {
    group_id: number;
    app_id: string;
    name: string;
    owner_id: number;
    status: number;
    members: number;
  }[] {
    return this.sql
      .get(
        `SELECT g.group_id, g.app_id, g.name, g.owner_id, g.status,
           (SELECT COUNT(*) FROM maxim_group_members m WHERE m.group_id = g.group_id) AS members
         FROM maxim_groups g ORDER BY g.group_id LIMIT 500`,
      )
      .all() as never;
  }

  /** Seed lookups by natural key. */
  userIdByName(appId: string, username: string): number | undefined {
    const row = this.sql
      .get("SELECT user_id FROM maxim_users WHERE app_id = ? AND username = ?")
      .get(appId, username) as { user_id: number } | undefined;
    return row?.user_id;
  }

  groupIdByName(appId: string, name: string, ownerId: number): number | undefined {
    const row = this.sql
      .get(
        "SELECT group_id FROM maxim_groups WHERE app_id = ? AND name = ? AND owner_id = ? AND status = 0 ORDER BY group_id LIMIT 1",
      )
      .get(appId, name, ownerId) as { group_id: number } | undefined;
    return row?.group_id;
  }
}
