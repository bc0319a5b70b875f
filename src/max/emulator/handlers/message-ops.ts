/**
 * What sending, editing and deleting a message does, shared by the user API's handlers (64, 66,
 * 67) and the bots' world (bot-world.ts): the checks, the store writes in one transaction with
 * the world events inside it, and the pushes after the commit.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import {
  ContactAttach,
  ErrorCode,
  LIMITS,
  LocationAttach,
  MessageLink,
  Opcode,
  PollAttach,
  StickerAttach,
} from "../../protocol.js";
import type { MaxConnection } from "../connection.js";
import type { MaxEmulator } from "../context.js";
import { accessDenied, badPayload, MaxProtocolError } from "../errors.js";
import type { MemberRow } from "../store/chats.js";
import type { MessageRow, WireMessage } from "../store/messages.js";
import { worldMessage } from "../world-events.js";
import {
  isAdmin,
  type Membership,
  messageWire,
  type NewMessage,
  registerKeyboards,
  requireMember,
  resolveSendTarget,
  type SendTarget,
  viewerOf,
} from "./chats.js";
import { isBlocked } from "./contacts.js";
import { validateMediaAttach } from "./files.js";

const MEDIA = new Set(["PHOTO", "VIDEO", "FILE", "VOICE", "AUDIO"]);
const PLAIN_SCHEMAS = {
  STICKER: StickerAttach,
  LOCATION: LocationAttach,
  CONTACT: ContactAttach,
  POLL: PollAttach,
};

/**
 * Inline keyboard buttons as PyMax models them (types/domain/attachments/keyboards); limits as
 * the Bot API documents them (at most 30 rows, 7 buttons a row, 210 in all).
 */
const Button = z.looseObject({
  type: z.enum([
    "CALLBACK",
    "LINK",
    "CHAT",
    "REQUEST_GEO_LOCATION",
    "REQUEST_CONTACT",
    "OPEN_APP",
    "MESSAGE",
    "CLIPBOARD",
  ]),
  text: z.string().min(1).max(128),
  payload: z.string().max(1024).optional(),
  url: z.string().max(2048).optional(),
  intent: z.string().max(32).optional(),
});
const InlineKeyboard = z.looseObject({
  _type: z.literal("INLINE_KEYBOARD"),
  keyboard: z.looseObject({
    buttons: z
      .array(z.array(Button).min(1).max(7))
      .min(1)
      .max(30)
      .refine((rows) => rows.reduce((n, r) => n + r.length, 0) <= 210, "at most 210 buttons"),
  }),
});

export const messageNotFound = () =>
  new MaxProtocolError(ErrorCode.MESSAGE_NOT_FOUND, "Message not found", "Сообщение не найдено");
export const attachInvalid = (why: string) =>
  new MaxProtocolError(ErrorCode.ATTACH_INVALID, why, "Вложение недоступно");
export const messageEmpty = () =>
  new MaxProtocolError(ErrorCode.MESSAGE_EMPTY, "Message is empty", "Пустое сообщение");

