/**
 * The adapter: users, groups as chats, members, every content_type ⇄ segments (through the
 * emulator, so the wire encoding is exercised too) and derived events.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Segment } from "../../src/core/model.js";
import { ref } from "../../src/core/model.js";
import { MaxImClient } from "../../src/maxim/client/index.js";
import {
  capabilities,
  chatUpdatedEvent,
  fromSegments,
  memberEvents,
  messageEvent,
  presenceEvent,
  recallEvent,
  toChat,
  toDirectChat,
  toMember,
  toMessage,
  toUser,
} from "../../src/maxim/convert.js";
import { ContentType, type StoredMessage } from "../../src/maxim/protocol.js";
import { type Harness, startEmulator, TOKEN } from "./harness.js";

const ACC = "welovemaxim";
const r = (id: number | string) => ref("maxim", ACC, id);

describe("adapter: plain conversions", () => {
  it("users, direct chats, groups as chats and members", () => {
    expect(toUser(ACC, { user_id: 7, username: "ann", nick_name: "Ann", avatar: "https://a" })).toEqual({
      ref: r(7),
      name: "Ann",
      username: "ann",
      avatarUrl: "https://a",
    });
    // Roster alias beats nickname; nothing at all falls back to the id.
    expect(toUser(ACC, { user_id: 7, username: "ann", nick_name: "Ann", alias: "Annie" }).name).toBe("Annie");
    expect(toUser(ACC, { user_id: 8 })).toEqual({ ref: r(8), name: "8" });
    expect(toDirectChat(ACC, { user_id: 7, nick_name: "Ann" })).toEqual({
      ref: r(7),
      kind: "direct",
      title: "Ann",
    });
    expect(toChat(ACC, { group_id: 99, name: "team", count: 3 })).toEqual({
      ref: r(99),
      kind: "group",
      title: "team",
      memberCount: 3,
    });
    expect(toChat(ACC, { group_id: 99, name: "team" })).not.toHaveProperty("memberCount");
    const m = { user_id: 5, join_time: 1, display_name: "Boss" };
    expect(toMember(ACC, 99, m, 5)).toEqual({
      user: { ref: r(5), name: "Boss" },
      chat: r(99),
      role: "owner",
    });
    expect(toMember(ACC, 99, { user_id: 6, join_time: 1 }, 5, [6]).role).toBe("admin");
    expect(toMember(ACC, 99, { user_id: 4, join_time: 1 }, 5, [6]).role).toBe("member");
  });

  it("declares what it maps", () => {
    expect(capabilities.platform).toBe("maxim");
    for (const s of [
      "text",
      "mention",
      "link",
      "image",
      "audio",
      "video",
      "file",
      "location",
      "forward",
    ] as const)
      expect(capabilities.segments).toContain(s);
    for (const e of [
      "message.created",
      "message.deleted",
      "presence",
      "member.joined",
      "member.left",
      "chat.updated",
    ] as const)
      expect(capabilities.events).toContain(e);
  });

  it("reads stored messages leniently (bare URL attachments, broken JSON, old location encoding)", () => {
    const base: StoredMessage = {
      msg_id: 1,
      from_xid: { uid: 2, device_sn: 0 },
      to_xid: { uid: 3, device_sn: 0 },
      ctype: "IMAGE",
      content: "",
      attachment: "https://x/y.png",
      ext: "",
      config: "",
      status: "READ",
      timestamp: 5,
    };
    expect(toMessage(ACC, 3, base, false).content).toEqual([
      { type: "image", attachment: { url: "https://x/y.png" } },
    ]);
    expect(toMessage(ACC, 3, { ...base, attachment: "{broken" }, false).content).toEqual([
      { type: "image", attachment: {} },
    ]);
    const oldLoc = toMessage(
      ACC,
      3,
      { ...base, ctype: "LOCATION", attachment: "", content: '{"lat":1.5,"lon":2.5}' },
      false,
    );
    expect(oldLoc.content).toEqual([{ type: "location", lat: 1.5, lon: 2.5 }]);
    // Direct chats are keyed by the other party, whichever side `self` is on.
    expect(toMessage(ACC, 3, base, false).chat).toEqual(r(2));
    expect(toMessage(ACC, 2, base, false).chat).toEqual(r(3));
    expect(toMessage(ACC, 2, { ...base, ctype: "TEXT", config: "[]" }, false).content).toEqual([
      { type: "text", text: "" },
    ]);
  });

  it("derives events", () => {
    expect(recallEvent(ACC, 3, 10)).toEqual({ type: "message.deleted", chat: r(3), message: r(10) });
    expect(presenceEvent(ACC, 3, { online: true })).toEqual({ type: "presence", user: r(3), online: true });
    expect(memberEvents(ACC, 9, [{ user_id: 1 }, { user_id: 2 }], [{ user_id: 2 }, { user_id: 3 }])).toEqual([
      { type: "member.joined", chat: r(9), user: r(3) },
      { type: "member.left", chat: r(9), user: r(1) },
    ]);
    expect(memberEvents(ACC, 9, [{ user_id: 1 }], [{ user_id: 1 }])).toEqual([]);
    expect(chatUpdatedEvent(ACC, { group_id: 9, name: "new name", count: 2 })).toEqual({
      type: "chat.updated",
      chat: { ref: r(9), kind: "group", title: "new name", memberCount: 2 },
    });
  });
});

describe("adapter: every content_type ⇄ segments through the emulator", () => {
  let h: Harness;
  let admin: MaxImClient;
  let ann: number;
  let bob: number;
  let group: number;

  beforeAll(async () => {
    h = await startEmulator();
    admin = new MaxImClient({ url: h.base, appId: ACC, token: TOKEN, retries: 0 });
    ann = (await admin.registerUser({ username: "ad_ann", password: "p" })).user_id;
    bob = (await admin.registerUser({ username: "ad_bob", password: "p" })).user_id;
    group = (await admin.asUser(ann).createGroup({ name: "adapters", user_list: [bob] })).group_id;
  });
  afterAll(() => h.close());

  /** Sends `segments` from ann to bob (or the group) and reads them back as bob. */
  async function roundTrip(segments: Segment[], opts: { group?: boolean; command?: boolean } = {}) {
    const target = { id: opts.group ? group : bob, group: !!opts.group };
    const body = fromSegments(target, segments, { command: opts.command });
    await admin.sendMessage({ ...body, from_user_id: ann });
    const page = await admin.asUser(bob).conversationPage(opts.group ? group : ann, { limit: 1 });
    const stored = page.messages[0] as StoredMessage;
    return { body, stored, message: toMessage(ACC, bob, stored, !!opts.group) };
  }

  const cases: { name: string; contentType: number; ctype: string; segments: Segment[]; back: Segment[] }[] =
    [
      {
        name: "TEXT with a link",
        contentType: ContentType.TEXT,
        ctype: "TEXT",
        segments: [
          { type: "text", text: "see " },
          { type: "link", url: "https://example.org" },
        ],
        back: [{ type: "text", text: "see https://example.org" }],
      },
      {
        name: "TEXT with a mention",
        contentType: ContentType.TEXT,
        ctype: "TEXT",
        segments: [
          { type: "mention", user: ref("maxim", ACC, 42), text: "@bob " },
          { type: "text", text: "hi" },
        ],
        back: [
          { type: "mention", user: ref("maxim", ACC, 42) },
          { type: "text", text: "@bob hi" },
        ],
      },
      {
        name: "IMAGE",
        contentType: ContentType.IMAGE,
        ctype: "IMAGE",
        segments: [
          {
            type: "image",
            attachment: { url: "https://x/i.png", name: "i.png", size: 10, width: 4, height: 3 },
          },
        ],
        back: [
          {
            type: "image",
            attachment: { url: "https://x/i.png", name: "i.png", size: 10, width: 4, height: 3 },
          },
        ],
      },
      {
        name: "AUDIO (voice) with a caption",
        contentType: ContentType.AUDIO,
        ctype: "AUDIO",
        segments: [
          { type: "audio", attachment: { url: "https://x/a.amr", durationMs: 3000 }, voice: true },
          { type: "text", text: "listen" },
        ],
        back: [
          { type: "audio", attachment: { url: "https://x/a.amr", durationMs: 3000 }, voice: true },
          { type: "text", text: "listen" },
        ],
      },
      {
        name: "VIDEO",
        contentType: ContentType.VIDEO,
        ctype: "VIDEO",
        segments: [{ type: "video", attachment: { url: "https://x/v.mp4", mimeType: "video/mp4" } }],
        back: [{ type: "video", attachment: { url: "https://x/v.mp4", mimeType: "video/mp4" } }],
      },
      {
        name: "FILE",
        contentType: ContentType.FILE,
        ctype: "FILE",
        segments: [{ type: "file", attachment: { url: "https://x/f.pdf", name: "f.pdf", size: 2048 } }],
        back: [{ type: "file", attachment: { url: "https://x/f.pdf", name: "f.pdf", size: 2048 } }],
      },
      {
        name: "LOCATION",
        contentType: ContentType.LOCATION,
        ctype: "LOCATION",
        segments: [{ type: "location", lat: 39.9, lon: 116.4, title: "Beijing" }],
        back: [{ type: "location", lat: 39.9, lon: 116.4, title: "Beijing" }],
      },
      {
        name: "FORWARD",
        contentType: ContentType.FORWARD,
        ctype: "FORWARD",
        segments: [
          {
            type: "forward",
            from: [ref("maxim", ACC, 11), ref("maxim", ACC, 12)],
            chat: ref("maxim", ACC, 77),
          },
        ],
        back: [
          {
            type: "forward",
            from: [ref("maxim", ACC, 11), ref("maxim", ACC, 12)],
            chat: ref("maxim", ACC, 77),
          },
        ],
      },
    ];

  for (const c of cases) {
    it(c.name, async () => {
      const { body, stored, message } = await roundTrip(c.segments);
      expect(body.content_type).toBe(c.contentType);
      expect(stored.ctype).toBe(c.ctype);
      expect(message.content).toEqual(c.back);
      expect(message.author).toEqual(r(ann));
      expect(message.chat).toEqual(r(ann));
      if (c.ctype === "FORWARD")
        expect(message.forwarded).toEqual([ref("maxim", ACC, 11), ref("maxim", ACC, 12)]);
      // And back again: the read segments encode to the same content_type.
      expect(fromSegments({ id: bob, group: false }, message.content).content_type).toBe(c.contentType);
    });
  }

  it("COMMAND: sent with {command: true}, read back as its text", async () => {
    const { body, stored, message } = await roundTrip([{ type: "text", text: '{"op":"sync"}' }], {
      command: true,
    });
    expect(body.content_type).toBe(ContentType.COMMAND);
    expect(stored.ctype).toBe("COMMAND");
    expect(message.content).toEqual([{ type: "text", text: '{"op":"sync"}' }]);
  });

  it("group messages belong to the group chat; message.created carries them", async () => {
    const { message } = await roundTrip([{ type: "text", text: "to all" }], { group: true });
    expect(message.chat).toEqual(r(group));
    const page = await admin.asUser(bob).conversationPage(group, { limit: 1 });
    const ev = messageEvent(ACC, bob, page.messages[0] as StoredMessage, true);
    expect(ev).toMatchObject({
      type: "message.created",
      message: { chat: r(group), content: [{ type: "text", text: "to all" }] },
    });
  });

  it("media without a URL falls back to text (the server requires an attachment)", () => {
    const body = fromSegments({ id: 1, group: false }, [
      { type: "image", attachment: {} },
      { type: "text", text: "x" },
    ]);
    expect(body).toMatchObject({ content_type: ContentType.TEXT, content: "x" });
  });

  it("presence and member events from live reads", async () => {
    const before = [];
    for await (const m of admin.asUser(ann).members(group)) before.push(m);
    const carol = (await admin.registerUser({ username: "ad_carol", password: "p" })).user_id;
    await admin.asUser(ann).invite({ group_id: group, user_list: [carol] });
    await admin.asUser(ann).kickMembers(group, [bob]);
    const after = [];
    for await (const m of admin.asUser(ann).members(group)) after.push(m);
    expect(memberEvents(ACC, group, before, after)).toEqual([
      { type: "member.joined", chat: r(group), user: r(carol) },
      { type: "member.left", chat: r(group), user: r(bob) },
    ]);
    const status = await admin.asUser(carol).onlineStatus();
    expect(presenceEvent(ACC, carol, status)).toEqual({ type: "presence", user: r(carol), online: false });
  });
});
