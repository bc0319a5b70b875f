/**
 * MAX Bot API wire schema: the single source of truth shared by the emulator and the client.
 * Objects (protocol/objects), updates (protocol/updates), requests (protocol/requests) and the
 * one endpoint table (protocol/endpoints), all named as the official OpenAPI schema names them.
 */
export * from "./protocol/endpoints.js";
export * from "./protocol/objects.js";
export * from "./protocol/requests.js";
export * from "./protocol/updates.js";
