/**
 * Conformance: messages over raw packets (seed 000 "Отправка сообщения", attaches, reply,
 * forward; PyMax/vkmax payload shapes for 49, 66, 67, 71, 90, 178–181).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/emulator/clock.js";
import { emulatorFixture, type RawClient, type RawPacket } from "./raw.js";

/** Time moves only when a test moves it (distinct message times without sleeping). */
const clock = new ManualClock();
const world = emulatorFixture("901000", { clock });
beforeAll(world.start);
afterAll(world.stop);

async function user() {
  const { client, userId, token } = await world.login();
  return { c: client, id: userId, token };
}

async function session(token: string): Promise<RawClient> {
  const c = await world.connect();
  await c.tokenLogin(token);
  return c;
}

/** A round trip on `c`: everything the server pushed to it before now has arrived. */
async function settle(c: RawClient): Promise<void> {
  await c.ok(1, { interactive: false });
}

const text = (t: string, extra: Record<string, unknown> = {}) => ({
  text: t,
  cid: Date.now(),
  elements: [],
  attaches: [],
  ...extra,
});

function expectError(p: RawPacket, code: string): void {
  expect(p.cmd).toBe(3);
  expect(p.payload.error).toBe(code);
  expect(typeof p.payload.message).toBe("string");
}

describe("dialogs", () => {
  it("two users chat both ways; the dialog id is userA XOR userB; events are cmd 0 seq 0 (pushes as the service sends them)", async () => {
    const a = await user();
    const b = await user();
    const elements = [{ type: "STRONG", from: 0, length: 6 }];
    const sent = await a.c.ok(64, {
      userId: b.id,
      message: text("Привет!", { cid: 1750000000001, elements }),
      notify: true,
    });
    expect(sent.chatId).toBe(a.id ^ b.id);
    expect(sent.chatId).toBeGreaterThan(0);
    expect(typeof sent.message.id).toBe("string");
    expect(sent.message).toMatchObject({
      text: "Привет!",
      sender: a.id,
      type: "USER",
      cid: 1750000000001,
      elements,
      attaches: [],
    });
    expect(sent.message.time).toBeGreaterThan(1_600_000_000_000);
    expect(sent).toMatchObject({ unread: 0, mark: sent.message.time });

    const ev = await b.c.event(128);
    expect(ev).toMatchObject({ ver: 11, cmd: 0, seq: 0, opcode: 128 });
    expect(ev.payload).toMatchObject({
      chatId: sent.chatId,
      message: { id: sent.message.id, text: "Привет!", sender: a.id },
    });
    expect(ev.payload.ttl).toBe(false);

    const back = await b.c.ok(64, { chatId: sent.chatId, message: text("Hi") });
    expect(back.chatId).toBe(sent.chatId);
    const ev2 = await a.c.event(128);
    expect(ev2.payload.message).toMatchObject({ id: back.message.id, text: "Hi", sender: b.id });
    await settle(a.c);
    await settle(b.c);
    // The sending connection gets the response, not an event.
    expect(a.c.events(128)).toHaveLength(0);
    expect(b.c.events(128)).toHaveLength(0);

    // Both see the dialog in 48 and in the login chat list.
    const chats = (await a.c.ok(48, { chatIds: [sent.chatId] })).chats;
    expect(chats).toHaveLength(1);
    expect(chats[0]).toMatchObject({ id: sent.chatId, type: "DIALOG", status: "ACTIVE" });
    expect(Object.keys(chats[0].participants).map(Number).sort()).toEqual([a.id, b.id].sort());
    expect(chats[0].lastMessage.id).toBe(back.message.id);
    const login = await (await world.connect()).tokenLogin(b.token);
    expect(login.chats.map((c: { id: number }) => c.id)).toContain(sent.chatId);
  });

  it("a chatId equal to me XOR other creates the dialog lazily", async () => {
    const a = await user();
    const b = await user();
    const sent = await a.c.ok(64, { chatId: a.id ^ b.id, message: text("lazy") });
    expect(sent.chatId).toBe(a.id ^ b.id);
    const ev = await b.c.event(128);
    expect(ev.payload.message.text).toBe("lazy");
    const chatEv = await b.c.event(135);
    expect(chatEv.payload.chat).toMatchObject({ id: a.id ^ b.id, type: "DIALOG" });
  });

  it("every session of a user gets events, including the sender's other sessions", async () => {
    const a = await user();
    const b = await user();
    const a2 = await session(a.token);
    const a3 = await session(a.token);
    const sent = await a.c.ok(64, { userId: b.id, message: text("from session 1") });
    for (const c of [a2, a3, b.c]) {
      const ev = await c.event(128);
      expect(ev.payload.message.id).toBe(sent.message.id);
    }
    await settle(a.c);
    expect(a.c.events(128)).toHaveLength(0);
    const reply = await b.c.ok(64, { chatId: sent.chatId, message: text("to all three") });
    for (const c of [a.c, a2, a3]) {
      const ev = await c.event(128);
      expect(ev.payload.message.id).toBe(reply.message.id);
    }
  });

  it("sending to an unknown user or chat fails", async () => {
    const a = await user();
    expectError(await a.c.call(64, { userId: 999, message: text("x") }), "not.found");
    expectError(await a.c.call(64, { chatId: -12345, message: text("x") }), "chat.not.found");
    expectError(await a.c.call(64, { message: text("x") }), "proto.payload");
  });
});

