/**
 * The outbound queue (issue 14, part 4). `submit()` writes the item to the store first (durable,
 * de-duplicated by its key), then a scheduler sends due items: replies before broadcasts, one at
 * a time per chat (in order), under per-account and per-chat token buckets (limits.ts). A rate
 * limit pauses the account (or, for a chat's slow mode, the chat) and lowers its bucket; other
 * retryable errors back off exponentially with jitter up to `maxAttempts`; the rest fail at once.
 * Every adapter call carries `idempotencyKey: item.key`, so a retry is the same send to the
 * adapter and, where the platform can tell (MAX cid, MaxIM transaction_id, WebQQ msg_id), to the
 * server too (MaxIM transaction_id, WebQQ msg_id). Where the platform keeps no such record (MAX,
 * the MAX Bot API, VK Live), a send whose earlier attempt may have reached the server (an answer
 * lost to a dropped connection or a timeout, or an item a crash left queued) first looks for its
 * own echo in the chat's history: the same plain text, after the item was created, by us.
 * What a stop or a crash leaves queued stays in the store for the next `start()`.
 *
 * Slightly over the ~500-line guide: the scheduler, its pauses and the echo check decide together
 * whether an item may be sent again; the buckets and limits already live in limits.ts.
 */
import type { Adapter, SendResult } from "../core/adapter.js";
import {
  RateLimitError,
  SwitchboardError,
  TimeoutError,
  TransportError,
  ValidationError,
} from "../core/errors.js";
import type { PlatformName, Segment } from "../core/model.js";
import { limitFor, SERVER_DEDUPE, TokenBucket } from "./limits.js";
import type { AccountKey, BotStore, Outbox, OutboxItem, OutboxOptions } from "./types.js";

/** Knobs beyond the seam's options (tests and tuning). */
export interface OutboxTuning {
  /** First retry delay; doubles with each attempt (default 500 ms), jittered to 50–100 %. */
  backoffBaseMs?: number;
  /** Longest retry delay (default 30 s). */
  backoffMaxMs?: number;
  /** Sends in flight at once across all chats (default 8; one per chat always). */
  concurrency?: number;
  /** Timeout of one adapter call (default 30 s). */
  sendTimeoutMs?: number;
}

export type SubmitInput = Parameters<Outbox["submit"]>[0];

interface Waiter {
  resolve(result: SendResult | undefined): void;
  reject(error: unknown): void;
}

/** Rate limits one item may meet in a row (per process) before it fails: a platform that never lets it through. */
const RATE_LIMIT_STRIKES_PER_ATTEMPT = 4;
/** Re-reads the store this often while running, to catch items whose dueAt passed. */
const IDLE_POLL_MS = 1000;
const BATCH = 256;
/** How far before an item's creation its echo may be dated (server clock skew). */
const ECHO_SKEW_MS = 5000;
/** Message ids of our sends remembered per account (to tell our echoes from others' messages). */
const OUR_IDS = 1000;

export function createOutbox(options: OutboxOptions & OutboxTuning): OutboxQueue {
  return new OutboxQueue(options);
}

export class OutboxQueue implements Outbox {
  readonly #store: BotStore;
  readonly #adapters: ReadonlyMap<AccountKey, Adapter>;
  readonly #options: OutboxOptions & OutboxTuning;
  readonly #maxAttempts: number;
  readonly #accountBuckets = new Map<AccountKey, TokenBucket>();
  readonly #chatBuckets = new Map<string, TokenBucket>();
  readonly #waiters = new Map<string, Waiter[]>();
  /** Item keys being sent now, and the chats they are in (one send per chat at a time). */
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #busyChats = new Set<string>();
  /** A chat whose item is backing off holds its later items too (order per chat). */
  readonly #chatHold = new Map<string, number>();
  readonly #rateStrikes = new Map<string, number>();
  /** Keys this instance enqueued new: they cannot have been on the wire before. */
  readonly #fresh = new Set<string>();
  /** Keys whose last attempt may have reached the server (dropped answer, timeout). */
  readonly #uncertain = new Set<string>();
  /** Per account: ids of messages we sent, and (once seen in a history) our author id. */
  readonly #ourIds = new Map<AccountKey, Set<string>>();
  readonly #selfIds = new Map<AccountKey, string>();
  #state: "idle" | "running" | "stopped" = "idle";
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #pumping = false;
  #kicked = false;
  #again = false;
  /** Woken on every settled send (drain waits on it). */
  #changed: (() => void)[] = [];

