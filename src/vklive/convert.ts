import type { AdapterCapabilities, Chat, Event, Member, Message, Ref, Segment, User } from "../core/model.js";
import { ref } from "../core/model.js";
import {
  type ChannelData,
  type ChatMessage,
  LIMITS,
  type Part,
  type SendPart,
  type UserShort,
  type VkEvent,
} from "./protocol/index.js";

/**
 * Conversions between VK Video Live and the unified model (the adapter is in adapter.ts).
 * VK Video Live in the unified model: a channel's stream chat is a `stream-chat` Chat, parts
 * are text / mention / link / emoji (smile) segments, realtime events map to message.created /
 * message.deleted, member.joined (follow) and chat.updated (stream start/end, raid).
 */
export const capabilities: AdapterCapabilities = {
  platform: "vklive",
  // The DevAPI has no edit, delete or reaction method for chat messages; history is GET /v1/chat/messages.
  operations: { edit: false, delete: false, react: false, history: true },
  maxTextLength: LIMITS.messageLength,
  segments: ["text", "mention", "link", "emoji"],
  events: ["message.created", "message.deleted", "member.joined", "chat.updated", "connection.state"],
};

export function toUser(account: string, u: UserShort): User {
  const out: User = { ref: ref("vklive", account, u.id), name: u.nick, username: u.nick };
  if (u.avatar_url) out.avatarUrl = u.avatar_url;
  return out;
}

export function toMember(account: string, chat: Ref, u: UserShort): Member {
  return {
    user: toUser(account, u),
    chat,
    role: u.is_owner ? "owner" : u.is_moderator ? "moderator" : "member",
  };
}

/** The chat of a channel; its id is the channel url (what every chat method takes). */
export function chatRef(account: string, channelUrl: string): Ref {
  return ref("vklive", account, channelUrl);
}

export function toChat(account: string, c: ChannelData): Chat {
  const out: Chat = {
    ref: chatRef(account, c.channel.url),
    kind: "stream-chat",
    title: c.stream?.title || c.channel.nick || c.channel.url,
  };
  if (c.channel.counters) out.memberCount = c.channel.counters.subscribers;
  return out;
}

export function toSegments(account: string, parts: readonly Part[]): Segment[] {
  const out: Segment[] = [];
  for (const p of parts) {
    if (p.text) out.push({ type: "text", text: p.text.content });
    else if (p.mention) {
      const s: Segment = { type: "mention", user: ref("vklive", account, p.mention.id) };
      if (p.mention.nick) s.text = p.mention.nick;
      out.push(s);
    } else if (p.link) {
      const s: Segment = { type: "link", url: p.link.url };
      if (p.link.content && p.link.content !== p.link.url) s.text = p.link.content;
      out.push(s);
    } else if (p.smile) {
      const s: Segment = { type: "emoji", id: p.smile.id };
      if (p.smile.name) s.name = p.smile.name;
      const url = p.smile.medium_url ?? p.smile.small_url;
      if (url) s.url = url;
      if (p.smile.animated !== undefined) s.animated = p.smile.animated;
      out.push(s);
    }
  }
  return out;
}

/**
 * Segments → parts to send. Formatting flags are dropped; segments the chat can't carry
 * (images, files, polls…) become their text or URL so nothing silently disappears.
 */
export function fromSegments(segments: readonly Segment[]): SendPart[] {
  const out: SendPart[] = [];
  const text = (content: string) => {
    if (content !== "") out.push({ text: { content } });
  };
  for (const s of segments) {
    switch (s.type) {
      case "text":
        text(s.text);
        break;
      case "mention": {
        const id = Number(s.user.id);
        if (Number.isSafeInteger(id) && id > 0) out.push({ mention: { id } });
        else text(`@${s.text ?? s.user.id}`);
        break;
      }
      case "link":
        out.push({ link: { url: s.url } });
        break;
      case "emoji":
        out.push({ smile: { id: s.id } });
        break;
      case "image":
      case "video":
      case "audio":
      case "file":
        if (s.attachment.url) out.push({ link: { url: s.attachment.url } });
        else text(`[${s.type}]`);
        break;
      case "sticker":
        text(`[sticker ${s.id}]`);
        break;
      case "location":
        text(`[${s.title ?? "location"} ${s.lat},${s.lon}]`);
        break;
      case "contact":
        text(`[contact ${s.name ?? ""} ${s.phone ?? ""}]`.replace(/\s+]/, "]"));
        break;
      case "poll":
        text(`[poll] ${s.question}: ${s.options.join(" / ")}`);
        break;
      case "reply":
      case "forward":
        break;
    }
  }
  return out;
}

export function toMessage(account: string, channelUrl: string, m: ChatMessage): Message {
  return {
    ref: ref("vklive", account, m.id),
    chat: chatRef(account, channelUrl),
    author: ref("vklive", account, m.author.id),
    time: m.created_at * 1000,
    content: toSegments(account, m.parts),
  };
}

/** A realtime event → unified events (none for types the model has no place for). */
export function toEvents(account: string, e: VkEvent): Event[] {
  switch (e.type) {
    case "channel_chat_message_send":
      return [
        { type: "message.created", message: toMessage(account, e.data.channel_url, e.data.chat_message) },
      ];
    case "channel_chat_message_delete":
      return [
        {
          type: "message.deleted",
          chat: chatRef(account, e.data.channel_url),
          message: ref("vklive", account, e.data.chat_message.id),
        },
      ];
    case "channel_follow_create":
      return [
        {
          type: "member.joined",
          chat: chatRef(account, e.data.channel_url),
          user: ref("vklive", account, e.data.user.id),
        },
      ];
    case "channel_stream_start":
    case "channel_stream_end":
      return [
        {
          type: "chat.updated",
          chat: {
            ref: chatRef(account, e.data.channel_url),
            kind: "stream-chat",
            title: e.data.stream.title,
          },
        },
      ];
    default:
      return [];
  }
}
