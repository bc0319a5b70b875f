/** Plain update contexts for composer and filter tests (the composer reads only these fields). */

import type { ComposerContext } from "../../src/bot/composer.js";
import type { AdapterEvent } from "../../src/core/adapter.js";
import { type Message, type PlatformName, ref, type Segment } from "../../src/core/model.js";

export interface TestContext extends ComposerContext {
  log: string[];
}

let seq = 0;

export function messageEvent(
  content: Segment[] | string,
  options: { platform?: PlatformName; type?: "message.created" | "message.edited" } = {},
): AdapterEvent {
  const platform = options.platform ?? "maxbot";
  const message: Message = {
    ref: ref(platform, "acct", `m${++seq}`),
    chat: ref(platform, "acct", "chat1"),
    author: ref(platform, "acct", "user1"),
    time: 1_700_000_000_000,
    content: typeof content === "string" ? [{ type: "text", text: content }] : content,
  };
  return { id: `e${seq}`, type: options.type ?? "message.created", message };
}

export function contextOf(
  event: AdapterEvent,
  options: { platform?: PlatformName; prefixes?: readonly string[]; botUsername?: string } = {},
): TestContext {
  const message =
    event.type === "message.created" || event.type === "message.edited" ? event.message : undefined;
  const texts = message?.content.filter((s) => s.type === "text").map((s) => (s as { text: string }).text);
  return {
    updateKey: `${options.platform ?? "maxbot"}:acct:${event.id}`,
    platform: options.platform ?? "maxbot",
    event,
    chat: message?.chat,
    text: texts && texts.length > 0 ? texts.join("") : undefined,
    prefixes: options.prefixes,
    botUsername: options.botUsername,
    log: [],
  };
}

export function textContext(
  text: string,
  options: {
    platform?: PlatformName;
    prefixes?: readonly string[];
    botUsername?: string;
    edited?: boolean;
  } = {},
): TestContext {
  const event = messageEvent(text, {
    platform: options.platform,
    type: options.edited ? "message.edited" : undefined,
  });
  return contextOf(event, options);
}
