import type { Database } from "../../../core/storage.js";

/** TODO(helper): queries on this area's max_* tables. */
export class MessagesRepo {
  constructor(readonly db: Database) {}
}
