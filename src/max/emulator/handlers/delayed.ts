/**
 * Scheduled messages. A 64 whose `message` carries `delayedAttributes {timeToFire, notifySender}`
 * (the apps; PyMax `send_message(send_at=…)` and its ports) is checked like any send, then held:
 * the answer is the held message with its `delayedAttributes`, nobody else sees it, and 49 with
 * `itemType: "DELAYED"` lists the sender's held messages of the chat. 67 edits one (text,
 * attaches, `delayedAttributes` at the top level), 66 with `itemType: "DELAYED"` cancels.
 *
 * When `timeToFire` comes (the emulator's clock, checked every second and at start, so held
 * messages survive a restart), the message moves into the chat in one transaction: stored once
 * with a new id and the fire time, pushed as 128 to every member, and the sender's sessions get
 * 154 FIRE_SUCCESS naming the held ids. An edit is pushed to the sender's other sessions as 154
 * EDITED. A message whose sender left the chat meanwhile is dropped.
 */
import { DelayedUpdateType, Opcode } from "../../protocol.js";
import type { MaxConnection } from "../connection.js";
import { type HandlerContext, type MaxEmulator, me } from "../context.js";
import { badPayload } from "../errors.js";
import { DELAYED_PER_CHAT_LIMIT, type DelayedRow } from "../store/delayed.js";
import { chatWire, type Membership, openDialog, pushMessage, requireMember, storeMessage } from "./chats.js";
import {
  checkText,
  messageEmpty,
  messageNotFound,
  type OutgoingInput,
  prepareSend,
  storedAttaches,
} from "./message-ops.js";

/** How far ahead a message may be scheduled. */
const MAX_DELAY_MS = 366 * 24 * 60 * 60 * 1000;
/** Held messages fired per check; the rest wait for the next one. */
const FIRE_BATCH = 200;

export interface DelayedAttributesInput {
  timeToFire: number;
  notifySender?: boolean | undefined;
}

/** A held message as its sender sees it. */
export function delayedWire(row: DelayedRow): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    id: String(row.id),
    time: row.created_at,
    sender: row.sender_id,
    text: row.text,
    type: "USER",
    elements: JSON.parse(row.elements) as unknown,
    attaches: JSON.parse(row.attaches) as unknown,
    delayedAttributes: { timeToFire: row.fire_at, notifySender: row.notify_sender === 1 },
  };
  if (row.cid !== null) wire.cid = row.cid;
  if (row.link) wire.link = JSON.parse(row.link) as unknown;
  if (row.update_time !== row.created_at) wire.updateTime = row.update_time;
  return wire;
}

function checkFireTime(emu: MaxEmulator, timeToFire: number): void {
  if (timeToFire > emu.now() + MAX_DELAY_MS) throw badPayload("timeToFire is more than a year ahead");
}

/** 64 with `delayedAttributes`: holds the message; answers `{chatId, message}` as the service does. */
export function holdMessage(
  ctx: HandlerContext,
  payload: { chatId?: number | undefined; userId?: number | undefined; message: OutgoingInput },
  delayed: DelayedAttributesInput,
): Record<string, unknown> {
  const { emu, conn } = ctx;
  const userId = me(ctx);
  checkFireTime(emu, delayed.timeToFire);
  const { target, input } = prepareSend(emu, userId, payload.chatId, payload.userId, payload.message);
  let chatId: number;
  if ("chatId" in target) chatId = target.chatId;
  else {
    // A message scheduled to someone you never wrote to opens the (empty) dialog now.
    chatId = openDialog(emu, userId, target.dialogWith).id;
    const chat = emu.repos.chats.byId(chatId)!;
    emu.hub.emit(emu.repos.chats.memberIds(chatId), Opcode.CHAT_UPDATED, { chat: chatWire(emu, chat) }, conn);
  }
  if (emu.repos.delayed.count(chatId, userId) >= DELAYED_PER_CHAT_LIMIT) {
    throw badPayload(`at most ${DELAYED_PER_CHAT_LIMIT} scheduled messages per chat`);
  }
  const now = emu.now();
  const row: DelayedRow = {
    id: emu.ids.messageId(now),
    chat_id: chatId,
    sender_id: userId,
    cid: input.cid ?? null,
    text: input.text,
    elements: JSON.stringify(input.elements),
    attaches: JSON.stringify(input.attaches),
    link: input.link ? JSON.stringify(input.link) : null,
    notify_sender: delayed.notifySender ? 1 : 0,
    fire_at: delayed.timeToFire,
    created_at: now,
    update_time: now,
  };
  emu.repos.delayed.insert(row);
  return { chatId, message: delayedWire(row) };
}

/** 49 with `itemType: "DELAYED"`: the caller's held messages of the chat, soonest first. */
export function listDelayed(emu: MaxEmulator, m: Membership): Record<string, unknown>[] {
  return emu.repos.delayed.list(m.chat.id, m.member.user_id).map(delayedWire);
}

