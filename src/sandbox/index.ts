export type { SeededAccount, SeedLocator, SeedSection } from "../core/emulator/plugin.js";
export { SeedProblem } from "../core/emulator/plugin.js";
export type { SandboxUrls } from "./admin-api.js";
export { type EmulatorsOptions, type RunningEmulators, startEmulators } from "./emulators.js";
export {
  DEFAULT_BASE_PORT,
  DEFAULT_DATA_FILE,
  DEFAULT_HOST,
  type Sandbox,
  type SandboxOptions,
  SandboxStartError,
  type SeededUser,
  sandboxPlugins,
  startSandbox,
} from "./runner.js";
export {
  applySeed,
  type CheckedSeed,
  checkSeed,
  checkSeedKeys,
  formatPath,
  type LoadedSeed,
  loadSeedFile,
  parseSeed,
  SeedError,
  type SeedReport,
  validateSeed,
} from "./seed/load.js";
export { DEMO_MAX_USERS, DEMO_SEED_FILE, loadDemoSeed, resolveSeed, type SeedName } from "./seed-demo.js";