describe("content rules", () => {
  it("text over 4000 characters, empty messages and bad attaches are refused", async () => {
    const a = await user();
    const b = await user();
    const ok = await a.c.ok(64, { userId: b.id, message: text("x".repeat(4000)) });
    expect(ok.message.text).toHaveLength(4000);
    expectError(
      await a.c.call(64, { userId: b.id, message: text("x".repeat(4001)) }),
      "message.text.too.long",
    );
    expectError(await a.c.call(64, { userId: b.id, message: text("") }), "message.empty");
    expectError(await a.c.call(64, { userId: b.id, message: text("   ") }), "message.empty");
    expectError(
      await a.c.call(64, {
        userId: b.id,
        message: text("", { attaches: [{ _type: "LOCATION", lat: 91, lon: 0 }] }),
      }),
      "attach.invalid",
    );
    expectError(
      await a.c.call(64, { userId: b.id, message: text("", { attaches: [{ _type: "HOLOGRAM" }] }) }),
      "attach.invalid",
    );
    expectError(
      await a.c.call(64, {
        userId: b.id,
        message: text("", { attaches: [{ _type: "PHOTO", photoToken: "nope" }] }),
      }),
      "attach.invalid",
    );
    expectError(
      await a.c.call(64, {
        chatId: ok.chatId,
        message: text("", { attaches: [{ _type: "CONTROL", event: "add" }] }),
      }),
      "attach.invalid",
    );
    // Nothing refused was stored.
    const history = await a.c.ok(49, {
      chatId: ok.chatId,
      from: Date.now() + 1000,
      forward: 0,
      backward: 30,
      getMessages: true,
    });
    expect(history.messages).toHaveLength(1);
  });

  it("stores sticker, location, contact and poll attaches as given (poll gets ids)", async () => {
    const a = await user();
    const b = await user();
    const attaches = [
      { _type: "STICKER", stickerId: 598965 },
      { _type: "LOCATION", lat: 55.7558, lon: 37.6173 },
      { _type: "CONTACT", contactId: b.id, name: "B" },
      {
        _type: "POLL",
        question: "Как дела?",
        options: [{ text: "Хорошо" }, { text: "Отлично" }],
        anonymous: false,
        multipleChoice: false,
      },
    ];
    const sent = await a.c.ok(64, { userId: b.id, message: text("", { attaches }) });
    const [sticker, location, contact, poll] = sent.message.attaches;
    expect(sticker).toEqual({ _type: "STICKER", stickerId: 598965 });
    expect(location).toEqual({ _type: "LOCATION", lat: 55.7558, lon: 37.6173 });
    expect(contact).toEqual({ _type: "CONTACT", contactId: b.id, name: "B" });
    expect(poll).toMatchObject({ _type: "POLL", question: "Как дела?" });
    expect(typeof poll.pollId).toBe("number");
    expect(poll.answers).toEqual([
      { id: 1, text: "Хорошо", votes: 0 },
      { id: 2, text: "Отлично", votes: 0 },
    ]);
    const ev = await b.c.event(128);
    expect(ev.payload.message.attaches).toEqual(sent.message.attaches);
  });

  it("replies carry the replied message; a bad reply id is refused", async () => {
    const a = await user();
    const b = await user();
    const first = await a.c.ok(64, { userId: b.id, message: text("question") });
    const reply = await b.c.ok(64, {
      chatId: first.chatId,
      message: text("answer", { link: { type: "REPLY", messageId: first.message.id } }),
    });
    expect(reply.message.link).toMatchObject({
      type: "REPLY",
      messageId: first.message.id,
      message: { id: first.message.id, text: "question", sender: a.id },
    });
    const ev = await a.c.event(128, (p) => p.payload.message.id === reply.message.id);
    expect(ev.payload.message.link.message.text).toBe("question");
    expectError(
      await b.c.call(64, {
        chatId: first.chatId,
        message: text("?", { link: { type: "REPLY", messageId: "123456789" } }),
      }),
      "message.not.found",
    );
    expectError(
      await b.c.call(64, {
        chatId: first.chatId,
        message: text("?", { link: { type: "REPLY", messageId: "abc" } }),
      }),
      "proto.payload",
    );
  });

  it("forwards messages the sender can read, and only those", async () => {
    const a = await user();
    const b = await user();
    const c = await user();
    const src = await a.c.ok(64, { userId: b.id, message: text("forward me") });
    const src2 = await a.c.ok(64, { userId: b.id, message: text("and me") });
    const fwd = await b.c.ok(64, {
      userId: c.id,
      message: {
        text: "",
        cid: -1,
        attaches: [],
        link: { type: "FORWARD", chatId: src.chatId, messageIds: [src.message.id, src2.message.id] },
      },
    });
    expect(fwd.message.link).toMatchObject({
      type: "FORWARD",
      chatId: src.chatId,
      messageId: src.message.id,
    });
    expect(fwd.message.link.messages.map((m: { text: string }) => m.text)).toEqual(["forward me", "and me"]);
    const ev = await c.c.event(128);
    expect(ev.payload.message.link.message.text).toBe("forward me");
    // c is not in the a–b dialog: it cannot forward from it.
    expectError(
      await c.c.call(64, {
        userId: a.id,
        message: { text: "", link: { type: "FORWARD", chatId: src.chatId, messageId: src.message.id } },
      }),
      "chat.not.access",
    );
  });
});

