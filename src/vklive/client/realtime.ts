/**
 * Realtime events over the official `centrifuge` client: connection token from
 * GET /v1/websocket/token, subscription tokens for `$` channels from
 * GET /v1/websocket/subscription_token, typed events; reconnect, resubscribe and recovery are
 * the centrifuge client's own.
 */
import { Centrifuge, type PublicationContext, type Subscription } from "centrifuge";
import WebSocket from "ws";
import { TransportError } from "../../core/errors.js";
import type { ConnectionState } from "../../core/model.js";
import { EVENT_TYPES, EventEnvelope, type EventType, type VkEvent } from "../protocol/index.js";

export interface RealtimeOptions {
  /** Centrifugo endpoint (ws:// or wss://…/connection/websocket). */
  url: string;
  getToken: () => Promise<string>;
  /** Token for a `$` channel; "" when the API gave none (no access). */
  getSubscriptionToken: (channel: string) => Promise<string>;
  minReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  timeoutMs?: number;
}

export interface RealtimeEvent {
  /** The ws channel the event came on. */
  channel: string;
  event: VkEvent;
  /** Publication offset in its channel (gaps are recovered on resubscribe). */
  offset?: number;
}

type Listener<T> = (value: T) => void;

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
  readonly #events = new Set<Listener<RealtimeEvent>>();
  readonly #states = new Set<Listener<{ state: ConnectionState; reason?: string }>>();
  readonly #errors = new Set<Listener<Error>>();
  readonly #subs = new Map<string, Subscription>();
  readonly #o: RealtimeOptions;
  #closed = false;

  constructor(options: RealtimeOptions) {
    this.#o = options;
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

  onEvent(fn: Listener<RealtimeEvent>): () => void {
    this.#events.add(fn);
    return () => this.#events.delete(fn);
  }

  /** Only events of one type, typed. */
  on<K extends EventType>(
    type: K,
    fn: (event: Extract<VkEvent, { type: K }>, channel: string) => void,
  ): () => void {
    return this.onEvent((e) => {
      if (e.event.type === type) fn(e.event as Extract<VkEvent, { type: K }>, e.channel);
    });
  }

  onState(fn: Listener<{ state: ConnectionState; reason?: string }>): () => void {
    this.#states.add(fn);
    return () => this.#states.delete(fn);
  }

  onError(fn: Listener<Error>): () => void {
    this.#errors.add(fn);
    return () => this.#errors.delete(fn);
  }

  /** Async iteration over events; ends when `close()` is called or the signal aborts. */
  async *events(signal?: AbortSignal): AsyncGenerator<RealtimeEvent> {
    const queue: RealtimeEvent[] = [];
    let wake: (() => void) | undefined;
    const off = this.onEvent((e) => {
      queue.push(e);
      wake?.();
    });
    const offState = this.onState((s) => {
      if (s.state === "closed") wake?.();
    });
    const onAbort = () => wake?.();
    signal?.addEventListener("abort", onAbort);
    try {
      while (!this.#closed && !signal?.aborted) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((r) => {
          wake = r;
        });
        wake = undefined;
      }
    } finally {
      off();
      offState();
      signal?.removeEventListener("abort", onAbort);
    }
  }

  close(): void {
    this.#closed = true;
    for (const sub of this.#subs.values()) this.centrifuge.removeSubscription(sub);
    this.#subs.clear();
    this.centrifuge.disconnect();
    this.#state("closed");
  }

  #publication(channel: string, ctx: PublicationContext): void {
    const env = EventEnvelope.safeParse(ctx.data);
    if (!env.success || !KNOWN.has(env.data.type)) return;
    const e: RealtimeEvent = { channel, event: env.data as unknown as VkEvent };
    if (ctx.offset !== undefined) e.offset = Number(ctx.offset);
    for (const fn of this.#events) fn(e);
  }

  #state(state: ConnectionState, reason?: string): void {
    for (const fn of this.#states) fn(reason === undefined ? { state } : { state, reason });
  }

  #error(err: Error): void {
    for (const fn of this.#errors) fn(err);
  }
}
