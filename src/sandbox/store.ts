/**
 * Transitional: opens a store with the four platforms' store modules, for tests and benchmarks
 * that still import it from here. New code uses `openStore` from src/core/emulator/store.ts with
 * the modules it needs (each plugin's `store`).
 */
import { migrate, openStore as openKitStore } from "../core/emulator/store.js";
import type { Database, StoreModule } from "../core/storage.js";
import { sandboxPlugins } from "./runner.js";

export { migrate };

/** Every platform's store module; each owns its own `<platform>_*` tables. */
export const STORE_MODULES: readonly StoreModule[] = sandboxPlugins().map((p) => p.store);

export function openStore(options: { file: string | null; modules?: readonly StoreModule[] }): Database {
  return openKitStore({ file: options.file, modules: options.modules ?? STORE_MODULES });
}
