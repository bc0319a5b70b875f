/**
 * `switchboard/webqq/emulator`: the WebQQ emulator (Fastify + SQLite). Kept apart from
 * `switchboard/webqq` so that importing the client never loads fastify or better-sqlite3.
 */
export { type SendAsInput, type WebQQAdmin, WebQQAdminError } from "./emulator/admin.js";
export { registerWebQQAdmin } from "./emulator/admin-routes.js";
export { WebQQConsoleProvider } from "./emulator/console.js";
export { WEBQQ_RATE_LIMIT, webqqHttpFaults } from "./emulator/faults.js";
export {
  createWebQQEmulatorPlugin,
  type WebQQEmulatorInstance,
  type WebQQPluginOptions,
  webqqEmulatorPlugin,
} from "./emulator/index.js";
export { applyWebQQSeed, checkWebQQSeed, WebQQSeed, webqqSeedSection } from "./emulator/seed.js";
export { createWebQQEmulator, type WebQQEmulator, type WebQQEmulatorOptions } from "./emulator/server.js";
export { webqqStoreModule } from "./emulator/store/schema.js";
