/**
 * Fuzz of the emulator's request parsing: random methods, paths, query strings, headers and
 * bodies (over fetch, and as raw bytes over a socket) always get a JSON MaxIM envelope whose code
 * is 200 or one of the seed's table, never an internal error (20000), and the server keeps serving.
 */
import { connect } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROUTES } from "../../src/maxim/emulator/server.js";
import { ERROR_CODES } from "../../src/maxim/protocol.js";
import { api, type Harness, startEmulator, TOKEN } from "./harness.js";

let h: Harness;
let userToken: string;
let userId: number;

beforeAll(async () => {
  h = await startEmulator();
  userId = (await api(h.base, "POST", "/user/register/v2", { username: "fuzz_user", password: "p" })).json
    .data.user_id;
  // The first group gets the seed's example id 2306414607729, which the bodies below use.
  await api(h.base, "POST", "/group/create", { name: "fuzz" }, userId);
  userToken = (await api(h.base, "POST", "/token/user", { name: "fuzz_user", password: "p" })).json.data
    .token;
});
afterAll(() => h.close());

const KNOWN = new Set<number>([200, ...Object.keys(ERROR_CODES).map(Number)]);
const PATHS = [...new Set(ROUTES.map((r) => r.endpoint.path))];
const byPath = (p: string) => ROUTES.find((r) => r.endpoint.path === p) as (typeof ROUTES)[number];
const FIELDS = [
  "targets",
  "type",
  "content_type",
  "content",
  "attachment",
  "ext",
  "config",
  "from_user_id",
  "transaction_id",
  "list",
  "user_id",
  "group_id",
  "user_list",
  "name",
  "password",
  "username",
  "audience",
  "message",
  "value",
  "duration",
  "title",
  "file_list",
  "group_list",
  "avatar",
  "old_password",
  "new_password",
  "login_name",
  "device_guid",
  "approval",
  "new_owner",
  "url",
  "size",
  "tags",
  "push_token",
  "alias",
  "auth_mode",
  "reason",
];
const QUERY_KEYS = [
  "group_id",
  "user_id",
  "cursor",
  "limit",
  "page_num",
  "page_size",
  "device_sn",
  "conversation_id",
  "opposite_id",
  "msg_id_start",
  "msg_id",
  "roster_id",
  "mobile",
  "nick_name",
  "username",
  "announcement_id",
  "file_id",
  "version",
];

const printable = fc.string({
  unit: fc.constantFrom(..."abcXYZ019_-.:/ %+@!*'()[]{}\"\\;,=?&#".split("")),
  maxLength: 24,
});
const idLike = fc.oneof(
  fc.constantFrom("0", "1", "-1", "1e3", "2199040544848", "99999999999999999999", "", "NaN", "null"),
  fc.integer({ min: -5, max: 3_000_000_000_000 }).map(String),
  printable,
);
const jsonValue = fc.jsonValue({ maxDepth: 3 });
const fieldValue = fc.oneof(
  jsonValue,
  // The ids the harness hands out first: fuzz_user, its group, the seed's user a.
  fc.constantFrom(
    2302128618880,
    2306414607729,
    2199040544848,
    0,
    -1,
    1.5,
    2 ** 63,
    "all",
    [],
    {},
    null,
    true,
  ),
  fc.array(fc.oneof(fc.integer(), fc.string(), fc.constant(null)), { maxLength: 4 }),
);
const bodyObject = fc.dictionary(fc.constantFrom(...FIELDS), fieldValue, { maxKeys: 6 });
const body = fc.oneof(
  bodyObject.map((o) => JSON.stringify(o)),
  jsonValue.map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 64 }),
  fc.constantFrom("", "{", "[1,2", '{"a":}', "null", "\u0000", '{"__proto__":{"x":1}}', "\uFEFF{}"),
  fc.constant(undefined),
);
const query = fc
  .array(fc.tuple(fc.constantFrom(...QUERY_KEYS), idLike), { maxLength: 4 })
  .map((pairs) =>
    pairs.length ? `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")}` : "",
  );
const path = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PATHS) },
  { weight: 1, arbitrary: printable.map((p) => `/${encodeURIComponent(p)}`) },
  { weight: 1, arbitrary: fc.constantFrom(...PATHS).map((p) => `${p}/extra`) },
);
const headers = fc.record(
  {
    app_id: fc.oneof(
      fc.constant("welovemaxim"),
      printable.filter((s) => s.trim() === s && s !== ""),
    ),
    "access-token": fc.oneof(
      fc.constant(TOKEN),
      fc.constant("USER"),
      printable.filter((s) => s.trim() === s),
    ),
    user_id: fc.oneof(
      fc.constant(""),
      idLike.filter((s) => s.trim() === s),
    ),
    "content-type": fc.constantFrom(
      "application/json",
      "text/plain",
      "application/x-www-form-urlencoded",
      "application/json; charset=utf-8",
      "multipart/form-data; boundary=x",
      ";;",
      "application/",
    ),
  },
  { requiredKeys: [] },
);

/** Codes seen, so each property can show it reached past the first checks. */
const seen = new Set<number>();

