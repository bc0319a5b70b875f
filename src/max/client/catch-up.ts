/**
 * What the client remembers per chat so a reconnect can fetch exactly what it missed: the time
 * of the newest message it delivered, and a bounded set of the ids it delivered (a message the
 * live push and the history catch-up both bring is handed to the user once).
 */
import { ApiError } from "../../core/errors.js";
import type { OpenContext } from "../../core/rpc-ws.js";
import { maxRpc } from "../protocol.js";
import type { MaxEngine } from "./engine.js";
import { listOf, type MaxChat, type MaxMessage, toMaxMessage } from "./types.js";

interface ChatMark {
  lastTime: number;
  /** Insertion-ordered, so the oldest id is evicted first. */
  seen: Set<string>;
}

export class ChatTracker {
  private readonly chats = new Map<number, ChatMark>();

  constructor(private readonly seenPerChat = 2048) {}

  /** Starts following a chat from `since` (ms) unless it is already followed. */
  track(chatId: number, since: number, lastMessageId?: string): void {
    if (this.chats.has(chatId)) return;
    const mark: ChatMark = { lastTime: since, seen: new Set() };
    if (lastMessageId !== undefined) mark.seen.add(lastMessageId);
    this.chats.set(chatId, mark);
  }

  forget(chatId: number): void {
    this.chats.delete(chatId);
  }

  isTracked(chatId: number): boolean {
    return this.chats.has(chatId);
  }

  has(chatId: number, messageId: string): boolean {
    return this.chats.get(chatId)?.seen.has(messageId) ?? false;
  }

  /** Records a delivered message; false when it was delivered before (drop it). */
  admit(message: MaxMessage): boolean {
    let mark = this.chats.get(message.chatId);
    if (!mark) {
      mark = { lastTime: 0, seen: new Set() };
      this.chats.set(message.chatId, mark);
    }
    if (mark.seen.has(message.id)) return false;
    mark.seen.add(message.id);
    if (mark.seen.size > this.seenPerChat) {
      const oldest = mark.seen.values().next().value;
      if (oldest !== undefined) mark.seen.delete(oldest);
    }
    if (message.time > mark.lastTime) mark.lastTime = message.time;
    return true;
  }

  lastTime(chatId: number): number | undefined {
    return this.chats.get(chatId)?.lastTime;
  }

  chatIds(): number[] {
    return [...this.chats.keys()];
  }
}

/**
 * Splits text longer than `max` at the last newline or space before the limit (hard cut when
 * there is none). Each chunk keeps its offset in the original, so formatting can follow it.
 */
export function splitText(text: string, max: number): { text: string; start: number }[] {
  const out: { text: string; start: number }[] = [];
  let start = 0;
  while (text.length - start > max) {
    const window = text.slice(start, start + max + 1);
    let cut = window.lastIndexOf("\n", max);
    if (cut < max / 2) cut = window.lastIndexOf(" ", max);
    if (cut < max / 2) cut = max;
    // Never split a surrogate pair.
    const code = text.charCodeAt(start + cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    out.push({ text: text.slice(start, start + cut), start });
    start += cut;
    // The separator we cut at is not carried to the next message.
    if (text[start] === "\n" || text[start] === " ") start += 1;
  }
  if (start < text.length || out.length === 0) out.push({ text: text.slice(start), start });
  return out;
}

function compareIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Oldest first; same-ms messages by id. */
export function byTimeThenId(a: MaxMessage, b: MaxMessage): number {
  return a.time - b.time || compareIds(a.id, b.id);
}

/** Fetches what arrived while we were away, chat by chat, through history (49). */
export async function catchUp(
  engine: MaxEngine,
  ctx: OpenContext<number>,
  loginChats: MaxChat[],
  since: number,
): Promise<void> {
  const opts = typeof engine.o.catchUp === "object" ? engine.o.catchUp : {};
  const pageSize = Math.min(1000, Math.max(1, opts.pageSize ?? 200));
  const maxPerChat = opts.maxPerChat ?? 10_000;
  const { tracker } = engine;
  const targets = new Map<number, number>();
  for (const id of tracker.chatIds()) targets.set(id, tracker.lastTime(id) ?? since);
  for (const chat of loginChats) {
    const last = chat.lastMessage;
    if (last && tracker.has(chat.id, last.id)) {
      targets.delete(chat.id);
      continue;
    }
    if (!targets.has(chat.id)) {
      const activity = last?.time ?? chat.lastEventTime ?? 0;
      if (activity >= since) targets.set(chat.id, since);
    }
  }
  for (const [chatId, from] of targets) {
    try {
      await catchUpChat(engine, ctx, chatId, from, pageSize, maxPerChat);
    } catch (err) {
      if (err instanceof ApiError) {
        // Left or lost the chat meanwhile: stop following it, keep going with the rest.
        tracker.forget(chatId);
        engine.emit("error", err);
        continue;
      }
      throw err;
    }
  }
}

/** Largest page 49 serves (its `forward` limit): the ceiling when a page has to grow. */
const MAX_PAGE = 1000;

async function catchUpChat(
  engine: MaxEngine,
  ctx: OpenContext<number>,
  chatId: number,
  from: number,
  pageSize: number,
  maxPerChat: number,
): Promise<void> {
  // History's `forward` is strictly after `from` and pages by time only. The cursor is kept one
  // ms before the newest time seen, so that ms is asked again (the seen set drops repeats):
  // a page cut in the middle of a millisecond loses nothing. A full page that is all one ms
  // cannot move the cursor, so the page grows (doubling, up to 49's limit) until it reaches
  // past that ms.
  let cursor = Math.max(0, from - 1);
  let size = pageSize;
  let delivered = 0;
  for (;;) {
    const answer = await ctx.request(maxRpc.getChat.opcode, {
      chatId,
      from: cursor,
      forward: size,
      backward: 0,
      getMessages: true,
    });
    const page = listOf(answer, "messages", (m) => toMaxMessage(m, chatId)).sort(byTimeThenId);
    for (const raw of page) {
      const message = raw.chatId === chatId ? raw : { ...raw, chatId };
      if (message.status === "REMOVED" || !engine.tracker.admit(message)) continue;
      delivered++;
      engine.emit("message", { chatId, message, catchUp: true });
    }
    const last = page[page.length - 1];
    if (!last || page.length < size || delivered >= maxPerChat) return;
    const next = last.time - 1;
    if (next > cursor) {
      cursor = next;
      size = pageSize;
    } else if (size < MAX_PAGE) {
      size = Math.min(MAX_PAGE, size * 2);
    } else {
      // More than 49's largest page in one millisecond: nothing can page inside it.
      engine.emit(
        "error",
        new ApiError(`catch-up of chat ${chatId}: over ${MAX_PAGE} messages in one millisecond`, {
          platform: "max",
          code: "catchup.burst",
        }),
      );
      cursor = last.time;
      size = pageSize;
    }
  }
}
