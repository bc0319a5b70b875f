/**
 * The MAX emulator against the public clients people use: vkmax (nsdkinx/vkmax), PyMax
 * (MaxApiTeam/PyMax) and vkmax-node (antirek/vkmax-node). None of them can run here, so each
 * test replays, over a real socket, the request sequence and the exact payloads the client's
 * source sends for a feature, matches answers the way that client does (test/max/public-clients/
 * peers.ts), and checks that every field the client then reads is there with the type it needs
 * (for PyMax: its pydantic models, test/max/public-clients/pymax-models.ts). Source files are
 * named in each test.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Frame, multipart, PyMaxPeer, SeqOnlyPeer } from "./public-clients/peers.js";
import * as Py from "./public-clients/pymax-models.js";
import { loggedIn, type RawClient, startEmulator } from "./raw.js";

type Emu = Awaited<ReturnType<typeof startEmulator>>;
let emu: Emu;
let phoneSeq = 0;
const closers: { close(): void }[] = [];
const nextPhone = () => `+7955${String(++phoneSeq).padStart(7, "0")}`;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  for (const c of closers) c.close();
  await emu.close();
});

function track<T extends { close(): void }>(c: T): T {
  closers.push(c);
  return c;
}

/** A plain seed-speaking user to talk to (the other side of a dialog, a group member …). */
async function peer(): Promise<{ c: RawClient; id: number }> {
  const { client, userId } = await loggedIn(emu.url, nextPhone());
  track(client);
  return { c: client, id: userId };
}

/** Opens the dialog of `from` and `userId` (a first message by `from`) and returns its chat id. */
async function dialogWith(from: { c: RawClient }, userId: number): Promise<number> {
  const r = await from.c.ok(64, {
    userId,
    message: { text: "hi", cid: Date.now(), elements: [], attaches: [] },
  });
  return r.chatId as number;
}

// ── the clients' own payloads ────────────────────────────────────────────────

/** vkmax/client.py `_send_hello_packet` (current: DESKTOP + clientSessionId + buildNumber). */
const vkmaxHello = (deviceId: string) => ({
  userAgent: {
    deviceType: "DESKTOP",
    locale: "ru",
    deviceLocale: "ru",
    osVersion: "Linux",
    deviceName: "Chrome",
    headerUserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/141.0.0.0 Safari/537.36",
    appVersion: "25.12.13",
    screen: "1080x1920 1.0x",
    timezone: "Europe/Moscow",
    clientSessionId: 14,
    buildNumber: 0x97cb,
  },
  deviceId,
});
/** vkmax-node src/constants.ts USER_AGENT (also the first vkmax releases' hello). */
const webUserAgent = {
  deviceType: "WEB",
  locale: "ru_RU",
  osVersion: "macOS",
  deviceName: "vkmax Node.js",
  headerUserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Chrome/137.0.0.0 Safari/537.36",
  deviceLocale: "ru-RU",
  appVersion: "25.6.8",
  screen: "956x1470 2.0x",
  timezone: "Asia/Vladivostok",
};
/** PyMax web handshake: `{userAgent: {deviceType: "WEB", …}, deviceId}`. */
const pymaxHello = {
  userAgent: {
    deviceType: "WEB",
    appVersion: "25.12.13",
    osVersion: "Linux",
    timezone: "Europe/Moscow",
    screen: "1080x1920 1.0x",
    locale: "ru",
    deviceName: "Chrome",
    deviceLocale: "ru",
  },
  deviceId: "3f1c2b9e-8d7a-4c5b-9e6f-0a1b2c3d4e5f",
};
/** vkmax / vkmax-node `randint(1750000000000, 2000000000000)`. */
const randomCid = () => 1_750_000_000_000 + Math.floor(Math.random() * 250_000_000_000);
const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);
/** `n` bytes that start like a JPEG (FF D8 FF): photo slots take images only. */
const jpegBytes = (n: number) => {
  const b = bytes(n);
  b.set([0xff, 0xd8, 0xff, 0xe0]);
  return b;
};

// ── logins as each client does them ──────────────────────────────────────────

/** vkmax `send_code` + `sign_in`: hello, 17, 18; reads token, error, profile, tokenAttrs. */
async function vkmaxSignIn(phone = nextPhone()) {
  const c = track(await SeqOnlyPeer.connect(emu.url));
  await c.invoke(6, vkmaxHello(crypto.randomUUID()));
  const start = await c.invoke(17, { phone, type: "START_AUTH", language: "ru" });
  const smsToken: string = start.payload.token;
  expect(smsToken).toBeTypeOf("string");
  const done = await c.invoke(18, {
    token: smsToken,
    verifyCode: String(123456),
    authTokenType: "CHECK_CODE",
  });
  expect("error" in done.payload).toBe(false);
  return {
    c,
    phone,
    done,
    token: done.payload.tokenAttrs.LOGIN.token as string,
    id: done.payload.profile.contact.id as number,
  };
}

/** PyMax web login on a fresh socket: handshake (seq 0) then 19 WebSyncPayload (-1 sync defaults). */
async function pymaxLogin(token: string) {
  const p = track(await PyMaxPeer.connect(emu.url));
  const hello = await p.invoke(6, pymaxHello);
  expect(hello.seq).toBe(0);
  const login = await p.invoke(19, {
    token,
    chatsCount: 40,
    interactive: true,
    chatsSync: -1,
    contactsSync: -1,
    presenceSync: -1,
    draftsSync: -1,
  });
  const parsed = Py.parse(Py.LoginResponse, login.payload);
  if (!parsed.profile) throw new Error("login without profile");
  return { p, login: parsed, id: parsed.profile.contact.id };
}

/** A PyMax user: SMS login as PyMax sends it (17 with `mode: null`), then the web login. */
async function pymaxUser(phone = nextPhone()) {
  const auth = track(await PyMaxPeer.connect(emu.url));
  await auth.invoke(6, pymaxHello);
  const start = Py.parse(
    Py.StartAuthResponse,
    (await auth.invoke(17, { phone, type: "START_AUTH", mode: null })).payload,
  );
  const code = await auth.invoke(18, {
    token: start.token,
    verifyCode: "123456",
    authTokenType: "CHECK_CODE",
  });
  const token = Py.parse(Py.LoginTokenAttrs, code.payload).tokenAttrs.LOGIN.token;
  auth.close();
  return { ...(await pymaxLogin(token)), token };
}

/** vkmax-node `sendCode` + `signIn` (no Origin header). */
async function nodeSignIn(phone = nextPhone()) {
  const c = track(await SeqOnlyPeer.connect(emu.url, { origin: false }));
  await c.invoke(6, { userAgent: webUserAgent, deviceId: crypto.randomUUID() });
  const start = await c.invoke(17, { phone, type: "START_AUTH", language: "ru" });
  const done = await c.invoke(18, {
    token: start.payload.token,
    verifyCode: String("123456"),
    authTokenType: "CHECK_CODE",
  });
  expect(done.payload.error).toBeUndefined();
  return {
    c,
    token: done.payload.tokenAttrs.LOGIN.token as string,
    id: done.payload.profile.contact.id as number,
  };
}

