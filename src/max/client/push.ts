/**
 * Server pushes (opcode + payload) read into the MAX client's typed events. Lenient like the
 * rest of types.ts: a push that does not fit gives no typed event, only the raw one.
 */
import { DelayedUpdateType, Opcode, TYPING_EVENT_OPCODE } from "../protocol.js";
import { toMaxScheduledMessage } from "./scheduled-message.js";
import {
  type ChatUpdatedEvent,
  isObject,
  type MessageDeletedEvent,
  type MessageEvent,
  num,
  type PresenceEvent,
  type ReactionEvent,
  type ReadEvent,
  type ScheduledEditedEvent,
  type ScheduledFiredEvent,
  str,
  type TypingEvent,
  toMaxChat,
  toMaxMessage,
  type UploadCompleteEvent,
} from "./types.js";

/** Pushed packet → typed event(s). Unknown opcodes give only the raw event. */
export type ParsedPush =
  | { type: "message" | "messageEdited"; data: MessageEvent }
  | { type: "messageDeleted"; data: MessageDeletedEvent }
  | { type: "reaction"; data: ReactionEvent }
  | { type: "typing"; data: TypingEvent }
  | { type: "presence"; data: PresenceEvent }
  | { type: "read"; data: ReadEvent }
  | { type: "chatUpdated"; data: ChatUpdatedEvent }
  | { type: "uploadComplete"; data: UploadCompleteEvent }
  | { type: "scheduledFired"; data: ScheduledFiredEvent }
  | { type: "scheduledEdited"; data: ScheduledEditedEvent };

export function parsePush(opcode: number, payload: unknown): ParsedPush | undefined {
  if (!isObject(payload)) return undefined;
  switch (opcode) {
    case Opcode.NEW_MESSAGE: {
      const message = toMaxMessage(payload);
      if (!message) return undefined;
      const chatId = message.chatId;
      if (message.status === "REMOVED")
        return { type: "messageDeleted", data: { chatId, messageIds: [message.id] } };
      const type = message.status === "EDITED" ? "messageEdited" : "message";
      return { type, data: { chatId, message, catchUp: false } };
    }
    case Opcode.PRESENCE_UPDATE:
    case Opcode.PRESENCE:
    case TYPING_EVENT_OPCODE: {
      // 129 is presence in the seed and typing in PyMax: tell them apart by shape.
      const userId = num(payload.userId);
      if (userId === undefined) return undefined;
      if (isObject(payload.presence)) {
        const p = payload.presence;
        const seen = num(p.seen);
        const on = p.on ?? p.status;
        const online = on === "ON" || on === 1 || on === true || on === "ONLINE";
        return { type: "presence", data: seen === undefined ? { userId, online } : { userId, online, seen } };
      }
      const chatId = num(payload.chatId);
      if (chatId === undefined) return undefined;
      const data: TypingEvent = { chatId, userId };
      if (typeof payload.type === "string") data.type = payload.type;
      return { type: "typing", data };
    }
    case Opcode.MARK: {
      const chatId = num(payload.chatId);
      const userId = num(payload.userId);
      if (chatId === undefined || userId === undefined) return undefined;
      return {
        type: "read",
        data: { chatId, userId, mark: num(payload.mark) ?? 0, setAsUnread: payload.setAsUnread === true },
      };
    }
    case Opcode.CHAT_UPDATED: {
      const chat = toMaxChat(payload.chat);
      return chat ? { type: "chatUpdated", data: { chat } } : undefined;
    }
    case Opcode.UPLOAD_COMPLETE: {
      const data: UploadCompleteEvent = {};
      for (const key of ["fileId", "videoId", "voiceId", "audioId"] as const) {
        const v = num(payload[key]);
        if (v !== undefined) data[key] = v;
      }
      if (typeof payload.token === "string") data.token = payload.token;
      return { type: "uploadComplete", data };
    }
    case Opcode.REACTIONS_CHANGED: {
      const chatId = num(payload.chatId);
      const messageId = str(payload.messageId);
      if (chatId === undefined || messageId === undefined) return undefined;
      const counters = Array.isArray(payload.counters)
        ? payload.counters
            .filter(isObject)
            .map((c) => ({ reaction: String(c.reaction ?? ""), count: num(c.count) ?? 0 }))
        : [];
      const data: ReactionEvent = { chatId, messageId, counters, totalCount: num(payload.totalCount) ?? 0 };
      if (typeof payload.yourReaction === "string") data.yourReaction = payload.yourReaction;
      return { type: "reaction", data };
    }
    case 142: {
      // PyMax's NOTIF_MSG_DELETE `{chat, messageIds}`.
      const chatId = num(isObject(payload.chat) ? payload.chat.id : payload.chatId);
      if (chatId === undefined || !Array.isArray(payload.messageIds)) return undefined;
      return {
        type: "messageDeleted",
        data: { chatId, messageIds: payload.messageIds.map(str).filter((s) => s !== undefined) },
      };
    }
    case Opcode.NOTIF_MSG_DELAYED:
      return parseDelayed(payload);
    default:
      return undefined;
  }
}

/** 154 `{chatId, updateTypeId, message | messageIds, lastDelayedUpdateTime}`; other update types: raw only. */
function parseDelayed(payload: Record<string, unknown>): ParsedPush | undefined {
  const chatId = num(payload.chatId);
  if (chatId === undefined) return undefined;
  const kind = num(payload.updateTypeId);
  if (kind === DelayedUpdateType.FIRE_SUCCESS) {
    if (!Array.isArray(payload.messageIds)) return undefined;
    const data: ScheduledFiredEvent = {
      chatId,
      messageIds: payload.messageIds.map(str).filter((s) => s !== undefined),
    };
    const time = num(payload.lastDelayedUpdateTime);
    if (time !== undefined) data.time = time;
    return { type: "scheduledFired", data };
  }
  if (kind === DelayedUpdateType.EDITED) {
    const message = toMaxScheduledMessage(payload.message, chatId);
    return message ? { type: "scheduledEdited", data: { chatId, message } } : undefined;
  }
  return undefined;
}
