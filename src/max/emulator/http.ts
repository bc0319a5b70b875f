import { timingSafeEqual } from "node:crypto";
import { createReadStream, createWriteStream, mkdirSync, readdirSync, rmSync } from "node:fs";
import { rename, stat, unlink } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { basename, extname, join } from "node:path";
import { type Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ErrorCode, LIMITS, Opcode } from "../protocol.js";
import type { MaxConnection } from "./connection.js";
import type { MaxEmulator } from "./context.js";
import type { FileKind, FileRow } from "./store/files.js";

// ── URLs ────────────────────────────────────────────────────────────────────

const PATH_OF_KIND: Record<FileKind, string> = {
  photo: "photo",
  video: "video",
  audio: "audio",
  file: "file",
};
const KIND_OF_PATH: Record<string, FileKind> = {
  photo: "photo",
  video: "video",
  audio: "audio",
  file: "file",
};

/**
 * Upload URL of one 80/82/84/87 answer. Photos carry `photoIds` (PyMax and vkmax-node parse it
 * from the query); the other kinds name their id the way their answer does.
 */
export function uploadUrl(emu: MaxEmulator, kind: FileKind, rows: FileRow[]): string {
  const key = rows[0]?.upload_key ?? "";
  const ids = rows.map((r) => r.id).join(",");
  const idParam =
    kind === "photo" ? "photoIds" : kind === "video" ? "videoId" : kind === "audio" ? "audioId" : "fileId";
  return `${emu.config.publicHttpUrl()}/upload/${PATH_OF_KIND[kind]}?${idParam}=${ids}&apiToken=${encodeURIComponent(key)}`;
}

/** Bearer URL of a stored file; the key is unguessable and only handed to users allowed to see it. */
export function downloadUrl(emu: MaxEmulator, row: FileRow): string {
  return `${emu.config.publicHttpUrl()}/download/${row.id}/${row.download_key ?? ""}`;
}

/** `baseUrl` of a PHOTO attach, shaped like the service's `https://i.oneme.ru/i?r=<key>`. */
export function photoBaseUrl(emu: MaxEmulator, row: FileRow): string {
  return `${emu.config.publicHttpUrl()}/i?r=${row.download_key ?? ""}`;
}

// ── limits ──────────────────────────────────────────────────────────────────

const uploadLimits = new WeakMap<MaxEmulator, number>();

/** Overrides the per-file byte limit (seed: 4 GB) of one emulator; tests use a small one. */
export function setUploadLimit(emu: MaxEmulator, bytes: number | undefined): void {
  if (bytes === undefined) uploadLimits.delete(emu);
  else uploadLimits.set(emu, bytes);
}

function uploadLimit(emu: MaxEmulator): number {
  return uploadLimits.get(emu) ?? LIMITS.fileBytes;
}

// ── errors ──────────────────────────────────────────────────────────────────

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const tooLarge = (limit: number) =>
  new HttpFailure(413, ErrorCode.FILE_TOO_LARGE, `File exceeds the limit of ${limit} bytes`);

function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type("application/json; charset=utf-8").send({ error: code, message });
}

// ── routes ──────────────────────────────────────────────────────────────────

