/**
 * Hand checks for the hot paths (a chat send and a chat event), each never looser than its
 * schema: a value they accept is one the schema accepts and parses to an equal result, read in
 * place; anything else (an unknown field, which the schema keeps under `extra`, a wrong type, a
 * part that is not plain text) answers undefined and goes through the schema as before, so errors
 * and `extra` are exactly the schema's.
 */
import type { EventDataMap } from "../protocol/index.js";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const num = (v: unknown) => typeof v === "number" && Number.isFinite(v);
const optNum = (v: unknown) => v === undefined || num(v);
const optStr = (v: unknown) => v === undefined || typeof v === "string";
const optBool = (v: unknown) => v === undefined || typeof v === "boolean";

/** Every own key of `o` is in `keys` (an unknown one goes to the schema, which keeps it in `extra`). */
function only(o: Obj, keys: ReadonlySet<string>): boolean {
  for (const k in o) if (!keys.has(k)) return false;
  return true;
}

const BADGE_KEYS = new Set(["id", "name", "achievement_name", "small_url", "medium_url", "large_url"]);
const ROLE_KEYS = new Set(["id", "name", "small_url", "medium_url", "large_url"]);
const USER_KEYS = new Set([
  "id",
  "nick",
  "nick_color",
  "avatar_url",
  "is_owner",
  "is_moderator",
  "badges",
  "roles",
]);
const MESSAGE_KEYS = new Set(["id", "created_at", "is_private", "author", "parts"]);
const PART_KEYS = new Set(["text", "mention", "smile", "link"]);
const TEXT_KEYS = new Set(["content"]);
const MENTION_KEYS = new Set(["id", "nick"]);
const SMILE_KEYS = new Set(["id", "name", "animated", "small_url", "medium_url", "large_url"]);
const LINK_KEYS = new Set(["url", "content"]);
const CHAT_SEND_KEYS = new Set(["chat_message", "channel_url"]);

function badgeOrRole(v: unknown, keys: ReadonlySet<string>): boolean {
  if (!isObj(v) || !only(v, keys)) return false;
  if (typeof v.id !== "string" || typeof v.name !== "string") return false;
  return optStr(v.small_url) && optStr(v.medium_url) && optStr(v.large_url) && optStr(v.achievement_name);
}

function list(v: unknown, each: (x: unknown) => boolean): boolean {
  if (!Array.isArray(v)) return false;
  for (const x of v) if (!each(x)) return false;
  return true;
}

/** `UserShort` with declared fields only. */
export function plainUser(v: unknown): boolean {
  if (!isObj(v) || !only(v, USER_KEYS)) return false;
  if (!num(v.id) || typeof v.nick !== "string") return false;
  if (!optNum(v.nick_color) || !optStr(v.avatar_url) || !optBool(v.is_owner) || !optBool(v.is_moderator))
    return false;
  if (v.badges !== undefined && !list(v.badges, (b) => badgeOrRole(b, BADGE_KEYS))) return false;
  if (v.roles !== undefined && !list(v.roles, (r) => badgeOrRole(r, ROLE_KEYS))) return false;
  return true;
}

/** A received `Part` with declared fields only (any of text / mention / smile / link). */
function plainPart(v: unknown): boolean {
  if (!isObj(v) || !only(v, PART_KEYS)) return false;
  const { text, mention, smile, link } = v;
  if (text !== undefined && !(isObj(text) && only(text, TEXT_KEYS) && typeof text.content === "string"))
    return false;
  if (
    mention !== undefined &&
    !(isObj(mention) && only(mention, MENTION_KEYS) && num(mention.id) && optStr(mention.nick))
  )
    return false;
  if (smile !== undefined) {
    if (!isObj(smile) || !only(smile, SMILE_KEYS) || typeof smile.id !== "string") return false;
    if (!optStr(smile.name) || !optBool(smile.animated)) return false;
    if (!optStr(smile.small_url) || !optStr(smile.medium_url) || !optStr(smile.large_url)) return false;
  }
  if (link !== undefined) {
    if (!isObj(link) || !only(link, LINK_KEYS) || typeof link.url !== "string") return false;
    if (!optStr(link.content)) return false;
  }
  return true;
}

/** `ChatMessage` with declared fields only. */
export function plainChatMessage(v: unknown): boolean {
  if (!isObj(v) || !only(v, MESSAGE_KEYS)) return false;
  if (!num(v.id) || !num(v.created_at) || !optBool(v.is_private)) return false;
  return plainUser(v.author) && list(v.parts, plainPart);
}

/**
 * The data of a `channel_chat_message_send` event, read in place when it holds only declared,
 * well-typed fields (the common event); undefined otherwise (then its schema reads it).
 */
export function readChatSend(data: unknown): EventDataMap["channel_chat_message_send"] | undefined {
  if (!isObj(data) || !only(data, CHAT_SEND_KEYS)) return undefined;
  if (typeof data.channel_url !== "string" || !plainChatMessage(data.chat_message)) return undefined;
  return data as EventDataMap["channel_chat_message_send"];
}

/** `{}` as the schema `Empty` (lenient, no fields) gives it back: an object without own fields. */
export function readEmpty(data: unknown): Record<string, never> | undefined {
  if (!isObj(data)) return undefined;
  for (const _ in data) return undefined;
  return data as Record<string, never>;
}

const SEND_QUERY_KEYS = new Set(["channel_url", "stream_id"]);
const SEND_INPUT_KEYS = new Set(["query", "body"]);
const SEND_BODY_KEYS = new Set(["parts"]);
const TEXT_PART_KEYS = new Set(["text"]);
/** The limits of the request schema (`Url`, `stream_id`, `parts`). */
const MAX_URL = 200;
const MAX_STREAM_ID = 100;
const MAX_PARTS = 100;

/**
 * True when the sendMessage input `{query: {channel_url, stream_id?}, body: {parts}}` made of
 * text parts certainly passes its request schema; false for anything else (mentions, links,
 * smiles, a wrong type), which the schema then checks and names.
 */
export function plainSendInput(input: unknown): boolean {
  if (!isObj(input) || !only(input, SEND_INPUT_KEYS)) return false;
  const { query, body } = input;
  if (!isObj(query) || !only(query, SEND_QUERY_KEYS)) return false;
  const url = query.channel_url;
  if (typeof url !== "string" || url.length < 1 || url.length > MAX_URL) return false;
  const sid = query.stream_id;
  if (sid !== undefined && !(typeof sid === "string" && sid.length <= MAX_STREAM_ID)) return false;
  if (!isObj(body) || !only(body, SEND_BODY_KEYS)) return false;
  const parts = body.parts;
  if (!Array.isArray(parts) || parts.length < 1 || parts.length > MAX_PARTS) return false;
  for (const p of parts) {
    if (!isObj(p) || !only(p, TEXT_PART_KEYS)) return false;
    const t = p.text;
    if (!isObj(t) || !only(t, TEXT_KEYS) || typeof t.content !== "string") return false;
  }
  return true;
}
