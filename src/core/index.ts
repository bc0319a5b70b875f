/** Public surface of the shared core: errors, unified model, logging, transports. */
export * from "./backoff.js";
export * from "./errors.js";
export * from "./http.js";
export { createLogger, type Logger, type LogOptions, silentLogger } from "./log.js";
export type * from "./model.js";
export { ref, refKey, sameRef } from "./model.js";
export { isSecretKey, REDACTED, redact, redactUrl } from "./redact.js";
export * from "./rpc-ws.js";
