/**
 * Bots in the user API: starting a bot (bot_started), pressing an inline keyboard's callback
 * button (opcode 118 MSG_SEND_CALLBACK, as PyMax sends it) and the bot's answer pushed back
 * (143 NOTIF_CALLBACK_ANSWER).
 */
import { randomBytes } from "node:crypto";
import { ErrorCode, Opcode } from "../../protocol.js";
import { handlers, type MaxEmulator, me } from "../context.js";
import { badPayload, MaxProtocolError } from "../errors.js";
import { requireMember, viewerOf } from "./chat-access.js";
import { messageNotFound } from "./message-ops.js";

/** `/start` or `/start <payload>`: the payload a deep link carries. */
function startPayload(text: string): string | null {
  const match = /^\/start(?:@\S+)?(?:\s+([\s\S]+))?$/.exec(text.trim());
  const payload = match?.[1]?.trim();
  return payload ? payload.slice(0, 512) : null;
}

/** Records that `userId` started `botId` in their dialog and emits bot.started, in one transaction. */
export function startBot(
  emu: MaxEmulator,
  botId: number,
  userId: number,
  chatId: number,
  payload: string | null,
): void {
  emu.db.transaction(() => {
    emu.repos.bots.recordStart(botId, userId, chatId, payload, emu.now());
    if (emu.events.active) emu.events.emit({ type: "bot.started", chatId, userId, botId, payload });
  })();
}

/** A user's first message into a bot's dialog starts the bot (`/start <payload>` carries a payload). */
export function startOnFirstMessage(
  emu: MaxEmulator,
  botId: number,
  userId: number,
  chatId: number,
  text: string,
): void {
  if (emu.repos.users.isBot(userId) || emu.repos.bots.hasStarted(botId, userId)) return;
  startBot(emu, botId, userId, chatId, startPayload(text));
}

interface Press {
  userId: number;
  chatId: number;
  messageId: number;
  keyboardId: string;
  at: number;
}

/** Presses waiting for an answer, by the fresh callback id the bot got (bounded, in memory). */
const presses = new WeakMap<MaxEmulator, Map<string, Press>>();
const PRESSES_KEPT = 10_000;

function pressesOf(emu: MaxEmulator): Map<string, Press> {
  let map = presses.get(emu);
  if (!map) {
    map = new Map();
    presses.set(emu, map);
  }
  return map;
}

const buttonNotFound = () =>
  new MaxProtocolError(ErrorCode.NOT_FOUND, "No such callback button", "Кнопка недоступна");

/** The CALLBACK button payloads and the callbackId of a stored message's inline keyboard. */
function keyboardOf(attachesJson: string): { callbackId: string; payloads: Set<string> } | undefined {
  if (!attachesJson.includes('"INLINE_KEYBOARD"')) return undefined;
  for (const a of JSON.parse(attachesJson) as Record<string, unknown>[]) {
    if (a._type !== "INLINE_KEYBOARD" || typeof a.callbackId !== "string") continue;
    const payloads = new Set<string>();
    const rows = (a.keyboard as { buttons?: unknown } | undefined)?.buttons;
    if (Array.isArray(rows)) {
      for (const row of rows) {
        if (!Array.isArray(row)) continue;
        for (const b of row as Record<string, unknown>[]) {
          if (b.type === "CALLBACK" && typeof b.payload === "string") payloads.add(b.payload);
        }
      }
    }
    return { callbackId: a.callbackId, payloads };
  }
  return undefined;
}

/**
 * `userId` presses the CALLBACK button with `payload` of the keyboard on a message they can see:
 * emits callback.pressed (inside a transaction) with a fresh callback id and returns it.
 * The message is named by its keyboard's callbackId (118) or by chat and message id (admin route).
 */
