/** Public surface of the shared core: contracts, errors, unified model, logging, transports. */
export * from "./adapter.js";
export * from "./backoff.js";
export * from "./call.js";
export * from "./credentials.js";
export * from "./emitter.js";
export * from "./endpoint.js";
export * from "./errors.js";
export * from "./extra.js";
export * from "./http.js";
export { createLogger, type Logger, type LogOptions, silentLogger } from "./log.js";
export type * from "./model.js";
export { ref, refKey, sameRef } from "./model.js";
export { isSecretKey, REDACTED, redact, redactUrl } from "./redact.js";
export * from "./rpc-ws.js";
export * from "./validation.js";
