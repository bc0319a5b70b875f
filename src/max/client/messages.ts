/** Messages: send (with long-text splitting), forward, edit, delete, fetch, reactions. */
import type { CallOptions } from "../../core/call.js";
import { ApiError, ValidationError } from "../../core/errors.js";
import { LIMITS } from "../protocol.js";
import { splitText } from "./catch-up.js";
import { newCid } from "./chats.js";
import type { MaxEngine } from "./engine.js";
import type { MaxSendOptions, OutgoingMessage } from "./options.js";
import { isObject, listOf, type MaxAttach, type MaxElement, type MaxMessage, toMaxMessage } from "./types.js";

export type SendTarget = { chatId?: number; userId?: number };

/**
 * Sends a message (64). Text over 4000 chars is a ValidationError unless splitting is on, in
 * which case the parts go out in order; every part is returned, in order.
 */
export async function sendParts(
  e: MaxEngine,
  target: SendTarget,
  msg: OutgoingMessage,
  options: MaxSendOptions,
): Promise<MaxMessage[]> {
  const text = msg.text ?? "";
  if (text.length <= LIMITS.textLength) return [await sendOne(e, target, msg, options)];
  if (!(options.split ?? e.o.splitLongText)) {
    throw new ValidationError(
      `message text is ${text.length} characters; MAX allows ${LIMITS.textLength} (pass split: true to send it in parts)`,
      { platform: "max", code: "text_too_long", issues: ["message.text: too long"] },
    );
  }
  const parts = splitText(text, LIMITS.textLength);
  const sent: MaxMessage[] = [];
  for (const [i, part] of parts.entries()) {
    const end = part.start + part.text.length;
    const elements = (msg.elements ?? []).flatMap((el) => {
      const from = el.from ?? 0;
      const to = from + (el.length ?? 0);
      const a = Math.max(from, part.start);
      const b = Math.min(to, end);
      return b > a ? [{ ...el, from: a - part.start, length: b - a }] : [];
    });
    const body: OutgoingMessage = { text: part.text, elements };
    // Attaches and the reply go with the first part, so they stay next to the start.
    if (i === 0) {
      if (msg.attaches) body.attaches = msg.attaches;
      if (msg.link) body.link = msg.link;
    }
    const partOptions: MaxSendOptions = i === 0 ? options : { ...options, replyTo: undefined };
    // A given cid is the first part's; the others derive from it so a retry repeats them all.
    if (options.cid !== undefined) partOptions.cid = options.cid + i;
    sent.push(await sendOne(e, target, body, partOptions));
  }
  return sent;
}

export async function sendOne(
  e: MaxEngine,
  target: SendTarget,
  msg: OutgoingMessage,
  options: MaxSendOptions,
): Promise<MaxMessage> {
  const message: Record<string, unknown> = {
    text: msg.text ?? "",
    cid: options.cid ?? newCid(),
    elements: msg.elements ?? [],
    attaches: msg.attaches ?? [],
  };
  if (options.replyTo !== undefined) message.link = { type: "REPLY", messageId: options.replyTo };
  else if (msg.link) message.link = msg.link;
  const a = await e.call("sendMessage", { ...target, message, notify: options.notify ?? true }, options);
  const sent = toMaxMessage(a, target.chatId);
  if (!sent) throw new ApiError("send answer had no message", { platform: "max", code: "bad_answer" });
  // Our own message must not come back as "missed" from a catch-up.
  e.tracker.admit(sent);
  return sent;
}

export async function editMessage(
  e: MaxEngine,
  chatId: number,
  messageId: string,
  text: string,
  options: CallOptions & { elements?: MaxElement[]; attaches?: MaxAttach[] },
): Promise<MaxMessage> {
  if (text.length > LIMITS.textLength) {
    throw new ValidationError(`message text is ${text.length} characters; MAX allows ${LIMITS.textLength}`, {
      platform: "max",
      code: "text_too_long",
    });
  }
  const payload: Record<string, unknown> = { chatId, messageId, text, elements: options.elements ?? [] };
  if (options.attaches) payload.attaches = options.attaches;
  const a = await e.call("editMessage", payload, options);
  const m = toMaxMessage(a, chatId);
  if (!m) throw new ApiError("edit answer had no message", { platform: "max", code: "bad_answer" });
  return m;
}

export async function getMessages(
  e: MaxEngine,
  chatId: number,
  messageIds: string[],
  options: CallOptions,
): Promise<MaxMessage[]> {
  const a = await e.call("getMessages", { chatId, messageIds }, options);
  return listOf(a, "messages", (m) => toMaxMessage(m, chatId));
}

export async function getReactions(
  e: MaxEngine,
  chatId: number,
  messageIds: string[],
  options: CallOptions,
): Promise<Record<string, unknown>> {
  const a = await e.call("getReactions", { chatId, messageIds }, options);
  return isObject(a.messagesReactions) ? a.messagesReactions : {};
}
