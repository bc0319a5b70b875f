/**
 * Filter queries for `bot.on(...)`: a string names which updates a handler wants, and the handler's
 * context type is narrowed to match (`ctx.text` is a `string` under "message:text", `ctx.platform`
 * is `"vklive"` under "vklive:message", …). The same query is checked at run time by `matchFilter`.
 */
import type { AdapterEvent } from "../core/adapter.js";
import type { Message, PlatformName, Ref, SegmentType } from "../core/model.js";
import type { MaxAdapter } from "../max/adapter.js";
import type { MaxBotAdapter } from "../maxbot/adapter.js";
import type { MaxImAdapter } from "../maxim/adapter.js";
import type { VkLiveAdapter } from "../vklive/adapter.js";
import type { WebQQAdapter } from "../webqq/adapter.js";

/** The unified queries. */
export type BaseQuery =
  | "message"
  | "message:text"
  | "message:media"
  | "edited"
  | "deleted"
  | "reaction"
  | "member:joined"
  | "member:left"
  | "chat:updated";

/** `@maxhub/max-bot-api` update names, for people moving over. */
export type AliasQuery = keyof AliasMap;

export type PlatformQuery = `${PlatformName}:${BaseQuery}`;

export type FilterQuery = BaseQuery | AliasQuery | PlatformQuery;

/** Each alias and the unified query it stands for. */
export interface AliasMap {
  message_created: "message";
  message_edited: "edited";
  message_removed: "deleted";
  user_added: "member:joined";
  user_removed: "member:left";
  chat_title_changed: "chat:updated";
}

const ALIASES: AliasMap = {
  message_created: "message",
  message_edited: "edited",
  message_removed: "deleted",
  user_added: "member:joined",
  user_removed: "member:left",
  chat_title_changed: "chat:updated",
};

type Canonical<Q extends FilterQuery> = Q extends AliasQuery
  ? AliasMap[Q]
  : Q extends `${PlatformName}:${infer B extends BaseQuery}`
    ? B
    : Q;
type PlatformOf<Q extends FilterQuery> = Q extends `${infer P extends PlatformName}:${BaseQuery}`
  ? P
  : PlatformName;

/** The adapter class of each platform (for `ctx.adapter` under a platform query). */
export interface PlatformAdapters {
  max: MaxAdapter;
  maxbot: MaxBotAdapter;
  maxim: MaxImAdapter;
  vklive: VkLiveAdapter;
  webqq: WebQQAdapter;
}

/** The client of each platform (`ctx.client<"maxbot">()`). */
export type PlatformClients = { [P in PlatformName]: PlatformAdapters[P]["client"] };

type EventOf<T extends AdapterEvent["type"]> = Extract<AdapterEvent, { type: T }>;

interface MessageShape {
  event: EventOf<"message.created">;
  message: Message;
  chat: Ref;
  from: Ref;
}

/** What each base query guarantees about the context. */
export interface QueryShapes {
  message: MessageShape;
  "message:text": MessageShape & { text: string };
  "message:media": MessageShape;
  edited: {
    event: EventOf<"message.edited">;
    message: Message;
    chat: Ref;
    from: Ref;
    text: string | undefined;
  };
  deleted: { event: EventOf<"message.deleted">; chat: Ref };
  reaction: { event: EventOf<"reaction">; chat: Ref };
  "member:joined": { event: EventOf<"member.joined">; chat: Ref; from: Ref };
  "member:left": { event: EventOf<"member.left">; chat: Ref; from: Ref };
  "chat:updated": { event: EventOf<"chat.updated">; chat: Ref };
}

type Shape<Q extends FilterQuery> = QueryShapes[Canonical<Q>] & PlatformShape<PlatformOf<Q>>;
type PlatformShape<P extends PlatformName> = PlatformName extends P
  ? unknown
  : { platform: P; adapter: PlatformAdapters[P] };

/** Several queries: the handler sees the union of their shapes. */
type UnionShape<Q extends FilterQuery> = Q extends FilterQuery ? Shape<Q> : never;

/** The context type a handler of `on(Q)` sees. */
export type Filter<C, Q extends FilterQuery> = C & UnionShape<Q>;

const MEDIA: ReadonlySet<SegmentType> = new Set(["image", "video", "file", "audio"]);
const PLATFORMS: ReadonlySet<string> = new Set<PlatformName>(["max", "maxbot", "maxim", "vklive", "webqq"]);
const BASE: ReadonlySet<string> = new Set<BaseQuery>([
  "message",
  "message:text",
  "message:media",
  "edited",
  "deleted",
  "reaction",
  "member:joined",
  "member:left",
  "chat:updated",
]);

/** Splits a query into its platform (if any) and base query; throws on an unknown query (a typo). */
export function parseQuery(query: string): { platform?: PlatformName; base: BaseQuery } {
  const alias = (ALIASES as unknown as Record<string, BaseQuery | undefined>)[query];
  if (alias) return { base: alias };
  if (BASE.has(query)) return { base: query as BaseQuery };
  const colon = query.indexOf(":");
  const platform = query.slice(0, colon);
  const base = query.slice(colon + 1);
  if (colon > 0 && PLATFORMS.has(platform) && BASE.has(base)) {
    return { platform: platform as PlatformName, base: base as BaseQuery };
  }
  throw new TypeError(`unknown filter query "${query}"`);
}

function hasText(message: Message): boolean {
  return message.content.some((s) => s.type === "text" && s.text.length > 0);
}

/** Whether an event (seen on `platform`) matches a parsed query. */
function matchBase(base: BaseQuery, event: AdapterEvent): boolean {
  switch (base) {
    case "message":
      return event.type === "message.created";
    case "message:text":
      return event.type === "message.created" && hasText(event.message);
    case "message:media":
      return event.type === "message.created" && event.message.content.some((s) => MEDIA.has(s.type));
    case "edited":
      return event.type === "message.edited";
    case "deleted":
      return event.type === "message.deleted";
    case "reaction":
      return event.type === "reaction";
    case "member:joined":
      return event.type === "member.joined";
    case "member:left":
      return event.type === "member.left";
    case "chat:updated":
      return event.type === "chat.updated";
  }
}

/** A predicate for one query or any of several (validated once, up front). */
export function matchFilter(
  query: FilterQuery | readonly FilterQuery[],
): (ctx: { event: AdapterEvent; platform: PlatformName }) => boolean {
  const parsed = (Array.isArray(query) ? query : [query]).map((q: string) => parseQuery(q));
  return (ctx) =>
    parsed.some(
      (p) => (p.platform === undefined || p.platform === ctx.platform) && matchBase(p.base, ctx.event),
    );
}
