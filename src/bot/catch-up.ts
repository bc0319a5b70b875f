/**
 * Catch-up on start: each chat the store has a cursor for is read through the adapter's history
 * after that cursor, and every message found is admitted like a live event; admission drops what
 * was already seen, so a restart neither loses the messages that arrived while the bot was down
 * nor handles one twice.
 */
import type { Adapter, AdapterEvent } from "../core/adapter.js";
import type { Message, Ref } from "../core/model.js";
import { accountKeyOf } from "./keys.js";
import type { BotStore } from "./types.js";

/** Messages per history page. */
const CATCH_UP_PAGE = 100;

export interface CatchUpOptions {
  store: Pick<BotStore, "cursors">;
  adapters: readonly Adapter[];
  /** Pages read per chat at most. */
  pages: number;
  /** False once the pipeline stops: catch-up ends between pages. */
  isRunning: () => boolean;
  /** Our own messages are skipped (a bot answering its own replies would loop). */
  isOwnMessage: (adapter: Adapter, message: Message) => boolean;
  admit: (adapter: Adapter, event: AdapterEvent) => void;
  report: (error: unknown) => void;
}

export async function catchUp(options: CatchUpOptions): Promise<void> {
  const { store, adapters, pages, isRunning, isOwnMessage, admit, report } = options;
  for (const { chatKey, cursor } of store.cursors()) {
    if (!isRunning()) return;
    const adapter = adapters.find((a) => chatKey.startsWith(`${accountKeyOf(a)}:`));
    if (!adapter?.capabilities.operations.history) continue;
    const chatId = chatKey.slice(accountKeyOf(adapter).length + 1);
    let after: Ref;
    try {
      after = JSON.parse(cursor) as Ref;
    } catch (err) {
      report(new Error(`unreadable cursor of ${chatKey}: ${String(err)}`));
      continue;
    }
    const chat: Ref = { platform: adapter.platform, account: adapter.account, id: chatId };
    try {
      for (let page = 0; page < pages && isRunning(); page++) {
        const messages: Message[] = await adapter.history(chat, { after, limit: CATCH_UP_PAGE });
        for (const message of messages) {
          if (isOwnMessage(adapter, message)) continue;
          admit(adapter, {
            type: "message.created",
            message,
            id: `message.created:${chatId}:${message.ref.id}`,
          });
        }
        const last = messages.at(-1);
        if (!last || messages.length < CATCH_UP_PAGE) break;
        after = last.ref;
      }
    } catch (err) {
      report(err);
    }
  }
}