/** Upload (POST /upload/<kind>) and download (GET /download/<id>/<key>, GET /i?r=) on the WS port. */
export function registerFileRoutes(app: FastifyInstance, emu: MaxEmulator): void {
  const dir = join(emu.config.dataDir, "files");
  mkdirSync(dir, { recursive: true });
  // Nothing is in flight at start: half-written temp files of a previous run are garbage.
  emu.repos.files.resetInterrupted();
  for (const name of readdirSync(dir)) {
    if (name.startsWith(".tmp-")) rmSync(join(dir, name), { force: true });
  }

  app.register(async (scope) => {
    // Bodies are streamed by the handlers themselves, never buffered by fastify.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_req, _payload, done) => done(null, undefined));
    // The web client uploads cross-origin (web.max.ru → upload host).
    scope.addHook("onRequest", async (_req, reply) => {
      reply.header("access-control-allow-origin", "*");
      reply.header(
        "access-control-expose-headers",
        "Content-Length, Content-Range, Content-Disposition, Accept-Ranges",
      );
    });
    scope.options("/upload/:kind", async (_req, reply) =>
      reply
        .code(204)
        .header("access-control-allow-methods", "POST, OPTIONS")
        .header(
          "access-control-allow-headers",
          "Content-Type, Content-Disposition, Content-Range, X-Uploading-Mode",
        )
        .header("access-control-max-age", "86400")
        .send(),
    );
    scope.post<{ Params: { kind: string }; Querystring: Record<string, string | string[] | undefined> }>(
      "/upload/:kind",
      (req, reply) => handleUpload(emu, dir, req, reply),
    );
    scope.get<{ Params: { id: string; key: string } }>("/download/:id/:key", async (req, reply) => {
      const id = Number(req.params.id);
      const row = Number.isSafeInteger(id) ? emu.repos.files.byId(id) : undefined;
      if (row?.state !== "COMPLETE" || !sameSecret(row.download_key, req.params.key)) {
        return sendError(reply, 404, ErrorCode.NOT_FOUND, "File not found");
      }
      return serveFile(req, reply, row, row.kind === "photo" ? "inline" : "attachment");
    });
    scope.get<{ Querystring: Record<string, string | string[] | undefined> }>("/i", async (req, reply) => {
      const key = typeof req.query.r === "string" ? req.query.r : "";
      const row = key ? emu.repos.files.byDownloadKey(key) : undefined;
      if (row?.kind !== "photo" || row.state !== "COMPLETE") {
        return sendError(reply, 404, ErrorCode.NOT_FOUND, "Photo not found");
      }
      return serveFile(req, reply, row, "inline");
    });
  });
}

