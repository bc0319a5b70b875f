/**
 * What the MAX Bot API emulator needs from the MAX world it shares chats with. The MAX emulator
 * offers an object of this shape (src/max/emulator/bot-world.ts, matched structurally: a platform
 * never imports another) and the sandbox hands it to the maxbot plugin. Ids and times are MAX's
 * own: user, chat and message ids are numbers, times are ms. Bot API shapes (snake_case, `mid`
 * strings) are made from these by the maxbot emulator alone.
 *
 * Durability: every mutation runs in one SQLite transaction on the shared sandbox database, and
 * `subscribe` listeners are called synchronously inside that same transaction after the change,
 * so an update the bot API stores for a bot commits together with the message it describes (a
 * kill -9 can lose neither one alone). Listeners must only write to the database and must not
 * throw; anything else (waking long polls, webhook sends) they defer with queueMicrotask. A
 * listener that throws anyway aborts the transaction: the change is refused (for a user's send,
 * every message group-committed with it fails too) and nothing of it is stored or pushed.
 *
 * Events are emitted for every change whoever makes it (user-API clients, admin routes, and the
 * bots themselves through this object): the consumer filters out a bot's own actions. CONTROL
 * service messages (joins, leaves, title changes) are not message.created; they come as their
 * own events. `bot.started` comes before the message.created of a user's first message into a
 * bot's dialog (payload from `/start <payload>`), or from POST /_sandbox/max/bots/start.
 */

export interface WorldUser {
  userId: number;
  firstName: string;
  lastName: string;
  /** Public name (`max.ru/<username>`), when the user has one. */
  username: string | null;
  isBot: boolean;
  /** Last time seen online (ms). */
  lastActivityTime: number;
  description: string | null;
  avatarUrl: string | null;
}

export type WorldChatType = "DIALOG" | "CHAT" | "CHANNEL";

export interface WorldChat {
  chatId: number;
  type: WorldChatType;
  /** null for dialogs. */
  title: string | null;
  description: string | null;
  ownerId: number;
  participantsCount: number;
  lastEventTime: number;
  /** Public link name, null for private chats. */
  link: string | null;
  iconUrl: string | null;
  /** For a DIALOG: the other user as seen by the viewer the chat was read for. */
  dialogWithUserId: number | null;
  pinnedMessageId: number | null;
  /** "ACTIVE", "REMOVED", "LEFT" (the viewer left), "CLOSED". */
  status: string;
  createdAt: number;
}

export interface WorldMember extends WorldUser {
  isOwner: boolean;
  isAdmin: boolean;
  joinTime: number;
  lastAccessTime: number;
}

/** A MAX message as stored: attaches and elements in the user API's own JSON (`_type` …). */
export interface WorldMessage {
  chatId: number;
  messageId: number;
  senderId: number;
  time: number;
  text: string;
  /** Markup elements of the user API (`{type:"STRONG", from, length}` …). */
  elements: unknown[];
  attaches: Record<string, unknown>[];
  link: { type: "REPLY" | "FORWARD"; chatId: number; messageId: number } | null;
  status: "EDITED" | "REMOVED" | null;
  updateTime: number | null;
}

export interface WorldSend {
  text: string;
  elements?: unknown[];
  /** User API attaches, e.g. `{_type:"PHOTO", photoToken}`, `{_type:"INLINE_KEYBOARD", keyboard}`. */
  attaches?: Record<string, unknown>[];
  link?: { type: "REPLY" | "FORWARD"; chatId: number; messageId: number };
  /** false: members' clients get the message without a notification. */
  notify?: boolean;
}

export type WorldEvent =
  | { type: "message.created"; message: WorldMessage }
  | { type: "message.edited"; message: WorldMessage }
  | { type: "message.removed"; chatId: number; messageId: number; senderId: number; byUserId: number }
  | { type: "members.added"; chatId: number; userIds: number[]; byUserId: number; viaLink: boolean }
  | { type: "member.removed"; chatId: number; userId: number; byUserId: number }
  | { type: "chat.title_changed"; chatId: number; title: string; byUserId: number }
  /** A user pressed a callback button of a bot's inline keyboard. */
  | {
      type: "callback.pressed";
      chatId: number;
      messageId: number;
      userId: number;
      payload: string;
      callbackId: string;
      time: number;
    }
  /** A user opened (started) a dialog with a bot; `payload` from a deep link `?start=…`. */
  | { type: "bot.started"; chatId: number; userId: number; botId: number; payload: string | null }
  | { type: "bot.stopped"; chatId: number; userId: number; botId: number }
  | { type: "dialog.cleared"; chatId: number; userId: number; botId: number }
  | { type: "dialog.removed"; chatId: number; userId: number; botId: number }
  /** A user muted (until `mutedUntil`, ms; -1 = for ever) or unmuted their dialog with a bot (22 dontDisturbUntil). */
  | { type: "dialog.muted"; chatId: number; userId: number; botId: number; mutedUntil: number }
  | { type: "dialog.unmuted"; chatId: number; userId: number; botId: number };

