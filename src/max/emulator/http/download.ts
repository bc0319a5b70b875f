import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, extname } from "node:path";
import type { FastifyReply, FastifyRequest } from "fastify";
import { ErrorCode } from "../../protocol.js";
import type { FileRow } from "../store/files.js";

import { sendError } from "./errors.js";

// ── download ────────────────────────────────────────────────────────────────

/** Served files run nothing and load nothing, even if a browser renders one. */
export const DOWNLOAD_CSP = "default-src 'none'; sandbox";

/** Images a browser shows as pictures (no SVG: it can carry script). */
export const IMAGE_TYPES = new Set([
  "image/jpeg",
  "image/png",
  "image/gif",
  "image/webp",
  "image/bmp",
  "image/heic",
  "image/heif",
  "image/avif",
]);

export function isMediaType(mime: string): boolean {
  const m = mime.toLowerCase();
  return IMAGE_TYPES.has(m) || m.startsWith("video/") || m.startsWith("audio/");
}

export async function serveFile(
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
  const mime = row.mime || "application/octet-stream";
  // Only media is shown inline; anything else (an HTML "file") is a download, never a page.
  const shown = disposition === "inline" && isMediaType(mime) ? "inline" : "attachment";
  reply
    .header("accept-ranges", "bytes")
    .header("content-type", mime)
    .header("content-disposition", contentDisposition(shown, row.name || `file-${row.id}`))
    .header("x-content-type-options", "nosniff")
    .header("content-security-policy", DOWNLOAD_CSP)
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
export function parseContentRange(
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
export function fileNameFrom(header: string | undefined): string | undefined {
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

export function safeName(name: string): string {
  const clean = basename(name.replace(/\\/g, "/"))
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .slice(0, 255);
  return clean === "" || clean === "." || clean === ".." ? "upload" : clean;
}

export function contentDisposition(type: "inline" | "attachment", name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export const GENERIC_MIME = new Set(["", "application/octet-stream", "text/plain", "binary/octet-stream"]);
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

export function guessMime(name: string, declared: string): string {
  return MIME_BY_EXT[extname(name).toLowerCase()] ?? (declared || "application/octet-stream");
}

/** The image type of a file's first bytes (magic numbers), or undefined when it is no image. */
export function sniffImage(b: Buffer): string | undefined {
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a)
    return "image/png";
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  const ascii = b.toString("latin1", 0, Math.min(b.length, 12));
  if (ascii.startsWith("GIF87a") || ascii.startsWith("GIF89a")) return "image/gif";
  if (ascii.startsWith("RIFF") && ascii.slice(8, 12) === "WEBP") return "image/webp";
  if (ascii.startsWith("BM") && b.length >= 26) return "image/bmp";
  if (ascii.slice(4, 8) === "ftyp") {
    const brand = b.toString("latin1", 8, 12);
    if (brand === "avif" || brand === "avis") return "image/avif";
    if (/^(heic|heix|hevc|heim|heis|mif1|msf1)$/.test(brand)) return "image/heic";
  }
  return undefined;
}

/**
 * The content type a finished upload is stored (and later served) with, or undefined when the
 * body can't be what the slot is for: a photo must be an image by its bytes; a video is stored
 * as `video/*` and a voice as `audio/*` only when declared so (else as opaque bytes); a file
 * keeps what it declared (it is always served as an attachment unless it is media).
 */
export function storedMime(
  kind: "photo" | "video" | "audio" | "file",
  declared: string,
  head: Buffer,
): string | undefined {
  const d = declared.toLowerCase();
  if (kind === "photo") {
    const image = sniffImage(head);
    if (!image) return undefined;
    return IMAGE_TYPES.has(d) ? d : image;
  }
  if (kind === "video") return d.startsWith("video/") ? d : "application/octet-stream";
  if (kind === "audio") return d.startsWith("audio/") || d === "video/ogg" ? d : "application/octet-stream";
  return d || "application/octet-stream";
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
