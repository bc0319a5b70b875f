import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/core/errors.js";
import {
  chatId,
  fromSegments,
  parseChatId,
  toEvent,
  toGroupChat,
  toSegments,
} from "../../src/webqq/adapter.js";
import type { PollItem } from "../../src/webqq/protocol.js";

describe("WebQQ adapter", () => {
  it("maps a seed group_message to message.created in chat g:<gid> by send_uin", () => {
    const item: PollItem = {
      poll_type: "group_message",
      value: {
        content: [
          ["font", { color: "004faa", name: "STKaiti", size: 13, style: [0, 0, 0] }],
          "ooo ",
          ["face", 14],
        ],
        from_uin: 2559225925,
        group_code: 3483368056,
        info_seq: 346167134,
        msg_id: 13663,
        msg_id2: 886022,
        msg_type: 43,
        reply_ip: 176756826,
        send_uin: 2440652742,
        seq: 27,
        time: 1388368698,
        to_uin: 2769546520,
      },
    };
    const ev = toEvent("2769546520", item);
    expect(ev?.type).toBe("message.created");
    if (ev?.type !== "message.created") return;
    expect(ev.message.chat.id).toBe("g:2559225925");
    expect(ev.message.author.id).toBe("2440652742");
    expect(ev.message.time).toBe(1388368698000);
    expect(ev.message.content).toEqual([
      { type: "text", text: "ooo " },
      { type: "emoji", id: "14", name: "face 14" },
    ]);
  });

  it("presence, typing and kick events", () => {
    expect(
      toEvent("1", {
        poll_type: "buddies_status_change",
        value: { uin: 5, status: "offline", client_type: 1 },
      }),
    ).toEqual({
      type: "presence",
      user: { platform: "webqq", account: "1", id: "5" },
      online: false,
    });
    const kick = toEvent("1", {
      poll_type: "kick_message",
      value: {
        reply_ip: 0,
        msg_type: 48,
        msg_id: 1,
        reason: "r",
        msg_id2: 2,
        from_uin: 10000,
        show_reason: 1,
        to_uin: 1,
      },
    });
    expect(kick).toEqual({ type: "connection.state", state: "closed", reason: "r" });
  });

  it("segments both ways; unsupported segments are a ValidationError", () => {
    const items = fromSegments([
      { type: "text", text: "hi" },
      { type: "emoji", id: "14" },
      { type: "image", attachment: { id: "cface:AB.jpg" } },
      { type: "image", attachment: { id: "offpic:/1-x", name: "x.png", size: 3 } },
      { type: "link", url: "http://e.x" },
    ]);
    expect(items).toEqual([
      { type: "text", text: "hi" },
      { type: "face", id: 14 },
      { type: "cface", name: "AB.jpg" },
      { type: "offpic", filePath: "/1-x", name: "x.png", size: 3 },
      { type: "text", text: "http://e.x" },
    ]);
    expect(toSegments(items.slice(2, 3))).toEqual([
      { type: "image", attachment: { id: "cface:AB.jpg", name: "AB.jpg" } },
    ]);
    expect(() => fromSegments([{ type: "poll", question: "q", options: [] }])).toThrow(ValidationError);
  });

  it("chat ids round-trip", () => {
    for (const c of [
      { kind: "buddy", uin: 1 },
      { kind: "group", gid: 2 },
      { kind: "discu", did: 3 },
      { kind: "sess", gid: 4, uin: 5 },
    ] as const) {
      expect(parseChatId(chatId(c))).toEqual(c);
    }
    expect(() => parseChatId("x:1")).toThrow(ValidationError);
    expect(toGroupChat("1", { gid: 9, name: "g" }, 3)).toMatchObject({
      kind: "group",
      title: "g",
      memberCount: 3,
    });
  });
});
