/**
 * MAX request payloads, one schema per request shape. Known fields are checked strictly,
 * unknown ones let through (real clients send extras such as `presenceSync`).
 */
import { z } from "zod";
import { Element, MessageId, NumericId, UserAgent } from "./objects.js";

// ── request payloads ────────────────────────────────────────────────────────

export const KeepalivePayload = z.looseObject({ interactive: z.boolean().optional() });
export const HelloPayload = z.looseObject({
  userAgent: UserAgent.optional(),
  deviceId: z.string().min(1).max(128).optional(),
});
export const StartAuthPayload = z.looseObject({
  phone: z.string().min(1).max(32),
  type: z.enum(["START_AUTH", "RESEND"]).default("START_AUTH"),
  language: z.string().optional(),
});
export const VerifyCodePayload = z.looseObject({
  token: z.string().min(1),
  verifyCode: z.union([z.string(), z.number()]).transform(String).optional(),
  password: z.string().optional(),
  trackId: z.string().optional(),
  authTokenType: z.enum(["CHECK_CODE", "CHECK_PASSWORD"]),
});
export const CheckPasswordPayload = z.looseObject({ trackId: z.string().min(1), password: z.string() });
export const LoginByTokenPayload = z.looseObject({
  token: z.string().min(1),
  interactive: z.boolean().optional(),
  chatsCount: z.number().int().nonnegative().max(1000).optional(),
  // PyMax's web login sends -1 for "never synced" (WebSyncPayload); any value <= 0 means a full sync.
  chatsSync: z.number().optional(),
  contactsSync: z.number().optional(),
  presenceSync: z.number().optional(),
  draftsSync: z.number().optional(),
});
export const QrStartPayload = z.looseObject({});
export const QrTrackPayload = z.looseObject({ trackId: z.string().min(1) });
export const QrConfirmPayload = z.looseObject({
  qrLink: z.string().optional(),
  trackId: z.string().optional(),
  /** PyMax contact SYNC on the same opcode: `{contactList: {"+7…": {firstName}}}`. */
  contactList: z
    .record(
      z.string().max(32),
      z.looseObject({ firstName: z.string().max(60).optional(), lastName: z.string().max(60).optional() }),
    )
    .optional(),
});
/** `null` means "unchanged": vkmax's change_profile sends every field, unset ones as null. */
const keepIfNull = <T extends z.ZodType>(schema: T) =>
  schema.nullish().transform((v): z.output<T> | undefined => v ?? undefined);

export const ChangeProfilePayload = z.looseObject({
  firstName: keepIfNull(z.string().min(1).max(60)),
  lastName: keepIfNull(z.string().max(60)),
  description: keepIfNull(z.string().max(400)),
  photoToken: keepIfNull(z.string()),
});
export const SettingsPayload = z.looseObject({
  settings: z.record(z.string(), z.unknown()).optional(),
});
export const TwoFaManagePayload = z.looseObject({
  action: z.enum(["GET", "SET", "REMOVE"]).default("GET"),
  password: z.string().min(1).max(256).optional(),
  currentPassword: z.string().optional(),
  hint: z.string().max(100).optional(),
  /** PyMax AUTH_CONFIRM (registration) on the same opcode: `{firstName, lastName?, token, tokenType:"REGISTER"}`. */
  firstName: z.string().max(60).optional(),
  lastName: z.string().max(60).optional(),
  token: z.string().optional(),
  tokenType: z.string().optional(),
});
export const SessionsPayload = z.looseObject({
  action: z.enum(["LIST", "TERMINATE", "TERMINATE_OTHERS"]).default("LIST"),
  sessionId: NumericId.optional(),
});
export const GetContactsPayload = z.looseObject({ contactIds: z.array(NumericId).max(1000) });
export const ContactActionPayload = z.looseObject({
  contactId: NumericId,
  action: z.enum(["ADD", "REMOVE", "BLOCK", "UNBLOCK", "UPDATE"]),
  firstName: z.string().max(60).optional(),
  lastName: z.string().max(60).optional(),
});
export const PresenceSubscribePayload = z.looseObject({
  contactIds: z.array(NumericId).max(1000),
  subscribe: z.boolean().default(true),
});
export const SetPresencePayload = z.looseObject({
  status: z.enum(["ONLINE", "OFFLINE", "HIDDEN"]).optional(),
  hidden: z.boolean().optional(),
});
export const GetChatsPayload = z.looseObject({ chatIds: z.array(NumericId).max(1000) });
/** `itemType` of 49 and 66: REGULAR (the default) or DELAYED (the caller's scheduled messages). */
export const ItemType = z.enum(["REGULAR", "DELAYED"]);
/**
 * A scheduled message's `delayedAttributes` (64 inside `message`, 67 at the top level):
 * `timeToFire` in ms, `notifySender` (the apps and PyMax ports send it).
 */