function sameSecret(expected: string | null, given: string): boolean {
  if (!expected) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

// ── upload ──────────────────────────────────────────────────────────────────

interface Received {
  row: FileRow;
  tmpPath: string;
  name: string;
  mime: string;
  size: number;
  head: Buffer;
}

async function handleUpload(
  emu: MaxEmulator,
  dir: string,
  req: FastifyRequest<{
    Params: { kind: string };
    Querystring: Record<string, string | string[] | undefined>;
  }>,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const raw = req.raw;
  const kind = KIND_OF_PATH[req.params.kind];
  if (!kind) return reject(raw, reply, new HttpFailure(404, ErrorCode.NOT_FOUND, "Unknown upload path"));
  const apiToken = typeof req.query.apiToken === "string" ? req.query.apiToken : "";
  const rows = apiToken ? emu.repos.files.byUploadKey(apiToken).filter((r) => r.kind === kind) : [];
  if (rows.length === 0) {
    return reject(raw, reply, new HttpFailure(403, "upload.token.invalid", "Invalid upload token"));
  }
  const pending = rows.filter((r) => r.state === "PENDING");
  if (pending.length === 0) {
    const busy = rows.some((r) => r.state === "UPLOADING");
    return reject(
      raw,
      reply,
      busy
        ? new HttpFailure(409, "upload.in.progress", "This upload is already in progress")
        : new HttpFailure(403, "upload.token.used", "This upload URL was already used"),
    );
  }
  const limit = uploadLimit(emu);
  const declared = Number(raw.headers["content-length"]);
  const multipart = /^multipart\/form-data\b/i.test(raw.headers["content-type"] ?? "");
  // Multipart framing adds a few hundred bytes; refuse only what cannot possibly fit.
  if (Number.isFinite(declared) && declared > limit + (multipart ? 64 * 1024 : 0)) {
    return reject(raw, reply, tooLarge(limit));
  }

  const abort = new AbortController();
  const claimed: FileRow[] = [];
  const received: Received[] = [];
  const claim = (): FileRow | undefined => {
    for (const row of pending) {
      if (claimed.includes(row)) continue;
      if (!emu.repos.files.claim(row.id)) continue;
      claimed.push(row);
      return row;
    }
    return undefined;
  };

  try {
    if (multipart) await receiveMultipart(raw, dir, limit, claim, received, abort);
    else await receiveRaw(raw, dir, limit, claim, received, abort);
    if (received.length === 0)
      throw new HttpFailure(400, "upload.file.missing", "No `file` field in the form");
    const done: FileRow[] = [];
    for (const r of received) done.push(await commit(emu, dir, r));
    emu.log.debug({ ids: done.map((r) => r.id), kind }, "MAX upload complete");
    // 136 goes out once the answer is on its way: clients that start waiting after the POST still see it.
    reply.raw.once("close", () => announce(emu, done));
    return answer(reply, kind, done, multipart);
  } catch (err) {
    abort.abort();
    for (const r of received) await unlink(r.tmpPath).catch(() => {});
    for (const row of claimed) {
      if (emu.repos.files.byId(row.id)?.state === "UPLOADING") emu.repos.files.release(row.id);
    }
    if (err instanceof HttpFailure) return reject(raw, reply, err);
    if (raw.destroyed || !raw.complete) {
      // Nobody will read this answer; it only ends the request on fastify's side.
      emu.log.debug({ err }, "MAX upload aborted by the client");
      return sendError(reply, 400, "upload.aborted", "The upload was interrupted");
    }
    emu.log.error({ err }, "MAX upload failed");
    return reject(raw, reply, new HttpFailure(500, ErrorCode.SERVICE, "Upload failed"));
  }
}

/** Answers an upload with an error; the rest of the body is read and dropped so the answer arrives. */
function reject(raw: IncomingMessage, reply: FastifyReply, failure: HttpFailure): FastifyReply {
  if (!raw.readableEnded && !raw.destroyed) {
    raw.unpipe();
    raw.resume();
    if (!raw.complete) {
      // A sender that never stops after the refusal loses its connection.
      const timer = setTimeout(() => raw.destroy(), 10_000);
      timer.unref();
      raw.once("end", () => clearTimeout(timer));
      raw.once("close", () => clearTimeout(timer));
    }
  }
  return sendError(reply, failure.status, failure.code, failure.message);
}

/** PyMax: the body is the file, named by Content-Disposition, whole range in Content-Range. */
async function receiveRaw(
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
function receiveMultipart(
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
async function receiveStream(
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
async function commit(emu: MaxEmulator, dir: string, r: Received): Promise<FileRow> {
  const finalPath = join(dir, String(r.row.id));
  await rename(r.tmpPath, finalPath);
  const dims = r.row.kind === "photo" ? imageSize(r.head) : undefined;
  const ok = emu.repos.files.complete(r.row.id, {
    name: r.name,
    mime: r.mime,
    size: r.size,
    path: finalPath,
    width: dims?.width ?? null,
    height: dims?.height ?? null,
    now: emu.now(),
  });
  if (!ok) {
    await unlink(finalPath).catch(() => {});
    throw new Error(`upload slot ${r.row.id} changed state during upload`);
  }
  const row = emu.repos.files.byId(r.row.id);
  if (!row) throw new Error(`upload slot ${r.row.id} vanished`);
  return row;
}

/** Event 136 to every session of the uploader (photos are usable at once and get none). */
function announce(emu: MaxEmulator, rows: FileRow[]): void {
  for (const row of rows) {
    let payload: Record<string, unknown> | undefined;
    if (row.kind === "file") payload = { fileId: row.id };
    else if (row.kind === "video") payload = { videoId: row.id, token: row.token };
    else if (row.kind === "audio") payload = { voiceId: row.id, audioId: row.id, token: row.token };
    if (!payload) continue;
    emu.hub.emit([row.owner_id], Opcode.UPLOAD_COMPLETE, payload);
    rememberAnnounced(emu, row.owner_id, { kind: row.kind, payload, at: emu.now(), repeated: false });
  }
}

// ── 136 after a late 65 ─────────────────────────────────────────────────────

interface Announced {
  kind: FileKind;
  payload: Record<string, unknown>;
  at: number;
  repeated: boolean;
}
const REANNOUNCE_WINDOW_MS = 60_000;
const REANNOUNCE_KEEP = 16;
/** Gap after the 65 answer: a client that starts listening once it has that answer still sees 136. */
const REANNOUNCE_DELAY_MS = 50;
const announced = new WeakMap<MaxEmulator, Map<number, Announced[]>>();

function rememberAnnounced(emu: MaxEmulator, userId: number, entry: Announced): void {
  let byUser = announced.get(emu);
  if (!byUser) {
    byUser = new Map();
    announced.set(emu, byUser);
  }
  const cutoff = emu.now() - REANNOUNCE_WINDOW_MS;
  const list = (byUser.get(userId) ?? []).filter((e) => e.at >= cutoff);
  list.push(entry);
  byUser.set(userId, list.slice(-REANNOUNCE_KEEP));
}

const KIND_OF_NOTICE: Record<string, FileKind> = {
  FILE: "file",
  VIDEO: "video",
  AUDIO: "audio",
  VOICE: "audio",
};

/**
 * vkmax-node sends 65 `{chatId, type:"FILE"}` after its upload POST and only then starts
 * waiting for 136, which by then has gone out. The uploads of that kind announced in the last
 * minute are announced once more, to the asking socket only, shortly after its 65 answer.
 */
export function reannounceUploads(emu: MaxEmulator, conn: MaxConnection, userId: number, type: string): void {
  const kind = KIND_OF_NOTICE[type];
  const list = kind ? announced.get(emu)?.get(userId) : undefined;
  if (!list) return;
  const cutoff = emu.now() - REANNOUNCE_WINDOW_MS;
  const due = list.filter((e) => e.kind === kind && !e.repeated && e.at >= cutoff);
  if (due.length === 0) return;
  for (const e of due) e.repeated = true;
  setTimeout(() => {
    for (const e of due) conn.sendEvent(Opcode.UPLOAD_COMPLETE, e.payload);
  }, REANNOUNCE_DELAY_MS);
}

function answer(reply: FastifyReply, kind: FileKind, rows: FileRow[], multipart: boolean): FastifyReply {
  const first = rows[0];
  if (!first) return sendError(reply, 400, "upload.file.missing", "No file received");
  if (kind === "photo") {
    // Keyed by photoId (PyMax reads photos[<photoIds from the URL>], vkmax takes the first value).
    // The seed's example reads photos["0"]: the first photo is also listed under "0"; integer keys
    // serialise in ascending order, so "0" comes first and carries the same token.
    const photos: Record<string, { token: string }> = {};
    for (const row of rows) photos[String(row.id)] = { token: row.token };
    photos["0"] = { token: first.token };
    return reply.type("application/json; charset=utf-8").send({ photos });
  }
  if (kind === "video") {
    // vkmax-node checks the multipart answer for <retval>1</retval>; PyMax (raw body) parses JSON.
    if (multipart) return reply.type("text/xml; charset=utf-8").send("<retval>1</retval>");
    return reply
      .type("application/json; charset=utf-8")
      .send({ videoId: first.id, token: first.token, size: first.size });
  }
  if (kind === "audio") {
    return reply
      .type("application/json; charset=utf-8")
      .send({ voiceId: first.id, audioId: first.id, token: first.token, size: first.size });
  }
  return reply.type("application/json; charset=utf-8").send({ fileId: first.id, size: first.size });
}

// ── download ────────────────────────────────────────────────────────────────

async function serveFile(
  req: FastifyRequest,
  reply: FastifyReply,
  row: FileRow,
  disposition: "inline" | "attachment",
): Promise<FastifyReply> {
  const path = row.path;
  const size = path
    ? await stat(path).then(
        (s) => s.size,
        () => undefined,
      )
    : undefined;
  if (!path || size === undefined) return sendError(reply, 404, ErrorCode.NOT_FOUND, "File not found");
  reply
    .header("accept-ranges", "bytes")
    .header("content-type", row.mime || "application/octet-stream")
    .header("content-disposition", contentDisposition(disposition, row.name || `file-${row.id}`))
    .header("cache-control", "private, max-age=86400");
  const range = parseRange(req.headers.range, size);
  if (range === "unsatisfiable") {
    return reply
      .code(416)
      .header("content-range", `bytes */${size}`)
      .type("application/json; charset=utf-8")
      .send({ error: "range.invalid", message: "Requested range not satisfiable" });
  }
  if (range) {
    reply
      .code(206)
      .header("content-range", `bytes ${range.start}-${range.end}/${size}`)
      .header("content-length", String(range.end - range.start + 1));
    return reply.send(createReadStream(path, { start: range.start, end: range.end }));
  }
  reply.code(200).header("content-length", String(size));
  return reply.send(size === 0 ? "" : createReadStream(path));
}

/** One `bytes=` range (first of a list); undefined = whole file. */
function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const m = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*(?:,|$)/.exec(header.trim());
  if (!m) return undefined;
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return undefined;
  let start: number;
  let end: number;
  if (a === "") {
    const suffix = Number(b);
    if (suffix === 0) return "unsatisfiable";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
    if (end < start) return b === "" ? "unsatisfiable" : start >= size ? "unsatisfiable" : undefined;
  }
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

/** `bytes 0-99/100` (PyMax video/voice) or `0-99/100` (PyMax files). */
function parseContentRange(
  header: string | undefined,
): { start: number; end: number; total: number } | "invalid" | undefined {
  if (!header) return undefined;
  const m = /^(?:bytes\s+)?(\d+)-(\d+)\/(\d+)$/i.exec(header.trim());
  if (!m) return "invalid";
  const start = Number(m[1]);
  const end = Number(m[2]);
  const total = Number(m[3]);
  if (end < start || end >= total) return "invalid";
  return { start, end, total };
}

// ── names and types ─────────────────────────────────────────────────────────

/** filename*= (RFC 5987) wins over filename=; PyMax sends a percent-encoded bare value. */
function fileNameFrom(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const star = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (star?.[2]) return safeName(decodePercent(star[2].trim()));
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i.exec(header);
  const value = plain?.[1] ?? plain?.[2];
  if (value === undefined) return undefined;
  return safeName(decodePercent(value.trim().replace(/\\(.)/g, "$1")));
}

function decodePercent(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function safeName(name: string): string {
  const clean = basename(name.replace(/\\/g, "/"))
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .slice(0, 255);
  return clean === "" || clean === "." || clean === ".." ? "upload" : clean;
}

function contentDisposition(type: "inline" | "attachment", name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

const GENERIC_MIME = new Set(["", "application/octet-stream", "text/plain", "binary/octet-stream"]);
const MIME_BY_EXT: Record<string, string> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".mp4": "video/mp4",
  ".mov": "video/quicktime",
  ".webm": "video/webm",
  ".ogg": "audio/ogg",
  ".oga": "audio/ogg",
  ".opus": "audio/ogg",
  ".mp3": "audio/mpeg",
  ".m4a": "audio/mp4",
  ".wav": "audio/wav",
  ".pdf": "application/pdf",
  ".txt": "text/plain",
  ".json": "application/json",
  ".zip": "application/zip",
};

function guessMime(name: string, declared: string): string {
  return MIME_BY_EXT[extname(name).toLowerCase()] ?? (declared || "application/octet-stream");
}

/** Width and height from a PNG, GIF or JPEG header; undefined for anything else. */
export function imageSize(b: Buffer): { width: number; height: number } | undefined {
  if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47 && b.toString("latin1", 12, 16) === "IHDR") {
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  }
  if (b.length >= 10 && b.toString("latin1", 0, 3) === "GIF") {
    return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    let i = 2;
    while (i + 9 <= b.length) {
      if (b[i] !== 0xff) return undefined;
      const marker = b[i + 1] ?? 0;
      if (marker === 0xff) {
        i++;
        continue;
      }
      if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
        i += 2;
        continue;
      }
      // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
      }
      i += 2 + b.readUInt16BE(i + 2);
    }
  }
  return undefined;
}