function heldId(messageId: string): number | undefined {
  return /^\d{1,16}$/.test(messageId) ? Number(messageId) : undefined;
}

function pushDelayed(
  emu: MaxEmulator,
  userId: number,
  payload: Record<string, unknown>,
  except: MaxConnection | undefined,
): void {
  emu.hub.emit([userId], Opcode.NOTIF_MSG_DELAYED, payload, except);
}

/**
 * 67 on a held message of the caller: new text / elements / attaches and, with
 * `delayedAttributes`, a new time. Undefined when the id is no held message of the caller (then
 * it is a regular edit), unless `delayedAttributes` says it must be one.
 */
export function editDelayed(
  ctx: HandlerContext,
  payload: {
    chatId: number;
    messageId: string;
    text: string;
    elements?: unknown[] | undefined;
    attaches?: readonly ({ _type: string } & Record<string, unknown>)[] | undefined;
    delayedAttributes?: DelayedAttributesInput | undefined;
  },
): Record<string, unknown> | undefined {
  const { emu } = ctx;
  const userId = me(ctx);
  const m = requireMember(emu, payload.chatId, userId);
  const id = heldId(payload.messageId);
  const row = id === undefined ? undefined : emu.repos.delayed.own(m.chat.id, userId, id);
  if (!row) {
    if (payload.delayedAttributes) throw messageNotFound();
    return undefined;
  }
  checkText(payload.text);
  const attaches = payload.attaches
    ? storedAttaches(emu, payload.attaches, userId)
    : JSON.parse(row.attaches);
  if (payload.text.trim() === "" && (attaches as unknown[]).length === 0) throw messageEmpty();
  const when = payload.delayedAttributes;
  if (when) checkFireTime(emu, when.timeToFire);
  const now = emu.now();
  const fresh: DelayedRow = {
    ...row,
    text: payload.text,
    elements: JSON.stringify(payload.elements ?? []),
    attaches: JSON.stringify(attaches),
    fire_at: when?.timeToFire ?? row.fire_at,
    notify_sender: when?.notifySender === undefined ? row.notify_sender : when.notifySender ? 1 : 0,
    update_time: now,
  };
  emu.repos.delayed.update(fresh);
  const message = delayedWire(fresh);
  pushDelayed(
    emu,
    userId,
    { chatId: m.chat.id, updateTypeId: DelayedUpdateType.EDITED, message, lastDelayedUpdateTime: now },
    ctx.conn,
  );
  return message;
}

/** 66 with `itemType: "DELAYED"`: cancels held messages of the caller; the ids it cancelled. */
export function cancelDelayed(ctx: HandlerContext, chatId: number, messageIds: readonly string[]): string[] {
  const { emu } = ctx;
  const userId = me(ctx);
  const m = requireMember(emu, chatId, userId);
  const cancelled: string[] = [];
  emu.db.transaction(() => {
    for (const raw of messageIds) {
      const id = heldId(raw);
      const row = id === undefined ? undefined : emu.repos.delayed.own(m.chat.id, userId, id);
      if (row && emu.repos.delayed.remove(row.id)) cancelled.push(String(row.id));
    }
  })();
  if (cancelled.length === 0) throw messageNotFound();
  return cancelled;
}

/**
 * Moves every held message whose time has come into its chat and pushes it; returns how many
 * were delivered. Each one is removed and stored in one transaction, so it is delivered once
 * even if the emulator stops in between.
 */
export function fireDueMessages(emu: MaxEmulator): number {
  const now = emu.now();
  let delivered = 0;
  for (const row of emu.repos.delayed.due(now, FIRE_BATCH)) {
    const member = emu.repos.chats.member(row.chat_id, row.sender_id);
    const message = emu.db.transaction(() => {
      if (!emu.repos.delayed.remove(row.id)) return undefined;
      // The sender left (or the chat went): nobody may post it any more.
      if (!member) return undefined;
      return storeMessage(emu, row.chat_id, row.sender_id, {
        text: row.text,
        elements: JSON.parse(row.elements) as unknown[],
        attaches: JSON.parse(row.attaches) as Record<string, unknown>[],
        ...(row.cid !== null ? { cid: row.cid } : {}),
        ...(row.link ? { link: JSON.parse(row.link) as Record<string, unknown> } : {}),
      });
    })();
    if (!message) continue;
    delivered++;
    pushMessage(emu, row.chat_id, message, undefined);
    pushDelayed(
      emu,
      row.sender_id,
      {
        chatId: row.chat_id,
        updateTypeId: DelayedUpdateType.FIRE_SUCCESS,
        messageIds: [String(row.id)],
        lastDelayedUpdateTime: now,
      },
      undefined,
    );
  }
  return delivered;
}