export function pressButton(
  emu: MaxEmulator,
  userId: number,
  target: { keyboardId: string; chatId?: number; messageId?: number } | { chatId: number; messageId: number },
  payload: string | undefined,
): { chatId: number; messageId: number; callbackId: string; time: number } {
  let chatId: number;
  let messageId: number;
  if ("keyboardId" in target) {
    const row = emu.repos.bots.keyboard(target.keyboardId);
    if (!row) throw buttonNotFound();
    // Clients that also name the message must name the keyboard's own.
    if (target.chatId !== undefined && target.chatId !== row.chat_id) throw buttonNotFound();
    if (target.messageId !== undefined && target.messageId !== row.message_id) throw buttonNotFound();
    chatId = row.chat_id;
    messageId = row.message_id;
  } else {
    chatId = target.chatId;
    messageId = target.messageId;
  }
  const m = requireMember(emu, chatId, userId);
  const message = emu.repos.messages.visible(chatId, messageId, viewerOf(m.member));
  if (!message) throw messageNotFound();
  const keyboard = keyboardOf(message.attaches);
  if (!keyboard || ("keyboardId" in target && keyboard.callbackId !== target.keyboardId))
    throw buttonNotFound();
  let pressed = payload;
  if (pressed === undefined) {
    // A keyboard with one callback button needs no payload to say which was pressed.
    if (keyboard.payloads.size !== 1)
      throw badPayload("payload is required: the keyboard has several buttons");
    pressed = [...keyboard.payloads][0]!;
  }
  if (!keyboard.payloads.has(pressed)) throw buttonNotFound();
  const callbackId = randomBytes(16).toString("base64url");
  const time = emu.now();
  emu.db.transaction(() => {
    if (emu.events.active) {
      emu.events.emit({
        type: "callback.pressed",
        chatId,
        messageId,
        userId,
        payload: pressed,
        callbackId,
        time,
      });
    }
  })();
  const map = pressesOf(emu);
  if (map.size >= PRESSES_KEPT) map.delete(map.keys().next().value as string);
  map.set(callbackId, { userId, chatId, messageId, keyboardId: keyboard.callbackId, at: time });
  return { chatId, messageId, callbackId, time };
}

/**
 * The bot answered a press with a notification: 143 to every session of the user who pressed,
 * `{chatId, messageId, callbackId, notification}` (callbackId: the keyboard's, as the client
 * knows it). Unknown or foreign callback ids push nothing.
 */
export function notifyCallback(emu: MaxEmulator, userId: number, callbackId: string, text: string): boolean {
  const press = pressesOf(emu).get(callbackId);
  if (!press || press.userId !== userId) return false;
  emu.hub.emit([userId], Opcode.CALLBACK_ANSWER, {
    chatId: press.chatId,
    messageId: String(press.messageId),
    callbackId: press.keyboardId,
    notification: text,
  });
  return true;
}

export const botHandlers = handlers({
  [Opcode.MSG_SEND_CALLBACK]: {
    handle: (ctx, payload) => {
      const { emu } = ctx;
      const userId = me(ctx);
      if (payload.type !== undefined && payload.type !== "CALLBACK") {
        throw badPayload(`Only CALLBACK buttons are sent to the server, not ${payload.type}`);
      }
      let messageId: number | undefined;
      if (payload.messageId !== undefined) {
        if (!/^\d{1,16}$/.test(payload.messageId)) throw messageNotFound();
        messageId = Number(payload.messageId);
      }
      const pressed = pressButton(
        emu,
        userId,
        {
          keyboardId: payload.callbackId,
          ...(payload.chatId !== undefined ? { chatId: payload.chatId } : {}),
          ...(messageId !== undefined ? { messageId } : {}),
        },
        payload.payload ?? undefined,
      );
      // PyMax's CallbackResponse reads success, unread and mark (the chat's, for the presser).
      const member = emu.repos.chats.member(pressed.chatId, userId);
      const mark = member?.read_mark ?? 0;
      const unread = member ? emu.repos.messages.unread(pressed.chatId, viewerOf(member), mark) : 0;
      return { success: true, unread, mark };
    },
  },
});
