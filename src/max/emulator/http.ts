import { timingSafeEqual } from "node:crypto";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { rename, unlink } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ErrorCode, LIMITS, Opcode } from "../protocol.js";
import type { MaxConnection } from "./connection.js";
import type { MaxEmulator } from "./context.js";
import { imageSize, serveFile, storedMime } from "./http/download.js";
import { HttpFailure, sendError, tooLarge } from "./http/errors.js";
import { type Received, receiveMultipart, receiveRaw } from "./http/receive.js";
import type { FileKind, FileRow } from "./store/files.js";

export { imageSize } from "./http/download.js";

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
    for (const r of received) {
      const mime = storedMime(kind, r.mime, r.head);
      if (mime === undefined) {
        throw new HttpFailure(
          400,
          "upload.type.invalid",
          "A photo must be a JPEG, PNG, GIF, WebP, BMP, HEIC or AVIF image",
        );
      }
      r.mime = mime;
    }
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
