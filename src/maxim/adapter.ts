/**
 * MaxImAdapter: one MaxIM user through the unified model (src/core/adapter.ts), built on the
 * converters in convert.ts. The server API has no event stream: the adapter polls the user's
 * unread list and reads each conversation with news, so it emits `message.created` (then acks
 * what it read). Sends carry a `transaction_id` derived from the idempotencyKey, so the server
 * drops a retry even after a restart; `/message/send` answers no id, so the adapter reads the
 * sent message back from the conversation (sends to one chat are serialised for that).
 */
import { createHash } from "node:crypto";
import type {
  Adapter,
  AdapterEvent,
  AdapterEventType,
  HistoryOptions,
  SendOptions,
  SendResult,
} from "../core/adapter.js";
import { AdapterEventStream, IdempotentSends, splitText } from "../core/adapter-kit.js";
import type { CallOptions } from "../core/call.js";
import type { EventsOptions } from "../core/emitter.js";
import { ApiError, AuthError, UnsupportedError, ValidationError } from "../core/errors.js";
import type { AdapterCapabilities, Chat, Message, Ref, Segment, User } from "../core/model.js";
import { ref } from "../core/model.js";
import type { MaxImClient } from "./client/index.js";
import { capabilities, fromSegments, toChat, toDirectChat, toMessage, toUser } from "./convert.js";
import type { StoredMessage } from "./protocol.js";

/** What the MaxImAdapter really does: live `message.created` by polling; recall as delete; history. */
export const maximCapabilities: AdapterCapabilities = {
  ...capabilities,
  events: ["message.created", "connection.state"],
  operations: { edit: false, delete: true, react: false, history: true },
  maxTextLength: 5000,
};

export interface MaxImAdapterOptions {
  /** The `account` of every Ref (default: the client's `account`). */
  account?: string;
  /** How often the unread list is read (default 2000 ms). */
  pollIntervalMs?: number;
  /** Mark what the adapter read as read on the server (default true). */
  ack?: boolean;
  /** How many idempotency keys are remembered (default 10,000). */
  idempotencyWindow?: number;
}

const PAGE = 200;

/** A `transaction_id` (`[0-9A-Za-z_-]{1,64}`) from an idempotency key and a part number. */
export function transactionIdFromKey(key: string, part = 0): string {
  const h = createHash("sha256").update(key).digest("base64url").slice(0, 40);
  return `sb_${h}_${part}`;
}

export { splitText };

const messageId = (chat: string | number, msg: string | number) => `message.created:${chat}:${msg}`;

export class MaxImAdapter implements Adapter {
  readonly platform = "maxim" as const;
  readonly account: string;
  readonly capabilities = maximCapabilities;
  readonly #client: MaxImClient;
  readonly #events = new AdapterEventStream({ platform: "maxim" });
  readonly #sends: IdempotentSends;
  readonly #interval: number;
  readonly #ack: boolean;
  /** Sends per chat run one after another (the sent id is read back from the conversation). */
  readonly #chains = new Map<string, Promise<unknown>>();
  /** Per conversation: the newest msg_id already emitted. */
  readonly #seen = new Map<number, number>();
  #self: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #stateSeq = 0;
  #offState: (() => void) | undefined;

  constructor(client: MaxImClient, options: MaxImAdapterOptions = {}) {
    this.#client = client;
    this.account = options.account ?? client.account;
    this.#sends = new IdempotentSends(options.idempotencyWindow);
    this.#interval = options.pollIntervalMs ?? 2000;
    this.#ack = options.ack ?? true;
  }

  get client(): MaxImClient {
    return this.#client;
  }

  /** Our account's own user (as authors are written); known after connect(). */
  get self(): Ref | undefined {
    return this.#self === undefined ? undefined : ref("maxim", this.account, this.#self);
  }

  /** The acting user's id (known after connect). */
  get userId(): number | undefined {
    return this.#self;
  }

