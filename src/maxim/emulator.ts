/** `switchboard/maxim/emulator`: the MaxIM emulator, its sandbox plugin and what tests need. */
export { registerMaxImAdmin } from "./emulator/admin-routes.js";
export { MaxImConsoleProvider } from "./emulator/console.js";
export { type AppConfig, DEFAULT_APP_CONFIG, type License } from "./emulator/context.js";
export { MAXIM_RATE_LIMIT_CODE, maximHttpFaults } from "./emulator/faults.js";
export { type MaxImEmulatorInstance, maximEmulatorPlugin } from "./emulator/index.js";
export { applyMaxImSeed, MaxImSeed, maximSeedSection } from "./emulator/seed.js";
export {
  type AppOptions,
  createMaxImEmulator,
  type MaxImAdmin,
  type MaxImEmulator,
  type MaxImEmulatorOptions,
  type MessageRecord,
  type PushRecipient,
  type PushRecord,
} from "./emulator/server.js";
export { MaxImStore, maximStoreModule } from "./emulator/store/index.js";
