/**
 * Conformance: chats, members, read marks, typing, settings and links over raw packets
 * (seed 000 "Создание группы", opcodes 48–59, 75, 77, 89; PyMax/vkmax payload shapes).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/emulator/clock.js";
import { emulatorFixture, type RawClient, type RawPacket } from "./raw.js";

/** Time moves only when a test moves it (distinct message times without sleeping). */
const clock = new ManualClock();
const world = emulatorFixture("902000", { clock });
beforeAll(world.start);
afterAll(world.stop);

async function user() {
  const { client, userId, token } = await world.login();
  return { c: client, id: userId, token };
}
type User = Awaited<ReturnType<typeof user>>;

async function settle(c: RawClient): Promise<void> {
  await c.ok(1, { interactive: false });
}

function expectError(p: RawPacket, code: string): void {
  expect(p.cmd).toBe(3);
  expect(p.payload.error).toBe(code);
}

const text = (t: string) => ({ text: t, cid: Date.now(), elements: [], attaches: [] });

/** The seed's group creation: 64 with a CONTROL `new` attach and no chatId. */
async function createChat(
  owner: User,
  members: User[],
  chatType: "CHAT" | "CHANNEL" = "CHAT",
  title = "Группа",
) {
  return owner.c.ok(64, {
    message: {
      cid: 1750000000123,
      attaches: [{ _type: "CONTROL", event: "new", chatType, title, userIds: members.map((m) => m.id) }],
    },
    notify: true,
  });
}

describe("creating groups and channels", () => {
  it("creates a group via CONTROL: chat in the answer, 135 and 128 to members", async () => {
    const owner = await user();
    const b = await user();
    const c = await user();
    const res = await createChat(owner, [b, c]);
    expect(res.chat).toMatchObject({
      type: "CHAT",
      status: "ACTIVE",
      owner: owner.id,
      title: "Группа",
      cid: 1750000000123,
    });
    expect(res.chat.id).toBeLessThan(0);
    expect(res.chatId).toBe(res.chat.id);
    expect(Object.keys(res.chat.participants).map(Number).sort()).toEqual([owner.id, b.id, c.id].sort());
    expect(res.chat.participantsCount).toBe(3);
    expect(res.chat.admins).toEqual([owner.id]);
    expect(res.message.attaches[0]).toMatchObject({
      _type: "CONTROL",
      event: "new",
      chatType: "CHAT",
      title: "Группа",
    });
    for (const m of [b, c]) {
      const chatEv = await m.c.event(135);
      expect(chatEv.payload.chat.id).toBe(res.chat.id);
      const msgEv = await m.c.event(128);
      expect(msgEv.payload).toMatchObject({ chatId: res.chat.id, message: { id: res.message.id } });
    }
    // Group chat: everyone posts, everyone else receives.
    const sent = await b.c.ok(64, { chatId: res.chat.id, message: text("hello group") });
    expect((await owner.c.event(128)).payload.message.id).toBe(sent.message.id);
    expect((await c.c.event(128)).payload.message.id).toBe(sent.message.id);
  });

  it("channels: only the owner and admins post; subscribers receive", async () => {
    const owner = await user();
    const sub = await user();
    const res = await createChat(owner, [sub], "CHANNEL", "News");
    expect(res.chat.type).toBe("CHANNEL");
    const chatId = res.chat.id;
    expectError(await sub.c.call(64, { chatId, message: text("can I?") }), "chat.not.access");
    const post = await owner.c.ok(64, { chatId, message: text("news #1") });
    const ev = await sub.c.event(128, (p) => p.payload.message.id === post.message.id);
    expect(ev.payload.message.text).toBe("news #1");
    await owner.c.ok(77, { chatId, userIds: [sub.id], type: "ADMIN", operation: "add", permissions: 120 });
    const adminPost = await sub.c.ok(64, { chatId, message: text("admin post") });
    expect(adminPost.message.sender).toBe(sub.id);
    // Subscriber list is for admins; the admin list is public to members.
    const admins = await sub.c.ok(59, { type: "ADMIN", chatId, count: 10 });
    expect(admins.members.map((m: { contact: { id: number } }) => m.contact.id).sort()).toEqual(
      [owner.id, sub.id].sort(),
    );
  });

  it("refuses unknown members", async () => {
    const owner = await user();
    const p = await owner.c.call(64, {
      message: {
        attaches: [{ _type: "CONTROL", event: "new", chatType: "CHAT", title: "x", userIds: [123] }],
      },
    });
    expectError(p, "not.found");
  });
});

