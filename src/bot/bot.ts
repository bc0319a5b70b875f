/**
 * Bot: one handler set (a Composer) over any mix of platform accounts. Updates come through the
 * pipeline (durable admission, in order per chat, bounded concurrency, completion in one
 * transaction with the handler's state changes); answers go out through the outbox (rate limits,
 * retries, idempotency keys). A handler that throws or hangs is reported to `bot.catch` and never
 * stops the bot.
 *
 * Store: durable by default — SQLite in `.switchboard/bot.db` under the working directory (what a
 * restart needs to neither lose nor repeat an update). Pass `store: new MemoryBotStore()` for
 * throwaway bots and tests, or a file path.
 */
import type { Adapter, SendResult } from "../core/adapter.js";
import { refKey } from "../core/model.js";
import { type CommandPrefixes, prefixesFor } from "./commands.js";
import { Composer } from "./composer.js";
import { Context } from "./context.js";
import { BotError, type ErrorHandler, HandlerTimeoutError } from "./errors.js";
import { createOutbox } from "./outbox.js";
import { createPipeline } from "./pipeline.js";
import { type SessionOptions, session as sessionMiddleware } from "./session.js";
import { SqliteBotStore } from "./store/sqlite.js";
import type {
  AccountKey,
  BotStore,
  Outbox,
  OutboxOptions,
  Pipeline,
  StoredUpdate,
  UpdateEffects,
} from "./types.js";

export const DEFAULT_STORE_FILE = ".switchboard/bot.db";
const OWN_MESSAGES_KEPT = 10_000;

export interface BotOptions {
  /** A BotStore, or a SQLite file path (":memory:" for none). Default: `.switchboard/bot.db`. */
  store?: BotStore | string;
  /** Accounts to run on (more with `bot.account()`). */
  accounts?: Adapter[];
  /** Chats handled at once (default 16); one chat's updates always run in order. */
  concurrency?: number;
  /** A handler running longer is reported (HandlerTimeoutError) and its update retried. Default 30 s. */
  handlerTimeoutMs?: number;
  /** Runs of one update before it is given up (reported each time). Default 3. */
  maxAttempts?: number;
  /** Command prefixes, for all platforms or per platform. Default "/". */
  prefixes?: CommandPrefixes;
  /** The bot's username per account key (`platform:account`) or platform: `/cmd@other` is then ignored. */
  usernames?: Partial<Record<string, string>>;
  /** Per-platform overrides of the outbox's documented limits. */
  limits?: OutboxOptions["limits"];
  /** A session for every update (`ctx.session`), as `bot.use(session(options))` before your handlers. */
  session?: SessionOptions<unknown>;
  /** How long stop() waits for running handlers and queued sends (default 10 s). */
  stopTimeoutMs?: number;
}

type State = "new" | "starting" | "running" | "stopping" | "stopped";

export class Bot<C extends Context = Context> extends Composer<C> {
  readonly store: BotStore;
  readonly #ownsStore: boolean;
  readonly #options: BotOptions;
  readonly #adapters = new Map<AccountKey, Adapter>();
  #onError: ErrorHandler<C> = defaultErrorHandler;
  #pipeline: Pipeline | undefined;
  #outbox: Outbox | undefined;
  #state: State = "new";
  /** Messages our replies produced (refKey), newest last: their echoes are not handled. */
  readonly #ownMessages = new Set<string>();

  constructor(options: BotOptions = {}) {
    super();
    this.#options = options;
    if (typeof options.store === "object") {
      this.store = options.store;
      this.#ownsStore = false;
    } else {
      this.store = new SqliteBotStore(options.store ?? DEFAULT_STORE_FILE);
      this.#ownsStore = true;
    }
    if (options.session) this.use(sessionMiddleware(options.session) as never);
    for (const adapter of options.accounts ?? []) this.account(adapter);
  }

