/**
 * WebQQ (seeds 002 and 004, PROTOCOL-NOTES.md): the wire in four parts — hosts, retcodes and
 * login hashes (protocol/wire.ts), message content (protocol/content.ts), request / response /
 * poll-item schemas (protocol/schemas.ts) and the endpoint table (protocol/endpoints.ts).
 * Client and emulator both import this; neither imports the other.
 */
export * from "./protocol/content.js";
export * from "./protocol/endpoints.js";
export * from "./protocol/schemas.js";
export * from "./protocol/wire.js";
