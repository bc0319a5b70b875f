/** Public surface of `switchboard/max`: the client, session stores, types and wire constants. */

export { MAX_CAPABILITIES, MaxAdapter, MaxConverter, type MaxOutgoing } from "./adapter.js";
export { splitText } from "./client/catch-up.js";
export { errorFromPayload } from "./client/codec.js";
export {
  FileSessionStore,
  type MaxSession,
  MemorySessionStore,
  type SessionStore,
} from "./client/session-store.js";
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
  MaxUser,
  MessageDeletedEvent,
  MessageEvent,
  PresenceEvent,
  RawEvent,
  ReactionEvent,
  ReadEvent,
  StateEvent,
  TypingEvent,
  UploadCompleteEvent,
} from "./client/types.js";
export { displayName } from "./client/types.js";
export type { UploadProgress, UploadSource } from "./client/uploads.js";
export {
  MaxClient,
  type MaxClientOptions,
  type MediaKind,
  type OutgoingMessage,
  type QrInfo,
  type QrLoginStep,
  type RequestOptions,
  type SendOptions,
  type SessionInfo,
  type SignInResult,
  type UploadOptions,
} from "./client.js";
export {
  AttachType,
  Cmd,
  DEFAULT_URL,
  ErrorCode,
  LIMITS,
  Opcode,
  opcodeName,
  PROTOCOL_VERSION,
  TYPING_EVENT_OPCODE,
  WEB_ORIGIN,
} from "./protocol.js";
