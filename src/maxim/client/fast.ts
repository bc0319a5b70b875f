/**
 * Hand checks for the hot path (a send and its answer), each never looser than its schema: a
 * value they accept is one the schema accepts and parses to an equal result; anything else
 * (unknown fields, an attachment, a wrong type) goes through the schema as before, so errors and
 * `extra` are exactly the schema's.
 */
import { Envelope, type MessageSendBody } from "../protocol.js";

const ENVELOPE_KEYS = new Set(["code", "message", "data", "cursor", "version", "total"]);

const nullishString = (v: unknown) => v === null || v === undefined || typeof v === "string";
const nullishNumber = (v: unknown) => v === null || v === undefined || typeof v === "number";

/**
 * The envelope read in place when it holds only its declared fields, well typed (the common
 * answer); otherwise parsed with its schema (unknown fields under `extra`). Undefined when it is
 * not an envelope at all.
 */
export function readEnvelope(value: unknown): Envelope | undefined {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    let plain = typeof v.code === "number";
    if (plain) {
      for (const key in v) {
        if (!ENVELOPE_KEYS.has(key)) {
          plain = false;
          break;
        }
      }
    }
    if (
      plain &&
      nullishString(v.message) &&
      nullishString(v.cursor) &&
      nullishNumber(v.version) &&
      nullishNumber(v.total)
    )
      return v as Envelope;
  }
  const r = Envelope.safeParse(value);
  return r.success ? r.data : undefined;
}

const SEND_KEYS = new Set(["targets", "type", "content_type", "content", "transaction_id"]);
const MAX_TARGETS = 1000;
const MAX_CONTENT = 64 * 1024;
const TRANSACTION_RE = /^[0-9A-Za-z_-]{1,64}$/;

const isId = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v > 0;

/**
 * A copy of a plain text send (`targets`, `type`, a `content_type` that takes `content`, the
 * `content` string, maybe `transaction_id`) when `MessageSendBody` certainly accepts it as it
 * is; undefined for anything else, which the schema then checks. A copy, so a caller reusing
 * its object cannot change a send already under way.
 */
export function plainSendBody(body: unknown): MessageSendBody | undefined {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  for (const key in b) if (!SEND_KEYS.has(key) || b[key] === undefined) return undefined;
  const { targets, type, content_type: contentType, content, transaction_id: tid } = b;
  if (!Array.isArray(targets) || targets.length < 1 || targets.length > MAX_TARGETS) return undefined;
  for (const t of targets) if (!isId(t)) return undefined;
  if (type !== 1 && type !== 2) return undefined;
  // 1-4 need an attachment (the schema's refinement says so): not a plain text send.
  if (typeof contentType !== "number" || !Number.isInteger(contentType)) return undefined;
  if (contentType < 0 || contentType > 7 || (contentType >= 1 && contentType <= 4)) return undefined;
  if (typeof content !== "string" || content.length > MAX_CONTENT) return undefined;
  if (tid !== undefined && !isId(tid) && !(typeof tid === "string" && TRANSACTION_RE.test(tid)))
    return undefined;
  const out: MessageSendBody = { targets: targets.slice(), type, content_type: contentType, content };
  if (tid !== undefined) out.transaction_id = tid as number | string;
  return out;
}
