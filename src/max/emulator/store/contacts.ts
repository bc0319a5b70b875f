import type { Database } from "../../../core/storage.js";

/** TODO(helper): queries on this area's max_* tables. */
export class ContactsRepo {
  constructor(readonly db: Database) {}
}
