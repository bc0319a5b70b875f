/**
 * The one MAX Bot API endpoint table, named by the OpenAPI schema's operationIds. For each: the
 * HTTP method, the path (`:name` path parameters, named as the schema names them), where the
 * request schema goes (`in`: query string or JSON body), the query schema of a body request
 * (`query`: `POST /messages?chat_id=…`), and the lenient success schema. Every endpoint takes
 * the bot's token (`Authorization` header). The client calls through this table and the emulator
 * registers its routes from it.
 */
import type { z } from "zod";
import { defineEndpoints, type HttpMethod } from "../../core/endpoint.js";
import {
  BotInfo,
  Chat,
  ChatList,
  ChatMember,
  ChatMembersList,
  GetPinnedMessageResult,
  GetSubscriptionsResult,
  Message,
  MessageList,
  ModifyMembersResult,
  SendMessageResult,
  SimpleQueryResult,
  UploadEndpoint,
  VideoAttachmentDetails,
} from "./objects.js";
import {
  ActionRequestBody,
  AnswerQuery,
  BotPatch,
  CallbackAnswer,
  ChatAdminsList,
  ChatPatch,
  ChatsQuery,
  CommentBody,
  CommentIdQuery,
  CommentsQuery,
  EditCommandsBody,
  EditCommandsResult,
  EditCommentQuery,
  MembersQuery,
  MessageIdQuery,
  MessagesQuery,
  NewMessageBody,
  NoInput,
  PinMessageBody,
  RemoveMemberQuery,
  SendCommentQuery,
  SendMessageQuery,
  SubscriptionRequestBody,
  UnsubscribeQuery,
  UpdatesQuery,
  UploadQuery,
  UserIdsList,
} from "./requests.js";
import { UpdateList } from "./updates.js";

/** Every Bot API method is called with the bot's token. */
export type MaxBotAuth = "bot";

export interface MaxBotEndpoint<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  method: HttpMethod;
  path: string;
  auth: MaxBotAuth;
  /** Where `request` goes: the query string or the JSON body. */
  in: "query" | "body";
  request: Req;
  response: Res;
  /** Query parameters of a body request. */
  query?: z.ZodType;
}

function ep<
  const M extends HttpMethod,
  const P extends string,
  const I extends "query" | "body",
  Req extends z.ZodType,
  Res extends z.ZodType,
  Q extends z.ZodType | undefined = undefined,
>(
  method: M,
  path: P,
  input: I,
  request: Req,
  response: Res,
  query?: Q,
): { method: M; path: P; auth: "bot"; in: I; request: Req; response: Res; query: Q } {
  return { method, path, auth: "bot", in: input, request, response, query: query as Q };
}

