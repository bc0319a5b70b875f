/**
 * Response objects that accept any field a server adds, without an index signature.
 *
 * `z.looseObject` keeps unknown fields at the top level and types the result with
 * `[key: string]: unknown`, so `me.id` or `chat.titel` compile under strict and are `undefined`
 * at run time. A `lenient` object parses the same way (an unknown field is never an error) but
 * moves unknown fields into one explicit property, `extra`, and its type has no index signature:
 * a typo is a compile error, and a new server field is still there to read as `x.extra?.name`.
 *
 * `extra` is present only when the server sent fields the schema does not name (a known-only
 * object is returned as parsed, with no extra allocation). `.extend()` keeps the behaviour;
 * `.pick()` / `.omit()` / `.partial()` are refused by zod on these schemas (they carry a check):
 * build a new one with `lenient({ ...A.shape, … })`.
 */
import { z } from "zod";

/** Fields a server sent that the schema does not name, by their wire name. */
export type Extra = Record<string, unknown>;

/** The zod object config of a lenient schema: the output gains `extra?`, never an index signature. */
export type $lenient = { out: { extra?: Extra }; in: z.core.$strip["in"] };

/** A lenient object schema over `Shape`. */
export type LenientObject<Shape extends z.ZodRawShape> = z.ZodObject<Shape, $lenient>;

/** Wraps the value of an unknown field between the catch-all and the `extra` check. */
class UnknownField {
  constructor(readonly value: unknown) {}
}

/**
 * Unknown fields wrapped and not yet moved into `extra`. A schema's check scans its object only
 * while this is above zero, so an object with known fields only costs one comparison. It counts
 * down by what each scan moves (not to zero), so interleaved async parses cannot hide a wrapped
 * field from its own object's check; a failed parse may leave it high, which costs scans, never
 * correctness.
 */
let pendingUnknown = 0;

const unknownField = z.unknown().transform((value) => {
  pendingUnknown++;
  return new UnknownField(value);
});

/** Moves the wrapped unknown fields of one parsed object into `extra`. */
function collectUnknown(parsed: Record<string, unknown>): Record<string, unknown> {
  if (pendingUnknown === 0) return parsed;
  let found = 0;
  for (const key in parsed) if (parsed[key] instanceof UnknownField) found++;
  if (found === 0) return parsed;
  pendingUnknown = Math.max(0, pendingUnknown - found);
  // A new object rather than `delete`: the result keeps a fast (non-dictionary) shape.
  const out: Record<string, unknown> = {};
  const extra: Extra = {};
  for (const key in parsed) {
    const v = parsed[key];
    if (v instanceof UnknownField) extra[key] = v.value;
    else out[key] = v;
  }
  out.extra = extra;
  return out;
}

/**
 * An object schema for what a server sends: the named fields are checked as usual, any other
 * field is accepted and kept under `extra`. The shape may not name a field `extra` itself (that
 * wire name would collide): use a plain `z.object` there, which drops unknown fields.
 */
export function lenient<Shape extends z.ZodRawShape>(shape: Shape): LenientObject<Shape> {
  if (Object.hasOwn(shape, "extra")) {
    throw new Error("lenient(): the shape names a field `extra`, which holds the unknown fields");
  }
  const loose = z.object(shape).catchall(unknownField) as unknown as z.ZodObject<Shape, $lenient>;
  return loose.overwrite(collectUnknown as (parsed: unknown) => never);
}

/**
 * An object parsed by a lenient schema, as it was on the wire: its `extra` fields back at the top
 * level (declared fields win). For an object that is sent on again (a font, an attachment).
 */
export function flattenExtra<T extends { extra?: Extra | undefined }>(parsed: T): Omit<T, "extra"> {
  const { extra, ...rest } = parsed;
  return extra ? { ...extra, ...rest } : rest;
}

/**
 * For a fast path that builds an object without its schema: the fields of `raw` that are not in
 * `known`, as `extra` would hold them, or `undefined` when there are none.
 */
export function extraFields(raw: Record<string, unknown>, known: ReadonlySet<string>): Extra | undefined {
  let extra: Extra | undefined;
  for (const key in raw) {
    if (known.has(key) || key === "__proto__") continue;
    extra ??= {};
    extra[key] = raw[key];
  }
  return extra;
}

/** The field names a lenient (or any object) schema declares, for `extraFields`. */
export function declaredKeys(schema: z.ZodObject): ReadonlySet<string> {
  return new Set(Object.keys(schema.shape));
}
