/**
 * TestUser: one person in the bot's test chat, acting through their own platform account (their
 * own client and adapter, as a real user would). They hear the bot through their adapter's
 * events, so the kit behaves the same against an in-process sandbox and a running one. Every
 * message the bot writes in the chat is buffered from the moment the user exists, so nothing is
 * missed between `send` and `nextReply`; each reply is handed out once.
 */
import type { Adapter, AdapterEvent } from "../core/adapter.js";
import { UnsupportedError } from "../core/errors.js";
import type { Message, PlatformName, Ref, Segment } from "../core/model.js";
import { BotTestKitError, NoReplyError, type SeenMessage } from "./errors.js";

/** A message the bot wrote in the test chat, as the user's platform shows it, plus its visible text. */
export interface Reply extends Message {
  /** Text, link and mention segments joined (empty when the message has none). */
  text: string;
}

/** A whole text (string), a pattern, or any test on the reply. */
export type ReplyMatcher = string | RegExp | ((reply: Reply) => boolean);

export interface ReplyWaitOptions {
  /** How long to wait (default 10 s). */
  timeoutMs?: number | undefined;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** How many chat messages a NoReplyError lists (the newest). */
const SEEN_IN_ERRORS = 20;

/** What a platform room hands over for a user that joined the test chat. */
export interface JoinedUser {
  /** The user's own adapter, connected. */
  adapter: Adapter;
  /** The test chat as the user's account sees it. */
  chat: Ref;
  /** The bot's id as the user's platform shows it (the `author.id` of the bot's messages). */
  botId: string;
  /** The user's own id as their platform shows it (their messages echoed back are skipped). */
  selfId: string;
  /** The user as the bot's account sees them. */
  ref: Ref;
  /** Closes the user's adapter and any helper client. */
  close(): Promise<void>;
}

export function visibleText(content: readonly Segment[]): string {
  let text = "";
  for (const s of content) {
    if (s.type === "text") text += s.text;
    else if (s.type === "link") text += s.text ?? s.url;
    else if (s.type === "mention" && s.text) text += s.text;
  }
  return text;
}

function describe(matcher: ReplyMatcher): string {
  if (typeof matcher === "string") return JSON.stringify(matcher);
  if (matcher instanceof RegExp) return String(matcher);
  return "the given predicate";
}

function matches(matcher: ReplyMatcher, reply: Reply): boolean {
  if (typeof matcher === "string") return reply.text === matcher;
  if (matcher instanceof RegExp) {
    matcher.lastIndex = 0;
    return matcher.test(reply.text);
  }
  return matcher(reply);
}

/** How the kit wires a user up: not part of TestUser's public face. */
interface UserWiring {
  attach(user: TestUser, adapter: Adapter): void;
  joined(user: TestUser, joined: JoinedUser): void;
}
let wiring: UserWiring | undefined;

/** Kit-internal: starts listening on the user's adapter (before it connects). */
export function attachUser(user: TestUser, adapter: Adapter): void {
  (wiring as UserWiring).attach(user, adapter);
}

/** Kit-internal: the join finished; the user sorts what arrived meanwhile. */
export function userJoined(user: TestUser, joined: JoinedUser): void {
  (wiring as UserWiring).joined(user, joined);
}

interface Waiter {
  resolve(reply: Reply): void;
  reject(error: Error): void;
}

export class TestUser {
  readonly name: string;
  /** The kit platform this user is on (`maxbot` users are MAX users in the bot's chat). */
  readonly platform: PlatformName;
  #joined: JoinedUser | undefined;
  /** Events that arrived before the join finished (the bot's id was not known yet). */
  #early: AdapterEvent[] = [];
  readonly #seenIds = new Set<string>();
  readonly #replies: Reply[] = [];
  readonly #unread: Reply[] = [];
  readonly #chatLog: SeenMessage[] = [];
  readonly #waiters: Waiter[] = [];
  #closed = false;
  #off: (() => void) | undefined;

  static {
    wiring = {
      attach: (user, adapter) => user.#attach(adapter),
      joined: (user, joined) => user.#setJoined(joined),
    };
  }

  /** Made by `kit.user()`; a TestUser made any other way has no account and can't act. */
  constructor(name: string, platform: PlatformName) {
    this.name = name;
    this.platform = platform;
  }

  /** The user as the bot's account sees them (compare with `ctx.from`). */
  get ref(): Ref {
    return this.#need().ref;
  }

  /** The test chat as this user's own account sees it. */
  get chat(): Ref {
    return this.#need().chat;
  }

  /** This user's own adapter (their platform account), for anything the kit does not wrap. */
  get adapter(): Adapter {
    return this.#need().adapter;
  }

  /** Everything the bot said in the chat since this user joined, oldest first. */
  get replies(): readonly Reply[] {
    return this.#replies;
  }

