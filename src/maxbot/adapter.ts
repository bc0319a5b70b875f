/**
 * MaxBotAdapter: one MAX bot through the unified model (src/core/adapter.ts), built on the
 * converters in convert.ts. Events come from the client's durable long polling (each with the
 * update's stable key as its id; the marker is committed after the event was handed to the
 * adapter's listeners); sends go through `POST /messages` with idempotency keys remembered by
 * the core adapter kit (the Bot API has no server-side de-duplication); edits and deletes are the
 * platform's; history reads `GET /messages`. The Bot API has no reactions.
 */
import type {
  Adapter,
  AdapterEvent,
  AdapterEventType,
  HistoryOptions,
  SendOptions,
  SendResult,
} from "../core/adapter.js";
import { AdapterEventStream, IdempotentSends, splitText } from "../core/adapter-kit.js";
import { sleep } from "../core/backoff.js";
import type { CallOptions } from "../core/call.js";
import type { EventsOptions } from "../core/emitter.js";
import { ApiError, AuthError, UnsupportedError, ValidationError } from "../core/errors.js";
import type { AdapterCapabilities, Chat, Message, Ref, Segment, User } from "../core/model.js";
import { ref } from "../core/model.js";
import { PLATFORM } from "./client/core.js";
import type { MaxBotClient } from "./client/index.js";
import type { MarkerStore } from "./client/markers.js";
import { capabilities, fromSegments, toChat, toMessage, toUser, updateEvents } from "./convert.js";
import type { BotMessage, BotUser, Update, UpdateType } from "./protocol.js";

export const maxbotCapabilities: AdapterCapabilities = capabilities;

export interface MaxBotAdapterOptions {
  /** The `account` of every Ref (default: the client's `account`). */
  account?: string;
  /** Where the polling marker is kept (default in memory: a restart re-reads uncommitted updates only). */
  markerStore?: MarkerStore;
  markerKey?: string;
  /** Only these update types (default: all). */
  types?: UpdateType[];
  /** Seconds each long poll waits on the server (default 30). */
  pollTimeout?: number;
  /** How many idempotency keys are remembered (default 10,000). */
  idempotencyWindow?: number;
}

const HISTORY_PAGE = 100;

export class MaxBotAdapter implements Adapter {
  readonly platform = "maxbot" as const;
  readonly account: string;
  readonly capabilities = maxbotCapabilities;
  readonly #client: MaxBotClient;
  readonly #options: MaxBotAdapterOptions;
  readonly #events = new AdapterEventStream({ platform: PLATFORM });
  readonly #sends: IdempotentSends;
  /** Users seen in updates and messages: the Bot API has no "get user" method. */
  readonly #users = new Map<number, BotUser>();
  #stop: AbortController | undefined;
  #polling: Promise<void> | undefined;
  #stateSeq = 0;
  #offState: (() => void) | undefined;

  constructor(client: MaxBotClient, options: MaxBotAdapterOptions = {}) {
    this.#client = client;
    this.#options = options;
    this.account = options.account ?? client.account;
    this.#sends = new IdempotentSends(options.idempotencyWindow);
  }

  get client(): MaxBotClient {
    return this.#client;
  }

  /** Our account's own user (as authors are written); known after connect(). */
  get self(): Ref | undefined {
    const id = this.#client.me?.user_id;
    return id === undefined ? undefined : ref("maxbot", this.account, id);
  }

  /** The bot's user id (known after connect). */
  get userId(): number | undefined {
    return this.#client.me?.user_id;
  }

