/**
 * MaxBotClient: the upload flow. `POST /uploads?type=…` hands out a URL (and, for video and audio,
 * the token at once); the bytes go there as multipart field `data`; the answer (or that token) is
 * the payload of the attachment to send. The upload URL gets no Authorization header.
 */
import type { CallOptions } from "../../core/call.js";
import { ApiError } from "../../core/errors.js";
import { type AttachmentRequest, MaxBotEndpoints as E, type UploadType } from "../protocol.js";
import { type MaxBotCore, PLATFORM } from "./core.js";

/** What `upload` takes: bytes, or a stream / async iterable of byte chunks (read to the end first). */
export type UploadSource = Uint8Array | ArrayBuffer | Blob | AsyncIterable<Uint8Array | string>;

/** The attachment request `upload` answers, ready for `sendMessage({attachments: [it]})`. */
export type UploadedAttachment = Extract<AttachmentRequest, { type: UploadType }>;

async function toBlob(source: UploadSource): Promise<Blob> {
  if (source instanceof Blob) return source;
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return new Blob([source]);
  const chunks: Uint8Array[] = [];
  for await (const c of source) chunks.push(typeof c === "string" ? new TextEncoder().encode(c) : c);
  return new Blob(chunks);
}

function uploadPayload(
  type: UploadType,
  answer: unknown,
  token: string | null | undefined,
): UploadedAttachment {
  const a = answer !== null && typeof answer === "object" ? (answer as Record<string, unknown>) : {};
  if (type === "image") {
    if (a.photos && typeof a.photos === "object")
      return { type, payload: { photos: a.photos as Record<string, { token: string }> } };
    if (typeof a.token === "string") return { type, payload: { token: a.token } };
  } else {
    const t = token ?? (typeof a.token === "string" ? a.token : undefined);
    if (t) return { type, payload: { token: t } };
  }
  throw new ApiError(`MAX Bot API upload (${type}): the upload answered no token`, {
    platform: PLATFORM,
    code: "bad_response",
  });
}

export const uploadsApi = {
  /** Step 1 of an upload: where to send the bytes (`url`) and, for video/audio, the token. */
  getUploadUrl(this: MaxBotCore, type: UploadType, options: CallOptions = {}) {
    return this.call(E.getUploadUrl, { input: { type } }, { ...options, idempotent: true });
  },
  /**
   * The whole upload: asks for a URL, sends the bytes as `name`, answers the attachment request
   * to send. A message sent right after may meet `attachment.not.ready`; `sendMessage` retries that.
   */
  async upload(
    this: MaxBotCore,
    type: UploadType,
    source: UploadSource,
    name: string,
    options: CallOptions = {},
  ): Promise<UploadedAttachment> {
    const target = await this.call(E.getUploadUrl, { input: { type } }, { ...options, idempotent: true });
    const form = new FormData();
    form.append("data", await toBlob(source), name);
    const answer = await this.rawRequest(target.url, { method: "POST", body: form }, options);
    return uploadPayload(type, answer, target.token);
  },
};

export type UploadsApi = typeof uploadsApi;
