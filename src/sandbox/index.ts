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
export { DEMO_MAX_USERS, type SeededUser, type SeedName } from "./seed-demo.js";
export { openStore } from "./store.js";
