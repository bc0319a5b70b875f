/** Kept so older imports of `src/max/client.js` resolve; the client lives in ./client/. */
export * from "./client/index.js";
