// The console is generic: each platform's provider lives in its emulator (src/<platform>/emulator/console.ts).
export type * from "../../core/emulator/console.js";
export { ConsoleError } from "../../core/emulator/console.js";
export { ConsoleBus, type LiveEvent, matchTraffic, TRAFFIC_LIMIT, type TrafficFilter } from "./bus.js";
export { type ConsoleHandle, type ConsoleOptions, type PlannedPlatform, registerConsole } from "./routes.js";
