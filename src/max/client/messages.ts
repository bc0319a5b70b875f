/** Messages: send (with long-text splitting), forward, edit, delete, fetch, reactions. */
import type { CallOptions } from "../../core/call.js";
import { ApiError, ValidationError } from "../../core/errors.js";
import { parseResponse, validateInput } from "../../core/validation.js";
import { LIMITS, maxRpc } from "../protocol.js";
import { splitText } from "./catch-up.js";
import { newCid } from "./chats.js";
import { type MaxEngine, num } from "./engine.js";
import type { MaxSendOptions, OutgoingMessage } from "./options.js";
import {
  isObject,
  listOf,
  MAX_KEYS,
  type MaxAttach,
  type MaxElement,
  type MaxMessage,
  onlyKnownKeys,
  toMaxMessage,
  toWire,
} from "./types.js";

export type SendTarget = { chatId?: number; userId?: number };

/** The empty elements / attaches of a plain send: only serialised, never changed, so one is shared. */
const NONE: readonly never[] = Object.freeze([]);

const SEND = maxRpc.sendMessage;
const SEND_WHAT = `sendMessage (opcode ${SEND.opcode})`;

/**
 * Sends a message and answers the last part (one part unless the text is long and split). Not
 * async: the usual one-part send hands back sendOne's own promise, one promise and one hop less
 * per message (sendOne is async, so it still reports every failure as a rejection).
 */
export function send(
  e: MaxEngine,
  target: SendTarget,
  msg: OutgoingMessage,
  options: MaxSendOptions,
): Promise<MaxMessage> {
  const text: unknown = msg?.text;
  if (typeof text !== "string" || text.length <= LIMITS.textLength) return sendOne(e, target, msg, options);
  return sendParts(e, target, msg, options).then((sent) => sent.at(-1) as MaxMessage);
}

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

/**
 * Sends one message (64). Not async, and the answer is read (and admitted) by the transport as it
 * lands (`request`'s `read`): the caller's promise settles one hop after the answer frame. What
 * fails before sending (a ValidationError) is a rejection all the same.
 */
export function sendOne(
  e: MaxEngine,
  target: SendTarget,
  msg: OutgoingMessage,
  options: MaxSendOptions,
): Promise<MaxMessage> {
  let payload: Record<string, unknown>;
  try {
    payload = sendPayload(target, msg, options);
  } catch (err) {
    return Promise.reject(err);
  }
  e.sentReader ??= (answer, sent) => readSent(e, answer, sent);
  const read = e.sentReader;
  // Connected: straight to the transport, as `invoke` would after its checks.
  if (e.fatal || e.closed || e.transport.state === "disconnected")
    return e.invoke(SEND.opcode, payload, options).then((answer) => read(answer, payload) as MaxMessage);
  return e.transport.request(SEND.opcode, payload, options, read) as Promise<MaxMessage>;
}

/** The 64 answer as a MaxMessage, admitted: our own message must not come back from a catch-up. */
function readSent(e: MaxEngine, answer: unknown, payload: unknown): MaxMessage {
  const chatIdHint = (payload as SendTarget).chatId;
  const sent = sentMessage(answer, chatIdHint) ?? readAnswer(answer, chatIdHint);
  e.tracker.admit(sent);
  return sent;
}

/** The 64 payload, checked: a ValidationError (nothing sent) when it does not fit. */
function sendPayload(target: SendTarget, msg: OutgoingMessage, options: MaxSendOptions) {
  const message: Record<string, unknown> = {
    text: msg.text ?? "",
    cid: options.cid ?? newCid(),
    // A received element or attach sent on: its `extra` fields go back to the top level.
    elements: msg.elements?.length ? msg.elements.map(toWire) : NONE,
    attaches: msg.attaches?.length ? msg.attaches.map(toWire) : NONE,
  };
  if (options.replyTo !== undefined) message.link = { type: "REPLY", messageId: options.replyTo };
  else if (msg.link) message.link = toWire(msg.link);
  // Literals in the seed's field order instead of a spread of `target` (the generic copy per send).
  const notify = options.notify ?? true;
  const { chatId, userId } = target;
  const payload =
    userId === undefined
      ? { chatId, message, notify }
      : chatId === undefined
        ? { userId, message, notify }
        : { chatId, userId, message, notify };
  // The plain text send is checked by hand (what the schema would accept, nothing looser);
  // anything else goes through the request schema.
  if (!isPlainSend(payload))
    validateInput(SEND.request, payload, { platform: "max", what: `invalid request for ${SEND_WHAT}` });
  return payload;
}

