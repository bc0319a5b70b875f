/** The chat of a channel: members, messages (send and read), settings. */
import type { CallOptions } from "../../core/call.js";
import { ValidationError } from "../../core/errors.js";
import {
  type ChatMemberData,
  type ChatMessage,
  type ChatSettings,
  type ChatSettingsEditBody,
  fromTypedParts,
  LIMITS,
  type SendPart,
  type TypedPart,
  type UserShort,
} from "../protocol/index.js";
import type { VkLiveTransport } from "./transport.js";

export type MessageContent = string | readonly TypedPart[] | readonly SendPart[];

export async function chatMember(
  t: VkLiveTransport,
  channelUrl: string,
  userId: number,
  o: CallOptions = {},
): Promise<ChatMemberData> {
  return (await t.call("chatMember", { query: { channel_url: channelUrl, user_id: userId } }, o)).data;
}

export async function chatMembers(
  t: VkLiveTransport,
  channelUrl: string,
  limit: number = LIMITS.listLimit,
  o: CallOptions = {},
): Promise<UserShort[]> {
  return (await t.call("chatMembers", { query: { channel_url: channelUrl, limit } }, o)).data.users;
}

/** Text, typed parts or raw parts → the parts to send. */
export function toSendParts(content: MessageContent): SendPart[] {
  if (typeof content === "string") return [{ text: { content } }];
  if (content.every((p) => "type" in p)) return fromTypedParts(content as TypedPart[]);
  return [...(content as SendPart[])];
}

/** Characters the DevAPI counts against `LIMITS.messageLength` (text and link parts). */
export function sendLength(parts: readonly SendPart[]): number {
  let length = 0;
  for (const p of parts) length += "text" in p ? p.text.content.length : "link" in p ? p.link.url.length : 0;
  return length;
}

/** Sends text, typed parts or raw parts. Not retried except on 429 (never sent twice). */
export async function sendMessage(
  t: VkLiveTransport,
  channelUrl: string,
  content: MessageContent,
  o: CallOptions & { streamId?: string } = {},
): Promise<void> {
  const parts = toSendParts(content);
  if (sendLength(parts) > LIMITS.messageLength) {
    throw new ValidationError(`message is longer than ${LIMITS.messageLength} characters`, {
      platform: "vklive",
      code: "message_too_long",
    });
  }
  await t.call(
    "sendMessage",
    { query: { channel_url: channelUrl, stream_id: o.streamId }, body: { parts } },
    o,
  );
}

/** The newest `limit` messages, newest first. */
export async function chatMessages(
  t: VkLiveTransport,
  channelUrl: string,
  limit = 50,
  o: CallOptions = {},
): Promise<ChatMessage[]> {
  return (await t.call("chatMessages", { query: { channel_url: channelUrl, limit } }, o)).data.chat_messages;
}

export async function chatSettings(
  t: VkLiveTransport,
  channelUrl: string,
  o: CallOptions = {},
): Promise<ChatSettings> {
  return (await t.call("chatSettings", { query: { channel_url: channelUrl } }, o)).data.chat_settings;
}

export async function editChatSettings(
  t: VkLiveTransport,
  channelUrl: string,
  settings: ChatSettingsEditBody["chat_settings"],
  o: CallOptions = {},
): Promise<void> {
  await t.call(
    "editChatSettings",
    { query: { channel_url: channelUrl }, body: { chat_settings: settings } },
    o,
  );
}