/** vkmax `create_group`: 64 with a CONTROL `new` attach and no chatId. */
async function vkmaxCreateGroup(c: SeqOnlyPeer, title: string, userIds: number[]) {
  const res = await c.invoke(64, {
    message: {
      cid: randomCid(),
      attaches: [{ _type: "CONTROL", event: "new", chatType: "CHAT", title, userIds }],
    },
    notify: true,
  });
  expect(res.cmd).toBe(1);
  return res.payload;
}

function expectFrameOk(f: Frame, opcode: number): void {
  expect(f.cmd, JSON.stringify(f.payload)).toBe(1);
  expect(f.opcode).toBe(opcode);
}

// ════════════════════════════════════════════════════════════════════════════
describe("vkmax (nsdkinx/vkmax)", () => {
  it("client.py sign_in / login_by_token: Origin, hello, 17, 18, 19; token, profile.phone, profile.contact.phone", async () => {
    const { c, done, token, phone } = await vkmaxSignIn();
    expect(done.seq).toBe(3);
    // Older releases log profile.phone, the current one profile.contact.phone: both must exist.
    expect(done.payload.profile.phone).toBe(Number(phone.slice(1)));
    expect(done.payload.profile.contact.phone).toBe(Number(phone.slice(1)));
    expect(token).toBeTypeOf("string");
    // The keepalive loop starts right after login.
    expectFrameOk(await c.invoke(1, { interactive: false }), 1);

    // login_by_token on a new socket: its 19 carries the userAgent again.
    const again = track(await SeqOnlyPeer.connect(emu.url));
    await again.invoke(6, vkmaxHello(crypto.randomUUID()));
    const login = await again.invoke(19, {
      interactive: true,
      token,
      chatsSync: 0,
      contactsSync: 0,
      presenceSync: 0,
      draftsSync: 0,
      chatsCount: 40,
      userAgent: vkmaxHello("x").userAgent,
    });
    expectFrameOk(login, 19);
    expect("error" in login.payload).toBe(false);
    expect(login.payload.profile.phone).toBe(Number(phone.slice(1)));
    expect(login.payload.profile.contact.phone).toBe(Number(phone.slice(1)));
    // A bad token: vkmax looks for payload.error.
    const bad = track(await SeqOnlyPeer.connect(emu.url));
    await bad.invoke(6, vkmaxHello(crypto.randomUUID()));
    const refused = await bad.invoke(19, {
      interactive: true,
      token: "nope",
      chatsSync: 0,
      contactsSync: 0,
      chatsCount: 40,
    });
    expect(refused.payload.error).toBeTypeOf("string");
  });

  it("functions/messages.py: send, reply, edit (`attachments`), pin, delete, get_chat_history", async () => {
    const me = await vkmaxSignIn();
    const b = await peer();
    const { chat } = await vkmaxCreateGroup(me.c, "vkmax msgs", [b.id]);
    const chatId: number = chat.id;

    const sent = await me.c.invoke(64, {
      chatId,
      message: { text: "hello", cid: randomCid(), elements: [], attaches: [] },
      notify: true,
    });
    expectFrameOk(sent, 64);
    const id: string = sent.payload.message.id;
    expect(id).toMatch(/^\d+$/);
    const ev = await b.c.event(128, (p) => p.payload.message.id === id);
    expect(ev.payload).toMatchObject({ chatId, message: { text: "hello", sender: me.id } });

    const reply = await me.c.invoke(64, {
      chatId,
      message: {
        text: "re",
        cid: randomCid(),
        elements: [],
        link: { type: "REPLY", messageId: `${id}` },
        attaches: [],
      },
      notify: true,
    });
    expectFrameOk(reply, 64);
    expect(reply.payload.message.link).toMatchObject({ type: "REPLY", messageId: id });

    const edited = await me.c.invoke(67, {
      chatId,
      messageId: `${id}`,
      text: "hello!",
      elements: [],
      attachments: [],
    });
    expectFrameOk(edited, 67);
    const editEv = await b.c.event(
      128,
      (p) => p.payload.message.id === id && p.payload.message.status === "EDITED",
    );
    expect(editEv.payload.message.text).toBe("hello!");

    const pinned = await me.c.invoke(55, { chatId, notifyPin: false, messageId: `${id}` });
    expectFrameOk(pinned, 55);
    expect(pinned.payload.chat.pinnedMessage.id).toBe(id);

    const history = await me.c.invoke(49, {
      chatId,
      from: Date.now(),
      forward: 0,
      backward: 30,
      getMessages: true,
    });
    expectFrameOk(history, 49);
    const ids = history.payload.messages.map((m: { id: string }) => m.id);
    expect(ids).toContain(id);
    expect(ids).toContain(reply.payload.message.id);

    const deleted = await me.c.invoke(66, { chatId, messageIds: [reply.payload.message.id], forMe: false });
    expectFrameOk(deleted, 66);
    const gone = await b.c.event(
      128,
      (p) => p.payload.message.id === reply.payload.message.id && p.payload.message.status === "REMOVED",
    );
    expect(gone.payload.chatId).toBe(chatId);
    expect(me.c.misrouted).toEqual([]);
  });

  it("functions/uploads.py: 65 notice, 80 + multipart POST + photos[*].token, 82/87 + POST + 136 by videoId/fileId", async () => {
    const me = await vkmaxSignIn();
    const b = await peer();
    const { chat } = await vkmaxCreateGroup(me.c, "vkmax media", [b.id]);
    const chatId: number = chat.id;
    const headers = {
      Origin: "https://web.max.ru",
      Referer: "https://web.max.ru/",
      "User-Agent": "Mozilla/5.0",
    };
    const upload = async (url: string, type: string, name: string, mime: string, size: number) => {
      expectFrameOk(await me.c.invoke(65, { chatId, type }), 65);
      const res = await fetch(url, {
        method: "POST",
        headers,
        body: multipart(type === "PHOTO" ? jpegBytes(size) : bytes(size), name, mime),
      });
      expect(res.status).toBe(200);
      return res;
    };

    // upload_photo: list(obj["photos"].values())[0]["token"]
    const photoUrl = (await me.c.invoke(80, { count: 1 })).payload.url;
    expect(photoUrl).toBeTypeOf("string");
    const photoJson = (await (await upload(photoUrl, "PHOTO", "image.jpg", "image/jpeg", 300)).json()) as {
      photos: Record<string, { token: string }>;
    };
    const photoToken = Object.values(photoJson.photos)[0]?.token;
    expect(photoToken).toBeTypeOf("string");
    const photoMsg = await me.c.invoke(64, {
      chatId,
      message: { text: "pic", cid: randomCid(), elements: [], attaches: [{ _type: "PHOTO", photoToken }] },
      notify: true,
    });
    expectFrameOk(photoMsg, 64);
    expect(photoMsg.payload.message.attaches[0]).toMatchObject({ _type: "PHOTO", photoToken });

    // upload_video: info[0] url/videoId/token; then it waits for 136 carrying that videoId.
    const info = (await me.c.invoke(82, { count: 1 })).payload.info[0];
    expect(info).toMatchObject({
      url: expect.any(String),
      videoId: expect.any(Number),
      token: expect.any(String),
    });
    await upload(info.url, "VIDEO", "video.mp4", "video/mp4", 2000);
    const videoReady = await me.c.waitEvent((f) => f.opcode === 136 && "videoId" in f.payload);
    // vkmax pops _video_pending[payload["videoId"]]: same value and type as 82's videoId.
    expect(videoReady.payload.videoId).toBe(info.videoId);
    expect(videoReady.seq).toBe(0);
    const videoMsg = await me.c.invoke(64, {
      chatId,
      message: {
        text: "vid",
        cid: randomCid(),
        elements: [],
        attaches: [{ _type: "VIDEO", videoId: info.videoId, token: info.token }],
      },
      notify: true,
    });
    expectFrameOk(videoMsg, 64);

    // upload_file: info[0] url/fileId; 136 must carry fileId and no videoId (vkmax checks videoId first).
    const fileInfo = (await me.c.invoke(87, { count: 1 })).payload.info[0];
    expect(fileInfo).toMatchObject({ url: expect.any(String), fileId: expect.any(Number) });
    await upload(fileInfo.url, "FILE", "notes.txt", "application/octet-stream", 1234);
    const fileReady = await me.c.waitEvent((f) => f.opcode === 136 && f.payload.fileId === fileInfo.fileId);
    expect("videoId" in fileReady.payload).toBe(false);
    const fileMsg = await me.c.invoke(64, {
      chatId,
      message: {
        text: "",
        cid: randomCid(),
        elements: [],
        attaches: [{ _type: "FILE", fileId: fileInfo.fileId }],
      },
      notify: true,
    });
    expectFrameOk(fileMsg, 64);
    const got = await b.c.event(128, (p) => p.payload.message.id === fileMsg.payload.message.id);
    expect(got.payload.message.attaches[0]).toMatchObject({ _type: "FILE", fileId: fileInfo.fileId });
    expect(me.c.misrouted).toEqual([]);
  });

  it("functions/groups.py: create, invite, remove, add_admin (operation 'remove' + permissions), remove_admin, owner, settings, profile, members", async () => {
    const me = await vkmaxSignIn();
    const b = await peer();
    const c = await peer();
    const created = await vkmaxCreateGroup(me.c, "vkmax group", [b.id]);
    const chatId: number = created.chat.id;
    expect(created.chat).toMatchObject({ type: "CHAT", title: "vkmax group", owner: me.id });

    const invited = await me.c.invoke(77, { chatId, userIds: [c.id], showHistory: true, operation: "add" });
    expectFrameOk(invited, 77);
    expect(invited.payload.chat.participants[c.id]).toBeTypeOf("number");

    // add_admin sends operation "remove" together with the permissions of the new admin.
    const admin = await me.c.invoke(77, {
      chatId,
      userIds: [b.id],
      type: "ADMIN",
      operation: "remove",
      permissions: 120,
    });
    expectFrameOk(admin, 77);
    expect(admin.payload.chat.admins).toContain(b.id);
    const admins = await me.c.invoke(59, { type: "ADMIN", marker: 0, chatId, count: 500 });
    expect(admins.payload.members.map((m: { contact: { id: number } }) => m.contact.id)).toContain(b.id);
    // remove_admin: no permissions.
    const demoted = await me.c.invoke(77, { chatId, userIds: [b.id], type: "ADMIN", operation: "remove" });
    expectFrameOk(demoted, 77);
    expect(demoted.payload.chat.admins).not.toContain(b.id);

    // remove_users: cleanMsgPeriod 0 (or -1 to delete their messages).
    const removed = await me.c.invoke(77, {
      chatId,
      userIds: [c.id],
      operation: "remove",
      cleanMsgPeriod: 0,
    });
    expectFrameOk(removed, 77);
    expect(removed.payload.chat.participants[c.id]).toBeUndefined();

    const settings = await me.c.invoke(55, {
      chatId,
      options: {
        ONLY_OWNER_CAN_CHANGE_ICON_TITLE: true,
        ALL_CAN_PIN_MESSAGE: false,
        ONLY_ADMIN_CAN_ADD_MEMBER: true,
      },
    });
    expectFrameOk(settings, 55);
    expect(settings.payload.chat.options).toMatchObject({
      ALL_CAN_PIN_MESSAGE: false,
      ONLY_ADMIN_CAN_ADD_MEMBER: true,
    });

    // change_group_profile(name, None): {theme, description: null}; (None, "d"): {theme: null}.
    const renamed = await me.c.invoke(55, { chatId, theme: "renamed", description: null });
    expectFrameOk(renamed, 55);
    expect(renamed.payload.chat.title).toBe("renamed");
    expectFrameOk(await me.c.invoke(55, { chatId, theme: null }), 55);

    const members = await me.c.invoke(59, { type: "MEMBER", marker: 0, chatId, count: 500 });
    expectFrameOk(members, 59);
    expect(members.payload.members.length).toBe(2);

    const handed = await me.c.invoke(55, { chatId, changeOwnerId: b.id });
    expectFrameOk(handed, 55);
    expect(handed.payload.chat.owner).toBe(b.id);
  });

  it("functions/groups.py join_group_by_link: 57 → chat.id + chat.cid, 75 subscribe false/true, 49 from cid; resolve 89", async () => {
    const owner = await peer();
    // A group made by a client that sent no cid: chat.cid must still be there for vkmax.
    const made = await owner.c.ok(64, {
      message: {
        attaches: [{ _type: "CONTROL", event: "new", chatType: "CHAT", title: "linked", userIds: [] }],
      },
    });
    const link: string = (await owner.c.ok(56, { chatId: made.chat.id })).link;
    const hash = link.split("/").pop();
    const me = await vkmaxSignIn();

    const resolved = await me.c.invoke(89, { link: `join/${hash}` });
    expectFrameOk(resolved, 89);
    expect(resolved.payload.chat.id).toBe(made.chat.id);

    const data = await me.c.invoke(57, { link: `join/${hash}` });
    expectFrameOk(data, 57);
    const chatId = data.payload.chat.id;
    const cid = data.payload.chat.cid;
    expect(chatId).toBe(made.chat.id);
    expect(cid).toBeTypeOf("number");
    // vkmax then unsubscribes a hard-coded chat 381006: an error answer, matched by its seq.
    const stray = await me.c.invoke(75, { chatId: 381006, subscribe: false });
    expect(stray.cmd).toBe(3);
    expect(stray.opcode).toBe(75);
    expectFrameOk(await me.c.invoke(75, { chatId, subscribe: true }), 75);
    const history = await me.c.invoke(49, { chatId, from: cid, forward: 0, backward: 30, getMessages: true });
    expectFrameOk(history, 49);
    expect(Array.isArray(history.payload.messages)).toBe(true);
    expect(me.c.misrouted).toEqual([]);
  });

  it("functions/channels.py: create (CHANNEL), resolve and join https://max.ru/<name>, mute (22), leave (75 subscribe false)", async () => {
    const owner = await vkmaxSignIn();
    const created = await owner.c.invoke(64, {
      message: {
        cid: randomCid(),
        attaches: [{ _type: "CONTROL", event: "new", title: "vk chan", chatType: "CHANNEL" }],
        text: "",
      },
    });
    expectFrameOk(created, 64);
    const channelId: number = created.payload.chat.id;
    expect(created.payload.chat.type).toBe("CHANNEL");
    expectFrameOk(await owner.c.invoke(55, { chatId: channelId, link: "vkmaxchannel" }), 55);

    const me = await vkmaxSignIn();
    const resolved = await me.c.invoke(89, { link: "https://max.ru/vkmaxchannel" });
    expectFrameOk(resolved, 89);
    expect(resolved.payload.chat).toMatchObject({ id: channelId, type: "CHANNEL" });
    const joined = await me.c.invoke(57, { link: "https://max.ru/vkmaxchannel" });
    expectFrameOk(joined, 57);
    expect(joined.payload.chat.id).toBe(channelId);

    const mute = await me.c.invoke(22, {
      settings: { chats: { [String(channelId)]: { dontDisturbUntil: -1 } } },
    });
    expectFrameOk(mute, 22);
    expectFrameOk(
      await me.c.invoke(22, { settings: { chats: { [String(channelId)]: { dontDisturbUntil: 0 } } } }),
      22,
    );

    const left = await me.c.invoke(75, { chatId: channelId, subscribe: false });
    expectFrameOk(left, 75);
    const members = await owner.c.invoke(59, { type: "MEMBER", marker: 0, chatId: channelId, count: 50 });
    expect(members.payload.members.map((m: { contact: { id: number } }) => m.contact.id)).not.toContain(
      me.id,
    );
  });

  it("functions/profile.py + users.py: 22 privacy flags, 16 with unset fields as null, 32, 34 ADD / BLOCK", async () => {
    const me = await vkmaxSignIn();
    const other = await peer();
    for (const user of [
      { HIDDEN: true },
      { HIDDEN: false },
      { SEARCH_BY_PHONE: "CONTACTS" },
      { INCOMING_CALL: "ALL" },
      { CHATS_INVITE: "CONTACTS" },
    ]) {
      expectFrameOk(await me.c.invoke(22, { settings: { user } }), 22);
    }
    // change_profile(first_name="Ada") sends lastName and description as None.
    const renamed = await me.c.invoke(16, { firstName: "Ada", lastName: null, description: null });
    expectFrameOk(renamed, 16);
    expect(renamed.payload.profile.contact.names[0]).toMatchObject({ firstName: "Ada" });
    expectFrameOk(await me.c.invoke(16, { firstName: null, lastName: null, description: "bio" }), 16);

    const users = await me.c.invoke(32, { contactIds: [other.id] });
    expectFrameOk(users, 32);
    expect(users.payload.contacts[0].id).toBe(other.id);
    expectFrameOk(await me.c.invoke(34, { contactId: other.id, action: "ADD" }), 34);
    expectFrameOk(await me.c.invoke(34, { contactId: other.id, action: "BLOCK" }), 34);
  });
});