describe("history and fetching", () => {
  it("pages history by time with from/forward/backward, oldest first", async () => {
    const a = await user();
    const b = await user();
    const sent: { id: string; time: number }[] = [];
    let chatId = 0;
    for (let i = 1; i <= 6; i++) {
      const r = await a.c.ok(64, { userId: b.id, message: text(`m${i}`) });
      chatId = r.chatId;
      sent.push(r.message);
      clock.advance(3);
    }
    const at = sent[2]!.time; // m3
    const back = await b.c.ok(49, { chatId, from: at, forward: 0, backward: 2, getMessages: true });
    expect(back.messages.map((m: { text: string }) => m.text)).toEqual(["m2", "m3"]);
    const fwd = await b.c.ok(49, { chatId, from: at, forward: 2, backward: 0, getMessages: true });
    expect(fwd.messages.map((m: { text: string }) => m.text)).toEqual(["m4", "m5"]);
    const both = await b.c.ok(49, {
      chatId,
      from: at,
      forward: 1,
      backward: 1,
      getMessages: true,
      getChat: true,
    });
    expect(both.messages.map((m: { text: string }) => m.text)).toEqual(["m3", "m4"]);
    expect(both.chat).toMatchObject({ id: chatId, type: "DIALOG" });
    const latest = await b.c.ok(49, {
      chatId,
      from: Date.now() + 10_000,
      forward: 0,
      backward: 30,
      getMessages: true,
    });
    expect(latest.messages).toHaveLength(6);
    expect(latest.messages[5].id).toBe(sent[5]!.id);

    const picked = await b.c.ok(71, { chatId, messageIds: [sent[0]!.id, sent[4]!.id, "1"] });
    expect(picked.messages.map((m: { text: string }) => m.text)).toEqual(["m1", "m5"]);

    const stranger = await user();
    expectError(await stranger.c.call(49, { chatId, from: at, forward: 0, backward: 5 }), "chat.not.access");
    expectError(await stranger.c.call(71, { chatId, messageIds: [sent[0]!.id] }), "chat.not.access");
  });
});

