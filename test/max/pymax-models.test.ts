/**
 * Conformance: every object the emulator sends carries what PyMax 1.x (MaxApiTeam/PyMax, formerly
 * ink-developer/PyMax: src/pymax/types.py) reads unconditionally — `data["field"]` in its
 * from_dict parsers, which raise KeyError and drop the object when a field is missing. Raw
 * packets only; the schemas below list exactly the subscripted fields of each parser.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { emulatorFixture, type RawClient } from "./raw.js";

const int = z.number().int();
const str = z.string();
/** PyMax reads message ids as they come (the service sends strings). */
const anyId = z.union([int, str]);

/** types.py Dialog.from_dict: subscripted fields. */
const Dialog = z.looseObject({
  owner: int,
  joinTime: int,
  created: int,
  type: z.enum(["DIALOG", "CHAT", "CHANNEL"]),
  lastFireDelayedErrorTime: int,
  lastDelayedUpdateTime: int,
  modified: int,
  lastEventTime: int,
  id: int,
  status: str,
  participants: z.record(str, int),
});
/** Message.from_dict and its attach parsers (PhotoAttach, VideoAttach, FileAttach, AudioAttach, ControlAttach). */
const Photo = z.looseObject({
  baseUrl: str,
  height: int,
  width: int,
  photoId: int,
  photoToken: str,
  _type: z.literal("PHOTO"),
});
const Video = z.looseObject({
  height: int,
  width: int,
  videoId: int,
  duration: int,
  previewData: str,
  thumbnail: str,
  token: str,
  videoType: int,
  _type: z.literal("VIDEO"),
});
const File = z.looseObject({ fileId: int, name: str, size: int, token: str, _type: z.literal("FILE") });
const Audio = z.looseObject({
  duration: int,
  audioId: int,
  url: str,
  wave: str,
  transcriptionStatus: str,
  token: str,
  _type: z.literal("AUDIO"),
});
const Control = z.looseObject({ _type: z.literal("CONTROL"), event: str });
const Message = z.looseObject({
  id: anyId,
  time: int,
  text: str,
  type: str,
  elements: z.array(z.looseObject({ type: str, length: int })).optional(),
  reactionInfo: z
    .looseObject({ counters: z.array(z.looseObject({ count: int, reaction: str })).optional() })
    .optional(),
  attaches: z.array(z.union([Photo, Video, File, Audio, Control])).optional(),
});
/** Me.from_dict (profile.contact) and User.from_dict (contacts, 32). */
const Me = z.looseObject({
  id: int,
  accountStatus: int,
  phone: z.union([int, str]),
  names: z.array(z.looseObject({})),
  updateTime: int,
});
const User = z.looseObject({ accountStatus: int, updateTime: int, id: int });
/** Session.from_dict (96). */
const Session = z.looseObject({ client: str, info: str, location: str, time: int });

function expectParses(schema: z.ZodType, value: unknown): void {
  const r = schema.safeParse(value);
  if (!r.success) throw new Error(`${JSON.stringify(value)}\n${r.error.message}`);
}

const fx = emulatorFixture("913000");
beforeAll(fx.start);
afterAll(fx.stop);

function png(): Buffer {
  const head = Buffer.alloc(24);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(head, 0);
  head.writeUInt32BE(13, 8);
  head.write("IHDR", 12, "latin1");
  head.writeUInt32BE(4, 16);
  head.writeUInt32BE(3, 20);
  return Buffer.concat([head, Buffer.alloc(64, 7)]);
}

async function upload(url: string, data: Buffer, name: string, type: string) {
  const form = new FormData();
  form.append("file", new Blob([new Uint8Array(data)], { type }), name);
  const res = await fetch(url, { method: "POST", body: form });
  expect(res.status).toBe(200);
  // Photos answer JSON, videos the XML-ish `<retval>1</retval>`, files JSON.
  const body = await res.text();
  return body.startsWith("{") ? JSON.parse(body) : body;
}

async function send(c: RawClient, chatId: number, message: Record<string, unknown>) {
  return c.ok(64, {
    chatId,
    message: { cid: Date.now(), elements: [], attaches: [], ...message },
    notify: true,
  });
}