function assertEnvelope(status: number, text: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`not JSON (HTTP ${status}): ${text.slice(0, 120)}`);
  }
  const code = (parsed as { code?: unknown }).code;
  if (typeof code !== "number" || !KNOWN.has(code))
    throw new Error(`code ${String(code)} not in the table: ${text.slice(0, 160)}`);
  seen.add(code);
  if (code === 20000) throw new Error(`internal error for a fuzzed request: ${text.slice(0, 160)}`);
  if (![200, 400, 404].includes(status)) throw new Error(`HTTP ${status}: ${text.slice(0, 120)}`);
}

async function stillServing(): Promise<void> {
  const r = await api(h.base, "GET", "/user/profile", undefined, userId);
  expect(r.json.code).toBe(200);
}

describe("fuzzed requests always get a MaxIM envelope", () => {
  it("random method, path, query, headers and body over HTTP", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"),
        path,
        query,
        headers,
        body,
        async (method, p, q, hdrs, b) => {
          const sent: Record<string, string> = {};
          for (const [k, v] of Object.entries(hdrs))
            if (v !== undefined) sent[k] = k === "access-token" && v === "USER" ? userToken : v;
          const withBody = method !== "GET" && b !== undefined;
          const res = await fetch(h.base + p + q, { method, headers: sent, body: withBody ? b : undefined });
          assertEnvelope(res.status, await res.text());
        },
      ),
      {
        numRuns: 400,
        // The credential checks, whatever the random draw: unknown app, no token, bad token.
        examples: [
          ["GET", "/user/profile", "", { app_id: "nope" }, undefined],
          ["GET", "/user/profile", "", { app_id: "welovemaxim" }, undefined],
          ["GET", "/user/profile", "", { app_id: "welovemaxim", "access-token": "bad" }, undefined],
        ],
      },
    );
    for (const c of [10002, 10003, 10008, 40000]) expect(seen).toContain(c);
    await stillServing();
  });

  it("random well-formed bodies on every route with valid credentials (handler-level validation)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        bodyObject,
        query,
        fc.boolean(),
        async (route, b, q, asUser) => {
          const method = route.endpoint.method as string;
          const hdrs: Record<string, string> = {
            "content-type": "application/json",
            app_id: "welovemaxim",
            "access-token": TOKEN,
          };
          if (asUser) hdrs.user_id = String(userId);
          const res = await fetch(h.base + route.endpoint.path + q, {
            method,
            headers: hdrs,
            body: method === "GET" ? undefined : JSON.stringify(b),
          });
          assertEnvelope(res.status, await res.text());
        },
      ),
      {
        numRuns: 400,
        // Always also one request that gets past validation, and one into the group rules.
        examples: [
          [
            byPath("/message/send"),
            { targets: [2199040544848], type: 1, content_type: 0, content: "x" },
            "",
            false,
          ],
          [byPath("/group/info"), {}, "?group_id=1", true],
        ],
      },
    );
    // Past validation into the business rules: successes and group codes as well.
    expect(seen).toContain(200);
    expect([...seen].some((c) => c >= 20001 && c < 30000)).toBe(true);
    await stillServing();
  });

  it("raw bytes: broken request lines, paths and headers over a socket", async () => {
    const url = new URL(h.base);
    const send = (bytes: string) =>
      new Promise<string>((resolve, reject) => {
        const sock = connect(Number(url.port), url.hostname);
        let out = "";
        sock.setEncoding("latin1");
        sock.on("data", (d) => {
          out += d;
        });
        sock.on("error", reject);
        sock.on("close", () => resolve(out));
        sock.setTimeout(5000, () => sock.destroy(new Error("timeout")));
        sock.end(bytes, "latin1");
      });
    const rawPath = fc.string({
      unit: fc.constantFrom(..."/abc%zZ09?&=#.\u00ff\u0080\t~".split("")),
      minLength: 1,
      maxLength: 20,
    });
    const headerLine = fc.oneof(
      fc.constantFrom(
        "app_id: welovemaxim",
        `access-token: ${TOKEN}`,
        "user_id: x",
        "Content-Length: 5",
        "Content-Length: -1",
      ),
      fc.string({ unit: fc.constantFrom(..."ab:_- \u00ff\u0001".split("")), maxLength: 16 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "BREW", "G ET", ""),
        rawPath,
        fc.array(headerLine, { maxLength: 4 }),
        fc.string({ maxLength: 16 }),
        async (method, p, lines, b) => {
          const req = `${method} ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${lines.map((l) => `${l}\r\n`).join("")}\r\n${b}`;
          const res = await send(req);
          // Every answer that comes back (pipelined leftovers get their own) is a MaxIM envelope.
          let rest = res;
          while (rest !== "") {
            const m = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n/.exec(rest);
            if (!m) throw new Error(`not HTTP: ${JSON.stringify(rest.slice(0, 80))}`);
            const split = rest.indexOf("\r\n\r\n");
            const head = rest.slice(0, split);
            const length = /content-length: (\d+)/i.exec(head);
            if (!length) throw new Error(`no Content-Length: ${JSON.stringify(head)}`);
            const end = split + 4 + Number(length[1]);
            assertEnvelope(
              Number(m[1]),
              Buffer.from(rest, "latin1")
                .subarray(split + 4, end)
                .toString("utf8"),
            );
            rest = rest.slice(end);
          }
        },
      ),
      { numRuns: 150 },
    );
    await stillServing();
  });
});
