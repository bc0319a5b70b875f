/**
 * MAX user API wire schema (seed 000 + PROTOCOL-NOTES.md): the single source of truth shared by
 * the emulator and the client, in parts under ./protocol/ — constants (envelope, opcodes,
 * limits, error strings), objects (attaches, server objects, events), requests (payload
 * schemas) and rpc (the endpoint table both sides are driven by).
 */
export * from "./protocol/constants.js";
export * from "./protocol/objects.js";
export * from "./protocol/requests.js";
export * from "./protocol/rpc.js";
