/**
 * VK Video Live DevAPI (seed 003): endpoints, field names, error constants, scopes, realtime
 * events and webhooks as zod schemas. Response schemas are lenient (unknown fields kept under `extra`) so the
 * client survives new server fields; request schemas are what the emulator enforces.
 */
export * from "./base.js";
export * from "./endpoints.js";
export * from "./objects.js";
export * from "./realtime.js";
