/**
 * How the bots' world (bot-world.ts) shows MAX users, chats and members, and how MAX's protocol
 * errors become the world's refusals. Shapes match src/maxbot/emulator/world.ts structurally.
 */
import { ErrorCode } from "../protocol.js";
import type { MaxEmulator } from "./context.js";
import { MaxProtocolError } from "./errors.js";
import type { ChatRow, MemberRow } from "./store/chats.js";
import type { UserRow } from "./store/users.js";

export interface BotWorldUser {
  userId: number;
  firstName: string;
  lastName: string;
  username: string | null;
  isBot: boolean;
  lastActivityTime: number;
  description: string | null;
  avatarUrl: string | null;
}

export interface BotWorldChat {
  chatId: number;
  type: "DIALOG" | "CHAT" | "CHANNEL";
  title: string | null;
  description: string | null;
  ownerId: number;
  participantsCount: number;
  lastEventTime: number;
  link: string | null;
  iconUrl: string | null;
  dialogWithUserId: number | null;
  pinnedMessageId: number | null;
  status: string;
  createdAt: number;
}

export interface BotWorldMember extends BotWorldUser {
  isOwner: boolean;
  isAdmin: boolean;
  joinTime: number;
  lastAccessTime: number;
}

/**
 * A refusal in MAX's terms (`not.found`, `access.denied`, `chat.denied`, `too.long`,
 * `bad.request`, `conflict`). Its `name` is "WorldError", as the Bot API side tells refusals apart
 * by name and code (a class of another platform is never imported).
 */
export class BotWorldError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "WorldError";
  }
}

const CODE_OF: Record<string, string> = {
  [ErrorCode.NOT_FOUND]: "not.found",
  [ErrorCode.CHAT_NOT_FOUND]: "not.found",
  [ErrorCode.MESSAGE_NOT_FOUND]: "not.found",
  [ErrorCode.CHAT_NO_ACCESS]: "access.denied",
  [ErrorCode.TEXT_TOO_LONG]: "too.long",
  [ErrorCode.MESSAGE_EMPTY]: "bad.request",
  [ErrorCode.ATTACH_INVALID]: "bad.request",
  [ErrorCode.PROTO_PAYLOAD]: "bad.request",
  [ErrorCode.LINK_INVALID]: "bad.request",
  [ErrorCode.LIMIT_MEMBERS]: "bad.request",
};

/** Runs a world operation, turning MAX protocol errors into world refusals. */
export function worldCall<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof MaxProtocolError)
      throw new BotWorldError(CODE_OF[err.code] ?? "bad.request", err.message);
    throw err;
  }
}

export function lastActivity(emu: MaxEmulator, user: UserRow): number {
  if (user.hidden !== 1 && emu.hub.isOnline(user.id)) return emu.now();
  return user.last_seen || user.updated_at;
}

export function worldUser(emu: MaxEmulator, user: UserRow): BotWorldUser {
  return {
    userId: user.id,
    firstName: user.first_name,
    lastName: user.last_name,
    username: user.link,
    isBot: user.is_bot === 1,
    lastActivityTime: lastActivity(emu, user),
    description: user.description === "" ? null : user.description,
    avatarUrl: user.photo_id ? `${emu.config.publicHttpUrl()}/i?r=${user.photo_id}` : null,
  };
}

export function worldChat(emu: MaxEmulator, chat: ChatRow, viewerId: number): BotWorldChat {
  const { chats } = emu.repos;
  const dialog = chat.type === "DIALOG";
  return {
    chatId: chat.id,
    type: chat.type,
    title: dialog ? null : (chat.title ?? ""),
    description: dialog || chat.description === "" ? null : chat.description,
    ownerId: chat.owner_id,
    participantsCount: chats.countMembers(chat.id),
    lastEventTime: chat.last_event_time,
    link: chat.link,
    iconUrl: chat.icon_url ?? null,
    dialogWithUserId: dialog ? (chats.memberIds(chat.id).find((id) => id !== viewerId) ?? null) : null,
    pinnedMessageId: chat.pinned_message_id,
    status: chat.status,
    createdAt: chat.created_at,
  };
}

export function worldMember(emu: MaxEmulator, row: MemberRow): BotWorldMember | undefined {
  const user = emu.repos.users.byId(row.user_id);
  if (!user) return undefined;
  return {
    ...worldUser(emu, user),
    isOwner: row.role === "OWNER",
    isAdmin: row.role === "OWNER" || row.role === "ADMIN",
    joinTime: row.joined_at,
    lastAccessTime: lastActivity(emu, user),
  };
}
