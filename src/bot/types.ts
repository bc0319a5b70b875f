/**
 * The seams between the bot framework's parts (issue 14), fixed first so they can be built side by
 * side: the durable store, the update pipeline, the outbound queue, sessions and conversations.
 * `Bot` (bot.ts) wires them; handlers only ever see `Context` (context.ts).
 *
 * The promise ("nothing lost, nothing doubled"): an update is admitted to the store (durable) before
 * its platform offset may move on; it is marked done in ONE transaction together with every state
 * change its handler made (session writes, conversation steps, cursor); a send gets an
 * idempotency key derived from the update key, so a handler run again after a kill -9 does not
 * send twice. Handlers run at least once; state changes happen exactly once.
 */
import type { Adapter, AdapterEvent, SendResult } from "../core/adapter.js";
import type { Ref, Segment } from "../core/model.js";

/** `platform:account`, the key of one connected account. */
export type AccountKey = string;

/** One update as the pipeline stores and hands it on. */
export interface StoredUpdate {
  /** `platform:account:<event id>`: the de-duplication key (event ids are stable per adapter). */
  key: string;
  /** `platform:account:<chat id>` (or `platform:account:-` for chat-less events): order is kept per chat key. */
  chatKey: string;
  account: AccountKey;
  event: AdapterEvent;
  /** Admission order (monotonic per store). */
  seq: number;
  /** How many times a handler started on it (1 on the first run; >1 after a crash or a timeout). */
  attempts: number;
  receivedAt: number;
}

/** A send waiting in (or done by) the outbound queue. */
export interface OutboxItem {
  /** The caller's idempotency key: enqueueing the same key twice yields the first item. */
  key: string;
  account: AccountKey;
  chat: Ref;
  op: "send" | "edit" | "delete" | "react";
  /** send/edit: the content; react: [{type:"text", text: reaction}] or [] to remove. */
  content: readonly Segment[];
  /** edit/delete/react: the message; send: the message replied to. */
  target?: Ref;
  /** Replies (to an update) go before broadcasts. */
  priority: "reply" | "broadcast";
  status: "queued" | "sent" | "failed";
  attempts: number;
  /** Not before this time (ms): backoff, rate limits. */
  dueAt: number;
  /** send: the ids the platform gave (after status "sent"). */
  result?: SendResult;
  /** failed: the last error, as `code: message` (no secrets). */
  error?: string;
  createdAt: number;
}

export interface SessionRecord {
  value: unknown;
  /** Optimistic concurrency: a write must name the version it read. */
  version: number;
  /** ms; undefined = no expiry. */
  expiresAt?: number;
  /** The schema version of `value` (for migrations of stored sessions). */
  schema: number;
}

/** Durable state of the framework. One implementation on SQLite (default), one in memory (tests). */
export interface BotStore {
  /** Runs `fn` in one transaction (nested calls join the outer one). Synchronous by design. */
  transaction<T>(fn: () => T): T;

  // ── inbox (the update pipeline) ──
  /** Stores the update if its key is new: true; false when seen before (pending or done). Durable on return. */
  admit(update: Omit<StoredUpdate, "seq" | "attempts">): boolean;
  /** Updates not done yet, oldest first (on start: what a crash left). */
  pending(limit: number): StoredUpdate[];
  /** One chat's updates not done yet, oldest first, after `afterSeq` (default 0: from the oldest). */
  pendingOf(chatKey: string, limit: number, afterSeq?: number): StoredUpdate[];
  /** The chats with updates not done yet, in the order of their oldest one; `lastSeq`: their newest. */
  pendingChats(): { chatKey: string; account: AccountKey; lastSeq: number }[];
  /** Counts a handler start (returns the new attempt number). */
  started(key: string): number;
  /** Marks it done; call inside the transaction that also writes the handler's state changes. */
  complete(key: string): void;
  /** Done keys are kept this long for de-duplication, then pruned. */
  prune(olderThanMs: number, now: number): number;

