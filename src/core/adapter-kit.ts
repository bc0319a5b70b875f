/**
 * What every adapter does the same way, written once: the unified event stream (push and a
 * filtered, bounded iterator over one core Emitter) and idempotent sends (a bounded key → answer
 * map where concurrent duplicates share one promise and a failed send may be retried).
 */
import type { AdapterEvent, AdapterEventType, SendResult } from "./adapter.js";
import { Emitter, type EventsOptions } from "./emitter.js";
import type { Platform } from "./errors.js";
import type { Logger } from "./log.js";

type AdapterEventMap = { error: Error; event: AdapterEvent };

/** An adapter's unified events: `emit` from the platform side, `events`/`onEvent` for users. */
export class AdapterEventStream {
  readonly #emitter: Emitter<AdapterEventMap>;

  constructor(options: { platform: Platform; logger?: Logger; bufferSize?: number }) {
    this.#emitter = new Emitter<AdapterEventMap>(options);
  }

  emit(event: AdapterEvent): void {
    this.#emitter.emit("event", event);
  }

  /** Listener errors and client errors go here (HandlerError for throwing listeners). */
  emitError(error: Error): void {
    this.#emitter.emit("error", error);
  }

  onError(listener: (error: Error) => void): () => void {
    return this.#emitter.on("error", listener);
  }

  onEvent(listener: (event: AdapterEvent) => void | Promise<void>): () => void {
    return this.#emitter.on("event", listener);
  }

  /** Events of `types` (all when absent), bounded by `bufferSize`; ends on `end()`. */
  events(options: EventsOptions<AdapterEventType> = {}): AsyncIterableIterator<AdapterEvent> {
    const { types, ...rest } = options;
    const inner = this.#emitter.events({ ...rest, types: ["event"] });
    const wanted = types ? new Set<string>(types) : undefined;
    const iterator: AsyncIterableIterator<AdapterEvent> = {
      [Symbol.asyncIterator]: () => iterator,
      next: async () => {
        for (;;) {
          const r = await inner.next();
          if (r.done) return { value: undefined, done: true };
          const event = r.value.data as AdapterEvent;
          if (!wanted || wanted.has(event.type)) return { value: event, done: false };
        }
      },
      return: async () => {
        await inner.return?.();
        return { value: undefined, done: true };
      },
    };
    return iterator;
  }

  /** Ends every open iterator (close()). */
  end(): void {
    this.#emitter.end();
  }

  /** Lets iterators be handed out again after a close and a new connect. */
  reopen(): void {
    this.#emitter.reopen();
  }
}

/**
 * Remembers the answer of each idempotency key (the newest `limit` keys). The same key again
 * answers the first send's result; two sends racing with one key share one promise; a send that
 * failed is forgotten, so a retry with its key really sends.
 */
export class IdempotentSends {
  readonly #sent = new Map<string, Promise<SendResult>>();

  constructor(readonly limit = 10_000) {}

  run(key: string | undefined, send: () => Promise<SendResult>): Promise<SendResult> {
    if (key === undefined) return send();
    const known = this.#sent.get(key);
    if (known) return known;
    const p = send();
    this.#sent.set(key, p);
    p.catch(() => {
      if (this.#sent.get(key) === p) this.#sent.delete(key);
    });
    while (this.#sent.size > this.limit) this.#sent.delete(this.#sent.keys().next().value as string);
    return p;
  }

  get size(): number {
    return this.#sent.size;
  }
}

/** Splits text into pieces of at most `limit` characters, at whitespace where it can. */
export function splitText(text: string, limit: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    let cut = rest.lastIndexOf(" ", limit);
    if (cut < limit / 2) cut = limit;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest.length > 0 || out.length === 0) out.push(rest);
  return out;
}
