/**
 * MaxAdapter: one MAX account through the unified Adapter contract (src/core/adapter.ts). It
 * converts with MaxConverter (./adapter/convert.ts), gives every event a stable id
 * (./adapter/events.ts), splits long texts at 4000 characters, and turns an idempotency key
 * into MAX message cids, so the same key always yields the same cids (in-process the send is
 * also made once and its answer reused).
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
import { AdapterEventStream, IdempotentSends } from "../core/adapter-kit.js";
import type { CallOptions } from "../core/call.js";
import type { EventsOptions } from "../core/emitter.js";
import { ApiError, ValidationError } from "../core/errors.js";
import type { Chat, Message, Ref, Segment, User } from "../core/model.js";
import { MAX_CAPABILITIES, MaxConverter } from "./adapter/convert.js";
import { eventId } from "./adapter/events.js";
import type { MaxClient } from "./client/index.js";
import type { MaxEventMap, MaxEventName, MaxMessage } from "./client/types.js";

export { MAX_CAPABILITIES, MaxConverter, type MaxOutgoing } from "./adapter/convert.js";

export interface MaxAdapterOptions {
  /** How many idempotency keys (and their answers) are remembered (default 10,000). */
  idempotencyKeys?: number;
}

/** Client events the adapter turns into unified ones. */
const SOURCES: MaxEventName[] = [
  "message",
  "messageEdited",
  "messageDeleted",
  "reaction",
  "typing",
  "presence",
  "chatUpdated",
  "state",
];

/** A message cid (a positive safe integer, as web clients make them) derived from a key. */
export function cidFromKey(key: string): number {
  const h = createHash("sha256").update(`switchboard:max:${key}`).digest();
  // 47 bits leave room for `+ part` without leaving the safe integers.
  return h.readUIntBE(0, 6) % 2 ** 47;
}

/**
 * Unified face of one MAX account: sends unified content (uploading media segments that point
 * at local files: `attachment.url` as a path or `file://` URL) and re-emits unified events.
 */
export class MaxAdapter implements Adapter {
  readonly platform = "max" as const;
  readonly account: string;
  readonly capabilities = MAX_CAPABILITIES;
  readonly convert: MaxConverter;
  private readonly stream = new AdapterEventStream({ platform: "max" });
  private readonly sends: IdempotentSends;
  private offs: (() => void)[] = [];

  constructor(
    readonly client: MaxClient,
    options: MaxAdapterOptions = {},
  ) {
    this.account = client.account;
    this.convert = new MaxConverter(client.account);
    this.sends = new IdempotentSends(options.idempotencyKeys);
    this.offs = SOURCES.map((name) =>
      client.on(name, (data) => {
        this.publish(name, data);
      }),
    );
  }

  /** Our account's own user (as authors are written); known after connect(). */
  get self(): Ref | undefined {
    const id = this.client.userId;
    return id === undefined ? undefined : this.convert.ref(id);
  }

  private publish<K extends MaxEventName>(name: K, data: MaxEventMap[K]): void {
    for (const e of this.convert.events(name, data)) {
      this.stream.emit({ ...e, id: eventId(name, data, e) } as AdapterEvent);
    }
  }

  async connect(options: CallOptions = {}): Promise<void> {
    await this.client.connect(options);
  }

  async close(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
    this.stream.end();
    await this.client.close();
  }

  events(options: EventsOptions<AdapterEventType> = {}): AsyncIterableIterator<AdapterEvent> {
    return this.stream.events(options);
  }

  onEvent(listener: (event: AdapterEvent) => void | Promise<void>): () => void {
    return this.stream.onEvent(listener);
  }

  // ── sending ───────────────────────────────────────────────────────────────

  send(chat: Ref, content: string | readonly Segment[], options: SendOptions = {}): Promise<SendResult> {
    const key = options.idempotencyKey;
    // A failed send may be tried again with the same key, and so with the same cids.
    return this.sends.run(key, () =>
      this.sendNow(chat, content, options, key === undefined ? undefined : cidFromKey(key)),
    );
  }

  private async sendNow(
    chat: Ref,
    content: string | readonly Segment[],
    options: SendOptions,
    cid?: number,
  ): Promise<SendResult> {
    const chatId = this.convert.bareNumber(chat, "chat");
    const segments: readonly Segment[] =
      typeof content === "string" ? [{ type: "text", text: content }] : content;
    const ready = await this.uploadLocal(segments, options);
    const body = this.convert.outgoing(ready);
    if (options.replyTo) body.link = { type: "REPLY", messageId: this.convert.own(options.replyTo).id };
    const sent = await this.client.sendMessageParts(chatId, body, {
      split: true,
      ...(cid !== undefined ? { cid } : {}),
      ...call(options),
    });
    return { ids: sent.map((m) => this.convert.ref(m.id)) };
  }

