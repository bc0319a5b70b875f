/**
 * The MAX endpoint table: every request opcode once, with who may send it, its request schema
 * (checked by the client before sending and by the emulator on arrival) and its response
 * schema (lenient: unknown fields kept; the client parses every answer with it). The client's
 * calls and the emulator's dispatcher are both driven by this table; opcode numbers live only
 * in `Opcode` (constants.ts).
 *
 * `auth`: `any` — even before the hello (keepalive, hello); `none` — after the hello, no login
 * needed (the login flows); `session` — a logged-in session.
 */
import { z } from "zod";
import { defineRpc, type RpcEndpoint } from "../../core/endpoint.js";
import { Opcode } from "./constants.js";
import * as Req from "./requests.js";

const list = z.array(z.unknown());
const obj = z.looseObject({});
const id = z.union([z.number(), z.string()]);
/** An answer whose fields the client reads loosely (ids as numbers or strings). */
const Answer = <S extends z.ZodRawShape>(shape: S) => z.looseObject(shape);

const ChatAnswer = Answer({ chat: obj.optional() });
const MessageAnswer = Answer({ chatId: id.optional(), message: obj.optional(), chat: obj.optional() });
const LoginAnswer = Answer({
  token: z.string().optional(),
  tokenAttrs: Answer({ LOGIN: Answer({ token: z.string().optional() }).optional() }).optional(),
  profile: obj.optional(),
  passwordChallenge: Answer({ trackId: z.string().optional(), hint: z.string().optional() }).optional(),
});
const UploadSlot = Answer({ url: z.string().optional(), info: list.optional() });
const DownloadUrl = Answer({ url: z.string().optional() });
const Reactions = Answer({ reactionInfo: z.unknown().optional() });
const Sessions = Answer({ sessions: list.optional() });
const TwoFa = Answer({
  enabled: z.boolean().optional(),
  hint: z.string().optional(),
  email: z.string().optional(),
});
/** PyMax FolderUpdate: every field has a default on its side. */
const FolderUpdate = Answer({
  folder: obj.optional(),
  folderSync: z.number().optional(),
  foldersOrder: list.optional(),
});
const Qr = Answer({
  qrLink: z.string().optional(),
  trackId: z.string().optional(),
  expiresAt: z.number().optional(),
  pollingInterval: z.number().optional(),
});