  async connect(options: CallOptions = {}): Promise<void> {
    if (this.#running) return;
    const identity = await this.#client.connect(options);
    if (identity.userId === undefined)
      throw new ValidationError(
        "MaxImAdapter needs an acting user: a user token, or an app token with userId",
        {
          platform: "maxim",
          code: "no_user",
        },
      );
    this.#self = identity.userId;
    this.#events.reopen();
    this.#offState ??= this.#client.on("state", (s) => {
      const e = {
        type: "connection.state" as const,
        state: s.state,
        ...(s.reason ? { reason: s.reason } : {}),
      };
      this.#events.emit({ ...e, id: `connection.state:${s.state}:${++this.#stateSeq}` });
    });
    this.#running = true;
    this.#schedule(0);
  }

  async close(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
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

  // ---------------------------------------------------------------- polling

  #schedule(ms: number): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      this.#poll()
        .catch((err: unknown) => {
          if (this.#running) this.#events.emitError(err instanceof Error ? err : new Error(String(err)));
        })
        .finally(() => this.#schedule(this.#interval));
    }, ms);
    this.#timer.unref?.();
  }

  async #poll(): Promise<void> {
    const unread = await this.#client.unread();
    for (const item of unread) {
      if (!this.#running) return;
      await this.#catchUp(item.conversation_id.uid, item.num);
    }
  }

  /** Emits the conversation's messages newer than the last one emitted, oldest first. */
  async #catchUp(uid: number, unread: number): Promise<void> {
    const seen = this.#seen.get(uid) ?? 0;
    const fresh: StoredMessage[] = [];
    let start = 0;
    for (let pages = 0; pages < 50; pages++) {
      const page = await this.#client.conversationPage(uid, {
        msgIdStart: start,
        limit: Math.min(PAGE, Math.max(unread + 1, 20)),
      });
      let older = false;
      for (const m of page.messages) {
        if (m.msg_id <= seen) older = true;
        else fresh.push(m);
      }
      if (older || page.is_last || !page.next_msg_id || fresh.length >= unread) break;
      start = page.next_msg_id;
    }
    fresh.sort((a, b) => a.msg_id - b.msg_id);
    const self = this.#self as number;
    for (const m of fresh) {
      if (m.from_xid.uid === self) continue;
      const message = toMessage(this.account, self, m, m.to_xid.uid === uid);
      this.#events.emit({
        type: "message.created",
        message,
        id: messageId(message.chat.id, message.ref.id),
      });
    }
    const last = fresh.at(-1)?.msg_id;
    if (last !== undefined) {
      this.#seen.set(uid, Math.max(seen, last));
      if (this.#ack) await this.#client.ack(uid, last);
    }
  }

  // ---------------------------------------------------------------- sending

  send(chat: Ref, content: string | readonly Segment[], options: SendOptions = {}): Promise<SendResult> {
    return this.#sends.run(options.idempotencyKey, () => this.#send(chat, content, options));
  }

  async #send(chat: Ref, content: string | readonly Segment[], options: SendOptions): Promise<SendResult> {
    const target = await this.#target(chat, options);
    const segments: Segment[] =
      typeof content === "string" ? [{ type: "text", text: content }] : [...content];
    const replySeg = segments.find((s) => s.type === "reply");
    const replyTo = options.replyTo ?? (replySeg?.type === "reply" ? replySeg.to : undefined);
    const body = fromSegments(target, segments);
    const texts =
      body.content_type === 0
        ? splitText(body.content ?? "", this.capabilities.maxTextLength)
        : [body.content];
    const call: CallOptions = {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    };
    return this.#serial(chat.id, async () => {
      const ids: Ref[] = [];
      for (const [i, text] of texts.entries()) {
        const part = { ...body, ...(text !== undefined ? { content: text } : {}) };
        if (replyTo) part.ext = JSON.stringify({ reply_to: Number(replyTo.id) });
        if (options.idempotencyKey !== undefined)
          part.transaction_id = transactionIdFromKey(options.idempotencyKey, i);
        await this.#client.sendMessage(part, call);
        ids.push(await this.#sentId(target, part.content ?? "", ids, call));
      }
      return { ids };
    });
  }

  /**
   * The id of the message just sent: the newest of ours in the chat with that content (not
   * already taken by an earlier part), looked for in the newest few pages.
   */
  async #sentId(target: { id: number }, content: string, taken: Ref[], call: CallOptions): Promise<Ref> {
    const self = this.#self as number;
    let start = 0;
    for (let pages = 0; pages < 5; pages++) {
      const page = await this.#client.conversationPage(target.id, { ...call, msgIdStart: start, limit: 50 });
      const m = page.messages.find(
        (x) =>
          x.from_xid.uid === self &&
          (x.content ?? "") === content &&
          !taken.some((t) => t.id === String(x.msg_id)),
      );
      if (m) return ref("maxim", this.account, m.msg_id);
      if (page.is_last || !page.next_msg_id) break;
      start = page.next_msg_id;
    }
    throw new ApiError("MaxIM accepted the message but it is not in the conversation", {
      platform: "maxim",
      code: "sent_not_found",
    });
  }

  #serial<T>(chatId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#chains.get(chatId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.#chains.set(chatId, tail);
    void tail.then(() => {
      if (this.#chains.get(chatId) === tail) this.#chains.delete(chatId);
    });
    return next;
  }

  /** A chat id is a group id or (a direct chat) the other user's id. */
  async #target(chat: Ref, options: CallOptions): Promise<{ id: number; group: boolean }> {
    const id = this.#numeric(chat, "chat");
    return { id, group: (await this.#kind(id, options)) === "group" };
  }

  #numeric(r: Ref, what: string): number {
    const id = Number(r.id);
    if (r.platform !== "maxim" || !Number.isSafeInteger(id) || id < 0)
      throw new ValidationError(`not a MaxIM ${what}: ${r.platform}:${r.id}`, {
        platform: "maxim",
        code: "invalid_ref",
      });
    return id;
  }

  readonly #kinds = new Map<number, "group" | "direct">();

  async #kind(id: number, options: CallOptions): Promise<"group" | "direct"> {
    const known = this.#kinds.get(id);
    if (known) return known;
    let kind: "group" | "direct" = "direct";
    try {
      await this.#client.groupInfo(id, options);
      kind = "group";
    } catch (err) {
      if (!(err instanceof ApiError) || err instanceof AuthError || err.code !== 20001) throw err;
    }
    this.#kinds.set(id, kind);
    return kind;
  }

  // ---------------------------------------------------------------- other operations

  /** MaxIM has no message editing. */
  async edit(
    _chat: Ref,
    _message: Ref,
    _content: string | readonly Segment[],
    _options?: CallOptions,
  ): Promise<void> {
    throw new UnsupportedError("maxim", "edit");
  }

  /** MaxIM has no reactions. */
  async react(_chat: Ref, _message: Ref, _reaction: string | null, _options?: CallOptions): Promise<void> {
    throw new UnsupportedError("maxim", "react");
  }

  /** Recalls the message (the server's `/message/recall`). */
  async delete(chat: Ref, message: Ref, options: CallOptions = {}): Promise<void> {
    await this.#client.recallMessage(this.#numeric(chat, "chat"), this.#numeric(message, "message"), options);
  }

  /** Messages of the chat oldest first, strictly after `after` (read back page by page, newest first). */
  async history(chat: Ref, options: HistoryOptions = {}): Promise<Message[]> {
    const id = this.#numeric(chat, "chat");
    const after = options.after ? this.#numeric(options.after, "message") : 0;
    const limit = Math.max(1, options.limit ?? 50);
    const { after: _a, limit: _l, ...call } = options;
    const isGroup = (await this.#kind(id, call)) === "group";
    const out: StoredMessage[] = [];
    let start = 0;
    for (;;) {
      const page = await this.#client.conversationPage(id, { ...call, msgIdStart: start, limit: PAGE });
      let reached = false;
      for (const m of page.messages) {
        if (m.msg_id <= after) reached = true;
        else out.push(m);
      }
      if (reached || page.is_last || !page.next_msg_id) break;
      start = page.next_msg_id;
    }
    out.sort((a, b) => a.msg_id - b.msg_id);
    const self = this.#self ?? (await this.#client.connect(call)).userId ?? 0;
    return out.slice(0, limit).map((m) => toMessage(this.account, self, m, isGroup));
  }

  async getChat(chat: Ref, options: CallOptions = {}): Promise<Chat> {
    const id = this.#numeric(chat, "chat");
    if ((await this.#kind(id, options)) === "group") {
      const g = await this.#client.groupInfo(id, options);
      return { ...toChat(this.account, g), ref: ref("maxim", this.account, id) };
    }
    const u = await this.#client.findUserById(id, options);
    return toDirectChat(this.account, u);
  }

  async getUser(user: Ref, options: CallOptions = {}): Promise<User> {
    const u = await this.#client.findUserById(this.#numeric(user, "user"), options);
    return toUser(this.account, u);
  }
}
