/**
 * MAX wire constants (seed 000 + PROTOCOL-NOTES.md): the envelope, opcode numbers (each written
 * here once), limits and error strings.
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
  /**
   * Deepest nesting of objects and arrays a frame may have (the envelope counts as 1; real
   * packets stay under 10). Deeper frames are answered `proto.payload` before anything else.
   */
  frameDepth: 64,
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
  /** PyMax LOG: client telemetry, accepted with an empty answer. */
  LOG: 5,
  HELLO: 6,
  CHANGE_PROFILE: 16,
  START_AUTH: 17,
  VERIFY_CODE: 18,
  LOGIN_BY_TOKEN: 19,
  /** Seed: QR_LOGIN (start); PyMax's LOGOUT shares the number (told apart by the session state). */
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
  /** PyMax CONTACT_INFO_BY_PHONE `{phone}`. */
  CONTACT_BY_PHONE: 46,
  GET_CHATS: 48,
  GET_CHAT: 49,
  READ_MESSAGE: 50,
  SET_TYPING: 51,
  /** Seed: GET_TYPING; PyMax's CHAT_DELETE `{chatId, lastEventTime, forAll}` shares the number. */
  GET_TYPING: 52,
  CHATS_LIST: 53,
  /** PyMax CHAT_CLEAR `{chatId, lastEventTime, forAll}`: the history is cleared, the chat stays. */
  CHAT_CLEAR: 54,
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
  /**
   * PyMax's two-factor settings flow, all on one track from 112: 107 validates a new password,
   * 108 a hint, 109 / 110 bind an email with a code, 113 checks the current password, 111 applies.
   */
  /** The account's 2FA state `{enabled, hint, email}` (the apps' AUTH_2FA_DETAILS; PyMax lists it). */
  AUTH_2FA_DETAILS: 104,
  AUTH_VALIDATE_PASSWORD: 107,
  AUTH_VALIDATE_HINT: 108,
  AUTH_VERIFY_EMAIL: 109,
  AUTH_CHECK_EMAIL: 110,
  AUTH_SET_2FA: 111,
  AUTH_CREATE_TRACK: 112,
  AUTH_CHECK_PASSWORD: 113,
  CHECK_PASSWORD: 115,
  /** PyMax MSG_SEND_CALLBACK: a user presses a callback button of a bot's inline keyboard. */
  MSG_SEND_CALLBACK: 118,
  /** Pushed new / edited / removed message; the web client sends it back (cmd 0) as a delivery receipt. */
  NEW_MESSAGE: 128,
  /** Seed: presence update (PyMax reads 129 as typing and 132 as presence). */
  PRESENCE_UPDATE: 129,
  /** Read mark of another member `{setAsUnread, chatId, userId, mark}` (PyMax NOTIF_MARK). */
  MARK: 130,
  /** Presence as PyMax reads it (also sent, see PRESENCE_UPDATE). */
  PRESENCE: 132,
  CHAT_UPDATED: 135,
  /** PyMax NOTIF_CALLBACK_ANSWER: a bot's answer to a pressed button (its notification text). */
  CALLBACK_ANSWER: 143,
  UPLOAD_COMPLETE: 136,
  /**
   * A change of the user's own scheduled messages `{chatId, updateTypeId, message | messageIds,
   * lastDelayedUpdateTime}` (PyMax NOTIF_MSG_DELAYED; see DelayedUpdateType).
   */
  NOTIF_MSG_DELAYED: 154,
  REACTIONS_CHANGED: 155,
  REACTION: 178,
  REACTION_REMOVE: 179,
  GET_REACTIONS: 180,
  /** Seed: GET_REACTIONS; PyMax: detailed reactions of one message. */
  GET_REACTIONS_DETAIL: 181,
  /** PyMax FOLDERS_GET `{folderSync}`. */
  FOLDERS_GET: 272,
  /** PyMax FOLDERS_UPDATE `{id, title, include, filters, options?}`: creates or updates one folder. */
  FOLDERS_UPDATE: 274,
  /** PyMax FOLDERS_DELETE `{folderIds}`. */
  FOLDERS_DELETE: 276,
  QR_START: 288,
  QR_POLL: 289,
  QR_APPROVE: 290,
  QR_FINISH: 291,
  /** PyMax SEND_VOTE `{chatId, messageId, pollId, answersIds}`. */
  SEND_VOTE: 304,
} as const;
export type OpcodeName = keyof typeof Opcode;

/**
 * `updateTypeId` of the 154 push, the numbers a public client's parser reads: 1 a scheduled
 * message was edited (`message`), 3 scheduled messages fired (`messageIds`). The numbers of
 * "scheduled" and "cancelled" are not public, so those changes are not pushed.
 */
export const DelayedUpdateType = { EDITED: 1, FIRE_SUCCESS: 3 } as const;
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

/**
 * Server-initiated packets. Clients send none of them as requests except 128, which the web
 * client sends back as a delivery receipt `{chatId, messageId}`.
 */
export const EVENT_OPCODES: ReadonlySet<number> = new Set([
  Opcode.NEW_MESSAGE,
  Opcode.PRESENCE_UPDATE,
  Opcode.MARK,
  Opcode.PRESENCE,
  Opcode.CHAT_UPDATED,
  Opcode.UPLOAD_COMPLETE,
  Opcode.REACTIONS_CHANGED,
  Opcode.CALLBACK_ANSWER,
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
