/**
 * The Adapter interface: one platform account seen through the unified model. The bot
 * framework, the bridge and the runtime talk only to this; every platform implements it in
 * `src/<platform>/adapter.ts`, and test/adapters runs one conformance suite against all four.
 */
import type { CallOptions } from "./call.js";
import type { EventsOptions } from "./emitter.js";
import type { AdapterCapabilities, Chat, Event, Message, PlatformName, Ref, Segment, User } from "./model.js";

/**
 * A unified event with a stable `id`: the same platform event always gets the same id (across
 * reconnects and catch-up), so consumers de-duplicate by it.
 */
export type AdapterEvent = Event & { id: string };

export type AdapterEventType = AdapterEvent["type"];

export interface SendOptions extends CallOptions {
  /** The message this one answers (a Ref from this adapter). */
  replyTo?: Ref;
  /**
   * The caller's key for this send. The same key twice (a retry after a timeout, a restart)
   * sends once and answers with the first send's ids, within this adapter's lifetime and,
   * where the platform supports it, on the server too.
   */
  idempotencyKey?: string;
}

export interface SendResult {
  /** Every message the send produced, in order (a long text may become several). */
  ids: Ref[];
}

export interface HistoryOptions extends CallOptions {
  /** Only messages after this one (exclusive); the oldest available when absent. */
  after?: Ref;
  /** At most this many (default 50; adapters cap it at their platform's page size). */
  limit?: number;
}

export interface Adapter {
  readonly platform: PlatformName;
  /** Our account's name, the `account` of every Ref this adapter makes. */
  readonly account: string;
  readonly capabilities: AdapterCapabilities;
  /**
   * Our account's own user, as message authors are written (compare with `Message.author`);
   * undefined until `connect()` has resolved.
   */
  readonly self: Ref | undefined;

  connect(options?: CallOptions): Promise<void>;
  /** Ends `events()` iterators and closes the client. Safe to call twice. */
  close(): Promise<void>;

  /** Unified events as a bounded async iterator; it ends on close(). */
  events(options?: EventsOptions<AdapterEventType>): AsyncIterableIterator<AdapterEvent>;
  /** Push-style: every unified event; returns the unsubscribe function. */
  onEvent(listener: (event: AdapterEvent) => void | Promise<void>): () => void;

  /** A string is plain text. Unsupported segments degrade to text where they can. */
  send(chat: Ref, content: string | readonly Segment[], options?: SendOptions): Promise<SendResult>;
  /** Throws UnsupportedError where `capabilities.operations.edit` is false. */
  edit(chat: Ref, message: Ref, content: string | readonly Segment[], options?: CallOptions): Promise<void>;
  /** Throws UnsupportedError where `capabilities.operations.delete` is false. */
  delete(chat: Ref, message: Ref, options?: CallOptions): Promise<void>;
  /** `reaction` null removes ours. Throws UnsupportedError where `operations.react` is false. */
  react(chat: Ref, message: Ref, reaction: string | null, options?: CallOptions): Promise<void>;
  /** Messages oldest first, for catch-up. Throws UnsupportedError where `operations.history` is false. */
  history(chat: Ref, options?: HistoryOptions): Promise<Message[]>;
  getChat(chat: Ref, options?: CallOptions): Promise<Chat>;
  getUser(user: Ref, options?: CallOptions): Promise<User>;
}
