/**
 * Changes of the MAX world that another face of the sandbox (the MAX Bot API emulator) turns into
 * its own updates. Listeners run synchronously inside the SQLite transaction that makes the change,
 * right after it, so whatever they write commits (or rolls back) together with it. A listener
 * that throws aborts that transaction: the change is refused as if it had failed to store.
 *
 * These shapes match the Bot API's view of the world (src/maxbot/emulator/world.ts) structurally;
 * a platform never imports another, the sandbox checks the match by assigning one to the other.
 */
import type { MessageRow } from "./store/messages.js";

export interface BotWorldMessage {
  chatId: number;
  messageId: number;
  senderId: number;
  time: number;
  text: string;
  elements: unknown[];
  attaches: Record<string, unknown>[];
  link: { type: "REPLY" | "FORWARD"; chatId: number; messageId: number } | null;
  status: "EDITED" | "REMOVED" | null;
  updateTime: number | null;
}

export type BotWorldEvent =
  | { type: "message.created"; message: BotWorldMessage }
  | { type: "message.edited"; message: BotWorldMessage }
  | { type: "message.removed"; chatId: number; messageId: number; senderId: number; byUserId: number }
  | { type: "members.added"; chatId: number; userIds: number[]; byUserId: number; viaLink: boolean }
  | { type: "member.removed"; chatId: number; userId: number; byUserId: number }
  | { type: "chat.title_changed"; chatId: number; title: string; byUserId: number }
  | {
      type: "callback.pressed";
      chatId: number;
      messageId: number;
      userId: number;
      payload: string;
      callbackId: string;
      time: number;
    }
  | { type: "bot.started"; chatId: number; userId: number; botId: number; payload: string | null }
  | { type: "bot.stopped"; chatId: number; userId: number; botId: number }
  | { type: "dialog.cleared"; chatId: number; userId: number; botId: number }
  | { type: "dialog.removed"; chatId: number; userId: number; botId: number }
  /** A user muted (until `mutedUntil`, ms; -1 = for ever) or unmuted their dialog with a bot (22 dontDisturbUntil). */
  | { type: "dialog.muted"; chatId: number; userId: number; botId: number; mutedUntil: number }
  | { type: "dialog.unmuted"; chatId: number; userId: number; botId: number };

export type BotWorldListener = (event: BotWorldEvent) => void;

/**
 * The listeners of one emulator. `active` is a plain field read on hot paths (the send path
 * checks it once per stored message), so an emulator nobody listens to pays nothing else.
 */
export class WorldEvents {
  private readonly listeners = new Set<BotWorldListener>();
  active = false;

  subscribe(listener: BotWorldListener): () => void {
    this.listeners.add(listener);
    this.active = true;
    return () => {
      this.listeners.delete(listener);
      this.active = this.listeners.size > 0;
    };
  }

  /** Calls every listener; must run inside the transaction that made the change. */
  emit(event: BotWorldEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

function parseLink(json: string | null): BotWorldMessage["link"] {
  if (!json) return null;
  const link = JSON.parse(json) as { type?: unknown; chatId?: unknown; messageId?: unknown };
  if (link.type !== "REPLY" && link.type !== "FORWARD") return null;
  return { type: link.type, chatId: Number(link.chatId), messageId: Number(link.messageId) };
}

/** A stored message as the world shows it (attaches and elements in the user API's JSON). */
export function worldMessage(row: MessageRow): BotWorldMessage {
  return {
    chatId: row.chat_id,
    messageId: row.id,
    senderId: row.sender_id,
    time: row.time,
    text: row.text,
    elements: JSON.parse(row.elements) as unknown[],
    attaches: JSON.parse(row.attaches) as Record<string, unknown>[],
    link: parseLink(row.link),
    status: row.status === "EDITED" || row.status === "REMOVED" ? row.status : null,
    updateTime: row.update_time,
  };
}

/** CONTROL service messages (joins, leaves, titles) become their own events, never message.created. */
export function isControlRow(row: MessageRow): boolean {
  return row.attaches.includes('"_type":"CONTROL"');
}
