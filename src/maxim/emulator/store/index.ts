/**
 * Every SQL statement on the `maxim_*` tables lives under store/: handlers, the admin object,
 * the console and the seed call these functions and never prepare SQL themselves.
 */
import { StatementCache } from "../../../core/emulator/store.js";
import type { Database } from "../../../core/storage.js";
import { AppsStore } from "./apps.js";
import { ConsoleStore } from "./console.js";
import { GroupsStore } from "./groups.js";
import { MessagesStore } from "./messages.js";
import { RecordsStore } from "./records.js";
import { RosterStore } from "./roster.js";
import { UsersStore } from "./users.js";

export { type AppRow, AppsStore } from "./apps.js";
export { ConsoleStore } from "./console.js";
export { GroupsStore } from "./groups.js";
export { MessagesStore } from "./messages.js";
export { type MessageRow, type PushRow, RecordsStore } from "./records.js";
export { RosterStore } from "./roster.js";
export { maximStoreModule } from "./schema.js";
export { type UserRow, UsersStore } from "./users.js";

/** The MaxIM emulator's data access on one database (statements prepared once). */
export class MaxImStore {
  readonly sql: StatementCache;
  readonly apps: AppsStore;
  readonly records: RecordsStore;
  readonly console: ConsoleStore;
  readonly users: UsersStore;
  readonly roster: RosterStore;
  readonly groups: GroupsStore;
  readonly messages: MessagesStore;

  constructor(readonly db: Database) {
    this.sql = new StatementCache(db);
    this.apps = new AppsStore(this.sql);
    this.records = new RecordsStore(this.sql);
    this.console = new ConsoleStore(this.sql);
    this.users = new UsersStore(this.sql);
    this.roster = new RosterStore(this.sql);
    this.groups = new GroupsStore(this.sql);
    this.messages = new MessagesStore(this.sql);
  }
}
