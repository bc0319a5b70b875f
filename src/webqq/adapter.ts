/**
 * WebQQAdapter: one WebQQ account through the unified model (src/core/adapter.ts), built on
 * the converters in convert.ts. WebQQ can only send and read live: edit, delete, react and
 * history throw UnsupportedError. A send's msg_id is derived from its idempotencyKey, so the
 * server drops a retry even after a restart (it de-duplicates sender + clientid + msg_id + content).
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
import { UnsupportedError, ValidationError } from "../core/errors.js";
import type { AdapterCapabilities, Chat, Event, Message, Ref, Segment, User } from "../core/model.js";
import { ref } from "../core/model.js";
import type { WebQQClient } from "./client/index.js";
import {
  capabilities as baseCapabilities,
  chatId,
  fromSegments,
  parseChatId,
  toDiscussionChat,
  toEvent,
  toFriendChat,
  toGroupChat,
  toUser,
} from "./convert.js";
import type { ContentItem, PollItem, PollType } from "./protocol.js";

export * from "./convert.js";

/** WebQQ's unified capabilities: send and live events only. */
export const webqqCapabilities: AdapterCapabilities = baseCapabilities;

export interface WebQQAdapterOptions {
  /** The `account` of every Ref (default: the client's `account`). */
  account?: string;
  /** How many idempotency keys are remembered (default 10,000). */
  idempotencyWindow?: number;
}

const POLL_TYPES: readonly PollType[] = [
  "message",
  "group_message",
  "discu_message",
  "sess_message",
  "buddies_status_change",
  "input_notify",
  "kick_message",
];

/** A msg_id from an idempotency key: 9 digits, above the client's own counter range. */
export function msgIdFromKey(key: string): number {
  const h = createHash("sha256").update(key).digest();
  return 100_000_000 + (h.readUInt32BE(0) % 900_000_000);
}

/** The stable id of a unified event: from platform data only. */
function eventId(e: Event, item: PollItem | undefined): string {
  switch (e.type) {
    case "message.created":
      return `message.created:${e.message.chat.id}:${e.message.ref.id}`;
    case "typing":
      return `typing:${e.user.id}:${(item?.value as { msg_id?: number } | undefined)?.msg_id ?? ""}`;
    case "presence":
      return `presence:${e.user.id}:${e.online ? "online" : "offline"}`;
    case "connection.state":
      // A kick carries its msg_id; the client's own state changes have no platform data and
      // are numbered instead (each change is a new event, never a duplicate of an earlier one).
      return `connection.state:${e.state}:${(item?.value as { msg_id?: number } | undefined)?.msg_id ?? ""}`;
    default:
      return `${e.type}`;
  }
}

export { splitText };

/** Content items in messages of at most `limit` text characters each. */
function splitItems(items: ContentItem[], limit: number): ContentItem[][] {
  const parts: ContentItem[][] = [[]];
  let used = 0;
  for (const it of items) {
    if (it.type !== "text") {
      (parts[parts.length - 1] as ContentItem[]).push(it);
      continue;
    }
    let rest = it.text;
    while (rest.length > 0) {
      const room = limit - used;
      if (room <= 0) {
        parts.push([]);
        used = 0;
        continue;
      }
      const [piece = ""] = rest.length <= room ? [rest] : splitText(rest, room);
      (parts[parts.length - 1] as ContentItem[]).push({ type: "text", text: piece });
      used += piece.length;
      rest = rest.slice(piece.length);
    }
  }
  return parts.filter((p) => p.length > 0);
}

export class WebQQAdapter implements Adapter {
  readonly platform = "webqq" as const;
  readonly account: string;
  readonly capabilities = webqqCapabilities;
  readonly #client: WebQQClient;
  readonly #events = new AdapterEventStream({ platform: "webqq" });
  readonly #sends: IdempotentSends;
  #offs: (() => void)[] = [];
  #stateSeq = 0;

  constructor(client: WebQQClient, options: WebQQAdapterOptions = {}) {
    this.#client = client;
    this.account = options.account ?? client.account;
    this.#sends = new IdempotentSends(options.idempotencyWindow);
  }

  /** Our account's own user (its session uin, as authors are written); known after connect(). */
  get self(): Ref | undefined {
    const uin = this.#client.session?.uin;
    return uin === undefined ? undefined : ref("webqq", this.account, uin);
  }

  get client(): WebQQClient {
    return this.#client;
  }