const isId = (v: unknown): boolean => v === undefined || Number.isSafeInteger(v);

/** True for `{chatId|userId, message: {text, cid, elements: [], attaches: []}, notify}` only. */
export function isPlainSend(p: {
  chatId?: unknown;
  userId?: unknown;
  message: Record<string, unknown>;
  notify?: unknown;
}): boolean {
  const m = p.message;
  return (
    isId(p.chatId) &&
    isId(p.userId) &&
    typeof p.notify === "boolean" &&
    typeof m.text === "string" &&
    Number.isFinite(m.cid) &&
    Array.isArray(m.elements) &&
    m.elements.length === 0 &&
    Array.isArray(m.attaches) &&
    m.attaches.length === 0 &&
    m.link === undefined
  );
}

// A field the types do not name goes under `extra` in toMaxMessage: such answers take the full reading.
const isElement = (v: unknown): boolean =>
  isObject(v) && typeof v.type === "string" && onlyKnownKeys(v, MAX_KEYS.element);
const isAttach = (v: unknown): boolean =>
  isObject(v) && typeof v._type === "string" && onlyKnownKeys(v, MAX_KEYS.attach);

/**
 * The 64 answer read in place, for the usual shape (a message object with an id, no link, valid
 * elements and attaches): the same MaxMessage `toMaxMessage` builds, without copying the
 * freshly parsed answer (the copy cost more than the round trip's own JSON). Anything else:
 * undefined, and the full reading (`readAnswer`) decides.
 */
export function sentMessage(answer: unknown, chatIdHint: number | undefined): MaxMessage | undefined {
  if (!isObject(answer)) return undefined;
  const m = answer.message;
  if (!isObject(m) || m.link !== undefined || !onlyKnownKeys(m, MAX_KEYS.message)) return undefined;
  if (answer.chat !== undefined && !isObject(answer.chat)) return undefined;
  const c = answer.chatId;
  if (c !== undefined && typeof c !== "number" && typeof c !== "string") return undefined;
  const id = typeof m.id === "string" ? m.id : typeof m.id === "number" ? String(m.id) : undefined;
  if (id === undefined) return undefined;
  const { elements, attaches } = m;
  if (elements !== undefined && !(Array.isArray(elements) && elements.every(isElement))) return undefined;
  if (attaches !== undefined && !(Array.isArray(attaches) && attaches.every(isAttach))) return undefined;
  // Same fields, same order as toMaxMessage's `{...inner, id, chatId, …}`.
  m.id = id;
  m.chatId = num(c) ?? num(m.chatId) ?? chatIdHint ?? 0;
  m.time = num(m.time) ?? 0;
  m.sender = num(m.sender) ?? 0;
  m.text = typeof m.text === "string" ? m.text : "";
  m.type = typeof m.type === "string" ? m.type : "USER";
  m.elements = elements ?? [];
  m.attaches = attaches ?? [];
  return m as unknown as MaxMessage;
}

/** The 64 answer through its response schema (ApiError `bad_response`) and toMaxMessage. */
function readAnswer(answer: unknown, chatIdHint: number | undefined): MaxMessage {
  const a = parseResponse(SEND.response, isObject(answer) ? answer : {}, {
    platform: "max",
    what: SEND_WHAT,
  });
  const sent = toMaxMessage(a, chatIdHint);
  if (!sent) throw new ApiError("send answer had no message", { platform: "max", code: "bad_answer" });
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
  const payload: Record<string, unknown> = {
    chatId,
    messageId,
    text,
    elements: (options.elements ?? []).map(toWire),
  };
  if (options.attaches) payload.attaches = options.attaches.map(toWire);
  const a = await e.call("editMessage", payload, options);
  const m = toMaxMessage(a, chatId);
  if (!m) throw new ApiError("edit answer had no message", { platform: "max", code: "bad_answer" });
  // Our own edit is not pushed back to us: remembered, so a catch-up does not report it.
  e.tracker.noteEdit(m);
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
