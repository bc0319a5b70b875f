export {
  capabilities,
  chatUpdatedEvent,
  fromSegments,
  memberEvents,
  messageEvent,
  presenceEvent,
  recallEvent,
  type SegmentOptions,
  toChat,
  toDirectChat,
  toMember,
  toMessage,
  toUser,
} from "./adapter.js";
export { MaxImClient, type MaxImClientOptions } from "./client.js";
export { registerMaxImAdmin } from "./emulator/admin-routes.js";
export {
  createMaxImEmulator,
  type MaxImAdmin,
  type MaxImEmulator,
  type MaxImEmulatorOptions,
  type MessageRecord,
  type PushRecipient,
  type PushRecord,
} from "./emulator/server.js";
export { maximStoreModule } from "./emulator/store/schema.js";
export * from "./protocol.js";
