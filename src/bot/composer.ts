/**
 * Composer: grammY's middleware tree. Each middleware gets the context and `next`; awaiting
 * `next()` runs everything after it (and returns when that is done), not calling it stops there.
 * `on`, `command`, `hears`, `filter`, `branch`, `route`, `lazy` and `errorBoundary` are built
 * from `use`. A `Bot` is a Composer; so is any group of handlers a module exports.
 */
import type { AdapterEvent } from "../core/adapter.js";
import type { PlatformName, Ref } from "../core/model.js";
import { DEFAULT_PREFIXES, parseCommand } from "./commands.js";
import { BotError } from "./errors.js";
import { type Filter, type FilterQuery, matchFilter, type QueryShapes } from "./filters.js";

export type NextFunction = () => Promise<void>;
export type MiddlewareFn<C> = (ctx: C, next: NextFunction) => unknown;
export interface MiddlewareObj<C> {
  middleware(): MiddlewareFn<C>;
}
export type Middleware<C> = MiddlewareFn<C> | MiddlewareObj<C>;

/** What the composer itself reads from a context (`Context` has all of it). */
export interface ComposerContext {
  readonly updateKey: string;
  readonly platform: PlatformName;
  readonly event: AdapterEvent;
  readonly chat: Ref | undefined;
  readonly text: string | undefined;
  /** Command prefixes on this context's platform (default ["/"]). */
  readonly prefixes?: readonly string[] | undefined;
  /** This account's username, when known: `/cmd@other` is then not ours. */
  readonly botUsername?: string | undefined;
  command?: string | undefined;
  args?: string | undefined;
  match?: RegExpMatchArray | undefined;
}

export type CommandContext<C> = C & QueryShapes["message:text"] & { command: string; args: string };
export type HearsContext<C> = C & QueryShapes["message:text"] & { match: RegExpMatchArray };

type MaybePromise<T> = T | Promise<T>;

function flatten<C>(mw: Middleware<C>): MiddlewareFn<C> {
  return typeof mw === "function" ? mw : (ctx, next) => mw.middleware()(ctx, next);
}

const pass: MiddlewareFn<unknown> = (_ctx, next) => next();

/** `first`, whose `next` runs `then` (whose `next` is the outer one). */
function concat<C>(first: MiddlewareFn<C>, then: MiddlewareFn<C>): MiddlewareFn<C> {
  return async (ctx, next) => {
    await first(
      ctx,
      once(() => then(ctx, next)),
    );
  };
}

function once(fn: () => unknown): NextFunction {
  let called = false;
  return async () => {
    if (called) throw new Error("next() called twice by one middleware");
    called = true;
    await fn();
  };
}

