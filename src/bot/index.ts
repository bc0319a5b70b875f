/**
 * `switchboard/bot`: grammY-style bots on every Switchboard platform at once, durable and
 * exactly-once in their state (see docs/bot.md).
 */
export { Bot, type BotOptions, DEFAULT_STORE_FILE } from "./bot.js";
export { type CommandPrefixes, DEFAULT_PREFIXES, type ParsedCommand, parseCommand } from "./commands.js";
export {
  type CommandContext,
  Composer,
  type ComposerContext,
  compose,
  type HearsContext,
  type Middleware,
  type MiddlewareFn,
  type MiddlewareObj,
  type NextFunction,
} from "./composer.js";
export { Context, ContextExpiredError, type ContextOptions, type ReplyOptions } from "./context.js";
export {
  type Conversation,
  type ConversationControl,
  type ConversationFlavor,
  type ConversationFn,
  type ConversationOptions,
  ConversationReplayError,
  ConversationStepLimit,
  ConversationTimeout,
  conversation,
  MAX_CONVERSATION_STEPS,
  type WaitOptions,
} from "./conversation.js";
export { BotError, type BotErrorContext, type ErrorHandler, HandlerTimeoutError } from "./errors.js";
export {
  type AliasQuery,
  type BaseQuery,
  type Filter,
  type FilterQuery,
  matchFilter,
  type PlatformAdapters,
  type PlatformClients,
  type PlatformQuery,
  type QueryShapes,
} from "./filters.js";
export { createOutbox, OutboxQueue } from "./outbox.js";
export {
  CommitConflictError,
  type SessionFlavor,
  type SessionKey,
  type SessionOptions,
  SessionSchemaError,
  session,
} from "./session.js";
export { MemoryBotStore } from "./store/memory.js";
export { SqliteBotStore, type SqliteBotStoreOptions } from "./store/sqlite.js";
export type {
  AccountKey,
  BotStore,
  OutboxItem,
  SessionRecord,
  StoredUpdate,
  UpdateEffects,
} from "./types.js";
