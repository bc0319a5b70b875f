import { randomBytes } from "node:crypto";
import { ErrorCode, Opcode } from "../../protocol.js";
import { handlers, type MaxEmulator, me } from "../context.js";
import { accessDenied, badPayload, MaxProtocolError } from "../errors.js";
import { downloadUrl, photoBaseUrl, uploadUrl } from "../http.js";
import type { FileKind, FileRow } from "../store/files.js";

/** File ids (all kinds share max_files.id) start here, well clear of user and chat ids. */
const FILE_ID_START = 100_000_000;

const secret = (bytes: number) => randomBytes(bytes).toString("base64url");

/** Opens `count` upload slots of one kind for the user; they share one upload secret. */
export function openSlots(
  emu: MaxEmulator,
  ownerId: number,
  kind: FileKind,
  count: number,
  mediaType: number,
): FileRow[] {
  const uploadKey = secret(24);
  const rows: FileRow[] = [];
  emu.db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const id = emu.ids.next("file", FILE_ID_START);
      emu.repos.files.create({
        id,
        kind,
        token: secret(32),
        ownerId,
        uploadKey,
        downloadKey: secret(24),
        mediaType,
        now: emu.now(),
      });
      const row = emu.repos.files.byId(id);
      if (row) rows.push(row);
    }
  })();
  return rows;
}

/** PyMax sends `type` (0 video, 1 video note, 2 voice) with 80/82; others send only `count`. */
function mediaTypeOf(payload: Record<string, unknown>): number {
  const t = payload.type;
  return typeof t === "number" && Number.isInteger(t) && t >= 0 && t < 16 ? t : 0;
}

/** Upload URLs (80/82/84/87), upload notice (65) and download URLs (83/85/88). */
export const fileHandlers = handlers({
  // vkmax sends 65 before every upload; the schema already checks `type`, chat access is not ours.
  [Opcode.PHOTO_UPLOAD_URL]: {
    handle: (ctx, payload) => {
      const rows = openSlots(ctx.emu, me(ctx), "photo", payload.count, mediaTypeOf(payload));
      return { url: uploadUrl(ctx.emu, "photo", rows) };
    },
  },
  [Opcode.VIDEO_UPLOAD_URL]: {
    handle: (ctx, payload) => {
      const info = [];
      // One URL per video: each POST carries one file.
      for (let i = 0; i < payload.count; i++) {
        const [row] = openSlots(ctx.emu, me(ctx), "video", 1, mediaTypeOf(payload));
        if (row) info.push({ url: uploadUrl(ctx.emu, "video", [row]), videoId: row.id, token: row.token });
      }
      return { info };
    },
  },
  [Opcode.VOICE_UPLOAD_URL]: {
    handle: (ctx, payload) => {
      const info = [];
      for (let i = 0; i < payload.count; i++) {
        const [row] = openSlots(ctx.emu, me(ctx), "audio", 1, 2);
        if (row) {
          info.push({
            url: uploadUrl(ctx.emu, "audio", [row]),
            voiceId: row.id,
            audioId: row.id,
            token: row.token,
          });
        }
      }
      return { info };
    },
  },
  [Opcode.FILE_UPLOAD_URL]: {
    handle: (ctx, payload) => {
      const info = [];
      for (let i = 0; i < payload.count; i++) {
        const [row] = openSlots(ctx.emu, me(ctx), "file", 1, 0);
        if (row) info.push({ url: uploadUrl(ctx.emu, "file", [row]), fileId: row.id });
      }
      return { info };
    },
  },
  [Opcode.VIDEO_DOWNLOAD_URL]: {
    handle: (ctx, payload) => {
      if (payload.videoId === undefined) throw badPayload("videoId is required");
      const row = downloadable(
        ctx.emu,
        me(ctx),
        payload.videoId,
        ["video"],
        payload.chatId,
        payload.messageId,
      );
      // Quality map as the service answers (vkmax drops `cache`/`EXTERNAL`, takes the first URL).
      // PyMax 1.x's VideoRequest reads `EXTERNAL` and `cache` and takes the first other key as the URL.
      return { cache: false, MP4_720: downloadUrl(ctx.emu, row), EXTERNAL: downloadUrl(ctx.emu, row) };
    },
  },
  [Opcode.VOICE_DOWNLOAD_URL]: {
    handle: (ctx, payload) => {
      const id = payload.voiceId ?? payload.audioId ?? payload.videoId;
      if (id === undefined) throw badPayload("voiceId or audioId is required");
      const row = downloadable(ctx.emu, me(ctx), id, ["audio", "video"], payload.chatId, payload.messageId);
      return { url: downloadUrl(ctx.emu, row) };
    },
  },
  [Opcode.FILE_DOWNLOAD_URL]: {
    handle: (ctx, payload) => {
      if (payload.fileId === undefined) throw badPayload("fileId is required");
      const row = downloadable(ctx.emu, me(ctx), payload.fileId, ["file"], payload.chatId, payload.messageId);
      return { url: downloadUrl(ctx.emu, row), unsafe: false };
    },
  },
});