/**
 * A refusal in MAX's terms; the maxbot emulator turns it into a Bot API error body. The MAX side
 * throws its own class of the same shape (a platform never imports another), so `instanceof
 * WorldError` recognises any Error named "WorldError" with a string `code`.
 */
export class WorldError extends Error {
  constructor(
    /** "not.found", "access.denied", "chat.denied", "too.long", "bad.request", "conflict" … */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "WorldError";
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      value instanceof Error &&
      value.name === "WorldError" &&
      typeof (value as { code?: unknown }).code === "string"
    );
  }
}

export interface StoredFile {
  /** The user API attach that shows this file to MAX clients (`PHOTO`, `VIDEO`, `AUDIO`, `FILE`). */
  attach: Record<string, unknown>;
  /** Where it can be downloaded (the MAX emulator's HTTP face). */
  url: string;
  size: number;
}

export interface MaxBotWorld {
  /** Creates a MAX user flagged as a bot (no phone, no login) and returns its id. */
  createBot(input: { name: string; username?: string; description?: string }): { userId: number };
  user(userId: number): WorldUser | undefined;
  editBotProfile(
    userId: number,
    patch: { name?: string; description?: string | null; username?: string | null },
  ): WorldUser;

  /** The chat as `viewerId` sees it; undefined when it does not exist or the viewer was never in it. */
  chat(chatId: number, viewerId: number): WorldChat | undefined;
  chatByLink(link: string, viewerId: number): WorldChat | undefined;
  /** The chat without a viewer (dialogWithUserId null): for sandbox admin routes only (e.g. to find its owner). */
  chatForAdmin(chatId: number): WorldChat | undefined;
  /** Chats the user is in, newest event first; `marker` is the last chatId of the previous page. */
  chatsOf(
    userId: number,
    count: number,
    marker: number | null,
  ): { chats: WorldChat[]; marker: number | null };
  /** The dialog between a bot and a user, created when missing. */
  dialog(botId: number, userId: number): WorldChat;
  editChat(
    chatId: number,
    byUserId: number,
    patch: { title?: string; description?: string; iconUrl?: string },
  ): WorldChat;
  deleteChat(chatId: number, byUserId: number): void;

  members(
    chatId: number,
    viewerId: number,
    opts: { count: number; marker: number | null; userIds?: number[]; adminsOnly?: boolean },
  ): { members: WorldMember[]; marker: number | null };
  member(chatId: number, userId: number): WorldMember | undefined;
  addMembers(chatId: number, byUserId: number, userIds: number[]): void;
  removeMember(chatId: number, byUserId: number, userId: number, block: boolean): void;
  setAdmin(chatId: number, byUserId: number, userId: number, admin: boolean): void;
  leave(chatId: number, userId: number): void;

  pin(chatId: number, byUserId: number, messageId: number, notify: boolean): void;
  unpin(chatId: number, byUserId: number): void;
  /** typing_on, sending_photo, sending_video, sending_audio, sending_file, mark_seen. */
  action(chatId: number, byUserId: number, action: string): void;

  send(chatId: number, byUserId: number, message: WorldSend): WorldMessage;
  /**
   * Like send (same checks; a refusal rejects the promise with a WorldError), but
   * group-committed with every message stored in the same event-loop turn: concurrent sends
   * share one fsync. Listeners run inside that shared transaction. Resolves once committed.
   */
  sendAsync(chatId: number, byUserId: number, message: WorldSend): Promise<WorldMessage>;
  edit(chatId: number, byUserId: number, messageId: number, message: WorldSend): WorldMessage;
  remove(chatId: number, byUserId: number, messageId: number): void;
  message(chatId: number, messageId: number, viewerId: number): WorldMessage | undefined;
  /** Messages between `from` and `to` (ms, inclusive), newest first, at most `count`. */
  history(
    chatId: number,
    viewerId: number,
    opts: { from?: number; to?: number; count: number },
  ): WorldMessage[];
  /** Shows a callback answer's notification to the user who pressed (a push to their clients). */
  notifyCallback(userId: number, callbackId: string, text: string): void;

  /** Stores an uploaded file in MAX's file store, as its owner. */
  storeFile(
    ownerId: number,
    kind: "image" | "video" | "audio" | "file",
    name: string,
    bytes: Buffer,
  ): StoredFile;

  /** Calls `listener` synchronously inside each committing transaction (see top of file). */
  subscribe(listener: (event: WorldEvent) => void): () => void;
}