export const MaxBotEndpoints = defineEndpoints({
  // ---------------------------------------------------------------- bots
  getMyInfo: ep("GET", "/me", "query", NoInput, BotInfo),
  editMyInfo: ep("PATCH", "/me", "body", BotPatch, BotInfo),
  /** Not in the OpenAPI schema; the official SDK's `editMyCommands`. */
  editMyCommands: ep("PATCH", "/me/commands", "body", EditCommandsBody, EditCommandsResult),
  // ---------------------------------------------------------------- chats
  getChats: ep("GET", "/chats", "query", ChatsQuery, ChatList),
  /** Same route as getChat: a path segment that is not an integer is a public link or `@username`. */
  getChatByLink: ep("GET", "/chats/:chatLink", "query", NoInput, Chat),
  getChat: ep("GET", "/chats/:chatId", "query", NoInput, Chat),
  editChat: ep("PATCH", "/chats/:chatId", "body", ChatPatch, Chat),
  deleteChat: ep("DELETE", "/chats/:chatId", "query", NoInput, SimpleQueryResult),
  sendAction: ep("POST", "/chats/:chatId/actions", "body", ActionRequestBody, SimpleQueryResult),
  getPinnedMessage: ep("GET", "/chats/:chatId/pin", "query", NoInput, GetPinnedMessageResult),
  pinMessage: ep("PUT", "/chats/:chatId/pin", "body", PinMessageBody, SimpleQueryResult),
  unpinMessage: ep("DELETE", "/chats/:chatId/pin", "query", NoInput, SimpleQueryResult),
  getMembership: ep("GET", "/chats/:chatId/members/me", "query", NoInput, ChatMember),
  leaveChat: ep("DELETE", "/chats/:chatId/members/me", "query", NoInput, SimpleQueryResult),
  getAdmins: ep("GET", "/chats/:chatId/members/admins", "query", NoInput, ChatMembersList),
  postAdmins: ep("POST", "/chats/:chatId/members/admins", "body", ChatAdminsList, SimpleQueryResult),
  deleteAdmin: ep("DELETE", "/chats/:chatId/members/admins/:userId", "query", NoInput, SimpleQueryResult),
  getMembers: ep("GET", "/chats/:chatId/members", "query", MembersQuery, ChatMembersList),
  addMembers: ep("POST", "/chats/:chatId/members", "body", UserIdsList, ModifyMembersResult),
  removeMember: ep("DELETE", "/chats/:chatId/members", "query", RemoveMemberQuery, SimpleQueryResult),
  // ---------------------------------------------------------------- subscriptions
  getSubscriptions: ep("GET", "/subscriptions", "query", NoInput, GetSubscriptionsResult),
  subscribe: ep("POST", "/subscriptions", "body", SubscriptionRequestBody, SimpleQueryResult),
  unsubscribe: ep("DELETE", "/subscriptions", "query", UnsubscribeQuery, SimpleQueryResult),
  getUpdates: ep("GET", "/updates", "query", UpdatesQuery, UpdateList),
  // ---------------------------------------------------------------- uploads
  getUploadUrl: ep("POST", "/uploads", "query", UploadQuery, UploadEndpoint),
  // ---------------------------------------------------------------- messages
  getMessages: ep("GET", "/messages", "query", MessagesQuery, MessageList),
  sendMessage: ep("POST", "/messages", "body", NewMessageBody, SendMessageResult, SendMessageQuery),
  editMessage: ep("PUT", "/messages", "body", NewMessageBody, SimpleQueryResult, MessageIdQuery),
  deleteMessage: ep("DELETE", "/messages", "query", MessageIdQuery, SimpleQueryResult),
  getMessageById: ep("GET", "/messages/:messageId", "query", NoInput, Message),
  getVideoAttachmentDetails: ep("GET", "/videos/:videoToken", "query", NoInput, VideoAttachmentDetails),
  answerOnCallback: ep("POST", "/answers", "body", CallbackAnswer, SimpleQueryResult, AnswerQuery),
  // ---------------------------------------------------------------- comments (the SDK's CommentsApi)
  getComments: ep("GET", "/messages/:messageId/comments", "query", CommentsQuery, MessageList),
  getComment: ep("GET", "/messages/:messageId/comments/:commentId", "query", NoInput, Message),
  sendComment: ep(
    "POST",
    "/messages/:messageId/comments",
    "body",
    CommentBody,
    SendMessageResult,
    SendCommentQuery,
  ),
  editComment: ep(
    "PUT",
    "/messages/:messageId/comments",
    "body",
    CommentBody,
    SimpleQueryResult,
    EditCommentQuery,
  ),
  deleteComment: ep("DELETE", "/messages/:messageId/comments", "query", CommentIdQuery, SimpleQueryResult),
});

export type MaxBotEndpointName = keyof typeof MaxBotEndpoints;

/** `{success: true}`: the answer of every write that has nothing else to say. */
export const SUCCESS = { success: true } as const;

/** Schema-only check that every entry fits MaxBotEndpoint (compile time). */
const _check: Record<string, MaxBotEndpoint> = MaxBotEndpoints;
void _check;
