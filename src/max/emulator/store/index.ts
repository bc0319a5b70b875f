import type { Database } from "../../../core/storage.js";
import { BotsRepo } from "./bots.js";
import { ChatsRepo } from "./chats.js";
import { ContactsRepo } from "./contacts.js";
import { DelayedRepo } from "./delayed.js";
import { FilesRepo } from "./files.js";
import { FoldersRepo } from "./folders.js";
import { MessagesRepo } from "./messages.js";
import { PollsRepo } from "./polls.js";
import { UsersRepo } from "./users.js";

/** One repository per area; each owns the queries on its `max_*` tables. */
export interface Repos {
  users: UsersRepo;
  contacts: ContactsRepo;
  chats: ChatsRepo;
  messages: MessagesRepo;
  files: FilesRepo;
  bots: BotsRepo;
  folders: FoldersRepo;
  polls: PollsRepo;
  delayed: DelayedRepo;
}

export function createRepos(db: Database): Repos {
  return {
    users: new UsersRepo(db),
    contacts: new ContactsRepo(db),
    chats: new ChatsRepo(db),
    messages: new MessagesRepo(db),
    files: new FilesRepo(db),
    bots: new BotsRepo(db),
    folders: new FoldersRepo(db),
    polls: new PollsRepo(db),
    delayed: new DelayedRepo(db),
  };
}
