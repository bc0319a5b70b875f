/**
 * `switchboard/vklive/emulator`: the VK Video Live emulator (OAuth, REST DevAPI, Centrifugo,
 * webhooks) — as a sandbox plugin, or created on its own over a database opened with
 * `openStore({ file, modules: [vkliveStoreModule] })`.
 */

export { registerVkLiveAdmin } from "./emulator/admin-routes.js";
export { VkLiveConsoleProvider } from "./emulator/console.js";
export {
  DEFAULT_CONFIG as VKLIVE_DEFAULT_CONFIG,
  type EmulatorConfig as VkLiveEmulatorConfig,
} from "./emulator/context.js";
export { vkliveAnswer, vkliveHttpFaults } from "./emulator/faults.js";
export {
  createVkLiveEmulatorPlugin,
  type VkLiveEmulatorInstance,
  type VkLivePluginOptions,
  vkliveEmulatorPlugin,
} from "./emulator/index.js";
export {
  applyVkLiveSeed,
  checkVkLiveSeed,
  type VkLiveSeed,
  VkLiveSeedSchema,
  vkliveSeedSection,
} from "./emulator/seed.js";
export {
  createVkLiveEmulator,
  type VkLiveAdmin,
  type VkLiveEmulator,
  type VkLiveEmulatorOptions,
} from "./emulator/server.js";
export { VkLiveStore, vkliveStoreModule } from "./emulator/store/index.js";
export type { DeliveryRecord as VkLiveDeliveryRecord } from "./emulator/webhooks.js";
