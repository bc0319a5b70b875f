/**
 * Conversations: a function that talks with one user in one chat across several updates and
 * survives restarts.
 *
 *   bot.use(conversation("askName", async (conv, ctx) => {
 *     await ctx.reply("What is your name?");
 *     const answer = await conv.wait({ timeoutMs: 60_000 });
 *     await answer.reply(`Hello, ${answer.text}!`);
 *   }));
 *   bot.command("start", (ctx) => ctx.conversation.enter("askName"));
 *
 * How (replay, as grammY's conversations plugin does; no continuation kept in memory): the store
 * keeps the entering update and every update wait() returned. Each new message of that user in
 * that chat runs the function again from the start: the i-th wait() returns a context rebuilt from
 * the i-th recorded update, the first unrecorded wait() returns the new message, the next wait()
 * suspends the function. The new state is written with the update's completion (exactly once),
 * so after a restart the next message replays the same way. Contexts are made by
 * `ctx.derive(update, "conv:<name>")`, whose sends carry idempotency keys derived from that
 * update: a replayed `reply` re-submits the same key and the outbox answers with the first send,
 * so nothing is sent twice. The function must therefore be deterministic given its updates
 * (no branching on the clock or on random numbers between waits).
 *
 * Side effects other than the context's sends (an HTTP call, the clock, a random pick, a database
 * write) go through `conv.external(fn)`: its result is recorded and replays get the recorded
 * value instead of calling fn again. `ctx.session` is not available on a conversation's contexts
 * (a replay would apply its changes again): keep the conversation's state in local variables.
 *
 * Timeouts: `wait({ timeoutMs })` throws ConversationTimeout (catchable) once the user's next
 * message comes after the deadline (the deadline is checked when that message arrives, also after
 * a restart); an uncaught one ends the conversation and that message goes on to the other
 * handlers. Bounded: at most `maxSteps` (default 100) recorded steps (answers, timeouts, external
 * results); each replay is O(steps); past it wait()/external() throw ConversationStepLimit.
 *
 * Errors: any other error thrown by the function ends the conversation at once (as in grammY) and
 * propagates to the bot's error handling; the update's retry then goes to the other handlers.
 *
 * Only `message.created` events of the waiting user in the waiting chat are routed to it; other
 * updates pass by, and so do messages a `wait({ filter })` refuses.
 */
import type { AdapterEvent } from "../core/adapter.js";
import type { Ref } from "../core/model.js";
import { CommitConflictError } from "./session.js";
import type { BotStore, StoredUpdate, UpdateEffects } from "./types.js";

/** What conversations need from the context (core's Context provides it). */
export interface ConversationHost {
  readonly store: BotStore;
  readonly effects: UpdateEffects;
  readonly update: StoredUpdate;
  readonly chatKey: string;
  readonly from: Ref | undefined;
  /** A context for `update` (same bot, adapter, store, effects) whose sends use keys `${update.key}:${scope}:<n>`. */
  derive(update: StoredUpdate, scope: string): this;
}

export interface WaitOptions<C = unknown> {
  /** Throw ConversationTimeout when the answer comes later than this after wait() was reached. */
  timeoutMs?: number;
  /**
   * Only a message this accepts is the answer; another one goes on to the other handlers and the
   * conversation keeps waiting (same deadline). Must be deterministic (it runs again on replay).
   */
  filter?: (ctx: C) => boolean;
}

export interface Conversation<C> {
  readonly name: string;
  /** The next message of the user in this chat. */
  wait(options?: WaitOptions<C>): Promise<C>;
  /**
   * Runs a side effect once: its (JSON) result is recorded, and replays return the recorded value
   * without calling `fn`. A crash before the update completes may call it again (at least once).
   */
  external<T>(fn: () => T | Promise<T>): Promise<T>;
  /** Steps replayed or recorded so far in this run (answers, timeouts, external results). */
  readonly step: number;
}

export type ConversationFn<C> = (conv: Conversation<C>, ctx: C) => Promise<void>;

