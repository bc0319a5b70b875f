export { ConsoleBus, type LiveEvent, matchTraffic, TRAFFIC_LIMIT, type TrafficFilter } from "./bus.js";
export type * from "./provider.js";
export { ConsoleError } from "./provider.js";
export { MaxConsoleProvider } from "./providers/max.js";
export { MaxImConsoleProvider } from "./providers/maxim.js";
export { type ConsoleHandle, type ConsoleOptions, type PlannedPlatform, registerConsole } from "./routes.js";
