/**
 * MAX user API wire schema (seed 000 + PROTOCOL-NOTES.md): the single source of truth shared by
 * the emulator and the client. Request payloads are validated strictly on known fields and
 * leniently on unknown ones (real clients send extras such as `presenceSync`).
 */
import { z } from "zod";

export const PROTOCOL_VERSION = 11;
export const DEFAULT_URL = "wss://ws-api.oneme.ru/websocket";
export const WEB_ORIGIN = "https://web.max.ru";

/** Seed limits. */
export const LIMITS = {
  textLength: 4000,
  groupMembers: 10_000,
  fileBytes: 4 * 1024 ** 3,
  keepaliveIntervalMs: 30_000,
  /** Largest WebSocket frame the server accepts; real packets are far smaller. */
  frameBytes: 1024 * 1024,
} as const;

/**
 * `cmd` values: the seed names 0 request and 1 response (events too, "with cmd=1 without a
 * request"); PyMax names 2 event and 3 error. Real pushes carry cmd 0 with a server seq
 * (PyMax tests), so the emulator can be switched to that (`eventCmd`).
 */
export const Cmd = { REQUEST: 0, RESPONSE: 1, EVENT: 2, ERROR: 3 } as const;
export type CmdValue = (typeof Cmd)[keyof typeof Cmd];

export const Opcode = {
  KEEPALIVE: 1,
  HELLO: 6,
  CHANGE_PROFILE: 16,
  START_AUTH: 17,
  VERIFY_CODE: 18,
  LOGIN_BY_TOKEN: 19,
  /** Seed: QR_LOGIN (start). */
  QR_LOGIN: 20,
  /** Seed: QR_CONFIRM; PyMax's contact SYNC shares the number (told apart by `contactList`). */
  QR_CONFIRM: 21,
  SETTINGS: 22,
  /** Seed: 2FA_MANAGE; PyMax's AUTH_CONFIRM `{tokenType:"REGISTER"}` shares the number. */
  TWO_FA_MANAGE: 23,
  SESSIONS: 24,
  GET_CONTACTS: 32,
  CONTACT_ACTION: 34,
  PRESENCE_SUBSCRIBE: 35,
  SET_PRESENCE: 36,
  GET_CHATS: 48,
  GET_CHAT: 49,
  READ_MESSAGE: 50,
  SET_TYPING: 51,
  GET_TYPING: 52,
  CHATS_LIST: 53,
  CHAT_SETTINGS: 55,
  GET_INVITE_LINK: 56,
  JOIN_BY_LINK: 57,
  /** PyMax CHAT_LEAVE `{chatId}`. */
  CHAT_LEAVE: 58,
  GET_MEMBERS: 59,
  SEND_MESSAGE: 64,
  UPLOAD_START: 65,
  DELETE_MESSAGE: 66,
  EDIT_MESSAGE: 67,
  /** PyMax MSG_GET `{chatId, messageIds}`. */
  GET_MESSAGES: 71,
  /** Seed: LEAVE_CHAT; vkmax/PyMax: CHAT_SUBSCRIBE `{chatId, subscribe}`. */
  LEAVE_CHAT: 75,
  MANAGE_MEMBERS: 77,
  PHOTO_UPLOAD_URL: 80,
  VIDEO_UPLOAD_URL: 82,
  VIDEO_DOWNLOAD_URL: 83,
  VOICE_UPLOAD_URL: 84,
  VOICE_DOWNLOAD_URL: 85,
  FILE_UPLOAD_URL: 87,
  FILE_DOWNLOAD_URL: 88,
  RESOLVE_LINK: 89,
  SEARCH: 90,
  /** PyMax SESSIONS_INFO / SESSIONS_CLOSE. */
  SESSIONS_INFO: 96,
  SESSIONS_CLOSE: 97,
  CHECK_PASSWORD: 115,
  NEW_MESSAGE: 128,
  /** Seed: presence update (PyMax reads 129 as typing and 132 as presence). */
  PRESENCE_UPDATE: 129,
  /** Read mark of another member `{setAsUnread, chatId, userId, mark}` (PyMax NOTIF_MARK). */
  MARK: 130,
  /** Presence as PyMax reads it (also sent, see PRESENCE_UPDATE). */
  PRESENCE: 132,
  CHAT_UPDATED: 135,
  UPLOAD_COMPLETE: 136,
  REACTIONS_CHANGED: 155,
  REACTION: 178,
  REACTION_REMOVE: 179,
  GET_REACTIONS: 180,
  /** Seed: GET_REACTIONS; PyMax: detailed reactions of one message. */
  GET_REACTIONS_DETAIL: 181,
  QR_START: 288,
  QR_POLL: 289,
  QR_APPROVE: 290,
  QR_FINISH: 291,
} as const;
export type OpcodeName = keyof typeof Opcode;
export type OpcodeValue = (typeof Opcode)[OpcodeName];

