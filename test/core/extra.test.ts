/** core `lenient()`: unknown server fields are accepted and kept under `extra`, never at the top level. */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { declaredKeys, extraFields, flattenExtra, lenient } from "../../src/core/extra.js";
import { parseResponse } from "../../src/core/validation.js";

const User = lenient({ id: z.number(), nick: z.string().optional() });
const Chat = lenient({ id: z.number(), title: z.string(), owner: User, members: z.array(User).default([]) });

describe("lenient()", () => {
  it("moves unknown fields into `extra` at every level and still parses", () => {
    const out = Chat.parse({
      id: 1,
      title: "t",
      owner: { id: 2, avatar: "a.png" },
      members: [{ id: 3 }, { id: 4, badge: { level: 2 } }],
      brand_new: [1, 2],
    });
    expect(out).toEqual({
      id: 1,
      title: "t",
      owner: { id: 2, extra: { avatar: "a.png" } },
      members: [{ id: 3 }, { id: 4, extra: { badge: { level: 2 } } }],
      extra: { brand_new: [1, 2] },
    });
    expect(Object.keys(out)).not.toContain("brand_new");
  });

  it("adds no `extra` key to an object with known fields only", () => {
    const out = Chat.parse({ id: 1, title: "t", owner: { id: 2 } });
    expect(out).toEqual({ id: 1, title: "t", owner: { id: 2 }, members: [] });
    expect("extra" in out).toBe(false);
    expect("extra" in out.owner).toBe(false);
  });

  it("still refuses a known field of the wrong type (through parseResponse: ApiError bad_response)", () => {
    expect(() =>
      parseResponse(Chat, { id: "1", title: "t", owner: { id: 2 } }, { platform: "max", what: "x" }),
    ).toThrow(/unexpected response \(id: /);
    expect(Chat.safeParse({ id: 1, title: "t", owner: { id: 2, nick: 5, extraThing: 1 } }).success).toBe(
      false,
    );
  });

  it("keeps the behaviour through .extend(): the new field is known, others go to extra", () => {
    const Wider = User.extend({ registered_at: z.number().optional() });
    expect(Wider.parse({ id: 1, registered_at: 5, zz: true })).toEqual({
      id: 1,
      registered_at: 5,
      extra: { zz: true },
    });
  });

  it("works inside unions, discriminated unions and arrays, failed branches included", () => {
    const A = lenient({ kind: z.literal("a"), n: z.number() });
    const B = lenient({ kind: z.literal("b"), s: z.string() });
    const U = z.union([A, B]);
    expect(U.parse({ kind: "b", s: "x", more: 1 })).toEqual({ kind: "b", s: "x", extra: { more: 1 } });
    const D = z.discriminatedUnion("kind", [A, B]);
    expect(D.parse({ kind: "a", n: 1, more: 2 })).toEqual({ kind: "a", n: 1, extra: { more: 2 } });
    // After failed branches, a known-only object is still returned without `extra`.
    expect(User.parse({ id: 9 })).toEqual({ id: 9 });
  });

  it("drops an own __proto__ key instead of letting it reach the result's prototype", () => {
    const out = User.parse(JSON.parse('{"id":1,"__proto__":{"polluted":true},"x":1}')) as Record<
      string,
      unknown
    >;
    expect(out).toEqual({ id: 1, extra: { x: 1 } });
    expect(out.polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("parses concurrently with async parsing and still moves every unknown field", async () => {
    const Slow = lenient({
      id: z.number(),
      later: z.string().refine(async (s) => {
        await Promise.resolve();
        return s.length > 0;
      }),
    });
    const results = await Promise.all(
      [1, 2, 3].map((i) => Slow.parseAsync({ id: i, later: "x", [`f${i}`]: i })),
    );
    expect(results).toEqual([1, 2, 3].map((i) => ({ id: i, later: "x", extra: { [`f${i}`]: i } })));
  });

  it("refuses a shape that names `extra` itself", () => {
    expect(() => lenient({ extra: z.string() })).toThrow(/names a field `extra`/);
  });

  it("flattenExtra gives back the wire form; extraFields and declaredKeys serve fast paths", () => {
    const parsed = User.parse({ id: 1, nick: "n", color: 3 });
    expect(flattenExtra(parsed)).toEqual({ id: 1, nick: "n", color: 3 });
    expect(flattenExtra(User.parse({ id: 1 }))).toEqual({ id: 1 });
    const known = declaredKeys(User);
    expect([...known].sort()).toEqual(["id", "nick"]);
    expect(extraFields({ id: 1, nick: "n" }, known)).toBeUndefined();
    expect(extraFields({ id: 1, color: 3 }, known)).toEqual({ color: 3 });
  });
});
