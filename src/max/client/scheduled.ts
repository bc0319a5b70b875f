/**
 * Scheduled messages: 64 with `message.delayedAttributes {timeToFire, notifySender}` holds a
 * message until its time; 49 `itemType: "DELAYED"` lists the caller's held messages of a chat,
 * 67 with top-level `delayedAttributes` edits one, 66 `itemType: "DELAYED"` cancels. When one goes
 * out the server pushes it as a new message (128) and tells the sender with 154 (push.ts).
 *
 * A time in the past is not an error: the service sends the message at its next check, as the
 * emulator does. A time more than a year ahead is refused by the server (ApiError).
 */
import type { CallOptions } from "../../core/call.js";
import { ApiError, ValidationError } from "../../core/errors.js";
import { LIMITS } from "../protocol.js";
import { newCid } from "./chats.js";
import type { MaxEngine } from "./engine.js";
import type { OutgoingMessage } from "./options.js";
import { type MaxScheduledMessage, toMaxScheduledMessage } from "./scheduled-message.js";
import { listOf, str, toWire } from "./types.js";

export type ScheduleOptions = CallOptions & {
  /** Notify the sender when the message goes out (default true, as the apps do). */
  notifySender?: boolean | undefined;
  /** Client message id; a fresh one by default. */
  cid?: number | undefined;
  /** Id of a message this one replies to, when it goes out. */
  replyTo?: string | undefined;
};

export type EditScheduledOptions = CallOptions & {
  /** A new time; the held time is kept when absent. */
  at?: Date | number | undefined;
  notifySender?: boolean | undefined;
};

function invalid(message: string, issue: string): ValidationError {
  return new ValidationError(message, { platform: "max", code: "invalid_request", issues: [issue] });
}

/** A Date or ms since the epoch → integer ms; ValidationError for anything else. */
export function fireTime(at: Date | number, field = "at"): number {
  const ms = at instanceof Date ? at.getTime() : at;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    throw invalid(`${field} must be a valid Date or a time in ms since the epoch`, `${field}: invalid time`);
  }
  return Math.floor(ms);
}

function checkText(text: unknown, hasAttaches: boolean): string {
  if (text !== undefined && typeof text !== "string")
    throw invalid("text must be a string", "text: not a string");
  const t = text ?? "";
  if (t.length > LIMITS.textLength) {
    throw new ValidationError(`message text is ${t.length} characters; MAX allows ${LIMITS.textLength}`, {
      platform: "max",
      code: "text_too_long",
      issues: ["text: too long"],
    });
  }
  if (t.trim() === "" && !hasAttaches)
    throw invalid("a scheduled message needs text or attaches", "text: empty");
  return t;
}

function heldAnswer(answer: unknown, chatId: number, what: string): MaxScheduledMessage {
  const held = toMaxScheduledMessage(answer, chatId);
  if (!held)
    throw new ApiError(`${what} answer had no scheduled message`, { platform: "max", code: "bad_answer" });
  return held;
}

/** 64 with `delayedAttributes`: the held message, with the id that edits and cancels it. */
export async function scheduleMessage(
  e: MaxEngine,
  chatId: number,
  msg: OutgoingMessage,
  at: Date | number,
  options: ScheduleOptions,
): Promise<MaxScheduledMessage> {
  const timeToFire = fireTime(at);
  const text = checkText(msg.text, (msg.attaches?.length ?? 0) > 0);
  const message: Record<string, unknown> = {
    text,
    cid: options.cid ?? newCid(),
    elements: (msg.elements ?? []).map(toWire),
    attaches: (msg.attaches ?? []).map(toWire),
    delayedAttributes: { timeToFire, notifySender: options.notifySender ?? true },
  };
  if (options.replyTo !== undefined) message.link = { type: "REPLY", messageId: options.replyTo };
  else if (msg.link) message.link = toWire(msg.link);
  const answer = await e.call("sendMessage", { chatId, message, notify: true }, options);
  return heldAnswer(answer, chatId, "schedule");
}

/** 49 `itemType: "DELAYED"`: this account's held messages of the chat, soonest first. */
export async function scheduledMessages(
  e: MaxEngine,
  chatId: number,
  options: CallOptions,
): Promise<MaxScheduledMessage[]> {
  const a = await e.call("getChat", { chatId, itemType: "DELAYED", getMessages: true }, options);
  return listOf(a, "messages", (m) => toMaxScheduledMessage(m, chatId)).sort(
    (x, y) => x.fireAt - y.fireAt || x.id.localeCompare(y.id),
  );
}

/**
 * 67 with top-level `delayedAttributes`. It always carries them, so the server edits a held
 * message or answers not-found, never a sent message of the same id; without `at` the held time
 * is read first (49 DELAYED) and sent back unchanged.
 */
export async function editScheduled(
  e: MaxEngine,
  chatId: number,
  messageId: string,
  text: string,
  options: EditScheduledOptions,
): Promise<MaxScheduledMessage> {
  checkText(text, false);
  let timeToFire = options.at === undefined ? undefined : fireTime(options.at);
  let notifySender = options.notifySender;
  if (timeToFire === undefined) {
    const held = (await scheduledMessages(e, chatId, options)).find((m) => m.id === messageId);
    if (!held) {
      throw new ApiError(`no scheduled message ${messageId} in chat ${chatId}`, {
        platform: "max",
        code: "message.not.found",
      });
    }
    timeToFire = held.fireAt;
    notifySender ??= held.notifySender;
  }
  const delayedAttributes: Record<string, unknown> = { timeToFire };
  if (notifySender !== undefined) delayedAttributes.notifySender = notifySender;
  const a = await e.call(
    "editMessage",
    { chatId, messageId, text, elements: [], delayedAttributes },
    options,
  );
  return heldAnswer(a, chatId, "edit");
}

/** 66 `itemType: "DELAYED"`: cancels held messages; answers the ids the server cancelled. */
export async function cancelScheduled(
  e: MaxEngine,
  chatId: number,
  messageIds: string[],
  options: CallOptions,
): Promise<string[]> {
  const a = await e.call("deleteMessage", { chatId, messageIds, itemType: "DELAYED", forMe: false }, options);
  const ids = (a as { messageIds?: unknown }).messageIds;
  // An answer without the list (the service's shape is unconfirmed): the ones asked for.
  return Array.isArray(ids) ? ids.map(str).filter((s) => s !== undefined) : [...messageIds];
}
