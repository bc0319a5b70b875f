/**
 * Context: one update as a handler sees it, in unified form on every platform, plus the ways to
 * answer. Every answer (reply, react, edit, delete) goes through the outbox with an idempotency
 * key made from the update key and a counter of this handler run (`<updateKey>:reply:<n>`), so a
 * handler run again after a crash asks for the same sends and nothing is sent twice.
 */
import type { Adapter, SendResult } from "../core/adapter.js";
import type { Attachment, Chat, Message, PlatformName, Ref, Segment } from "../core/model.js";
import type { ComposerContext } from "./composer.js";
import type { PlatformClients } from "./filters.js";
import type { BotStore, Outbox, OutboxItem, StoredUpdate, UpdateEffects } from "./types.js";

export interface ContextOptions {
  update: StoredUpdate;
  adapter: Adapter;
  store: BotStore;
  effects: UpdateEffects;
  /** Sends go through here; without one they go straight to the adapter (with the same keys). */
  outbox?: Outbox;
  prefixes?: readonly string[];
  botUsername?: string;
  /** Told the ids of every message a reply produced (Bot uses it to skip our own messages' echoes). */
  onSent?: (result: SendResult) => void;
  /** Idempotency keys become `<update key>:<scope>:<op>:<n>` (derived contexts of conversations). */
  keyScope?: string;
}

export interface ReplyOptions {
  /** `true`: answer this update's message; a Ref: that message. */
  replyTo?: Ref | boolean;
}

/** Thrown by ctx.reply & co. after the handler's run ended (its timeout passed). */
export class ContextExpiredError extends Error {
  override readonly name = "ContextExpiredError";
}

export class Context implements ComposerContext {
  readonly update: StoredUpdate;
  readonly adapter: Adapter;
  readonly store: BotStore;
  readonly effects: UpdateEffects;
  readonly prefixes: readonly string[] | undefined;
  readonly botUsername: string | undefined;
  /** Set by `command()`: the command's name (lower case, no prefix). */
  command?: string;
  /** Set by `command()`: the text after the command, trimmed. */
  args?: string;
  /** Set by `hears()`. */
  match?: RegExpMatchArray;

  readonly #outbox: Outbox | undefined;
  readonly #keyScope: string | undefined;
  readonly #onSent: ((result: SendResult) => void) | undefined;
  readonly #counters = new Map<OutboxItem["op"], number>();
  #chat: Promise<Chat> | undefined;
  #expired = false;

  constructor(options: ContextOptions) {
    this.update = options.update;
    this.adapter = options.adapter;
    this.store = options.store;
    this.effects = options.effects;
    this.#outbox = options.outbox;
    this.#keyScope = options.keyScope;
    this.#onSent = options.onSent;
    this.prefixes = options.prefixes;
    this.botUsername = options.botUsername;
  }

  get event(): StoredUpdate["event"] {
    return this.update.event;
  }

  /** The de-duplication key of this update (stable across re-runs): use it for your own side effects. */
  get updateKey(): string {
    return this.update.key;
  }

  get chatKey(): string {
    return this.update.chatKey;
  }

  get platform(): PlatformName {
    return this.adapter.platform;
  }

  /** Our account's name (the `account` of every Ref here). */
  get account(): string {
    return this.adapter.account;
  }

  /** `platform:account`. */
  get accountKey(): string {
    return this.update.account;
  }

  /** The chat the update happened in (undefined for chat-less events such as presence). */
  get chat(): Ref | undefined {
    const e = this.event;
    switch (e.type) {
      case "message.created":
      case "message.edited":
        return e.message.chat;
      case "chat.updated":
        return e.chat.ref;
      case "presence":
      case "connection.state":
        return undefined;
      default:
        return e.chat;
    }
  }

  /** Who caused the update: a message's author, the reacting or joining user. */
  get from(): Ref | undefined {
    const e = this.event;
    switch (e.type) {
      case "message.created":
      case "message.edited":
        return e.message.author;
      case "reaction":
        return e.user;
      case "typing":
      case "presence":
      case "member.joined":
      case "member.left":
        return e.user;
      default:
        return undefined;
    }
  }

  /** The message of a new or edited message update. */
  get message(): Message | undefined {
    const e = this.event;
    return e.type === "message.created" || e.type === "message.edited" ? e.message : undefined;
  }

  /** The message's visible text (text, link and mention segments); undefined when it has none. */
  get text(): string | undefined {
    const content = this.message?.content;
    if (!content?.some((s) => s.type === "text" && s.text.length > 0)) return undefined;
    let text = "";
    for (const s of content) {
      if (s.type === "text") text += s.text;
      else if (s.type === "link") text += s.text ?? s.url;
      else if (s.type === "mention" && s.text) text += s.text;
    }
    return text;
  }

  /** The chat in the unified model (asked once per update, then cached). */
  getChat(): Promise<Chat> {
    const chat = this.#requireChat("getChat");
    this.#chat ??= this.adapter.getChat(chat);
    return this.#chat;
  }

