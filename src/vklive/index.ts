/**
 * `switchboard/vklive`: the VK Video Live client, adapter and types. Importing it loads no
 * emulator, Fastify or SQLite (those are `switchboard/vklive/emulator`).
 */
export {
  eventId as vkliveEventId,
  splitParts as vkliveSplitParts,
  VkLiveAdapter,
  type VkLiveAdapterOptions,
} from "./adapter.js";
export {
  ChatHandle,
  type MessageContent as VkLiveMessageContent,
  VkLiveClient,
  type VkLiveClientOptions,
} from "./client/index.js";
export {
  authorizeUrl,
  basicAuthHeader,
  bearerAuthHeader,
  implicitToTokenSet,
  OAuthClient,
  OAuthState,
  parseCodeRedirect,
  parseImplicitFragment,
  TokenManager,
  type TokenSet,
} from "./client/oauth.js";
export { pubsubUrl, type RealtimeEvent, type VkLiveEventMap, VkLiveRealtime } from "./client/realtime.js";
export { isVkError, mapVkError } from "./client/transport.js";
export {
  type EventIdStore,
  MemoryEventIdStore,
  signWebhook,
  startWebhookServer,
  verifyWebhookSignature,
  WebhookReceiver,
  type WebhookReceiverOptions,
  type WebhookResult,
} from "./client/webhooks.js";
export {
  capabilities as vkliveCapabilities,
  chatRef as vkliveChatRef,
  fromSegments as vkliveFromSegments,
  toChat as vkliveToChat,
  toEvents as vkliveToEvents,
  toMember as vkliveToMember,
  toMessage as vkliveToMessage,
  toSegments as vkliveToSegments,
  toUser as vkliveToUser,
} from "./convert.js";
export {
  type ChannelData as VkLiveChannelData,
  type ChatMessage as VkLiveChatMessage,
  type ChatSettings as VkLiveChatSettings,
  type CurrentUser as VkLiveCurrentUser,
  DEFAULT_API_URL as VKLIVE_DEFAULT_API_URL,
  ERROR_STATUS as VKLIVE_ERROR_STATUS,
  type ErrorCode as VkLiveErrorCode,
  EVENT_TYPES as VKLIVE_EVENT_TYPES,
  type EventType as VkLiveEventType,
  fromTypedParts,
  LIMITS as VKLIVE_LIMITS,
  type Part as VkLivePart,
  partsText,
  type Reward as VkLiveReward,
  type RewardDemand as VkLiveRewardDemand,
  SCOPES as VKLIVE_SCOPES,
  type Scope as VkLiveScope,
  type SendPart as VkLiveSendPart,
  type StreamInfo as VkLiveStreamInfo,
  type StreamRecord as VkLiveStreamRecord,
  type TokenInfo as VkLiveTokenInfo,
  type TypedPart as VkLiveTypedPart,
  toTypedParts,
  type UserShort as VkLiveUserShort,
  VKLIVE_ENDPOINTS,
  type VkEvent as VkLiveEvent,
  type WebhookEvent as VkLiveWebhookEvent,
  wsChannelNames as vkliveWsChannelNames,
} from "./protocol/index.js";