describe("PyMax 1.x parsers accept every object the emulator sends", () => {
  it("19: dialogs, groups, profile and contacts; 49: messages with every attach kind and reactions; 96; 83", async () => {
    const alice = await fx.login();
    const bob = await fx.login();
    // A dialog (64 to a user) and a group (CONTROL new).
    const dm = await alice.client.ok(64, {
      userId: bob.userId,
      message: { cid: 1, text: "hi", elements: [{ type: "STRONG", from: 0, length: 2 }], attaches: [] },
      notify: true,
    });
    const dialogId = Number(dm.chatId);
    const group = await alice.client.ok(64, {
      message: {
        cid: 2,
        attaches: [{ _type: "CONTROL", event: "new", chatType: "CHAT", title: "G", userIds: [bob.userId] }],
      },
      notify: true,
    });
    const groupId = Number(group.chat.id);

    // Media of each kind into the dialog.
    const p = await alice.client.ok(80, { count: 1 });
    const photoId = new URL(p.url).searchParams.get("photoIds") as string;
    const { photos } = await upload(p.url, png(), "p.png", "image/png");
    await send(alice.client, dialogId, {
      text: "",
      attaches: [{ _type: "PHOTO", photoToken: photos[photoId].token }],
    });
    const v = (await alice.client.ok(82, { count: 1 })).info[0];
    await upload(v.url, Buffer.alloc(256, 3), "v.mp4", "video/mp4");
    await alice.client.event(136, (e) => e.payload.videoId === v.videoId);
    const videoMsg = await send(alice.client, dialogId, {
      text: "",
      attaches: [{ _type: "VIDEO", videoId: v.videoId, token: v.token }],
    });
    const f = (await alice.client.ok(87, { count: 1 })).info[0];
    await upload(f.url, Buffer.alloc(100, 1), "f.bin", "application/octet-stream");
    await alice.client.event(136, (e) => e.payload.fileId === f.fileId);
    await send(alice.client, dialogId, { text: "", attaches: [{ _type: "FILE", fileId: f.fileId }] });
    // PyMax sends voice as AUDIO with the videoId of an 82 upload.
    const a = (await alice.client.ok(82, { count: 1, type: 2 })).info[0];
    await upload(a.url, Buffer.alloc(128, 2), "a.ogg", "audio/ogg");
    await alice.client.event(136, (e) => e.payload.videoId === a.videoId);
    await send(alice.client, dialogId, {
      text: "",
      attaches: [{ _type: "AUDIO", videoId: a.videoId, duration: 3 }],
    });
    const reacted = await send(alice.client, dialogId, { text: "react" });
    await bob.client.ok(178, {
      chatId: dialogId,
      messageId: String(reacted.message.id),
      reaction: { reactionType: "EMOJI", id: "👍" },
    });

    const sync = await bob.client.ok(19, {
      interactive: true,
      token: bob.token,
      chatsSync: 0,
      contactsSync: 0,
      presenceSync: 0,
      draftsSync: 0,
      chatsCount: 40,
    });
    expectParses(Me, sync.profile.contact);
    const dialogs = sync.chats.filter((c: { type: string }) => c.type === "DIALOG");
    expect(dialogs.map((d: { id: number }) => d.id)).toContain(dialogId);
    for (const chat of sync.chats) {
      if (chat.type === "DIALOG") expectParses(Dialog, chat);
      if (chat.lastMessage) expectParses(Message, chat.lastMessage);
    }
    expect(sync.chats.map((c: { id: number }) => c.id)).toContain(groupId);

    const history = await bob.client.ok(49, {
      chatId: dialogId,
      from: Date.now() + 1000,
      forward: 0,
      backward: 30,
      getMessages: true,
    });
    const kinds = new Set<string>();
    for (const m of history.messages) {
      expectParses(Message, m);
      for (const at of m.attaches ?? []) kinds.add(at._type);
    }
    expect([...kinds].sort()).toEqual(["AUDIO", "FILE", "PHOTO", "VIDEO"]);
    expect(history.messages.some((m: { reactionInfo?: unknown }) => m.reactionInfo)).toBe(true);
    const groupHistory = await bob.client.ok(49, {
      chatId: groupId,
      from: Date.now() + 1000,
      forward: 0,
      backward: 30,
      getMessages: true,
    });
    for (const m of groupHistory.messages) expectParses(Message, m);

    const contacts = await bob.client.ok(32, { contactIds: [alice.userId] });
    for (const u of contacts.contacts) expectParses(User, u);

    const sessions = await bob.client.ok(96, {});
    expect(sessions.sessions.length).toBeGreaterThan(0);
    for (const s of sessions.sessions) expectParses(Session, s);

    // VideoRequest.from_dict: EXTERNAL and cache, and the first other key is the URL.
    const play = await bob.client.ok(83, {
      videoId: v.videoId,
      chatId: dialogId,
      messageId: String(videoMsg.message.id),
    });
    expect(play).toMatchObject({ cache: false, EXTERNAL: expect.any(String) });
    const firstOther = Object.entries(play).find(([k]) => k !== "EXTERNAL" && k !== "cache");
    expect(String(firstOther?.[1])).toMatch(/^http/);
  });
});
