/**
 * MAX Bot API objects as the official OpenAPI schema (max-bot-api-client-go schema.yaml) and the
 * official TS SDK (@maxhub/max-bot-api types) name them: snake_case, times in ms, chat and user
 * ids int64, message ids (`mid`) strings. These are response shapes: lenient (a field the platform
 * adds later is kept under `extra`, never an error). Request bodies are in protocol/requests.ts.
 */
import { z } from "zod";
import { lenient } from "../../core/extra.js";

/** int64 ids travel as JSON numbers (chat ids are negative for group chats). */
export const Int64 = z.number().int();

export const ChatType = z.enum(["dialog", "chat", "channel"]);
export type ChatType = z.infer<typeof ChatType>;
export const ChatStatus = z.enum(["active", "removed", "left", "closed", "suspended"]);
export type ChatStatus = z.infer<typeof ChatStatus>;
export const ChatAdminPermission = z.enum([
  "read_all_messages",
  "add_remove_members",
  "add_admins",
  "change_chat_info",
  "pin_message",
  "edit_link",
  "write",
  "edit",
  "delete",
  "can_call",
  "view_stats",
  // Sent by the SDK's types, not in the OpenAPI enum.
  "post_edit_delete_message",
  "edit_message",
  "delete_message",
]);
export type ChatAdminPermission = z.infer<typeof ChatAdminPermission>;
export const SenderAction = z.enum([
  "typing_on",
  "sending_photo",
  "sending_video",
  "sending_audio",
  "sending_file",
  "mark_seen",
]);
export type SenderAction = z.infer<typeof SenderAction>;
export const UploadType = z.enum(["image", "video", "audio", "file"]);
export type UploadType = z.infer<typeof UploadType>;
export const TextFormat = z.enum(["markdown", "html"]);
export type TextFormat = z.infer<typeof TextFormat>;
export const MessageLinkType = z.enum(["forward", "reply"]);
export type MessageLinkType = z.infer<typeof MessageLinkType>;
export const Intent = z.enum(["positive", "negative", "default"]);

export const UPDATE_TYPES = [
  "message_created",
  "message_callback",
  "message_edited",
  "message_removed",
  "message_chat_created",
  "bot_added",
  "bot_removed",
  "user_added",
  "user_removed",
  "bot_started",
  "bot_stopped",
  "dialog_cleared",
  "dialog_removed",
  "dialog_muted",
  "dialog_unmuted",
  "chat_title_changed",
] as const;
export const UpdateType = z.enum(UPDATE_TYPES);
export type UpdateType = z.infer<typeof UpdateType>;

// ------------------------------------------------------------------ users

export const User = lenient({
  user_id: Int64,
  first_name: z.string(),
  last_name: z.string().nullish(),
  /** Deprecated by the platform (first + last name), still sent and read by the SDK. */
  name: z.string().nullish(),
  username: z.string().nullable(),
  is_bot: z.boolean(),
  last_activity_time: Int64,
});
export type User = z.infer<typeof User>;
export type BotUser = User;

const userWithPhotoShape = {
  ...User.shape,
  description: z.string().nullish(),
  avatar_url: z.string().nullish(),
  full_avatar_url: z.string().nullish(),
};
export const UserWithPhoto = lenient(userWithPhotoShape);
export type UserWithPhoto = z.infer<typeof UserWithPhoto>;

export const BotCommand = lenient({ name: z.string(), description: z.string().nullish() });
export type BotCommand = z.infer<typeof BotCommand>;

export const BotInfo = lenient({
  ...userWithPhotoShape,
  is_official: z.boolean().nullish(),
  commands: z.array(BotCommand).nullish(),
});
export type BotInfo = z.infer<typeof BotInfo>;

// ------------------------------------------------------------------ keyboards and attachments

