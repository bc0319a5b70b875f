/** Storing new messages (group-committed), pushing them, CONTROL service messages, typing. */
import { Opcode, TYPING_EVENT_OPCODE } from "../../protocol.js";
import type { MaxConnection } from "../connection.js";
import type { MaxEmulator } from "../context.js";
import type { ChatRow } from "../store/chats.js";
import type { MessageRow, WireMessage } from "../store/messages.js";
import { afterFlush, commitDurably } from "../store/wal-flush.js";
import { isControlRow, worldMessage } from "../world-events.js";
import { chatWire } from "./chat-access.js";

const TYPING_TTL_MS = 5_000;

// ── storing and pushing messages ────────────────────────────────────────────

export interface NewMessage {
  text: string;
  cid?: number;
  elements: unknown[];
  attaches: Record<string, unknown>[];
  link?: Record<string, unknown>;
}

/** Builds the row and the wire form of a new message (id and time taken now). */
function newMessageRow(emu: MaxEmulator, chatId: number, senderId: number, input: NewMessage) {
  const time = emu.now();
  const id = emu.ids.messageId(time);
  const cid = input.cid ?? null;
  const row: MessageRow = {
    id,
    chat_id: chatId,
    sender_id: senderId,
    time,
    type: "USER",
    text: input.text,
    cid,
    elements: input.elements.length ? JSON.stringify(input.elements) : "[]",
    attaches: input.attaches.length ? JSON.stringify(input.attaches) : "[]",
    link: input.link ? JSON.stringify(input.link) : null,
    status: null,
    update_time: null,
  };
  const wire: WireMessage = {
    id: String(id),
    time,
    sender: senderId,
    text: input.text,
    type: "USER",
    elements: input.elements,
    attaches: input.attaches,
  };
  if (cid !== null) wire.cid = cid;
  if (input.link) wire.link = input.link;
  return { row, wire };
}

/** Records the callbackId of a stored inline keyboard, so a press (118) finds its message. */
export function registerKeyboards(emu: MaxEmulator, row: MessageRow): void {
  if (!row.attaches.includes('"INLINE_KEYBOARD"')) return;
  for (const a of JSON.parse(row.attaches) as Record<string, unknown>[]) {
    if (a._type === "INLINE_KEYBOARD" && typeof a.callbackId === "string") {
      emu.repos.bots.addKeyboard(a.callbackId, row.chat_id, row.id);
    }
  }
}

/**
 * Writes a batch of messages in one transaction: the rows, each chat's last event time and
 * each sender's read mark (once per chat / sender, not once per message), then tells the world's
 * listeners (message.created; CONTROL messages have their own events) inside that transaction.
 */
function writeMessages(emu: MaxEmulator, rows: readonly MessageRow[]): void {
  const { chats, messages } = emu.repos;
  const touched = new Map<number, number>();
  const marks = new Map<string, { chatId: number; userId: number; time: number }>();
  for (const row of rows) {
    messages.insert(row);
    registerKeyboards(emu, row);
    touched.set(row.chat_id, Math.max(touched.get(row.chat_id) ?? 0, row.time));
    marks.set(`${row.chat_id}:${row.sender_id}`, {
      chatId: row.chat_id,
      userId: row.sender_id,
      time: row.time,
    });
  }
  for (const [chatId, time] of touched) chats.touch(chatId, time);
  for (const m of marks.values()) chats.bumpReadMark(m.chatId, m.userId, m.time);
  if (emu.events.active) {
    for (const row of rows) {
      if (!isControlRow(row)) emu.events.emit({ type: "message.created", message: worldMessage(row) });
    }
  }
}

const writeTx = new WeakMap<MaxEmulator, (rows: readonly MessageRow[]) => void>();
function writeTxOf(emu: MaxEmulator): (rows: readonly MessageRow[]) => void {
  let tx = writeTx.get(emu);
  if (!tx) {
    tx = emu.db.transaction((rows: readonly MessageRow[]) => writeMessages(emu, rows));
    writeTx.set(emu, tx);
  }
  return tx;
}

/**
 * Stores a message durably (committed when this returns) and returns its wire form.
 * Nothing is pushed here.
 */
export function storeMessage(
  emu: MaxEmulator,
  chatId: number,
  senderId: number,
  input: NewMessage,
): WireMessage {
  const { row, wire } = newMessageRow(emu, chatId, senderId, input);
  writeTxOf(emu)([row]);
  return wire;
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}
interface PendingBatch {
  rows: MessageRow[];
  waiters: Waiter[];
}
const batches = new WeakMap<MaxEmulator, PendingBatch>();

/**
 * Commits `rows` in one transaction and settles their waiters once it is on disk (in commit
 * order). When the transaction fails, each row is tried on its own, so one message a constraint
 * or a listener refuses gets its error while the rest of the batch is stored.
 */
function commitBatch(emu: MaxEmulator, rows: readonly MessageRow[], waiters: readonly Waiter[]): void {
  let flushed: Promise<void> | undefined;
  try {
    // A lone message (one client, one send at a time) flushes inline: handing the flush to the
    // thread pool only adds two thread wake-ups when there is nothing else to serve meanwhile.
    flushed = commitDurably(emu.db, () => writeTxOf(emu)(rows), rows.length > 1);
  } catch (err) {
    if (rows.length > 1 && emu.db.open) {
      for (let i = 0; i < rows.length; i++) commitBatch(emu, [rows[i]!], [waiters[i]!]);
      return;
    }
    for (const w of waiters) w.reject(err);
    return;
  }
  // Responses and events of the whole batch go out in the microtasks that follow; each
  // connection coalesces its share into one socket write (WsLink).
  const resolveAll = () => {
    for (const w of waiters) w.resolve();
  };
  if (!flushed) resolveAll();
  else
    flushed.then(resolveAll, (err: unknown) => {
      for (const w of waiters) w.reject(err);
    });
}