const fileNotFound = () => new MaxProtocolError(ErrorCode.NOT_FOUND, "File not found", "Файл не найден");

/**
 * A completed upload the user may fetch: their own, or one carried by a live message (named by
 * chatId + messageId) of a chat they are a member of.
 */
function downloadable(
  emu: MaxEmulator,
  userId: number,
  id: number,
  kinds: FileKind[],
  chatId: number | undefined,
  messageId: string | undefined,
): FileRow {
  const row = emu.repos.files.byId(id);
  if (!row || !kinds.includes(row.kind) || row.state !== "COMPLETE") throw fileNotFound();
  if (row.owner_id === userId) return row;
  if (chatId !== undefined && messageId !== undefined) {
    const attaches = emu.repos.files.visibleMessageAttaches(userId, chatId, messageId);
    if (attaches !== undefined && attachesReference(attaches, row)) return row;
  }
  throw accessDenied("No access to this file");
}

const MEDIA_TYPES = new Set(["PHOTO", "VIDEO", "FILE", "VOICE", "AUDIO"]);
const ID_FIELDS = ["photoId", "videoId", "fileId", "audioId", "voiceId"] as const;

/** Whether a stored attaches JSON array carries this upload (ids are unique across kinds). */
export function attachesReference(attachesJson: string, row: FileRow): boolean {
  let list: unknown;
  try {
    list = JSON.parse(attachesJson);
  } catch {
    return false;
  }
  if (!Array.isArray(list)) return false;
  for (const item of list) {
    if (typeof item !== "object" || item === null) continue;
    const a = item as Record<string, unknown>;
    if (typeof a._type !== "string" || !MEDIA_TYPES.has(a._type)) continue;
    if (row.kind === "photo" && a.photoToken === row.token) return true;
    for (const field of ID_FIELDS) {
      if (asId(a[field]) === row.id) return true;
    }
  }
  return false;
}

function asId(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isSafeInteger(v)) return v;
  if (typeof v === "string" && /^\d{1,15}$/.test(v)) return Number(v);
  return undefined;
}

const attachInvalid = (why: string) =>
  new MaxProtocolError(ErrorCode.ATTACH_INVALID, why, "Вложение недоступно");

/** The normalised media attach a message stores and delivers. */
export type MediaAttach =
  | { _type: "PHOTO"; photoToken: string; photoId: number; baseUrl: string; width: number; height: number }
  | {
      _type: "VIDEO";
      videoId: number;
      token: string;
      duration: number;
      width: number;
      height: number;
      previewData: string;
      thumbnail: string;
      videoType: number;
    }
  | { _type: "FILE"; fileId: number; name: string; size: number; token: string }
  | {
      _type: "VOICE" | "AUDIO";
      audioId: number;
      voiceId?: number;
      videoId?: number;
      duration: number;
      url: string;
      token: string;
      wave: string;
      transcriptionStatus: string;
    };

