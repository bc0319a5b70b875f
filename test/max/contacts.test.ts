/**
 * Conformance: MAX contacts and presence over raw packets — 32, 34, 35, 36, PyMax's 21 SYNC,
 * and the presence events 129 (seed: payload.userId / payload.presence) and 132 (PyMax).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isBlocked } from "../../src/max/emulator/handlers/contacts.js";
import { nextTurn, untilSentinel } from "../helpers/quiet.js";
import { emulatorFixture, expectErrorPacket, type RawClient, type RawPacket } from "./raw.js";

const world = emulatorFixture("933000");
const { nextPhone, login, connect } = world;
const expectError = expectErrorPacket;

beforeAll(world.start);
afterAll(world.stop);

/**
 * Returns once everything the server sends `watcher` for what happened so far has arrived: the
 * server first finishes handling closed sockets, then a sentinel message is pushed to `watcher`
 * (same ordered socket), and we wait for it.
 */
async function settle(watcher: { client: RawClient; userId: number }): Promise<void> {
  const hub = world.emu.server.emu.hub;
  for (let i = 0; i < 1000 && [...hub.connections()].some((c) => !c.link.writable); i++) {
    await nextTurn();
  }
  const text = `sentinel ${Math.random()}`;
  const { userId: from } = world.emu.admin.createUser({ phone: nextPhone(), firstName: "Sentinel" });
  await untilSentinel<RawPacket>(
    (push) => {
      const onMessage = (data: Buffer) => push(JSON.parse(String(data)) as RawPacket);
      watcher.client.ws.on("message", onMessage);
      return () => watcher.client.ws.off("message", onMessage);
    },
    (p) => p.opcode === 128 && p.payload?.message?.text === text,
    () => world.emu.admin.sendMessage({ fromUserId: from, toUserId: watcher.userId, text }),
  );
}

describe("32 GET_CONTACTS", () => {
  it("answers the known users and skips unknown ids", async () => {
    const a = await login();
    const { userId: bId } = world.emu.admin.createUser({
      phone: nextPhone(),
      firstName: "Bob",
      lastName: "Stone",
    });
    const res = await a.client.ok(32, { contactIds: [bId, 999, String(bId)] });
    expect(res.contacts).toHaveLength(1);
    expect(res.contacts[0]).toMatchObject({
      id: bId,
      names: [{ name: "Bob Stone", firstName: "Bob", lastName: "Stone" }],
    });
    expect(res.contacts[0].updateTime).toBeTypeOf("number");
    // Not a contact yet: no phone number.
    expect(res.contacts[0].phone).toBeUndefined();
    expectError(await a.client.call(32, { contactIds: "x" }), 32, "proto.payload");
  });
});

