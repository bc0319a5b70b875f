export type { SandboxUrls } from "./admin-api.js";
export {
  DEFAULT_BASE_PORT,
  DEFAULT_DATA_FILE,
  DEFAULT_HOST,
  type Sandbox,
  type SandboxOptions,
  SandboxStartError,
  startSandbox,
} from "./runner.js";
export {
  applySeed,
  type LoadedSeed,
  loadSeedFile,
  parseSeed,
  SeedError,
  type SeededAccount,
  type SeededUser,
  type SeedReport,
  validateSeed,
} from "./seed/apply.js";
export { type Seed, SeedFile, type SeedInput } from "./seed/schema.js";
export { DEMO_MAX_USERS, DEMO_SEED_FILE, resolveSeed, type SeedName } from "./seed-demo.js";
export { openStore } from "./store.js";
