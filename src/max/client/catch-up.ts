/**
 * What the client remembers per chat so a reconnect can fetch exactly what it missed: the time
 * of the newest message it delivered, and a bounded set of the ids it delivered with the state
 * it delivered them in (edit version, reactions, deleted), so a message, edit, delete or
 * reaction the live push and the history catch-up both bring is handed to the user once.
 */
import { ApiError } from "../../core/errors.js";
import type { OpenContext } from "../../core/rpc-ws.js";
import { maxRpc } from "../protocol.js";
import type { MaxEngine } from "./engine.js";
import { parsePush } from "./push.js";
import { listOf, type MaxChat, type MaxMessage, toMaxMessage } from "./types.js";

/** What a delivered message looked like last: a change to any of these is delivered once. */
interface SeenState {
  time: number;
  /**
   * The delivered version: `updateTime` (0 = never edited; -1 = not known, the next read is the
   * baseline) and a hash of the text, so two edits in one ms still differ. Numbers, not a key
   * string: thousands of these stay alive per chat, and strings would be old-generation garbage.
   */
  editTime: number;
  editHash: number;
  /** Reaction counters in a canonical order ("" when none). */
  reactions: string;
  removed: boolean;
}

interface ChatMark {
  lastTime: number;
  /** Insertion-ordered, so the oldest id is evicted first. */
  seen: Map<string, SeenState>;
}

/** A change found by re-reading history, as the event the live push would have given. */
export type CatchUpChange =
  | { type: "messageEdited"; message: MaxMessage }
  | { type: "messageDeleted" }
  | {
      type: "reaction";
      counters: { reaction: string; count: number }[];
      totalCount: number;
      yourReaction?: string;
    };

function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** True when `state` already holds this version of the message. */
function sameVersion(state: SeenState, message: MaxMessage): boolean {
  return state.editTime === (message.updateTime ?? 0) && state.editHash === hashText(message.text);
}

function noteVersion(state: SeenState, message: MaxMessage): void {
  state.editTime = message.updateTime ?? 0;
  state.editHash = hashText(message.text);
}

/** Reads a `reactionInfo` (absent = none) in the shape of the 155 push. */
export function reactionsOf(info: unknown): {
  counters: { reaction: string; count: number }[];
  totalCount: number;
  yourReaction?: string;
} {
  if (typeof info !== "object" || info === null) return { counters: [], totalCount: 0 };
  const raw = info as { counters?: unknown; totalCount?: unknown; yourReaction?: unknown };
  const counters = Array.isArray(raw.counters)
    ? raw.counters
        .filter((c): c is Record<string, unknown> => typeof c === "object" && c !== null)
        .map((c) => ({ reaction: String(c.reaction ?? ""), count: Number(c.count) || 0 }))
    : [];
  const out: { counters: typeof counters; totalCount: number; yourReaction?: string } = {
    counters,
    totalCount: Number(raw.totalCount) || 0,
  };
  if (typeof raw.yourReaction === "string") out.yourReaction = raw.yourReaction;
  return out;
}

export function reactionKey(counters: readonly { reaction: string; count: number }[], total: number): string {
  if (total === 0 && counters.every((c) => c.count === 0)) return "";
  const parts = counters
    .filter((c) => c.count > 0)
    .map((c) => `${c.reaction}=${c.count}`)
    .sort();
  return `${total}|${parts.join(",")}`;
}

function stateOf(message: MaxMessage): SeenState {
  // Most messages (every one we send) carry no reactions: no counters to build and sort.
  let reactions = "";
  if (message.reactionInfo !== undefined) {
    const r = reactionsOf(message.reactionInfo);
    reactions = reactionKey(r.counters, r.totalCount);
  }
  return {
    time: message.time,
    editTime: message.updateTime ?? 0,
    editHash: hashText(message.text),
    reactions,
    removed: message.status === "REMOVED",
  };
}

export class ChatTracker {
  private readonly chats = new Map<number, ChatMark>();

  constructor(private readonly seenPerChat = 2048) {}

