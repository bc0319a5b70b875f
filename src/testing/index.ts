/**
 * `switchboard/testing`: run a bot against the sandbox emulators in a test. See docs/testing.md.
 */
export { BotTestKitError, type BotTestKitErrorCode, NoReplyError, type SeenMessage } from "./errors.js";
export { BotTestKit, type BotTestKitOptions, KIT_PLATFORMS } from "./kit.js";
export { type Reply, type ReplyMatcher, type ReplyWaitOptions, TestUser } from "./test-user.js";
