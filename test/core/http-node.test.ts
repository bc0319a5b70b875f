/**
 * HttpClient sends over node:http unless a fetch is injected: every behaviour fetch gave us
 * (redirects, decoding, Set-Cookie, body types, abort and timeout mid-body) is checked on both
 * transports against the same loopback server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { AbortError, TimeoutError, TransportError } from "../../src/core/errors.js";
import { type CookieHooks, HttpClient, type HttpClientOptions } from "../../src/core/http.js";

interface Hit {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

async function serve(
  handler: (hit: Hit, res: ServerResponse) => void,
): Promise<{ base: string; hits: Hit[] }> {
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
      handler(hit, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

const transports: [string, Partial<HttpClientOptions>][] = [
  ["node:http", {}],
  ["injected fetch", { fetch: (input, init) => globalThis.fetch(input, init) }],
];

describe.each(transports)("HttpClient over %s", (_name, extra) => {
  it("follows redirects like fetch: 302 POST becomes GET, 307 keeps the body, credentials stay on the origin", async () => {
    const other = await serve((_h, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"where":"other"}');
    });
    const { base, hits } = await serve((h, res) => {
      if (h.url === "/302") res.writeHead(302, { location: "/final?access_token=t0ken" }).end();
      else if (h.url === "/307") res.writeHead(307, { location: "/final" }).end();
      else if (h.url === "/away") res.writeHead(301, { location: `${other.base}/there` }).end();
      else if (h.url.startsWith("/final")) res.writeHead(200, { "content-type": "text/plain" }).end(h.body);
      else res.writeHead(404).end();
    });
    const http = new HttpClient({ baseUrl: base, headers: { authorization: "Bearer x" }, ...extra });

    const a = await http.post("/302", { json: { a: 1 } });
    expect(a.status).toBe(200);
    expect(a.url).toBe(`${base}/final?access_token=[redacted]`);
    expect(hits[1]).toMatchObject({ method: "GET", body: "" });
    expect(hits[1]?.headers["content-type"]).toBeUndefined();

    const b = await http.post("/307", { json: { a: 2 } });
    expect(b.data).toEqual({ a: 2 });
    expect(hits[3]).toMatchObject({ method: "POST", body: '{"a":2}' });
    expect(hits[3]?.headers.authorization).toBe("Bearer x");

    const c = await http.get("/away");
    expect(c.data).toEqual({ where: "other" });
    expect(other.hits[0]?.headers.authorization).toBeUndefined();

    const manual = await http.get("/302", { redirect: "manual" });
    expect(manual.status).toBe(302);
    expect(manual.headers.get("location")).toBe("/final?access_token=t0ken");

    const err = await http.get("/302", { redirect: "error", retries: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
  });

  it("decodes gzip, deflate and br bodies and keeps every Set-Cookie header", async () => {
    const body = JSON.stringify({ text: "сжатый ответ 你好", n: 7 });
    const { base } = await serve((h, res) => {
      const enc = h.url.slice(1);
      const packed =
        enc === "gzip" ? gzipSync(body) : enc === "deflate" ? deflateSync(body) : brotliCompressSync(body);
      res.setHeader("set-cookie", ["a=1; Path=/", "b=2; Path=/; HttpOnly"]);
      res.writeHead(200, { "content-type": "application/json", "content-encoding": enc });
      res.end(packed);
    });
    const http = new HttpClient({ baseUrl: base, ...extra });
    for (const enc of ["gzip", "deflate", "br"]) {
      const r = await http.get(`/${enc}`);
      expect(r.data).toEqual({ text: "сжатый ответ 你好", n: 7 });
      expect(r.headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; Path=/; HttpOnly"]);
    }
  });

  it("sends string, bytes, URLSearchParams and FormData bodies with fetch's content types", async () => {
    const { base, hits } = await serve((_h, res) => res.writeHead(204).end());
    const http = new HttpClient({ baseUrl: base, ...extra });
    await http.post("/s", { body: "plain ü" });
    await http.post("/b", {
      body: new Uint8Array([1, 2, 3]).subarray(1),
      headers: { "Content-Type": "x/y" },
    });
    await http.post("/u", { body: new URLSearchParams({ q: "a b" }) });
    const fd = new FormData();
    fd.append("field", "value");
    await http.post("/f", { body: fd });
    await http.post("/e");

    expect(hits[0]).toMatchObject({ body: "plain ü" });
    expect(hits[0]?.headers["content-type"]).toBe("text/plain;charset=UTF-8");
    expect(Buffer.from(hits[1]?.body ?? "", "latin1")).toEqual(Buffer.from([2, 3]));
    expect(hits[1]?.headers["content-type"]).toBe("x/y");
    expect(hits[2]?.body).toBe("q=a+b");
    expect(hits[2]?.headers["content-type"]).toBe("application/x-www-form-urlencoded;charset=UTF-8");
    expect(hits[3]?.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(hits[3]?.body).toContain('name="field"');
    expect(hits[4]?.headers["content-length"]).toBe("0");
  });

  it("aborts and times out while the body is still arriving", async () => {
    const { base } = await serve((_h, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"partial":');
    });
    const http = new HttpClient({ baseUrl: base, retries: 0, ...extra });
    const ctl = new AbortController();
    const p = http.get("/stall", { signal: ctl.signal });
    // Abort after the server has answered the head (if the machine is slow, earlier: same error).
    await new Promise((r) => setTimeout(r, 50));
    ctl.abort();
    await expect(p).rejects.toBeInstanceOf(AbortError);

    await expect(http.get("/stall", { timeoutMs: 50 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it("reports a connection the server drops mid-request as a retryable TransportError", async () => {
    let n = 0;
    const { base } = await serve((_h, res) => {
      n += 1;
      if (n === 1) res.socket?.destroy();
      else res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    });
    const http = new HttpClient({ baseUrl: base, backoff: { baseMs: 1, maxMs: 5 }, ...extra });
    expect(await http.data({ path: "/x" })).toEqual({ ok: true });
    n = 0;
    const failed = await http.get("/x", { retries: 0 }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(TransportError);
    expect((failed as TransportError).retryable).toBe(true);
  });

  it("feeds a cookie jar every Set-Cookie and sends its Cookie header, sync or async", async () => {
    const { base, hits } = await serve((h, res) => {
      if (h.url === "/login") res.setHeader("set-cookie", ["sid=abc; Path=/", "lang=ru; Path=/"]);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    const seen: [string, readonly string[]][] = [];
    let asyncHeader = false;
    const jar: CookieHooks = {
      header: () => {
        const v = seen.length ? seen.flatMap(([, c]) => c.map((x) => x.split(";")[0])).join("; ") : undefined;
        return asyncHeader ? Promise.resolve(v) : v;
      },
      store: (url, c) => {
        seen.push([url, c]);
      },
    };
    const http = new HttpClient({ baseUrl: base, cookies: jar, ...extra });
    await http.post("/login", { form: { u: "1" } });
    expect(seen).toEqual([[`${base}/login`, ["sid=abc; Path=/", "lang=ru; Path=/"]]]);
    expect(hits[0]?.headers.cookie).toBeUndefined();
    await http.get("/me");
    asyncHeader = true;
    await http.get("/me", { headers: { cookie: "overridden=1" } });
    expect(hits[1]?.headers.cookie).toBe("sid=abc; lang=ru");
    expect(hits[2]?.headers.cookie).toBe("sid=abc; lang=ru");
    expect(seen).toHaveLength(1);
  });
});

describe("HttpClient over node:http with a cookie jar", () => {
  it("stores the cookies of every redirect hop and sends them on the next hop", async () => {
    const { base, hits } = await serve((h, res) => {
      if (h.url === "/login") {
        res.setHeader("set-cookie", "sid=hop1; Path=/");
        res.writeHead(302, { location: "/home" }).end();
      } else res.writeHead(200, { "content-type": "text/plain" }).end(h.headers.cookie ?? "none");
    });
    const cookies = new Map<string, string>();
    const jar: CookieHooks = {
      header: () => (cookies.size ? [...cookies].map(([k, v]) => `${k}=${v}`).join("; ") : undefined),
      store: async (_url, c) => {
        for (const line of c) {
          const [k, v] = (line.split(";")[0] ?? "").split("=");
          if (k && v !== undefined) cookies.set(k, v);
        }
      },
    };
    const http = new HttpClient({ baseUrl: base, cookies: jar });
    expect(await http.data({ path: "/login", method: "POST", form: { u: "1" } })).toBe("sid=hop1");
    expect(hits.map((h) => [h.method, h.url])).toEqual([
      ["POST", "/login"],
      ["GET", "/home"],
    ]);
  });
});

describe.each(transports)("HttpClient over %s, invalid headers", (_name, extra) => {
  it("fails at once with the validation error, without a request or a retry", async () => {
    const { base, hits } = await serve((_h, res) => res.writeHead(204).end());
    const http = new HttpClient({ baseUrl: base, ...extra });
    const err = await http.get("/x", { headers: { "x-bad": "line\nbreak" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(hits).toHaveLength(0);
  });
});
