import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError, AuthError, ValidationError } from "../../src/core/errors.js";
import { MaxImClient } from "../../src/maxim/client/index.js";
import { fromSegments, toMessage } from "../../src/maxim/convert.js";
import { type Harness, startEmulator, TOKEN } from "./harness.js";

describe("MaxImClient against the emulator", () => {
  let h: Harness;
  let admin: MaxImClient;
  const id: Record<string, number> = {};
  let group = 0;

  beforeAll(async () => {
    h = await startEmulator();
    admin = new MaxImClient({ url: h.base, appId: "welovemaxim", token: TOKEN, retries: 0 });
    for (const n of ["alice", "bob", "carol", "dave"])
      id[n] = (await admin.registerUser({ username: n, password: "pw" })).user_id;
  });
  afterAll(() => h.close());

  it("users: batch register, token, profile, settings, disable/enable, kick, tags", async () => {
    const batch = await admin.registerUsers([
      { username: "eve", password: "pw" },
      { username: "alice", password: "pw" },
      { username: "123", password: "pw" },
    ]);
    expect(batch.map((b) => b.success)).toEqual([true, false, false]);
    expect(batch[1]?.reason).toBe("10004");
    const t = await admin.userToken({ name: "alice", password: "pw" });
    expect(t.user_id).toBe(id.alice);
    const alice = admin.withToken(t.token);
    await alice.updateProfile({ nick_name: "Alice", description: "hi" });
    expect(await alice.profile()).toMatchObject({ user_id: id.alice, username: "alice", nick_name: "Alice" });
    await alice.updateSettings({ group_confirm: true, no_push_start_hour: 22 });
    expect(await alice.settings()).toMatchObject({ group_confirm: true, no_push_start_hour: 22 });
    await alice.updateSettings({ group_confirm: false });
    // A user token was just issued and used: online (see docs/maxim.md "Presence").
    expect(await alice.onlineStatus()).toEqual({ online: true });
    await alice.addPushTags(["x", "y"]);
    await alice.removePushTags(["x"]);
    expect(await alice.pushTags()).toEqual(["y"]);
    expect(await alice.bindPushAlias("tok-a", "alias-a")).toBe(true);
    await expect(alice.disableUsers([id.bob as number])).rejects.toMatchObject({ code: 10010 });
    await admin.disableUsers([id.dave as number]);
    await expect(admin.userToken({ name: "dave", password: "pw" })).rejects.toMatchObject({ code: 10010 });
    await admin.enableUsers([id.dave as number]);
    await alice.kick();
    const err = await alice.profile().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({ code: 10008, platform: "maxim" });
    expect((err as Error).message).not.toContain(t.token);
  });

  it("friends: add, apply/accept/decline, alias, block, search, paging", async () => {
    const a = admin.asUser(id.alice as number);
    const b = admin.asUser(id.bob as number);
    const c = admin.asUser(id.carol as number);
    await a.addRoster([id.dave as number]);
    await b.updateSettings({ auth_mode: 1 });
    await a.applyFriend({ user_id: id.bob as number, reason: "hi" });
    const apps = [];
    for await (const x of b.friendApplications()) apps.push(x);
    expect(apps).toMatchObject([{ user_id: id.alice, status: 0, reason: "hi" }]);
    await b.acceptFriend(id.alice as number);
    await c.applyFriend({ user_id: id.bob as number });
    await b.declineFriend(id.carol as number);
    await expect(b.acceptFriend(id.carol as number)).rejects.toMatchObject({ code: 10007 });
    const friends = [];
    for await (const f of a.friendIds({ limit: 1 })) friends.push(f);
    expect(friends).toEqual([id.dave, id.bob]);
    await a.updateFriend({ user_id: id.bob as number, alias: "Bobby", mute_notification: true });
    expect((await a.rosters()).find((r) => r.user_id === id.bob)?.name).toBe("Bobby");
    expect(await a.friendDetails([id.bob as number])).toMatchObject([
      { alias: "Bobby", mute_notification: true, relation: 0 },
    ]);
    expect(await a.findUserByName("bob")).toMatchObject({ user_id: id.bob });
    expect(await a.findUserById(id.carol as number)).toMatchObject({ username: "carol", relation: 2 });
    await a.blockUser(id.carol as number);
    expect(await a.blockedUsers()).toEqual([id.carol]);
    await a.unblockUser(id.carol as number);
    await a.deleteFriend(id.dave as number);
    expect((await a.rosters()).map((r) => r.user_id)).toEqual([id.bob]);
  });

  it("groups: lifecycle, roles, invitations, applications, bans, announcements, files, QR", async () => {
    const a = admin.asUser(id.alice as number);
    const b = admin.asUser(id.bob as number);
    const c = admin.asUser(id.carol as number);
    const d = admin.asUser(id.dave as number);
    const g = await a.createGroup({ name: "team", description: "d", user_list: [id.bob as number] });
    group = g.group_id;
    expect(g.owner_id).toBe(id.alice);
    await a.updateGroupInfo(group, "name", "team2");
    await a.updateGroupSetting(group, "history_visible", true);
    expect(await b.groupInfo(group)).toMatchObject({ name: "team2", history_visible: true, count: 2 });
    expect(await b.groupSettings(group)).toMatchObject({ name: "team2" });
    expect(await a.groupsInfo([group, 1])).toHaveLength(1);
    await a.addGroupAdmins(group, [id.bob as number]);
    expect((await a.groupAdmins(group)).map((m) => m.user_id)).toEqual([id.bob]);
    await c.updateSettings({ group_confirm: true });
    expect(await b.invite({ group_id: group, user_list: [id.carol as number] })).toMatchObject([
      { result: "success" },
    ]);
    const invs = [];
    for await (const i of c.invitations()) invs.push(i);
    expect(invs).toMatchObject([{ group_id: group, inviter_id: id.bob, status: 0 }]);
    await c.handleInvitation({ group_id: group, user_id: id.bob as number, approval: true });
    expect(await d.applyGroup(group, "let me in")).toMatchObject({ result: "success" });
    const apps = [];
    for await (const x of b.applications([group])) apps.push(x);
    expect(apps).toMatchObject([{ applicant_id: id.dave, status: 0 }]);
    await b.handleApplication({ group_id: group, user_id: id.dave as number, approval: true });
    const all = [];
    for await (const m of a.members(group, { limit: 2 })) all.push(m.user_id);
    expect(all).toEqual([id.alice, id.bob, id.carol, id.dave]);
    const page = await a.memberPage(group, { limit: 3 });
    expect(page.cursor).toBeDefined();
    expect((await a.memberPage(group, { limit: 3, cursor: page.cursor })).members).toHaveLength(1);
    expect(await d.joinedGroups()).toEqual([group]);
    await d.setDisplayName(group, "D");
    expect(await a.memberDisplayNames(group, [id.dave as number])).toMatchObject([{ display_name: "D" }]);
    await d.setGroupPushMode(group, 2);
    await d.setGroupMuteMode(group, 1);
    await b.banMembers(group, [id.dave as number], 10);
    expect((await a.bannedMembers(group)).map((m) => m.user_id)).toEqual([id.dave]);
    await expect(
      d.sendMessage({ targets: [group], type: 2, content_type: 0, content: "x" }),
    ).rejects.toMatchObject({ code: 10010 });
    await b.unbanMembers(group, [id.dave as number]);
    expect((await a.banAll(group, 5)).ban_expire_time).toBeGreaterThan(0);
    await a.unbanAll(group);
    await a.setApplyApproval(group, 0);
    const ann = await b.createAnnouncement(group, "T", "C");
    expect(await d.announcement(group, ann.id)).toMatchObject({ title: "T", author: id.bob });
    expect((await d.lastAnnouncement(group)).id).toBe(ann.id);
    expect(await d.announcements(group)).toHaveLength(1);
    await b.deleteAnnouncement(group, ann.id);
    const f = await d.uploadGroupFile({ group_id: group, name: "a.txt", size: 3, url: "https://x/a.txt" });
    await d.renameGroupFile(group, f.file_id, "b.txt");
    expect((await a.groupFile(group, f.file_id)).name).toBe("b.txt");
    expect(await a.groupFiles(group)).toHaveLength(1);
    expect(await c.deleteGroupFiles(group, [f.file_id])).toMatchObject([{ result: "fail", reason: "20023" }]);
    expect(await b.deleteGroupFiles(group, [f.file_id])).toMatchObject([{ result: "success" }]);
    await b.kickMembers(group, [id.dave as number]);
    const qr = await c.groupQrCode(group);
    await d.joinByQrCode(qr.qr_info);
    await a.blockGroupUsers(group, [id.dave as number]);
    expect((await a.groupBlockedList(group)).map((x) => x.user_id)).toEqual([id.dave]);
    await a.unblockGroupUsers(group, [id.dave as number]);
    await c.leaveGroup(group);
    await a.removeGroupAdmins(group, [id.bob as number]);
    expect(await a.transferGroup(group, id.bob as number)).toMatchObject({ result: "success" });
    await expect(a.destroyGroup(group)).rejects.toMatchObject({ code: 20013 });
    const e = await a.leaveGroup(group);
    expect(e).toBe(true);
  });

  it("messages: send every content type, conversation paging, unread, ack, recall", async () => {
    const a = admin.asUser(id.alice as number);
    const b = admin.asUser(id.bob as number);
    for (let ct = 0; ct <= 7; ct++) {
      const media = ct >= 1 && ct <= 4;
      await a.sendMessage({
        targets: [id.bob as number],
        type: 1,
        content_type: ct,
        content: `m${ct}`,
        ...(media ? { attachment: { url: "https://x/f", dName: "f", fLen: 1 } } : {}),
        ext: { k: ct },
        config: "{}",
      });
    }
    const unread = await b.unread();
    expect(unread).toEqual([{ conversation_id: { uid: id.alice }, num: 8 }]);
    const msgs = [];
    for await (const m of b.conversation(id.alice as number, { limit: 3 })) msgs.push(m);
    expect(msgs.map((m) => m.ctype)).toEqual([
      "FORWARD",
      "COMMAND",
      "LOCATION",
      "FILE",
      "VIDEO",
      "AUDIO",
      "IMAGE",
      "TEXT",
    ]);
    expect(JSON.parse(msgs[0]?.ext ?? "{}")).toEqual({ k: 7 });
    await b.ack(id.alice as number);
    expect(await b.unread()).toEqual([]);
    const first = msgs.at(-1);
    await a.recallMessage(id.bob as number, first?.msg_id as number);
    const after = await b.conversationPage(id.alice as number, { limit: 50 });
    expect(after.messages).toHaveLength(7);
    await expect(b.recallMessage(id.alice as number, msgs[0]?.msg_id as number)).rejects.toMatchObject({
      code: 10010,
    });
    // group message delivered to members' conversations
    await admin.sendMessage({
      targets: [group],
      type: 2,
      content_type: 0,
      content: "to all",
      from_user_id: id.bob,
    });
    const gm = await b.conversationPage(group);
    expect(gm.messages[0]).toMatchObject({ content: "to all", from_xid: { uid: id.bob } });
    // adapter round trip
    const unified = toMessage("acct", id.bob as number, msgs[6] as never, false);
    expect(unified.content[0]).toMatchObject({ type: "image", attachment: { url: "https://x/f" } });
    expect(fromSegments({ id: 5, group: false }, [{ type: "text", text: "hi" }])).toEqual({
      targets: [5],
      type: 1,
      content_type: 0,
      content: "hi",
    });
  });

  it("push, validation errors and typed API errors", async () => {
    expect(
      await admin.pushNotify({ audience: { alias: ["alias-a"] }, message: { title: "t", body: "b" } }),
    ).toBe(true);
    expect(h.emu.admin.pushes().at(-1)?.message).toMatchObject({ type: "text", title: "t" });
    await expect(admin.registerUser({ username: "mta_x", password: "p" })).rejects.toBeInstanceOf(
      ValidationError,
    );
    const err = await admin
      .asUser(id.alice as number)
      .groupInfo(42)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      code: 20001,
      message: "MaxIM 20001: Group does not exist",
      retryable: false,
    });
    const bad = new MaxImClient({ url: h.base, appId: "ghost", token: TOKEN, retries: 0 });
    await expect(bad.pushNotify({ audience: "all", message: {} })).rejects.toBeInstanceOf(AuthError);
  });

  it("retries a send with transaction_id once the server recovers, without duplicating", async () => {
    const retrying = new MaxImClient({
      url: h.base,
      appId: "welovemaxim",
      token: TOKEN,
      retries: 2,
    });
    h.emu.admin.failNext(20000, { path: "/message/send" });
    const before = h.emu.admin.messages().length;
    await retrying.sendMessage({
      targets: [id.bob as number],
      type: 1,
      content_type: 0,
      content: "r",
      transaction_id: 9001,
    });
    await retrying.sendMessage({
      targets: [id.bob as number],
      type: 1,
      content_type: 0,
      content: "r",
      transaction_id: 9001,
    });
    expect(h.emu.admin.messages().length).toBe(before + 1);
    h.emu.admin.failNext(20000, { path: "/message/send" });
    await expect(
      retrying.sendMessage({ targets: [id.bob as number], type: 1, content_type: 0, content: "no-txn" }),
    ).rejects.toMatchObject({ code: 20000 });
  });
});
