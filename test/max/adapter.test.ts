/** MAX ⇄ unified model: every attach and link type, text formatting, events, ids; live send. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/core/errors.js";
import type { Event, Segment } from "../../src/core/model.js";
import { MAX_CAPABILITIES, MaxAdapter, MaxConverter } from "../../src/max/adapter.js";
import { type MaxMessage, toMaxMessage } from "../../src/max/client/types.js";
import { signedIn, startEmulator, until } from "./client-helpers.js";

const conv = new MaxConverter("acc1");
const r = (id: string | number) => ({ platform: "max" as const, account: "acc1", id: String(id) });

function msg(partial: Partial<MaxMessage>): MaxMessage {
  return {
    id: "900",
    chatId: 5,
    time: 1000,
    sender: 7,
    text: "",
    type: "USER",
    elements: [],
    attaches: [],
    ...partial,
  };
}

describe("inbound", () => {
  it("namespaces ids and maps message fields", () => {
    const m = conv.message(msg({ text: "hi", status: "EDITED" }));
    expect(m).toEqual({
      ref: r("900"),
      chat: r(5),
      author: r(7),
      time: 1000,
      content: [{ type: "text", text: "hi" }],
      edited: true,
    });
  });

  it("splits text at elements: bold, italic, code, links, mentions", () => {
    const text = "Hello bold it code link @ann end";
    const segs = conv.textSegments(text, [
      { type: "STRONG", from: 6, length: 4 },
      { type: "EMPHASIZED", from: 11, length: 2 },
      { type: "MONOSPACED", from: 14, length: 4 },
      { type: "LINK", from: 19, length: 4, attributes: { url: "https://max.ru" } },
      { type: "USER_MENTION", from: 24, length: 4, entityId: 42 },
    ]);
    expect(segs).toEqual([
      { type: "text", text: "Hello " },
      { type: "text", text: "bold", bold: true },
      { type: "text", text: " " },
      { type: "text", text: "it", italic: true },
      { type: "text", text: " " },
      { type: "text", text: "code", code: true },
      { type: "text", text: " " },
      { type: "link", url: "https://max.ru", text: "link" },
      { type: "text", text: " " },
      { type: "mention", user: r(42), text: "@ann" },
      { type: "text", text: " end" },
    ]);
  });

  it("maps every attach type of the seed", () => {
    const m = msg({
      attaches: [
        { _type: "PHOTO", photoToken: "ptok", baseUrl: "https://i/1", width: 10, height: 20 },
        { _type: "VIDEO", videoId: 11, token: "vtok", duration: 5000 },
        { _type: "FILE", fileId: 12, name: "a.pdf", size: 99 },
        { _type: "VOICE", voiceId: 13, duration: 5000 },
        { _type: "AUDIO", audioId: 14, token: "atok" },
        { _type: "STICKER", stickerId: 598965 },
        { _type: "LOCATION", lat: 55.7558, lon: 37.6173 },
        { _type: "CONTACT", contactId: 123456, name: "Ann" },
        {
          _type: "POLL",
          question: "Как дела?",
          options: [{ text: "Хорошо" }, { text: "Отлично" }],
          anonymous: false,
          multipleChoice: true,
        },
        { _type: "CONTROL", event: "new" },
      ],
    });
    expect(conv.segments(m)).toEqual([
      { type: "image", attachment: { id: "ptok", url: "https://i/1", width: 10, height: 20 } },
      { type: "video", attachment: { id: "11:vtok", durationMs: 5000 } },
      { type: "file", attachment: { id: "12", name: "a.pdf", size: 99 } },
      { type: "audio", voice: true, attachment: { id: "13", durationMs: 5000 } },
      { type: "audio", voice: true, attachment: { id: "14:atok" } },
      { type: "sticker", id: "598965" },
      { type: "location", lat: 55.7558, lon: 37.6173 },
      { type: "contact", user: r(123456), name: "Ann" },
      {
        type: "poll",
        question: "Как дела?",
        options: ["Хорошо", "Отлично"],
        anonymous: false,
        multiple: true,
      },
    ]);
  });

  it("maps reply and forward links (the seed's shapes)", () => {
    const reply = conv.message(
      msg({ text: "Ответ", link: { type: "REPLY", messageId: "original_message_id" } }),
    );
    expect(reply.content[0]).toEqual({ type: "reply", to: r("original_message_id") });
    expect(reply.replyTo).toEqual(r("original_message_id"));
    const fwd = conv.message(msg({ link: { type: "FORWARD", chatId: 123, messageIds: ["msg1", "msg2"] } }));
    expect(fwd.content).toEqual([{ type: "forward", from: [r("msg1"), r("msg2")], chat: r(123) }]);
    expect(fwd.forwarded).toEqual([r("msg1"), r("msg2")]);
    // The emulator embeds the forwarded message; its content is kept inline.
    const parsed = toMaxMessage({
      chatId: 5,
      message: {
        id: "1",
        time: 1,
        sender: 2,
        text: "",
        type: "USER",
        attaches: [],
        link: {
          type: "FORWARD",
          chatId: 9,
          message: { id: "77", time: 0, sender: 3, text: "orig", type: "USER", attaches: [] },
        },
      },
    });
    expect(conv.segments(parsed!)).toEqual([
      { type: "forward", from: [r("77")], chat: r(9) },
      { type: "text", text: "orig" },
    ]);
  });

  it("maps chats and users", () => {
    expect(conv.chat({ id: -5, type: "CHAT", title: "T", participants: { "1": 0, "2": 0 } })).toEqual({
      ref: r(-5),
      kind: "group",
      title: "T",
      memberCount: 2,
    });
    expect(conv.chat({ id: 3, type: "DIALOG" }).kind).toBe("direct");
    expect(conv.chat({ id: 4, type: "CHANNEL", participantsCount: 9 })).toMatchObject({
      kind: "channel",
      memberCount: 9,
    });
    expect(
      conv.user({ id: 7, names: [{ name: "Ann Lee", type: "ONEME" }], link: "https://max.ru/ann" }),
    ).toEqual({
      ref: r(7),
      name: "Ann Lee",
      username: "ann",
    });
  });
});

describe("outbound", () => {
  it("segments → text, elements, attaches, link; round trip keeps content", () => {
    const content: Segment[] = [
      { type: "reply", to: r("55") },
      { type: "text", text: "Hi " },
      { type: "text", text: "bold", bold: true },
      { type: "text", text: " " },
      { type: "link", url: "https://max.ru", text: "site" },
      { type: "text", text: " " },
      { type: "mention", user: r(42), text: "@ann" },
      { type: "image", attachment: { id: "ptok" } },
      { type: "video", attachment: { id: "11:vtok" } },
      { type: "file", attachment: { id: "12" } },
      { type: "audio", voice: true, attachment: { id: "13:t", durationMs: 5000 } },
      { type: "sticker", id: "598965" },
      { type: "location", lat: 55.7558, lon: 37.6173 },
      { type: "contact", user: r(123456), name: "Ann" },
      { type: "poll", question: "Как дела?", options: ["Хорошо", "Отлично"] },
    ];
    const out = conv.outgoing(content);
    expect(out.text).toBe("Hi bold site @ann");
    expect(out.link).toEqual({ type: "REPLY", messageId: "55" });
    expect(out.elements).toEqual([
      { type: "STRONG", from: 3, length: 4 },
      { type: "LINK", attributes: { url: "https://max.ru" }, from: 8, length: 4 },
      { type: "USER_MENTION", entityId: 42, from: 13, length: 4 },
    ]);
    expect(out.attaches).toEqual([
      { _type: "PHOTO", photoToken: "ptok" },
      { _type: "VIDEO", videoId: 11, token: "vtok" },
      { _type: "FILE", fileId: 12 },
      { _type: "VOICE", voiceId: 13, token: "t", duration: 5000 },
      { _type: "STICKER", stickerId: 598965 },
      { _type: "LOCATION", lat: 55.7558, lon: 37.6173 },
      { _type: "CONTACT", contactId: 123456, name: "Ann" },
      {
        _type: "POLL",
        question: "Как дела?",
        options: [{ text: "Хорошо" }, { text: "Отлично" }],
        anonymous: false,
        multipleChoice: false,
      },
    ]);
    const back = conv.segments(
      msg({ text: out.text, elements: out.elements, attaches: out.attaches, link: out.link }),
    );
    expect(
      back.filter(
        (s) => s.type === "text" || s.type === "link" || s.type === "mention" || s.type === "reply",
      ),
    ).toEqual([
      { type: "reply", to: r("55") },
      { type: "text", text: "Hi " },
      { type: "text", text: "bold", bold: true },
      { type: "text", text: " " },
      { type: "link", url: "https://max.ru", text: "site" },
      { type: "text", text: " " },
      { type: "mention", user: r(42), text: "@ann" },
    ]);
  });

  it("forward needs the source chat; foreign refs and un-uploaded media are ValidationErrors", () => {
    expect(conv.outgoing([{ type: "forward", from: [r("1"), r("2")], chat: r(9) }]).link).toEqual({
      type: "FORWARD",
      chatId: 9,
      messageIds: ["1", "2"],
    });
    expect(() => conv.outgoing([{ type: "forward", from: [r("1")] }])).toThrow(ValidationError);
    expect(() =>
      conv.outgoing([{ type: "reply", to: { platform: "webqq", account: "acc1", id: "1" } }]),
    ).toThrow(ValidationError);
    expect(() =>
      conv.outgoing([{ type: "reply", to: { platform: "max", account: "other", id: "1" } }]),
    ).toThrow(ValidationError);
    expect(() => conv.outgoing([{ type: "image", attachment: { url: "https://x/y.png" } }])).toThrow(
      ValidationError,
    );
  });
});

describe("events", () => {
  it("client events → unified events", () => {
    const m = msg({ text: "x" });
    const cases: [Parameters<MaxConverter["events"]>, Event[]][] = [
      [
        ["message", { chatId: 5, message: m, catchUp: false }],
        [{ type: "message.created", message: conv.message(m) }],
      ],
      [
        ["messageEdited", { chatId: 5, message: { ...m, status: "EDITED" }, catchUp: false }],
        [{ type: "message.edited", message: { ...conv.message(m), edited: true } }],
      ],
      [
        ["messageDeleted", { chatId: 5, messageIds: ["1", "2"] }],
        [
          { type: "message.deleted", chat: r(5), message: r("1") },
          { type: "message.deleted", chat: r(5), message: r("2") },
        ],
      ],
      [
        ["reaction", { chatId: 5, messageId: "1", counters: [{ reaction: "👍", count: 1 }], totalCount: 1 }],
        [{ type: "reaction", chat: r(5), message: r("1"), reaction: "👍", added: true }],
      ],
      [["typing", { chatId: 5, userId: 7 }], [{ type: "typing", chat: r(5), user: r(7) }]],
      [
        ["presence", { userId: 7, online: false, seen: 1700000000 }],
        [{ type: "presence", user: r(7), online: false, lastSeen: 1700000000000 }],
      ],
      [
        ["chatUpdated", { chat: { id: 5, type: "CHAT", title: "T" } }],
        [{ type: "chat.updated", chat: { ref: r(5), kind: "group", title: "T" } }],
      ],
      [
        ["state", { state: "reconnecting", reason: "drop" }],
        [{ type: "connection.state", state: "reconnecting", reason: "drop" }],
      ],
      [
        [
          "message",
          {
            chatId: 5,
            message: msg({ attaches: [{ _type: "CONTROL", event: "add", userIds: [8, 9] }] }),
            catchUp: false,
          },
        ],
        [
          { type: "member.joined", chat: r(5), user: r(8) },
          { type: "member.joined", chat: r(5), user: r(9) },
        ],
      ],
      [
        [
          "message",
          {
            chatId: 5,
            message: msg({ sender: 8, attaches: [{ _type: "CONTROL", event: "leave" }] }),
            catchUp: false,
          },
        ],
        [{ type: "member.left", chat: r(5), user: r(8) }],
      ],
    ];
    for (const [[type, data], expected] of cases) expect(conv.events(type, data as never)).toEqual(expected);
  });

  it("declares what MAX supports", () => {
    expect(MAX_CAPABILITIES.platform).toBe("max");
    expect(MAX_CAPABILITIES.segments).toContain("poll");
    expect(MAX_CAPABILITIES.events).toContain("message.edited");
  });
});

describe("MaxAdapter over a live client", () => {
  it("sends unified content (uploading a local image) and re-emits unified events", async () => {
    const emu = await startEmulator();
    const a = await signedIn(emu);
    const b = await signedIn(emu);
    try {
      const chatId = (await a.sendToUser(b.userId!, "open")).chatId;
      const adapterA = new MaxAdapter(a);
      const adapterB = new MaxAdapter(b);
      const events: Event[] = [];
      const off = adapterB.onEvent((e) => {
        events.push(e);
      });
      const dir = mkdtempSync(join(tmpdir(), "sb-adapter-"));
      const png = join(dir, "x.png");
      writeFileSync(png, Buffer.from("89504e470d0a1a0a", "hex"));
      const chat = { platform: "max" as const, account: a.account, id: String(chatId) };
      const result = await adapterA.send(chat, [
        { type: "text", text: "look", bold: true },
        { type: "image", attachment: { url: png } },
      ]);
      expect(result.ids).toHaveLength(1);
      // What was sent, as the sender's history has it.
      const [sent] = (await adapterA.history(chat, { limit: 50 })).filter(
        (m) => m.ref.id === result.ids[0]?.id,
      );
      if (!sent) throw new Error("the sent message is not in history");
      expect(sent.content[0]).toEqual({ type: "text", text: "look", bold: true });
      expect(sent.content[1]?.type).toBe("image");
      const isSent = (e: Event) => e.type === "message.created" && e.message.ref.id === sent.ref.id;
      await until(() => events.some(isSent));
      const created = events.find(isSent);
      expect(created?.type === "message.created" && created.message.content.map((s) => s.type)).toEqual([
        "text",
        "image",
      ]);
      expect((created as { id?: string }).id).toBe(`message.created:${chatId}:${sent.ref.id}`);
      off();
    } finally {
      await a.close();
      await b.close();
      await emu.close();
    }
  });
});