  /**
   * Starts following a chat from `since` (ms) unless it is already followed. With the chat's
   * last message (as the login answer lists it), its current state is the baseline for changes.
   */
  track(chatId: number, since: number, last?: string | MaxMessage): void {
    if (this.chats.has(chatId)) return;
    const mark: ChatMark = { lastTime: since, seen: new Map() };
    this.chats.set(chatId, mark);
    if (typeof last === "string") {
      mark.seen.set(last, { time: since, editTime: -1, editHash: 0, reactions: "", removed: false });
    } else if (last !== undefined) {
      mark.seen.set(last.id, stateOf(last));
    }
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
      mark = { lastTime: 0, seen: new Map() };
      this.chats.set(message.chatId, mark);
    }
    if (mark.seen.has(message.id)) return false;
    mark.seen.set(message.id, stateOf(message));
    // Forgotten in batches of a quarter: one walk from the oldest end instead of one per message
    // (each walk steps over the slots deleted before it until the map compacts).
    if (mark.seen.size > this.seenPerChat + (this.seenPerChat >> 2)) {
      let drop = mark.seen.size - this.seenPerChat;
      for (const id of mark.seen.keys()) {
        if (drop-- <= 0) break;
        mark.seen.delete(id);
      }
    }
    if (message.time > mark.lastTime) mark.lastTime = message.time;
    return true;
  }

  /** A live edit (128 EDITED): false when this exact version was delivered already. */
  noteEdit(message: MaxMessage): boolean {
    const state = this.chats.get(message.chatId)?.seen.get(message.id);
    if (!state) return true;
    if (state.removed || sameVersion(state, message)) return false;
    noteVersion(state, message);
    return true;
  }

  /** A live delete (128 REMOVED, 142): the ids not known as deleted yet. */
  noteRemoved(chatId: number, messageIds: readonly string[]): string[] {
    const seen = this.chats.get(chatId)?.seen;
    return messageIds.filter((id) => {
      const state = seen?.get(id);
      if (!state) return true;
      if (state.removed) return false;
      state.removed = true;
      return true;
    });
  }

  /** A live reaction change (155): false when these counters were delivered already. */
  noteReactions(
    chatId: number,
    messageId: string,
    counters: { reaction: string; count: number }[],
    total: number,
  ): boolean {
    const state = this.chats.get(chatId)?.seen.get(messageId);
    if (!state) return true;
    const key = reactionKey(counters, total);
    if (state.reactions === key) return false;
    state.reactions = key;
    return true;
  }

  /**
   * Compares a message re-read through history with what was delivered; records and returns
   * the changes (edit, delete, reactions) not delivered yet. Unknown ids give none.
   */
  changesOf(message: MaxMessage): CatchUpChange[] {
    const state = this.chats.get(message.chatId)?.seen.get(message.id);
    if (!state || state.removed) return [];
    if (message.status === "REMOVED") {
      state.removed = true;
      return [{ type: "messageDeleted" }];
    }
    const out: CatchUpChange[] = [];
    const r = reactionsOf(message.reactionInfo);
    const key = reactionKey(r.counters, r.totalCount);
    if (state.editTime === -1) {
      // Known only by id (no state to compare with): this read is the baseline.
      noteVersion(state, message);
      state.reactions = key;
      return out;
    }
    if (!sameVersion(state, message)) {
      noteVersion(state, message);
      out.push({ type: "messageEdited", message });
    }
    if (state.reactions !== key) {
      state.reactions = key;
      out.push({ type: "reaction", ...r });
    }
    return out;
  }

  /**
   * Delivered, not-deleted ids of a chat with `after < time <= upTo`: what a complete history
   * read of that range must list again (an id it leaves out was deleted meanwhile).
   */
  liveIdsBetween(chatId: number, after: number, upTo: number): string[] {
    const out: string[] = [];
    for (const [id, state] of this.chats.get(chatId)?.seen ?? []) {
      if (!state.removed && state.time > after && state.time <= upTo) out.push(id);
    }
    return out;
  }

  /** Marks ids deleted; the ones that were not yet. */
  markRemoved(chatId: number, ids: readonly string[]): string[] {
    return this.noteRemoved(chatId, ids);
  }

  /** Time of the oldest delivered, not-deleted message still remembered for the chat. */
  oldestTime(chatId: number): number | undefined {
    let oldest: number | undefined;
    for (const state of this.chats.get(chatId)?.seen.values() ?? []) {
      if (!state.removed && (oldest === undefined || state.time < oldest)) oldest = state.time;
    }
    return oldest;
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

/**
 * Fetches what happened while we were away, chat by chat, through history (49): new messages,
 * and for chats whose `lastEventTime` (19 answer) moved since we were last online, the edits,
 * deletes and reaction changes of the messages we delivered (re-read from the oldest one we
 * remember). Each is emitted once, as the live push would have been.
 */
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
  // Chats the login answer does not list (beyond its page) may have changed: re-read them.
  const targets = new Map<number, { from: number; changes: boolean }>();
  for (const id of tracker.chatIds()) targets.set(id, { from: tracker.lastTime(id) ?? since, changes: true });
  for (const chat of loginChats) {
    const last = chat.lastMessage;
    const activity = chat.lastEventTime ?? last?.time;
    const changed = activity === undefined || activity >= since;
    const target = targets.get(chat.id);
    if (target) {
      if (!changed && last && tracker.has(chat.id, last.id)) targets.delete(chat.id);
      else target.changes = changed;
    } else if ((activity ?? 0) >= since) {
      targets.set(chat.id, { from: since, changes: false });
    }
  }
  for (const [chatId, target] of targets) {
    let from = target.from;
    if (target.changes) from = Math.min(from, tracker.oldestTime(chatId) ?? from);
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

/** Our own reaction change (178/179 answer) is not pushed back to us: remember it. */
export function noteOwnReaction(
  tracker: ChatTracker,
  chatId: number,
  messageId: string,
  info: unknown,
): void {
  const { counters, totalCount } = reactionsOf(info);
  tracker.noteReactions(chatId, messageId, counters, totalCount);
}

/**
 * Indexes of buffered pushes that a later one in the same buffer replaces: every edit (128
 * EDITED) or reaction change (155) of a message but its last. Pushes are ordered, so the last
 * one is the newest state; history read meanwhile can be newer than the earlier ones.
 */
export function supersededChanges(pushes: readonly { opcode: number; payload: unknown }[]): Set<number> {
  const lastOf = new Map<string, number>();
  const out = new Set<number>();
  pushes.forEach((push, i) => {
    const parsed = parsePush(push.opcode, push.payload);
    let key: string | undefined;
    if (parsed?.type === "messageEdited") key = `e:${parsed.data.chatId}:${parsed.data.message.id}`;
    else if (parsed?.type === "reaction") key = `r:${parsed.data.chatId}:${parsed.data.messageId}`;
    if (key === undefined) return;
    const before = lastOf.get(key);
    if (before !== undefined) out.add(before);
    lastOf.set(key, i);
  });
  return out;
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
  const { tracker } = engine;
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
    const listed = new Set<string>();
    const removed: string[] = [];
    for (const raw of page) {
      const message = raw.chatId === chatId ? raw : { ...raw, chatId };
      listed.add(message.id);
      if (tracker.has(chatId, message.id)) {
        for (const change of tracker.changesOf(message)) {
          if (change.type === "messageDeleted") removed.push(message.id);
          else if (change.type === "messageEdited") {
            engine.emit("messageEdited", { chatId, message, catchUp: true });
          } else {
            const { type: _, ...reaction } = change;
            engine.emit("reaction", { chatId, messageId: message.id, ...reaction });
          }
        }
        continue;
      }
      if (message.status === "REMOVED" || !tracker.admit(message)) continue;
      delivered++;
      engine.emit("message", { chatId, message, catchUp: true });
    }
    const last = page[page.length - 1];
    const complete = !last || page.length < size;
    // History leaves deleted messages out: a delivered id missing from a range this read
    // covered completely was deleted while we were away.
    const upTo = complete ? Number.MAX_SAFE_INTEGER : last.time - 1;
    const missing = tracker.liveIdsBetween(chatId, cursor, upTo).filter((id) => !listed.has(id));
    removed.push(...tracker.markRemoved(chatId, missing));
    if (removed.length > 0) engine.emit("messageDeleted", { chatId, messageIds: removed });
    if (complete || delivered >= maxPerChat) return;
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