describe("edit and delete", () => {
  it("edits by the sender only, with EDITED events", async () => {
    const a = await user();
    const b = await user();
    const a2 = await session(a.token);
    const sent = await a.c.ok(64, { userId: b.id, message: text("tpyo") });
    await b.c.event(128);
    await a2.event(128);
    const edited = await a.c.ok(67, {
      chatId: sent.chatId,
      messageId: sent.message.id,
      text: "typo",
      elements: [],
      attachments: [],
    });
    expect(edited.message).toMatchObject({ id: sent.message.id, text: "typo", status: "EDITED" });
    expect(edited.message.updateTime).toBeGreaterThanOrEqual(sent.message.time);
    for (const c of [b.c, a2]) {
      const ev = await c.event(128);
      expect(ev.payload.message).toMatchObject({ id: sent.message.id, text: "typo", status: "EDITED" });
    }
    expectError(
      await b.c.call(67, { chatId: sent.chatId, messageId: sent.message.id, text: "hijack" }),
      "chat.not.access",
    );
    expectError(
      await a.c.call(67, { chatId: sent.chatId, messageId: sent.message.id, text: "y".repeat(4001) }),
      "message.text.too.long",
    );
    expectError(await a.c.call(67, { chatId: sent.chatId, messageId: "42", text: "x" }), "message.not.found");
  });

  it("deletes for me (hidden for the requester only) and for everyone (REMOVED events)", async () => {
    const a = await user();
    const b = await user();
    const a2 = await session(a.token);
    const m1 = await a.c.ok(64, { userId: b.id, message: text("keep for b") });
    const m2 = await a.c.ok(64, { chatId: m1.chatId, message: text("gone for all") });
    await settle(b.c);
    await settle(a2);
    b.c.packets.length = 0;
    a2.packets.length = 0;

    expect(await a.c.ok(66, { chatId: m1.chatId, messageIds: [m1.message.id], forMe: true })).toEqual({});
    const hid = await a2.event(128);
    expect(hid.payload.message).toMatchObject({ id: m1.message.id, status: "REMOVED" });
    await settle(b.c);
    expect(b.c.events(128)).toHaveLength(0);
    const hist = (id: RawClient) =>
      id.ok(49, { chatId: m1.chatId, from: Date.now() + 1000, forward: 0, backward: 30 });
    expect((await hist(a.c)).messages.map((m: { text: string }) => m.text)).toEqual(["gone for all"]);
    expect((await hist(b.c)).messages.map((m: { text: string }) => m.text)).toEqual([
      "keep for b",
      "gone for all",
    ]);

    // b may not delete a's message for everyone.
    expectError(
      await b.c.call(66, { chatId: m1.chatId, messageIds: [m2.message.id], forMe: false }),
      "chat.not.access",
    );
    expect(await a.c.ok(66, { chatId: m1.chatId, messageIds: [m2.message.id], forMe: false })).toEqual({});
    for (const c of [b.c, a2]) {
      const ev = await c.event(128);
      expect(ev.payload).toMatchObject({
        chatId: m1.chatId,
        message: { id: m2.message.id, status: "REMOVED", text: "" },
      });
    }
    expect((await hist(b.c)).messages.map((m: { text: string }) => m.text)).toEqual(["keep for b"]);
    expectError(await a.c.call(66, { chatId: m1.chatId, messageIds: [m2.message.id] }), "message.not.found");
  });
});

describe("search", () => {
  it("finds messages case-insensitively, only in the caller's chats", async () => {
    const a = await user();
    const b = await user();
    const c = await user();
    const ab = await a.c.ok(64, { userId: b.id, message: text("Секретный ПЛАН на завтра") });
    await a.c.ok(64, { userId: c.id, message: text("другой план") });
    await b.c.ok(64, { chatId: ab.chatId, message: text("nothing here") });
    const found = await b.c.ok(90, { query: "план", count: 10 });
    expect(found.total).toBe(1);
    expect(found.result[0]).toMatchObject({ chatId: ab.chatId, message: { id: ab.message.id } });
    const all = await a.c.ok(90, { query: "ПЛАН", count: 1 });
    expect(all.total).toBe(2);
    expect(all.result).toHaveLength(1);
    const inChat = await a.c.ok(90, { query: "план", chatId: ab.chatId, count: 10 });
    expect(inChat.total).toBe(1);
    expectError(await c.c.call(90, { query: "план", chatId: ab.chatId }), "chat.not.access");
  });
});

