import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, extname } from "node:path";
import type { FastifyReply, FastifyRequest } from "fastify";
import { ErrorCode } from "../../protocol.js";
import type { FileRow } from "../store/files.js";

import { sendError } from "./errors.js";

// ── download ────────────────────────────────────────────────────────────────

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