  #attach(adapter: Adapter): void {
    this.#off = adapter.onEvent((event) => {
      if (this.#joined) this.#take(event);
      else this.#early.push(event);
    });
  }

  #setJoined(user: JoinedUser): void {
    this.#joined = user;
    const early = this.#early;
    this.#early = [];
    for (const event of early) this.#take(event);
  }

  #need(): JoinedUser {
    if (!this.#joined)
      throw new BotTestKitError(`${this.name} has not joined the chat yet`, { code: "closed" });
    return this.#joined;
  }

  #take(event: AdapterEvent): void {
    if (event.type !== "message.created") return;
    const joined = this.#joined as JoinedUser;
    const message = event.message;
    if (message.chat.id !== joined.chat.id || this.#seenIds.has(event.id)) return;
    this.#seenIds.add(event.id);
    const text = visibleText(message.content);
    const fromBot = message.author.id === joined.botId;
    if (!fromBot) {
      // Our own sends are logged by send(); some platforms (VK Live) echo them back.
      if (message.author.id !== joined.selfId) this.#log({ from: message.author.id, text });
      return;
    }
    this.#log({ from: "bot", text });
    const reply: Reply = { ...message, text };
    this.#replies.push(reply);
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(reply);
    else this.#unread.push(reply);
  }

  /**
   * Writes into the test chat as this user, through their own platform account. Returns the
   * sent messages' Refs as this user's platform shows them (for `edit` / `delete`).
   */
  async send(content: string | readonly Segment[]): Promise<Ref[]> {
    const joined = this.#open();
    // Logged before the send resolves: the bot's answer may arrive first.
    const entry: SeenMessage = {
      from: "you",
      text: typeof content === "string" ? content : visibleText(content),
    };
    this.#log(entry);
    try {
      return (await joined.adapter.send(joined.chat, content)).ids;
    } catch (err) {
      const at = this.#chatLog.indexOf(entry);
      if (at >= 0) this.#chatLog.splice(at, 1);
      throw err;
    }
  }

  /** The bot's next message in the chat not handed out yet (each reply once). */
  nextReply(options: ReplyWaitOptions = {}): Promise<Reply> {
    this.#open();
    const ready = this.#unread.shift();
    if (ready) return Promise.resolve(ready);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise<Reply>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
        reject(this.#noReply(`no reply from the bot within ${timeoutMs} ms`, timeoutMs));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /**
   * Takes replies until one matches (a string must equal the whole text); returns it. Replies
   * that did not match are consumed too, and named in the error when none matched in time.
   */
  async expectReply(matcher: ReplyMatcher, options: ReplyWaitOptions = {}): Promise<Reply> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const until = Date.now() + timeoutMs;
    for (;;) {
      const left = until - Date.now();
      let reply: Reply;
      try {
        reply = await this.nextReply({ timeoutMs: Math.max(1, left) });
      } catch (err) {
        if (err instanceof NoReplyError)
          throw this.#noReply(
            `no reply matching ${describe(matcher)} from the bot within ${timeoutMs} ms`,
            timeoutMs,
          );
        throw err;
      }
      if (matches(matcher, reply)) return reply;
    }
  }

  /** Reacts to a message as this user (`null` removes the reaction); UnsupportedError where the platform can't. */
  async react(message: Ref, reaction: string | null): Promise<void> {
    const joined = this.#open();
    this.#can(joined.adapter, "react");
    await joined.adapter.react(joined.chat, message, reaction);
  }

  /** Edits one of this user's messages; UnsupportedError where the platform can't. */
  async edit(message: Ref, content: string | readonly Segment[]): Promise<void> {
    const joined = this.#open();
    this.#can(joined.adapter, "edit");
    await joined.adapter.edit(joined.chat, message, content);
  }

  /** Deletes a message as this user; UnsupportedError where the platform can't. */
  async delete(message: Ref): Promise<void> {
    const joined = this.#open();
    this.#can(joined.adapter, "delete");
    await joined.adapter.delete(joined.chat, message);
  }

  /** Closes the user's account connection; pending `nextReply` calls fail. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#off?.();
    for (const waiter of this.#waiters.splice(0))
      waiter.reject(
        new BotTestKitError(`${this.name} (${this.platform}) was closed while waiting for a reply`, {
          code: "closed",
        }),
      );
    await this.#joined?.close();
  }

  #log(entry: SeenMessage): void {
    this.#chatLog.push(entry);
    if (this.#chatLog.length > SEEN_IN_ERRORS) this.#chatLog.shift();
  }

  #can(adapter: Adapter, operation: "react" | "edit" | "delete"): void {
    if (!adapter.capabilities.operations[operation]) throw new UnsupportedError(adapter.platform, operation);
  }

  #open(): JoinedUser {
    if (this.#closed)
      throw new BotTestKitError(`${this.name} (${this.platform}) is closed`, { code: "closed" });
    return this.#need();
  }

  #noReply(what: string, timeoutMs: number): NoReplyError {
    const seen = [...this.#chatLog];
    const listed = seen.length
      ? seen
          .map(
            (m) =>
              `  ${m.from === "bot" || m.from === "you" ? m.from : `user ${m.from}`}: ${JSON.stringify(m.text)}`,
          )
          .join("\n")
      : "  (nothing)";
    return new NoReplyError(
      `${this.name} on ${this.platform}: ${what}. The chat as ${this.name} saw it (newest last):\n${listed}`,
      { platform: this.platform, timeoutMs, seen },
    );
  }
}
