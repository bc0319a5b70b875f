/**
 * The console keeps only safe copies of what providers report (issue 12 item 9): a record nested
 * 10,000 deep, huge strings or arrays, cycles, throwing getters or odd types never make the
 * traffic API (or the live feed) fail; they are cut with a visible marker.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConsoleProvider, ConsoleSink, TrafficRecord } from "../../src/core/emulator/console.js";
import { silentLogger } from "../../src/core/log.js";
import { registerAdminApi } from "../../src/sandbox/admin-api.js";
import { registerConsole } from "../../src/sandbox/console/routes.js";
import { SAFE_LIMITS, safeValue } from "../../src/sandbox/console/safe.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { RawClient } from "../max/raw.js";
import { api } from "../sandbox/proc.js";
import { openFeed } from "./helpers.js";

/** `{a:{a:{…}}}` `depth` levels deep, built without recursion. */
function nested(depth: number, leaf: unknown = "bottom"): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v];
  return v;
}

function depthOf(value: unknown): number {
  let d = 0;
  let v = value;
  while (v && typeof v === "object") {
    d++;
    v = Array.isArray(v) ? v[0] : (v as { a: unknown }).a;
  }
  return d;
}

describe("console bus: safe records", () => {
  let app: FastifyInstance;
  let base: string;
  let sink: ConsoleSink;
  const provider: ConsoleProvider = {
    id: "fake",
    title: "Fake",
    url: () => "",
    attach: (s) => {
      sink = s;
    },
  };
  const record = (payload: unknown, extra: Partial<TrafficRecord> = {}): TrafficRecord => ({
    platform: "fake",
    dir: "in",
    time: Date.now(),
    size: 1,
    payload,
    ...extra,
  });

  beforeAll(async () => {
    app = Fastify();
    registerAdminApi(app, { urls: () => ({}), faces: [], log: silentLogger, indexPath: "/_sandbox/api" });
    registerConsole(app, { providers: [provider], urls: () => ({}) });
    base = await app.listen({ port: 0, host: "127.0.0.1" });
    await api(base, "POST", "/_sandbox/console/traffic/record", { on: true });
  });
  afterAll(async () => {
    await app?.close();
  });

  it("a 10,000-deep payload is stored cut at the depth limit; the traffic API answers 200", async () => {
    sink.traffic(record(nested(10_000), { summary: "deep" }));
    sink.traffic(record({ text: "after" }, { summary: "next" }));
    const res = await api(base, "GET", "/_sandbox/console/traffic");
    expect(res.status).toBe(200);
    const [deep, next] = res.body.records.slice(-2);
    expect(deep.summary).toBe("deep");
    expect(depthOf(deep.payload)).toBeLessThanOrEqual(SAFE_LIMITS.depth);
    expect(JSON.stringify(deep.payload)).toContain("nested deeper than");
    expect(next.payload).toEqual({ text: "after" });
    // Filters still work over it.
    const filtered = await api(base, "GET", "/_sandbox/console/traffic?opcode=x&path=y&account=z");
    expect(filtered.status).toBe(200);
  });

  it("the live feed carries the safe copy too", async () => {
    const feed = await openFeed(base);
    try {
      sink.traffic(record(nested(10_000), { summary: "deep-live" }));
      const got = await feed.next("traffic", (d) => d.summary === "deep-live");
      expect(depthOf(got.payload)).toBeLessThanOrEqual(SAFE_LIMITS.depth);
    } finally {
      await feed.close();
    }
  });

  it("long strings, long arrays, wide objects, cycles, throwing getters and odd types are cut, not fatal", async () => {
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    const throwing = {
      get boom(): string {
        throw new Error("getter");
      },
    };
    const wide = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
    sink.traffic(
      record(
        {
          long: "x".repeat(1_000_000),
          many: Array.from({ length: 100_000 }, (_, i) => i),
          wide,
          cyclic,
          throwing,
          big: 10n,
          fn: () => 1,
          sym: Symbol("s"),
          bytes: new Uint8Array(1000),
          nan: Number.NaN,
          when: new Date(0),
        },
        {
          // Providers are trusted code, but a wrong type must not break the filters either.
          opcodeName: 5 as unknown as string,
          path: { not: "a string" } as unknown as string,
          summary: "odd",
        },
      ),
    );
    const res = await api(base, "GET", "/_sandbox/console/traffic?opcode=od");
    expect(res.status).toBe(200);
    const all = await api(base, "GET", "/_sandbox/console/traffic?path=/");
    expect(all.status).toBe(200);
    const odd = (await api(base, "GET", "/_sandbox/console/traffic")).body.records.find(
      (r: { summary: string }) => r.summary === "odd",
    );
    const p = odd.payload;
    expect(p.long.length).toBeLessThan(SAFE_LIMITS.string + 100);
    expect(p.long).toMatch(/truncated/);
    expect(p.many.length).toBeLessThanOrEqual(SAFE_LIMITS.array + 1);
    expect(String(p.many.at(-1))).toMatch(/more/);
    expect(Object.keys(p.wide).length).toBeLessThanOrEqual(SAFE_LIMITS.keys + 1);
    expect(p.cyclic.self).toMatch(/circular/);
    expect(p.throwing.boom).toMatch(/unreadable/);
    expect(p.big).toBe("10");
    expect(p.bytes).toMatch(/1000 bytes/);
    expect(p.when).toBe("1970-01-01T00:00:00.000Z");
    // The whole record stays small.
    expect(JSON.stringify(odd).length).toBeLessThan(SAFE_LIMITS.budget * 2);
  });

  it("safeValue keeps ordinary values as they are", () => {
    const v = { a: [1, "two", null, true, { b: 3 }], c: "ü".repeat(10) };
    expect(safeValue(v)).toEqual(v);
    expect(safeValue(nested(SAFE_LIMITS.depth - 1))).toEqual(nested(SAFE_LIMITS.depth - 1));
  });
});

describe("console traffic API with a deeply nested MAX frame before login", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ port: 0, data: null });
    await api(sb.urls.console, "POST", "/_sandbox/console/traffic/record", { on: true });
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("answers 200 and other clients are still served", async () => {
    const evil = await RawClient.connect(sb.urls.max);
    try {
      // A hello whose payload is nested 10,000 deep, before any login.
      const frame = `{"ver":11,"cmd":0,"seq":1,"opcode":6,"payload":${"[".repeat(10_000)}${"]".repeat(10_000)}}`;
      evil.ws.send(frame);
      const other = await RawClient.connect(sb.urls.max);
      await other.hello();
      other.close();
      const res = await api(sb.urls.console, "GET", "/_sandbox/console/traffic?platform=max");
      expect(res.status).toBe(200);
      expect(res.body.records.length).toBeGreaterThan(0);
    } finally {
      evil.close();
    }
  });
});