export const maxRpc = defineRpc({
  keepalive: { opcode: Opcode.KEEPALIVE, auth: "any", request: Req.KeepalivePayload, response: obj },
  hello: { opcode: Opcode.HELLO, auth: "any", request: Req.HelloPayload, response: obj },
  log: { opcode: Opcode.LOG, auth: "any", request: Req.LogPayload, response: obj },
  deliveryReceipt: {
    opcode: Opcode.NEW_MESSAGE,
    auth: "session",
    request: Req.DeliveryReceiptPayload,
    response: obj,
  },
  contactByPhone: {
    opcode: Opcode.CONTACT_BY_PHONE,
    auth: "session",
    request: Req.ContactByPhonePayload,
    response: Answer({ contact: obj.optional() }),
  },
  foldersGet: {
    opcode: Opcode.FOLDERS_GET,
    auth: "session",
    request: Req.FoldersGetPayload,
    response: Answer({
      folders: list.optional(),
      foldersOrder: list.optional(),
      folderSync: z.number().optional(),
    }),
  },
  foldersUpdate: {
    opcode: Opcode.FOLDERS_UPDATE,
    auth: "session",
    request: Req.FolderUpdatePayload,
    response: FolderUpdate,
  },
  foldersDelete: {
    opcode: Opcode.FOLDERS_DELETE,
    auth: "session",
    request: Req.FoldersDeletePayload,
    response: FolderUpdate,
  },
  changeProfile: {
    opcode: Opcode.CHANGE_PROFILE,
    auth: "session",
    request: Req.ChangeProfilePayload,
    response: Answer({ profile: obj.optional() }),
  },
  startAuth: {
    opcode: Opcode.START_AUTH,
    auth: "none",
    request: Req.StartAuthPayload,
    response: Answer({ token: z.string().optional(), codeLength: z.number().optional() }),
  },
  verifyCode: {
    opcode: Opcode.VERIFY_CODE,
    auth: "none",
    request: Req.VerifyCodePayload,
    response: LoginAnswer,
  },
  loginByToken: {
    opcode: Opcode.LOGIN_BY_TOKEN,
    auth: "none",
    request: Req.LoginByTokenPayload,
    response: Answer({
      profile: obj.optional(),
      contacts: list.optional(),
      chats: list.optional(),
      time: z.number().optional(),
    }),
  },
  qrLogin: { opcode: Opcode.QR_LOGIN, auth: "none", request: Req.QrStartPayload, response: Qr },
  qrConfirm: { opcode: Opcode.QR_CONFIRM, auth: "session", request: Req.QrConfirmPayload, response: obj },
  settings: { opcode: Opcode.SETTINGS, auth: "session", request: Req.SettingsPayload, response: obj },
  // PyMax's AUTH_CONFIRM (registration) shares this opcode and comes before login; the handler
  // asks for a logged-in session itself for the 2FA actions.
  twoFaManage: {
    opcode: Opcode.TWO_FA_MANAGE,
    auth: "none",
    request: Req.TwoFaManagePayload,
    response: TwoFa,
  },
  sessions: { opcode: Opcode.SESSIONS, auth: "session", request: Req.SessionsPayload, response: Sessions },
  getContacts: {
    opcode: Opcode.GET_CONTACTS,
    auth: "session",
    request: Req.GetContactsPayload,
    response: Answer({ contacts: list.optional() }),
  },
  contactAction: {
    opcode: Opcode.CONTACT_ACTION,
    auth: "session",
    request: Req.ContactActionPayload,
    response: Answer({ contact: obj.optional() }),
  },
  presenceSubscribe: {
    opcode: Opcode.PRESENCE_SUBSCRIBE,
    auth: "session",
    request: Req.PresenceSubscribePayload,
    response: Answer({ presence: obj.optional() }),
  },
  setPresence: {
    opcode: Opcode.SET_PRESENCE,
    auth: "session",
    request: Req.SetPresencePayload,
    response: obj,
  },
  getChats: {
    opcode: Opcode.GET_CHATS,
    auth: "session",
    request: Req.GetChatsPayload,
    response: Answer({ chats: list.optional() }),
  },
  getChat: {
    opcode: Opcode.GET_CHAT,
    auth: "session",
    request: Req.GetChatPayload,
    response: Answer({ messages: list.optional(), chat: obj.optional() }),
  },
  readMessage: {
    opcode: Opcode.READ_MESSAGE,
    auth: "session",
    request: Req.ReadMessagePayload,
    response: Answer({ unread: z.number().optional(), mark: z.number().optional() }),
  },
  setTyping: { opcode: Opcode.SET_TYPING, auth: "session", request: Req.SetTypingPayload, response: obj },
  getTyping: {
    opcode: Opcode.GET_TYPING,
    auth: "session",
    request: Req.GetTypingPayload,
    response: Answer({ typing: list.optional(), userIds: list.optional() }),
  },
  chatsList: {
    opcode: Opcode.CHATS_LIST,
    auth: "session",
    request: Req.ChatsListPayload,
    response: Answer({ chats: list.optional(), marker: z.number().nullish() }),
  },
  clearChat: { opcode: Opcode.CHAT_CLEAR, auth: "session", request: Req.DeleteChatFields, response: obj },
  chatSettings: {
    opcode: Opcode.CHAT_SETTINGS,
    auth: "session",
    request: Req.ChatSettingsPayload,
    response: ChatAnswer,
  },
  getInviteLink: {
    opcode: Opcode.GET_INVITE_LINK,
    auth: "session",
    request: Req.GetInviteLinkPayload,
    response: Answer({ link: z.string().optional(), chat: obj.optional() }),
  },
  joinByLink: {
    opcode: Opcode.JOIN_BY_LINK,
    auth: "session",
    request: Req.LinkPayload,
    response: ChatAnswer,
  },
  chatLeave: { opcode: Opcode.CHAT_LEAVE, auth: "session", request: Req.ChatIdPayload, response: obj },
  getMembers: {
    opcode: Opcode.GET_MEMBERS,
    auth: "session",
    request: Req.GetMembersPayload,
    response: Answer({ members: list.optional(), marker: z.number().nullish() }),
  },
  sendMessage: {
    opcode: Opcode.SEND_MESSAGE,
    auth: "session",
    request: Req.SendMessagePayload,
    response: MessageAnswer,
  },
  uploadStart: {
    opcode: Opcode.UPLOAD_START,
    auth: "session",
    request: Req.UploadStartPayload,
    response: obj,
  },
  deleteMessage: {
    opcode: Opcode.DELETE_MESSAGE,
    auth: "session",
    request: Req.DeleteMessagePayload,
    response: obj,
  },
  editMessage: {
    opcode: Opcode.EDIT_MESSAGE,
    auth: "session",
    request: Req.EditMessagePayload,
    response: MessageAnswer,
  },
  getMessages: {
    opcode: Opcode.GET_MESSAGES,
    auth: "session",
    request: Req.GetMessagesPayload,
    response: Answer({ messages: list.optional() }),
  },
  leaveChat: { opcode: Opcode.LEAVE_CHAT, auth: "session", request: Req.LeaveChatPayload, response: obj },
  manageMembers: {
    opcode: Opcode.MANAGE_MEMBERS,
    auth: "session",
    request: Req.ManageMembersPayload,
    response: ChatAnswer,
  },
  photoUploadUrl: {
    opcode: Opcode.PHOTO_UPLOAD_URL,
    auth: "session",
    request: Req.UploadUrlPayload,
    response: UploadSlot,
  },
  videoUploadUrl: {
    opcode: Opcode.VIDEO_UPLOAD_URL,
    auth: "session",
    request: Req.UploadUrlPayload,
    response: UploadSlot,
  },
  videoDownloadUrl: {
    opcode: Opcode.VIDEO_DOWNLOAD_URL,
    auth: "session",
    request: Req.DownloadUrlPayload,
    response: DownloadUrl,
  },
  voiceUploadUrl: {
    opcode: Opcode.VOICE_UPLOAD_URL,
    auth: "session",
    request: Req.UploadUrlPayload,
    response: UploadSlot,
  },
  voiceDownloadUrl: {
    opcode: Opcode.VOICE_DOWNLOAD_URL,
    auth: "session",
    request: Req.DownloadUrlPayload,
    response: DownloadUrl,
  },
  fileUploadUrl: {
    opcode: Opcode.FILE_UPLOAD_URL,
    auth: "session",
    request: Req.UploadUrlPayload,
    response: UploadSlot,
  },
  fileDownloadUrl: {
    opcode: Opcode.FILE_DOWNLOAD_URL,
    auth: "session",
    request: Req.DownloadUrlPayload,
    response: DownloadUrl,
  },
  resolveLink: {
    opcode: Opcode.RESOLVE_LINK,
    auth: "session",
    request: Req.LinkPayload,
    response: Answer({ chat: obj.optional(), user: obj.optional(), contact: obj.optional() }),
  },
  search: {
    opcode: Opcode.SEARCH,
    auth: "session",
    request: Req.SearchPayload,
    response: Answer({ messages: list.optional(), result: list.optional() }),
  },
  sessionsInfo: { opcode: Opcode.SESSIONS_INFO, auth: "session", request: obj, response: Sessions },
  sessionsClose: {
    opcode: Opcode.SESSIONS_CLOSE,
    auth: "session",
    request: obj,
    response: Answer({ token: z.string().optional() }),
  },
  sendCallback: {
    opcode: Opcode.MSG_SEND_CALLBACK,
    auth: "session",
    request: Req.SendCallbackPayload,
    response: Answer({
      success: z.boolean().optional(),
      unread: z.number().optional(),
      mark: z.number().optional(),
    }),
  },
  // PyMax's two-factor settings flow (set_2fa, change_password, remove_2fa): the answers are
  // read for errors only, so each success is `{}` except the track itself.
  createTrack: {
    opcode: Opcode.AUTH_CREATE_TRACK,
    auth: "session",
    request: Req.CreateTrackPayload,
    response: Answer({ trackId: z.string().optional() }),
  },
  twoFaDetails: {
    opcode: Opcode.AUTH_2FA_DETAILS,
    auth: "session",
    request: Req.TwoFaDetailsPayload,
    response: TwoFa,
  },
  validatePassword: {
    opcode: Opcode.AUTH_VALIDATE_PASSWORD,
    auth: "session",
    request: Req.TrackPasswordPayload,
    response: obj,
  },
  validateHint: {
    opcode: Opcode.AUTH_VALIDATE_HINT,
    auth: "session",
    request: Req.TrackHintPayload,
    response: obj,
  },
  verifyEmail: {
    opcode: Opcode.AUTH_VERIFY_EMAIL,
    auth: "session",
    request: Req.TrackEmailPayload,
    response: obj,
  },
  checkEmail: {
    opcode: Opcode.AUTH_CHECK_EMAIL,
    auth: "session",
    request: Req.TrackEmailCodePayload,
    response: obj,
  },
  setTwoFa: { opcode: Opcode.AUTH_SET_2FA, auth: "session", request: Req.SetTwoFaPayload, response: obj },
  checkTrackPassword: {
    opcode: Opcode.AUTH_CHECK_PASSWORD,
    auth: "session",
    request: Req.TrackPasswordPayload,
    response: obj,
  },
  checkPassword: {
    opcode: Opcode.CHECK_PASSWORD,
    auth: "none",
    request: Req.CheckPasswordPayload,
    response: LoginAnswer,
  },
  reaction: { opcode: Opcode.REACTION, auth: "session", request: Req.ReactionPayload, response: Reactions },
  reactionRemove: {
    opcode: Opcode.REACTION_REMOVE,
    auth: "session",
    request: Req.ReactionPayload,
    response: Reactions,
  },
  getReactions: {
    opcode: Opcode.GET_REACTIONS,
    auth: "session",
    request: Req.GetReactionsPayload,
    response: Answer({ messagesReactions: obj.optional() }),
  },
  getReactionsDetail: {
    opcode: Opcode.GET_REACTIONS_DETAIL,
    auth: "session",
    request: Req.GetReactionsPayload,
    response: obj,
  },
  sendVote: {
    opcode: Opcode.SEND_VOTE,
    auth: "session",
    request: Req.SendVotePayload,
    response: Answer({ state: obj.optional() }),
  },
  qrStart: { opcode: Opcode.QR_START, auth: "none", request: Req.QrStartPayload, response: Qr },
  qrPoll: {
    opcode: Opcode.QR_POLL,
    auth: "none",
    request: Req.QrTrackPayload,
    response: Answer({ status: obj.optional(), loginAvailable: z.boolean().optional() }),
  },
  qrApprove: { opcode: Opcode.QR_APPROVE, auth: "session", request: Req.QrApprovePayload, response: obj },
  qrFinish: { opcode: Opcode.QR_FINISH, auth: "none", request: Req.QrTrackPayload, response: LoginAnswer },
});

