// Transitional re-exports: the shared fault layer lives in the emulator kit, each platform's profile in its emulator.
export * from "../core/emulator/http-faults.js";
export { MAXIM_RATE_LIMIT_CODE, maximHttpFaults } from "../maxim/emulator/faults.js";
export { vkliveAnswer, vkliveHttpFaults } from "../vklive/emulator/faults.js";
export { WEBQQ_RATE_LIMIT, webqqHttpFaults } from "../webqq/emulator/faults.js";
