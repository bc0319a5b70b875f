export {
  capabilities,
  chatId,
  fromSegments,
  parseChatId,
  toDiscussionChat,
  toEvent,
  toFriendChat,
  toGroupChat,
  toMember,
  toSegments,
  toUser,
} from "./adapter.js";
export {
  type PasswordLoginInput,
  type QrLoginInput,
  retcodeError,
  type SendOptions,
  WebQQClient,
  type WebQQClientOptions,
  type WebQQEvents,
  type WebQQSession,
} from "./client.js";
export { type WebQQAdmin, WebQQAdminError } from "./emulator/admin.js";
export { registerWebQQAdmin } from "./emulator/admin-routes.js";
export { createWebQQEmulator, type WebQQEmulator, type WebQQEmulatorOptions } from "./emulator/server.js";
export { webqqStoreModule } from "./emulator/store/schema.js";
export * from "./protocol.js";