export interface ConversationOptions {
  /** At most this many recorded waits (default MAX_CONVERSATION_STEPS). */
  maxSteps?: number;
  /** A conversation left waiting this long is forgotten (store expiry); none by default. */
  idleMs?: number;
}

export const MAX_CONVERSATION_STEPS = 100;

/** wait() answered after its timeout. Catch it to say goodbye; uncaught, it ends the conversation. */
export class ConversationTimeout extends Error {
  override readonly name = "ConversationTimeout";
  constructor(
    readonly conversation: string,
    readonly timeoutMs: number,
  ) {
    super(`conversation ${conversation}: no answer within ${timeoutMs} ms`);
  }
}

/** The function did not do on replay what it recorded (it is not deterministic given its answers). */
export class ConversationReplayError extends Error {
  override readonly name = "ConversationReplayError";
}

/** wait() called past the step bound. */
export class ConversationStepLimit extends Error {
  override readonly name = "ConversationStepLimit";
  constructor(
    readonly conversation: string,
    readonly maxSteps: number,
  ) {
    super(`conversation ${conversation}: more than ${maxSteps} steps`);
  }
}

export interface ConversationControl {
  /** Starts `name` for the sender in this chat (replacing one that was waiting) and runs it to its first wait(). */
  enter(name: string): Promise<void>;
  /** The conversation waiting for the sender in this chat, if any. */
  active(): string | undefined;
  /** Ends the sender's conversation in this chat (with this update's completion). */
  exit(): void;
}

export interface ConversationFlavor {
  conversation: ConversationControl;
}

export type ConversationMiddleware<C> = (ctx: C, next: () => Promise<void>) => Promise<void>;

/** A recorded update (the parts a context is rebuilt from). */
type RecordedUpdate = Pick<StoredUpdate, "key" | "chatKey" | "account" | "event" | "receivedAt">;

type Step = { update: RecordedUpdate } | { timeout: number } | { external: unknown };

/** What the store keeps per waiting conversation (JSON). */
interface ConversationState {
  v: 1;
  name: string;
  entry: RecordedUpdate;
  steps: Step[];
  /** The wait the function is suspended at: when it was reached, and its timeout. */
  waiting?: { since: number; timeoutMs?: number };
}

/** The store key of the sender's conversation in the update's chat. */
export function conversationKey(host: Pick<ConversationHost, "chatKey" | "from">): string | undefined {
  if (!host.from || host.chatKey.endsWith(":-")) return undefined;
  return `conv:${host.chatKey}:${host.from.id}`;
}

function record(update: StoredUpdate): RecordedUpdate {
  return {
    key: update.key,
    chatKey: update.chatKey,
    account: update.account,
    event: update.event,
    receivedAt: update.receivedAt,
  };
}

function rebuild(recorded: RecordedUpdate): StoredUpdate {
  return { ...recorded, seq: 0, attempts: 1 };
}

function isState(value: unknown): value is ConversationState {
  const s = value as ConversationState | undefined;
  return (
    typeof s === "object" && s !== null && s.v === 1 && typeof s.name === "string" && Array.isArray(s.steps)
  );
}

function isAnswer(event: AdapterEvent): boolean {
  return event.type === "message.created";
}

type Runner<C> = (ctx: C, state: ConversationState, storeKey: string, current: boolean) => Promise<boolean>;

/** Per-context bookkeeping shared by every conversation middleware the update passes. */
class ControlState<C extends ConversationHost> implements ConversationControl {
  readonly runners = new Map<string, Runner<C>>();
  private loaded = false;
  private state: ConversationState | undefined;
  /** The stored state's JSON as read (compare-and-set at commit). */
  private readJson: string | undefined;
  private write: (() => void) | undefined;

  constructor(private readonly ctx: C) {}

  get storeKey(): string | undefined {
    return conversationKey(this.ctx);
  }

  /** The stored state (read once per update). */
  load(): ConversationState | undefined {
    if (!this.loaded) {
      this.loaded = true;
      const key = this.storeKey;
      const raw = key === undefined ? undefined : this.ctx.store.getConversation(key);
      this.readJson = JSON.stringify(raw);
      this.state = isState(raw) ? raw : undefined;
    }
    return this.state;
  }