  /** Per-chat catch-up cursor: the last message handled (serialized Ref), for adapter.history({after}). */
  cursor(chatKey: string): string | undefined;
  setCursor(chatKey: string, cursor: string): void;
  /** Every chat key with a cursor (to catch up on start). */
  cursors(): { chatKey: string; cursor: string }[];

  // ── outbox ──
  /** Adds the item unless its key exists; returns the stored item either way. */
  enqueue(item: Omit<OutboxItem, "status" | "attempts" | "createdAt">): OutboxItem;
  outboxItem(key: string): OutboxItem | undefined;
  /** Queued items due at `now`, replies first, then by creation. */
  due(now: number, limit: number): OutboxItem[];
  markSent(key: string, result: SendResult | undefined): void;
  retryLater(key: string, dueAt: number, error: string): void;
  markFailed(key: string, error: string): void;

  // ── sessions ──
  getSession(key: string, now: number): SessionRecord | undefined;
  /** Writes if `expectVersion` matches the stored one (0 = none stored); false on a conflict. */
  putSession(key: string, record: Omit<SessionRecord, "version">, expectVersion: number): boolean;
  deleteSession(key: string): void;

  // ── conversations ──
  /** The recorded state of a running conversation (opaque JSON, see conversation.ts). */
  getConversation(key: string): unknown | undefined;
  putConversation(key: string, state: unknown, expiresAt?: number): void;
  deleteConversation(key: string): void;

  close(): void;
}

/** What the pipeline needs from `Bot`: run the handlers for one update. */
export type UpdateHandler = (update: StoredUpdate, adapter: Adapter, effects: UpdateEffects) => Promise<void>;

/**
 * State changes a handler makes, applied in the transaction that marks the update done (so they
 * happen exactly once). Sessions and conversations register their writes here.
 */
export interface UpdateEffects {
  /**
   * A synchronous store write run inside the completing transaction. Completions are committed
   * in groups: when another update's write in the same group fails, the transaction is rolled
   * back and the group's other writes run again, so `write` must only write to the store (which
   * the rollback undoes), never change anything outside it.
   */
  onCommit(write: () => void): void;
}

/** The pipeline (pipeline.ts). */
export interface PipelineOptions {
  store: BotStore;
  handle: UpdateHandler;
  /** Chats handled at once (default 16); one chat's updates always run one after another. */
  concurrency?: number;
  /** A handler still running after this is abandoned (its update stays pending, retried). Default 30 s. */
  handlerTimeoutMs?: number;
  /** A handler that failed this many times is completed as failed (reported), not retried again. Default 3. */
  maxAttempts?: number;
}

export interface Pipeline {
  /** Listens to the adapter's events (and catches up each known chat through history on start). */
  attach(adapter: Adapter): void;
  /** Replays what a crash left pending, then runs. */
  start(): Promise<void>;
  /** Stops taking updates and waits (up to `timeoutMs`) for running handlers. */
  stop(timeoutMs?: number): Promise<void>;
  /** Resolves once every admitted update is done (tests). */
  idle(): Promise<void>;
}

/** The outbound queue (outbox.ts). */
export interface OutboxOptions {
  store: BotStore;
  adapters: ReadonlyMap<AccountKey, Adapter>;
  /** Per-platform overrides of the documented limits (messages per second per account / per chat). */
  limits?: Partial<Record<string, { perSecond?: number; perChatPerSecond?: number }>>;
  /** Retries of retryable errors (with backoff) before an item fails. Default 5. */
  maxAttempts?: number;
}

export interface Outbox {
  /** Queues (durably) and resolves when sent; the same key twice resolves with the first result. */
  submit(
    item: Omit<OutboxItem, "status" | "attempts" | "createdAt" | "dueAt">,
  ): Promise<SendResult | undefined>;
  start(): void;
  /** Sends what is queued (up to `timeoutMs`), then stops. */
  drain(timeoutMs?: number): Promise<void>;
}
