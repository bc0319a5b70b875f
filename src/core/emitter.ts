/**
 * The one event emitter every client and adapter uses: typed `on`/`off`/`once`, and `events()`
 * as a bounded async iterator. A listener that throws (or whose promise rejects) does not
 * vanish into a log: it reaches the `error` event as a HandlerError.
 */

import { HandlerError, type Platform, SwitchboardError, TransportError } from "./errors.js";
import type { Logger } from "./log.js";
import { silentLogger } from "./log.js";

/** Event name → payload. Every emitter has an `error` event. */
export type EventMap = { error: Error };

export type Listener<T> = (data: T) => void | Promise<void>;

/** One item of `events()`: the event's name and its payload. */
export type EmittedEvent<M, K extends keyof M = keyof M> = K extends keyof M
  ? { type: K; data: M[K] }
  : never;

export interface EventsOptions<K> {
  /** Only these event types (default: every type emitted). */
  types?: readonly K[];
  /** Ends the iterator when aborted. */
  signal?: AbortSignal;
  /**
   * How many events may wait unread. A consumer that falls further behind gets a TransportError
   * (`events_overflow`) instead of silent loss or unbounded memory. Default 10,000.
   */
  bufferSize?: number;
}

export interface EmitterOptions {
  platform: Platform;
  logger?: Logger;
  /** Default `bufferSize` of `events()`. */
  bufferSize?: number;
}

export class Emitter<M extends EventMap> {
  private readonly listeners = new Map<keyof M, Set<Listener<never>>>();
  private readonly iterators = new Set<() => void>();
  private readonly platform: Platform;
  private readonly log: Logger;
  private readonly bufferSize: number;
  private ended = false;
  /** Iterators without a type filter see every emitted event. */
  private readonly anyListeners = new Set<(item: unknown) => void>();

  constructor(options: EmitterOptions) {
    this.platform = options.platform;
    this.log = options.logger ?? silentLogger;
    this.bufferSize = options.bufferSize ?? 10_000;
  }

  /** Subscribes to one event type; returns the unsubscribe function. */
  on<K extends keyof M>(type: K, listener: Listener<M[K]>): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(listener as Listener<never>);
    return () => this.off(type, listener);
  }

  off<K extends keyof M>(type: K, listener: Listener<M[K]>): void {
    this.listeners.get(type)?.delete(listener as Listener<never>);
  }

  /** Like `on`, for the next event of that type only. */
  once<K extends keyof M>(type: K, listener: Listener<M[K]>): () => void {
    const off = this.on(type, (data) => {
      off();
      return listener(data);
    });
    return off;
  }

  /** True when anyone (a listener or an iterator) takes events of this type. */
  has(type: keyof M): boolean {
    return (this.listeners.get(type)?.size ?? 0) > 0 || (type === "error" && this.anyListeners.size > 0);
  }

  /**
   * Calls every listener of `type` and queues the event for unfiltered iterators; a throwing
   * listener becomes an `error` event.
   */
  emit<K extends keyof M>(type: K, data: M[K]): void {
    for (const push of [...this.anyListeners]) push({ type, data });
    const set = this.listeners.get(type);
    if (!set || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        const result = (listener as Listener<M[K]>)(data);
        if (result && typeof (result as Promise<void>).then === "function") {
          (result as Promise<void>).then(undefined, (err: unknown) => this.handlerFailed(type, err));
        }
      } catch (err) {
        this.handlerFailed(type, err);
      }
    }
  }

  private handlerFailed(type: keyof M, err: unknown): void {
    const error =
      type === "error"
        ? undefined
        : new HandlerError(`a listener of "${String(type)}" threw: ${describe(err)}`, {
            platform: this.platform,
            event: String(type),
            cause: err,
          });
    if (error && this.has("error")) {
      this.emit("error", error as M["error"]);
      return;
    }
    // No one listens for errors (or an error listener itself threw): never silent.
    this.log.error({ err, event: String(type) }, `${this.platform} event listener threw`);
    process.emitWarning(error ?? (err instanceof Error ? err : new Error(describe(err))), {
      code: "SWITCHBOARD_HANDLER_ERROR",
    });
  }

  /**
   * Every event (or those of `types`) as an async iterator. It ends on `end()` (the client
   * closed) or when the signal aborts; it throws `events_overflow` when its reader falls
   * `bufferSize` events behind.
   */
  events<K extends keyof M = keyof M>(
    options: EventsOptions<K> = {},
  ): AsyncIterableIterator<EmittedEvent<M, K>> {
    const limit = options.bufferSize ?? this.bufferSize;
    const queue: EmittedEvent<M, K>[] = [];
    let wake: (() => void) | undefined;
    let done = this.ended;
    let failure: Error | undefined;
    const offs: (() => void)[] = [];
    const push = (item: EmittedEvent<M, K>) => {
      if (done) return;
      if (queue.length >= limit) {
        failure = new TransportError(`event consumer fell ${limit} events behind`, {
          platform: this.platform,
          code: "events_overflow",
          retryable: false,
        });
        finish();
        return;
      }
      queue.push(item);
      wake?.();
    };
    const finish = () => {
      if (done && offs.length === 0) return;
      done = true;
      for (const off of offs.splice(0)) off();
      this.iterators.delete(finish);
      options.signal?.removeEventListener("abort", finish);
      wake?.();
    };
    if (!done) {
      if (options.types) {
        for (const type of options.types) offs.push(this.on(type, (data) => push({ type, data } as never)));
      } else {
        this.anyListeners.add(push as (item: unknown) => void);
        offs.push(() => this.anyListeners.delete(push as (item: unknown) => void));
      }
      this.iterators.add(finish);
      if (options.signal?.aborted) finish();
      else options.signal?.addEventListener("abort", finish, { once: true });
    }
    const iterator: AsyncIterableIterator<EmittedEvent<M, K>> = {
      [Symbol.asyncIterator]: () => iterator,
      next: async () => {
        for (;;) {
          const item = queue.shift();
          if (item) return { value: item, done: false };
          if (failure) {
            const f = failure;
            failure = undefined;
            throw f;
          }
          if (done) return { value: undefined, done: true };
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
      },
      return: async () => {
        finish();
        queue.length = 0;
        return { value: undefined, done: true };
      },
    };
    return iterator;
  }

  /** Ends every open iterator (after what they hold is read); listeners stay. */
  end(): void {
    this.ended = true;
    for (const finish of [...this.iterators]) finish();
  }

  /** Lets a closed-then-reopened client hand out iterators again. */
  reopen(): void {
    this.ended = false;
  }
}

function describe(err: unknown): string {
  if (err instanceof SwitchboardError || err instanceof Error) return err.message;
  return String(err);
}
