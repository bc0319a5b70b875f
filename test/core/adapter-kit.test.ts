import { describe, expect, it } from "vitest";
import type { AdapterEvent, SendResult } from "../../src/core/adapter.js";
import { AdapterEventStream, IdempotentSends } from "../../src/core/adapter-kit.js";
import { ref } from "../../src/core/model.js";

const result = (id: string): SendResult => ({ ids: [ref("max", "a", id)] });

describe("IdempotentSends", () => {
  it("sends once per key, racing duplicates share one promise, no key always sends", async () => {
    const sends = new IdempotentSends();
    let calls = 0;
    const send = async () => result(String(++calls));
    const [a, b] = await Promise.all([sends.run("k", send), sends.run("k", send)]);
    expect(a).toBe(b);
    expect(await sends.run("k", send)).toBe(a);
    expect(calls).toBe(1);
    await sends.run(undefined, send);
    await sends.run(undefined, send);
    expect(calls).toBe(3);
  });

  it("forgets a failed send so a retry with its key really sends", async () => {
    const sends = new IdempotentSends();
    await expect(sends.run("k", async () => Promise.reject(new Error("down")))).rejects.toThrow("down");
    expect(await sends.run("k", async () => result("ok"))).toEqual(result("ok"));
  });

  it("keeps only the newest `limit` keys", async () => {
    const sends = new IdempotentSends(2);
    for (const k of ["a", "b", "c"]) await sends.run(k, async () => result(k));
    expect(sends.size).toBe(2);
    expect(await sends.run("a", async () => result("again"))).toEqual(result("again")); // forgotten
    expect(await sends.run("c", async () => result("other"))).toEqual(result("c")); // remembered
  });
});

describe("AdapterEventStream", () => {
  const typing = (n: number): AdapterEvent => ({
    type: "typing",
    id: `typing:${n}`,
    chat: ref("max", "a", "1"),
    user: ref("max", "a", "2"),
  });
  const presence: AdapterEvent = { type: "presence", id: "p", user: ref("max", "a", "2"), online: true };

  it("filters the iterator by type, pushes everything to onEvent, and ends on end()", async () => {
    const stream = new AdapterEventStream({ platform: "max" });
    const pushed: string[] = [];
    stream.onEvent((e) => void pushed.push(e.id));
    const onlyTyping = stream.events({ types: ["typing"] });
    stream.emit(typing(1));
    stream.emit(presence);
    stream.emit(typing(2));
    stream.end();
    const got: string[] = [];
    for await (const e of onlyTyping) got.push(e.id);
    expect(got).toEqual(["typing:1", "typing:2"]);
    expect(pushed).toEqual(["typing:1", "p", "typing:2"]);
  });
});
