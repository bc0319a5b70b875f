/** `switchboard/maxbot/emulator`: the MAX Bot API emulator, its sandbox plugin and what tests need. */
export { type BotSummary, createBotAdmin, type MaxBotAdmin } from "./emulator/admin.js";
export { registerMaxBotAdmin } from "./emulator/admin-routes.js";
export { MaxBotConsoleProvider } from "./emulator/console.js";
export type { MaxBotContext } from "./emulator/context.js";
export { decodeMid, encodeMid } from "./emulator/convert.js";
export { BotApiError } from "./emulator/errors.js";
export {
  type MaxBotEmulatorInstance,
  type MaxBotPluginOptions,
  maxbotEmulatorPlugin,
} from "./emulator/index.js";
export { MaxBotSeed, maxbotSeedSection } from "./emulator/seed.js";
export {
  createMaxBotEmulator,
  type MaxBotEmulator,
  type MaxBotEmulatorOptions,
} from "./emulator/server.js";
export { maxbotStoreModule } from "./emulator/store/schema.js";
export type { UpdatesOptions } from "./emulator/updates/index.js";
export * from "./emulator/world.js";
