/**
 * MaxIM server API wire schema (seed 001 + maxim-top/im.gitbook server-api reference): the single
 * source of truth shared by the emulator and the client: constants and primitives (protocol/wire),
 * request and response schemas (protocol/users, protocol/groups) and the one endpoint table
 * (protocol/endpoints) both sides are driven by.
 */
export * from "./protocol/endpoints.js";
export * from "./protocol/groups.js";
export * from "./protocol/users.js";
export * from "./protocol/wire.js";
