/**
 * What a bot sends: JSON bodies and query strings, with the limits of the official schema
 * (text ≤ 4000, button text 1–128, payload ≤ 1024 …). The emulator checks every request with
 * these; the client checks before sending. Unknown fields are dropped, not refused (the
 * platform ignores them, and the official SDK spreads its options into bodies). Query values
 * arrive as strings: the `q*` helpers accept both the string and the number form.
 */
import { z } from "zod";
import {
  BotCommand,
  ChatAdminPermission,
  Intent,
  MessageLinkType,
  SenderAction,
  TextFormat,
  UpdateType,
  UploadType,
} from "./objects.js";

export const TEXT_MAX = 4000;

/** An int64 in a query string (`-123`) or already a number. */
export const qInt = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d{1,19}$/, "expected an integer")
    .transform(Number),
]);
/** A bounded integer query value. */
export function qIntIn(min: number, max: number) {
  return qInt.pipe(z.number().int().min(min).max(max));
}
/** `true`/`false` in a query string. */
export const qBool = z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]);
/** Comma-separated list in a query string (`1,2,3`), or an array (repeated parameter). */
export function qList<T extends z.ZodType<unknown, string>>(item: T) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter((s) => s !== ""))
    .pipe(z.array(item));
}
const qIdList = qList(
  z
    .string()
    .regex(/^-?\d{1,19}$/)
    .transform(Number),
);

// ------------------------------------------------------------------ buttons and attachments

const text128 = z.string().min(1).max(128);
const payload1024 = z.string().max(1024);

export const ButtonRequest = z.discriminatedUnion("type", [
  z.object({ type: z.literal("callback"), text: text128, payload: payload1024, intent: Intent.optional() }),
  z.object({ type: z.literal("link"), text: text128, url: z.string().min(1).max(2048) }),
  z.object({ type: z.literal("request_contact"), text: text128 }),
  z.object({ type: z.literal("request_geo_location"), text: text128, quick: z.boolean().optional() }),
  z.object({
    type: z.literal("chat"),
    text: text128,
    chat_title: z.string().max(200),
    chat_description: z.string().max(400).nullish(),
    start_payload: z.string().max(512).nullish(),
    uuid: z.number().int().nullish(),
  }),
  z.object({ type: z.literal("message"), text: text128 }),
  z.object({
    type: z.literal("open_app"),
    text: text128,
    web_app: z.string().nullish(),
    contact_id: z.number().int().nullish(),
    payload: z
      .string()
      .regex(/^[\w-]{0,512}$/)
      .nullish(),
  }),
  z.object({ type: z.literal("clipboard"), text: text128, payload: payload1024 }),
]);
export type ButtonRequest = z.infer<typeof ButtonRequest>;

export const ReplyButtonRequest = z.object({
  type: z.enum(["message", "user_geo_location", "user_contact"]),
  text: text128,
  payload: payload1024.nullish(),
  intent: Intent.optional(),
  quick: z.boolean().optional(),
});

export const PhotoAttachmentRequestPayload = z.object({
  url: z.string().min(1).nullish(),
  token: z.string().min(1).nullish(),
  /** Tokens from an image upload, keyed by the platform's size names (the SDK also sends bare strings). */
  photos: z
    .record(z.string(), z.union([z.object({ token: z.string().min(1) }), z.string().min(1)]))
    .nullish(),
});
export type PhotoAttachmentRequestPayload = z.infer<typeof PhotoAttachmentRequestPayload>;
const UploadedInfo = z.object({ token: z.string().min(1) });

export const AttachmentRequest = z.discriminatedUnion("type", [
  z.object({ type: z.literal("image"), payload: PhotoAttachmentRequestPayload }),
  z.object({ type: z.literal("video"), payload: UploadedInfo }),
  z.object({ type: z.literal("audio"), payload: UploadedInfo }),
  z.object({ type: z.literal("file"), payload: UploadedInfo }),
  z.object({ type: z.literal("sticker"), payload: z.object({ code: z.string().min(1) }) }),
  z.object({
    type: z.literal("contact"),
    payload: z.object({
      name: z.string().nullish(),
      contact_id: z.number().int().nullish(),
      vcf_info: z.string().nullish(),
      vcf_phone: z.string().nullish(),
    }),
  }),
  z.object({
    type: z.literal("inline_keyboard"),
    payload: z.object({ buttons: z.array(z.array(ButtonRequest).min(1).max(7)).min(1).max(30) }),
  }),
  z.object({
    type: z.literal("reply_keyboard"),
    direct: z.boolean().optional(),
    direct_user_id: z.number().int().nullish(),
    buttons: z.array(z.array(ReplyButtonRequest)).min(1),
  }),
  z.object({ type: z.literal("location"), latitude: z.number(), longitude: z.number() }),
  z.object({
    type: z.literal("share"),
    payload: z.object({ url: z.string().min(1).nullish(), token: z.string().nullish() }),
  }),
]);
export type AttachmentRequest = z.infer<typeof AttachmentRequest>;

export const NewMessageLink = z.object({ type: MessageLinkType, mid: z.string().min(1) });

