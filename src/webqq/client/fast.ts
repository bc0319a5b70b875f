/**
 * Hand checks for the hot paths (a send, its answer, a poll's messages), each never looser than
 * its schema: a value they accept is one the schema accepts and parses to an equal result, read in
 * place; anything else (an unknown field, which the schema keeps under `extra`, a wrong type, an
 * item kind not listed here) answers undefined and goes through the schema as before, so errors
 * and `extra` are exactly the schema's.
 */
import type { Envelope, PollItem } from "../protocol.js";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const num = (v: unknown) => typeof v === "number" && Number.isFinite(v);
const optStr = (v: unknown) => v === undefined || typeof v === "string";

const ENVELOPE_KEYS = new Set(["retcode", "result", "errmsg", "p", "t"]);

/** The `{retcode, …}` envelope read in place when it holds only its declared, well-typed fields. */
export function readEnvelope(v: unknown): Envelope | undefined {
  if (!isObj(v) || !num(v.retcode)) return undefined;
  for (const k in v) if (!ENVELOPE_KEYS.has(k)) return undefined;
  return optStr(v.errmsg) && optStr(v.p) && optStr(v.t) ? (v as Envelope) : undefined;
}

const BASE = ["msg_id", "msg_id2", "from_uin", "to_uin", "msg_type", "reply_ip", "time"];
/** The number fields of each message kind's `value` (besides `content`, an array). */
const MESSAGE_NUMBERS: Record<string, readonly string[]> = {
  message: BASE,
  group_message: [...BASE, "group_code", "send_uin", "info_seq", "seq"],
  discu_message: [...BASE, "did", "send_uin", "info_seq", "seq"],
  sess_message: [...BASE, "id", "ruin", "service_type"],
};
const MESSAGE_KEYS: Record<string, ReadonlySet<string>> = Object.fromEntries(
  Object.entries(MESSAGE_NUMBERS).map(([k, fields]) => [k, new Set([...fields, "content"])]),
);
const ITEM_KEYS = new Set(["poll_type", "value"]);

/**
 * A poll item of a message kind (buddy, group, discussion, sess) read in place when it holds only
 * declared, well-typed fields; undefined for anything else (then `PollItem` reads it).
 */
export function readPollItem(v: unknown): PollItem | undefined {
  if (!isObj(v) || typeof v.poll_type !== "string") return undefined;
  const numbers = MESSAGE_NUMBERS[v.poll_type];
  const value = v.value;
  if (!numbers || !isObj(value)) return undefined;
  for (const k in v) if (!ITEM_KEYS.has(k)) return undefined;
  const keys = MESSAGE_KEYS[v.poll_type] as ReadonlySet<string>;
  for (const k in value) if (!keys.has(k)) return undefined;
  for (const k of numbers) if (!num(value[k])) return undefined;
  return Array.isArray(value.content) ? (v as PollItem) : undefined;
}

const isId = (v: unknown) =>
  (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) ||
  (typeof v === "string" && /^\d{1,20}$/.test(v));
const MAX_CONTENT = 65_536;
const BUDDY_KEYS = new Set(["to", "content", "msg_id", "clientid", "psessionid", "face"]);

/**
 * True when a buddy send's `r` (`to`, `content`, `msg_id`, `clientid`, `psessionid`, maybe
 * `face`) certainly passes `SendBuddyR`; false for anything else, which the schema then checks.
 */
export function plainBuddySend(r: Obj): boolean {
  for (const k in r) if (!BUDDY_KEYS.has(k)) return false;
  const { to, content, msg_id: msgId, clientid, psessionid, face } = r;
  if (!isId(to)) return false;
  if (typeof content !== "string" || content.length < 1 || content.length > MAX_CONTENT) return false;
  if (typeof msgId !== "number" || !Number.isSafeInteger(msgId) || msgId < 0) return false;
  if (!isId(clientid) || typeof psessionid !== "string" || psessionid.length < 1) return false;
  return face === undefined || (typeof face === "number" && Number.isSafeInteger(face));
}
