/**
 * The upload flow (OpenAPI getUploadUrl): POST /uploads?type=image|video|audio|file answers
 * `{url}` and, for video and audio, the attachment `token` at once. The url (this emulator,
 * `/upload/<one-time id>`, no token needed, like the platform's CDN) takes the file either as
 * multipart/form-data in the field `data` (answer: image `{photos: {<id>: {token}}}`, file, video
 * and audio `{token}`) or as a resumable upload: raw chunks with `Content-Range: bytes a-b/size`
 * (answer: the range received, as text), as the official SDK sends video and audio. Files are
 * stored in the MAX world as the bot's; at most UPLOAD_MAX_BYTES each (the platform allows 2 GB,
 * the emulator keeps files in SQLite). A token sent before its upload finished gets 400
 * attachment.not.ready, as the platform answers while it processes a file.
 */
import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import busboy from "busboy";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { MaxBotEndpoints } from "../../protocol/endpoints.js";
import type { MaxBotContext } from "../context.js";
import { BotApiError } from "../errors.js";
import {
  chunksOf,
  completeUpload,
  createUpload,
  saveChunk,
  type UploadRecord,
  type UploadType,
  uploadById,
  uploadByToken,
} from "../store/uploads.js";

/** Largest file one upload URL takes. */
export const UPLOAD_MAX_BYTES = 64 * 1024 * 1024;
/** Path prefix of the upload URLs (outside the Bot API's own paths; no auth). */
export const UPLOAD_PATH_PREFIX = "/upload/";

const tooLarge = () => new BotApiError(413, "bad.request", `File is larger than ${UPLOAD_MAX_BYTES} bytes`);
const unknownUpload = () => new BotApiError(404, "not.found", "Unknown or already used upload URL");

export function registerUploadRoutes(app: FastifyInstance, ctx: MaxBotContext): void {
  const { db } = ctx;

  const getUploadUrl = MaxBotEndpoints.getUploadUrl;
  app.route({
    method: getUploadUrl.method,
    url: getUploadUrl.path,
    handler: async (req) => {
      const q = getUploadUrl.request.parse(req.query);
      const type = q.type as UploadType;
      const uploadId = randomBytes(18).toString("base64url");
      const token = randomBytes(24).toString("base64url");
      createUpload(db, { uploadId, botId: req.botId, type, token, createdAt: ctx.clock.now() });
      const url = `${ctx.baseUrl()}${UPLOAD_PATH_PREFIX}${uploadId}`;
      return type === "video" || type === "audio" ? { url, token } : { url };
    },
  });

  const video = MaxBotEndpoints.getVideoAttachmentDetails;
  app.route({
    method: video.method,
    url: video.path,
    handler: async (req) => {
      const { videoToken } = req.params as { videoToken: string };
      const up = uploadByToken(db, videoToken);
      if (up?.type !== "video") throw new BotApiError(404, "not.found", "Video not found");
      const a = up.attach ?? {};
      const int = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? Math.round(v) : 0);
      return {
        token: up.token,
        urls: up.status === "ready" && up.fileUrl ? { mp4_720: up.fileUrl } : null,
        thumbnail: null,
        width: int(a.width),
        height: int(a.height),
        duration: int(a.duration),
      };
    },
  });

  // The upload URL takes any content type as a raw stream, so it lives in its own scope.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_req, payload, done) => done(null, payload));
    scope.route({
      method: "POST",
      url: `${UPLOAD_PATH_PREFIX}:uploadId`,
      // The app's JSON body limit does not apply to files; the handlers count bytes themselves.
      bodyLimit: UPLOAD_MAX_BYTES + 1024 * 1024,
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        const { uploadId } = req.params as { uploadId: string };
        const up = uploadById(db, uploadId);
        if (up?.status !== "pending") {
          req.raw.resume();
          throw unknownUpload();
        }
        const body = (req.body as Readable | undefined) ?? req.raw;
        const ct = String(req.headers["content-type"] ?? "").toLowerCase();
        if (ct.startsWith("multipart/form-data")) {
          const file = await readMultipart(req, body);
          return finish(ctx, up, file.bytes, file.name);
        }
        const range = parseContentRange(req.headers["content-range"]);
        const name = fileName(req);
        const bytes = await readAll(body, range ? range.end - range.start + 1 : UPLOAD_MAX_BYTES);
        if (!range) return finish(ctx, up, bytes, name);
        if (bytes.length !== range.end - range.start + 1)
          throw new BotApiError(400, "bad.request", "Body length does not match Content-Range");
        const received = saveChunk(db, uploadId, range.start, bytes);
        if (received >= range.size) {
          const whole = assemble(chunksOf(db, uploadId), range.size);
          finish(ctx, up, whole, name);
        }
        return reply.type("text/plain").send(`${range.start}-${range.end}/${range.size}`);
      },
    });
  });
}