const buttonText = z.string();
export const Button = z.discriminatedUnion("type", [
  lenient({ type: z.literal("callback"), text: buttonText, payload: z.string(), intent: Intent.nullish() }),
  lenient({ type: z.literal("link"), text: buttonText, url: z.string() }),
  lenient({ type: z.literal("request_contact"), text: buttonText }),
  lenient({ type: z.literal("request_geo_location"), text: buttonText, quick: z.boolean().nullish() }),
  lenient({
    type: z.literal("chat"),
    text: buttonText,
    chat_title: z.string(),
    chat_description: z.string().nullish(),
    start_payload: z.string().nullish(),
    uuid: z.number().int().nullish(),
  }),
  lenient({ type: z.literal("message"), text: buttonText }),
  lenient({
    type: z.literal("open_app"),
    text: buttonText,
    web_app: z.string().nullish(),
    contact_id: Int64.nullish(),
    payload: z.string().nullish(),
  }),
  lenient({ type: z.literal("clipboard"), text: buttonText, payload: z.string() }),
]);
export type Button = z.infer<typeof Button>;

export const Keyboard = lenient({ buttons: z.array(z.array(Button)) });

const MediaPayload = lenient({ url: z.string(), token: z.string() });
export const PhotoAttachmentPayload = lenient({ photo_id: Int64, token: z.string(), url: z.string() });

/** An attachment of a received message (`Attachment` in the schema). */
export const Attachment = z.discriminatedUnion("type", [
  lenient({ type: z.literal("image"), payload: PhotoAttachmentPayload }),
  lenient({
    type: z.literal("video"),
    payload: MediaPayload,
    thumbnail: lenient({ url: z.string() }).nullish(),
    width: z.number().int().nullish(),
    height: z.number().int().nullish(),
    duration: z.number().int().nullish(),
  }),
  lenient({ type: z.literal("audio"), payload: MediaPayload, transcription: z.string().nullish() }),
  lenient({ type: z.literal("file"), payload: MediaPayload, filename: z.string(), size: Int64 }),
  lenient({
    type: z.literal("sticker"),
    payload: lenient({ url: z.string(), code: z.string() }),
    width: z.number().int(),
    height: z.number().int(),
  }),
  lenient({
    type: z.literal("contact"),
    payload: lenient({ vcf_info: z.string().nullish(), max_info: User.nullish() }),
  }),
  lenient({ type: z.literal("inline_keyboard"), payload: Keyboard }),
  lenient({ type: z.literal("reply_keyboard"), buttons: z.array(z.array(z.unknown())) }),
  lenient({
    type: z.literal("share"),
    payload: lenient({ url: z.string().nullish(), token: z.string().nullish() }),
    title: z.string().nullish(),
    description: z.string().nullish(),
    image_url: z.string().nullish(),
  }),
  lenient({ type: z.literal("location"), latitude: z.number(), longitude: z.number() }),
  lenient({ type: z.literal("data"), data: z.string() }),
]);
export type Attachment = z.infer<typeof Attachment>;

export const MARKUP_TYPES = [
  "strong",
  "emphasized",
  "monospaced",
  "link",
  "strikethrough",
  "underline",
  "user_mention",
  "heading",
  "highlighted",
  "quote",
] as const;
export const MarkupElement = lenient({
  type: z.enum(MARKUP_TYPES),
  from: z.number().int(),
  length: z.number().int(),
  url: z.string().nullish(),
  user_link: z.string().nullish(),
  user_id: Int64.nullish(),
});
export type MarkupElement = z.infer<typeof MarkupElement>;

// ------------------------------------------------------------------ messages

export const Recipient = lenient({
  chat_id: Int64.nullable(),
  chat_type: ChatType,
  user_id: Int64.nullable(),
});
export type Recipient = z.infer<typeof Recipient>;

export const MessageBody = lenient({
  mid: z.string(),
  seq: Int64,
  text: z.string().nullable(),
  attachments: z.array(Attachment).nullish(),
  markup: z.array(MarkupElement).nullish(),
});
export type MessageBody = z.infer<typeof MessageBody>;

export const LinkedMessage = lenient({
  type: MessageLinkType,
  sender: User.nullish(),
  chat_id: Int64.nullish(),
  message: MessageBody,
});
export type LinkedMessage = z.infer<typeof LinkedMessage>;

export const MessageStat = lenient({ views: z.number().int() });

