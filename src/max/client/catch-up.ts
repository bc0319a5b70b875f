/**
 * What the client remembers per chat so a reconnect can fetch exactly what it missed: the time
 * of the newest message it delivered, and a bounded set of the ids it delivered (a message the
 * live push and the history catch-up both bring is handed to the user once).
 */
import type { MaxMessage } from "./types.js";

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