describe("reactions", () => {
  it("adds, counts, lists and removes reactions with 155 events", async () => {
    const a = await user();
    const b = await user();
    const a2 = await session(a.token);
    const sent = await a.c.ok(64, { userId: b.id, message: text("react to me") });
    const chatId = sent.chatId;
    const messageId = sent.message.id;
    const r1 = await b.c.ok(178, { chatId, messageId, reaction: { reactionType: "EMOJI", id: "❤️" } });
    expect(r1.reactionInfo).toEqual({
      totalCount: 1,
      counters: [{ reaction: "❤️", count: 1 }],
      yourReaction: "❤️",
    });
    for (const c of [a.c, a2]) {
      const ev = await c.event(155);
      expect(ev.payload).toEqual({
        chatId,
        messageId,
        counters: [{ reaction: "❤️", count: 1 }],
        totalCount: 1,
      });
    }
    const r2 = await a.c.ok(178, { chatId, messageId, reaction: { reactionType: "EMOJI", id: "👍" } });
    expect(r2.reactionInfo.totalCount).toBe(2);
    expect(r2.reactionInfo.yourReaction).toBe("👍");
    await b.c.event(155, (p) => p.payload.totalCount === 2);
    await a2.event(155, (p) => p.payload.totalCount === 2);
    // Changing one's reaction replaces it.
    const r3 = await a.c.ok(178, { chatId, messageId, reaction: { reactionType: "EMOJI", id: "❤️" } });
    expect(r3.reactionInfo.counters).toEqual([{ reaction: "❤️", count: 2 }]);

    const many = await b.c.ok(180, { chatId, messageIds: [messageId] });
    expect(many.messagesReactions[messageId]).toMatchObject({ totalCount: 2, yourReaction: "❤️" });
    const detail = await b.c.ok(181, { chatId, messageId });
    expect(detail.reactions.map((r: { userId: number }) => r.userId).sort()).toEqual([a.id, b.id].sort());
    expect(detail.totalCount).toBe(2);
    const legacy = await b.c.ok(181, { chatId, messageIds: [messageId] });
    expect(legacy.messagesReactions[messageId].totalCount).toBe(2);
    const hist = await b.c.ok(71, { chatId, messageIds: [messageId] });
    expect(hist.messages[0].reactionInfo.totalCount).toBe(2);

    const removed = await b.c.ok(179, { chatId, messageId });
    expect(removed.reactionInfo).toEqual({ totalCount: 1, counters: [{ reaction: "❤️", count: 1 }] });
    const ev = await a.c.event(155, (p) => p.payload.totalCount === 1);
    expect(ev.payload.counters).toEqual([{ reaction: "❤️", count: 1 }]);

    const stranger = await user();
    expectError(
      await stranger.c.call(178, { chatId, messageId, reaction: { reactionType: "EMOJI", id: "😡" } }),
      "chat.not.access",
    );
    expectError(
      await b.c.call(178, { chatId, messageId: "77", reaction: { id: "😡" } }),
      "message.not.found",
    );
  });
});

describe("media attaches", () => {
  it("sends an uploaded FILE and PHOTO; unknown or foreign uploads are attach.invalid", async () => {
    const a = await user();
    const b = await user();
    const { info } = await a.c.ok(87, { count: 1 });
    const { url, fileId } = info[0];
    const form = new FormData();
    form.append("file", new Blob([Buffer.from("hello file")], { type: "text/plain" }), "note.txt");
    expect((await fetch(url, { method: "POST", body: form })).status).toBe(200);
    await a.c.event(136, (p) => p.payload.fileId === fileId);

    const { url: photoUrl } = await a.c.ok(80, { count: 1 });
    const photoForm = new FormData();
    const png = Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
      "base64",
    );
    photoForm.append("file", new Blob([png], { type: "image/png" }), "dot.png");
    const uploaded = (await (await fetch(photoUrl, { method: "POST", body: photoForm })).json()) as {
      photos: Record<string, { token: string }>;
    };
    const photoToken = Object.values(uploaded.photos)[0]!.token;

    // b cannot send a's upload before it was ever shared.
    expectError(
      await b.c.call(64, { userId: a.id, message: text("", { attaches: [{ _type: "FILE", fileId }] }) }),
      "attach.invalid",
    );
    const sent = await a.c.ok(64, {
      userId: b.id,
      message: text("see attached", {
        attaches: [
          { _type: "FILE", fileId },
          { _type: "PHOTO", photoToken },
        ],
      }),
    });
    expect(sent.message.attaches[0]).toMatchObject({ _type: "FILE", fileId, name: "note.txt", size: 10 });
    expect(sent.message.attaches[1]).toMatchObject({ _type: "PHOTO", photoToken });
    const ev = await b.c.event(128, (p) => p.payload.message.id === sent.message.id);
    expect(ev.payload.message.attaches).toEqual(sent.message.attaches);
    expectError(
      await a.c.call(64, {
        userId: b.id,
        message: text("", { attaches: [{ _type: "FILE", fileId: 424242 }] }),
      }),
      "attach.invalid",
    );
  });
});

describe("blocking", () => {
  it("a user who blocked the sender gets no more direct messages; unblocking restores them", async () => {
    const a = await user();
    const b = await user();
    await a.c.ok(64, { userId: b.id, message: text("before") });
    await b.c.ok(34, { contactId: a.id, action: "BLOCK" });
    expectError(await a.c.call(64, { userId: b.id, message: text("blocked?") }), "chat.not.access");
    await b.c.ok(34, { contactId: a.id, action: "UNBLOCK" });
    const sent = await a.c.ok(64, { userId: b.id, message: text("after") });
    const got = await b.c.event(128, (p) => p.payload.message.id === sent.message.id);
    expect(got.payload.message.text).toBe("after");
  });
});