export const Message = lenient({
  sender: User.nullish(),
  recipient: Recipient,
  timestamp: Int64,
  link: LinkedMessage.nullish(),
  body: MessageBody,
  stat: MessageStat.nullish(),
  url: z.string().nullish(),
});
export type Message = z.infer<typeof Message>;
/** Names that keep Bot API objects apart from the unified model's User/Chat/Message. */
export type BotMessage = Message;

export const MessageList = lenient({ messages: z.array(Message) });
export const SendMessageResult = lenient({ message: Message });
export const GetPinnedMessageResult = lenient({ message: Message.nullish() });

// ------------------------------------------------------------------ chats

export const Image = lenient({ url: z.string() });

export const Chat = lenient({
  chat_id: Int64,
  type: ChatType,
  status: ChatStatus,
  title: z.string().nullable(),
  icon: Image.nullable(),
  last_event_time: Int64,
  participants_count: z.number().int(),
  owner_id: Int64.nullish(),
  participants: z.record(z.string(), Int64).nullish(),
  is_public: z.boolean(),
  link: z.string().nullish(),
  description: z.string().nullish(),
  dialog_with_user: UserWithPhoto.nullish(),
  messages_count: z.number().int().nullish(),
  chat_message_id: z.string().nullish(),
  pinned_message: Message.nullish(),
});
export type Chat = z.infer<typeof Chat>;
export type BotChat = Chat;

export const ChatList = lenient({ chats: z.array(Chat), marker: Int64.nullable() });

export const ChatMember = lenient({
  ...userWithPhotoShape,
  last_access_time: Int64,
  is_owner: z.boolean(),
  is_admin: z.boolean(),
  join_time: Int64,
  permissions: z.array(z.string()).nullable(),
  alias: z.string().nullish(),
});
export type ChatMember = z.infer<typeof ChatMember>;

export const ChatMembersList = lenient({ members: z.array(ChatMember), marker: Int64.nullish() });

// ------------------------------------------------------------------ results

/** `{success, message?}`: what every write without a richer answer returns. */
export const SimpleQueryResult = lenient({ success: z.boolean(), message: z.string().nullish() });
export type SimpleQueryResult = z.infer<typeof SimpleQueryResult>;

export const FailedUserDetails = lenient({ error_code: z.string(), user_ids: z.array(Int64) });
export const ModifyMembersResult = lenient({
  success: z.boolean(),
  message: z.string().nullish(),
  failed_user_ids: z.array(Int64).nullish(),
  failed_user_details: z.array(FailedUserDetails).nullish(),
});

export const UploadEndpoint = lenient({ url: z.string(), token: z.string().nullish() });
export type UploadEndpoint = z.infer<typeof UploadEndpoint>;

export const VideoUrls = lenient({
  mp4_1080: z.string().nullish(),
  mp4_720: z.string().nullish(),
  mp4_480: z.string().nullish(),
  mp4_360: z.string().nullish(),
  mp4_240: z.string().nullish(),
  mp4_144: z.string().nullish(),
  hls: z.string().nullish(),
});
export const VideoAttachmentDetails = lenient({
  token: z.string(),
  urls: VideoUrls.nullish(),
  thumbnail: PhotoAttachmentPayload.nullish(),
  width: z.number().int(),
  height: z.number().int(),
  duration: z.number().int(),
});

export const Subscription = lenient({
  url: z.string(),
  time: Int64,
  update_types: z.array(z.string()).nullable(),
  version: z.string().nullish(),
});
export type Subscription = z.infer<typeof Subscription>;
export const GetSubscriptionsResult = lenient({ subscriptions: z.array(Subscription) });

/** Error body: `{code, message}` with the HTTP status (`error` is sometimes added). */
export const ErrorBody = lenient({ code: z.string(), message: z.string(), error: z.string().nullish() });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** The error codes the platform and the SDK use. */
export const ERROR_CODES = {
  badRequest: "bad.request",
  verifyToken: "verify.token",
  notFound: "not.found",
  method: "method.not.allowed",
  tooMany: "too.many.requests",
  unavailable: "service.unavailable",
  attachmentNotReady: "attachment.not.ready",
  chatDenied: "chat.denied",
  accessDenied: "access.denied",
  internal: "internal.error",
} as const;