  constructor(options: OutboxOptions & OutboxTuning) {
    this.#store = options.store;
    this.#adapters = options.adapters;
    this.#options = options;
    this.#maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 5));
  }

  submit(input: SubmitInput): Promise<SendResult | undefined> {
    try {
      this.#validate(input);
      const isNew = this.#store.outboxItem(input.key) === undefined;
      const item = this.#store.enqueue({ ...input, dueAt: Date.now() });
      if (isNew) this.#fresh.add(item.key);
      if (item.status === "sent") return Promise.resolve(item.result);
      if (item.status === "failed") return Promise.reject(failedError(item));
      const p = new Promise<SendResult | undefined>((resolve, reject) => {
        const list = this.#waiters.get(item.key) ?? [];
        list.push({ resolve, reject });
        this.#waiters.set(item.key, list);
      });
      if (this.#state === "stopped") this.#settle(item.key, undefined, stoppedError());
      else this.#kick();
      return p;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Starts sending, beginning with whatever an earlier run (or a crash) left queued. */
  start(): void {
    if (this.#state === "running") return;
    this.#state = "running";
    this.#kick();
  }

  /** Sends what is queued (for up to `timeoutMs`), then stops; what is left stays queued in the store. */
  async drain(timeoutMs = 10_000): Promise<void> {
    if (this.#state !== "running") this.start();
    const deadline = Date.now() + Math.max(0, timeoutMs);
    while (!this.#empty() && Date.now() < deadline) {
      await this.#nextChange(Math.min(100, Math.max(1, deadline - Date.now())));
    }
    this.#state = "stopped";
    this.#clearTimer();
    // Sends already on the wire finish (or time out) on their own; their results are still recorded.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.#inFlight.values()]),
      new Promise((r) => {
        timer = setTimeout(r, Math.max(0, deadline - Date.now()));
      }),
    ]);
    clearTimeout(timer);
    for (const key of [...this.#waiters.keys()]) {
      if (!this.#inFlight.has(key)) this.#settle(key, undefined, stoppedError());
    }
  }

  /** The account's bucket as it stands (rate per second after learning, pause end). */
  bucketOf(account: AccountKey): { rate: number; pausedUntil: number } | undefined {
    const b = this.#accountBuckets.get(account);
    return b ? { rate: b.rate, pausedUntil: b.pausedUntil } : undefined;
  }

  // ── scheduling ──

  #validate(input: SubmitInput): void {
    const issues: string[] = [];
    if (typeof input.key !== "string" || input.key === "") issues.push("key: a non-empty string is required");
    if (!["send", "edit", "delete", "react"].includes(input.op))
      issues.push(`op: unknown "${String(input.op)}"`);
    if (input.op !== "send" && !input.target) issues.push(`target: ${input.op} needs the message`);
    if (typeof input.chat?.id !== "string") issues.push("chat: a Ref is required");
    if (!Array.isArray(input.content)) issues.push("content: an array of segments is required");
    if (input.priority !== "reply" && input.priority !== "broadcast")
      issues.push("priority: reply or broadcast");
    if (!this.#adapters.has(input.account)) issues.push(`account: no adapter for ${input.account}`);
    if (issues.length > 0) {
      throw new ValidationError(`outbox item rejected: ${issues.join("; ")}`, { platform: "core", issues });
    }
  }

  #empty(): boolean {
    return this.#inFlight.size === 0 && this.#store.due(Number.MAX_SAFE_INTEGER, 1).length === 0;
  }

  #nextChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.#changed.push(done);
    });
  }

  #notify(): void {
    const list = this.#changed;
    this.#changed = [];
    for (const f of list) f();
  }

