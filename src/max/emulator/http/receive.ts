import { createWriteStream } from "node:fs";
import { unlink } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { type Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import type { FileRow } from "../store/files.js";

import { fileNameFrom, GENERIC_MIME, guessMime, parseContentRange, safeName } from "./download.js";
import { HttpFailure, tooLarge } from "./errors.js";

export interface Received {
  row: FileRow;
  tmpPath: string;
  name: string;
  mime: string;
  size: number;
  head: Buffer;
}

/** PyMax: the body is the file, named by Content-Disposition, whole range in Content-Range. */
export async function receiveRaw(
  raw: IncomingMessage,
  dir: string,
  limit: number,
  claim: () => FileRow | undefined,
  received: Received[],
  abort: AbortController,
): Promise<void> {
  const range = parseContentRange(raw.headers["content-range"]);
  if (range === "invalid")
    throw new HttpFailure(416, "range.invalid", "Content-Range must be 'bytes 0-<n-1>/<n>'");
  if (range) {
    if (range.total > limit) throw tooLarge(limit);
    if (range.start !== 0 || range.end !== range.total - 1) {
      throw new HttpFailure(416, "range.unsupported", "Only whole-file uploads are accepted");
    }
  }
  const row = claim();
  if (!row) throw new HttpFailure(409, "upload.in.progress", "This upload is already in progress");
  const name = fileNameFrom(raw.headers["content-disposition"]) ?? "upload";
  const ct = (raw.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  const out = await receiveStream(raw, row, dir, limit, name, ct, abort.signal);
  received.push(out);
  if (range && out.size !== range.total) {
    throw new HttpFailure(400, "upload.incomplete", `Received ${out.size} of ${range.total} bytes`);
  }
}

/** vkmax / vkmax-node / the seed: multipart form, file in field `file` (several for photos). */
export function receiveMultipart(
  raw: IncomingMessage,
  dir: string,
  limit: number,
  claim: () => FileRow | undefined,
  received: Received[],
  abort: AbortController,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const writes: Promise<void>[] = [];
    // Rejects only once every file write has settled, so no temp file outlives the request.
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      abort.abort();
      Promise.allSettled(writes).then(() => reject(err));
    };
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: raw.headers,
        defParamCharset: "utf8",
        // One byte over the limit reaches our counter, which refuses it.
        limits: {
          fileSize: limit + 1,
          files: 10,
          fields: 50,
          fieldSize: 64 * 1024,
          parts: 100,
          headerPairs: 100,
        },
      });
    } catch {
      fail(new HttpFailure(400, "upload.form.invalid", "Malformed multipart form"));
      return;
    }
    bb.on("file", (field, stream, info) => {
      const row = field === "file" && !settled ? claim() : undefined;
      if (!row) {
        stream.resume();
        return;
      }
      const name = info.filename ? safeName(info.filename) : "upload";
      const mime = (info.mimeType ?? "").toLowerCase();
      writes.push(
        receiveStream(stream, row, dir, limit, name, mime, abort.signal).then(
          (r) => {
            received.push(r);
          },
          (err) => fail(err),
        ),
      );
    });
    bb.on("error", () => fail(new HttpFailure(400, "upload.form.invalid", "Malformed multipart form")));
    bb.on("close", () => {
      Promise.all(writes).then(() => {
        if (settled) return;
        settled = true;
        resolve();
      }, fail);
    });
    raw.on("close", () => {
      if (!raw.complete) fail(new Error("client aborted the upload"));
    });
    raw.pipe(bb);
  });
}

/** Counts bytes, refuses past the limit, and keeps the first bytes for image sniffing. */
class Meter extends Transform {
  size = 0;
  head = Buffer.alloc(0);

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limit) {
      cb(tooLarge(this.limit));
      return;
    }
    if (this.head.length < HEAD_BYTES) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, HEAD_BYTES - this.head.length)]);
    }
    cb(null, chunk);
  }
}

const HEAD_BYTES = 64 * 1024;
let tmpCounter = 0;

/** Streams one file into a temp file under `dir` and fsyncs it; the temp file is gone on failure. */
export async function receiveStream(
  source: Readable,
  row: FileRow,
  dir: string,
  limit: number,
  name: string,
  declaredMime: string,
  signal: AbortSignal,
): Promise<Received> {
  const tmpPath = join(dir, `.tmp-${row.id}-${process.pid}-${++tmpCounter}`);
  const meter = new Meter(limit);
  // The source is piped, not handed to pipeline(): a failed upload must not destroy the request
  // (that would strand the keep-alive socket); the caller drains it instead.
  let ended = false;
  const onEnd = () => {
    ended = true;
  };
  const onError = (err: Error) => meter.destroy(err);
  const onClose = () => {
    if (!ended) meter.destroy(new Error("upload stream closed before its end"));
  };
  source.once("end", onEnd);
  source.once("error", onError);
  source.once("close", onClose);
  source.pipe(meter);
  try {
    // `flush`: fsync before the descriptor closes; the pipeline settles only after that close.
    await pipeline(meter, createWriteStream(tmpPath, { flags: "wx", flush: true }), { signal });
  } catch (err) {
    source.unpipe(meter);
    await unlink(tmpPath).catch(() => {});
    throw err;
  } finally {
    source.off("end", onEnd);
    source.off("error", onError);
    source.off("close", onClose);
  }
  const mime = declaredMime && !GENERIC_MIME.has(declaredMime) ? declaredMime : guessMime(name, declaredMime);
  return { row, tmpPath, name, mime, size: meter.size, head: meter.head };
}

/** Moves the fsync'd temp file to its final name and marks the slot COMPLETE. */
