/**
 * Scheduled (held) messages as the client reads them: the message type with its fire time, the
 * two 154 events, and the reader that turns a wire message with `delayedAttributes` into one.
 */
import { isObject, type MaxMessage, num, toMaxMessage } from "./types.js";

/** A scheduled (held) message as its sender sees it: a message plus when it goes out. */
export interface MaxScheduledMessage extends MaxMessage {
  /** When the server sends it, ms since the epoch (the wire's `delayedAttributes.timeToFire`). */
  fireAt: number;
  /** Whether the sender is notified when it goes out (`delayedAttributes.notifySender`). */
  notifySender: boolean;
}

/** 154 FIRE_SUCCESS: held messages went out; each arrives as a `message` with a new id. */
export interface ScheduledFiredEvent {
  chatId: number;
  /** The held ids (those `scheduleMessage` answered), not the ids of the sent messages. */
  messageIds: string[];
  /** The server's time of the change, ms (`lastDelayedUpdateTime`), when it sent one. */
  time?: number | undefined;
}
/** 154 EDITED: a held message was changed from another session of this account. */
export interface ScheduledEditedEvent {
  chatId: number;
  message: MaxScheduledMessage;
}

/**
 * Reads a held message (64 answer, 49 DELAYED list, 67 answer, 154 EDITED): a message whose
 * `delayedAttributes` become `fireAt` / `notifySender` instead of an `extra` field. Undefined
 * when it has no `delayedAttributes.timeToFire` (then it is no held message).
 */
export function toMaxScheduledMessage(raw: unknown, chatIdHint?: number): MaxScheduledMessage | undefined {
  const message = toMaxMessage(raw, chatIdHint);
  if (!message || !isObject(raw)) return undefined;
  const inner = isObject(raw.message) ? raw.message : raw;
  const when = isObject(inner.delayedAttributes) ? inner.delayedAttributes : undefined;
  const fireAt = num(when?.timeToFire);
  if (fireAt === undefined) return undefined;
  if (message.extra) {
    const { delayedAttributes: _read, ...rest } = message.extra;
    if (Object.keys(rest).length > 0) message.extra = rest;
    else delete message.extra;
  }
  return { ...message, fireAt, notifySender: when?.notifySender === true };
}
