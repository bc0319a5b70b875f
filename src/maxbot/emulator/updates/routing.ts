/**
 * Which bots receive a MAX world event, and the Bot API Update each one gets. Rules (see
 * docs/maxbot.md): in dialogs a bot gets every message; in group chats and channels only as an
 * admin (as with the platform's read_all_messages right), otherwise only messages starting with
 * "/" or mentioning it. A bot never gets an update for its own action. bot_added / bot_removed go
 * to the bot that was added / removed; user_added / user_removed (other members) to the chat's
 * admin bots; chat_title_changed to every bot in the chat; message_callback to the bot that sent
 * the keyboard's message; bot_started / bot_stopped / dialog_cleared / dialog_removed to the
 * dialog's bot.
 */
import { encodeMid, toBotMessage, toBotUser } from "../convert.js";
import type { MaxBotWorld, WorldEvent, WorldMember, WorldMessage, WorldUser } from "../world.js";

/** One update for one bot, ready to store. */
export interface RoutedUpdate {
  botId: number;
  updateType: string;
  time: number;
  body: Record<string, unknown>;
}

/** The world as routing reads it; `botMembers` when the MAX side offers it. */
type RoutingWorld = MaxBotWorld & { botMembers?: (chatId: number) => WorldMember[] };

const MEMBER_PAGE = 100;
/** Guard for the paging fallback: a chat is not scanned past this many members per event. */
const MEMBER_SCAN_MAX = 20_000;
/** Up to this many registered bots, membership is asked bot by bot (no viewer needed). */
const ASK_EACH_BOT_MAX = 500;

/** What routing reads besides the world: the ids of every bot the emulator knows. */
export interface RoutingInput {
  world: MaxBotWorld;
  knownBots(): readonly number[];
}

/**
 * The bots among a chat's members: the world's own list when it has one, else each known bot's
 * membership, else (very many bots) the member list as `viewerId` (a member) pages it.
 */
export function botsInChat(input: RoutingInput, chatId: number, viewerId: number): WorldMember[] {
  const w = input.world as RoutingWorld;
  if (typeof w.botMembers === "function") return w.botMembers(chatId);
  const known = input.knownBots();
  if (known.length <= ASK_EACH_BOT_MAX) {
    const bots: WorldMember[] = [];
    for (const botId of known) {
      const m = input.world.member(chatId, botId);
      if (m) bots.push(m);
    }
    return bots;
  }
  const bots: WorldMember[] = [];
  let marker: number | null = null;
  for (let seen = 0; seen < MEMBER_SCAN_MAX; seen += MEMBER_PAGE) {
    let page: { members: WorldMember[]; marker: number | null };
    try {
      page = input.world.members(chatId, viewerId, { count: MEMBER_PAGE, marker });
    } catch {
      return bots;
    }
    for (const m of page.members) if (m.isBot) bots.push(m);
    if (page.marker === null || page.members.length === 0) break;
    marker = page.marker;
  }
  return bots;
}

function userOf(world: MaxBotWorld, userId: number): Record<string, unknown> {
  const u: WorldUser = world.user(userId) ?? {
    userId,
    firstName: "",
    lastName: "",
    username: null,
    isBot: false,
    lastActivityTime: 0,
    description: null,
    avatarUrl: null,
  };
  return toBotUser(u) as unknown as Record<string, unknown>;
}