const opcodeNames = new Map<number, OpcodeName>(
  Object.entries(Opcode).map(([name, value]) => [value, name as OpcodeName]),
);
export function opcodeName(opcode: number): string {
  return opcodeNames.get(opcode) ?? `UNKNOWN_${opcode}`;
}

/**
 * Typing notices are pushed with the request's own opcode 51: the seed gives 129 to presence,
 * which PyMax reads as typing, so no other number is free of conflict.
 */
export const TYPING_EVENT_OPCODE = Opcode.SET_TYPING;

/** Server-initiated packets: clients never send these opcodes as requests. */
export const EVENT_OPCODES: ReadonlySet<number> = new Set([
  Opcode.NEW_MESSAGE,
  Opcode.PRESENCE_UPDATE,
  Opcode.MARK,
  Opcode.PRESENCE,
  Opcode.CHAT_UPDATED,
  Opcode.UPLOAD_COMPLETE,
  Opcode.REACTIONS_CHANGED,
]);

// ── envelope ────────────────────────────────────────────────────────────────

export const Packet = z.object({
  ver: z.number().int(),
  cmd: z.number().int().min(0).max(3),
  seq: z.number().int().nonnegative(),
  opcode: z.number().int().nonnegative(),
  payload: z.unknown().optional(),
});
export type Packet = z.infer<typeof Packet>;

export interface OutPacket<P = unknown> {
  ver: number;
  cmd: CmdValue;
  seq: number;
  opcode: number;
  payload: P;
}

// ── errors ──────────────────────────────────────────────────────────────────

/** Error packet payload (`cmd: 3`). */
export const ErrorPayload = z.looseObject({
  error: z.string(),
  message: z.string(),
  localizedMessage: z.string().optional(),
  title: z.string().optional(),
  description: z.string().optional(),
});
export type ErrorPayload = z.infer<typeof ErrorPayload>;

