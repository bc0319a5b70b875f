import { migrate, openStore as openKitStore } from "../core/emulator/store.js";
import type { Database, StoreModule } from "../core/storage.js";
import { maxStoreModule } from "../max/emulator/store/schema.js";
import { maximStoreModule } from "../maxim/emulator/store/schema.js";
import { vkliveStoreModule } from "../vklive/emulator/store/schema.js";
import { webqqStoreModule } from "../webqq/emulator/store/schema.js";

export { migrate };

/** Every platform's store module; each owns its own `<platform>_*` tables. */
export const STORE_MODULES: readonly StoreModule[] = [
  maxStoreModule,
  maximStoreModule,
  webqqStoreModule,
  vkliveStoreModule,
];

export function openStore(options: { file: string | null; modules?: readonly StoreModule[] }): Database {
  return openKitStore({ file: options.file, modules: options.modules ?? STORE_MODULES });
}
