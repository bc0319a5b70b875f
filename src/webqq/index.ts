/**
 * `switchboard/webqq`: the WebQQ client, its adapter and their types. Curated names, prefixed
 * where another platform has the same one. Loads no emulator code, fastify or SQLite (the
 * emulator is `switchboard/webqq/emulator`).
 */
export type { CallOptions as WebQQCallOptions } from "../core/call.js";
export {
  msgIdFromKey as webqqMsgIdFromKey,
  WebQQAdapter,
  type WebQQAdapterOptions,
  webqqCapabilities,
} from "./adapter.js";
export {
  type PasswordLoginInput as WebQQPasswordLoginInput,
  type QrLoginInput as WebQQQrLoginInput,
  retcodeError as webqqRetcodeError,
  WebQQClient,
  type WebQQClientOptions,
  type WebQQEvents,
  type WebQQSendOptions,
  type WebQQSession,
} from "./client/index.js";
export {
  type ChatId as WebQQChatId,
  chatId as webqqChatId,
  fromSegments as fromWebQQSegments,
  parseChatId as parseWebQQChatId,
  toEvent as webqqToEvent,
  toSegments as webqqToSegments,
} from "./convert.js";
export {
  type ContentItem as WebQQContentItem,
  contentText as webqqContentText,
  decodeContent as decodeWebQQContent,
  describeRetcode as describeWebQQRetcode,
  type EndpointName as WebQQEndpointName,
  encodeContent as encodeWebQQContent,
  type Font as WebQQFont,
  HOSTS as WEBQQ_HOSTS,
  type PollItem as WebQQPollItem,
  type PollType as WebQQPollType,
  Retcode as WebQQRetcode,
  type Status as WebQQStatus,
  WEBQQ_ENDPOINTS,
  type WebQQAuth,
} from "./protocol.js";
