/**
 * VkLiveAdapter: one VK Video Live user through the unified model (src/core/adapter.ts), built
 * on the conversions in convert.ts. A chat is a channel's stream chat (Ref id = the channel
 * url). Events come from Centrifugo (the chats of `channels`, subscribed on connect, and of
 * every chat the adapter sends to); their ids come from platform ids (message id, user id,
 * stream id), so the same event seen twice has the same id. The DevAPI answers a send with no
 * message id: the adapter reads it back from the chat's newest messages (sends to one chat are
 * serialised for that). It has no edit, delete or reactions (UnsupportedError) and no
 * server-side de-duplication: an idempotencyKey is remembered in memory only.
 */
import type { Adapter, AdapterEvent, AdapterEventType, SendOptions, SendResult } from "../core/adapter.js";
import { AdapterEventStream, IdempotentSends } from "../core/adapter-kit.js";
import type { CallOptions } from "../core/call.js";
import type { EventsOptions } from "../core/emitter.js";
import { ApiError, UnsupportedError, ValidationError } from "../core/errors.js";
import type { Chat, Event, Message, Ref, Segment, User } from "../core/model.js";
import { ref } from "../core/model.js";
import { sendLength } from "./client/chat.js";
import type { VkLiveClient } from "./client/index.js";
import type { RealtimeEvent } from "./client/realtime.js";
import { capabilities, chatRef, fromSegments, toChat, toEvents, toMessage, toUser } from "./convert.js";
import { LIMITS, type Part, partsText, type SendPart, type VkEvent } from "./protocol/index.js";

export * from "./convert.js";

export interface VkLiveAdapterOptions {
  /** The `account` of every Ref (default: the client's `account`). */
  account?: string;
  /** Channel urls whose chats `connect()` subscribes to (besides the client's `channels`). */
  channels?: readonly string[];
  /** How many idempotency keys are remembered (default 10,000). */
  idempotencyWindow?: number;
}

/** The stable id of a unified event, from platform data only. */
export function eventId(e: Event, raw: VkEvent | undefined): string {
  switch (e.type) {
    case "message.created":
      return `message.created:${e.message.chat.id}:${e.message.ref.id}`;
    case "message.deleted":
      return `message.deleted:${e.chat.id}:${e.message.id}`;
    case "member.joined":
      return `member.joined:${e.chat.id}:${e.user.id}`;
    case "chat.updated": {
      const stream = raw && "stream" in raw.data ? raw.data.stream.id : "";
      return `chat.updated:${e.chat.ref.id}:${raw?.type ?? ""}:${stream}`;
    }
    case "connection.state":
      return `connection.state:${e.state}:${e.reason ?? ""}`;
    default:
      return e.type;
  }
}

/** Splits text into pieces of at most `limit` characters, at whitespace where it can. */
export function splitText(text: string, limit: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    let cut = rest.lastIndexOf(" ", limit);
    if (cut <= 0) cut = limit;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^ /, "");
  }
  if (rest !== "") out.push(rest);
  return out;
}

/** Parts → messages of at most `limit` counted characters each (long text parts are split). */
export function splitParts(parts: readonly SendPart[], limit: number): SendPart[][] {
  const messages: SendPart[][] = [];
  let cur: SendPart[] = [];
  let used = 0;
  const flush = () => {
    if (cur.length) messages.push(cur);
    cur = [];
    used = 0;
  };
  for (const p of parts) {
    const size = sendLength([p]);
    if (used + size <= limit) {
      cur.push(p);
      used += size;
      continue;
    }
    if (!("text" in p)) {
      flush();
      cur.push(p);
      used = size;
      continue;
    }
    let text = p.text.content;
    if (used > 0 && limit - used < 20) flush();
    while (text.length > 0) {
      const room = limit - used;
      const [piece = ""] = text.length <= room ? [text] : splitText(text, room);
      cur.push({ text: { content: piece } });
      used += piece.length;
      text = text.slice(piece.length).replace(/^ /, "");
      if (text.length > 0) flush();
    }
  }
  flush();
  return messages;
}