/** Text length in characters (code points), as the service counts them. */
export function checkText(text: string): void {
  if (text.length <= LIMITS.textLength) return;
  let n = 0;
  for (const _ of text) if (++n > LIMITS.textLength) break;
  if (n > LIMITS.textLength) {
    throw new MaxProtocolError(
      ErrorCode.TEXT_TOO_LONG,
      `Message text is longer than ${LIMITS.textLength} characters`,
      "Слишком длинное сообщение",
    );
  }
}

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join(".")} ${issue.message}` : "";
}

/** Checks an outgoing attach and returns what the message stores. */
function storedAttach(
  emu: MaxEmulator,
  attach: { _type: string } & Record<string, unknown>,
  senderId: number,
): Record<string, unknown> {
  if (MEDIA.has(attach._type)) return { ...validateMediaAttach(emu, attach, senderId) };
  if (attach._type === "INLINE_KEYBOARD") {
    const parsed = InlineKeyboard.safeParse(attach);
    if (!parsed.success) throw attachInvalid(`Invalid INLINE_KEYBOARD attach: ${issueText(parsed.error)}`);
    for (const row of parsed.data.keyboard.buttons) {
      for (const b of row) {
        if (b.type === "CALLBACK" && b.payload === undefined)
          throw attachInvalid("A CALLBACK button needs payload");
        if (b.type === "LINK" && b.url === undefined) throw attachInvalid("A LINK button needs url");
      }
    }
    // Each keyboard gets its own callbackId: a press (118) names the keyboard by it.
    return { ...parsed.data, callbackId: randomBytes(12).toString("base64url") };
  }
  const schema = PLAIN_SCHEMAS[attach._type as keyof typeof PLAIN_SCHEMAS];
  if (!schema) throw attachInvalid(`Attach type ${attach._type} cannot be sent`);
  const parsed = schema.safeParse(attach);
  if (!parsed.success) throw attachInvalid(`Invalid ${attach._type} attach: ${issueText(parsed.error)}`);
  const out: Record<string, unknown> = { ...parsed.data };
  if (parsed.data._type === "POLL") {
    // Poll ids share the message id sequence: unique and increasing.
    out.pollId = emu.ids.messageId(emu.now());
    out.answers = parsed.data.options.map((o, i) => ({ id: i + 1, text: o.text, votes: 0 }));
  }
  return out;
}

export function storedAttaches(
  emu: MaxEmulator,
  attaches: readonly ({ _type: string } & Record<string, unknown>)[],
  senderId: number,
): Record<string, unknown>[] {
  const out = attaches.map((a) => storedAttach(emu, a, senderId));
  if (out.filter((a) => a._type === "INLINE_KEYBOARD").length > 1)
    throw attachInvalid("A message carries at most one INLINE_KEYBOARD");
  return out;
}

/** A message stored inside a link (reply / forward): its own link is dropped to keep nesting flat. */
function linkedMessage(emu: MaxEmulator, row: MessageRow): WireMessage {
  const wire = emu.repos.messages.toWire(row);
  delete wire.link;
  return wire;
}

/** Resolves a REPLY / FORWARD link into what the message stores (with the linked messages). */
export function storedLink(
  emu: MaxEmulator,
  raw: Record<string, unknown>,
  chatId: number | undefined,
  userId: number,
): Record<string, unknown> {
  const parsed = MessageLink.safeParse(raw);
  if (!parsed.success) throw badPayload("message.link must be a REPLY or FORWARD link");
  const link = parsed.data;
  const sourceChatId = link.chatId ?? chatId;
  if (sourceChatId === undefined) throw messageNotFound();
  const source = requireMember(emu, sourceChatId, userId);
  const viewer = viewerOf(source.member);
  const find = (id: string): MessageRow => {
    const row = /^\d{1,16}$/.test(id)
      ? emu.repos.messages.visible(sourceChatId, Number(id), viewer)
      : undefined;
    if (!row) throw messageNotFound();
    return row;
  };
  if (link.type === "REPLY") {
    const row = find(link.messageId);
    return {
      type: "REPLY",
      messageId: String(row.id),
      chatId: sourceChatId,
      message: linkedMessage(emu, row),
    };
  }
  const ids = link.messageIds ?? (link.messageId !== undefined ? [link.messageId] : []);
  if (ids.length === 0) throw badPayload("FORWARD link needs messageId or messageIds");
  const rows = ids.map(find);
  const first = rows[0]!;
  const out: Record<string, unknown> = {
    type: "FORWARD",
    chatId: sourceChatId,
    messageId: String(first.id),
    message: linkedMessage(emu, first),
  };
  if (rows.length > 1) {
    out.messageIds = rows.map((r) => String(r.id));
    out.messages = rows.map((r) => linkedMessage(emu, r));
  }
  return out;
}

export function requireVisible(emu: MaxEmulator, m: Membership, messageId: string): MessageRow {
  const row = /^\d{1,16}$/.test(messageId)
    ? emu.repos.messages.visible(m.chat.id, Number(messageId), viewerOf(m.member))
    : undefined;
  if (!row) throw messageNotFound();
  return row;
}

export function isControl(row: MessageRow): boolean {
  return row.attaches.includes('"_type":"CONTROL"');
}

function canDeleteForAll(member: MemberRow, chatType: string, row: MessageRow): boolean {
  if (row.sender_id === member.user_id) return true;
  return chatType !== "DIALOG" && isAdmin(member);
}

// ── send ────────────────────────────────────────────────────────────────────

export interface OutgoingInput {
  text: string;
  cid?: number;
  elements: unknown[];
  attaches: readonly ({ _type: string } & Record<string, unknown>)[];
  link?: Record<string, unknown> | null;
}

export interface PreparedSend {
  target: SendTarget;
  input: NewMessage;
  /** The other user of a dialog (existing or about to be opened). */
  peer: number | undefined;
}

/** Every check of a 64 (except CONTROL chat creation) and the message to store; writes nothing but poll ids. */
export function prepareSend(
  emu: MaxEmulator,
  userId: number,
  chatId: number | undefined,
  otherUserId: number | undefined,
  msg: OutgoingInput,
): PreparedSend {
  checkText(msg.text);
  const target = resolveSendTarget(emu, userId, chatId, otherUserId);
  if ("chatId" in target && target.kind === "CHANNEL" && target.role === "MEMBER") {
    throw accessDenied("Only channel admins can post");
  }
  const peer =
    "dialogWith" in target
      ? target.dialogWith
      : target.kind === "DIALOG"
        ? emu.repos.chats.memberIds(target.chatId).find((id) => id !== userId)
        : undefined;
  // A user who blocked the sender no longer receives their direct messages.
  if (peer !== undefined && isBlocked(emu, peer, userId)) throw accessDenied("This user has blocked you");
  const attaches = msg.attaches.length ? storedAttaches(emu, msg.attaches, userId) : [];
  const knownChat = "chatId" in target ? target.chatId : undefined;
  const link = msg.link ? storedLink(emu, msg.link, knownChat, userId) : undefined;
  if (msg.text.trim() === "" && attaches.length === 0 && link?.type !== "FORWARD") throw messageEmpty();
  const input: NewMessage = { text: msg.text, elements: msg.elements, attaches };
  if (msg.cid !== undefined) input.cid = msg.cid;
  if (link) input.link = link;
  return { target, input, peer };
}

// ── edit ────────────────────────────────────────────────────────────────────

/**
 * 67: the sender edits text, elements and (when given) attaches. One transaction with the
 * `message.edited` event; then 128 with the edited message to every member session but `except`.
 */
export function editMessage(
  emu: MaxEmulator,
  userId: number,
  chatId: number,
  messageId: string,
  edit: {
    text: string;
    elements?: unknown[];
    attaches?: readonly ({ _type: string } & Record<string, unknown>)[];
  },
  except: MaxConnection | undefined,
): WireMessage {
  const m = requireMember(emu, chatId, userId);
  const row = requireVisible(emu, m, messageId);
  if (row.sender_id !== userId || isControl(row)) throw accessDenied("Only the sender can edit a message");
  checkText(edit.text);
  const attaches = edit.attaches
    ? storedAttaches(emu, edit.attaches, userId)
    : (JSON.parse(row.attaches) as unknown[]);
  if (edit.text.trim() === "" && attaches.length === 0 && !row.link) throw messageEmpty();
  const now = emu.now();
  const stored = emu.db.transaction(() => {
    emu.repos.messages.edit(
      row.id,
      edit.text,
      JSON.stringify(edit.elements ?? []),
      JSON.stringify(attaches),
      now,
    );
    emu.repos.chats.touch(m.chat.id, now);
    const fresh = emu.repos.messages.inChat(m.chat.id, row.id)!;
    registerKeyboards(emu, fresh);
    if (emu.events.active) emu.events.emit({ type: "message.edited", message: worldMessage(fresh) });
    return fresh;
  })();
  const message = messageWire(emu, stored);
  emu.hub.emit(
    emu.repos.chats.memberIds(m.chat.id),
    Opcode.NEW_MESSAGE,
    { chatId: m.chat.id, message, ttl: false },
    except,
  );
  return message;
}

// ── delete ──────────────────────────────────────────────────────────────────

/**
 * 66: hides messages for the caller (`forMe`) or removes them for everyone (sender, or a group
 * admin): REMOVED tombstones pushed as 128. Removal for everyone emits `message.removed` per
 * message inside its transaction.
 */
export function deleteMessages(
  emu: MaxEmulator,
  userId: number,
  chatId: number,
  messageIds: readonly string[],
  forMe: boolean,
  except: MaxConnection | undefined,
): void {
  const m = requireMember(emu, chatId, userId);
  const rows = [...new Set(messageIds)].map((id) => requireVisible(emu, m, id));
  const now = emu.now();
  if (forMe) {
    emu.db.transaction(() => {
      for (const row of rows) emu.repos.messages.hide(userId, row.id);
    })();
    for (const row of rows) {
      const tomb = emu.repos.messages.toWire({
        ...row,
        status: "REMOVED",
        text: "",
        elements: "[]",
        attaches: "[]",
        link: null,
      });
      emu.hub.emit([userId], Opcode.NEW_MESSAGE, { chatId: m.chat.id, message: tomb, ttl: false }, except);
    }
    return;
  }
  for (const row of rows) {
    if (!canDeleteForAll(m.member, m.chat.type, row))
      throw accessDenied("Only the sender or an admin can delete this message");
  }
  emu.db.transaction(() => {
    for (const row of rows) emu.repos.messages.remove(row.id, now);
    // A change to the chat: a client that was away sees it in the chat's lastEventTime.
    emu.repos.chats.touch(m.chat.id, now);
    if (emu.events.active) {
      for (const row of rows) {
        emu.events.emit({
          type: "message.removed",
          chatId: m.chat.id,
          messageId: row.id,
          senderId: row.sender_id,
          byUserId: userId,
        });
      }
    }
  })();
  const members = emu.repos.chats.memberIds(m.chat.id);
  for (const row of rows) {
    const tomb = emu.repos.messages.toWire(emu.repos.messages.inChat(m.chat.id, row.id)!);
    emu.hub.emit(members, Opcode.NEW_MESSAGE, { chatId: m.chat.id, message: tomb, ttl: false }, except);
  }
}
