/**
 * The MAX Bot API ↔ unified model conversions (src/maxbot/convert.ts), on objects shaped as the
 * protocol's schemas parse them: markup ranges to segments, segments to a send body (HTML escaped),
 * stable update keys and the events of each update type.
 */
import { describe, expect, it } from "vitest";
import { ref } from "../../src/core/model.js";
import {
  fromSegments,
  textSegments,
  toChat,
  toMessage,
  toUser,
  updateEvents,
  updateKey,
} from "../../src/maxbot/convert.js";
import { Message, Update } from "../../src/maxbot/protocol.js";

const ACC = "bot";
const r = (id: string | number) => ref("maxbot", ACC, id);
const alice = {
  user_id: 7,
  first_name: "Alice",
  last_name: "Liddell",
  username: "alice",
  is_bot: false,
  last_activity_time: 1,
};

const message = (over: Record<string, unknown> = {}) =>
  Message.parse({
    sender: alice,
    recipient: { chat_id: -100, chat_type: "chat", user_id: null },
    timestamp: 1000,
    body: { mid: "mid.a", seq: 5, text: "hello", attachments: [], markup: [] },
    ...over,
  });

describe("maxbot convert", () => {
  it("users and chats", () => {
    expect(toUser(ACC, alice)).toEqual({ ref: r(7), name: "Alice Liddell", username: "alice", isBot: false });
    expect(
      toChat(ACC, {
        chat_id: -100,
        type: "chat",
        status: "active",
        title: "Team",
        icon: null,
        last_event_time: 1,
        participants_count: 3,
        is_public: false,
      }),
    ).toEqual({ ref: r(-100), kind: "group", title: "Team", memberCount: 3 });
    expect(
      toChat(ACC, {
        chat_id: 55,
        type: "dialog",
        status: "active",
        title: null,
        icon: null,
        last_event_time: 1,
        participants_count: 2,
        is_public: false,
        dialog_with_user: alice,
      }),
    ).toMatchObject({ kind: "direct", title: "Alice Liddell" });
  });

  it("markup: styles split the text, links and mentions are whole segments", () => {
    const text = "bold both link @Alice";
    const segs = textSegments(ACC, text, [
      { type: "strong", from: 0, length: 9 },
      { type: "emphasized", from: 5, length: 4 },
      { type: "link", from: 10, length: 4, url: "https://x.example/" },
      { type: "strong", from: 11, length: 2 },
      { type: "user_mention", from: 15, length: 6, user_id: 7 },
    ]);
    expect(segs).toEqual([
      { type: "text", text: "bold ", bold: true },
      { type: "text", text: "both", bold: true, italic: true },
      { type: "text", text: " " },
      { type: "link", url: "https://x.example/", text: "link" },
      { type: "text", text: " " },
      { type: "mention", user: r(7), text: "@Alice" },
    ]);
    expect(textSegments(ACC, "")).toEqual([]);
    // A range past the end is cut, never a crash.
    expect(textSegments(ACC, "ab", [{ type: "monospaced", from: 1, length: 50 }])).toEqual([
      { type: "text", text: "a" },
      { type: "text", text: "b", code: true },
    ]);
  });

  it("a message: attachments, reply and forward links", () => {
    const m = toMessage(
      ACC,
      message({
        link: { type: "reply", message: { mid: "mid.orig", seq: 1, text: "orig" } },
        body: {
          mid: "mid.a",
          seq: 5,
          text: "see",
          attachments: [
            { type: "file", payload: { url: "http://f", token: "t1" }, filename: "a.txt", size: 3 },
            { type: "location", latitude: 1.5, longitude: 2.5 },
            {
              type: "inline_keyboard",
              payload: { buttons: [[{ type: "callback", text: "x", payload: "p" }]] },
            },
          ],
        },
      }),
    );
    expect(m).toEqual({
      ref: r("mid.a"),
      chat: r(-100),
      author: r(7),
      time: 1000,
      replyTo: r("mid.orig"),
      content: [
        { type: "file", attachment: { id: "t1", url: "http://f", name: "a.txt", size: 3 } },
        { type: "location", lat: 1.5, lon: 2.5 },
        { type: "text", text: "see" },
      ],
    });
    const f = toMessage(
      ACC,
      message({ link: { type: "forward", chat_id: -5, message: { mid: "mid.f", seq: 2, text: "fwd" } } }),
    );
    expect(f.forwarded).toEqual([r("mid.f")]);
    expect(f.content[0]).toEqual({ type: "forward", from: [r("mid.f")], chat: r(-5) });
  });

  it("segments to a send body: plain stays plain, styles become escaped HTML", () => {
    expect(fromSegments([{ type: "text", text: "a < b & c" }])).toEqual({ text: "a < b & c" });
    expect(
      fromSegments([
        { type: "text", text: "x<y", bold: true },
        { type: "link", url: "https://e.example/?a=1&b=2", text: "here" },
        { type: "image", attachment: { id: "tok" } },
        { type: "image", attachment: { url: "https://img.example/p.png" } },
        { type: "sticker", id: "st1" },
        { type: "reply", to: r("mid.r") },
      ]),
    ).toEqual({
      text: '<b>x&lt;y</b><a href="https://e.example/?a=1&amp;b=2">here</a>',
      format: "html",
      attachments: [
        { type: "image", payload: { token: "tok" } },
        { type: "image", payload: { url: "https://img.example/p.png" } },
        { type: "sticker", payload: { code: "st1" } },
      ],
      link: { type: "reply", mid: "mid.r" },
    });
    expect(fromSegments([{ type: "text", text: "t" }], "mid.z").link).toEqual({
      type: "reply",
      mid: "mid.z",
    });
  });

  it("update keys are stable and distinct per update", () => {
    const created = Update.parse({ update_type: "message_created", timestamp: 1, message: message() });
    const edited1 = Update.parse({ update_type: "message_edited", timestamp: 2, message: message() });
    const edited2 = Update.parse({ update_type: "message_edited", timestamp: 3, message: message() });
    const callback = Update.parse({
      update_type: "message_callback",
      timestamp: 4,
      message: null,
      callback: { timestamp: 4, callback_id: "cb1", payload: "p", user: alice },
    });
    const removed = Update.parse({
      update_type: "message_removed",
      timestamp: 5,
      message_id: "mid.a",
      chat_id: -100,
      user_id: 7,
    });
    const added = Update.parse({
      update_type: "user_added",
      timestamp: 6,
      chat_id: -100,
      user: alice,
      is_channel: false,
    });
    expect(updateKey(created)).toBe("message_created:mid.a");
    expect(updateKey(Update.parse(JSON.parse(JSON.stringify(created))))).toBe(updateKey(created));
    expect(updateKey(edited1)).not.toBe(updateKey(edited2));
    expect(updateKey(callback)).toBe("message_callback:cb1");
    expect(updateKey(removed)).toBe("message_removed:mid.a");
    expect(updateKey(added)).toBe("user_added:-100:7:6");
    expect(updateEvents(ACC, removed)).toEqual([
      { type: "message.deleted", chat: r(-100), message: r("mid.a"), id: "message_removed:mid.a" },
    ]);
    expect(updateEvents(ACC, added)).toEqual([
      { type: "member.joined", chat: r(-100), user: r(7), id: "user_added:-100:7:6" },
    ]);
    expect(updateEvents(ACC, edited1)[0]).toMatchObject({
      type: "message.edited",
      message: { edited: true },
    });
    expect(updateEvents(ACC, callback)).toEqual([]);
  });
});
