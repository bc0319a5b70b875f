/**
 * Files a bot uploads through the Bot API, stored in MAX's own file store as if the bot had
 * uploaded them over the user API (80/82/84/87 slot, bytes on disk, COMPLETE), so the attach it
 * gets is exactly the one a user upload produces and MAX clients download it the usual way.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { extname, join } from "node:path";
import { LIMITS } from "../protocol.js";
import { BotWorldError } from "./bot-world-views.js";
import type { MaxEmulator } from "./context.js";
import { openSlots, validateMediaAttach } from "./handlers/files.js";
import { imageSize, storedMime } from "./http/download.js";
import { downloadUrl } from "./http.js";
import type { FileKind } from "./store/files.js";

export interface BotStoredFile {
  attach: Record<string, unknown>;
  url: string;
  size: number;
}

const KIND: Record<"image" | "video" | "audio" | "file", FileKind> = {
  image: "photo",
  video: "video",
  audio: "audio",
  file: "file",
};

/** Declared types by file name, as a browser would send them with a multipart upload. */
const MIME_BY_EXT: Record<string, string> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".mp4": "video/mp4",
  ".mov": "video/quicktime",
  ".webm": "video/webm",
  ".mp3": "audio/mpeg",
  ".ogg": "audio/ogg",
  ".m4a": "audio/mp4",
  ".wav": "audio/wav",
  ".pdf": "application/pdf",
  ".txt": "text/plain",
  ".json": "application/json",
  ".zip": "application/zip",
};

/** Writes the bytes durably (temp file, fsync, rename) before the row says COMPLETE. */
function writeDurably(dir: string, id: number, bytes: Buffer): string {
  // `.tmp-` files are swept at start (http.ts), so a crash mid-write leaves nothing behind.
  const tmp = join(dir, `.tmp-bot-${id}`);
  const path = join(dir, String(id));
  const fd = openSync(tmp, "w");
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return path;
}

export function storeBotFile(
  emu: MaxEmulator,
  ownerId: number,
  kindName: "image" | "video" | "audio" | "file",
  name: string,
  bytes: Buffer,
): BotStoredFile {
  const kind = KIND[kindName];
  if (!kind) throw new BotWorldError("bad.request", `unknown file kind ${String(kindName)}`);
  if (!emu.repos.users.byId(ownerId)) throw new BotWorldError("not.found", "no such user");
  if (bytes.length === 0) throw new BotWorldError("bad.request", "the file is empty");
  if (bytes.length > LIMITS.fileBytes) throw new BotWorldError("too.long", "the file is too large");
  const cleanName = name.replace(/[\\/\0]/g, "_").slice(0, 255) || "file";
  const mime = storedMime(kind, MIME_BY_EXT[extname(cleanName).toLowerCase()] ?? "", bytes.subarray(0, 4096));
  if (mime === undefined) {
    throw new BotWorldError("bad.request", "an image must be a JPEG, PNG, GIF, WebP, BMP, HEIC or AVIF file");
  }
  const mediaType = kind === "audio" ? 2 : 0;
  const [slot] = openSlots(emu, ownerId, kind, 1, mediaType);
  if (!slot || !emu.repos.files.claim(slot.id)) throw new Error("a fresh upload slot could not be claimed");
  let path: string;
  try {
    path = writeDurably(join(emu.config.dataDir, "files"), slot.id, bytes);
  } catch (err) {
    emu.repos.files.release(slot.id);
    throw err;
  }
  const dims = kind === "photo" ? imageSize(bytes) : undefined;
  const done = emu.repos.files.complete(slot.id, {
    name: cleanName,
    mime,
    size: bytes.length,
    path,
    width: dims?.width ?? null,
    height: dims?.height ?? null,
    now: emu.now(),
  });
  if (!done) {
    try {
      unlinkSync(path);
    } catch {}
    throw new Error(`upload slot ${slot.id} changed state while storing`);
  }
  const row = emu.repos.files.byId(slot.id)!;
  // The attach a client would send after its own upload, completed the way a send stores it.
  const given =
    kind === "photo"
      ? { _type: "PHOTO", photoToken: row.token }
      : kind === "video"
        ? { _type: "VIDEO", videoId: row.id, token: row.token }
        : kind === "audio"
          ? { _type: "AUDIO", audioId: row.id, token: row.token }
          : { _type: "FILE", fileId: row.id };
  const attach = { ...validateMediaAttach(emu, given, ownerId) } as Record<string, unknown>;
  return { attach, url: downloadUrl(emu, row), size: row.size };
}