  #push(e: Event, item?: PollItem, id = eventId(e, item)): void {
    this.#events.emit({ ...e, id } as AdapterEvent);
  }

  async connect(options: CallOptions = {}): Promise<void> {
    if (this.#offs.length === 0) {
      this.#events.reopen();
      for (const type of POLL_TYPES) {
        this.#offs.push(
          this.#client.on(type, (value) => {
            const item = { poll_type: type, value } as PollItem;
            const e = toEvent(this.account, item);
            if (e) this.#push(e, item);
          }),
        );
      }
      this.#offs.push(
        this.#client.on("state", ({ state, reason }) => {
          if (state === "closed") return;
          this.#push(
            reason === undefined
              ? { type: "connection.state", state }
              : { type: "connection.state", state, reason },
            undefined,
            `connection.state:${state}:local:${++this.#stateSeq}`,
          );
        }),
        this.#client.on("error", (err) => this.#events.emitError(err)),
      );
    }
    await this.#client.connect(options);
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

  send(chat: Ref, content: string | readonly Segment[], options: SendOptions = {}): Promise<SendResult> {
    return this.#sends.run(options.idempotencyKey, () => this.#send(chat, content, options));
  }

  async #send(chat: Ref, content: string | readonly Segment[], options: SendOptions): Promise<SendResult> {
    const target = parseChatId(chat.id);
    const segments: readonly Segment[] =
      typeof content === "string" ? [{ type: "text", text: content }] : content;
    const items = fromSegments(segments);
    const parts = splitItems(items, this.capabilities.maxTextLength);
    if (parts.length === 0)
      throw new ValidationError("content: empty message", { platform: "webqq", code: "invalid_input" });
    const call: CallOptions = {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    };
    const ids: Ref[] = [];
    for (const [i, part] of parts.entries()) {
      const o = {
        ...call,
        ...(options.idempotencyKey !== undefined
          ? { msgId: msgIdFromKey(`${options.idempotencyKey}:${i}`) }
          : {}),
      };
      const r =
        target.kind === "buddy"
          ? await this.#client.sendBuddy(target.uin, part, o)
          : target.kind === "group"
            ? await this.#client.sendGroup(target.gid, part, o)
            : target.kind === "discu"
              ? await this.#client.sendDiscussion(target.did, part, o)
              : await this.#client.sendSess(target.gid, target.uin, part, o);
      ids.push(ref("webqq", this.account, `sent:${this.#client.clientid}:${r.msgId}`));
    }
    return { ids };
  }

  async edit(
    _chat: Ref,
    _message: Ref,
    _content: string | readonly Segment[],
    _o?: CallOptions,
  ): Promise<void> {
    throw new UnsupportedError("webqq", "edit");
  }

  async delete(_chat: Ref, _message: Ref, _o?: CallOptions): Promise<void> {
    throw new UnsupportedError("webqq", "delete");
  }

  async react(_chat: Ref, _message: Ref, _reaction: string | null, _o?: CallOptions): Promise<void> {
    throw new UnsupportedError("webqq", "react");
  }

  async history(_chat: Ref, _o?: HistoryOptions): Promise<Message[]> {
    throw new UnsupportedError("webqq", "history");
  }

  async getChat(chat: Ref, options: CallOptions = {}): Promise<Chat> {
    const c = parseChatId(chat.id);
    const same = (x: Chat): Chat => ({ ...x, ref: { ...x.ref, id: chat.id } });
    if (c.kind === "group") {
      const g = (await this.#client.groups(options)).gnamelist.find((x) => x.gid === c.gid);
      if (!g) throw new ValidationError(`no WebQQ group ${c.gid}`, { platform: "webqq", code: "bad_chat" });
      const info = await this.#client.groupInfo(g.code, options);
      return same(toGroupChat(this.account, g, info.minfo.length));
    }
    if (c.kind === "discu") {
      const d = await this.#client.discussionInfo(c.did, options);
      return same(
        toDiscussionChat(this.account, { did: c.did, name: d.info.discu_name }, d.info.mem_list.length),
      );
    }
    const u = await this.getUser(ref("webqq", this.account, c.uin), options);
    const direct = toFriendChat(this.account, { uin: c.uin, nick: u.name });
    return same({ ...direct, ref: ref("webqq", this.account, chatId(c)) });
  }

  async getUser(user: Ref, options: CallOptions = {}): Promise<User> {
    const uin = Number(user.id);
    if (!Number.isInteger(uin) || uin < 0)
      throw new ValidationError(`not a WebQQ uin: ${user.id}`, { platform: "webqq", code: "invalid_input" });
    const self = this.#client.session;
    const info =
      self && uin === self.uin
        ? await this.#client.selfInfo(options)
        : await this.#client.friendInfo(uin, options);
    return toUser(this.account, { uin, nick: info.nick });
  }
}
