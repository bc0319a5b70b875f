/**
 * The default transport of HttpClient: node:http(s) over keep-alive agents instead of fetch.
 * fetch builds a Request, a Headers, a Response and an AbortSignal per call (undici's Request
 * alone costs ~13 µs, ~40 µs with a signal); here a call is one ClientRequest, aborted by
 * destroying it. It keeps what fetch does for us: redirects (follow/manual/error, method and
 * credential rules of the fetch spec), gzip/deflate/br decoding, default content types, a final
 * URL, and network errors shaped like fetch's (TypeError "fetch failed" with the cause).
 */
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import zlib from "node:zlib";

const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

const MAX_REDIRECTS = 20;
/** Headers a cross-origin redirect drops (fetch spec, as undici does). */
const CREDENTIALS = ["authorization", "proxy-authorization", "cookie", "host"];
const BODY_HEADERS = [
  "content-type",
  "content-length",
  "content-encoding",
  "content-language",
  "content-location",
];

export type NodeBody = string | Buffer | undefined;

export interface NodeResponse {
  status: number;
  headers: Headers;
  /** Final URL (after redirects), unredacted. */
  url: string;
  body: Buffer;
}

/**
 * A cookie jar under the client: asked for the Cookie header of every hop (redirects included)
 * and given every hop's Set-Cookie headers. Sync returns avoid a microtask per request.
 */
export interface CookieHooks {
  header(url: string): string | undefined | Promise<string | undefined>;
  store(url: string, setCookie: readonly string[]): void | Promise<void>;
}

/** One request in flight; `abort` destroys its socket and rejects with the reason. */
export interface Abortable {
  abort(reason?: unknown): void;
}

/**
 * The body as node:http can send it, with the content type fetch would have given it; undefined
 * when only fetch can send it (FormData, Blob, streams).
 */
export function nodeBody(
  body: RequestInit["body"] | undefined,
): { body: NodeBody; type?: string } | undefined {
  if (body === undefined || body === null) return { body: undefined };
  if (typeof body === "string") return { body, type: "text/plain;charset=UTF-8" };
  if (body instanceof URLSearchParams) {
    return { body: body.toString(), type: "application/x-www-form-urlencoded;charset=UTF-8" };
  }
  if (body instanceof ArrayBuffer) return { body: Buffer.from(body) };
  if (ArrayBuffer.isView(body)) return { body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
  return undefined;
}

function networkError(cause: unknown): TypeError {
  return new TypeError("fetch failed", { cause });
}

/**
 * Sends one request (following redirects per `redirect`) and reads the whole body. `headers`
 * keys are lower case. `onStart` receives the handle that aborts it.
 */
export function nodeRequest(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: NodeBody,
  redirect: RequestInit["redirect"],
  onStart: (handle: Abortable) => void,
  cookies?: CookieHooks,
): Promise<NodeResponse> {
  return new Promise<NodeResponse>((resolve, reject) => {
    let settled = false;
    let current: http.ClientRequest | undefined;
    let response: IncomingMessage | undefined;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      current?.destroy();
      response?.destroy();
      reject(err);
    };
    const done = (r: NodeResponse) => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    onStart({ abort: (reason) => fail(reason ?? new Error("aborted")) });
    if (settled) return;

    const send = (target: string, m: string, h: Record<string, string>, b: NodeBody, hops: number) => {
      let u: URL;
      try {
        u = new URL(target);
      } catch (err) {
        fail(networkError(err));
        return;
      }
      if (!(u.protocol in agents)) {
        fail(networkError(new Error(`unsupported protocol ${u.protocol}`)));
        return;
      }
      if (b !== undefined) h["content-length"] = String(Buffer.byteLength(b));
      else if (m === "POST" || m === "PUT" || m === "PATCH") h["content-length"] = "0";
      if (!cookies) return go(u, m, h, b, hops);
      let jar: ReturnType<CookieHooks["header"]>;
      try {
        jar = cookies.header(u.href);
      } catch (err) {
        return fail(err);
      }
      if (typeof jar === "string" || jar === undefined) {
        if (jar) h.cookie = jar;
        return go(u, m, h, b, hops);
      }
      jar.then((c) => {
        if (settled) return;
        if (c) h.cookie = c;
        go(u, m, h, b, hops);
      }, fail);
    };

    const go = (u: URL, m: string, h: Record<string, string>, b: NodeBody, hops: number) => {
      const agent = agents[u.protocol as keyof typeof agents] as http.Agent;
      let req: http.ClientRequest;
      try {
        req = (u.protocol === "https:" ? https : http).request(u, { method: m, headers: h, agent });
      } catch (err) {
        // Invalid header names or values: the caller's mistake, not the network's (fetch throws too).
        fail(err);
        return;
      }
      current = req;
      req.on("error", (err) => fail(networkError(err)));
      req.on("response", (res) => {
        response = res;
        const setCookie = res.headers["set-cookie"];
        let stored: void | Promise<void>;
        try {
          stored = cookies && setCookie ? cookies.store(u.href, setCookie) : undefined;
        } catch (err) {
          return fail(err);
        }
        if (stored) stored.then(() => settled || onResponse(res), fail);
        else onResponse(res);
      });
      const onResponse = (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (
          status >= 300 &&
          status < 400 &&
          location !== undefined &&
          status !== 304 &&
          redirect !== "manual"
        ) {
          res.resume();
          if (redirect === "error") return fail(networkError(new Error("unexpected redirect")));
          if (hops >= MAX_REDIRECTS) return fail(networkError(new Error("redirect count exceeded")));
          let next: URL;
          try {
            next = new URL(location, u);
          } catch (err) {
            return fail(networkError(err));
          }
          const nh = { ...h };
          let nm = m;
          let nb = b;
          if ((status === 303 && m !== "HEAD") || ((status === 301 || status === 302) && m === "POST")) {
            nm = "GET";
            nb = undefined;
            for (const k of BODY_HEADERS) delete nh[k];
          }
          if (next.origin !== u.origin) for (const k of CREDENTIALS) delete nh[k];
          send(next.href, nm, nh, nb, hops + 1);
          return;
        }
        readAll(res, u.href, status, done, fail);
      };
      req.end(b);
    };
    send(url, method, { ...headers }, body, 0);
  });
}

function readAll(
  res: IncomingMessage,
  url: string,
  status: number,
  resolve: (r: NodeResponse) => void,
  fail: (err: unknown) => void,
): void {
  const chunks: Buffer[] = [];
  const encoding = res.headers["content-encoding"]?.trim().toLowerCase();
  const decoder =
    encoding === "gzip" || encoding === "x-gzip"
      ? zlib.createGunzip({ flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH })
      : encoding === "deflate"
        ? zlib.createInflate({ flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH })
        : encoding === "br"
          ? zlib.createBrotliDecompress()
          : undefined;
  const source: NodeJS.ReadableStream = decoder ? res.pipe(decoder) : res;
  if (decoder) decoder.on("error", (err) => fail(networkError(err)));
  res.on("error", (err) => fail(networkError(err)));
  res.on("aborted", () => fail(networkError(new Error("terminated"))));
  source.on("data", (c: Buffer) => chunks.push(c));
  source.on("end", () => {
    const raw = res.rawHeaders;
    const headers = new Headers();
    for (let i = 0; i < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    resolve({ status, headers, url, body });
  });
}