export const DelayedAttributes = z.looseObject({
  timeToFire: z.number().int().nonnegative(),
  notifySender: z.boolean().optional(),
});
export const GetChatPayload = z.looseObject({
  chatId: NumericId,
  itemType: ItemType.optional(),
  /** A time in ms; vkmax-node types it as a string, so digit strings are read as numbers. */
  from: z.union([z.number().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
  forward: z.number().int().nonnegative().max(1000).default(0),
  backward: z.number().int().nonnegative().max(1000).default(30),
  getMessages: z.boolean().default(true),
  getChat: z.boolean().optional(),
});
export const ReadMessagePayload = z.looseObject({
  type: z.enum(["READ_MESSAGE", "SET_AS_UNREAD"]).default("READ_MESSAGE"),
  chatId: NumericId,
  messageId: MessageId.optional(),
  mark: z.number().nonnegative().optional(),
});
export const SetTypingPayload = z.looseObject({
  chatId: NumericId,
  type: z.string().optional(),
});
export const GetTypingPayload = z.looseObject({ chatId: NumericId });
export const ChatsListPayload = z.looseObject({
  marker: z.number().nonnegative().optional(),
  count: z.number().int().positive().max(200).default(40),
});
export const ChatSettingsPayload = z.looseObject({
  chatId: NumericId,
  // vkmax's change_group_profile and PyMax send `theme`/`description` as null when unset.
  theme: keepIfNull(z.string().min(1).max(200)),
  title: keepIfNull(z.string().min(1).max(200)),
  description: keepIfNull(z.string().max(400)),
  pinMessageId: MessageId.optional(),
  messageId: MessageId.optional(),
  notifyPin: z.boolean().optional(),
  unpin: z.boolean().optional(),
  options: z.record(z.string(), z.unknown()).optional(),
});
export const GetInviteLinkPayload = z.looseObject({
  chatId: NumericId,
  revokePrivateLink: z.boolean().optional(),
});
export const LinkPayload = z.looseObject({ link: z.string().min(1).max(512) });
export const GetMembersPayload = z.looseObject({
  /** JOIN_REQUEST: PyMax get_join_requests (the emulator has no join requests to list). */
  type: z.enum(["MEMBER", "ADMIN", "JOIN_REQUEST"]).default("MEMBER"),
  chatId: NumericId,
  marker: z.number().nonnegative().optional(),
  count: z.number().int().positive().max(500).default(50),
  /** PyMax find_members: only members whose name contains this (case-insensitive). */
  query: z.string().max(256).optional(),
});
export const OutgoingMessage = z.looseObject({
  // PyMax leaves `text` (and `link`) None when a message has only attachments.
  text: z
    .string()
    .nullish()
    .transform((v) => v ?? ""),
  cid: z.number().optional(),
  elements: z.array(Element).max(1000).default([]),
  attaches: z
    .array(z.looseObject({ _type: z.string() }))
    .max(100)
    .default([]),
  link: keepIfNull(z.looseObject({ type: z.string() })),
  delayedAttributes: keepIfNull(DelayedAttributes),
});
export const SendMessagePayload = z.looseObject({
  chatId: NumericId.optional(),
  userId: NumericId.optional(),
  message: OutgoingMessage,
  notify: z.boolean().optional(),
});
export const UploadStartPayload = z.looseObject({
  chatId: NumericId,
  /** An upload's kind, or TEXT: code written against PyMax's enum (65 = MSG_TYPING) types with it. */
  type: z.enum(["PHOTO", "VIDEO", "FILE", "VOICE", "AUDIO", "TEXT"]),
});
export const DeleteMessagePayload = z.looseObject({
  chatId: NumericId,
  messageIds: z.array(MessageId).min(1).max(100),
  forMe: z.boolean().default(false),
  itemType: ItemType.optional(),
});
export const EditMessagePayload = z.looseObject({
  chatId: NumericId,
  messageId: MessageId,
  text: z
    .string()
    .nullish()
    .transform((v) => v ?? ""),
  elements: z.array(Element).max(1000).optional(),
  attaches: z
    .array(z.looseObject({ _type: z.string() }))
    .max(100)
    .optional(),
  attachments: z
    .array(z.looseObject({ _type: z.string() }))
    .max(100)
    .optional(),
  delayedAttributes: keepIfNull(DelayedAttributes),
});
export const ChatIdPayload = z.looseObject({ chatId: NumericId });
export const GetMessagesPayload = z.looseObject({
  chatId: NumericId,
  messageIds: z.array(MessageId).min(1).max(100),
});
export const QrApprovePayload = z.looseObject({ qrLink: z.string().min(1).max(512) });
export const LeaveChatPayload = z.looseObject({ chatId: NumericId, subscribe: z.boolean().optional() });
export const ManageMembersPayload = z.looseObject({
  chatId: NumericId,
  userIds: z.array(NumericId).min(1).max(1000),
  operation: z.enum(["add", "remove"]).default("add"),
  type: z.string().optional(),
  showHistory: z.boolean().optional(),
  cleanMsgPeriod: z.number().optional(),
  permissions: z.number().optional(),
});
export const UploadUrlPayload = z.looseObject({ count: z.number().int().positive().max(10).default(1) });
export const DownloadUrlPayload = z.looseObject({
  chatId: NumericId.optional(),
  messageId: MessageId.optional(),
  videoId: NumericId.optional(),
  fileId: NumericId.optional(),
  voiceId: NumericId.optional(),
  audioId: NumericId.optional(),
  token: z.string().optional(),
});
export const SearchPayload = z.looseObject({
  query: z.string().min(1).max(256),
  chatId: NumericId.optional(),
  count: z.number().int().positive().max(100).default(30),
  type: z.string().optional(),
});
export const ReactionPayload = z.looseObject({
  chatId: NumericId,
  messageId: MessageId,
  reaction: z
    .looseObject({ reactionType: z.string().default("EMOJI"), id: z.string().min(1).max(32) })
    .optional(),
});
export const GetReactionsPayload = z.looseObject({
  chatId: NumericId,
  messageIds: z.array(MessageId).min(1).max(100).optional(),
  messageId: MessageId.optional(),
  count: z.number().int().positive().max(500).optional(),
});

// ── client housekeeping (issue 13: what PyMax and the web client send besides the seed) ──

/** 5 LOG: telemetry `{events:[{event:"COLD_START"|"NAV", time, type, userId, params}]}`; accepted. */
export const LogPayload = z.looseObject({
  events: z
    .array(z.looseObject({ event: z.string().max(200).optional() }))
    .max(1000)
    .optional(),
});
/** 128 sent by the web client: delivery receipt of a pushed message. */
export const DeliveryReceiptPayload = z.looseObject({ chatId: NumericId, messageId: MessageId });
/** 46 CONTACT_INFO_BY_PHONE `{phone}` (PyMax search_by_phone). */
export const ContactByPhonePayload = z.looseObject({ phone: z.string().min(1).max(32) });
/** 272 FOLDERS_GET `{folderSync}` (PyMax get_folders). */
export const FoldersGetPayload = z.looseObject({ folderSync: z.number().optional() });
/**
 * PyMax CHAT_DELETE on 52 (the seed's GET_TYPING number, told apart by these fields) and
 * CHAT_CLEAR on 54, whose body is the same three fields.
 */
export const DeleteChatFields = z.looseObject({
  chatId: NumericId,
  lastEventTime: z.number().int().nonnegative().optional(),
  forAll: z.boolean().optional(),
});

/** 118: a pressed callback button (PyMax sends callbackId/type/payload/timestamp; other clients chatId/messageId too). */
export const SendCallbackPayload = z.looseObject({
  callbackId: z.string().min(1).max(128),
  type: z.string().max(32).optional(),
  payload: z.string().max(4096).nullish(),
  timestamp: z.number().optional(),
  chatId: NumericId.optional(),
  messageId: MessageId.optional(),
});

// ── PyMax two-factor settings (api/auth/payloads.py) ───────────────────────

/** 112 AUTH_CREATE_TRACK `{type: 0}`. */
export const CreateTrackPayload = z.looseObject({ type: z.number().int().optional() });
const TrackId = z.string().min(1).max(128);
/** A new 2FA password: the same length rules as 23 SET. */
export const TwoFaPassword = z.string().min(1).max(256);
/** 107 AUTH_VALIDATE_PASSWORD and 113 AUTH_CHECK_PASSWORD `{trackId, password}`. */
export const TrackPasswordPayload = z.looseObject({ trackId: TrackId, password: z.string().max(256) });
/** 108 AUTH_VALIDATE_HINT `{trackId, hint}`. */
export const TrackHintPayload = z.looseObject({ trackId: TrackId, hint: z.string().max(100) });
/** 104 AUTH_2FA_DETAILS: the apps send it after 112, with the track; a bare `{}` is read too. */
export const TwoFaDetailsPayload = z.looseObject({ trackId: TrackId.optional() });
/** 109 AUTH_VERIFY_EMAIL `{trackId, email}`. */
export const TrackEmailPayload = z.looseObject({ trackId: TrackId, email: z.string().min(3).max(254) });
/** 110 AUTH_CHECK_EMAIL `{trackId, verifyCode}`. */
export const TrackEmailCodePayload = z.looseObject({
  trackId: TrackId,
  verifyCode: z.union([z.string(), z.number()]).transform(String),
});
/**
 * TwoFactorAction numbers PyMax puts in `expectedCapabilities`: SET_PASSWORD 0, UPDATE_PASSWORD 1,
 * RESTORE_PASSWORD 2, HINT 3, EMAIL 4, REMOVE_2FA 5.
 */
export const TwoFactorAction = {
  SET_PASSWORD: 0,
  UPDATE_PASSWORD: 1,
  RESTORE_PASSWORD: 2,
  HINT: 3,
  EMAIL: 4,
  REMOVE_2FA: 5,
} as const;
/**
 * 111 AUTH_SET_2FA: set `{expectedCapabilities, trackId, password, hint?}` or remove
 * `{trackId, remove2fa: true, expectedCapabilities: [5]}`.
 */
export const SetTwoFaPayload = z.looseObject({
  trackId: TrackId,
  expectedCapabilities: z.array(z.number().int().min(0).max(5)).max(6).default([]),
  password: z.string().max(256).optional(),
  hint: z.string().max(100).nullish(),
  remove2fa: z.boolean().optional(),
});

// ── PyMax chat folders (api/self/payloads.py) ───────────────────────────────

/** Folder filters and options: PyMax passes them through as given (list[Any]). */
const FolderFlags = z.array(z.union([z.string().max(64), z.number()])).max(32);
/** 274 FOLDERS_UPDATE: create `{id, title, include, filters}` or update (adds `options`). */
export const FolderUpdatePayload = z.looseObject({
  id: z.string().min(1).max(64),
  title: z.string().max(64),
  include: z.array(NumericId).max(1000).default([]),
  filters: FolderFlags.default([]),
  options: FolderFlags.optional(),
});
/** 276 FOLDERS_DELETE `{folderIds}`. */
export const FoldersDeletePayload = z.looseObject({
  folderIds: z.array(z.string().min(1).max(64)).min(1).max(100),
});

/** 304 SEND_VOTE `{chatId, messageId, pollId, answersIds}` (PyMax vote_poll). */
export const SendVotePayload = z.looseObject({
  chatId: NumericId,
  messageId: MessageId,
  pollId: NumericId,
  answersIds: z.array(z.number().int()).min(1).max(12),
});
