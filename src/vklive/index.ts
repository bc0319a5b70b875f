export {
  capabilities,
  chatRef,
  fromSegments,
  toChat,
  toEvents,
  toMember,
  toMessage,
  toSegments,
  toUser,
} from "./adapter.js";
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
export { pubsubUrl, type RealtimeEvent, VkLiveRealtime } from "./client/realtime.js";
export { FileTokenStore, MemoryTokenStore, type TokenStore } from "./client/token-store.js";
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
export { ChatHandle, isVkError, mapVkError, VkLiveClient, type VkLiveClientOptions } from "./client.js";
export { registerVkLiveAdmin } from "./emulator/admin-routes.js";
export {
  createVkLiveEmulator,
  type VkLiveAdmin,
  type VkLiveEmulator,
  type VkLiveEmulatorOptions,
} from "./emulator/server.js";
export { vkliveStoreModule } from "./emulator/store/schema.js";
export * from "./protocol/index.js";