export class VkLiveAdapter implements Adapter {
  readonly platform = "vklive" as const;
  readonly account: string;
  readonly capabilities = capabilities;
  readonly #client: VkLiveClient;
  readonly #options: VkLiveAdapterOptions;
  readonly #events: AdapterEventStream;
  readonly #sends: IdempotentSends;
  /** Per chat: the tail of its send queue, and message ids already claimed by a send. */
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #claimed = new Set<string>();
  readonly #subscribed = new Map<string, Promise<void>>();
  #me: number | undefined;
  #offs: (() => void)[] = [];

  constructor(client: VkLiveClient, options: VkLiveAdapterOptions = {}) {
    this.#client = client;
    this.#options = options;
    this.account = options.account ?? client.account;
    this.#events = new AdapterEventStream({ platform: "vklive", logger: client.options.logger });
    this.#sends = new IdempotentSends(options.idempotencyWindow);
  }

  /** Our account's own user (as authors are written); known after connect(). */
  get self(): Ref | undefined {
    return this.#me === undefined ? undefined : ref("vklive", this.account, this.#me);
  }

  get client(): VkLiveClient {
    return this.#client;
  }

  async connect(options: CallOptions = {}): Promise<void> {
    if (this.#offs.length === 0) {
      this.#events.reopen();
      this.#offs.push(
        this.#client.on("event", (e) => this.#onRealtime(e)),
        this.#client.on("state", ({ state, reason }) => {
          if (state === "closed") return;
          const e: Event =
            reason === undefined
              ? { type: "connection.state", state }
              : { type: "connection.state", state, reason };
          this.#events.emit({ ...e, id: eventId(e, undefined) } as AdapterEvent);
        }),
        this.#client.on("error", (err) => this.#events.emitError(err)),
      );
    }
    await this.#client.connect(options);
    this.#me ??= (await this.#client.currentUser(options)).user.id;
    for (const url of [...(this.#client.options.channels ?? []), ...(this.#options.channels ?? [])])
      await this.#subscribe(url, options);
  }

  async close(): Promise<void> {
    for (const off of this.#offs.splice(0)) off();
    await this.#client.close();
    this.#events.end();
  }

  events(options: EventsOptions<AdapterEventType> = {}): AsyncIterableIterator<AdapterEvent> {
    return this.#events.events(options);
  }

  onEvent(listener: (event: AdapterEvent) => void | Promise<void>): () => void {
    return this.#events.onEvent(listener);
  }

  #onRealtime(e: RealtimeEvent): void {
    for (const u of toEvents(this.account, e.event))
      this.#events.emit({ ...u, id: eventId(u, e.event) } as AdapterEvent);
  }

  /** The chat's realtime channels (once per chat). */
  #subscribe(channelUrl: string, options: CallOptions = {}): Promise<void> {
    let p = this.#subscribed.get(channelUrl);
    if (!p) {
      p = this.#client.subscribe(channelUrl, options).then(
        () => undefined,
        (err: unknown) => {
          this.#subscribed.delete(channelUrl);
          throw err;
        },
      );
      this.#subscribed.set(channelUrl, p);
    }
    return p;
  }

  #channel(chat: Ref): string {
    if (chat.platform !== "vklive")
      throw new ValidationError(`not a VK Live chat: ${chat.platform}`, { platform: "vklive" });
    return String(chat.id);
  }

  send(chat: Ref, content: string | readonly Segment[], options: SendOptions = {}): Promise<SendResult> {
    // Keys are per chat: the same key in two channels is two sends.
    const key = options.idempotencyKey === undefined ? undefined : `${chat.id}\n${options.idempotencyKey}`;
    return this.#sends.run(key, () => this.#send(chat, content, options));
  }

  async #send(chat: Ref, content: string | readonly Segment[], options: SendOptions): Promise<SendResult> {
    const channelUrl = this.#channel(chat);
    const segments: readonly Segment[] =
      typeof content === "string" ? [{ type: "text", text: content }] : content;
    const messages = splitParts(fromSegments(segments), this.capabilities.maxTextLength);
    if (messages.length === 0)
      throw new ValidationError("nothing to send", { platform: "vklive", code: "invalid_input" });
    // Events of a chat we write in (realtime opens on the first send to it).
    this.#subscribe(channelUrl).catch((err: unknown) =>
      this.#events.emitError(err instanceof Error ? err : new Error(String(err))),
    );
    // One send at a time per chat: each reads its own message back from the chat.
    const prev = this.#queues.get(channelUrl) ?? Promise.resolve();
    const run = prev
      .catch(() => undefined)
      .then(async () => {
        const ids: Ref[] = [];
        for (const parts of messages) {
          await this.#client.sendMessage(channelUrl, parts, options);
          ids.push(ref("vklive", this.account, await this.#findSent(channelUrl, parts, options)));
        }
        return { ids };
      });
    this.#queues.set(channelUrl, run);
    try {
      return await run;
    } finally {
      if (this.#queues.get(channelUrl) === run) this.#queues.delete(channelUrl);
    }
  }

  /** The id of the message we just sent: our newest unclaimed message with these parts' text. */
  async #findSent(channelUrl: string, parts: readonly SendPart[], options: CallOptions): Promise<number> {
    this.#me ??= (await this.#client.currentUser(options)).user.id;
    const recent = await this.#client.chatMessages(channelUrl, 20, options);
    const want = partsText(parts as unknown as Part[]);
    const mine = recent.filter(
      (m) => m.author.id === this.#me && !this.#claimed.has(`${channelUrl}:${m.id}`),
    );
    const found =
      mine.find((m) => partsText(m.parts).replace(/\s+/g, "") === want.replace(/\s+/g, "")) ?? mine[0];
    if (!found)
      throw new ApiError("the sent message is not in the chat", { platform: "vklive", code: "bad_response" });
    this.#claimed.add(`${channelUrl}:${found.id}`);
    if (this.#claimed.size > 10_000) this.#claimed.delete(this.#claimed.values().next().value as string);
    return found.id;
  }

  async edit(): Promise<void> {
    throw new UnsupportedError("vklive", "edit");
  }

  async delete(): Promise<void> {
    throw new UnsupportedError("vklive", "delete");
  }

  async react(): Promise<void> {
    throw new UnsupportedError("vklive", "react");
  }

  /** Oldest first, strictly after `after`, from the chat's newest LIMITS.listLimit messages. */
  async history(chat: Ref, options: { after?: Ref; limit?: number } & CallOptions = {}): Promise<Message[]> {
    const channelUrl = this.#channel(chat);
    const after = options.after === undefined ? undefined : Number(options.after.id);
    const limit = Math.min(Math.max(1, options.limit ?? 50), LIMITS.listLimit);
    const recent = await this.#client.chatMessages(channelUrl, LIMITS.listLimit, options);
    return recent
      .filter((m) => after === undefined || m.id > after)
      .sort((a, b) => a.id - b.id)
      .slice(0, limit)
      .map((m) => toMessage(this.account, channelUrl, m));
  }

  async getChat(chat: Ref, options: CallOptions = {}): Promise<Chat> {
    const c = toChat(this.account, await this.#client.channel(this.#channel(chat), options));
    return { ...c, ref: chatRef(this.account, String(chat.id)) };
  }

  /** A user as a member of a chat this adapter knows (its channels, then the chats it used). */
  async getUser(user: Ref, options: CallOptions = {}): Promise<User> {
    const id = Number(user.id);
    if (!Number.isSafeInteger(id) || id <= 0)
      throw new ValidationError(`not a VK Live user id: ${user.id}`, {
        platform: "vklive",
        code: "invalid_input",
      });
    if (id === this.#me) return toUser(this.account, (await this.#client.currentUser(options)).user);
    const channels = new Set([
      ...(this.#client.options.channels ?? []),
      ...(this.#options.channels ?? []),
      ...this.#subscribed.keys(),
    ]);
    let last: unknown;
    for (const url of channels) {
      try {
        return toUser(this.account, (await this.#client.chatMember(url, id, options)).user);
      } catch (err) {
        last = err;
      }
    }
    throw (
      last ??
      new ApiError(`no VK Live user ${id} in the adapter's chats`, { platform: "vklive", code: "not_found" })
    );
  }
}