export type MaxRpc = typeof maxRpc;
export type MaxMethod = keyof MaxRpc;
export type MaxRpcEntry = MaxRpc[MaxMethod];

type ByOpcode<T extends Record<string, RpcEndpoint>> = {
  [K in keyof T as T[K]["opcode"]]: T[K];
};

/** The table keyed by opcode (the emulator's dispatcher looks packets up here). */
export const RpcByOpcode = Object.fromEntries(
  Object.values(maxRpc).map((e) => [e.opcode, e]),
) as unknown as ByOpcode<MaxRpc>;

/** Request schema per opcode the server accepts from clients (derived from the table). */
export const RequestSchemas = Object.fromEntries(
  Object.values(maxRpc).map((e) => [e.opcode, e.request]),
) as unknown as { [O in keyof ByOpcode<MaxRpc>]: ByOpcode<MaxRpc>[O]["request"] };

export type RequestOpcode = keyof typeof RequestSchemas;
export type RequestPayload<O extends RequestOpcode> = z.input<(typeof RequestSchemas)[O]>;
export type ParsedRequest<O extends RequestOpcode> = z.output<(typeof RequestSchemas)[O]>;

/** The table entry of a request opcode, or undefined for an opcode no client may send. */
export function rpcEntry(opcode: number): MaxRpcEntry | undefined {
  return (RpcByOpcode as unknown as Record<number, MaxRpcEntry>)[opcode];
}