  /**
   * This update's conversation write (the last one wins), applied with its completion if the
   * stored state is still the one read; otherwise someone else moved the conversation meanwhile
   * (another worker, a second run of the update) and the update is handled again.
   */
  commit(write: () => void): void {
    const key = this.storeKey;
    if (key === undefined) return;
    this.load();
    const first = this.write === undefined;
    this.write = write;
    if (!first) return;
    this.ctx.effects.onCommit(() => {
      if (JSON.stringify(this.ctx.store.getConversation(key)) !== this.readJson)
        throw new CommitConflictError(key);
      this.write?.();
    });
  }

  /** Marks the state as handled in this update (so another middleware does not run it again). */
  forget(): void {
    this.loaded = true;
    this.state = undefined;
  }

  active(): string | undefined {
    return this.load()?.name;
  }

  exit(): void {
    const key = this.storeKey;
    this.load();
    this.forget();
    if (key !== undefined) this.commit(() => this.ctx.store.deleteConversation(key));
  }

  async enter(name: string): Promise<void> {
    const run = this.runners.get(name);
    if (!run) {
      throw new Error(
        `conversation ${name} is not registered: bot.use(conversation("${name}", fn)) before the handler that enters it`,
      );
    }
    const key = this.storeKey;
    if (key === undefined)
      throw new Error(`conversation ${name}: this update has no sender or no chat to talk to`);
    this.load();
    this.forget();
    const state: ConversationState = { v: 1, name, entry: record(this.ctx.update), steps: [] };
    await run(this.ctx, state, key, false);
  }
}

const controls = new WeakMap<object, ControlState<never>>();

function control<C extends ConversationHost>(ctx: C): ControlState<C> {
  let state = controls.get(ctx) as ControlState<C> | undefined;
  if (!state) {
    state = new ControlState<C>(ctx);
    controls.set(ctx, state as unknown as ControlState<never>);
    const handle = state;
    Object.defineProperty(ctx, "conversation", {
      configurable: true,
      enumerable: false,
      value: {
        enter: (name: string) => handle.enter(name),
        active: () => handle.active(),
        exit: () => handle.exit(),
      } satisfies ConversationControl,
    });
  }
  return state;
}

/** Thrown into nothing: marks that the function reached a wait() with no answer yet. */
const SUSPENDED = Symbol("suspended");

/**
 * Runs the function once over the recorded steps (and, when `current`, the context's own update
 * as the next answer). Resolves true when the update was consumed by the conversation.
 */
