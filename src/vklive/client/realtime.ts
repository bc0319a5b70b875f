/**
 * Realtime events over the official `centrifuge` client: connection token from
 * GET /v1/websocket/token, subscription tokens for `$` channels from
 * GET /v1/websocket/subscription_token, typed events; reconnect, resubscribe and recovery are
 * the centrifuge client's own.
 */
import { Centrifuge, type PublicationContext, type Subscription } from "centrifuge";
import WebSocket from "ws";
import type { ClientEventMap } from "../../core/call.js";
import { type EmittedEvent, Emitter, type Listener } from "../../core/emitter.js";
import { TransportError } from "../../core/errors.js";
import type { Logger } from "../../core/log.js";
import type { ConnectionState } from "../../core/model.js";
import { parseResponse } from "../../core/validation.js";
import { EVENT_DATA, EVENT_TYPES, type EventType, type VkEvent } from "../protocol/index.js";
import { readChatSend } from "./fast.js";

export interface RealtimeOptions {
  /** Centrifugo endpoint (ws:// or wss://…/connection/websocket). */
  url: string;
  getToken: () => Promise<string>;
  /** Token for a `$` channel; "" when the API gave none (no access). */
  getSubscriptionToken: (channel: string) => Promise<string>;
  minReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  timeoutMs?: number;
  /** Where events go (the client's emitter); a realtime of its own when absent. */
  emitter?: Emitter<VkLiveEventMap>;
  /** Connection states (the client's); emitted as `state` events when absent. */
  onState?: (state: ConnectionState, reason?: string) => void;
  logger?: Logger;
}

/** One realtime event (of type `K`): the ws channel it came on, the event, its offset. */
export interface RealtimeEvent<K extends EventType = EventType> {
  /** The ws channel the event came on. */
  channel: string;
  event: Extract<VkEvent, { type: K }>;
  /** Publication offset in its channel (gaps are recovered on resubscribe). */
  offset?: number;
}

/**
 * The events of a VkLiveClient (and of a VkLiveRealtime): `state`, `error`, `event` (every
 * realtime event) and each realtime event type on its own (`channel_chat_message_send` …).
 */
export type VkLiveEventMap = ClientEventMap & { event: RealtimeEvent } & {
  [K in EventType]: RealtimeEvent<K>;
};

const KNOWN = new Set<string>(EVENT_TYPES);

/** Adds the query the DevAPI documents for the pubsub URL (format=json, protocol v2). */
export function pubsubUrl(url: string): string {
  const u = new URL(url);
  if (!u.searchParams.has("format")) u.searchParams.set("format", "json");
  if (!u.searchParams.has("cf_protocol_version")) u.searchParams.set("cf_protocol_version", "v2");
  return u.toString();
}

export class VkLiveRealtime {
  readonly centrifuge: Centrifuge;
  /** The emitter events go to (the client's, or this realtime's own). */
  readonly emitter: Emitter<VkLiveEventMap>;
  readonly #ownEmitter: boolean;
  readonly #subs = new Map<string, Subscription>();
  readonly #o: RealtimeOptions;
  #closed = false;

