/**
 * Long polling that never loses an update and never skips one it did not finish: each batch is
 * handled in order, the marker is saved (durably, through a MarkerStore) only after the last
 * handler of the batch returned, and only then passed on the next request, which commits the
 * batch on the server. A crash (kill -9) in the middle of a batch leaves the old marker, so the
 * server answers the unfinished updates again: handlers run at least once, and each update comes
 * with a stable key (`updateKey`) to make their effects exactly-once.
 *
 * The official SDK instead keeps the marker in memory and advances it before the batch is
 * handled, so a crash there loses the batch.
 */
import { Backoff, sleep } from "../../core/backoff.js";
import { ApiError, AuthError, SwitchboardError, ValidationError } from "../../core/errors.js";
import type { Logger } from "../../core/log.js";
import { updateKey } from "../convert.js";
import type { Update, UpdateType } from "../protocol.js";
import { PLATFORM } from "./core.js";
import { type MarkerStore, MemoryMarkerStore, markerKey } from "./markers.js";
import type { GetUpdatesQuery, UpdateBatch } from "./subscriptions.js";

export interface UpdateContext {
  /** Stable across re-deliveries: the message id, callback id, or type + chat + user + time. */
  key: string;
  /** Aborted when polling stops (close(), the poll's signal): finish or give up quickly. */
  signal: AbortSignal;
}

export type UpdateHandler = (update: Update, context: UpdateContext) => void | Promise<void>;

export interface PollOptions {
  /** Only these update types (the server filters). */
  types?: UpdateType[];
  /** Updates per batch, 1..1000 (default 100). */
  limit?: number;
  /** Seconds each request waits on the server for news, 0..90 (default 30). */
  timeout?: number;
  /** Where the marker is kept between runs (default: in memory, i.e. for this process only). */
  markerStore?: MarkerStore;
  /** The key in `markerStore` (default `<server url>#<bot id>`). */
  markerKey?: string;
  /** Stops polling (the poll promise resolves). */
  signal?: AbortSignal;
  /** Reconnect delays after network errors (full jitter, default 0.5 s doubling to 30 s). */
  backoff?: { baseMs?: number; maxMs?: number };
}

/** What the poller needs from the client. */
export interface PollingClient {
  readonly url: string;
  getUpdates(
    query: GetUpdatesQuery,
    options: { signal?: AbortSignal; retries?: number },
  ): Promise<UpdateBatch>;
  botId(options: { signal?: AbortSignal }): Promise<number>;
  readonly logger: Logger;
  /** The poller's connection state (the client's `state` event). */
  onState(state: "connected" | "reconnecting", reason?: string): void;
}

/** Errors a poller waits out (network, timeouts, 429, 5xx); anything else ends polling. */
function transient(err: unknown): boolean {
  if (err instanceof AuthError || err instanceof ValidationError) return false;
  if (err instanceof SwitchboardError) return err.retryable;
  return false;
}

/**
 * Polls until `options.signal` aborts or `closed` aborts (then resolves), a handler throws (then
 * rejects with its error, the batch uncommitted), or the server refuses for good (AuthError …).
 */
export async function pollUpdates(
  client: PollingClient,
  handler: UpdateHandler,
  options: PollOptions,
  closed: AbortSignal,
): Promise<void> {
  const signal = options.signal ? AbortSignal.any([options.signal, closed]) : closed;
  const stopped = () => signal.aborted;
  const store = options.markerStore ?? new MemoryMarkerStore();
  const backoff = new Backoff({
    baseMs: options.backoff?.baseMs ?? 500,
    maxMs: options.backoff?.maxMs ?? 30_000,
  });
  const log = client.logger;
  let key: string | undefined = options.markerKey;
  let marker: number | undefined;
  let loaded = false;
  while (!stopped()) {
    let batch: UpdateBatch;
    try {
      key ??= markerKey(client.url, await client.botId({ signal }));
      if (!loaded) {
        marker = await store.load(key);
        loaded = true;
      }
      batch = await client.getUpdates(
        {
          ...(marker !== undefined ? { marker } : {}),
          ...(options.limit !== undefined ? { limit: options.limit } : {}),
          ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
          ...(options.types ? { types: options.types } : {}),
        },
        { signal, retries: 0 },
      );
      backoff.reset();
      client.onState("connected");
    } catch (err) {
      if (stopped()) return;
      if (!transient(err)) throw err;
      const delay = backoff.next();
      const reason = err instanceof Error ? err.message : String(err);
      log.warn({ attempt: backoff.attempt, delayMs: delay, error: reason }, "MAX Bot API polling: retrying");
      client.onState("reconnecting", reason);
      try {
        await sleep(delay, signal, PLATFORM);
      } catch {
        return;
      }
      continue;
    }
    if (batch.unknown.length)
      log.warn({ count: batch.unknown.length }, "MAX Bot API polling: skipped updates of unknown types");
    for (const update of batch.updates) {
      // Stopping mid-batch: the marker stays, the rest comes again next time.
      if (stopped()) return;
      await handler(update, { key: updateKey(update), signal });
    }
    const next = batch.marker;
    if (next !== null && next !== marker) {
      // Saved before it is sent: once the server has it, the batch is gone from the server.
      await store.save(key, next);
      marker = next;
    }
  }
}

/** Why `poll` was refused to start. */
export function alreadyPolling(): ApiError {
  return new ApiError("MAX Bot API: this client is already polling (one poller per bot)", {
    platform: PLATFORM,
    code: "already_polling",
  });
}