function runner<C extends ConversationHost>(
  name: string,
  fn: ConversationFn<C>,
  options: ConversationOptions,
): Runner<C> {
  const maxSteps = options.maxSteps ?? MAX_CONVERSATION_STEPS;
  const scope = `conv:${name}`;
  return async (ctx, state, storeKey, current) => {
    const now = Date.now();
    const steps = [...state.steps];
    let next = 0;
    let consumed = false;
    let waiting: ConversationState["waiting"];
    let suspend!: (value: typeof SUSPENDED) => void;
    const suspended = new Promise<typeof SUSPENDED>((resolve) => {
      suspend = resolve;
    });

    const conv: Conversation<C> = {
      name,
      get step() {
        return next;
      },
      wait: async (waitOptions?: WaitOptions<C>): Promise<C> => {
        const timeoutMs = waitOptions?.timeoutMs;
        if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new RangeError("wait: timeoutMs must be > 0");
        if (next < steps.length) {
          const step = steps[next++] as Step;
          if ("timeout" in step) throw new ConversationTimeout(name, step.timeout);
          if ("update" in step) return derive(rebuild(step.update));
          throw diverged("wait()", "external()");
        }
        if (current && !consumed) {
          // The first unanswered wait: the one the stored state was suspended at (replay is deterministic).
          const since = state.waiting?.since ?? now;
          const limit = state.waiting ? state.waiting.timeoutMs : timeoutMs;
          if (steps.length >= maxSteps) throw new ConversationStepLimit(name, maxSteps);
          if (limit !== undefined && now - since > limit) {
            steps.push({ timeout: limit });
            next++;
            // Only the first unanswered wait may time out against the stored deadline.
            current = false;
            throw new ConversationTimeout(name, limit);
          }
          const answer = derive(ctx.update);
          if (waitOptions?.filter && !waitOptions.filter(answer)) {
            // Not an answer: the message goes on, the conversation stays at this wait.
            current = false;
            waiting = state.waiting ?? { since: now, timeoutMs };
            suspend(SUSPENDED);
            return new Promise<C>(() => {});
          }
          consumed = true;
          steps.push({ update: record(ctx.update) });
          next++;
          return answer;
        }
        if (steps.length >= maxSteps) throw new ConversationStepLimit(name, maxSteps);
        waiting = { since: now, timeoutMs };
        suspend(SUSPENDED);
        return new Promise<C>(() => {});
      },
      external: async <T>(effect: () => T | Promise<T>): Promise<T> => {
        if (next < steps.length) {
          const step = steps[next++] as Step;
          if ("external" in step) return step.external as T;
          throw diverged("external()", "timeout" in step ? "a timed-out wait()" : "wait()");
        }
        if (steps.length >= maxSteps) throw new ConversationStepLimit(name, maxSteps);
        const value = await effect();
        const json = value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown);
        steps.push({ external: json });
        next++;
        return (value === undefined ? undefined : json) as T;
      },
    };

    const diverged = (did: string, recorded: string) =>
      new ConversationReplayError(
        `conversation ${name}: step ${next} replayed as ${did} but was recorded as ${recorded}; the function must do the same given the same answers`,
      );

    /** A context of this conversation: sends keyed in its scope, no session (see the module comment). */
    const derive = (update: StoredUpdate): C => {
      const derived = ctx.derive(update, scope);
      if ("session" in ctx) {
        Object.defineProperty(derived, "session", {
          configurable: true,
          get() {
            throw new Error(
              `ctx.session inside conversation ${name}: a replay would apply its changes again; keep the conversation's state in local variables`,
            );
          },
        });
      }
      return derived;
    };

    const entryCtx = derive(rebuild(state.entry));
    let outcome: typeof SUSPENDED | "done";
    let failure: unknown;
    try {
      outcome = await Promise.race([fn(conv, entryCtx).then(() => "done" as const), suspended]);
    } catch (error) {
      failure = error;
      outcome = "done";
    }

    const ended = failure instanceof ConversationTimeout || failure instanceof ConversationStepLimit;
    if (failure !== undefined && !ended) {
      // A bug or a failed send: the conversation ends now (not with the completion, which a failing
      // update never reaches), so the user is not stuck in it; the error goes on to bot.catch.
      ctx.store.transaction(() => ctx.store.deleteConversation(storeKey));
      throw failure;
    }
    if (outcome === SUSPENDED) {
      const next: ConversationState = { v: 1, name, entry: state.entry, steps, waiting };
      const expiresAt = options.idleMs === undefined ? undefined : now + options.idleMs;
      control(ctx).commit(() => ctx.store.putConversation(storeKey, next, expiresAt));
    } else {
      control(ctx).commit(() => ctx.store.deleteConversation(storeKey));
    }
    return consumed;
  };
}

/**
 * Registers the conversation `name` and installs `ctx.conversation`. Use it before the handlers
 * that enter it and before those the user's answers must not reach.
 */
export function conversation<C extends ConversationHost>(
  name: string,
  fn: ConversationFn<C & ConversationFlavor>,
  options: ConversationOptions = {},
): ConversationMiddleware<C & ConversationFlavor> {
  const run = runner<C & ConversationFlavor>(name, fn, options);
  return async (ctx, next) => {
    const handle = control<C & ConversationFlavor>(ctx);
    handle.runners.set(name, run);
    const state = handle.load();
    const storeKey = handle.storeKey;
    if (state && state.name === name && storeKey !== undefined && isAnswer(ctx.update.event)) {
      handle.forget();
      const consumed = await run(ctx, state, storeKey, true);
      if (consumed) return;
    }
    await next();
  };
}
