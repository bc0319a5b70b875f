import { describe, expect, it } from "vitest";
import type { Segment } from "../../src/core/model.js";
import {
  capabilities,
  fromSegments,
  toChat,
  toEvents,
  toMember,
  toMessage,
  toSegments,
} from "../../src/vklive/adapter.js";
import type { ChatMessage, Part } from "../../src/vklive/protocol/index.js";
import { fromTypedParts, partsText, toTypedParts } from "../../src/vklive/protocol/index.js";

const parts: Part[] = [
  { text: { content: "hi " } },
  { mention: { id: 5, nick: "bob" } },
  { link: { url: "https://vk.com/", content: "VK" } },
  { smile: { id: "pog", name: "Pog", animated: true, medium_url: "https://x/m.png" } },
];

describe("parts ⇄ segments", () => {
  it("reads every part kind", () => {
    expect(toSegments("acc", parts)).toEqual([
      { type: "text", text: "hi " },
      { type: "mention", user: { platform: "vklive", account: "acc", id: "5" }, text: "bob" },
      { type: "link", url: "https://vk.com/", text: "VK" },
      { type: "emoji", id: "pog", name: "Pog", url: "https://x/m.png", animated: true },
    ]);
  });

  it("writes segments back, turning unsupported ones into text or links", () => {
    const segs: Segment[] = [
      { type: "text", text: "a", bold: true },
      { type: "mention", user: { platform: "vklive", account: "acc", id: "5" } },
      { type: "mention", user: { platform: "vklive", account: "acc", id: "nick" }, text: "nick" },
      { type: "link", url: "https://vk.com/" },
      { type: "emoji", id: "pog" },
      { type: "image", attachment: { url: "https://x/p.png" } },
      { type: "file", attachment: {} },
      { type: "location", lat: 1, lon: 2 },
      { type: "poll", question: "q", options: ["a", "b"] },
      { type: "reply", to: { platform: "vklive", account: "acc", id: "1" } },
      { type: "text", text: "" },
    ];
    expect(fromSegments(segs)).toEqual([
      { text: { content: "a" } },
      { mention: { id: 5 } },
      { text: { content: "@nick" } },
      { link: { url: "https://vk.com/" } },
      { smile: { id: "pog" } },
      { link: { url: "https://x/p.png" } },
      { text: { content: "[file]" } },
      { text: { content: "[location 1,2]" } },
      { text: { content: "[poll] q: a / b" } },
    ]);
  });

  it("typed parts round-trip and plain text", () => {
    const typed = toTypedParts(parts);
    expect(typed.map((p) => p.type)).toEqual(["text", "mention", "link", "smile"]);
    expect(fromTypedParts(typed)).toEqual([
      { text: { content: "hi " } },
      { mention: { id: 5 } },
      { link: { url: "https://vk.com/" } },
      { smile: { id: "pog" } },
    ]);
    expect(partsText(parts)).toBe("hi @bobVK:Pog:");
  });
});

describe("messages, chats, members, events", () => {
  const msg: ChatMessage = {
    id: 9,
    created_at: 1_700_000_000,
    author: { id: 5, nick: "bob", is_owner: false, is_moderator: true },
    parts,
  };

  it("a chat message is a unified message in the channel's stream chat", () => {
    const m = toMessage("acc", "chan", msg);
    expect(m).toMatchObject({
      ref: { platform: "vklive", account: "acc", id: "9" },
      chat: { id: "chan" },
      author: { id: "5" },
      time: 1_700_000_000_000,
    });
    expect(toMember("acc", m.chat, msg.author).role).toBe("moderator");
    expect(
      toChat("acc", {
        channel: { id: 1, url: "chan", status: "online", nick: "Chan", counters: { subscribers: 3 } },
        stream: null,
      }),
    ).toEqual({
      ref: { platform: "vklive", account: "acc", id: "chan" },
      kind: "stream-chat",
      title: "Chan",
      memberCount: 3,
    });
  });

  it("events map to the declared unified events", () => {
    const evs = [
      ...toEvents("acc", {
        type: "channel_chat_message_send",
        data: { chat_message: msg, channel_url: "chan" },
      }),
      ...toEvents("acc", {
        type: "channel_chat_message_delete",
        data: { chat_message: { id: 9 }, channel_url: "chan" },
      }),
      ...toEvents("acc", {
        type: "channel_follow_create",
        data: { user: { id: 5, nick: "bob" }, channel_url: "chan" },
      }),
      ...toEvents("acc", {
        type: "channel_stream_start",
        data: { stream: { id: "s", title: "T", status: "online" }, channel_url: "chan" },
      }),
      ...toEvents("acc", {
        type: "channel_raid_income",
        data: { from_channel: { id: 2, url: "x" }, viewers: 1, channel_url: "chan" },
      }),
    ];
    expect(evs.map((e) => e.type)).toEqual([
      "message.created",
      "message.deleted",
      "member.joined",
      "chat.updated",
    ]);
    for (const e of evs) expect(capabilities.events).toContain(e.type);
  });
});