/** Error strings the service uses; `retryable` and `auth` drive the client's error mapping. */
export const ErrorCode = {
  /** Bad JSON or envelope. */
  PROTO_FORMAT: "proto.format",
  /** Payload missing or wrong-typed fields. */
  PROTO_PAYLOAD: "proto.payload",
  /** Opcode not known or not served. */
  PROTO_OPCODE: "proto.opcode",
  /** Request not allowed in the session's state (before hello, before login): "Must be ONLINE session". */
  PROTO_STATE: "proto.state",
  /** Frame larger than the service accepts. */
  PROTO_SIZE: "proto.size",
  /** Login token unknown, expired or revoked (message `FAIL_LOGIN_TOKEN`, which PyMax keys on). */
  LOGIN_TOKEN: "login.token",
  /** SMS auth token unknown or expired. */
  CODE_EXPIRED: "error.code.expired",
  /** Wrong SMS code. */
  CODE_WRONG: "error.code.wrong",
  /** Phone number malformed. */
  PHONE_WRONG: "error.phone.wrong",
  /** Wrong 2FA password. */
  PASSWORD_WRONG: "error.password.wrong",
  NOT_FOUND: "not.found",
  CHAT_NOT_FOUND: "chat.not.found",
  CHAT_NO_ACCESS: "chat.not.access",
  MESSAGE_NOT_FOUND: "message.not.found",
  TEXT_TOO_LONG: "message.text.too.long",
  MESSAGE_EMPTY: "message.empty",
  ATTACH_INVALID: "attach.invalid",
  LIMIT_MEMBERS: "chat.members.limit",
  LINK_INVALID: "link.invalid",
  QR_EXPIRED: "qr.expired",
  QR_PENDING: "qr.pending",
  FILE_TOO_LARGE: "file.too.large",
  RATE_LIMIT: "error.rate_limited",
  SERVICE: "service.unavailable",
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

// ── shared objects ──────────────────────────────────────────────────────────

export const UserAgent = z.looseObject({
  deviceType: z.string().optional(),
  locale: z.string().optional(),
  deviceLocale: z.string().optional(),
  osVersion: z.string().optional(),
  deviceName: z.string().optional(),
  headerUserAgent: z.string().optional(),
  appVersion: z.string().optional(),
  screen: z.string().optional(),
  timezone: z.string().optional(),
});

const Id = z.union([z.number().int(), z.string().regex(/^-?\d+$/)]);
/** Ids travel as numbers or digit strings; both mean the same id. */
export const NumericId = Id.transform((v) => Number(v));
/** Message ids travel as strings (they exceed 2^53 on the real service); numbers are accepted. */
export const MessageId = Id.transform((v) => String(v));

export const AttachType = {
  PHOTO: "PHOTO",
  VIDEO: "VIDEO",
  FILE: "FILE",
  VOICE: "VOICE",
  AUDIO: "AUDIO",
  STICKER: "STICKER",
  LOCATION: "LOCATION",
  CONTACT: "CONTACT",
  POLL: "POLL",
  CONTROL: "CONTROL",
} as const;

export const PhotoAttach = z.looseObject({ _type: z.literal("PHOTO"), photoToken: z.string().min(1) });
export const VideoAttach = z.looseObject({
  _type: z.literal("VIDEO"),
  videoId: NumericId,
  token: z.string().optional(),
});
export const FileAttach = z.looseObject({ _type: z.literal("FILE"), fileId: NumericId });
export const VoiceAttach = z.looseObject({
  _type: z.union([z.literal("VOICE"), z.literal("AUDIO")]),
  voiceId: NumericId.optional(),
  audioId: NumericId.optional(),
  token: z.string().optional(),
  duration: z.number().nonnegative().optional(),
});
export const StickerAttach = z.looseObject({ _type: z.literal("STICKER"), stickerId: NumericId });
export const LocationAttach = z.looseObject({
  _type: z.literal("LOCATION"),
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
});
export const ContactAttach = z.looseObject({
  _type: z.literal("CONTACT"),
  contactId: NumericId,
  name: z.string().optional(),
  phone: z.string().optional(),
});
export const PollAttach = z.looseObject({
  _type: z.literal("POLL"),
  question: z.string().min(1).max(300),
  options: z
    .array(z.looseObject({ text: z.string().min(1).max(100) }))
    .min(2)
    .max(12),
  anonymous: z.boolean().optional(),
  multipleChoice: z.boolean().optional(),
});
export const ControlAttach = z.looseObject({
  _type: z.literal("CONTROL"),
  event: z.string(),
  chatType: z.enum(["CHAT", "CHANNEL"]).optional(),
  title: z.string().max(200).optional(),
  userIds: z.array(NumericId).optional(),
});
export const Attach = z.discriminatedUnion("_type", [
  PhotoAttach,
  VideoAttach,
  FileAttach,
  VoiceAttach,
  StickerAttach,
  LocationAttach,
  ContactAttach,
  PollAttach,
  ControlAttach,
]);
export type Attach = z.infer<typeof Attach>;

/** Formatting element: a styled range of the text (STRONG, EMPHASIZED, LINK, USER_MENTION …). */
export const Element = z.looseObject({
  type: z.string(),
  from: z.number().int().nonnegative().optional(),
  length: z.number().int().nonnegative().optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
  entityId: NumericId.optional(),
});
export type Element = z.infer<typeof Element>;

export const MessageLink = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("REPLY"), messageId: MessageId, chatId: NumericId.optional() }),
  z.looseObject({
    type: z.literal("FORWARD"),
    chatId: NumericId,
    messageId: MessageId.optional(),
    messageIds: z.array(MessageId).min(1).max(100).optional(),
  }),
]);
export type MessageLink = z.infer<typeof MessageLink>;

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
export const GetChatPayload = z.looseObject({
  chatId: NumericId,
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
});
export const SendMessagePayload = z.looseObject({
  chatId: NumericId.optional(),
  userId: NumericId.optional(),
  message: OutgoingMessage,
  notify: z.boolean().optional(),
});
export const UploadStartPayload = z.looseObject({
  chatId: NumericId,
  type: z.enum(["PHOTO", "VIDEO", "FILE", "VOICE", "AUDIO"]),
});
export const DeleteMessagePayload = z.looseObject({
  chatId: NumericId,
  messageIds: z.array(MessageId).min(1).max(100),
  forMe: z.boolean().default(false),
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

/** Request schema per opcode the server accepts from clients. */
export const RequestSchemas = {
  [Opcode.KEEPALIVE]: KeepalivePayload,
  [Opcode.HELLO]: HelloPayload,
  [Opcode.CHANGE_PROFILE]: ChangeProfilePayload,
  [Opcode.START_AUTH]: StartAuthPayload,
  [Opcode.VERIFY_CODE]: VerifyCodePayload,
  [Opcode.LOGIN_BY_TOKEN]: LoginByTokenPayload,
  [Opcode.QR_LOGIN]: QrStartPayload,
  [Opcode.QR_CONFIRM]: QrConfirmPayload,
  [Opcode.SETTINGS]: SettingsPayload,
  [Opcode.TWO_FA_MANAGE]: TwoFaManagePayload,
  [Opcode.SESSIONS]: SessionsPayload,
  [Opcode.GET_CONTACTS]: GetContactsPayload,
  [Opcode.CONTACT_ACTION]: ContactActionPayload,
  [Opcode.PRESENCE_SUBSCRIBE]: PresenceSubscribePayload,
  [Opcode.SET_PRESENCE]: SetPresencePayload,
  [Opcode.GET_CHATS]: GetChatsPayload,
  [Opcode.GET_CHAT]: GetChatPayload,
  [Opcode.READ_MESSAGE]: ReadMessagePayload,
  [Opcode.SET_TYPING]: SetTypingPayload,
  [Opcode.GET_TYPING]: GetTypingPayload,
  [Opcode.CHATS_LIST]: ChatsListPayload,
  [Opcode.CHAT_SETTINGS]: ChatSettingsPayload,
  [Opcode.GET_INVITE_LINK]: GetInviteLinkPayload,
  [Opcode.JOIN_BY_LINK]: LinkPayload,
  [Opcode.GET_MEMBERS]: GetMembersPayload,
  [Opcode.SEND_MESSAGE]: SendMessagePayload,
  [Opcode.UPLOAD_START]: UploadStartPayload,
  [Opcode.DELETE_MESSAGE]: DeleteMessagePayload,
  [Opcode.EDIT_MESSAGE]: EditMessagePayload,
  [Opcode.LEAVE_CHAT]: LeaveChatPayload,
  [Opcode.CHAT_LEAVE]: ChatIdPayload,
  [Opcode.GET_MESSAGES]: GetMessagesPayload,
  [Opcode.SESSIONS_INFO]: z.looseObject({}),
  [Opcode.SESSIONS_CLOSE]: z.looseObject({}),
  [Opcode.QR_APPROVE]: QrApprovePayload,
  [Opcode.MANAGE_MEMBERS]: ManageMembersPayload,
  [Opcode.PHOTO_UPLOAD_URL]: UploadUrlPayload,
  [Opcode.VIDEO_UPLOAD_URL]: UploadUrlPayload,
  [Opcode.VIDEO_DOWNLOAD_URL]: DownloadUrlPayload,
  [Opcode.VOICE_UPLOAD_URL]: UploadUrlPayload,
  [Opcode.VOICE_DOWNLOAD_URL]: DownloadUrlPayload,
  [Opcode.FILE_UPLOAD_URL]: UploadUrlPayload,
  [Opcode.FILE_DOWNLOAD_URL]: DownloadUrlPayload,
  [Opcode.RESOLVE_LINK]: LinkPayload,
  [Opcode.SEARCH]: SearchPayload,
  [Opcode.CHECK_PASSWORD]: CheckPasswordPayload,
  [Opcode.REACTION]: ReactionPayload,
  [Opcode.REACTION_REMOVE]: ReactionPayload,
  [Opcode.GET_REACTIONS]: GetReactionsPayload,
  [Opcode.GET_REACTIONS_DETAIL]: GetReactionsPayload,
  [Opcode.QR_START]: QrStartPayload,
  [Opcode.QR_POLL]: QrTrackPayload,
  [Opcode.QR_FINISH]: QrTrackPayload,
} as const;
export type RequestOpcode = keyof typeof RequestSchemas;
export type RequestPayload<O extends RequestOpcode> = z.input<(typeof RequestSchemas)[O]>;
export type ParsedRequest<O extends RequestOpcode> = z.output<(typeof RequestSchemas)[O]>;

// ── server objects (responses and events) ───────────────────────────────────

export const Name = z.looseObject({
  name: z.string(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  type: z.string(),
});

export const Contact = z.looseObject({
  id: z.number(),
  names: z.array(Name),
  phone: z.number().optional(),
  description: z.string().optional(),
  baseUrl: z.string().optional(),
  photoId: z.number().optional(),
  updateTime: z.number(),
  accountStatus: z.number().optional(),
  options: z.array(z.string()).optional(),
});
export type Contact = z.infer<typeof Contact>;

export const Profile = z.looseObject({ contact: Contact });
export type Profile = z.infer<typeof Profile>;

export const ServerMessage = z.looseObject({
  id: z.string(),
  time: z.number(),
  sender: z.number(),
  text: z.string(),
  type: z.string(),
  cid: z.number().optional(),
  elements: z.array(z.unknown()).optional(),
  attaches: z.array(z.looseObject({ _type: z.string() })),
  link: z.looseObject({ type: z.string() }).optional(),
  status: z.enum(["EDITED", "REMOVED"]).optional(),
  updateTime: z.number().optional(),
  reactionInfo: z.unknown().optional(),
  stats: z.unknown().optional(),
});
export type ServerMessage = z.infer<typeof ServerMessage>;

export const ChatType = z.enum(["DIALOG", "CHAT", "CHANNEL"]);
export const ServerChat = z.looseObject({
  id: z.number(),
  type: ChatType,
  status: z.string(),
  owner: z.number(),
  participants: z.record(z.string(), z.number()),
  created: z.number(),
  modified: z.number(),
  lastEventTime: z.number(),
  lastMessage: ServerMessage.optional(),
  title: z.string().optional(),
  description: z.string().optional(),
  participantsCount: z.number().optional(),
  admins: z.array(z.number()).optional(),
  link: z.string().optional(),
  pinnedMessage: ServerMessage.optional(),
  cid: z.number().optional(),
});
export type ServerChat = z.infer<typeof ServerChat>;

/** Event payloads. */
export const NewMessageEvent = z.looseObject({
  chatId: z.number(),
  message: ServerMessage,
  ttl: z.boolean().optional(),
  unread: z.number().optional(),
  mark: z.number().optional(),
});
export const PresenceEvent = z.looseObject({
  userId: z.number(),
  presence: z.looseObject({ seen: z.number().optional(), on: z.string().optional() }),
  time: z.number().optional(),
});
export const TypingEvent = z.looseObject({
  chatId: z.number(),
  userId: z.number(),
  type: z.string().optional(),
});
export const MarkEvent = z.looseObject({
  setAsUnread: z.boolean(),
  chatId: z.number(),
  userId: z.number(),
  mark: z.number(),
});
export const ChatUpdatedEvent = z.looseObject({ chat: ServerChat });
export const UploadCompleteEvent = z.looseObject({
  fileId: z.number().optional(),
  videoId: z.number().optional(),
  voiceId: z.number().optional(),
  token: z.string().optional(),
});
export const ReactionsChangedEvent = z.looseObject({
  chatId: z.number(),
  messageId: z.string(),
  counters: z.array(z.looseObject({ reaction: z.string(), count: z.number() })),
  totalCount: z.number(),
  yourReaction: z.string().optional(),
});