describe("chat lists", () => {
  it("48 returns only the caller's chats; 53 pages by lastEventTime; 19 lists newest first", async () => {
    const a = await user();
    const others: User[] = [];
    for (let i = 0; i < 4; i++) others.push(await user());
    const ids: number[] = [];
    for (const o of others) {
      ids.push((await a.c.ok(64, { userId: o.id, message: text("hi") })).chatId);
      clock.advance(3);
    }
    const got = await a.c.ok(48, { chatIds: [...ids, -1, 5] });
    expect(got.chats.map((c: { id: number }) => c.id)).toEqual(ids);
    const outsider = await user();
    expect((await outsider.c.ok(48, { chatIds: ids })).chats).toEqual([]);

    const p1 = await a.c.ok(53, { count: 3 });
    expect(p1.chats.map((c: { id: number }) => c.id)).toEqual([ids[3], ids[2], ids[1]]);
    expect(p1.marker).toBe(p1.chats[2].lastEventTime);
    const p2 = await a.c.ok(53, { marker: p1.marker, count: 3 });
    expect(p2.chats.map((c: { id: number }) => c.id)).toEqual([ids[0]]);
    expect(p2.marker).toBeUndefined();

    const login = await (await world.connect()).tokenLogin(a.token);
    expect(login.chats.map((c: { id: number }) => c.id)).toEqual([...ids].reverse());
    expect(login.chats[0]).toMatchObject({ type: "DIALOG", status: "ACTIVE", lastMessage: { text: "hi" } });
  });
});

describe("read marks and typing", () => {
  it("READ_MESSAGE / SET_AS_UNREAD answer {unread, mark} and push 130", async () => {
    const a = await user();
    const b = await user();
    const b2 = await world.connect();
    await b2.tokenLogin(b.token);
    const m1 = await a.c.ok(64, { userId: b.id, message: text("one") });
    clock.advance(3);
    const m2 = await a.c.ok(64, { chatId: m1.chatId, message: text("two") });
    const chat = (await b.c.ok(48, { chatIds: [m1.chatId] })).chats[0];
    expect(chat.newMessages).toBe(2);

    const read = await b.c.ok(50, {
      type: "READ_MESSAGE",
      chatId: m1.chatId,
      messageId: m1.message.id,
      mark: m1.message.time,
    });
    expect(read).toEqual({ unread: 1, mark: m1.message.time });
    for (const c of [a.c, b2]) {
      const ev = await c.event(130);
      expect(ev.payload).toEqual({
        setAsUnread: false,
        chatId: m1.chatId,
        userId: b.id,
        mark: m1.message.time,
      });
    }
    await settle(b.c);
    expect(b.c.events(130)).toHaveLength(0);
    const all = await b.c.ok(50, { type: "READ_MESSAGE", chatId: m1.chatId, messageId: m2.message.id });
    expect(all).toEqual({ unread: 0, mark: m2.message.time });
    const unread = await b.c.ok(50, { type: "SET_AS_UNREAD", chatId: m1.chatId, mark: m2.message.time });
    expect(unread.unread).toBe(1);
    const ev = await a.c.event(130, (p) => p.payload.setAsUnread === true);
    expect(ev.payload).toMatchObject({ chatId: m1.chatId, userId: b.id });
    const stranger = await user();
    expectError(
      await stranger.c.call(50, { type: "READ_MESSAGE", chatId: m1.chatId, mark: 1 }),
      "chat.not.access",
    );
  });

  it("SET_TYPING pushes 51 to other members only; GET_TYPING lists recent typists", async () => {
    const a = await user();
    const b = await user();
    const a2 = await world.connect();
    await a2.tokenLogin(a.token);
    const { chatId } = await a.c.ok(64, { userId: b.id, message: text("typing test") });
    expect(await a.c.ok(51, { chatId, type: "TEXT" })).toEqual({});
    const ev = await b.c.event(51);
    expect(ev.payload).toEqual({ chatId, userId: a.id, type: "TEXT" });
    await settle(a2);
    expect(a2.events(51)).toHaveLength(0);
    expect(await b.c.ok(52, { chatId })).toMatchObject({ typing: [a.id] });
    expect((await a.c.ok(52, { chatId })).typing).toEqual([]);
    const stranger = await user();
    expectError(await stranger.c.call(51, { chatId }), "chat.not.access");
    expectError(await stranger.c.call(52, { chatId }), "chat.not.access");
  });
});