  /** Media segments without a MAX id but with a local file are uploaded first. */
  private async uploadLocal(content: readonly Segment[], options: CallOptions): Promise<Segment[]> {
    const ready: Segment[] = [];
    for (const s of content) {
      if (
        (s.type === "image" || s.type === "video" || s.type === "audio" || s.type === "file") &&
        !s.attachment.id
      ) {
        const path = localPath(s.attachment.url);
        if (!path) {
          throw new ValidationError(`${s.type} segment needs a MAX id or a local file url to upload`, {
            platform: "max",
          });
        }
        const kind = s.type === "image" ? "photo" : s.type === "audio" ? "voice" : s.type;
        const attach = await this.client.uploadAttach(kind, path, call(options));
        const converted = this.convert.attachSegment(attach);
        if (converted) ready.push(converted);
        continue;
      }
      ready.push(s);
    }
    return ready;
  }

  async edit(
    chat: Ref,
    message: Ref,
    content: string | readonly Segment[],
    options: CallOptions = {},
  ): Promise<void> {
    const segments: readonly Segment[] =
      typeof content === "string" ? [{ type: "text", text: content }] : content;
    const body = this.convert.outgoing(await this.uploadLocal(segments, options));
    await this.client.editMessage(
      this.convert.bareNumber(chat, "chat"),
      this.convert.own(message).id,
      body.text,
      {
        elements: body.elements,
        ...(body.attaches.length ? { attaches: body.attaches } : {}),
        ...call(options),
      },
    );
  }

  async delete(chat: Ref, message: Ref, options: CallOptions = {}): Promise<void> {
    await this.client.deleteMessage(
      this.convert.bareNumber(chat, "chat"),
      this.convert.own(message).id,
      call(options),
    );
  }

  async react(chat: Ref, message: Ref, reaction: string | null, options: CallOptions = {}): Promise<void> {
    const chatId = this.convert.bareNumber(chat, "chat");
    const id = this.convert.own(message).id;
    if (reaction === null) await this.client.unreact(chatId, id, call(options));
    else await this.client.react(chatId, id, reaction, call(options));
  }

  // ── reading ───────────────────────────────────────────────────────────────

  /** Oldest first, strictly after `after` (or from the oldest); at most `limit` (≤ 1000). */
  async history(chat: Ref, options: HistoryOptions = {}): Promise<Message[]> {
    const chatId = this.convert.bareNumber(chat, "chat");
    const limit = Math.max(1, Math.min(1000, options.limit ?? 50));
    let from = 0;
    let after: MaxMessage | undefined;
    if (options.after) {
      const id = this.convert.own(options.after).id;
      [after] = await this.client.getMessages(chatId, [id], call(options));
      if (!after)
        throw new ApiError(`no MAX message ${id} in chat ${chatId}`, { platform: "max", code: "not.found" });
      // `forward` is strictly after `from`: start 1 ms early for messages of the same ms.
      from = Math.max(0, after.time - 1);
    }
    const page = await this.client.getHistory(chatId, {
      from,
      forward: limit + 1,
      backward: 0,
      ...call(options),
    });
    const later = after
      ? page.filter(
          (m) =>
            m.time > after.time || (m.time === after.time && m.id !== after.id && isLater(m.id, after.id)),
        )
      : page;
    return later.slice(0, limit).map((m) => this.convert.message(m));
  }

  async getChat(chat: Ref, options: CallOptions = {}): Promise<Chat> {
    const found = await this.client.getChat(this.convert.bareNumber(chat, "chat"), call(options));
    if (!found) throw new ApiError(`no MAX chat ${chat.id}`, { platform: "max", code: "chat.not.found" });
    return this.convert.chat(found);
  }

  async getUser(user: Ref, options: CallOptions = {}): Promise<User> {
    const [found] = await this.client.getUsers([this.convert.bareNumber(user, "user")], call(options));
    if (!found) throw new ApiError(`no MAX user ${user.id}`, { platform: "max", code: "not.found" });
    return this.convert.user(found);
  }
}

function call(options: CallOptions): CallOptions {
  const out: CallOptions = {};
  if (options.signal) out.signal = options.signal;
  if (options.timeoutMs !== undefined) out.timeoutMs = options.timeoutMs;
  return out;
}

/** Message ids are decimal strings (beyond 2^53 on the service). */
function isLater(a: string, b: string): boolean {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) > BigInt(b);
  return a > b;
}

function localPath(url: string | undefined): string | undefined {
  if (!url) return undefined;
  if (url.startsWith("file://")) return decodeURIComponent(new URL(url).pathname);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return undefined;
  return url;
}
