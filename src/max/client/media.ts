/**
 * Media: upload slots (80 / 82 / 84 / 87), the HTTP upload (./uploads.ts), waiting for the
 * "processed" push (136), upload notices (65) and download URLs (83 / 85 / 88).
 */
import type { CallOptions } from "../../core/call.js";
import { ApiError, TimeoutError, ValidationError } from "../../core/errors.js";
import type { MaxMethod } from "../protocol.js";
import type { MaxEngine } from "./engine.js";
import { num } from "./engine.js";
import type { MediaKind, UploadOptions } from "./options.js";
import { isObject, type MaxAttach, type MaxEventMap } from "./types.js";
import { type HttpOptions, postMultipart, type UploadSource } from "./uploads.js";

export const UPLOAD_METHOD = {
  photo: "photoUploadUrl",
  video: "videoUploadUrl",
  voice: "voiceUploadUrl",
  file: "fileUploadUrl",
} as const satisfies Record<MediaKind, MaxMethod>;

export const UPLOAD_TYPE: Record<MediaKind, string> = {
  photo: "PHOTO",
  video: "VIDEO",
  voice: "VOICE",
  file: "FILE",
};

/**
 * Uploads a photo, video, voice note or file and returns the attach to send. Photos are ready
 * when the POST answers (the token is in its answer); the other kinds wait for the server's
 * "processed" push (136) up to `processTimeoutMs`.
 */
export async function uploadAttach(
  e: MaxEngine,
  kind: MediaKind,
  source: string | UploadSource,
  options: UploadOptions,
): Promise<MaxAttach> {
  const file: UploadSource = typeof source === "string" ? { source } : source;
  const slot = await e.call(UPLOAD_METHOD[kind], { count: 1 }, options);
  const info = Array.isArray(slot.info) && isObject(slot.info[0]) ? slot.info[0] : slot;
  const url = typeof info.url === "string" ? info.url : typeof slot.url === "string" ? slot.url : undefined;
  if (!url) throw new ApiError(`upload slot answer had no url`, { platform: "max", code: "bad_answer" });
  const http: HttpOptions = {};
  if (options.onProgress) http.onProgress = options.onProgress;
  if (options.signal) http.signal = options.signal;
  if (options.transferTimeoutMs !== undefined) http.timeoutMs = options.transferTimeoutMs;

  if (kind === "photo") {
    const answer = await postMultipart(url, file, http);
    const photos = isObject(answer) && isObject(answer.photos) ? answer.photos : {};
    const first = Object.values(photos).find(isObject);
    if (!first || typeof first.token !== "string") {
      throw new ApiError("photo upload answer had no token", { platform: "max", code: "bad_answer" });
    }
    return { _type: "PHOTO", photoToken: first.token };
  }

  const id =
    kind === "video"
      ? num(info.videoId)
      : kind === "file"
        ? num(info.fileId)
        : (num(info.voiceId) ?? num(info.audioId) ?? num(info.videoId));
  if (id === undefined)
    throw new ApiError(`${kind} upload slot had no id`, { platform: "max", code: "bad_answer" });
  const processed = waitUpload(
    e,
    kind === "file" ? "file" : kind === "video" ? "video" : "voice",
    id,
    options,
  );
  try {
    await postMultipart(url, file, http);
  } catch (err) {
    processed.cancel();
    throw err;
  }
  const done = await processed.promise;
  const token = typeof info.token === "string" ? info.token : done.token;
  switch (kind) {
    case "video":
      return token ? { _type: "VIDEO", videoId: id, token } : { _type: "VIDEO", videoId: id };
    case "file":
      return { _type: "FILE", fileId: id };
    default: {
      const a: MaxAttach = { _type: "VOICE", voiceId: id, audioId: id };
      if (token) a.token = token;
      if (options.durationMs !== undefined) a.duration = options.durationMs;
      return a;
    }
  }
}

function waitUpload(
  e: MaxEngine,
  kind: "file" | "video" | "voice",
  id: number,
  options: UploadOptions,
): { promise: Promise<MaxEventMap["uploadComplete"]>; cancel: () => void } {
  const key = `${kind}:${id}`;
  const timeoutMs = options.processTimeoutMs ?? e.o.uploadTimeoutMs ?? 60_000;
  let cancel = () => {};
  const promise = new Promise<MaxEventMap["uploadComplete"]>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new TimeoutError(`upload ${kind} ${id} was not processed within ${timeoutMs} ms (no event 136)`, {
          platform: "max",
          code: "upload_timeout",
        }),
      );
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      e.uploadWaiters.delete(key);
    };
    e.uploadWaiters.set(key, {
      resolve: (data) => {
        cleanup();
        resolve(data);
      },
      reject: (err) => {
        cleanup();
        reject(err);
      },
    });
    cancel = cleanup;
  });
  // A cancelled wait's rejection is nobody's business; awaited waits still see it.
  promise.catch(() => undefined);
  return { promise, cancel };
}

export async function getUploadSlots(
  e: MaxEngine,
  kind: MediaKind,
  count: number,
  options: CallOptions,
): Promise<Record<string, unknown>[]> {
  const a = await e.call(UPLOAD_METHOD[kind], { count }, options);
  if (Array.isArray(a.info)) return a.info.filter(isObject);
  return typeof a.url === "string" ? [{ url: a.url }] : [];
}

/** A download URL for a received attach (83 video, 85 voice, 88 file; photos carry theirs). */
export async function getDownloadUrl(
  e: MaxEngine,
  attach: MaxAttach,
  where: { chatId: number; messageId: string },
  options: CallOptions,
): Promise<string> {
  const base = { chatId: where.chatId, messageId: where.messageId };
  let a: Record<string, unknown>;
  switch (attach._type) {
    case "PHOTO": {
      const url = attach.baseUrl ?? attach.url;
      if (typeof url !== "string")
        throw new ApiError("photo attach has no url", { platform: "max", code: "bad_answer" });
      return url;
    }
    case "VIDEO":
      a = await e.call("videoDownloadUrl", { ...base, videoId: num(attach.videoId) }, options);
      break;
    case "VOICE":
    case "AUDIO": {
      const id = num(attach.audioId) ?? num(attach.voiceId) ?? num(attach.videoId);
      a = await e.call("voiceDownloadUrl", { ...base, audioId: id, voiceId: id }, options);
      break;
    }
    case "FILE":
      a = await e.call("fileDownloadUrl", { ...base, fileId: num(attach.fileId) }, options);
      break;
    default:
      throw new ValidationError(`${attach._type} attaches have no download`, { platform: "max" });
  }
  if (typeof a.url === "string") return a.url;
  // 83 answers quality → url plus extras (cache, EXTERNAL, FAILOVER_HOSTS).
  for (const [k, v] of Object.entries(a)) {
    if (k !== "EXTERNAL" && typeof v === "string" && /^https?:\/\//.test(v)) return v;
  }
  throw new ApiError("download answer had no url", { platform: "max", code: "bad_answer" });
}