describe("34 CONTACT_ACTION", () => {
  it("adds, renames, blocks, unblocks and removes", async () => {
    const a = await login();
    const bPhone = nextPhone();
    const { userId: bId } = world.emu.admin.createUser({ phone: bPhone, firstName: "Bea" });

    const added = await a.client.ok(34, { contactId: bId, action: "ADD", firstName: "Bestie" });
    expect(added.contact.id).toBe(bId);
    expect(added.contact.names[0]).toMatchObject({ name: "Bestie", type: "CUSTOM" });
    expect(added.contact.names[1]).toMatchObject({ name: "Bea" });
    expect(added.contact.phone).toBe(Number(bPhone.slice(1)));

    const renamed = await a.client.ok(34, {
      contactId: bId,
      action: "UPDATE",
      firstName: "Bea",
      lastName: "Work",
    });
    expect(renamed.contact.names[0]).toMatchObject({
      name: "Bea Work",
      firstName: "Bea",
      lastName: "Work",
      type: "CUSTOM",
    });

    const relog = await (await connect()).tokenLogin(a.token);
    expect(relog.contacts.map((c: { id: number }) => c.id)).toEqual([bId]);
    expect(relog.contacts[0].names[0].name).toBe("Bea Work");

    const blocked = await a.client.ok(34, { contactId: bId, action: "BLOCK" });
    expect(blocked.contact.status).toBe("BLOCKED");
    expect(isBlocked(world.emu.server.emu, a.userId, bId)).toBe(true);
    expect(isBlocked(world.emu.server.emu, bId, a.userId)).toBe(false);

    const unblocked = await a.client.ok(34, { contactId: bId, action: "UNBLOCK" });
    expect(unblocked.contact.status).toBeUndefined();
    expect(isBlocked(world.emu.server.emu, a.userId, bId)).toBe(false);

    const removed = await a.client.ok(34, { contactId: bId, action: "REMOVE" });
    expect(removed.contact.names).toHaveLength(1);
    expect(removed.contact.status).toBe("REMOVED");
    const after = await (await connect()).tokenLogin(a.token);
    expect(after.contacts).toEqual([]);
  });

  it("blocks a stranger who is not a contact", async () => {
    const a = await login();
    const { userId: bId } = world.emu.admin.createUser({ phone: nextPhone(), firstName: "Spam" });
    const res = await a.client.ok(34, { contactId: bId, action: "BLOCK" });
    expect(res.contact.status).toBe("BLOCKED");
    expect(isBlocked(world.emu.server.emu, a.userId, bId)).toBe(true);
  });

  it("rejects unknown users, oneself and unknown actions", async () => {
    const a = await login();
    expectError(await a.client.call(34, { contactId: 424242, action: "ADD" }), 34, "not.found");
    expectError(await a.client.call(34, { contactId: a.userId, action: "ADD" }), 34, "proto.payload");
    expectError(await a.client.call(34, { contactId: a.userId, action: "HUG" }), 34, "proto.payload");
  });
});

describe("21 SYNC (PyMax contact import)", () => {
  it("adds the users behind known phones under the given names", async () => {
    const a = await login();
    const bPhone = nextPhone();
    const { userId: bId } = world.emu.admin.createUser({ phone: bPhone, firstName: "Real" });
    const shyPhone = nextPhone();
    const shy = await login(shyPhone);
    await shy.client.ok(22, { settings: { user: { SEARCH_BY_PHONE: "NOBODY" } } });
    const res = await a.client.ok(21, {
      contactList: {
        [bPhone]: { firstName: "Ada" },
        "+79999999999": { firstName: "Nobody" },
        [shyPhone]: { firstName: "Shy" },
      },
    });
    expect(res.contacts).toHaveLength(1);
    expect(res.contacts[0]).toMatchObject({ id: bId, phone: Number(bPhone.slice(1)) });
    expect(res.contacts[0].names[0]).toMatchObject({ name: "Ada", type: "CUSTOM" });
    const relog = await (await connect()).tokenLogin(a.token);
    expect(relog.contacts.map((c: { id: number }) => c.id)).toEqual([bId]);
  });
});

