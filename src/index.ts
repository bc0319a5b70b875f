/**
 * `switchboard`: what every platform shares — the unified model, the error classes, the Adapter
 * and client contracts, credential stores and the event emitter. No platform code: import a
 * platform from `switchboard/<platform>` and its emulator from `switchboard/<platform>/emulator`.
 */

export type {
  Adapter,
  AdapterEvent,
  AdapterEventType,
  HistoryOptions,
  SendOptions,
  SendResult,
} from "./core/adapter.js";
export {
  type CallOptions,
  type ClientEventMap,
  type ClientOptions,
  callSignal,
  type PlatformClient,
} from "./core/call.js";
export {
  type CredentialStore,
  credentialKey,
  FileCredentialStore,
  type FileCredentialStoreOptions,
  MemoryCredentialStore,
  normaliseServerUrl,
  parseCredentialKey,
  ServerCredentialStore,
  type ServerCredentialsOptions,
  serverCredentials,
} from "./core/credentials.js";
export {
  type EmittedEvent,
  Emitter,
  type EmitterOptions,
  type EventMap,
  type EventsOptions,
  type Listener,
} from "./core/emitter.js";
export {
  AbortError,
  ApiError,
  AuthError,
  HandlerError,
  type Platform,
  RateLimitError,
  SwitchboardError,
  type SwitchboardErrorOptions,
  TimeoutError,
  TransportError,
  UnsupportedError,
  ValidationError,
} from "./core/errors.js";
export type { Logger } from "./core/log.js";
export type {
  AdapterCapabilities,
  AdapterOperations,
  Attachment,
  Chat,
  ChatKind,
  ConnectionState,
  Event,
  EventType,
  Member,
  Message,
  PlatformName,
  Ref,
  Role,
  Segment,
  SegmentType,
  User,
} from "./core/model.js";
export { ref, refKey, sameRef } from "./core/model.js";
