/**
 * Sessions: a typed value per chat, per user or per user in a chat, kept in the BotStore.
 *
 * `bot.use(session({ initial: () => ({ count: 0 }) }))` gives every later handler `ctx.session`.
 * The value is loaded on first access and written back once, in the transaction that marks the
 * update done (effects.onCommit), with the version it was read at: exactly once, never a lost
 * update. When someone else wrote the session meanwhile (a handler of another chat sharing a user
 * session, another worker) that write throws CommitConflictError; the transaction rolls back and
 * the update's handler runs again on the fresh value.
 *
 * TTL: a session not written for `ttlMs` reads as `initial()` (writes slide the expiry; a session
 * only read is re-written once less than half its TTL is left). Schema: stored values carry the
 * `schema` number they were written with; a value of another schema goes through `migrate` on
 * load and is written back in the new schema.
 */
import type { Ref } from "../core/model.js";
import type { BotStore, UpdateEffects } from "./types.js";

/** What sessions need from the context (core's Context provides it). */
export interface SessionHost {
  readonly store: BotStore;
  readonly effects: UpdateEffects;
  /** `platform:account:<chat id>` (`platform:account:-` when the update has no chat). */
  readonly chatKey: string;
  /** `platform:account`. */
  readonly accountKey: string;
  readonly from: Ref | undefined;
}

export type SessionKey<C> = "chat" | "user" | "chat+user" | ((ctx: C) => string | undefined);

export interface SessionOptions<S, C = SessionHost> {
  /** The value of a chat/user without a (live) session. Must return a fresh object each call. */
  initial: () => S;
  /**
   * Whose session: "chat" (default; everyone in the chat shares it), "user" (one per user on the
   * account, across chats), "chat+user" (one per user in each chat), or a function of the context
   * (undefined: this update has no session; reading ctx.session then throws).
   */
  key?: SessionKey<C>;
  /** A session not written for this long reads as initial(). */
  ttlMs?: number;
  /** The schema number of the values `initial` and `migrate` return (default 0). */
  schema?: number;
  /** Turns a stored value of another schema into the current one (stored values without one had schema 0). */
  migrate?: (old: unknown, fromSchema: number) => S;
  /** Store key namespace, so several session middlewares can share one store (default "session"). */
  prefix?: string;
}

export interface SessionFlavor<S> {
  session: S;
}

/** Compatible with core's Middleware<C>. */
export type SessionMiddleware<C> = (ctx: C, next: () => Promise<void>) => Promise<void>;

/**
 * Thrown by a commit write (a session, a conversation) when the stored state moved since the read. The completing
 * transaction rolls back and the handler must run again (the pipeline checks `commitConflict`).
 */
export class CommitConflictError extends Error {
  override readonly name = "CommitConflictError";
  readonly commitConflict = true;
  constructor(readonly storeKey: string) {
    super(`${storeKey} was written by someone else meanwhile; the update is handled again`);
  }
}

/** A stored session whose schema cannot be read (no `migrate`, or migrate threw). */
export class SessionSchemaError extends Error {
  override readonly name = "SessionSchemaError";
}

/** The store key of a context's session, or undefined when the update has none. */
export function sessionKey<C extends SessionHost>(
  ctx: C,
  key: SessionKey<C>,
  prefix: string,
): string | undefined {
  if (typeof key === "function") {
    const custom = key(ctx);
    return custom === undefined ? undefined : `${prefix}:custom:${custom}`;
  }
  const hasChat = !ctx.chatKey.endsWith(":-");
  switch (key) {
    case "chat":
      return hasChat ? `${prefix}:chat:${ctx.chatKey}` : undefined;
    case "user":
      return ctx.from ? `${prefix}:user:${ctx.accountKey}:${ctx.from.id}` : undefined;
    case "chat+user":
      return hasChat && ctx.from ? `${prefix}:chat+user:${ctx.chatKey}:${ctx.from.id}` : undefined;
  }
}

/** One context's view of one session: loaded lazily, committed once. */
class SessionSlot<S> {
  private loaded = false;
  private value: S | undefined;
  /** JSON of the value as read (to write only what changed). */
  private readJson = "";
  /** The version read (0: none stored or expired). */
  private version = 0;
  private storedExpiresAt: number | undefined;
  /** Must be written even if unchanged (a migrated value). */
  private forceWrite = false;
  private deleted = false;