describe("presence", () => {
  it("35 answers presence: online users with status 1, offline ones with seen only", async () => {
    const a = await login();
    const b = await login();
    const { userId: offId } = world.emu.admin.createUser({ phone: nextPhone(), firstName: "Off" });
    const res = await a.client.ok(35, { contactIds: [b.userId, offId, 777], subscribe: true });
    expect(Object.keys(res.presence).sort()).toEqual([String(b.userId), String(offId)].sort());
    expect(res.presence[String(b.userId)]).toEqual({ seen: expect.any(Number), status: 1 });
    expect(Math.abs(res.presence[String(b.userId)].seen - Date.now() / 1000)).toBeLessThan(5);
    expect(res.presence[String(offId)]).toEqual({ seen: 0 });
  });

  it("subscribers get 129 and 132 when a user comes online and goes offline", async () => {
    const watcher = await login();
    const { userId, phone } = await (async () => {
      const p = nextPhone();
      return { phone: p, ...world.emu.admin.createUser({ phone: p, firstName: "Target" }) };
    })();
    await watcher.client.ok(35, { contactIds: [userId], subscribe: true });

    const target = await connect();
    await target.smsLogin(phone);
    const on = await watcher.client.event(129, (p) => p.payload.userId === userId);
    expect(on).toMatchObject({ cmd: 0, seq: 0, opcode: 129 });
    expect(on.payload.presence).toMatchObject({ on: "ON", status: 1, seen: expect.any(Number) });
    expect(on.payload.time).toBeTypeOf("number");
    const on132 = await watcher.client.event(132, (p) => p.payload.userId === userId);
    expect(on132.payload.presence).toEqual({ seen: expect.any(Number), status: 1 });

    // A second device of the same user does not announce again.
    const second = await connect();
    await second.smsLogin(phone);
    second.close();
    await second.closed;

    target.close();
    const off = await watcher.client.event(
      129,
      (p) => p.payload.userId === userId && p.payload.presence.on === "OFF",
    );
    expect(off.payload.presence.status).toBeUndefined();
    expect(off.payload.presence.seen).toBeGreaterThan(0);
    const off132 = await watcher.client.event(
      132,
      (p) => p.payload.userId === userId && p.payload.presence.status === undefined,
    );
    expect(off132.payload.presence.seen).toBe(off.payload.presence.seen);
    await settle(watcher);
    expect(watcher.client.events(129).filter((p) => p.payload.userId === userId)).toHaveLength(0);

    // Unsubscribed: nothing more.
    await watcher.client.ok(35, { contactIds: [userId], subscribe: false });
    const third = await connect();
    await third.smsLogin(phone);
    await settle(watcher);
    expect(watcher.client.events(129).filter((p) => p.payload.userId === userId)).toHaveLength(0);
  });

  it("contacts hear presence without subscribing", async () => {
    const owner = await login();
    const p = nextPhone();
    const { userId } = world.emu.admin.createUser({ phone: p, firstName: "Friend" });
    await owner.client.ok(34, { contactId: userId, action: "ADD" });
    const friend = await connect();
    await friend.smsLogin(p);
    const on = await owner.client.event(129, (x) => x.payload.userId === userId);
    expect(on.payload.presence.on).toBe("ON");
  });

  it("36 SET_PRESENCE hidden looks offline and announces nothing until shown again", async () => {
    const watcher = await login();
    const target = await login();
    await watcher.client.ok(35, { contactIds: [target.userId], subscribe: true });

    expect(await target.client.ok(36, { hidden: true })).toEqual({});
    const off = await watcher.client.event(129, (p) => p.payload.userId === target.userId);
    expect(off.payload.presence.on).toBe("OFF");
    await watcher.client.event(
      132,
      (p) => p.payload.userId === target.userId && p.payload.presence.status === undefined,
    );
    const hidden = await watcher.client.ok(35, { contactIds: [target.userId], subscribe: true });
    expect(hidden.presence[String(target.userId)].status).toBeUndefined();

    // Hidden users' logins and logouts are silent.
    const extra = await connect();
    await extra.tokenLogin(target.token);
    extra.close();
    await extra.closed;
    await settle(watcher);
    expect(watcher.client.events(129).filter((p) => p.payload.userId === target.userId)).toHaveLength(0);

    await target.client.ok(36, { status: "ONLINE" });
    const on = await watcher.client.event(129, (p) => p.payload.userId === target.userId);
    expect(on.payload.presence).toMatchObject({ on: "ON", status: 1 });

    await target.client.ok(36, { status: "HIDDEN" });
    await watcher.client.event(
      129,
      (p) => p.payload.userId === target.userId && p.payload.presence.on === "OFF",
    );
    expectError(await target.client.call(36, {}), 36, "proto.payload");
  });

  it("a user who blocked someone looks offline to them and sends them no presence", async () => {
    const blocker = await login();
    const blocked = await login();
    await blocker.client.ok(34, { contactId: blocked.userId, action: "BLOCK" });
    const res = await blocked.client.ok(35, { contactIds: [blocker.userId], subscribe: true });
    expect(res.presence[String(blocker.userId)].status).toBeUndefined();
    const again = await connect();
    await again.tokenLogin(blocker.token);
    blocker.client.close();
    again.close();
    await again.closed;
    await settle(blocked);
    expect(blocked.client.events(129).filter((p) => p.payload.userId === blocker.userId)).toHaveLength(0);
  });
});