  async connect(options: CallOptions = {}): Promise<void> {
    if (this.#polling) return;
    await this.#client.connect(options);
    this.#events.reopen();
    this.#offState ??= this.#client.on("state", (s) => {
      const e = {
        type: "connection.state" as const,
        state: s.state,
        ...(s.reason ? { reason: s.reason } : {}),
      };
      this.#events.emit({ ...e, id: `connection.state:${s.state}:${++this.#stateSeq}` });
    });
    const stop = new AbortController();
    this.#stop = stop;
    this.#polling = this.#run(stop.signal);
  }

  /** Polls until closed; a failure that is not the network's is reported and polling resumes. */
  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#client.poll((u) => this.#onUpdate(u), {
          signal,
          ...(this.#options.markerStore ? { markerStore: this.#options.markerStore } : {}),
          ...(this.#options.markerKey ? { markerKey: this.#options.markerKey } : {}),
          ...(this.#options.types ? { types: this.#options.types } : {}),
          ...(this.#options.pollTimeout !== undefined ? { timeout: this.#options.pollTimeout } : {}),
        });
        return;
      } catch (err) {
        if (signal.aborted) return;
        this.#events.emitError(err instanceof Error ? err : new Error(String(err)));
        if (err instanceof AuthError) return;
        await sleep(2000, signal).catch(() => undefined);
      }
    }
  }

  #onUpdate(u: Update): void {
    this.#remember(u);
    for (const event of updateEvents(this.account, u)) this.#events.emit(event);
  }

  #remember(u: Update): void {
    const o = u as { user?: BotUser; message?: BotMessage | null; callback?: { user: BotUser } };
    for (const user of [o.user, o.message?.sender, o.callback?.user])
      if (user) this.#users.set(user.user_id, user);
  }

  async close(): Promise<void> {
    this.#stop?.abort();
    await this.#polling?.catch(() => undefined);
    this.#polling = undefined;
    this.#stop = undefined;
    await this.#client.close();
    this.#offState?.();
    this.#offState = undefined;
    this.#events.end();
  }

  events(options: EventsOptions<AdapterEventType> = {}): AsyncIterableIterator<AdapterEvent> {
    return this.#events.events(options);
  }

  onEvent(listener: (event: AdapterEvent) => void | Promise<void>): () => void {
    return this.#events.onEvent(listener);
  }

  // ---------------------------------------------------------------- sending

  send(chat: Ref, content: string | readonly Segment[], options: SendOptions = {}): Promise<SendResult> {
    return this.#sends.run(options.idempotencyKey, () => this.#send(chat, content, options));
  }

  async #send(chat: Ref, content: string | readonly Segment[], options: SendOptions): Promise<SendResult> {
    const chatId = this.#numeric(chat, "chat");
    const segments: Segment[] =
      typeof content === "string" ? [{ type: "text", text: content }] : [...content];
    if (options.replyTo) this.#check(options.replyTo, "message");
    const body = fromSegments(segments, options.replyTo?.id);
    const texts = splitText(body.text ?? "", this.capabilities.maxTextLength);
    const call = callOptions(options);
    const ids: Ref[] = [];
    for (const [i, text] of texts.entries()) {
      // Attachments, the reply link and the format travel with the first part.
      const part = i === 0 ? { ...body, text } : { text, ...(body.format ? { format: body.format } : {}) };
      if (i === 0 && text === "" && !part.attachments?.length && !part.link) continue;
      const sent = await this.#client.sendMessage({ chatId }, part, call);
      ids.push(ref("maxbot", this.account, sent.body.mid));
    }
    if (ids.length === 0)
      throw new ValidationError("nothing to send: the message has no text and no attachment", {
        platform: PLATFORM,
        code: "empty_message",
      });
    return { ids };
  }

  async edit(chat: Ref, message: Ref, content: string | readonly Segment[], options: CallOptions = {}) {
    this.#numeric(chat, "chat");
    this.#check(message, "message");
    const segments: Segment[] =
      typeof content === "string" ? [{ type: "text", text: content }] : [...content];
    const body = fromSegments(segments);
    if ((body.text ?? "").length > this.capabilities.maxTextLength)
      throw new ValidationError(
        `an edit is one message: at most ${this.capabilities.maxTextLength} characters`,
        {
          platform: PLATFORM,
          code: "text_too_long",
        },
      );
    await this.#client.editMessage(message.id, body, options);
  }

  async delete(chat: Ref, message: Ref, options: CallOptions = {}): Promise<void> {
    this.#numeric(chat, "chat");
    this.#check(message, "message");
    await this.#client.deleteMessage(message.id, options);
  }

  /** The Bot API has no reactions. */
  async react(_chat: Ref, _message: Ref, _reaction: string | null, _options?: CallOptions): Promise<void> {
    throw new UnsupportedError(PLATFORM, "react");
  }

  /**
   * Messages of the chat oldest first, strictly after `after`: `GET /messages` pages newest first,
   * walked back by time until `after` (by its sequence number) or the start of the chat.
   */
  async history(chat: Ref, options: HistoryOptions = {}): Promise<Message[]> {
    const chatId = this.#numeric(chat, "chat");
    const limit = Math.max(1, options.limit ?? 50);
    const { after, limit: _l, ...call } = options;
    let afterSeq: number | undefined;
    if (after) {
      this.#check(after, "message");
      afterSeq = seqOfMid(after.id) ?? (await this.#client.getMessage(after.id, call)).body.seq;
    }
    const seen = new Map<string, BotMessage>();
    let from: number | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const page = await this.#client.getMessages(
        { chatId, count: HISTORY_PAGE, ...(from !== undefined ? { from } : {}) },
        call,
      );
      let fresh = 0;
      let reached = false;
      for (const m of page) {
        if (afterSeq !== undefined && m.body.seq <= afterSeq) reached = true;
        else if (!seen.has(m.body.mid)) {
          seen.set(m.body.mid, m);
          fresh++;
        }
      }
      if (reached || fresh === 0 || page.length < HISTORY_PAGE) break;
      from = Math.min(...page.map((m) => m.timestamp));
    }
    const all = [...seen.values()].sort((a, b) => a.body.seq - b.body.seq || a.timestamp - b.timestamp);
    for (const m of all) if (m.sender) this.#users.set(m.sender.user_id, m.sender);
    return all.slice(0, limit).map((m) => toMessage(this.account, m));
  }

  async getChat(chat: Ref, options: CallOptions = {}): Promise<Chat> {
    const c = await this.#client.getChat(this.#numeric(chat, "chat"), options);
    if (c.dialog_with_user) this.#users.set(c.dialog_with_user.user_id, c.dialog_with_user);
    return toChat(this.account, c);
  }

  /**
   * The Bot API cannot look a user up by id: a user is known from updates and messages the
   * adapter saw, from the bot itself, or else from the bot's dialogs and its groups' members.
   */
  async getUser(user: Ref, options: CallOptions = {}): Promise<User> {
    const id = this.#numeric(user, "user");
    const me = this.#client.me;
    if (me && me.user_id === id) return toUser(this.account, me);
    const known = this.#users.get(id);
    if (known) return toUser(this.account, known);
    const groups: number[] = [];
    for await (const c of this.#client.chats(options)) {
      if (c.dialog_with_user) this.#users.set(c.dialog_with_user.user_id, c.dialog_with_user);
      if (c.dialog_with_user?.user_id === id) return toUser(this.account, c.dialog_with_user);
      if (c.type !== "dialog" && c.status === "active") groups.push(c.chat_id);
    }
    // Then the members of the bot's groups, one request per group (bounded).
    for (const chatId of groups.slice(0, 100)) {
      const page = await this.#client.getMembers(chatId, { userIds: [id] }, options).catch((err: unknown) => {
        if (err instanceof ApiError && !(err instanceof AuthError)) return undefined;
        throw err;
      });
      const member = page?.members.find((m) => m.user_id === id);
      if (member) {
        this.#users.set(id, member);
        return toUser(this.account, member);
      }
    }
    throw new ApiError(`MAX Bot API: user ${id} is unknown to this bot`, {
      platform: PLATFORM,
      code: "not.found",
    });
  }

  #check(r: Ref, what: string): void {
    if (r.platform !== "maxbot" || r.id === "")
      throw new ValidationError(`not a MAX Bot API ${what}: ${r.platform}:${r.id}`, {
        platform: PLATFORM,
        code: "invalid_ref",
      });
  }

  #numeric(r: Ref, what: string): number {
    this.#check(r, what);
    const id = Number(r.id);
    if (!/^-?\d+$/.test(r.id) || !Number.isSafeInteger(id))
      throw new ValidationError(`not a MAX Bot API ${what} id: ${r.id}`, {
        platform: PLATFORM,
        code: "invalid_ref",
      });
    return id;
  }
}

/**
 * The message's sequence number from its id: a `mid` is "mid." + 16 hex digits of the chat id +
 * 16 hex digits of the message id (`body.seq`), so `after` needs no request (and may be deleted).
 */
function seqOfMid(mid: string): number | undefined {
  const m = /^mid\.[0-9a-f]{16}([0-9a-f]{16})$/i.exec(mid);
  if (!m) return undefined;
  const seq = Number(BigInt(`0x${m[1]}`));
  return Number.isSafeInteger(seq) ? seq : undefined;
}

function callOptions(options: CallOptions): CallOptions {
  return {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  };
}

export { splitText };