  constructor(
    private readonly host: SessionHost,
    private readonly storeKey: string,
    private readonly options: SessionOptions<S, never>,
  ) {}

  get(): S {
    this.load();
    return this.value as S;
  }

  set(value: S | null | undefined): void {
    this.load();
    if (value === null || value === undefined) {
      this.deleted = true;
      this.value = undefined;
      return;
    }
    this.deleted = false;
    this.value = value;
  }

  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    const { store, effects } = this.host;
    const schema = this.options.schema ?? 0;
    const record = store.getSession(this.storeKey, Date.now());
    if (!record) {
      // Nothing stored: a value left as initial() needs no write either.
      this.value = this.options.initial();
      this.readJson = JSON.stringify(this.value);
    } else {
      this.version = record.version;
      this.storedExpiresAt = record.expiresAt;
      this.readJson = JSON.stringify(record.value);
      if (record.schema === schema) {
        this.value = record.value as S;
      } else {
        this.value = this.migrate(record.value, record.schema);
        this.forceWrite = true;
      }
    }
    effects.onCommit(() => this.commit());
  }

  private migrate(old: unknown, fromSchema: number): S {
    const { migrate, schema = 0 } = this.options;
    if (!migrate) {
      throw new SessionSchemaError(
        `session ${this.storeKey} is stored with schema ${fromSchema}, expected ${schema}, and no migrate option is set`,
      );
    }
    try {
      return migrate(old, fromSchema);
    } catch (error) {
      throw new SessionSchemaError(
        `session ${this.storeKey}: migrate from schema ${fromSchema} failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** Runs inside the completing transaction. */
  private commit(): void {
    const { store } = this.host;
    const now = Date.now();
    if (this.deleted) {
      if (this.version === 0) return;
      const current = store.getSession(this.storeKey, now);
      if ((current?.version ?? 0) !== this.version) throw new CommitConflictError(this.storeKey);
      store.deleteSession(this.storeKey);
      return;
    }
    const json = JSON.stringify(this.value);
    if (json === undefined)
      throw new TypeError(`session ${this.storeKey}: the value is not JSON-serializable`);
    const ttl = this.options.ttlMs;
    const changed = this.forceWrite || json !== this.readJson;
    const refresh =
      ttl !== undefined &&
      this.version > 0 &&
      (this.storedExpiresAt === undefined || this.storedExpiresAt - now < ttl / 2);
    if (!changed && !refresh) return;
    const written = store.putSession(
      this.storeKey,
      {
        value: JSON.parse(json) as unknown,
        schema: this.options.schema ?? 0,
        expiresAt: ttl === undefined ? undefined : now + ttl,
      },
      this.version,
    );
    if (!written) throw new CommitConflictError(this.storeKey);
  }
}

/**
 * The session middleware: defines `ctx.session` (read: the loaded value; assign: replace it;
 * assign null/undefined: delete the stored session).
 */
export function session<S, C extends SessionHost = SessionHost>(
  options: SessionOptions<S, C>,
): SessionMiddleware<C & SessionFlavor<S>> {
  const keyOption: SessionKey<C> = options.key ?? "chat";
  const prefix = options.prefix ?? "session";
  if (options.ttlMs !== undefined && !(options.ttlMs > 0)) throw new RangeError("session: ttlMs must be > 0");
  return async (ctx, next) => {
    let slot: SessionSlot<S> | undefined;
    let resolved = false;
    const getSlot = (): SessionSlot<S> => {
      if (!resolved) {
        resolved = true;
        const storeKey = sessionKey(ctx as C, keyOption, prefix);
        if (storeKey !== undefined)
          slot = new SessionSlot<S>(ctx, storeKey, options as SessionOptions<S, never>);
      }
      if (!slot) {
        throw new Error(
          `ctx.session: this update has no ${typeof keyOption === "string" ? keyOption : "custom"} session key (no chat or no sender)`,
        );
      }
      return slot;
    };
    Object.defineProperty(ctx, "session", {
      configurable: true,
      enumerable: true,
      get: () => getSlot().get(),
      set: (value: S | null | undefined) => getSlot().set(value),
    });
    await next();
  };
}
