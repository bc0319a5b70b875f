import { describe, expect, it } from "vitest";
import { Emitter } from "../../src/core/emitter.js";
import { HandlerError, TransportError } from "../../src/core/errors.js";

type Events = { error: Error; message: { text: string }; state: { state: string } };

const make = (bufferSize?: number) => new Emitter<Events>({ platform: "max", bufferSize });

describe("Emitter", () => {
  it("calls listeners in order; off and the returned function unsubscribe; once fires once", () => {
    const e = make();
    const seen: string[] = [];
    const a = (m: { text: string }) => void seen.push(`a:${m.text}`);
    const offB = e.on("message", (m) => void seen.push(`b:${m.text}`));
    e.on("message", a);
    e.once("message", (m) => void seen.push(`once:${m.text}`));
    e.emit("message", { text: "1" });
    e.off("message", a);
    offB();
    e.emit("message", { text: "2" });
    expect(seen).toEqual(["b:1", "a:1", "once:1"]);
  });

  it("a listener that throws reaches `error` as a HandlerError with the event and the cause", () => {
    const e = make();
    const errors: Error[] = [];
    e.on("error", (err) => void errors.push(err));
    const boom = new Error("boom");
    e.on("message", () => {
      throw boom;
    });
    let after = 0;
    e.on("message", () => void after++);
    e.emit("message", { text: "x" });
    expect(after).toBe(1); // the other listeners still run
    expect(errors).toHaveLength(1);
    const err = errors[0] as HandlerError;
    expect(err).toBeInstanceOf(HandlerError);
    expect(err.event).toBe("message");
    expect(err.cause).toBe(boom);
    expect(err.platform).toBe("max");
    expect(err.code).toBe("handler_error");
  });

  it("a listener whose promise rejects reaches `error` too", async () => {
    const e = make();
    const got = new Promise<Error>((resolve) => e.once("error", resolve));
    e.on("message", async () => {
      throw new Error("later");
    });
    e.emit("message", { text: "x" });
    const err = await got;
    expect(err).toBeInstanceOf(HandlerError);
    expect((err.cause as Error).message).toBe("later");
  });

  it("with no error listener, a throwing listener is reported as a process warning, not lost", async () => {
    const e = make();
    const warned = new Promise<Error>((resolve) => process.once("warning", resolve));
    e.on("message", () => {
      throw new Error("nobody listens");
    });
    e.emit("message", { text: "x" });
    const w = await warned;
    expect(w).toBeInstanceOf(HandlerError);
    expect(w.message).toContain("nobody listens");
  });

  it("events() yields every event in order, filters by type, and ends on end()", async () => {
    const e = make();
    const all = e.events();
    const onlyState = e.events({ types: ["state"] });
    e.emit("message", { text: "1" });
    e.emit("state", { state: "connected" });
    e.emit("message", { text: "2" });
    e.end();
    const got: unknown[] = [];
    for await (const ev of all) got.push(ev);
    expect(got).toEqual([
      { type: "message", data: { text: "1" } },
      { type: "state", data: { state: "connected" } },
      { type: "message", data: { text: "2" } },
    ]);
    const states: unknown[] = [];
    for await (const ev of onlyState) states.push(ev);
    expect(states).toEqual([{ type: "state", data: { state: "connected" } }]);
    // An iterator asked for after end() is already done.
    expect(await e.events().next()).toEqual({ value: undefined, done: true });
  });

  it("a reader that falls bufferSize behind gets events_overflow instead of unbounded memory", async () => {
    const e = make(3);
    const it = e.events({ types: ["message"] });
    for (let i = 0; i < 5; i++) e.emit("message", { text: String(i) });
    const texts: string[] = [];
    let failure: unknown;
    try {
      for await (const ev of it) texts.push(ev.data.text);
    } catch (err) {
      failure = err;
    }
    expect(texts).toEqual(["0", "1", "2"]);
    expect(failure).toBeInstanceOf(TransportError);
    expect((failure as TransportError).code).toBe("events_overflow");
    expect(e.has("message")).toBe(false); // the overflowed iterator unsubscribed
  });

  it("an abort signal ends the iterator and unsubscribes it", async () => {
    const e = make();
    const ac = new AbortController();
    const it = e.events({ types: ["message"], signal: ac.signal });
    const next = it.next();
    ac.abort();
    expect(await next).toEqual({ value: undefined, done: true });
    expect(e.has("message")).toBe(false);
    // return() from a for-await break also unsubscribes.
    const it2 = e.events({ types: ["message"] });
    e.emit("message", { text: "a" });
    for await (const _ of it2) break;
    expect(e.has("message")).toBe(false);
  });
});
