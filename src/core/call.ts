/**
 * The client contract every platform client follows (DESIGN.md, "One shape for four platforms"):
 * the same option names, `connect()`/`close()`, events from one core Emitter, and
 * `{ signal, timeoutMs }` as the last argument of every call.
 */
import type { CredentialStore } from "./credentials.js";
import type { EmittedEvent, EventMap, EventsOptions, Listener } from "./emitter.js";
import type { Logger } from "./log.js";
import type { ConnectionState, PlatformName } from "./model.js";

/** The last argument of every client call. */
export interface CallOptions {
  /** Aborts the call (it rejects with AbortError). */
  signal?: AbortSignal;
  /** Overrides the client's `timeoutMs` for this call. */
  timeoutMs?: number;
}

/** Options every client takes, under these names; platforms add their own. */
export interface ClientOptions<C> {
  /** The service's base URL (the real service when absent; a sandbox URL in tests). */
  url?: string;
  /** Default per-request timeout in ms. */
  timeoutMs?: number;
  logger?: Logger;
  /** Where login state is kept between runs (memory by default). */
  credentials?: CredentialStore<C>;
  /** The key under which `credentials` stores this login (default "default"). */
  account?: string;
}

/** Events every client emits, besides its platform's own. */
export interface ClientEventMap extends EventMap {
  state: { state: ConnectionState; reason?: string };
}

/** What a user can rely on across MaxClient, MaxImClient, WebQQClient and VkLiveClient. */
export interface PlatformClient<M extends ClientEventMap = ClientEventMap> {
  readonly platform: PlatformName;
  readonly account: string;
  readonly state: ConnectionState;
  /** Opens the connection / checks the credentials. Cheap for REST clients. */
  connect(options?: CallOptions): Promise<unknown>;
  /** Closes everything; pending calls fail, iterators end. Safe to call twice. */
  close(): Promise<void>;
  on<K extends keyof M>(type: K, listener: Listener<M[K]>): () => void;
  off<K extends keyof M>(type: K, listener: Listener<M[K]>): void;
  once<K extends keyof M>(type: K, listener: Listener<M[K]>): () => void;
  events<K extends keyof M = keyof M>(options?: EventsOptions<K>): AsyncIterableIterator<EmittedEvent<M, K>>;
}

/** `signal` and `timeoutMs` merged into one signal (undefined when neither is set). */
export function callSignal(
  options: CallOptions | undefined,
  defaultTimeoutMs?: number,
): AbortSignal | undefined {
  const timeoutMs = options?.timeoutMs ?? defaultTimeoutMs;
  const signals: AbortSignal[] = [];
  if (options?.signal) signals.push(options.signal);
  if (timeoutMs !== undefined && timeoutMs > 0 && Number.isFinite(timeoutMs))
    signals.push(AbortSignal.timeout(timeoutMs));
  if (signals.length === 0) return undefined;
  return signals.length === 1 ? signals[0] : AbortSignal.any(signals);
}
