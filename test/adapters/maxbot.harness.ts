/** The MAX Bot API for the shared adapter conformance suite (the harness lives with the maxbot tests). */
export { harness } from "../maxbot/adapter-harness.js";
