/**
 * Kept only so that imports of the old single-file client outside src/webqq keep resolving
 * while they move to `./client/index.js` (or `switchboard/webqq`); delete once none is left.
 */
export * from "./client/index.js";
