import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  AbortError,
  ApiError,
  AuthError,
  RateLimitError,
  TimeoutError,
  TransportError,
} from "../../src/core/errors.js";
import { HttpClient, parseRetryAfter } from "../../src/core/http.js";

interface Hit {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

type Handler = (hit: Hit, res: ServerResponse, n: number) => void;

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

async function serve(handler: Handler): Promise<{ base: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const hit = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      hits.push(hit);
      handler(hit, res, hits.length);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

const fast = { baseMs: 5, maxMs: 20 };

describe("HttpClient requests", () => {
  it("joins base URL and path, sends default and per-request headers, query, JSON and form bodies", async () => {
    const { base, hits } = await serve((_h, res) => json(res, 200, { ok: true }));
    let calls = 0;
    const http = new HttpClient({
      baseUrl: `${base}/api/`,
      headers: () => {
        calls += 1;
        return { "x-app": "sb", "x-call": String(calls) };
      },
    });
    const r = await http.get("/users", { query: { id: [1, 2], q: "a b", skip: undefined } });
    expect(r.status).toBe(200);
    expect(r.data).toEqual({ ok: true });
    expect(hits[0]?.url).toBe("/api/users?id=1&id=2&q=a+b");
    expect(hits[0]?.headers["x-app"]).toBe("sb");

    await http.post("send", { json: { text: "hi" }, headers: { "x-call": "override" } });
    expect(hits[1]?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(hits[1]?.body ?? "")).toEqual({ text: "hi" });
    expect(hits[1]?.headers["x-call"]).toBe("override");

    await http.post("login", { form: { u: "10001", p: "x y", none: null } });
    expect(hits[2]?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(hits[2]?.body).toBe("u=10001&p=x+y");
  });

  it("keeps non-JSON bodies as text and can return bytes", async () => {
    const { base } = await serve((_h, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ptuiCB('0','0','ok')");
    });
    const http = new HttpClient({ baseUrl: base });
    expect(await http.data({ path: "/check" })).toBe("ptuiCB('0','0','ok')");
    const bytes = await http.data({ path: "/file", responseType: "bytes" });
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(bytes as Uint8Array).toString()).toBe("ptuiCB('0','0','ok')");
  });

  it("maps 401 to AuthError and other 4xx to ApiError without retrying", async () => {
    const { base, hits } = await serve((h, res) => json(res, h.url === "/me" ? 401 : 404, { error: "x" }));
    const http = new HttpClient({ baseUrl: base, backoff: fast });
    await expect(http.get("/me")).rejects.toBeInstanceOf(AuthError);
    const err = await http.get("/missing").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(404);
    expect(hits).toHaveLength(2);
  });

  it("lets the platform hook turn a 200 body into typed errors, retrying retryable ones", async () => {
    const { base, hits } = await serve((h, res) => {
      if (h.url === "/auth") return json(res, 200, { code: 10008, msg: "token expired" });
      json(res, 200, hits.length < 3 ? { retcode: 116 } : { retcode: 0, result: "ok" });
    });
    const http = new HttpClient({
      baseUrl: base,
      backoff: fast,
      mapResponse: (r) => {
        const d = r.data as { code?: number; retcode?: number };
        if (d.code === 10008) return new AuthError("token expired", { platform: "maxim", code: 10008 });
        if (d.retcode === 116) return new TransportError("relink", { platform: "webqq", code: 116 });
        return undefined;
      },
    });
    const err = await http.post("/auth").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).platform).toBe("maxim");
    expect(await http.data({ path: "/poll" })).toEqual({ retcode: 0, result: "ok" });
    expect(hits).toHaveLength(3);
  });
});

