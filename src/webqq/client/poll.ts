/**
 * The poll loop: one poll2 after another, every retcode handled (116 new ptwebqq, 103/108/120/
 * 100012 relink or re-login, 121 kicked), repeated msg_ids suppressed, events emitted.
 */
import { Backoff, sleep } from "../../core/backoff.js";
import type { CallOptions } from "../../core/call.js";
import { AbortError } from "../../core/errors.js";
import type { ConnectionState } from "../../core/model.js";
import { type Envelope, PollItem, REFERER, Retcode } from "../protocol.js";
import { readPollItem } from "./fast.js";
import { passwordLogin, relink } from "./login.js";
import { type Ctx, retcodeError } from "./transport.js";

const DEDUP_WINDOW = 10_000;

/** One poll2; the raw envelope (retcode 0 / 102 / 116 / …). */
export async function poll(ctx: Ctx, options: CallOptions = {}): Promise<Envelope> {
  const form = ctx.pollForm();
  return ctx.envelope("poll2", {
    method: "POST",
    form,
    referer: REFERER.d,
    timeoutMs: options.timeoutMs ?? ctx.o.pollTimeoutMs ?? 90_000,
    ...(options.signal ? { signal: options.signal } : {}),
    idempotent: false,
    retries: 0,
  });
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

export class PollLoop {
  #loop: { ctrl: AbortController; done: Promise<void> } | undefined;
  readonly #seen = new Map<string, true>();

  constructor(
    private readonly ctx: Ctx,
    private readonly setState: (state: ConnectionState, reason?: string) => void,
  ) {}

  get running(): boolean {
    return this.#loop !== undefined;
  }

  start(): void {
    if (this.#loop) return;
    this.ctx.need();
    const ctrl = new AbortController();
    const done = this.#run(ctrl.signal).finally(() => {
      if (this.#loop?.ctrl === ctrl) this.#loop = undefined;
    });
    this.#loop = { ctrl, done };
  }

  async stop(): Promise<void> {
    const l = this.#loop;
    if (!l) return;
    l.ctrl.abort();
    await l.done;
  }

  /** Resolves when the loop ends (stop, kick, or an error it can't recover from). */
  async done(): Promise<void> {
    await this.#loop?.done;
  }

  #fresh(item: PollItem): boolean {
    if (!("msg_id" in item.value)) return true;
    const v = item.value as { msg_id: number; from_uin: number };
    const key = `${item.poll_type}:${v.from_uin}:${v.msg_id}`;
    if (this.#seen.has(key)) return false;
    this.#seen.set(key, true);
    if (this.#seen.size > DEDUP_WINDOW) this.#seen.delete(this.#seen.keys().next().value as string);
    return true;
  }

  async #recover(signal: AbortSignal): Promise<boolean> {
    const { ctx } = this;
    this.setState("reconnecting", "session lost");
    try {
      await relink(ctx, { signal });
      return true;
    } catch (err) {
      if (err instanceof AbortError) throw err;
      if (ctx.password && ctx.session) {
        try {
          await passwordLogin(ctx, { qq: ctx.session.qq, password: ctx.password }, { signal });
          return true;
        } catch (e2) {
          if (e2 instanceof AbortError) throw e2;
          ctx.emitter.emit("error", asError(e2));
          return false;
        }
      }
      ctx.emitter.emit("error", asError(err));
      return false;
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { ctx } = this;
    const emit = ctx.emitter.emit.bind(ctx.emitter);
    const backoff = new Backoff({ baseMs: ctx.o.backoffBaseMs ?? 500, maxMs: 30_000 });
    let trouble = false;
    const healthy = () => {
      backoff.reset();
      if (trouble) {
        trouble = false;
        this.setState("connected");
      }
    };
    try {
      while (!signal.aborted) {
        let env: Envelope;
        try {
          env = await poll(ctx, { signal });
        } catch (err) {
          if (err instanceof AbortError) return;
          ctx.log.debug({ err }, "poll2 failed; retrying");
          if (!trouble) {
            trouble = true;
            this.setState("reconnecting", "poll2 failed");
          }
          await sleep(backoff.next(), signal, "webqq");
          continue;
        }
        switch (env.retcode) {
          case Retcode.OK: {
            healthy();
            const list = Array.isArray(env.result) ? env.result : [];
            for (const raw of list) {
              // Message items with declared fields only are read in place (never looser than PollItem).
              let item = readPollItem(raw);
              if (!item) {
                const r = PollItem.safeParse(raw);
                if (!r.success) continue;
                item = r.data;
              }
              if (!this.#fresh(item)) continue;
              if (item.poll_type === "kick_message") {
                emit("kick_message", item.value);
                emit("kicked", item.value.reason);
                this.setState("disconnected", "kicked");
                return;
              }
              emit(item.poll_type, item.value as never);
            }
            break;
          }
          case Retcode.NO_MESSAGE:
            healthy();
            break;
          case Retcode.NEW_PTWEBQQ:
            if (env.p && ctx.session) {
              ctx.session.ptwebqq = env.p;
              for (const name of ["login2", "friends", "checkSig"] as const)
                await ctx.jar.setCookie(`ptwebqq=${env.p}; Path=/`, ctx.url(name), { ignoreError: true });
              await ctx.persist();
            }
            break;
          case Retcode.KICKED:
            emit("kicked", "logged in elsewhere (121)");
            this.setState("disconnected", "kicked");
            return;
          case Retcode.RELINK:
          case Retcode.LOST:
          case Retcode.BAD_COOKIE:
          case Retcode.EXPIRED:
            if (!(await this.#recover(signal))) {
              this.setState("disconnected", "session lost");
              return;
            }
            trouble = true;
            healthy();
            break;
          default:
            emit("error", retcodeError(env.retcode, "poll2"));
            await sleep(backoff.next(), signal, "webqq");
        }
      }
    } catch (err) {
      if (err instanceof AbortError) return;
      emit("error", asError(err));
      this.setState("disconnected", "poll loop failed");
    }
  }
}
