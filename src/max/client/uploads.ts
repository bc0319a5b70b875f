/**
 * HTTP side of MAX media: a streamed multipart POST (field `file`) with progress, and
 * downloads. Bytes are never buffered whole: a 4 GB file streams from disk to the socket.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { basename } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AbortError, ApiError, TimeoutError, TransportError } from "../../core/errors.js";
import { redactUrl } from "../../core/redact.js";
import { WEB_ORIGIN } from "../protocol.js";

export interface UploadProgress {
  sent: number;
  /** Total bytes when known (paths and sized streams). */
  total?: number;
}

export interface UploadSource {
  /** A path on disk, or a readable stream of the bytes. */
  source: string | NodeJS.ReadableStream;
  /** File name sent to the server (default: the path's base name, or `file`). */
  name?: string;
  /** Byte count of a stream source, for Content-Length and progress totals. */
  size?: number;
  mimeType?: string;
}

export interface HttpOptions {
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
  /** Whole-request time limit (default 10 min: big files on slow links). */
  timeoutMs?: number;
  headers?: Record<string, string>;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

function transportFor(url: URL): typeof http | typeof https {
  return url.protocol === "https:" ? https : http;
}

function escapeQuoted(s: string): string {
  return s.replace(/["\\\r\n]/g, "_");
}

/** POSTs one file as multipart field `file` and returns the parsed JSON (or text) answer. */
export async function postMultipart(
  uploadUrl: string,
  file: UploadSource,
  options: HttpOptions = {},
): Promise<unknown> {
  const url = new URL(uploadUrl);
  let size = file.size;
  let body: NodeJS.ReadableStream;
  let name = file.name;
  if (typeof file.source === "string") {
    size = (await stat(file.source)).size;
    name ??= basename(file.source);
    body = createReadStream(file.source);
  } else {
    body = file.source;
  }
  name ??= "file";
  const boundary = `----switchboard${randomBytes(12).toString("hex")}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${escapeQuoted(name)}"\r\n` +
      `Content-Type: ${file.mimeType ?? "application/octet-stream"}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const headers: Record<string, string> = {
    "content-type": `multipart/form-data; boundary=${boundary}`,
    origin: WEB_ORIGIN,
    referer: `${WEB_ORIGIN}/`,
    ...options.headers,
  };
  if (size !== undefined) headers["content-length"] = String(head.length + size + tail.length);

  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      sent += chunk.length;
      options.onProgress?.(size === undefined ? { sent } : { sent, total: size });
      cb(null, chunk);
    },
  });
  async function* parts(): AsyncGenerator<Buffer> {
    yield head;
    for await (const chunk of body.pipe(counter)) yield chunk as Buffer;
    yield tail;
  }

  const { status, text } = await request(url, "POST", headers, Readable.from(parts()), options);
  if (status < 200 || status >= 300) {
    throw new ApiError(`upload failed: HTTP ${status}`, {
      platform: "max",
      code: status,
      retryable: status >= 500,
      details: { url: redactUrl(uploadUrl) },
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Downloads `url` to a path (returns the byte count) or, without a path, into memory. */
export async function download(
  fileUrl: string,
  destination?: string,
  options: HttpOptions = {},
): Promise<{ bytes: number; data?: Buffer }> {
  const url = new URL(fileUrl);
  return new Promise((resolve, reject) => {
    const req = openRequest(
      url,
      "GET",
      { origin: WEB_ORIGIN, ...options.headers },
      options,
      reject,
      (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          res.resume();
          reject(
            new ApiError(`download failed: HTTP ${status}`, {
              platform: "max",
              code: status,
              details: { url: redactUrl(fileUrl) },
            }),
          );
          return;
        }
        const total = Number(res.headers["content-length"]) || undefined;
        let bytes = 0;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => {
          bytes += c.length;
          options.onProgress?.(total === undefined ? { sent: bytes } : { sent: bytes, total });
          if (!destination) chunks.push(c);
        });
        if (destination) {
          pipeline(res, createWriteStream(destination, { mode: 0o600 })).then(
            () => resolve({ bytes }),
            reject,
          );
        } else {
          res.on("end", () => resolve({ bytes, data: Buffer.concat(chunks) }));
          res.on("error", reject);
        }
      },
    );
    req.end();
  });
}

function request(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Readable,
  options: HttpOptions,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = openRequest(url, method, headers, options, reject, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    body.on("error", (err) => req.destroy(err));
    body.pipe(req);
  });
}

/** Opens a request with the time limit and abort wired to typed errors. */
function openRequest(
  url: URL,
  method: string,
  headers: Record<string, string>,
  options: HttpOptions,
  reject: (err: Error) => void,
  onResponse: (res: http.IncomingMessage) => void,
): http.ClientRequest {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let failed: Error | undefined;
  const req = transportFor(url).request(url, { method, headers }, onResponse);
  const timer = setTimeout(() => {
    failed = new TimeoutError(`${method} timed out after ${timeoutMs} ms`, {
      platform: "max",
      code: "timeout",
    });
    req.destroy(failed);
  }, timeoutMs);
  const onAbort = () => {
    failed = new AbortError("max", options.signal?.reason);
    req.destroy(failed);
  };
  if (options.signal?.aborted) queueMicrotask(onAbort);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const cleanup = () => {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  };
  req.on("close", cleanup);
  req.on("error", (err) => {
    cleanup();
    reject(
      failed ??
        new TransportError(`${method} ${redactUrl(url.origin + url.pathname)} failed: ${err.message}`, {
          platform: "max",
          code: "http_failed",
          cause: err,
        }),
    );
  });
  return req;
}