/**
 * Group commit: messages sent in the same event-loop turn (a client with many requests in
 * flight) are written in one transaction; the promise resolves once that commit is on disk
 * (store/wal-flush.ts flushes the WAL off the event loop), so a message is still durable
 * before its response or any event goes out. Ids and times are fixed now, in arrival order;
 * nobody can refer to a message before its response, so the short delay before it becomes
 * readable is invisible to clients.
 */
export function storeMessageBatched(
  emu: MaxEmulator,
  chatId: number,
  senderId: number,
  input: NewMessage,
): Promise<WireMessage> {
  const { row, wire } = newMessageRow(emu, chatId, senderId, input);
  let batch = batches.get(emu);
  if (!batch) {
    const fresh: PendingBatch = { rows: [], waiters: [] };
    batch = fresh;
    batches.set(emu, fresh);
    // While a WAL flush runs, the batch stays open (later sends join it) until that flush is
    // done; then it commits and starts the next flush.
    setImmediate(() =>
      afterFlush(emu.db, () => {
        batches.delete(emu);
        commitBatch(emu, fresh.rows, fresh.waiters);
      }),
    );
  }
  batch.rows.push(row);
  return new Promise<WireMessage>((resolve, reject) => {
    batch.waiters.push({ resolve: () => resolve(wire), reject });
  });
}

function* without(ids: readonly number[], skip: number): Generator<number> {
  for (const id of ids) if (id !== skip) yield id;
}

/** Pushes 128 for `message` to every session of every member (plus `extra` users) but `except`. */
export function pushMessage(
  emu: MaxEmulator,
  chatId: number,
  message: WireMessage,
  except: MaxConnection | undefined,
  extra: readonly number[] = [],
): void {
  const payload = { chatId, message, unread: 0, mark: message.time, ttl: false };
  const ids = emu.repos.chats.memberIds(chatId);
  emu.hub.emit(extra.length ? [...ids, ...extra] : ids, Opcode.NEW_MESSAGE, payload, except);
}

/** A CONTROL service message stored (committed, or part of the caller's transaction); not pushed. */
export function storeControl(
  emu: MaxEmulator,
  chat: ChatRow,
  actorId: number,
  control: Record<string, unknown>,
): WireMessage {
  return storeMessage(emu, chat.id, actorId, {
    text: "",
    elements: [],
    attaches: [{ _type: "CONTROL", ...control }],
  });
}

/** A CONTROL service message (`add`, `remove`, `leave`, `joinByLink`, `title` …) stored and pushed. */
export function postControl(
  emu: MaxEmulator,
  chat: ChatRow,
  actorId: number,
  control: Record<string, unknown>,
  except: MaxConnection | undefined,
  extra: readonly number[] = [],
): WireMessage {
  const message = storeMessage(emu, chat.id, actorId, {
    text: "",
    elements: [],
    attaches: [{ _type: "CONTROL", ...control }],
  });
  pushMessage(emu, chat.id, message, except, extra);
  return message;
}

/** Pushes 135 with the neutral chat object to every member session but `except`. */
export function pushChat(emu: MaxEmulator, chatId: number, except: MaxConnection | undefined): void {
  const chat = emu.repos.chats.byId(chatId);
  if (!chat) return;
  emu.hub.emit(emu.repos.chats.memberIds(chatId), Opcode.CHAT_UPDATED, { chat: chatWire(emu, chat) }, except);
}

/** Tells users who are no longer members that the chat is gone for them (135 with their status). */
export function pushGone(
  emu: MaxEmulator,
  chat: ChatRow,
  userIds: readonly number[],
  status: "LEFT" | "REMOVED",
): void {
  const wire = { ...chatWire(emu, chat, undefined, { preview: true }), status };
  emu.hub.emit(userIds, Opcode.CHAT_UPDATED, { chat: wire });
}

// ── typing ──────────────────────────────────────────────────────────────────

const typingState = new WeakMap<MaxEmulator, Map<number, Map<number, number>>>();

/** Records that `userId` is typing and tells the chat's other members (not the typist's own sessions). */
export function notifyTyping(
  emu: MaxEmulator,
  chatId: number,
  userId: number,
  type: string | undefined,
): void {
  let chats = typingState.get(emu);
  if (!chats) {
    chats = new Map();
    typingState.set(emu, chats);
  }
  let users = chats.get(chatId);
  if (!users) {
    users = new Map();
    chats.set(chatId, users);
  }
  users.set(userId, emu.now());
  const payload: Record<string, unknown> = { chatId, userId, type: type ?? "TEXT" };
  emu.hub.emit(without(emu.repos.chats.memberIds(chatId), userId), TYPING_EVENT_OPCODE, payload);
}

export function typingNow(emu: MaxEmulator, chatId: number, exceptUserId: number): number[] {
  const users = typingState.get(emu)?.get(chatId);
  if (!users) return [];
  const cutoff = emu.now() - TYPING_TTL_MS;
  const out: number[] = [];
  for (const [userId, at] of users) {
    if (at < cutoff) users.delete(userId);
    else if (userId !== exceptUserId) out.push(userId);
  }
  return out;
}
