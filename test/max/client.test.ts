/** MaxClient: every method against the emulator over loopback. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryCredentialStore, serverCredentials } from "../../src/core/credentials.js";
import {
  AbortError,
  ApiError,
  AuthError,
  RateLimitError,
  TimeoutError,
  TransportError,
  ValidationError,
} from "../../src/core/errors.js";
import { MaxClient, type MaxSession, Opcode } from "../../src/max/index.js";
import { type Emulator, nextEvent, nextPhone, signedIn, startEmulator, until } from "./client-helpers.js";

let emu: Emulator;
let ann: Awaited<ReturnType<typeof signedIn>>;
let bob: Awaited<ReturnType<typeof signedIn>>;
let dialogId: number;

beforeAll(async () => {
  emu = await startEmulator();
  ann = await signedIn(emu);
  bob = await signedIn(emu);
  dialogId = (await ann.sendToUser(bob.userId!, "hello")).chatId;
});
afterAll(async () => {
  await ann?.close();
  await bob?.close();
  await emu?.close();
});

describe("auth", () => {
  it("SMS login stores the token and deviceId, and a new client logs in with them", async () => {
    // The client's view of the store: sessions are kept per server URL + account.
    const store = serverCredentials(new MemoryCredentialStore<MaxSession>(), { url: emu.url });
    const phone = nextPhone();
    const a = new MaxClient({ url: emu.url, credentials: store, account: "me" });
    expect(await a.connect()).toEqual({ loggedIn: false });
    expect(await a.requestCode(phone)).toEqual({ codeLength: 6 });
    const r = await a.signIn("123456");
    expect(r.status).toBe("ok");
    const saved = await store.load("me");
    expect(saved?.token).toMatch(/.{20,}/);
    expect(saved?.deviceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(saved?.userId).toBe(a.userId);
    await a.close();

    const b = new MaxClient({ url: emu.url, credentials: store, account: "me" });
    expect(await b.connect()).toEqual({ loggedIn: true });
    expect(b.userId).toBe(a.userId);
    expect((await store.load("me"))?.deviceId).toBe(saved?.deviceId);
    await b.close();
  });

  it("a wrong code is an ApiError with the server's code; the right one still works", async () => {
    const c = new MaxClient({ url: emu.url });
    await c.requestCode(nextPhone());
    const err = await c.signIn("000000").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe("error.code.wrong");
    expect((await c.signIn("123456")).status).toBe("ok");
    await c.close();
  });

  it("signIn before requestCode is a ValidationError", async () => {
    const c = new MaxClient({ url: emu.url });
    await expect(c.signIn("1")).rejects.toBeInstanceOf(ValidationError);
    await c.close();
  });

  it("2FA: signIn answers a password challenge, checkPassword (115) finishes", async () => {
    const phone = nextPhone();
    emu.admin.createUser({ phone, firstName: "Secure", password: "hunter2", hint: "classic" } as never);
    const c = new MaxClient({ url: emu.url });
    await c.requestCode(phone);
    const r = await c.signIn("123456");
    expect(r.status).toBe("password");
    if (r.status === "password") expect(typeof r.hint).toBe("string");
    const wrong = await c.checkPassword("nope").catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(ApiError);
    expect((wrong as ApiError).code).toBe("error.password.wrong");
    const profile = await c.checkPassword("hunter2");
    expect(profile.contact.names[0]?.name).toContain("Secure");
    expect(c.loggedIn).toBe(true);
    await c.close();
  });

  it("QR login yields the link, resolves when another device approves it", async () => {
    const c = new MaxClient({ url: emu.url });
    const steps: string[] = [];
    const profile = await c.loginWithQr((qr) => {
      steps.push(qr.qrLink);
      void ann.approveQr(qr.qrLink);
    });
    expect(steps[0]).toMatch(/^https:\/\/max\.ru\/:auth\//);
    expect(profile.contact.id).toBe(ann.userId);
    expect(c.userId).toBe(ann.userId);
    await c.close();
  });

  it("QR login through the seed's opcodes 20 / 21 works the same", async () => {
    const c = new MaxClient({ url: emu.url });
    for await (const step of c.qrLogin({ seedOpcode: true })) {
      if (step.type === "qr") await bob.approveQr(step.qr.qrLink, { seedOpcode: true });
      else expect(step.profile.contact.id).toBe(bob.userId);
    }
    expect(c.userId).toBe(bob.userId);
    await c.close();
  });

  it("a refused stored token logs out (stale session removed); loginByToken rejects a bad one", async () => {
    const store = serverCredentials(new MemoryCredentialStore<MaxSession>(), { url: emu.url });
    await store.save("default", { deviceId: "d1", token: "not-a-token" });
    const stale = new MaxClient({ url: emu.url, credentials: store });
    expect(await stale.connect()).toEqual({ loggedIn: false });
    expect(await store.load("default")).toBeUndefined();
    await stale.close();
    const bad = new MaxClient({ url: emu.url, reconnect: false });
    await expect(bad.loginByToken("not-a-token")).rejects.toBeInstanceOf(AuthError);
    await bad.close();

    const token = (await ann.credentials.load("default"))?.token;
    const c = new MaxClient({ url: emu.url });
    const profile = await c.loginByToken(token!);
    expect(profile.contact.id).toBe(ann.userId);
    expect(c.contacts).toEqual([]);
    await c.close();
  });
});

describe("messages", () => {
  it("sendMessage / sendToUser: the other side gets a typed message event", async () => {
    const got = nextEvent(bob, "message", (e) => e.message.text === "ping 1");
    const sent = await ann.sendMessage(dialogId, "ping 1");
    expect(sent).toMatchObject({ chatId: dialogId, text: "ping 1", sender: ann.userId });
    expect(typeof sent.id).toBe("string");
    const e = await got;
    expect(e).toMatchObject({
      chatId: dialogId,
      catchUp: false,
      message: { id: sent.id, sender: ann.userId },
    });
  });

  it("replies, forwards, edits, deletes and fetches by id", async () => {
    const first = await ann.sendMessage(dialogId, "original");
    const reply = await bob.sendMessage(dialogId, "answer", { replyTo: first.id });
    expect(reply.link).toMatchObject({ type: "REPLY", messageId: first.id });

    const group = await ann.createGroup("Forward target", [bob.userId!]);
    const fwd = await ann.forwardMessages(dialogId, [first.id], group.id);
    expect(fwd.link).toMatchObject({ type: "FORWARD" });

    const edited = nextEvent(bob, "messageEdited", (e) => e.message.id === first.id);
    const e1 = await ann.editMessage(dialogId, first.id, "original, edited");
    expect(e1).toMatchObject({ id: first.id, text: "original, edited", status: "EDITED" });
    expect((await edited).message.text).toBe("original, edited");

    const [fetched] = await ann.getMessages(dialogId, [first.id]);
    expect(fetched?.text).toBe("original, edited");

    const deleted = nextEvent(bob, "messageDeleted", (e) => e.messageIds.includes(first.id));
    await ann.deleteMessage(dialogId, first.id);
    expect((await deleted).chatId).toBe(dialogId);
    expect((await ann.getHistory(dialogId, { backward: 100 })).map((m) => m.id)).not.toContain(first.id);
  });

  it("deleteMessages: a batch for everyone, and one for me only; off() stops a listener", async () => {
    const a = await ann.sendMessage(dialogId, "batch a");
    const b = await ann.sendMessage(dialogId, "batch b");
    const mine = await ann.sendMessage(dialogId, "hide me");
    const seen: string[] = [];
    const listener = (e: { messageIds: string[] }) => {
      seen.push(...e.messageIds);
    };
    bob.on("messageDeleted", listener);
    const gone = nextEvent(bob, "messageDeleted", (e) => e.messageIds.includes(b.id));
    await ann.deleteMessages(dialogId, [a.id, b.id]);
    await gone;
    expect(seen).toEqual(expect.arrayContaining([a.id, b.id]));
    bob.off("messageDeleted", listener);

    await ann.deleteMessages(dialogId, [mine.id], { forMe: true });
    await bob.ping();
    const annSees = (await ann.getHistory(dialogId, { backward: 100 })).map((m) => m.id);
    const bobSees = (await bob.getHistory(dialogId, { backward: 100 })).map((m) => m.id);
    expect(annSees).not.toContain(mine.id);
    expect(annSees).not.toContain(a.id);
    expect(bobSees).toContain(mine.id); // "for me" hides it from Ann only
    expect(bobSees).not.toContain(b.id);
    expect(seen).not.toContain(mine.id); // the listener was removed (and Bob got no delete anyway)
  });

  it("getHistory pages around a time, oldest first; search finds text", async () => {
    const a = await ann.sendMessage(dialogId, "needle alpha");
    const b = await ann.sendMessage(dialogId, "needle beta");
    const page = await ann.getHistory(dialogId, { backward: 2 });
    expect(page.map((m) => m.id)).toEqual([a.id, b.id]);
    const after = await ann.getHistory(dialogId, { from: a.time - 1, forward: 10, backward: 0 });
    expect(after.map((m) => m.id)).toContain(b.id);
    const found = await bob.search("needle", { chatId: dialogId });
    expect(found.map((m) => m.text).sort()).toEqual(["needle alpha", "needle beta"]);
    expect(found[0]?.chatId).toBe(dialogId);
  });

  it("markRead / markUnread push read marks; typing shows up on the other side", async () => {
    const m = await ann.sendMessage(dialogId, "read me");
    const read = nextEvent(ann, "read", (e) => e.userId === bob.userId);
    const state = await bob.markRead(dialogId, m.id);
    expect(state.unread).toBe(0);
    expect(await read).toMatchObject({ chatId: dialogId, userId: bob.userId, setAsUnread: false });
    const unread = await bob.markUnread(dialogId);
    expect(unread.unread).toBeGreaterThanOrEqual(0);

    const typing = nextEvent(bob, "typing", (e) => e.userId === ann.userId);
    await ann.setTyping(dialogId);
    expect(await typing).toMatchObject({ chatId: dialogId, userId: ann.userId });
    expect(await bob.getTyping(dialogId)).toContain(ann.userId);
  });

  it("reactions: react pushes 155, unreact clears, getReactions / details read them", async () => {
    const m = await ann.sendMessage(dialogId, "react to me");
    const pushed = nextEvent(ann, "reaction", (e) => e.messageId === m.id);
    const info = (await bob.react(dialogId, m.id, "👍")) as { totalCount: number };
    expect(info.totalCount).toBe(1);
    expect(await pushed).toMatchObject({
      chatId: dialogId,
      totalCount: 1,
      counters: [{ reaction: "👍", count: 1 }],
    });
    const map = await ann.getReactions(dialogId, [m.id]);
    expect(map[m.id]).toMatchObject({ totalCount: 1 });
    const details = await ann.getReactionDetails(dialogId, m.id);
    expect(details.totalCount).toBe(1);
    const cleared = (await bob.unreact(dialogId, m.id)) as { totalCount: number };
    expect(cleared.totalCount).toBe(0);
  });

  it("text over 4000 chars is a ValidationError (nothing sent); split sends parts in order", async () => {
    const long = `${"a".repeat(3990)} ${"b".repeat(100)}`;
    await expect(ann.sendMessage(dialogId, long)).rejects.toBeInstanceOf(ValidationError);
    const texts: string[] = [];
    const off = bob.on("message", (e) => {
      if (e.chatId === dialogId) texts.push(e.message.text);
    });
    const last = await ann.sendMessage(dialogId, long, { split: true });
    expect(last.text).toBe("b".repeat(100));
    await until(() => texts.length >= 2);
    off();
    expect(texts).toEqual(["a".repeat(3990), "b".repeat(100)]);
  });

  it("requests the schema rejects fail before sending", async () => {
    const err = await ann.getUsers(["x" as unknown as number]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]).toMatch(/contactIds/);
  });
});

describe("chats", () => {
  it("groups: create, info, list, settings, pin, invite, join, resolve, members, admins, leave", async () => {
    const carol = await signedIn(emu);
    try {
      const updated = nextEvent(bob, "chatUpdated");
      const group = await ann.createGroup("Team", [bob.userId!]);
      expect(group).toMatchObject({ type: "CHAT", title: "Team" });
      expect((await updated).chat.id).toBe(group.id);

      expect((await ann.getChat(group.id))?.title).toBe("Team");
      expect((await ann.getChats([group.id, dialogId])).map((c) => c.id).sort()).toEqual(
        [group.id, dialogId].sort(),
      );
      const list = await ann.listChats({ count: 100 });
      expect(list.chats.map((c) => c.id)).toContain(group.id);

      const renamed = await ann.updateChat(group.id, { title: "Team 2", description: "d" });
      expect(renamed?.title).toBe("Team 2");
      const m = await ann.sendMessage(group.id, "pin me");
      expect((await ann.pinMessage(group.id, m.id))?.pinnedMessage?.id).toBe(m.id);
      expect((await ann.unpinMessage(group.id))?.pinnedMessage).toBeUndefined();

      const link = await ann.getInviteLink(group.id);
      expect(link).toMatch(/join\//);
      const resolved = await carol.resolveLink(link);
      expect(resolved.chat?.id).toBe(group.id);
      const joined = await carol.joinByLink(link);
      expect(joined.id).toBe(group.id);

      const members = await ann.getMembers(group.id);
      expect(members.members.map((x) => x.user.id).sort()).toEqual(
        [ann.userId, bob.userId, carol.userId].sort(),
      );

      await ann.removeMembers(group.id, [carol.userId!]);
      expect((await ann.getMembers(group.id)).members.map((x) => x.user.id)).not.toContain(carol.userId);
      await ann.addMembers(group.id, [carol.userId!]);
      await ann.makeAdmin(group.id, [bob.userId!]);
      const admins = await ann.getMembers(group.id, { admins: true });
      expect(admins.members.map((x) => x.user.id)).toContain(bob.userId);
      await ann.removeAdmin(group.id, [bob.userId!]);
      expect((await ann.getMembers(group.id, { admins: true })).members.map((x) => x.user.id)).not.toContain(
        bob.userId,
      );

      await carol.leaveChat(group.id);
      const err = await carol.getHistory(group.id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      await bob.leaveChat(group.id, { pymaxOpcode: true });
      expect((await ann.getMembers(group.id)).members.map((x) => x.user.id)).toEqual([ann.userId]);
    } finally {
      await carol.close();
    }
  });

  it("channels: create one, members join through its link", async () => {
    const channel = await ann.createChannel("News");
    expect(channel).toMatchObject({ type: "CHANNEL", title: "News" });
    const link = await ann.getInviteLink(channel.id);
    expect((await bob.joinByLink(link)).id).toBe(channel.id);
  });
});

describe("contacts, presence, account", () => {
  it("getUsers, add / rename / block / unblock / remove contact, getContacts", async () => {
    const [u] = await ann.getUsers([bob.userId!]);
    expect(u?.id).toBe(bob.userId);
    expect((await ann.addContact(bob.userId!, { firstName: "Bobby" })).id).toBe(bob.userId);
    expect((await ann.renameContact(bob.userId!, { firstName: "Robert" })).id).toBe(bob.userId);
    const blocked = await ann.blockContact(bob.userId!);
    expect(JSON.stringify(blocked)).toMatch(/BLOCK/);
    await ann.unblockContact(bob.userId!);
    await ann.removeContact(bob.userId!);
    expect(await ann.getContacts()).toEqual([]);
  });

  it("presence: subscribe, then see the other user come and go once per change", async () => {
    const dave = await signedIn(emu);
    const now = await ann.subscribePresence([dave.userId!]);
    expect(now[String(dave.userId)]).toMatchObject({ status: 1 });
    const seen: boolean[] = [];
    const off = ann.on("presence", (e) => {
      if (e.userId === dave.userId) seen.push(e.online);
    });
    await dave.setPresence("HIDDEN");
    await until(() => seen.includes(false), 3000, "offline presence");
    await dave.setPresence("ONLINE");
    await until(() => seen.includes(true), 3000, "online presence");
    off();
    // 129 and 132 both arrive for each change: the client delivers each change once.
    expect(seen).toEqual([false, true]);
    await dave.close();
  });

  it("updateProfile, settings, 2FA management, sessions", async () => {
    const c = await signedIn(emu);
    try {
      const p = await c.updateProfile({ firstName: "Renamed", description: "about" });
      expect(p.contact.names[0]?.firstName).toBe("Renamed");
      const s = await c.settings({ user: { SEARCH_BY_PHONE: "CONTACTS" } });
      expect(JSON.stringify(s)).toContain("CONTACTS");

      expect(await c.getTwoFactor()).toEqual({ enabled: false, hint: "" });
      expect((await c.setTwoFactor("pw-1", { hint: "h" })).enabled).toBe(true);
      await expect(c.removeTwoFactor("wrong")).rejects.toBeInstanceOf(ApiError);
      await c.removeTwoFactor("pw-1");
      expect((await c.getTwoFactor()).enabled).toBe(false);

      const other = new MaxClient({ url: emu.url, reconnect: false });
      await other.requestCode(c.phone);
      await other.signIn("123456");
      const sessions = await c.sessions();
      expect(sessions.filter((x) => x.current)).toHaveLength(1);
      expect(sessions.length).toBeGreaterThanOrEqual(2);
      const revoked = nextEvent(other, "state", (e) => e.state === "disconnected" || e.state === "closed");
      await c.terminateOtherSessions();
      await revoked;

      // terminateSession by id: that device is disconnected and its token stops working.
      const thirdStore = serverCredentials(new MemoryCredentialStore<MaxSession>(), { url: emu.url });
      const third = new MaxClient({ url: emu.url, reconnect: false, credentials: thirdStore });
      await third.requestCode(c.phone);
      await third.signIn("123456");
      const thirdToken = (await thirdStore.load("default"))?.token;
      expect(thirdToken).toBeTruthy();
      const target = (await c.sessions()).find((x) => !x.current);
      expect(target).toBeDefined();
      const cut = nextEvent(third, "state", (e) => e.state === "disconnected" || e.state === "closed");
      await c.terminateSession(target!.id);
      await cut;
      await third.close();
      const retry = new MaxClient({ url: emu.url, reconnect: false });
      await expect(retry.loginByToken(thirdToken!)).rejects.toBeInstanceOf(AuthError);
      await retry.close();
      expect(await c.sessions()).toHaveLength(1);
      await other.close();
      expect((await c.sessionsInfo()).filter((x) => x.current)).toHaveLength(1);

      // 97 rotates this session's token: it is stored, and a reconnect logs in with it.
      const store = c.credentials;
      const before = (await store.load("default"))?.token;
      await c.resetSessions();
      const after = (await store.load("default"))?.token;
      expect(after).toBeTruthy();
      expect(after).not.toBe(before);
      let reconnected = false;
      const offState = c.on("state", (st) => {
        if (st.state === "reconnecting") reconnected = true;
      });
      emu.admin.drop({ userId: c.userId! });
      await until(
        () => reconnected && c.loggedIn && c.state === "connected",
        5000,
        "re-login with the rotated token",
      );
      offState();
      await c.ping();
      const raw = await c.invoke<{ contacts: unknown[] }>(Opcode.GET_CONTACTS, { contactIds: [c.userId] });
      expect(raw.contacts).toHaveLength(1);
    } finally {
      await c.close();
    }
  });
});

describe("media", () => {
  const dir = mkdtempSync(join(tmpdir(), "sb-max-media-"));

  it("photo: POST answer gives the token (no 136 wait), message carries the photo", async () => {
    const path = join(dir, "p.png");
    writeFileSync(path, Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"));
    const progress: number[] = [];
    const got = nextEvent(bob, "message", (e) => e.message.attaches.some((a) => a._type === "PHOTO"));
    const m = await ann.sendMedia(dialogId, "photo", path, {
      caption: "pic",
      onProgress: (p) => progress.push(p.sent),
    });
    expect(m.attaches[0]).toMatchObject({ _type: "PHOTO" });
    expect(progress.at(-1)).toBe(16);
    const e = await got;
    const url = await bob.getDownloadUrl(e.message.attaches[0]!, {
      chatId: dialogId,
      messageId: e.message.id,
    });
    expect(url).toMatch(/^http/);
  });

  it.each(["file", "video", "voice"] as const)(
    "%s: upload waits for 136, sends, downloads the same bytes",
    async (kind) => {
      const bytes = Buffer.alloc(70_000, kind.charCodeAt(0));
      const path = join(dir, `${kind}.bin`);
      writeFileSync(path, bytes);
      const progress: { sent: number; total?: number }[] = [];
      const completed: unknown[] = [];
      const offDone = ann.on("uploadComplete", (d) => {
        completed.push(d);
      });
      const attach = await ann.uploadAttach(kind, path, { onProgress: (p) => progress.push(p) });
      offDone();
      // The public event carries the same id the attach refers to.
      const id = attach as { fileId?: number; videoId?: number; audioId?: number; voiceId?: number };
      expect(JSON.stringify(completed)).toContain(
        String(id.fileId ?? id.videoId ?? id.audioId ?? id.voiceId),
      );
      expect(progress.at(-1)).toEqual({ sent: bytes.length, total: bytes.length });
      const m = await ann.sendMessage(dialogId, { text: "", attaches: [attach] });
      const sentAttach = m.attaches[0]!;
      const url = await bob.getDownloadUrl(sentAttach, { chatId: dialogId, messageId: m.id });
      const target = join(dir, `${kind}.out`);
      const { bytes: n } = await bob.download(url, target);
      expect(n).toBe(bytes.length);
      expect(readFileSync(target).equals(bytes)).toBe(true);
    },
  );

  it("upload notice (65) and raw upload slots (80 / 82 / 84 / 87)", async () => {
    await ann.notifyUpload(dialogId, "video");
    const [photo] = await ann.getUploadSlots("photo");
    expect(photo?.url).toMatch(/^http/);
    const [video] = await ann.getUploadSlots("video");
    expect(video).toMatchObject({ videoId: expect.any(Number), token: expect.any(String) });
    const [voice] = await ann.getUploadSlots("voice");
    expect(voice?.url).toMatch(/^http/);
    const files = await ann.getUploadSlots("file", 2);
    expect(files).toHaveLength(2);
    expect(files[0]).toMatchObject({ fileId: expect.any(Number) });
  });

  it("streams a source of known size and reports totals", async () => {
    const data = Buffer.alloc(10_000, 7);
    const progress: { sent: number; total?: number }[] = [];
    const attach = await ann.uploadAttach(
      "file",
      {
        source: Readable.from([data.subarray(0, 4000), data.subarray(4000)]),
        size: data.length,
        name: "s.bin",
      },
      { onProgress: (p) => progress.push(p) },
    );
    expect(attach).toMatchObject({ _type: "FILE" });
    expect(progress.at(-1)).toEqual({ sent: 10_000, total: 10_000 });
  });

  it("an upload whose 136 doesn't come in time fails with TimeoutError", async () => {
    const path = join(dir, "late.bin");
    writeFileSync(path, Buffer.alloc(1000));
    emu.admin.delay(300, 2000, { userId: ann.userId! });
    try {
      const err = await ann.uploadAttach("file", path, { processTimeoutMs: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TimeoutError);
      expect((err as TimeoutError).code).toBe("upload_timeout");
    } finally {
      emu.admin.clearFaults();
    }
  });
});

describe("transport behaviour", () => {
  it("per-call timeout, AbortSignal, server error mapping", async () => {
    emu.admin.delay(400, 1500, { userId: ann.userId! });
    try {
      const t = await ann.getChats([dialogId], { timeoutMs: 50 }).catch((e: unknown) => e);
      expect(t).toBeInstanceOf(TimeoutError);
      const ac = new AbortController();
      const p = ann.getChats([dialogId], { signal: ac.signal });
      ac.abort();
      await expect(p).rejects.toBeInstanceOf(AbortError);
      // The emulator runs in this process: let it read the aborted frame before arming a fault.
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      emu.admin.clearFaults();
    }
    emu.admin.failNext(1, { userId: ann.userId!, opcode: Opcode.GET_CHATS, error: "error.rate_limited" });
    await expect(ann.getChats([dialogId])).rejects.toBeInstanceOf(RateLimitError);
    expect((await ann.getChats([dialogId]))[0]?.id).toBe(dialogId);
  });

  it("a drop rejects pending requests with TransportError at once, then the client resumes", async () => {
    const c = await signedIn(emu);
    try {
      emu.admin.delay(3000, 3000, { userId: c.userId! });
      const states: string[] = [];
      c.on("state", (s) => {
        states.push(s.state);
      });
      const pending = c.getChats([1]).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 50));
      const started = Date.now();
      emu.admin.drop({ userId: c.userId! });
      const err = await pending;
      expect(err).toBeInstanceOf(TransportError);
      expect(Date.now() - started).toBeLessThan(1000);
      emu.admin.clearFaults();
      await until(() => c.state === "connected" && c.loggedIn, 5000, "reconnect");
      expect(states).toContain("reconnecting");
      expect(await c.getUsers([c.userId!])).toHaveLength(1);
    } finally {
      emu.admin.clearFaults();
      await c.close();
    }
  });

  it("events() iterates typed events and ends when the client closes", async () => {
    const c = await signedIn(emu);
    const it = c.events({ types: ["message"] });
    await ann.sendToUser(c.userId!, "via iterator");
    const first = await it.next();
    expect(first.value).toMatchObject({ type: "message", data: { message: { text: "via iterator" } } });
    await c.close();
    expect((await it.next()).done).toBe(true);
    await expect(c.getChats([1])).rejects.toBeInstanceOf(TransportError);
  });
});