/** `NewMessageBody`: what POST/PUT /messages and /answers carry. */
export const NewMessageBody = z.object({
  text: z.string().max(TEXT_MAX).nullish(),
  attachments: z.array(AttachmentRequest).max(10).nullish(),
  link: NewMessageLink.nullish(),
  notify: z.boolean().nullish(),
  format: TextFormat.nullish(),
});
export type NewMessageBody = z.infer<typeof NewMessageBody>;

// ------------------------------------------------------------------ bodies

export const NoInput = z.object({});

export const BotPatch = z.object({
  /** Deprecated alias of first_name. */
  name: z.string().min(1).max(59).nullish(),
  first_name: z.string().min(1).max(59).nullish(),
  description: z.string().min(1).max(16000).nullish(),
  commands: z
    .array(z.object({ name: z.string().min(1).max(64), description: z.string().min(1).max(128).nullish() }))
    .max(32)
    .nullish(),
  photo: PhotoAttachmentRequestPayload.nullish(),
});
export type BotPatch = z.infer<typeof BotPatch>;

/** `PATCH /me/commands` (the SDK's editMyCommands). */
export const EditCommandsBody = z.object({
  commands: z
    .array(z.object({ name: z.string().min(1).max(64), description: z.string().max(128).nullish() }))
    .max(32),
});
export const EditCommandsResult = z.object({ commands: z.array(BotCommand) });

export const ChatPatch = z.object({
  icon: PhotoAttachmentRequestPayload.nullish(),
  title: z.string().min(1).max(200).nullish(),
  pin: z.string().nullish(),
  notify: z.boolean().nullish(),
  description: z.string().max(16000).nullish(),
});
export type ChatPatch = z.infer<typeof ChatPatch>;

export const ActionRequestBody = z.object({ action: SenderAction });
export const PinMessageBody = z.object({ message_id: z.string().min(1), notify: z.boolean().nullish() });
export const ChatAdmin = z.object({
  user_id: z.number().int(),
  permissions: z.array(ChatAdminPermission),
  alias: z.string().nullish(),
});
export const ChatAdminsList = z.object({ admins: z.array(ChatAdmin).min(1).max(100) });
export const UserIdsList = z.object({ user_ids: z.array(z.number().int()).min(1).max(100) });

export const SubscriptionRequestBody = z.object({
  url: z
    .string()
    .min(1)
    .regex(/^https?:\/\//i, "must start with http(s)://"),
  secret: z
    .string()
    .regex(/^[\w-]{5,256}$/, "5-256 characters of A-Z, a-z, 0-9, _ and -")
    .optional(),
  self_signed_cert: z.string().optional(),
  update_types: z.array(UpdateType).nullish(),
  version: z.string().nullish(),
});
export type SubscriptionRequestBody = z.infer<typeof SubscriptionRequestBody>;

export const CallbackAnswer = z.object({
  message: NewMessageBody.nullish(),
  notification: z.string().min(1).max(TEXT_MAX).nullish(),
});
export type CallbackAnswer = z.infer<typeof CallbackAnswer>;

// ------------------------------------------------------------------ queries

export const ChatsQuery = z.object({ count: qIntIn(1, 100).optional(), marker: qInt.optional() });
export const MembersQuery = z.object({
  user_ids: qIdList.optional(),
  marker: qInt.optional(),
  count: qIntIn(1, 100).optional(),
});
export const RemoveMemberQuery = z.object({ user_id: qInt, block: qBool.optional() });
export const UnsubscribeQuery = z.object({ url: z.string().min(1) });
export const UploadQuery = z.object({ type: UploadType });
export const MessagesQuery = z.object({
  chat_id: qInt.optional(),
  message_ids: qList(z.string().min(1)).optional(),
  from: qInt.optional(),
  to: qInt.optional(),
  count: qIntIn(1, 100).optional(),
});
export const SendMessageQuery = z.object({
  user_id: qInt.optional(),
  chat_id: qInt.optional(),
  disable_link_preview: qBool.optional(),
});
export const MessageIdQuery = z.object({ message_id: z.string().min(1) });
export const AnswerQuery = z.object({ callback_id: z.string().regex(/^(?!\s*$).+/, "must not be empty") });
/** Comments of a channel post (the SDK's CommentsApi; not in the OpenAPI schema). */
export const CommentBody = z.object({
  text: z.string().max(TEXT_MAX).nullish(),
  link: NewMessageLink.nullish(),
  format: TextFormat.nullish(),
});
export const CommentsQuery = z.object({
  count: qIntIn(1, 100).optional(),
  before: qInt.optional(),
  after: qInt.optional(),
  comment_ids: qList(z.string().min(1)).optional(),
});
export const SendCommentQuery = z.object({ disable_link_preview: qBool.optional() });
export const EditCommentQuery = z.object({ message_id: z.string().min(1), comment_id: z.string().min(1) });
export const CommentIdQuery = z.object({ comment_id: z.string().min(1) });

export const UpdatesQuery = z.object({
  limit: qIntIn(1, 1000).optional(),
  timeout: qIntIn(0, 90).optional(),
  marker: qInt.optional(),
  types: qList(UpdateType).optional(),
});
export type UpdatesQuery = z.output<typeof UpdatesQuery>;