  /** Adds an account (any platform). Added while running, it is connected and attached at once. */
  account(adapter: Adapter): this {
    const key = accountKey(adapter);
    if (this.#adapters.has(key)) throw new Error(`account ${key} added twice`);
    this.#adapters.set(key, adapter);
    if (this.#state === "running") {
      this.#pipeline?.attach(adapter);
      void adapter.connect().then(
        () => {},
        (err: unknown) =>
          this.#report(new BotError(err, { updateKey: `${key}:connect`, platform: adapter.platform })),
      );
    }
    return this;
  }

  get accounts(): readonly Adapter[] {
    return [...this.#adapters.values()];
  }

  /** Where handler errors (and timeouts) go. The default logs them. */
  catch(handler: ErrorHandler<C>): this {
    this.#onError = handler;
    return this;
  }

  get running(): boolean {
    return this.#state === "running";
  }

  /** Connects every account, replays what a crash left pending, then runs until stop(). */
  async start(): Promise<void> {
    if (this.#state !== "new") throw new Error(`bot.start(): the bot is ${this.#state}`);
    this.#state = "starting";
    try {
      await this.#startParts();
    } catch (err) {
      // Nothing half-started stays behind: stop what did start; the bot can be started again.
      await this.#outbox?.drain(0).catch(() => {});
      await this.#pipeline?.stop(0).catch(() => {});
      this.#outbox = undefined;
      this.#pipeline = undefined;
      this.#state = "new";
      throw err;
    }
    this.#state = "running";
  }

  async #startParts(): Promise<void> {
    const o = this.#options;
    const outbox = createOutbox({ store: this.store, adapters: this.#adapters, limits: o.limits });
    const pipeline = createPipeline({
      store: this.store,
      handle: (update, adapter, effects) => this.handleUpdate(update, adapter, effects),
      concurrency: o.concurrency,
      // The bot enforces the timeout itself (to report it); the pipeline's is a backstop.
      handlerTimeoutMs: this.#timeoutMs() + 1000,
      maxAttempts: o.maxAttempts,
      // Handler failures were reported by handleUpdate (to bot.catch); the pipeline's own are logged.
      onError: (err, info) => {
        if (!info) console.error("[bot] pipeline:", err instanceof Error ? err.message : String(err));
      },
    });
    this.#outbox = outbox;
    this.#pipeline = pipeline;
    // Listen before connecting: an event emitted during connect is admitted (durably), not lost;
    // nothing is dispatched before pipeline.start().
    for (const adapter of this.#adapters.values()) pipeline.attach(adapter);
    await Promise.all([...this.#adapters.values()].map((a) => a.connect()));
    outbox.start();
    await pipeline.start();
  }

  /** Stops taking updates, waits for running handlers and queued sends, closes the accounts. */
  async stop(): Promise<void> {
    if (this.#state === "stopped" || this.#state === "stopping") return;
    this.#state = "stopping";
    const timeout = this.#options.stopTimeoutMs ?? 10_000;
    try {
      await this.#pipeline?.stop(timeout);
      await this.#outbox?.drain(timeout);
    } finally {
      await Promise.allSettled([...this.#adapters.values()].map((a) => a.close()));
      if (this.#ownsStore) this.store.close();
      this.#state = "stopped";
    }
  }

  /** Resolves once every admitted update was handled (tests, scripts). */
  async idle(): Promise<void> {
    await this.#pipeline?.idle();
  }

  /**
   * Runs the handlers for one update (the pipeline calls this). A throw or a timeout is reported
   * to `bot.catch` and rethrown as BotError so the pipeline retries it (up to maxAttempts).
   */
  async handleUpdate(update: StoredUpdate, adapter: Adapter, effects: UpdateEffects): Promise<void> {
    // Some platforms (VK Live) echo our own sends back as new messages; an echo bot would answer
    // itself forever. A reply's ids are known before the next update of its chat runs (one chat's
    // updates run in order), so its echo is recognised here.
    const e = update.event;
    if (e.type === "message.created" && this.#ownMessages.has(refKey(e.message.ref))) return;
    const ctx = new Context({
      update,
      adapter,
      store: this.store,
      effects,
      outbox: this.#outbox,
      prefixes: prefixesFor(this.#options.prefixes, adapter.platform),
      botUsername: this.#options.usernames?.[update.account] ?? this.#options.usernames?.[adapter.platform],
      onSent: (result) => this.#rememberOwn(result),
    }) as C;
    const ms = this.#timeoutMs();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(() => this.middleware()(ctx, async () => {})),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new HandlerTimeoutError(ms)), ms);
        }),
      ]);
    } catch (err) {
      const error = err instanceof BotError ? (err as BotError<C>) : new BotError(err, ctx);
      await this.#report(error);
      throw error;
    } finally {
      clearTimeout(timer);
      ctx.expire();
    }
  }

  #rememberOwn(result: SendResult): void {
    for (const id of result.ids) this.#ownMessages.add(refKey(id));
    // Bounded: the oldest go first (a Set iterates in insertion order).
    for (const old of this.#ownMessages) {
      if (this.#ownMessages.size <= OWN_MESSAGES_KEPT) break;
      this.#ownMessages.delete(old);
    }
  }

  #timeoutMs(): number {
    return this.#options.handlerTimeoutMs ?? 30_000;
  }

  async #report(error: BotError<C> | BotError): Promise<void> {
    try {
      await this.#onError(error as BotError<C>);
    } catch (err) {
      // An error handler that throws must not stop the bot either.
      console.error("bot.catch handler threw:", err instanceof Error ? err.message : String(err));
    }
  }
}

function accountKey(adapter: Adapter): AccountKey {
  return `${adapter.platform}:${adapter.account}`;
}

function defaultErrorHandler(error: BotError): void {
  console.error(`[bot] ${error.platform} ${error.updateKey}: ${error.message}`);
}