/** One middleware running `middleware` in order. */
export function compose<C>(...middleware: Middleware<C>[]): MiddlewareFn<C> {
  return middleware.map(flatten).reduce(concat, pass as MiddlewareFn<C>);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export class Composer<C extends ComposerContext> implements MiddlewareObj<C> {
  #handler: MiddlewareFn<C>;

  constructor(...middleware: Middleware<C>[]) {
    this.#handler = compose(...middleware);
  }

  middleware(): MiddlewareFn<C> {
    // The last middleware's next is the caller's: guarded here too.
    return (ctx, next) => this.#handler(ctx, once(next));
  }

  /** Adds middleware; returns the new child composer (handlers added to it run in its place). */
  use(...middleware: Middleware<C>[]): Composer<C> {
    const child = new Composer<C>(...middleware);
    this.#handler = concat(this.#handler, flatten(child));
    return child;
  }

  /** Runs `middleware` for updates matching the query (or any of the queries); the type narrows. */
  on<Q extends FilterQuery>(
    query: Q | readonly Q[],
    ...middleware: Middleware<Filter<C, Q>>[]
  ): Composer<Filter<C, Q>> {
    const matches = matchFilter(query);
    return this.filter((ctx): ctx is Filter<C, Q> => matches(ctx), ...middleware);
  }

  /**
   * `/name rest…` (any of the names; prefixes from `ctx.prefixes`): sets `ctx.command` (the name,
   * lower case) and `ctx.args` (the trimmed rest). Only new messages, not edits.
   */
  command(
    names: string | readonly string[],
    ...middleware: Middleware<CommandContext<C>>[]
  ): Composer<CommandContext<C>> {
    const wanted = new Set(
      (typeof names === "string" ? [names] : names).map((n) => n.replace(/^\//, "").toLowerCase()),
    );
    return this.filter(
      (ctx): ctx is CommandContext<C> => {
        if (ctx.event.type !== "message.created") return false;
        const parsed = parseCommand(ctx.text, ctx.prefixes ?? DEFAULT_PREFIXES, ctx.botUsername);
        if (!parsed || !wanted.has(parsed.command)) return false;
        ctx.command = parsed.command;
        ctx.args = parsed.args;
        return true;
      },
      ...middleware,
    );
  }

  /** New messages whose text matches (a string must equal the whole text); `ctx.match` is the match. */
  hears(
    trigger: RegExp | string | readonly (RegExp | string)[],
    ...middleware: Middleware<HearsContext<C>>[]
  ): Composer<HearsContext<C>> {
    const triggers = (Array.isArray(trigger) ? trigger : [trigger]).map((t: RegExp | string) =>
      typeof t === "string" ? new RegExp(`^${escapeRegExp(t)}$`) : t,
    );
    return this.filter(
      (ctx): ctx is HearsContext<C> => {
        if (ctx.event.type !== "message.created" || ctx.text === undefined) return false;
        for (const re of triggers) {
          re.lastIndex = 0;
          const match = ctx.text.match(re);
          if (match) {
            ctx.match = match;
            return true;
          }
        }
        return false;
      },
      ...middleware,
    );
  }

  /** Runs `middleware` when `predicate` holds, else goes on with the next middleware. */
  filter<D extends C>(predicate: (ctx: C) => ctx is D, ...middleware: Middleware<D>[]): Composer<D>;
  filter(predicate: (ctx: C) => MaybePromise<boolean>, ...middleware: Middleware<C>[]): Composer<C>;
  filter(predicate: (ctx: C) => MaybePromise<boolean>, ...middleware: Middleware<C>[]): Composer<C> {
    const child = new Composer<C>(...middleware);
    this.branch(predicate, child, pass);
    return child;
  }

  /** The opposite of `filter`. */
  drop(predicate: (ctx: C) => MaybePromise<boolean>, ...middleware: Middleware<C>[]): Composer<C> {
    return this.filter(async (ctx) => !(await predicate(ctx)), ...middleware);
  }

  /** `whenTrue` or `whenFalse`, by the predicate. */
  branch(
    predicate: (ctx: C) => MaybePromise<boolean>,
    whenTrue: Middleware<C>,
    whenFalse: Middleware<C>,
  ): Composer<C> {
    return this.lazy(async (ctx) => ((await predicate(ctx)) ? whenTrue : whenFalse));
  }

  /** The middleware `router` names for this update (`fallback`, or nothing, when none matches). */
  route<K extends string>(
    router: (ctx: C) => MaybePromise<K | undefined>,
    routes: Partial<Record<K, Middleware<C>>>,
    fallback: Middleware<C> = pass,
  ): Composer<C> {
    return this.lazy(async (ctx) => {
      const key = await router(ctx);
      return (key === undefined ? undefined : routes[key]) ?? fallback;
    });
  }

  /** Middleware chosen per update by `factory`. */
  lazy(factory: (ctx: C) => MaybePromise<Middleware<C> | readonly Middleware<C>[]>): Composer<C> {
    return this.use(async (ctx, next) => {
      const chosen = await factory(ctx);
      const list: Middleware<C>[] = Array.isArray(chosen) ? [...chosen] : [chosen as Middleware<C>];
      await compose(...list)(ctx, next);
    });
  }

  /**
   * Errors thrown inside `middleware` go to `onError` (as BotError) instead of up the tree; the
   * middleware after this boundary still runs if the inner ones (or `onError`) call next. Errors
   * thrown further down are not caught here (as in grammY).
   */
  errorBoundary(
    onError: (error: BotError<C>, next: NextFunction) => unknown,
    ...middleware: Middleware<C>[]
  ): Composer<C> {
    const inner = new Composer<C>(...middleware);
    const bound = flatten(inner);
    this.use(async (ctx, next) => {
      let goOn = false;
      const mark = async () => {
        goOn = true;
      };
      try {
        await bound(ctx, mark);
      } catch (err) {
        goOn = false;
        await onError(err instanceof BotError ? (err as BotError<C>) : new BotError(err, ctx), mark);
      }
      if (goOn) await next();
    });
    return inner;
  }
}