describe("settings, pins and links", () => {
  it("owner changes title and pins; members get 135; members cannot change settings", async () => {
    const owner = await user();
    const b = await user();
    const { chat } = await createChat(owner, [b]);
    await b.c.event(135);
    const msg = await owner.c.ok(64, { chatId: chat.id, message: text("pin me") });
    const renamed = await owner.c.ok(55, { chatId: chat.id, theme: "Новое имя", description: "about" });
    expect(renamed.chat).toMatchObject({ title: "Новое имя", description: "about" });
    const ev = await b.c.event(135, (p) => p.payload.chat.title === "Новое имя");
    expect(ev.payload.chat.id).toBe(chat.id);
    const titleControl = await b.c.event(128, (p) => p.payload.message.attaches[0]?.event === "title");
    expect(titleControl.payload.message.attaches[0]).toMatchObject({
      _type: "CONTROL",
      event: "title",
      title: "Новое имя",
    });

    const pinned = await owner.c.ok(55, {
      chatId: chat.id,
      notifyPin: true,
      pinMessageId: Number(msg.message.id),
    });
    expect(pinned.chat.pinnedMessage).toMatchObject({ id: msg.message.id, text: "pin me" });
    const pinEv = await b.c.event(135, (p) => p.payload.chat.pinnedMessage !== undefined);
    expect(pinEv.payload.chat.pinnedMessage.id).toBe(msg.message.id);
    const vk = await owner.c.ok(55, { chatId: chat.id, notifyPin: false, messageId: msg.message.id });
    expect(vk.chat.pinnedMessage.id).toBe(msg.message.id);
    const unpinned = await owner.c.ok(55, { chatId: chat.id, unpin: true });
    expect(unpinned.chat.pinnedMessage).toBeUndefined();

    expectError(await b.c.call(55, { chatId: chat.id, theme: "hijack" }), "chat.not.access");
    expectError(await b.c.call(55, { chatId: chat.id, pinMessageId: msg.message.id }), "chat.not.access");
    await owner.c.ok(55, { chatId: chat.id, options: { ALL_CAN_PIN_MESSAGE: true } });
    const memberPin = await b.c.ok(55, { chatId: chat.id, pinMessageId: msg.message.id });
    expect(memberPin.chat.options).toMatchObject({ ALL_CAN_PIN_MESSAGE: true });
    expectError(await owner.c.call(55, { chatId: chat.id, pinMessageId: "99" }), "message.not.found");
  });

  it("invite links: get, join (135 + CONTROL), resolve, revoke; bad links are LINK_INVALID", async () => {
    const owner = await user();
    const b = await user();
    const joiner = await user();
    const { chat } = await createChat(owner, [b]);
    const got = await owner.c.ok(56, { chatId: chat.id });
    expect(got.link).toMatch(/^https:\/\/max\.ru\/join\/[A-Za-z0-9_-]+$/);
    expect(got.chat.id).toBe(chat.id);
    expect((await owner.c.ok(56, { chatId: chat.id })).link).toBe(got.link);
    expectError(await b.c.call(56, { chatId: chat.id }), "chat.not.access");

    const hash = got.link.split("/").pop();
    const preview = await joiner.c.ok(89, { link: got.link });
    expect(preview.chat).toMatchObject({ id: chat.id, title: "Группа", participantsCount: 2 });
    expect(preview.chat.participants).toBeUndefined();
    expect(preview.chat.lastMessage).toBeUndefined();

    const joined = await joiner.c.ok(57, { link: `join/${hash}` });
    expect(joined.chat).toMatchObject({ id: chat.id, participantsCount: 3 });
    expect(joined.chat.participants[joiner.id]).toBeTypeOf("number");
    const ev = await b.c.event(135, (p) => p.payload.chat.participantsCount === 3);
    expect(ev.payload.chat.id).toBe(chat.id);
    const control = await owner.c.event(128, (p) => p.payload.message.attaches[0]?.event === "joinByLink");
    expect(control.payload.message).toMatchObject({
      sender: joiner.id,
      attaches: [{ _type: "CONTROL", userId: joiner.id }],
    });
    // Joining twice is harmless.
    expect((await joiner.c.ok(57, { link: got.link })).chat.participantsCount).toBe(3);

    const revoked = await owner.c.ok(55, { chatId: chat.id, revokePrivateLink: true });
    expect(revoked.chat.id).toBe(chat.id);
    const late = await user();
    expectError(await late.c.call(57, { link: got.link }), "link.invalid");
    expectError(await late.c.call(57, { link: "https://max.ru/join/nonexistent-hash-123" }), "link.invalid");
    expectError(await late.c.call(89, { link: "https://example.com/%%%" }), "link.invalid");
    const fresh = await owner.c.ok(56, { chatId: chat.id });
    expect(fresh.link).not.toBe(got.link);
    expect((await late.c.ok(57, { link: fresh.link })).chat.id).toBe(chat.id);
  });

  it("public channel names: https://max.ru/<name> resolves and joins", async () => {
    const owner = await user();
    const reader = await user();
    const { chat } = await createChat(owner, [], "CHANNEL", "Public");
    const named = await owner.c.ok(55, { chatId: chat.id, link: "switchboard_news" });
    expect(named.chat).toMatchObject({ link: "https://max.ru/switchboard_news", access: "PUBLIC" });
    const resolved = await reader.c.ok(89, { link: "https://max.ru/switchboard_news" });
    expect(resolved.chat.id).toBe(chat.id);
    const joined = await reader.c.ok(57, { link: "https://max.ru/switchboard_news" });
    expect(joined.chat).toMatchObject({ id: chat.id, type: "CHANNEL" });
    const post = await owner.c.ok(64, { chatId: chat.id, message: text("welcome") });
    expect((await reader.c.event(128, (p) => p.payload.message.id === post.message.id)).payload.chatId).toBe(
      chat.id,
    );
    expectError(await reader.c.call(89, { link: "https://max.ru/nobody_here" }), "link.invalid");
  });
});