/**
 * Checks a PHOTO / VIDEO / FILE / VOICE / AUDIO attach of an outgoing message and returns the
 * full attach to store. The upload must be complete, and either the sender's own or already
 * carried by a message the sender can see (re-sending what one has received). Anything else —
 * unknown ids or tokens, unfinished uploads, another user's unsent upload, or a non-media
 * `_type` — throws `attach.invalid`.
 */
export function validateMediaAttach(
  emu: MaxEmulator,
  attach: { _type: string } & Record<string, unknown>,
  senderId: number,
): MediaAttach {
  const type = attach._type;
  let row: FileRow | undefined;
  if (type === "PHOTO") {
    const token = attach.photoToken;
    if (typeof token !== "string" || token === "") throw attachInvalid("PHOTO attach needs photoToken");
    row = emu.repos.files.byToken(token);
    if (row && row.kind !== "photo") row = undefined;
  } else if (type === "VIDEO") {
    const id = asId(attach.videoId);
    if (id === undefined) throw attachInvalid("VIDEO attach needs videoId");
    row = emu.repos.files.byId(id);
    if (row && row.kind !== "video") row = undefined;
    if (row && typeof attach.token === "string" && attach.token !== row.token) row = undefined;
  } else if (type === "FILE") {
    const id = asId(attach.fileId);
    if (id === undefined) throw attachInvalid("FILE attach needs fileId");
    row = emu.repos.files.byId(id);
    if (row && row.kind !== "file") row = undefined;
  } else if (type === "VOICE" || type === "AUDIO") {
    // PyMax sends voice as AUDIO with the videoId of an 82 (type 2) upload.
    const id = asId(attach.audioId) ?? asId(attach.voiceId) ?? asId(attach.videoId);
    if (id === undefined) throw attachInvalid(`${type} attach needs audioId or voiceId`);
    row = emu.repos.files.byId(id);
    if (row && row.kind !== "audio" && row.kind !== "video") row = undefined;
  } else {
    throw attachInvalid(`${type} is not a media attach`);
  }
  if (!row) throw attachInvalid(`Unknown ${type} attach`);
  if (row.state !== "COMPLETE") throw attachInvalid(`${type} upload is not complete`);
  if (row.owner_id !== senderId && !seenBy(emu, row, senderId)) throw attachInvalid(`Unknown ${type} attach`);

  switch (type) {
    case "PHOTO": {
      // PyMax 1.x reads width and height unconditionally; 0 when the image size is unknown.
      return {
        _type: "PHOTO",
        photoToken: row.token,
        photoId: row.id,
        baseUrl: photoBaseUrl(emu, row),
        width: row.width ?? 0,
        height: row.height ?? 0,
      };
    }
    case "VIDEO":
      // Every field PyMax 1.x's VideoAttach reads unconditionally; the emulator does not
      // transcode, so no frame size or preview is known (0 / empty), videoType 0 is a plain video.
      return {
        _type: "VIDEO",
        videoId: row.id,
        token: row.token,
        duration: durationOf(attach.duration) ?? 0,
        width: 0,
        height: 0,
        previewData: "",
        thumbnail: "",
        videoType: 0,
      };
    case "FILE":
      return { _type: "FILE", fileId: row.id, name: row.name, size: row.size, token: row.token };
    default: {
      const out: MediaAttach = {
        _type: type,
        audioId: row.id,
        duration: durationOf(attach.duration) ?? 0,
        url: downloadUrl(emu, row),
        token: row.token,
        // PyMax 1.x's AudioAttach reads both; no waveform or transcription is made here.
        wave: "",
        transcriptionStatus: "NONE",
      };
      if (type === "VOICE") out.voiceId = row.id;
      if (row.kind === "video") out.videoId = row.id;
      return out;
    }
  }
}

function durationOf(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.round(v) : undefined;
}

/** Someone else's upload may be re-sent once it sits in a live message of a chat the user is in. */
function seenBy(emu: MaxEmulator, row: FileRow, userId: number): boolean {
  const needle = row.kind === "photo" ? row.token : String(row.id);
  return emu.repos.files
    .visibleAttachesMentioning(userId, needle)
    .some((json) => attachesReference(json, row));
}