  /** The platform client behind this account, typed; throws if the platform is another one. */
  client<P extends PlatformName>(platform: P): PlatformClients[P] {
    if (this.platform !== platform) {
      throw new TypeError(`ctx.client("${platform}") on a ${this.platform} update`);
    }
    return (this.adapter as unknown as { client: PlatformClients[P] }).client;
  }

  /** Answers in the same chat. */
  async reply(content: string | readonly Segment[], options: ReplyOptions = {}): Promise<SendResult> {
    const replyTo = options.replyTo === true ? this.message?.ref : options.replyTo || undefined;
    const segments: Segment[] =
      typeof content === "string" ? [{ type: "text", text: content }] : [...content];
    const result = await this.#submit("send", segments, replyTo);
    if (result) this.#onSent?.(result);
    return result ?? { ids: [] };
  }

  /** Answers with segments (images, files, …): `ctx.replyWith({ type: "image", attachment: { url } })`. */
  replyWith(...segments: Segment[]): Promise<SendResult> {
    return this.reply(segments);
  }

  /** An image by URL (or attachment) with an optional caption. */
  replyWithPhoto(photo: string | Attachment, caption?: string): Promise<SendResult> {
    const attachment = typeof photo === "string" ? { url: photo } : photo;
    const segments: Segment[] = [{ type: "image", attachment }];
    if (caption) segments.push({ type: "text", text: caption });
    return this.reply(segments);
  }

  /** Reacts to this update's message (or `message`); null removes our reaction. */
  async react(reaction: string | null, message?: Ref): Promise<void> {
    const target = message ?? this.#requireMessage("react");
    await this.#submit("react", reaction === null ? [] : [{ type: "text", text: reaction }], target);
  }

  /** Edits a message (one the bot sent, e.g. from `reply`'s ids). */
  async edit(message: Ref, content: string | readonly Segment[]): Promise<void> {
    const segments: Segment[] =
      typeof content === "string" ? [{ type: "text", text: content }] : [...content];
    await this.#submit("edit", segments, message);
  }

  /** Deletes this update's message (or `message`). */
  async delete(message?: Ref): Promise<void> {
    await this.#submit("delete", [], message ?? this.#requireMessage("delete"));
  }

  /**
   * A context for another (recorded) update with the same adapter, store, effects and outbox,
   * whose sends use keys in `scope` (`<update key>:<scope>:reply:<n>`): a conversation replaying
   * its steps asks for the same sends again and the outbox answers with the first results.
   */
  derive(update: StoredUpdate, scope: string): this {
    const Ctor = this.constructor as new (options: ContextOptions) => this;
    return new Ctor({
      update,
      adapter: this.adapter,
      store: this.store,
      effects: this.effects,
      outbox: this.#outbox,
      onSent: this.#onSent,
      prefixes: this.prefixes,
      botUsername: this.botUsername,
      keyScope: scope,
    });
  }

  /** Called by Bot when the handler's run ends (or times out): later sends are refused. */
  expire(): void {
    this.#expired = true;
  }

  #requireChat(what: string): Ref {
    const chat = this.chat;
    if (!chat) throw new TypeError(`ctx.${what}: this ${this.event.type} update has no chat`);
    return chat;
  }

  #requireMessage(what: string): Ref {
    const e = this.event;
    const message = e.type === "message.deleted" || e.type === "reaction" ? e.message : this.message?.ref;
    if (!message) throw new TypeError(`ctx.${what}: this ${e.type} update has no message`);
    return message;
  }

  async #submit(
    op: OutboxItem["op"],
    content: Segment[],
    target: Ref | undefined,
  ): Promise<SendResult | undefined> {
    const name = op === "send" ? "reply" : op;
    if (this.#expired)
      throw new ContextExpiredError(`ctx.${name} after the handler of ${this.updateKey} ended`);
    const chat = this.#requireChat(name);
    const n = (this.#counters.get(op) ?? 0) + 1;
    this.#counters.set(op, n);
    const key = this.#keyScope
      ? `${this.updateKey}:${this.#keyScope}:${name}:${n}`
      : `${this.updateKey}:${name}:${n}`;
    if (this.#outbox) {
      return this.#outbox.submit({
        key,
        account: this.accountKey,
        chat,
        op,
        content,
        target,
        priority: "reply",
      });
    }
    // No outbox (a Context built by hand): straight to the adapter, same key.
    switch (op) {
      case "send":
        return this.adapter.send(chat, content, { replyTo: target, idempotencyKey: key });
      case "edit":
        await this.adapter.edit(chat, target as Ref, content);
        return undefined;
      case "delete":
        await this.adapter.delete(chat, target as Ref);
        return undefined;
      case "react": {
        const first = content[0];
        await this.adapter.react(chat, target as Ref, first?.type === "text" ? first.text : null);
        return undefined;
      }
    }
  }
}