  /** One pass per burst of submits and completions, not one each. */
  #kick(): void {
    if (this.#state !== "running" || this.#kicked) return;
    this.#kicked = true;
    queueMicrotask(() => {
      this.#kicked = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#state !== "running") return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        this.#schedule(this.#pass());
      } while (this.#again && this.#state === "running");
    } catch (err) {
      // The store failed (closed under us): nothing can be sent; report to every waiter.
      for (const key of [...this.#waiters.keys()]) this.#settle(key, undefined, err);
    } finally {
      this.#pumping = false;
    }
  }

  /** Dispatches what may go now; returns when to look again. */
  #pass(): number {
    const now = Date.now();
    let wake = now + IDLE_POLL_MS;
    const concurrency = Math.max(1, this.#options.concurrency ?? 8);
    if (this.#inFlight.size >= concurrency) return wake;
    const blockedChats = new Set<string>();
    const blockedAccounts = new Set<string>();
    for (const item of this.#store.due(now, BATCH)) {
      if (this.#inFlight.size >= concurrency) break;
      if (this.#inFlight.has(item.key)) continue;
      const chat = chatKeyOf(item);
      if (this.#busyChats.has(chat) || blockedChats.has(chat) || blockedAccounts.has(item.account)) {
        blockedChats.add(chat);
        continue;
      }
      const hold = this.#chatHold.get(chat) ?? 0;
      const adapter = this.#adapters.get(item.account);
      if (hold > now || !adapter) {
        // No adapter yet (attached later): look again at the next poll.
        if (hold > now) wake = Math.min(wake, hold);
        blockedChats.add(chat);
        continue;
      }
      if (hold) this.#chatHold.delete(chat);
      const account = this.#accountBucket(item.account, adapter.platform, now);
      const chatBucket = this.#chatBucket(chat, adapter.platform, now);
      const accountAt = account.readyAt(now);
      const chatAt = chatBucket?.readyAt(now) ?? now;
      if (accountAt > now) blockedAccounts.add(item.account);
      if (accountAt > now || chatAt > now) {
        blockedChats.add(chat);
        wake = Math.min(wake, Math.max(accountAt, chatAt));
        continue;
      }
      account.take(now);
      chatBucket?.take(now);
      this.#dispatch(item, adapter, chat);
    }
    return wake;
  }

  #schedule(at: number): void {
    if (this.#state !== "running") return;
    if (this.#timer && this.#timerAt <= at) return;
    this.#clearTimer();
    this.#timerAt = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.#pump();
      },
      Math.max(0, at - Date.now()),
    );
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  #accountBucket(account: AccountKey, platform: string, now: number): TokenBucket {
    let b = this.#accountBuckets.get(account);
    if (!b) {
      b = new TokenBucket(limitFor(platform, this.#options.limits).perSecond, now);
      this.#accountBuckets.set(account, b);
    }
    return b;
  }

  #chatBucket(chat: string, platform: string, now: number, force = false): TokenBucket | undefined {
    let b = this.#chatBuckets.get(chat);
    if (!b) {
      // Bounded: past 10,000 chats, forget the buckets not paused now (they start full again).
      if (this.#chatBuckets.size >= 10_000) {
        for (const [k, v] of this.#chatBuckets) if (v.pausedUntil <= now) this.#chatBuckets.delete(k);
        for (const [k, until] of this.#chatHold) if (until <= now) this.#chatHold.delete(k);
      }
      const limit = limitFor(platform, this.#options.limits);
      // A chat with no documented limit gets a bucket only once it was rate-limited (slow mode).
      const perChat = limit.perChatPerSecond ?? (force ? limit.perSecond : undefined);
      if (perChat === undefined) return undefined;
      b = new TokenBucket(perChat, now);
      this.#chatBuckets.set(chat, b);
    }
    return b;
  }

  // ── one attempt ──

  #dispatch(item: OutboxItem, adapter: Adapter, chat: string): void {
    this.#busyChats.add(chat);
    const run = this.#attempt(item, adapter, chat)
      .catch((err: unknown) => this.#settle(item.key, undefined, err))
      .finally(() => {
        this.#inFlight.delete(item.key);
        this.#busyChats.delete(chat);
        this.#notify();
        this.#kick();
      });
    this.#inFlight.set(item.key, run);
  }

  async #attempt(item: OutboxItem, adapter: Adapter, chat: string): Promise<void> {
    let result: SendResult | undefined;
    try {
      result = await this.#call(item, adapter);
    } catch (err) {
      this.#failedAttempt(item, adapter, chat, err);
      return;
    }
    const now = Date.now();
    this.#accountBuckets.get(item.account)?.succeeded(now);
    this.#chatBuckets.get(chat)?.succeeded(now);
    this.#rateStrikes.delete(item.key);
    this.#remember(item.account, result);
    this.#store.markSent(item.key, result);
    this.#settle(item.key, result);
  }

  #remember(account: AccountKey, result: SendResult | undefined): void {
    if (!result) return;
    let ids = this.#ourIds.get(account);
    if (!ids) {
      ids = new Set();
      this.#ourIds.set(account, ids);
    }
    for (const r of result.ids) ids.add(r.id);
    while (ids.size > OUR_IDS) ids.delete(ids.values().next().value as string);
  }

  /**
   * Our earlier attempt's message, if the chat's history shows it: plain text equal to the item's,
   * dated after the item was made, by our account (when we know our id), not one of our other sends.
   */
  async #echo(item: OutboxItem, adapter: Adapter): Promise<SendResult | undefined> {
    const want = plainText(item.content);
    if (want === undefined || want.length > adapter.capabilities.maxTextLength) return undefined;
    let history: Awaited<ReturnType<Adapter["history"]>>;
    try {
      history = await adapter.history(item.chat, {
        limit: 50,
        timeoutMs: this.#options.sendTimeoutMs ?? 30_000,
      });
    } catch (err) {
      // The look-up can't be made (unsupported, no access): send as the platform allows; a passing
      // trouble (network, 5xx, rate limit) makes this attempt retry.
      if (err instanceof SwitchboardError && err.retryable) throw err;
      return undefined;
    }
    const ours = this.#ourIds.get(item.account);
    let self = this.#selfIds.get(item.account);
    if (self === undefined && ours) {
      self = history.find((m) => ours.has(m.ref.id))?.author.id;
      if (self !== undefined) this.#selfIds.set(item.account, self);
    }
    const since = item.createdAt - ECHO_SKEW_MS;
    for (let i = history.length - 1; i >= 0; i--) {
      const m = history[i];
      if (!m || m.time < since || ours?.has(m.ref.id)) continue;
      if (self !== undefined && m.author.id !== self) continue;
      if (plainText(m.content) === want) return { ids: [m.ref] };
    }
    return undefined;
  }

  /** Whether a send must look for its echo first (see the header). */
  #mayBeOnTheWire(item: OutboxItem, adapter: Adapter): boolean {
    if (item.op !== "send" || SERVER_DEDUPE[adapter.platform as PlatformName] !== false) return false;
    if (!adapter.capabilities.operations.history) return false;
    return this.#uncertain.has(item.key) || !this.#fresh.has(item.key);
  }

  async #call(item: OutboxItem, adapter: Adapter): Promise<SendResult | undefined> {
    const call = { timeoutMs: this.#options.sendTimeoutMs ?? 30_000 };
    const target = item.target;
    switch (item.op) {
      case "send": {
        if (this.#mayBeOnTheWire(item, adapter)) {
          const echo = await this.#echo(item, adapter);
          if (echo) return echo;
          this.#fresh.add(item.key);
          this.#uncertain.delete(item.key);
        }
        return adapter.send(item.chat, item.content, {
          ...call,
          idempotencyKey: item.key,
          ...(target ? { replyTo: target } : {}),
        });
      }
      case "edit":
        await adapter.edit(item.chat, must(target), item.content, call);
        return undefined;
      case "delete":
        await adapter.delete(item.chat, must(target), call);
        return undefined;
      case "react": {
        const first = item.content[0];
        await adapter.react(item.chat, must(target), first?.type === "text" ? first.text : null, call);
        return undefined;
      }
    }
  }

  #failedAttempt(item: OutboxItem, adapter: Adapter, chat: string, err: unknown): void {
    const now = Date.now();
    const text = describe(err);
    const slowMode = isSlowMode(err);
    if (err instanceof TransportError || err instanceof TimeoutError) this.#uncertain.add(item.key);
    if (err instanceof RateLimitError || slowMode) {
      const strikes = (this.#rateStrikes.get(item.key) ?? 0) + 1;
      this.#rateStrikes.set(item.key, strikes);
      if (strikes <= this.#maxAttempts * RATE_LIMIT_STRIKES_PER_ATTEMPT) {
        // Not the item's fault: it stays queued as it is; the paused bucket holds it back.
        const retryAfter = err instanceof RateLimitError ? err.retryAfterMs : undefined;
        const bucket = slowMode
          ? this.#chatBucket(chat, adapter.platform, now, true)
          : this.#accountBucket(item.account, adapter.platform, now);
        const until = bucket?.rateLimited(now, retryAfter) ?? now + 1000;
        this.#chatHold.set(chat, until);
        return;
      }
    }
    this.#rateStrikes.delete(item.key);
    const attempts = item.attempts + 1;
    if (err instanceof SwitchboardError && err.retryable && attempts < this.#maxAttempts) {
      const base = this.#options.backoffBaseMs ?? 500;
      const delay = Math.min(this.#options.backoffMaxMs ?? 30_000, base * 2 ** (attempts - 1));
      const dueAt = now + Math.round(delay * (0.5 + Math.random() * 0.5));
      this.#store.retryLater(item.key, dueAt, text);
      this.#chatHold.set(chat, dueAt);
      // due() does not list it before dueAt: wake up for it then.
      this.#schedule(dueAt);
      return;
    }
    this.#store.markFailed(item.key, text);
    this.#settle(item.key, undefined, err);
  }

  #settle(key: string, result: SendResult | undefined, error?: unknown): void {
    this.#fresh.delete(key);
    this.#uncertain.delete(key);
    const list = this.#waiters.get(key);
    if (!list) return;
    this.#waiters.delete(key);
    for (const w of list) {
      if (error === undefined) w.resolve(result);
      else w.reject(error);
    }
  }
}

function chatKeyOf(item: OutboxItem): string {
  return `${item.account}\n${item.chat.id}`;
}

/** The text of plain-text content (no formatting, mentions or media), else undefined. */
function plainText(content: readonly Segment[]): string | undefined {
  let out = "";
  for (const s of content) {
    if (s.type !== "text" || s.bold || s.italic || s.code) return undefined;
    out += s.text;
  }
  return out === "" ? undefined : out;
}

function must<T>(v: T | undefined): T {
  if (v === undefined) throw new ValidationError("outbox item has no target message", { platform: "core" });
  return v;
}

/** VK Live's slow mode (`send_too_fast`): a per-chat limit whose length only the channel knows. */
function isSlowMode(err: unknown): boolean {
  return err instanceof SwitchboardError && err.code === "send_too_fast";
}

/** `code: message`, as stored with the item (errors carry no secrets by contract). */
function describe(err: unknown): string {
  if (err instanceof SwitchboardError) return `${String(err.code ?? err.name)}: ${err.message}`;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function failedError(item: OutboxItem): SwitchboardError {
  return new SwitchboardError(`outbox item ${item.key} failed earlier: ${item.error ?? "unknown error"}`, {
    platform: "core",
    code: "outbox_failed",
  });
}

function stoppedError(): SwitchboardError {
  return new SwitchboardError("the outbox stopped before sending; the item stays queued for the next start", {
    platform: "core",
    code: "outbox_stopped",
    retryable: true,
  });
}