// ════════════════════════════════════════════════════════════════════════════
describe("PyMax (MaxApiTeam/PyMax)", () => {
  it("app.py start: handshake with seq 0, SMS login (17 mode null, 18), 19 web sync -1, ping; LoginResponse / Profile models", async () => {
    const { p, login, token } = await pymaxUser();
    expect(login.profile?.contact.names.length).toBeGreaterThan(0);
    expect(login.time).toBeTypeOf("number");
    expect(token).toBeTypeOf("string");
    expectFrameOk(await p.invoke(1, { interactive: true }), 1);
    // A revoked / unknown token: ApiError whose error or message is FAIL_LOGIN_TOKEN (base.py re-logs in).
    const q = track(await PyMaxPeer.connect(emu.url));
    await q.invoke(6, pymaxHello);
    const err = await q
      .invoke(19, {
        token: "revoked",
        chatsCount: 40,
        interactive: true,
        chatsSync: -1,
        contactsSync: -1,
        presenceSync: -1,
        draftsSync: -1,
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const payload = Py.parse(Py.ApiErrorPayload, (err as { payload: unknown }).payload);
    expect([payload.error, payload.message]).toContain("FAIL_LOGIN_TOKEN");
  });

  it("auth: 2FA (18 passwordChallenge → 115 {trackId, password}) and QR (288 → 289 → 290 approve → 291)", async () => {
    const phone = nextPhone();
    emu.admin.createUser({ phone, firstName: "Two", password: "secret" });
    const a = track(await PyMaxPeer.connect(emu.url));
    await a.invoke(6, pymaxHello);
    const start = Py.parse(
      Py.StartAuthResponse,
      (await a.invoke(17, { phone, type: "START_AUTH", mode: null })).payload,
    );
    const check = await a.invoke(18, {
      token: start.token,
      verifyCode: "123456",
      authTokenType: "CHECK_CODE",
    });
    const challenge = Py.parse(Py.PasswordChallenge, check.payload).passwordChallenge;
    const wrong = await a
      .invoke(115, { trackId: challenge.trackId, password: "nope" })
      .catch((e: { payload: unknown }) => e);
    Py.parse(Py.ApiErrorPayload, (wrong as { payload: unknown }).payload);
    const ok = await a.invoke(115, { trackId: challenge.trackId, password: "secret" });
    const token2fa = Py.parse(Py.LoginTokenAttrs, ok.payload).tokenAttrs.LOGIN.token;
    const { login } = await pymaxLogin(token2fa);
    expect(login.profile?.profileOptions).toContain(2);

    // QR: the new device asks, a logged-in one approves with the qrLink.
    const q = track(await PyMaxPeer.connect(emu.url));
    await q.invoke(6, pymaxHello);
    const qr = Py.parse(Py.RequestQrResponse, (await q.invoke(288, {})).payload);
    const before = Py.parse(Py.CheckQrResponse, (await q.invoke(289, { trackId: qr.trackId })).payload);
    expect(before.status.loginAvailable).toBe(false);
    const approver = await pymaxLogin(token2fa);
    await approver.p.invoke(290, { qrLink: qr.qrLink });
    const after = Py.parse(Py.CheckQrResponse, (await q.invoke(289, { trackId: qr.trackId })).payload);
    expect(after.status.loginAvailable).toBe(true);
    const done = Py.parse(Py.LoginTokenAttrs, (await q.invoke(291, { trackId: qr.trackId })).payload);
    const viaQr = await pymaxLogin(done.tokenAttrs.LOGIN.token);
    expect(viaQr.id).toBe(approver.id);
  });

  it("api/messages: send (markdown elements, int reply id), forward (negative cid), edit, history 49, 71, read 50, pin 55, delete 66", async () => {
    const me = await pymaxUser();
    const b = await peer();
    const dialogId = await dialogWith(b, me.id);
    const send = async (payload: unknown) =>
      Py.parse(Py.Message, Py.unwrapMessage((await me.p.invoke(64, payload)).payload));

    const first = await send({
      chatId: dialogId,
      message: {
        text: "Hello bold",
        cid: Date.now(),
        elements: [{ type: "STRONG", from: 6, length: 4 }],
        attaches: [],
      },
      notify: true,
    });
    expect(first.chatId).toBe(dialogId);
    const firstId = Number(first.id);
    const reply = await send({
      chatId: dialogId,
      message: {
        text: "re",
        cid: Date.now() + 1,
        elements: [],
        attaches: [],
        link: { type: "REPLY", messageId: firstId },
      },
      notify: false,
    });
    expect(reply.chatId).toBe(dialogId);

    // forward_message: cid negative, link {FORWARD, messageId as str, chatId of the source}, no text.
    const group = await me.p.invoke(64, {
      message: {
        cid: Date.now(),
        attaches: [{ _type: "CONTROL", event: "new", chatType: "CHAT", title: "fw", userIds: [b.id] }],
      },
      notify: true,
    });
    const groupId = Py.parse(Py.Chat, group.payload.chat).id;
    const fwd = await send({
      chatId: groupId,
      message: {
        cid: -Date.now(),
        link: { type: "FORWARD", messageId: String(firstId), chatId: dialogId },
        attaches: [],
      },
      notify: false,
    });
    expect(fwd.chatId).toBe(groupId);

    // edit_message: int message id, `attachments`; reads payload.message.
    const edited = await me.p.invoke(67, {
      chatId: dialogId,
      messageId: firstId,
      text: "edited text",
      elements: [{ type: "STRONG", from: 7, length: 4 }],
      attachments: [],
    });
    const em = Py.parse(Py.Message, edited.payload.message);
    expect(em.status).toBe("EDITED");

    // fetch_history with every field PyMax sends; items may lack chatId.
    const history = await me.p.invoke(49, {
      chatId: dialogId,
      forward: 0,
      backward: 40,
      backwardTime: 0,
      forwardTime: 0,
      getChat: false,
      from: Date.now() + 1000,
      itemType: "REGULAR",
      getMessages: true,
      interactive: false,
    });
    const items = (history.payload.messages as unknown[]).map((m) => Py.parse(Py.Message, m));
    expect(items.map((m) => Number(m.id))).toEqual(expect.arrayContaining([firstId, Number(reply.id)]));

    const got = await me.p.invoke(71, { chatId: dialogId, messageIds: [firstId] });
    expect(Py.parse(Py.Message, got.payload.messages[0]).text).toBe("edited text");

    // read_message: int id (socket) and str id (web).
    Py.parse(
      Py.ReadState,
      (
        await me.p.invoke(50, {
          type: "READ_MESSAGE",
          chatId: dialogId,
          messageId: firstId,
          mark: Date.now(),
        })
      ).payload,
    );
    Py.parse(
      Py.ReadState,
      (
        await me.p.invoke(50, {
          type: "READ_MESSAGE",
          chatId: dialogId,
          messageId: String(firstId),
          mark: Date.now(),
        })
      ).payload,
    );

    await me.p.invoke(55, { chatId: dialogId, notifyPin: false, pinMessageId: firstId });
    const chats = await me.p.invoke(48, { chatIds: [dialogId] });
    const dialog = Py.parse(Py.Chat, chats.payload.chats[0]);
    expect(Number(dialog.pinnedMessage?.id)).toBe(firstId);

    // delete_message(for_me=True) with int ids: gone from this user's history.
    await me.p.invoke(66, { chatId: dialogId, messageIds: [Number(reply.id)], forMe: true });
    const later = await me.p.invoke(49, {
      chatId: dialogId,
      forward: 0,
      backward: 40,
      from: Date.now() + 1000,
      getMessages: true,
    });
    expect(later.payload.messages.map((m: { id: string }) => Number(m.id))).not.toContain(Number(reply.id));
  });

  it("api/messages reactions: 178 {messageId str, reaction{EMOJI}} → reactionInfo, 180 → messagesReactions, 179, event 155", async () => {
    const me = await pymaxUser();
    const b = await peer();
    const dialogId = await dialogWith(b, me.id);
    const sent = await b.c.ok(64, {
      chatId: dialogId,
      message: { text: "react to me", cid: Date.now(), elements: [], attaches: [] },
    });
    const id: string = sent.message.id;
    const added = await me.p.invoke(178, {
      chatId: dialogId,
      messageId: id,
      reaction: { reactionType: "EMOJI", id: "👍" },
    });
    const info = Py.parse(Py.ReactionInfo, added.payload.reactionInfo);
    expect(info.totalCount).toBe(1);
    const ev = await b.c.event(155, (p) => p.payload.messageId === id);
    const parsed = Py.parse(Py.ReactionUpdateEvent, ev.payload);
    expect(parsed.counters[0]).toEqual({ count: 1, reaction: "👍" });
    const map = await me.p.invoke(180, { chatId: dialogId, messageIds: [id] });
    for (const v of Object.values(map.payload.messagesReactions)) Py.parse(Py.ReactionInfo, v);
    expect(Object.keys(map.payload.messagesReactions)).toEqual([id]);
    const removed = await me.p.invoke(179, { chatId: dialogId, messageId: id });
    if (removed.payload.reactionInfo) Py.parse(Py.ReactionInfo, removed.payload.reactionInfo);
  });

  it("api/chats: create_group (chat + message), invite, remove, settings with nulls, profile, rework invite link → chat.link, resolve, join, members, 48, 53, join requests, add_admin, leave", async () => {
    const me = await pymaxUser();
    const b = await peer();
    const c = await peer();
    const created = await me.p.invoke(64, {
      message: {
        cid: Date.now(),
        attaches: [{ _type: "CONTROL", event: "new", chatType: "CHAT", title: "py group", userIds: [b.id] }],
      },
      notify: true,
    });
    const chat = Py.parse(Py.Chat, created.payload.chat);
    Py.parse(Py.Message, Py.unwrapMessage(created.payload));
    const chatId = chat.id;

    const invited = await me.p.invoke(77, { chatId, userIds: [c.id], showHistory: true, operation: "add" });
    expect(Py.parse(Py.Chat, invited.payload.chat).participants?.[String(c.id)]).toBeTypeOf("number");
    const removed = await me.p.invoke(77, {
      chatId,
      userIds: [c.id],
      operation: "remove",
      cleanMsgPeriod: 0,
    });
    if (removed.payload.chat) Py.parse(Py.Chat, removed.payload.chat);

    // ChangeGroupSettingsOptions: unset options may travel as null.
    await me.p.invoke(55, {
      chatId,
      options: {
        ONLY_OWNER_CAN_CHANGE_ICON_TITLE: null,
        ALL_CAN_PIN_MESSAGE: true,
        ONLY_ADMIN_CAN_ADD_MEMBER: null,
        ONLY_ADMIN_CAN_CALL: null,
        MEMBERS_CAN_SEE_PRIVATE_LINK: null,
      },
    });
    const profile = await me.p.invoke(55, { chatId, theme: "py renamed", description: null });
    expect(Py.parse(Py.Chat, profile.payload.chat).title).toBe("py renamed");

    // rework_invite_link requires payload.chat; the new invite link is chat.link.
    const reworked = Py.parse(
      Py.Chat,
      (await me.p.invoke(55, { revokePrivateLink: true, chatId })).payload.chat,
    );
    expect(reworked.link).toMatch(/^https:\/\/max\.ru\/join\/[A-Za-z0-9_-]+$/);
    const joinLink = (reworked.link ?? "").slice((reworked.link ?? "").indexOf("join/"));

    const joiner = await pymaxUser();
    const preview = await joiner.p.invoke(89, { link: joinLink });
    expect(Py.parse(Py.Chat, preview.payload.chat).id).toBe(chatId);
    const joined = Py.parse(Py.Chat, (await joiner.p.invoke(57, { link: joinLink })).payload.chat);
    expect(joined.id).toBe(chatId);
    // A plain member does not get the private link.
    expect(joined.link ?? undefined).toBeUndefined();

    const members = await me.p.invoke(59, { type: "MEMBER", chatId, marker: 0, count: 50 });
    const list = (members.payload.members as unknown[]).map((m) => Py.parse(Py.Member, m));
    expect(list.map((m) => m.contact.id)).toEqual(expect.arrayContaining([me.id, b.id, joiner.id]));
    if (members.payload.marker !== undefined) expect(members.payload.marker).toBeTypeOf("number");

    const info = await me.p.invoke(48, { chatIds: [chatId] });
    Py.parse(Py.Chat, info.payload.chats[0]);
    const page = await me.p.invoke(53, { marker: Date.now() + 1000 });
    for (const ch of page.payload.chats) Py.parse(Py.Chat, ch);

    const requests = await me.p.invoke(59, { chatId, type: "JOIN_REQUEST", count: 100 });
    expect(requests.payload.members).toEqual([]);

    await me.p.invoke(77, { chatId, userIds: [b.id], type: "ADMIN", operation: "add", permissions: 2 | 16 });
    const admins = Py.parse(Py.Chat, (await me.p.invoke(48, { chatIds: [chatId] })).payload.chats[0]).admins;
    expect(admins).toContain(b.id);

    await joiner.p.invoke(58, { chatId });
    const after = await me.p.invoke(48, { chatIds: [chatId] });
    expect(Py.parse(Py.Chat, after.payload.chats[0]).participants?.[String(joiner.id)]).toBeUndefined();
  });

  it("api/uploads: photo (photoIds from the URL), video and file raw bodies with 136 waiters, attach, 83 / 88 request models", async () => {
    const me = await pymaxUser();
    const b = await peer();
    const dialogId = await dialogWith(b, me.id);

    // upload_photo: photos[<photoIds from the upload URL>].token.
    const photoUrl: string = (await me.p.invoke(80, { count: 1, type: 0, uploaderType: 0, profile: false }))
      .payload.url;
    const photoId = new URL(photoUrl).searchParams.get("photoIds") ?? "";
    expect(photoId).toMatch(/^\d+$/);
    const photoRes = await fetch(photoUrl, {
      method: "POST",
      body: multipart(jpegBytes(500), "image.jpg", "image/jpeg"),
    });
    const photos = Py.parse(Py.PhotoUploadResponse, await photoRes.json()).photos;
    const photoToken = photos[photoId]?.token;
    expect(photoToken).toBeTypeOf("string");
    // Only attachments: text (and link) may be None.
    const photoMsg = await me.p.invoke(64, {
      chatId: dialogId,
      message: {
        text: null,
        cid: Date.now(),
        elements: [],
        attaches: [{ _type: "PHOTO", photoToken }],
        link: null,
      },
      notify: true,
    });
    Py.parse(Py.Message, Py.unwrapMessage(photoMsg.payload));

    // upload_video: the waiter is registered before the POST; raw body, `bytes` Content-Range.
    const video = Py.parse(
      Py.VideoUploadResponse,
      (await me.p.invoke(82, { count: 1, type: 0, uploaderType: 0, profile: false })).payload,
    ).info[0]!;
    const videoReady = me.p.waitEvent(
      (f) => f.opcode === 136 && f.payload.videoId === video.videoId,
      5000,
      false,
    );
    const vres = await fetch(video.url, {
      method: "POST",
      headers: {
        "Content-Disposition": "attachment; filename=clip.mp4",
        "Content-Range": "bytes 0-999/1000",
      },
      body: bytes(1000),
    });
    expect(vres.status).toBe(200);
    await videoReady;
    const videoMsg = await me.p.invoke(64, {
      chatId: dialogId,
      message: {
        text: "clip",
        cid: Date.now(),
        elements: [],
        attaches: [{ _type: "VIDEO", videoId: video.videoId, token: video.token }],
      },
      notify: true,
    });
    const vm = Py.parse(Py.Message, Py.unwrapMessage(videoMsg.payload));
    // get_video_by_id: a quality → url map (PyMax takes the MP4_* url).
    const play = await me.p.invoke(83, {
      chatId: dialogId,
      messageId: Number(vm.id),
      videoId: video.videoId,
    });
    const urls = Object.entries(play.payload).filter(([k, v]) => /^MP4_/.test(k) && typeof v === "string");
    expect(urls.length).toBeGreaterThan(0);

    // upload_file: Content-Range without the `bytes` prefix; waits for 136 {fileId}.
    const file = Py.parse(
      Py.FileUploadResponse,
      (await me.p.invoke(87, { count: 1, type: 0, uploaderType: 0, profile: false })).payload,
    ).info[0]!;
    const fileReady = me.p.waitEvent(
      (f) => f.opcode === 136 && f.payload.fileId === file.fileId,
      5000,
      false,
    );
    const fres = await fetch(file.url, {
      method: "POST",
      headers: { "Content-Disposition": "attachment; filename=doc.txt", "Content-Range": "0-99/100" },
      body: bytes(100),
    });
    expect(fres.status).toBe(200);
    await fileReady;
    const fileMsg = await me.p.invoke(64, {
      chatId: dialogId,
      message: {
        text: null,
        cid: Date.now(),
        elements: [],
        attaches: [{ _type: "FILE", fileId: file.fileId }],
      },
      notify: true,
    });
    const fm = Py.parse(Py.Message, Py.unwrapMessage(fileMsg.payload));
    const dl = await me.p.invoke(88, { chatId: dialogId, messageId: String(fm.id), fileId: file.fileId });
    Py.parse(Py.FileRequest, dl.payload);
  });

  it("dispatcher events: 128 (new / EDITED / REMOVED), 130 read mark, 132 presence, 135 chat, 155 reactions — the keys PyMax maps", async () => {
    const me = await pymaxUser();
    const b = await peer();
    const dialogId = await dialogWith(b, me.id);
    const sent = await b.c.ok(64, {
      chatId: dialogId,
      message: { text: "/start", cid: Date.now(), elements: [], attaches: [] },
    });
    const id = sent.message.id;
    const isMsg = (status?: string) => (f: Frame) =>
      f.opcode === 128 && f.payload.message?.id === id && f.payload.message?.status === status;
    const created = Py.parse(Py.Message, Py.unwrapMessage((await me.p.waitEvent(isMsg(undefined))).payload));
    expect(created.chatId).toBe(dialogId);
    expect(created.text).toBe("/start");

    await b.c.ok(67, { chatId: dialogId, messageId: id, text: "/stop", elements: [], attaches: [] });
    Py.parse(Py.Message, Py.unwrapMessage((await me.p.waitEvent(isMsg("EDITED"))).payload));

    await b.c.ok(50, { type: "READ_MESSAGE", chatId: dialogId, messageId: id, mark: Date.now() });
    const read = await me.p.waitEvent((f) => f.opcode === 130);
    expect(Py.parse(Py.MessageReadEvent, read.payload)).toMatchObject({
      chatId: dialogId,
      userId: b.id,
      setAsUnread: false,
    });

    await b.c.ok(178, { chatId: dialogId, messageId: id, reaction: { reactionType: "EMOJI", id: "❤️" } });
    Py.parse(Py.ReactionUpdateEvent, (await me.p.waitEvent((f) => f.opcode === 155)).payload);

    await b.c.ok(66, { chatId: dialogId, messageIds: [id], forMe: false });
    const removed = await me.p.waitEvent(isMsg("REMOVED"));
    expect(Number(Py.parse(Py.Message, Py.unwrapMessage(removed.payload)).id)).toBe(Number(id));

    // 135: a chat update carrying pinnedMessage; 132: presence of a contact going offline.
    const grp = await b.c.ok(64, {
      message: {
        cid: Date.now(),
        attaches: [{ _type: "CONTROL", event: "new", chatType: "CHAT", title: "ev", userIds: [me.id] }],
      },
    });
    const m2 = await b.c.ok(64, {
      chatId: grp.chat.id,
      message: { text: "pin me", cid: Date.now(), elements: [], attaches: [] },
    });
    await b.c.ok(55, { chatId: grp.chat.id, notifyPin: true, pinMessageId: m2.message.id });
    const upd = await me.p.waitEvent(
      (f) => f.opcode === 135 && f.payload.chat?.pinnedMessage?.id === m2.message.id,
    );
    Py.parse(Py.Chat, upd.payload.chat);

    await me.p.invoke(34, { contactId: b.id, action: "ADD" });
    b.c.close();
    const presence = await me.p.waitEvent((f) => f.opcode === 132 && f.payload.userId === b.id, 5000, false);
    Py.parse(Py.PresenceEvent, presence.payload);
    // Every event frame the dispatcher saw is a push: cmd 1 with seq 0, never a pending seq.
    for (const f of me.p.dispatched.filter((x) => x.opcode >= 128)) expect(f.seq).toBe(0);
  });
});

// ════════════════════════════════════════════════════════════════════════════
describe("vkmax-node (antirek/vkmax-node)", () => {
  it("client.ts: no Origin, hello, 17, 18 (profile.phone), 19; functions/messages.ts with string ids", async () => {
    const me = await nodeSignIn();
    const b = await peer();
    const again = track(await SeqOnlyPeer.connect(emu.url, { origin: false }));
    await again.invoke(6, { userAgent: webUserAgent, deviceId: crypto.randomUUID() });
    const login = await again.invoke(19, {
      interactive: true,
      token: me.token,
      chatsSync: 0,
      contactsSync: 0,
      presenceSync: 0,
      draftsSync: 0,
      chatsCount: 40,
    });
    expect(login.payload.error).toBeUndefined();
    expect(login.payload.profile.phone).toBeTypeOf("number");

    const chatId = String(await dialogWith(b, me.id));
    const sent = await me.c.invoke(64, {
      chatId,
      message: { text: "node hi", cid: randomCid(), elements: [], attaches: [] },
      notify: true,
    });
    expectFrameOk(sent, 64);
    const id = sent.payload.message.id;
    expect(id).toBeTypeOf("string");
    const reply = await me.c.invoke(64, {
      chatId,
      message: {
        text: "re",
        cid: randomCid(),
        elements: [],
        link: { type: "REPLY", messageId: String(id) },
        attaches: [],
      },
      notify: true,
    });
    expectFrameOk(reply, 64);
    expectFrameOk(
      await me.c.invoke(67, {
        chatId,
        messageId: String(id),
        text: "node hi!",
        elements: [],
        attachments: [],
      }),
      67,
    );
    // readMessage: mark is generateRandomId() (a ms value that may be in the future).
    expectFrameOk(
      await me.c.invoke(50, { type: "READ_MESSAGE", chatId, messageId: String(id), mark: randomCid() }),
      50,
    );
    // getMessages: `from` omitted, or given as a string.
    const hist = await me.c.invoke(49, { chatId, forward: 0, backward: 30, getMessages: true });
    expectFrameOk(hist, 49);
    expect(hist.payload.messages.length).toBe(3);
    expectFrameOk(
      await me.c.invoke(49, {
        chatId,
        from: String(Date.now() + 1000),
        forward: 0,
        backward: 30,
        getMessages: true,
      }),
      49,
    );
    expectFrameOk(
      await me.c.invoke(66, { chatId, messageIds: [reply.payload.message.id], forMe: false }),
      66,
    );
    expect(me.c.misrouted).toEqual([]);
  });

  it("uploadAndSendPhoto / Video / File: photos key 0, <retval>1</retval>, and 136 after the late 65 notice", async () => {
    const me = await nodeSignIn();
    const b = await peer();
    const chatId = await dialogWith(b, me.id);
    await me.c.invoke(64, {
      chatId,
      message: { text: "open", cid: randomCid(), elements: [], attaches: [] },
      notify: true,
    });

    const url = (await me.c.invoke(80, { count: 1 })).payload.url;
    const result = (await (
      await fetch(url, { method: "POST", body: multipart(jpegBytes(200), "p.png", "image/png") })
    ).json()) as {
      photos: Record<string, { token: string }>;
    };
    const photoKey = Object.keys(result.photos)[0] ?? "";
    const photoToken = result.photos[photoKey]?.token;
    expect(photoToken).toBeTypeOf("string");
    const photoMsg = await me.c.invoke(64, {
      chatId,
      message: {
        text: "",
        cid: randomCid(),
        elements: [],
        attaches: [
          {
            _type: "PHOTO",
            type: "PHOTO",
            photoId: photoKey,
            photoToken,
            width: 300,
            height: 200,
            baseUrl: `https://i.oneme.ru/i?r=${photoKey}`,
          },
        ],
      },
      notify: true,
    });
    expectFrameOk(photoMsg, 64);
    expect(photoMsg.payload.message.id).toBeTypeOf("string");

    const info = (await me.c.invoke(82, { count: 1 })).payload.info[0];
    const vtext = await (
      await fetch(info.url, { method: "POST", body: multipart(bytes(900), "v.mp4", "video/mp4") })
    ).text();
    expect(vtext).toContain("<retval>1</retval>");
    expectFrameOk(
      await me.c.invoke(64, {
        chatId,
        message: {
          text: "",
          cid: randomCid(),
          elements: [],
          attaches: [{ token: info.token, videoId: info.videoId, _type: "VIDEO" }],
        },
        notify: true,
      }),
      64,
    );

    // uploadAndSendFile: POST, then 65 {chatId, type: FILE}, and only then a listener for 136.
    const file = (await me.c.invoke(87, { count: 1 })).payload.info[0];
    const ftext = await (
      await fetch(file.url, { method: "POST", body: multipart(bytes(321), "d.pdf", "application/pdf") })
    ).text();
    expect(ftext.length).toBeGreaterThan(0);
    await me.c.waitEvent((f) => f.opcode === 136 && f.payload.fileId === file.fileId); // the first one, unheard by vkmax-node
    expectFrameOk(await me.c.invoke(65, { chatId, type: "FILE" }), 65);
    const ready = await me.c.waitEvent(
      (f) => f.opcode === 136 && f.payload?.fileId === file.fileId,
      2000,
      false,
    );
    expect(ready.seq).toBe(0);
    const fileMsg = await me.c.invoke(64, {
      chatId,
      message: { cid: randomCid(), attaches: [{ _type: "FILE", fileId: file.fileId }] },
      notify: true,
    });
    expectFrameOk(fileMsg, 64);
    expect(fileMsg.payload.message.attaches[0]).toMatchObject({ _type: "FILE", fileId: file.fileId });
  });

  it("functions/groups.ts: ids as strings, addAdmin 'add', removeAdmin, getGroupMembers, joinGroupByLink (chat.id, chat.cid, 75, 49)", async () => {
    const me = await nodeSignIn();
    const b = await peer();
    const created = await me.c.invoke(64, {
      message: {
        cid: randomCid(),
        attaches: [
          { _type: "CONTROL", event: "new", chatType: "CHAT", title: "node grp", userIds: [String(b.id)] },
        ],
      },
      notify: true,
    });
    expectFrameOk(created, 64);
    const groupId = String(created.payload.chat.id);
    const c = await peer();
    expectFrameOk(
      await me.c.invoke(77, {
        chatId: groupId,
        userIds: [String(c.id)],
        showHistory: true,
        operation: "add",
      }),
      77,
    );
    const admin = await me.c.invoke(77, {
      chatId: groupId,
      userIds: [String(b.id)],
      type: "ADMIN",
      operation: "add",
      permissions: 255,
    });
    expect(admin.payload.chat.admins).toContain(b.id);
    const demoted = await me.c.invoke(77, {
      chatId: groupId,
      userIds: [String(b.id)],
      type: "ADMIN",
      operation: "remove",
    });
    expect(demoted.payload.chat.admins).not.toContain(b.id);
    expectFrameOk(
      await me.c.invoke(77, {
        chatId: groupId,
        userIds: [String(c.id)],
        operation: "remove",
        cleanMsgPeriod: -1,
      }),
      77,
    );
    const members = await me.c.invoke(59, { type: "MEMBER", marker: 0, chatId: groupId, count: 500 });
    expect(members.payload.members.length).toBe(2);
    expectFrameOk(
      await me.c.invoke(55, {
        chatId: groupId,
        options: {
          ONLY_OWNER_CAN_CHANGE_ICON_TITLE: true,
          ALL_CAN_PIN_MESSAGE: true,
          ONLY_ADMIN_CAN_ADD_MEMBER: true,
        },
      }),
      55,
    );

    const hash = (await me.c.invoke(56, { chatId: Number(groupId) })).payload.link.split("/").pop();
    const joiner = await nodeSignIn();
    expectFrameOk(await joiner.c.invoke(89, { link: `join/${hash}` }), 89);
    const data = await joiner.c.invoke(57, { link: `join/${hash}` });
    const chatId = data.payload.chat.id;
    const cid = data.payload.chat.cid;
    expect(cid).toBeTypeOf("number");
    expectFrameOk(await joiner.c.invoke(75, { chatId, subscribe: true }), 75);
    expectFrameOk(
      await joiner.c.invoke(49, { chatId, from: cid, forward: 0, backward: 30, getMessages: true }),
      49,
    );
  });
});

// ════════════════════════════════════════════════════════════════════════════
describe("matching rules: responses carry the request's seq, events seq 0", () => {
  it("64 requests in flight while events arrive: a seq-only matcher (vkmax, vkmax-node) pairs every answer right", async () => {
    const me = await vkmaxSignIn();
    const b = await peer();
    const dialogId = await dialogWith(b, me.id);
    await b.c.ok(64, {
      chatId: dialogId,
      message: { text: "start", cid: Date.now(), elements: [], attaches: [] },
    });
    await me.c.waitEvent((f) => f.opcode === 128 && f.payload.message.text === "start");
    const eventsBefore = me.c.events.filter((f) => f.opcode === 128).length;
    // Slow answers for `me`, so all 64 are pending while b's messages are pushed to it.
    emu.admin.delay(60, 5000, { userId: me.id });
    const ops = [48, 49, 32, 59] as const;
    const payloadOf = (op: number) =>
      op === 48
        ? { chatIds: [dialogId] }
        : op === 49
          ? { chatId: dialogId, from: Date.now(), forward: 0, backward: 5, getMessages: true }
          : op === 32
            ? { contactIds: [b.id] }
            : { type: "MEMBER", marker: 0, chatId: dialogId, count: 5 };
    const calls = Array.from({ length: 64 }, (_, i) => {
      const op = ops[i % ops.length] ?? 48;
      return me.c.invoke(op, payloadOf(op)).then((f) => ({ op, f }));
    });
    const sends = Array.from({ length: 20 }, (_, i) =>
      b.c.ok(64, {
        chatId: dialogId,
        message: { text: `burst ${i}`, cid: Date.now() + i, elements: [], attaches: [] },
      }),
    );
    await Promise.all(sends);
    const answers = await Promise.all(calls);
    emu.admin.clearFaults();
    for (const { op, f } of answers) {
      expect(f.opcode).toBe(op);
      expect(f.cmd).toBe(1);
    }
    // Distinct seqs 2..65 (1 was hello … the first 4 were the login), each answered once.
    expect(new Set(answers.map((a) => a.f.seq)).size).toBe(64);
    await me.c.waitEvent((f) => f.opcode === 128 && f.payload.message.text === "burst 19");
    const burst = me.c.events.filter((f) => f.opcode === 128).slice(eventsBefore);
    expect(burst.length).toBe(20);
    for (const f of burst) {
      // Pushes: cmd 0 as the service sends them, seq 0 which no waiting request holds.
      expect(f.seq).toBe(0);
      expect(f.cmd).toBe(0);
    }
    expect(me.c.misrouted).toEqual([]);
  });

  it("errors keep the request's seq and opcode; PyMax's seq 0 (first request, or after the wrap) is never answered by an event", async () => {
    const me = await pymaxUser();
    const b = await peer();
    const dialogId = await dialogWith(b, me.id);
    const bad = await me.p
      .invoke(48, { chatIds: "nope" })
      .catch((e: { opcode: number; payload: unknown }) => e);
    expect((bad as { opcode: number }).opcode).toBe(48);
    Py.parse(Py.ApiErrorPayload, (bad as { payload: unknown }).payload);

    // The counter wrapped: the next request goes out with seq 0 while b's message is pushed.
    emu.admin.delay(80, 5000, { userId: me.id });
    me.p.setNextSeq(0);
    const started = me.p.dispatched.length;
    const call = me.p.invoke(48, { chatIds: [dialogId] });
    await b.c.ok(64, {
      chatId: dialogId,
      message: { text: "during seq 0", cid: Date.now(), elements: [], attaches: [] },
    });
    const answer = await call;
    emu.admin.clearFaults();
    expect(answer.opcode).toBe(48);
    expect(answer.seq).toBe(0);
    await me.p.waitEvent((f) => f.opcode === 128 && f.payload.message?.text === "during seq 0");
    const order = me.p.dispatched.slice(started).map((f) => f.opcode);
    expect(order.indexOf(48)).toBeLessThan(order.indexOf(128));
  });
});