/** Stores the file in the MAX world and binds the token to its attach; the upload's answer. */
function finish(ctx: MaxBotContext, up: UploadRecord, bytes: Buffer, name: string): Record<string, unknown> {
  const stored = ctx.world.storeFile(up.botId, up.type, name, bytes);
  ctx.db.transaction(() => {
    // A second request racing for the same one-time URL loses here.
    const again = uploadById(ctx.db, up.uploadId);
    if (again?.status !== "pending") throw unknownUpload();
    completeUpload(ctx.db, up.uploadId, {
      attach: stored.attach,
      fileUrl: stored.url,
      size: stored.size,
      name,
    });
  })();
  if (up.type === "image") {
    const key = String(stored.attach.photoId ?? up.uploadId);
    return { photos: { [key]: { token: up.token } } };
  }
  return { token: up.token };
}

/**
 * The MAX attach an uploaded token stands for (`toMaxAttaches` calls this for image, video,
 * audio and file attachments). 400 attachment.not.ready while its upload is unfinished.
 */
export function attachmentFromToken(
  ctx: MaxBotContext,
  botId: number,
  type: string,
  token: string,
): Record<string, unknown> {
  void botId; // tokens are global, as on the platform: any bot may reuse an attachment's token
  const up = uploadByToken(ctx.db, token);
  if (!up) throw new BotApiError(404, "not.found", `Unknown ${type} token`);
  if (up.type !== type)
    throw new BotApiError(400, "bad.request", `The token belongs to a ${up.type} upload, not ${type}`);
  if (up.status !== "ready" || !up.attach)
    throw new BotApiError(
      400,
      "attachment.not.ready",
      "The attachment is not processed yet: its upload has not finished, try again later",
    );
  return up.attach;
}

function parseContentRange(header: unknown): { start: number; end: number; size: number } | undefined {
  if (typeof header !== "string" || header === "") return undefined;
  const m = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15})$/.exec(header.trim());
  if (!m) throw new BotApiError(400, "bad.request", "Content-Range must be 'bytes <start>-<end>/<size>'");
  const [start, end, size] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (start > end || end >= size) throw new BotApiError(400, "bad.request", "Content-Range is out of order");
  if (size > UPLOAD_MAX_BYTES) throw tooLarge();
  return { start, end, size };
}

function assemble(chunks: { start: number; bytes: Buffer }[], size: number): Buffer {
  let at = 0;
  for (const c of chunks) {
    if (c.start !== at) throw new BotApiError(400, "bad.request", "Uploaded chunks leave a gap or overlap");
    at += c.bytes.length;
  }
  if (at !== size)
    throw new BotApiError(400, "bad.request", "Uploaded chunks do not add up to the file size");
  return Buffer.concat(chunks.map((c) => c.bytes));
}

function fileName(req: FastifyRequest): string {
  const header = req.headers["x-file-name"];
  if (typeof header === "string" && header.trim()) return safeName(header);
  const cd = req.headers["content-disposition"];
  const m = typeof cd === "string" ? /filename="?([^";]+)"?/i.exec(cd) : null;
  return m?.[1] ? safeName(m[1]) : "file";
}

function safeName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const clean = base.replace(/[\u0000-\u001f]/g, "").slice(0, 255);
  return clean || "file";
}

/** Reads a raw body, refusing more than `max` bytes. */
async function readAll(stream: Readable, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > Math.min(max, UPLOAD_MAX_BYTES)) {
      stream.resume();
      throw size > UPLOAD_MAX_BYTES
        ? tooLarge()
        : new BotApiError(400, "bad.request", "Body is longer than Content-Range");
    }
    parts.push(b);
  }
  return Buffer.concat(parts);
}

/** The file of the form's `data` field (other parts are skipped). */
function readMultipart(req: FastifyRequest, body: Readable): Promise<{ bytes: Buffer; name: string }> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        defParamCharset: "utf8",
        limits: { files: 1, fileSize: UPLOAD_MAX_BYTES, fields: 20, fieldSize: 64 * 1024, parts: 40 },
      });
    } catch {
      reject(new BotApiError(400, "bad.request", "Malformed multipart form"));
      return;
    }
    let file: { bytes: Buffer; name: string } | null = null;
    let failure: BotApiError | null = null;
    bb.on("file", (field, stream, info) => {
      if (field !== "data") {
        stream.resume();
        return;
      }
      const parts: Buffer[] = [];
      stream.on("data", (b: Buffer) => parts.push(b));
      stream.on("limit", () => {
        failure = tooLarge();
      });
      stream.on("end", () => {
        if (!failure) file = { bytes: Buffer.concat(parts), name: safeName(info.filename ?? "file") };
      });
    });
    bb.on("error", () => reject(new BotApiError(400, "bad.request", "Malformed multipart form")));
    body.once("error", () => reject(new BotApiError(400, "bad.request", "The upload was interrupted")));
    bb.on("close", () => {
      if (failure) reject(failure);
      else if (!file) reject(new BotApiError(400, "bad.request", "The form has no file in the field 'data'"));
      else resolve(file);
    });
    body.pipe(bb);
  });
}