  constructor(options: RealtimeOptions) {
    this.#o = options;
    this.#ownEmitter = options.emitter === undefined;
    this.emitter = options.emitter ?? new Emitter({ platform: "vklive", logger: options.logger });
    this.centrifuge = new Centrifuge(pubsubUrl(options.url), {
      websocket: WebSocket,
      getToken: () => options.getToken(),
      minReconnectDelay: options.minReconnectDelayMs ?? 500,
      maxReconnectDelay: options.maxReconnectDelayMs ?? 20_000,
      timeout: options.timeoutMs ?? 5000,
    });
    this.centrifuge.on("connecting", (ctx) =>
      this.#state(this.#everConnected ? "reconnecting" : "connecting", ctx.reason),
    );
    this.centrifuge.on("connected", () => {
      this.#everConnected = true;
      this.#state("connected");
    });
    this.centrifuge.on("disconnected", (ctx) =>
      this.#state(this.#closed ? "closed" : "disconnected", ctx.reason),
    );
    this.centrifuge.on("error", (ctx) =>
      this.#error(
        new TransportError(`realtime: ${ctx.error.message}`, { platform: "vklive", code: ctx.error.code }),
      ),
    );
  }

  #everConnected = false;

  /** Connects and waits until the server accepted the connection. */
  async connect(timeoutMs = this.#o.timeoutMs ?? 10_000): Promise<void> {
    this.centrifuge.connect();
    await this.centrifuge.ready(timeoutMs);
  }

  /** Subscribes to a ws channel; `$` channels fetch a subscription token first. Resolves once subscribed. */
  async subscribe(channel: string, timeoutMs = this.#o.timeoutMs ?? 10_000): Promise<Subscription> {
    let sub = this.#subs.get(channel);
    if (!sub) {
      sub = this.centrifuge.newSubscription(channel, {
        getToken: channel.startsWith("$") ? () => this.#o.getSubscriptionToken(channel) : null,
      });
      sub.on("publication", (ctx) => this.#publication(channel, ctx));
      sub.on("error", (ctx) =>
        this.#error(
          new TransportError(`subscription ${channel}: ${ctx.error.message}`, {
            platform: "vklive",
            code: ctx.error.code,
          }),
        ),
      );
      this.#subs.set(channel, sub);
      sub.subscribe();
    }
    await sub.ready(timeoutMs);
    return sub;
  }

  unsubscribe(channel: string): void {
    const sub = this.#subs.get(channel);
    if (!sub) return;
    sub.unsubscribe();
    this.centrifuge.removeSubscription(sub);
    this.#subs.delete(channel);
  }

  /** Every realtime event; returns the unsubscribe function. */
  onEvent(fn: Listener<RealtimeEvent>): () => void {
    return this.emitter.on("event", fn);
  }

  /** Only events of one type, typed. */
  on<K extends EventType>(type: K, fn: Listener<RealtimeEvent<K>>): () => void {
    return this.emitter.on(type, fn as unknown as Listener<VkLiveEventMap[K]>);
  }

  /** Realtime events as a bounded async iterator; ends on `close()` or when the signal aborts. */
  async *events(signal?: AbortSignal): AsyncGenerator<RealtimeEvent> {
    const it = this.emitter.events({ types: ["event"], ...(signal ? { signal } : {}) });
    this.#iterators.add(it);
    try {
      for await (const e of it as AsyncIterable<EmittedEvent<VkLiveEventMap, "event">>) yield e.data;
    } finally {
      this.#iterators.delete(it);
    }
  }

  readonly #iterators = new Set<AsyncIterableIterator<unknown>>();

  close(): void {
    this.#closed = true;
    for (const sub of this.#subs.values()) this.centrifuge.removeSubscription(sub);
    this.#subs.clear();
    this.centrifuge.disconnect();
    this.#state("closed");
    for (const it of this.#iterators) void it.return?.();
    this.#iterators.clear();
    if (this.#ownEmitter) this.emitter.end();
  }

  #publication(channel: string, ctx: PublicationContext): void {
    // The envelope is only `{type, data}` (EventEnvelope: a string type, any data): read by hand,
    // the data itself is parsed with its event's schema below.
    const raw = ctx.data as { type?: unknown; data?: unknown } | null;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return;
    if (typeof raw.type !== "string" || !KNOWN.has(raw.type)) return;
    const type = raw.type as EventType;
    // A chat message with declared fields only is read in place (never looser than its schema).
    let data: VkEvent["data"] | undefined =
      type === "channel_chat_message_send" ? readChatSend(raw.data) : undefined;
    if (data === undefined) {
      try {
        data = parseResponse(EVENT_DATA[type], raw.data, { platform: "vklive", what: `event ${type}` });
      } catch (err) {
        this.#error(err as Error); // ApiError bad_response: the event is not delivered half-read
        return;
      }
    }
    const e = { channel, event: { type, data } as VkEvent } as RealtimeEvent;
    if (ctx.offset !== undefined) e.offset = Number(ctx.offset);
    this.emitter.emit("event", e);
    this.emitter.emit(e.event.type, e as never);
  }

  #state(state: ConnectionState, reason?: string): void {
    if (this.#o.onState) this.#o.onState(state, reason);
    else this.emitter.emit("state", reason === undefined ? { state } : { state, reason });
  }

  #error(err: Error): void {
    this.emitter.emit("error", err);
  }
}
