/** MAX client events → unified events, and the stable id of each unified event. */
import type { Event } from "../../core/model.js";
import type { MaxAttach, MaxEventMap, MaxEventName, MaxMessage } from "../client/types.js";
import type { MaxConverter } from "./convert.js";

function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  return undefined;
}
function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
}

/** One client event → zero or more unified events. */
export function unifiedEvents<K extends MaxEventName>(
  conv: MaxConverter,
  type: K,
  data: MaxEventMap[K],
): Event[] {
  switch (type) {
    case "message": {
      const { message } = data as MaxEventMap["message"];
      const control = message.attaches.find((a) => a._type === "CONTROL");
      if (control) return controlEvents(conv, message, control);
      return [{ type: "message.created", message: conv.message(message) }];
    }
    case "messageEdited":
      return [
        { type: "message.edited", message: conv.message((data as MaxEventMap["messageEdited"]).message) },
      ];
    case "messageDeleted": {
      const d = data as MaxEventMap["messageDeleted"];
      return d.messageIds.map((id) => ({
        type: "message.deleted",
        chat: conv.ref(d.chatId),
        message: conv.ref(id),
      }));
    }
    case "reaction": {
      const d = data as MaxEventMap["reaction"];
      // 155 carries counters, not who reacted: report the top reaction as an anonymous change.
      const top = d.yourReaction ?? d.counters[0]?.reaction;
      if (!top) return [];
      return [
        {
          type: "reaction",
          chat: conv.ref(d.chatId),
          message: conv.ref(d.messageId),
          reaction: top,
          added: d.totalCount > 0,
        },
      ];
    }
    case "typing": {
      const d = data as MaxEventMap["typing"];
      return [{ type: "typing", chat: conv.ref(d.chatId), user: conv.ref(d.userId) }];
    }
    case "presence": {
      const d = data as MaxEventMap["presence"];
      const e: Event = { type: "presence", user: conv.ref(d.userId), online: d.online };
      if (d.seen !== undefined) e.lastSeen = d.seen < 1e11 ? d.seen * 1000 : d.seen;
      return [e];
    }
    case "chatUpdated":
      return [{ type: "chat.updated", chat: conv.chat((data as MaxEventMap["chatUpdated"]).chat) }];
    case "state": {
      const d = data as MaxEventMap["state"];
      const e: Event = { type: "connection.state", state: d.state };
      if (d.reason) e.reason = d.reason;
      return [e];
    }
    default:
      return [];
  }
}

/** Service messages about membership (`CONTROL` attaches) → member events. */
function controlEvents(conv: MaxConverter, message: MaxMessage, control: MaxAttach): Event[] {
  const chat = conv.ref(message.chatId);
  const ids = Array.isArray(control.userIds) ? control.userIds.map(num).filter((n) => n !== undefined) : [];
  const users = ids.length ? ids : [num(control.userId) ?? message.sender];
  const event = str(control.event);
  if (event === "add" || event === "joinByLink" || event === "join") {
    return users.map((u) => ({ type: "member.joined", chat, user: conv.ref(u) }));
  }
  if (event === "remove" || event === "leave") {
    return users.map((u) => ({ type: "member.left", chat, user: conv.ref(u) }));
  }
  return [];
}

/**
 * The stable id of a unified event, from MAX data only: the same platform event seen twice (a
 * live push and a catch-up after a reconnect) gets the same id.
 */
export function eventId<K extends MaxEventName>(type: K, data: MaxEventMap[K], event: Event): string {
  switch (event.type) {
    case "message.created":
      return `message.created:${event.message.chat.id}:${event.message.ref.id}`;
    case "message.edited": {
      const m = (data as MaxEventMap["messageEdited"]).message;
      return `message.edited:${event.message.chat.id}:${event.message.ref.id}:${m.updateTime ?? m.time}`;
    }
    case "message.deleted":
      return `message.deleted:${event.chat.id}:${event.message.id}`;
    case "reaction": {
      const d = data as MaxEventMap["reaction"];
      const counters = d.counters.map((c) => `${c.reaction}=${c.count}`).join(",");
      return `reaction:${event.chat.id}:${event.message.id}:${d.totalCount}:${counters}`;
    }
    case "member.joined":
    case "member.left": {
      const m = (data as MaxEventMap["message"]).message;
      return `${event.type}:${event.chat.id}:${m.id}:${event.user.id}`;
    }
    case "presence":
      return `presence:${event.user.id}:${event.online}:${event.lastSeen ?? ""}`;
    case "chat.updated": {
      const c = (data as MaxEventMap["chatUpdated"]).chat;
      return `chat.updated:${c.id}:${c.modified ?? c.lastEventTime ?? ""}`;
    }
    case "typing":
      // Typing notices carry no time of their own and are never replayed: one id per second.
      return `typing:${event.chat.id}:${event.user.id}:${Math.floor(Date.now() / 1000)}`;
    case "connection.state":
      return `connection.state:${event.state}:${Date.now()}`;
    default:
      return `${String(type)}:${Date.now()}`;
  }
}