describe("members", () => {
  it("pages members with a marker", async () => {
    const owner = await user();
    const members: User[] = [];
    for (let i = 0; i < 4; i++) members.push(await user());
    const { chat } = await createChat(owner, members);
    const all = [owner.id, ...members.map((m) => m.id)].sort((x, y) => x - y);
    const p1 = await members[0]!.c.ok(59, { type: "MEMBER", chatId: chat.id, marker: 0, count: 2 });
    expect(p1.members.map((m: { contact: { id: number } }) => m.contact.id)).toEqual(all.slice(0, 2));
    expect(p1.marker).toBe(all[1]);
    const p2 = await members[0]!.c.ok(59, { type: "MEMBER", chatId: chat.id, marker: p1.marker, count: 2 });
    expect(p2.members.map((m: { contact: { id: number } }) => m.contact.id)).toEqual(all.slice(2, 4));
    const p3 = await members[0]!.c.ok(59, { type: "MEMBER", chatId: chat.id, marker: p2.marker, count: 2 });
    expect(p3.members.map((m: { contact: { id: number } }) => m.contact.id)).toEqual(all.slice(4));
    expect(p3.marker).toBe(0); // always present (PyMax 1.x reads it); 0 = no next page
    const ownerEntry = [...p1.members, ...p2.members, ...p3.members].find(
      (m: { contact: { id: number } }) => m.contact.id === owner.id,
    );
    expect(ownerEntry).toMatchObject({ role: "OWNER", presence: { seen: expect.any(Number) } });
    expect(ownerEntry.contact.names[0].name).toBeTypeOf("string");
    const stranger = await user();
    expectError(await stranger.c.call(59, { type: "MEMBER", chatId: chat.id, count: 10 }), "chat.not.access");
  });

  it("add, make admin and remove; removed users get 135 REMOVED; only admins manage", async () => {
    const owner = await user();
    const b = await user();
    const c = await user();
    const d = await user();
    const { chat } = await createChat(owner, [b]);
    expectError(
      await b.c.call(77, { chatId: chat.id, userIds: [c.id], operation: "add", showHistory: true }),
      "chat.not.access",
    );
    const added = await owner.c.ok(77, {
      chatId: chat.id,
      userIds: [c.id, d.id],
      showHistory: true,
      operation: "add",
    });
    expect(added.chat.participantsCount).toBe(4);
    const addEv = await b.c.event(128, (p) => p.payload.message.attaches[0]?.event === "add");
    expect(addEv.payload.message.attaches[0].userIds).toEqual([c.id, d.id]);
    await c.c.event(135);
    // The new member sees history (showHistory) and the group.
    const hist = await c.c.ok(49, { chatId: chat.id, from: Date.now() + 1000, forward: 0, backward: 10 });
    expect(hist.messages[0].attaches[0].event).toBe("new");

    const promoted = await owner.c.ok(77, {
      chatId: chat.id,
      userIds: [b.id],
      type: "ADMIN",
      operation: "add",
      permissions: 255,
    });
    expect(promoted.chat.admins.sort()).toEqual([owner.id, b.id].sort());
    await b.c.ok(77, { chatId: chat.id, userIds: [d.id], operation: "remove", cleanMsgPeriod: 0 });
    const gone = await d.c.event(135, (p) => p.payload.chat.status === "REMOVED");
    expect(gone.payload.chat.id).toBe(chat.id);
    const removeEv = await c.c.event(128, (p) => p.payload.message.attaches[0]?.event === "remove");
    expect(removeEv.payload.message.attaches[0].userIds).toEqual([d.id]);
    expectError(await d.c.call(64, { chatId: chat.id, message: text("still here?") }), "chat.not.access");
    expectError(
      await b.c.call(77, { chatId: chat.id, userIds: [owner.id], operation: "remove" }),
      "chat.not.access",
    );
    const demoted = await owner.c.ok(77, {
      chatId: chat.id,
      userIds: [b.id],
      type: "ADMIN",
      operation: "remove",
    });
    expect(demoted.chat.admins).toEqual([owner.id]);
  });

  it("leaving hands a group to the oldest admin; 75 and 58 both leave", async () => {
    const owner = await user();
    const b = await user();
    const c = await user();
    const { chat } = await createChat(owner, [b, c]);
    await owner.c.ok(77, { chatId: chat.id, userIds: [c.id], type: "ADMIN", operation: "add" });
    const left = await owner.c.ok(58, { chatId: chat.id });
    expect(left.chat.status).toBe("LEFT");
    const ev = await b.c.event(135, (p) => p.payload.chat.owner === c.id);
    expect(ev.payload.chat.participantsCount).toBe(2);
    const control = await b.c.event(128, (p) => p.payload.message.attaches[0]?.event === "leave");
    expect(control.payload.message.attaches[0].userId).toBe(owner.id);
    expectError(await owner.c.call(49, { chatId: chat.id, backward: 5 }), "chat.not.access");
    // vkmax CHAT_SUBSCRIBE {subscribe:false} leaves too.
    await b.c.ok(75, { chatId: chat.id, subscribe: false });
    const members = await c.c.ok(59, { type: "MEMBER", chatId: chat.id, count: 10 });
    expect(members.members.map((m: { contact: { id: number } }) => m.contact.id)).toEqual([c.id]);
    // Dialogs cannot be left.
    const { chatId } = await b.c.ok(64, { userId: c.id, message: text("dm") });
    expectError(await b.c.call(75, { chatId }), "chat.not.access");
  });

  it("refuses to grow a chat past 10,000 members", async () => {
    const owner = await user();
    const b = await user();
    const extra = await user();
    const { chat } = await createChat(owner, [b]);
    const insert = world.emu.db.prepare(
      "INSERT INTO max_members (chat_id, user_id, role, joined_at) VALUES (?, ?, 'MEMBER', ?)",
    );
    world.emu.db.transaction(() => {
      for (let i = 0; i < 9_998; i++) insert.run(chat.id, 500_000_000 + i, Date.now());
    })();
    expectError(
      await owner.c.call(77, { chatId: chat.id, userIds: [extra.id], operation: "add" }),
      "chat.members.limit",
    );
    const got = await owner.c.ok(56, { chatId: chat.id });
    expectError(await extra.c.call(57, { link: got.link }), "chat.members.limit");
    // A full chat still delivers: fan-out reads every member in one go.
    const sent = await b.c.ok(64, { chatId: chat.id, message: text("full house") });
    expect((await owner.c.event(128, (p) => p.payload.message.id === sent.message.id)).payload.chatId).toBe(
      chat.id,
    );
  });
});