describe("HttpClient retries", () => {
  it("retries 503 for GET, then succeeds", async () => {
    const { base, hits } = await serve((_h, res, n) => (n < 3 ? json(res, 503, {}) : json(res, 200, { n })));
    const http = new HttpClient({ baseUrl: base, backoff: fast });
    expect(await http.data({ path: "/x" })).toEqual({ n: 3 });
    expect(hits).toHaveLength(3);
  });

  it("gives up after the retry budget with a retryable TransportError", async () => {
    const { base, hits } = await serve((_h, res) => json(res, 502, {}));
    const http = new HttpClient({ baseUrl: base, backoff: fast, retries: 2 });
    const err = await http.get("/x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe(502);
    expect((err as TransportError).retryable).toBe(true);
    expect((err as Error).message).toContain("after 3 attempts");
    expect(hits).toHaveLength(3);
  });

  it("does not retry POST unless the caller marks it idempotent", async () => {
    const first = await serve((_h, res) => json(res, 503, {}));
    const http = new HttpClient({ baseUrl: first.base, backoff: fast });
    await expect(http.post("/send", { json: {} })).rejects.toBeInstanceOf(TransportError);
    expect(first.hits).toHaveLength(1);

    const second = await serve((_h, res, n) => (n < 2 ? json(res, 503, {}) : json(res, 200, { ok: 1 })));
    const r = await http.post(`${second.base}/send`, { json: {}, idempotent: true });
    expect(r.data).toEqual({ ok: 1 });
    expect(second.hits).toHaveLength(2);
  });

  it("honours Retry-After in seconds", async () => {
    const { base, hits } = await serve((_h, res, n) =>
      n < 2 ? json(res, 429, {}, { "retry-after": "1" }) : json(res, 200, { ok: true }),
    );
    const http = new HttpClient({ baseUrl: base, backoff: { baseMs: 1, maxMs: 1 } });
    const t0 = Date.now();
    expect(await http.data({ path: "/x" })).toEqual({ ok: true });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(hits).toHaveLength(2);
  });

  it("caps Retry-After at maxRetryAfterMs", async () => {
    const { base, hits } = await serve((_h, res, n) =>
      n < 2 ? json(res, 503, {}, { "retry-after": "3600" }) : json(res, 200, { ok: true }),
    );
    const http = new HttpClient({ baseUrl: base, maxRetryAfterMs: 20 });
    expect(await http.data({ path: "/x" })).toEqual({ ok: true });
    expect(hits).toHaveLength(2);
  });

  it("surfaces a final 429 as RateLimitError with retryAfterMs", async () => {
    const { base } = await serve((_h, res) => json(res, 429, {}, { "retry-after": "7" }));
    const http = new HttpClient({ baseUrl: base, retries: 0 });
    const err = await http.get("/x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(7000);
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("Sun, 22 Nov 2026 00:00:00 GMT");
    expect(parseRetryAfter("2", now)).toBe(2000);
    expect(parseRetryAfter("Sun, 22 Nov 2026 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Sat, 21 Nov 2026 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it("retries network errors and reports the cause code when they persist", async () => {
    const { base } = await serve(() => {});
    const dead = servers.pop()!;
    dead.closeAllConnections();
    await new Promise<void>((r) => dead.close(() => r()));
    const http = new HttpClient({ baseUrl: base, backoff: fast, retries: 1 });
    const err = await http.get("/x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe("ECONNREFUSED");
  });
});

describe("HttpClient timeouts, abort and redaction", () => {
  it("times out an attempt with TimeoutError", async () => {
    const { base, hits } = await serve((_h, res) => {
      setTimeout(() => json(res, 200, {}), 1000);
    });
    const http = new HttpClient({ baseUrl: base });
    const err = await http.post("/slow", { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(hits).toHaveLength(1);
  });

  it("retries a timed-out GET and returns the later answer", async () => {
    const { base, hits } = await serve((_h, res, n) => {
      setTimeout(() => json(res, 200, { n }), n === 1 ? 1000 : 0);
    });
    const http = new HttpClient({ baseUrl: base, backoff: fast, timeoutMs: 100 });
    expect(await http.data({ path: "/x" })).toEqual({ n: 2 });
    expect(hits).toHaveLength(2);
  });

  it("aborts in flight and during the backoff wait", async () => {
    const { base } = await serve((h, res) => {
      if (h.url === "/slow") setTimeout(() => json(res, 200, {}), 1000);
      else json(res, 503, {}, { "retry-after": "30" });
    });
    const http = new HttpClient({ baseUrl: base });
    const ctl = new AbortController();
    const p = http.get("/slow", { signal: ctl.signal });
    setTimeout(() => ctl.abort(), 30);
    await expect(p).rejects.toBeInstanceOf(AbortError);

    const ctl2 = new AbortController();
    const q = http.get("/busy", { signal: ctl2.signal });
    setTimeout(() => ctl2.abort(), 100);
    await expect(q).rejects.toBeInstanceOf(AbortError);
  });

  it("aborts when the signal fires while the attempt is being prepared, and leaves a shared signal clean", async () => {
    const { base, hits } = await serve((_h, res) => setTimeout(() => json(res, 200, {}), 1000));
    const ctl = new AbortController();
    // The default headers are awaited before the request goes out: abort right there.
    const http = new HttpClient({
      baseUrl: base,
      timeoutMs: 5000,
      headers: async () => {
        ctl.abort();
        return {};
      },
    });
    const started = Date.now();
    await expect(http.get("/slow", { signal: ctl.signal })).rejects.toBeInstanceOf(AbortError);
    expect(Date.now() - started).toBeLessThan(900);
    expect(hits.length).toBeLessThanOrEqual(1);

    // Many calls under one long-lived signal (a client's lifecycle): one listener, no warning.
    const quick = await serve((_h, res) => json(res, 200, { ok: true }));
    const shared = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const client = new HttpClient({ baseUrl: quick.base });
      await Promise.all(Array.from({ length: 32 }, () => client.get("/q", { signal: shared.signal })));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
  });

  it("never puts secrets from the URL or headers into error messages", async () => {
    const secret = "S3CRET-tok-123";
    const { base } = await serve((h, res) => {
      if (h.url.startsWith("/slow")) setTimeout(() => json(res, 200, {}), 1000);
      else json(res, 500, { error: "boom" });
    });
    const http = new HttpClient({ baseUrl: base, headers: { authorization: `Bearer ${secret}` } });
    const errors: unknown[] = [];
    errors.push(await http.get(`/x?access_token=${secret}&user=1`).catch((e: unknown) => e));
    errors.push(
      await http
        .get("/slow", { query: { access_token: secret }, timeoutMs: 30, retries: 0 })
        .catch((e: unknown) => e),
    );
    const dead = await serve(() => {});
    const srv = servers.pop()!;
    await new Promise<void>((r) => srv.close(() => r()));
    errors.push(
      await http.get(`${dead.base}/y?access_token=${secret}`, { retries: 0 }).catch((e: unknown) => e),
    );

    expect(errors[0]).toBeInstanceOf(ApiError);
    expect(errors[1]).toBeInstanceOf(TimeoutError);
    expect(errors[2]).toBeInstanceOf(TransportError);
    for (const e of errors) {
      const err = e as ApiError;
      expect(err.message).toContain("access_token=[redacted]");
      expect(err.message).not.toContain(secret);
      expect(JSON.stringify(err.details)).not.toContain(secret);
    }
    expect((errors[0] as Error).message).toContain("user=1");
  });
});
