/**
 * Public surface of `switchboard/max`: the client, the adapter, their types, the credentials
 * helpers and the wire constants users need. No emulator code (that is
 * `switchboard/max/emulator`), so importing this loads neither fastify nor better-sqlite3.
 */

export {
  cidFromKey,
  MAX_CAPABILITIES,
  MaxAdapter,
  type MaxAdapterOptions,
  MaxConverter,
  type MaxOutgoing,
} from "./adapter.js";
export { splitText } from "./client/catch-up.js";
export { errorFromPayload } from "./client/codec.js";
export {
  type EditScheduledOptions,
  type MaxCallOptions,
  MaxClient,
  type MaxClientOptions,
  type MaxSendOptions,
  type MediaKind,
  type OutgoingMessage,
  type QrInfo,
  type QrLoginStep,
  type ScheduleOptions,
  type SessionInfo,
  type SignInResult,
  type UploadOptions,
} from "./client/index.js";
export { type MaxSession, maxSessionFile, parseMaxSession } from "./client/session.js";
export { DEFAULT_SOCKET_URL, type MaxSocketTls } from "./client/socket-wire.js";
export type {
  ChatUpdatedEvent,
  MaxAttach,
  MaxChat,
  MaxElement,
  MaxEvent,
  MaxEventMap,
  MaxEventName,
  MaxLink,
  MaxMessage,
  MaxName,
  MaxProfile,
  MaxScheduledMessage,
  MaxUser,
  MessageDeletedEvent,
  MessageEvent,
  PresenceEvent,
  RawEvent,
  ReactionEvent,
  ReadEvent,
  ScheduledEditedEvent,
  ScheduledFiredEvent,
  StateEvent,
  TypingEvent,
  UploadCompleteEvent,
} from "./client/types.js";
export { displayName } from "./client/types.js";
export type { UploadProgress, UploadSource } from "./client/uploads.js";
export {
  AttachType,
  Cmd,
  DEFAULT_URL,
  ErrorCode,
  LIMITS,
  type MaxMethod,
  maxRpc,
  Opcode,
  opcodeName,
  PROTOCOL_VERSION,
  TYPING_EVENT_OPCODE,
  WEB_ORIGIN,
} from "./protocol.js";