/** True when a non-admin bot may see this message in a group: a command or a mention of it. */
function addressedTo(world: MaxBotWorld, m: WorldMessage, botId: number): boolean {
  if (m.text.startsWith("/")) return true;
  for (const el of m.elements) {
    const e = el as { type?: unknown; entityId?: unknown; userId?: unknown };
    if (
      (e.type === "USER_MENTION" || e.type === "MENTION") &&
      (Number(e.entityId) === botId || Number(e.userId) === botId)
    )
      return true;
  }
  const username = world.user(botId)?.username;
  return !!username && new RegExp(`(^|[^\\w@])@${escapeRegExp(username)}(?![\\w-])`, "i").test(m.text);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function isAdmin(member: WorldMember): boolean {
  return member.isAdmin || member.isOwner;
}

/** Bots that see a message (created or edited) in its chat. */
function messageAudience(input: RoutingInput, m: WorldMessage): number[] {
  const world = input.world;
  const chat = world.chat(m.chatId, m.senderId);
  if (!chat) return [];
  if (chat.type === "DIALOG") {
    // The other side of a dialog is the only possible bot: no member lookups on the hot path.
    const other = chat.dialogWithUserId;
    return other !== null && other !== m.senderId && world.user(other)?.isBot ? [other] : [];
  }
  return botsInChat(input, m.chatId, m.senderId)
    .filter((b) => b.userId !== m.senderId)
    .filter((b) => isAdmin(b) || addressedTo(world, m, b.userId))
    .map((b) => b.userId);
}

/** Whether the chat is a channel, read as the first of `viewers` who can see it. */
function isChannel(world: MaxBotWorld, chatId: number, ...viewers: number[]): boolean {
  for (const viewer of viewers) {
    const chat = world.chat(chatId, viewer);
    if (chat) return chat.type === "CHANNEL";
  }
  return false;
}

/** Turns one world event into the updates it means for bots. `now` stamps events without a time. */
export function routeEvent(input: RoutingInput, event: WorldEvent, now: number): RoutedUpdate[] {
  const world = input.world;
  switch (event.type) {
    case "message.created":
    case "message.edited": {
      const m = event.message;
      const updateType = event.type === "message.created" ? "message_created" : "message_edited";
      const time = event.type === "message.created" ? m.time : (m.updateTime ?? now);
      return messageAudience(input, m).map((botId) => ({
        botId,
        updateType,
        time,
        body: { update_type: updateType, timestamp: time, message: toBotMessage(world, m, botId) },
      }));
    }
    case "message.removed": {
      const chat = world.chat(event.chatId, event.byUserId);
      const bots = botsInChat(input, event.chatId, event.byUserId).filter(
        (b) =>
          b.userId !== event.byUserId &&
          (chat?.type === "DIALOG" || isAdmin(b) || b.userId === event.senderId),
      );
      return bots.map((b) => ({
        botId: b.userId,
        updateType: "message_removed",
        time: now,
        body: {
          update_type: "message_removed",
          timestamp: now,
          message_id: encodeMid(event.chatId, event.messageId),
          chat_id: event.chatId,
          user_id: event.byUserId,
        },
      }));
    }
    case "members.added": {
      const out: RoutedUpdate[] = [];
      const added = new Set(event.userIds);
      const channel = isChannel(world, event.chatId, event.byUserId);
      for (const bot of botsInChat(input, event.chatId, event.byUserId)) {
        if (bot.userId === event.byUserId) continue;
        if (added.has(bot.userId)) {
          out.push(
            simple(bot.userId, "bot_added", now, {
              chat_id: event.chatId,
              user: userOf(world, event.byUserId),
              is_channel: channel,
            }),
          );
          continue;
        }
        if (!isAdmin(bot)) continue;
        for (const userId of event.userIds) {
          out.push(
            simple(bot.userId, "user_added", now, {
              chat_id: event.chatId,
              user: userOf(world, userId),
              inviter_id: event.viaLink ? null : event.byUserId,
              is_channel: channel,
            }),
          );
        }
      }
      return out;
    }
    case "member.removed": {
      const out: RoutedUpdate[] = [];
      const channel = isChannel(world, event.chatId, event.byUserId, event.userId);
      const removed = world.user(event.userId);
      if (removed?.isBot && event.byUserId !== event.userId) {
        out.push(
          simple(event.userId, "bot_removed", now, {
            chat_id: event.chatId,
            user: userOf(world, event.byUserId),
            is_channel: channel,
          }),
        );
      }
      for (const bot of botsInChat(input, event.chatId, event.byUserId)) {
        if (bot.userId === event.byUserId || bot.userId === event.userId || !isAdmin(bot)) continue;
        const body: Record<string, unknown> = {
          chat_id: event.chatId,
          user: userOf(world, event.userId),
          is_channel: channel,
        };
        if (event.byUserId !== event.userId) body.admin_id = event.byUserId;
        out.push(simple(bot.userId, "user_removed", now, body));
      }
      return out;
    }
    case "chat.title_changed":
      return botsInChat(input, event.chatId, event.byUserId)
        .filter((b) => b.userId !== event.byUserId)
        .map((b) =>
          simple(b.userId, "chat_title_changed", now, {
            chat_id: event.chatId,
            user: userOf(world, event.byUserId),
            title: event.title,
          }),
        );
    case "callback.pressed": {
      const m = world.message(event.chatId, event.messageId, event.userId);
      if (!m || m.senderId === event.userId || !world.user(m.senderId)?.isBot) return [];
      const botId = m.senderId;
      return [
        simple(botId, "message_callback", event.time, {
          callback: {
            timestamp: event.time,
            callback_id: event.callbackId,
            payload: event.payload,
            user: userOf(world, event.userId),
          },
          message: toBotMessage(world, m, botId),
        }),
      ];
    }
    case "bot.started": {
      const body: Record<string, unknown> = { chat_id: event.chatId, user: userOf(world, event.userId) };
      if (event.payload !== null) body.payload = event.payload;
      return [simple(event.botId, "bot_started", now, body)];
    }
    case "dialog.muted":
      return [
        simple(event.botId, "dialog_muted", now, {
          chat_id: event.chatId,
          user: userOf(world, event.userId),
          muted_until: event.mutedUntil,
        }),
      ];
    case "bot.stopped":
    case "dialog.cleared":
    case "dialog.unmuted":
    case "dialog.removed": {
      const updateType = event.type.replace(".", "_");
      return [
        simple(event.botId, updateType, now, { chat_id: event.chatId, user: userOf(world, event.userId) }),
      ];
    }
    default:
      return [];
  }
}

function simple(
  botId: number,
  updateType: string,
  time: number,
  fields: Record<string, unknown>,
): RoutedUpdate {
  return { botId, updateType, time, body: { update_type: updateType, timestamp: time, ...fields } };
}
