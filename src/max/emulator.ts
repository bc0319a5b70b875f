/**
 * `switchboard/max/emulator`: the MAX emulator for tests and tools (the sandbox runs it through
 * the plugin). Importing it loads fastify and better-sqlite3; `switchboard/max` does not.
 */

export { AdminError, MaxAdmin } from "./emulator/admin.js";
export type { MaxEmulatorHooks } from "./emulator/context.js";
export {
  MaxConsoleProvider,
  type MaxEmulatorInstance,
  type MaxEmulatorOptions,
  type MaxEmulatorPluginOptions,
  MaxEmulatorServer,
  type MaxSeed,
  type MaxSeededAccount,
  type MaxSocketOptions,
  maxEmulatorPlugin,
  maxSeedSection,
  maxStoreModule,
  registerMaxAdminRoutes,
  selfSignedIdentity,
  type TlsIdentity,
} from "./emulator/index.js";
