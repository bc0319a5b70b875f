/**
 * Conformance, as PyMax sends them (MaxApiTeam/PyMax: CHAT_MEMBERS 59 in load_members /
 * find_members / get_chat_members; MSG_TYPING 65): 59 always answers a `marker` (PyMax 1.x reads it
 * unconditionally; 0 = no next page) and filters by `query`; 65 takes `type: "TEXT"` as typing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MaxClient } from "../../src/max/client/index.js";
import { emulatorFixture } from "./raw.js";

const fx = emulatorFixture("915000");
beforeAll(fx.start);
afterAll(fx.stop);

async function group() {
  const owner = await fx.login();
  const others = [await fx.login(), await fx.login(), await fx.login()];
  const names = ["Zebra", "Yak", "Zebu"];
  for (const [i, o] of others.entries()) await o.client.ok(16, { firstName: names[i], lastName: "Test" });
  const created = await owner.client.ok(64, {
    message: {
      cid: 1750000000777,
      attaches: [
        {
          _type: "CONTROL",
          event: "new",
          chatType: "CHAT",
          title: "Members",
          userIds: others.map((o) => o.userId),
        },
      ],
    },
    notify: true,
  });
  return { owner, others, chatId: Number(created.chat?.id ?? created.chatId) };
}

describe("59 CHAT_MEMBERS as PyMax reads it", () => {
  it("pages with a marker on every answer, 0 on the last page", async () => {
    const { owner, chatId } = await group();
    const first = await owner.client.ok(59, { type: "MEMBER", chatId, marker: 0, count: 2 });
    expect(first.members).toHaveLength(2);
    expect(first.marker).toBeGreaterThan(0);
    const second = await owner.client.ok(59, { type: "MEMBER", chatId, marker: first.marker, count: 2 });
    expect(second.members).toHaveLength(2);
    expect(second.marker).toBe(0);
    const ids = [...first.members, ...second.members].map((m: { contact: { id: number } }) => m.contact.id);
    expect(new Set(ids).size).toBe(4);
  });

  it("filters by query (find_members), case-insensitively, with a marker", async () => {
    const { owner, others, chatId } = await group();
    const found = await owner.client.ok(59, { type: "MEMBER", chatId, query: "ZEB", count: 50 });
    const ids = found.members.map((m: { contact: { id: number } }) => m.contact.id).sort();
    expect(ids).toEqual([others[0]!.userId, others[2]!.userId].sort());
    expect(found.marker).toBe(0);
    const paged = await owner.client.ok(59, { type: "MEMBER", chatId, query: "zeb", count: 1 });
    expect(paged.members).toHaveLength(1);
    expect(paged.marker).toBeGreaterThan(0);
    const rest = await owner.client.ok(59, {
      type: "MEMBER",
      chatId,
      query: "zeb",
      count: 1,
      marker: paged.marker,
    });
    expect(rest.members.map((m: { contact: { id: number } }) => m.contact.id)).not.toEqual(
      paged.members.map((m: { contact: { id: number } }) => m.contact.id),
    );
    expect(rest.marker).toBe(0);
  });

  it("our MaxClient stops paging at marker 0", async () => {
    const { owner, chatId } = await group();
    const client = new MaxClient({ url: fx.emu.url, token: owner.token, timeoutMs: 5000 });
    try {
      await client.connect();
      const page = await client.getMembers(chatId, { count: 10 });
      expect(page.members).toHaveLength(4);
      expect(page.marker).toBeUndefined();
    } finally {
      await client.close();
    }
  });
});

describe("65 with PyMax's MSG_TYPING shape", () => {
  it("takes {chatId, type: TEXT} as typing and tells the other members", async () => {
    const { owner, others, chatId } = await group();
    // Typing reaches the others as the seed's typing event (opcode 51, cmd 0).
    const seen = others[0]!.client.event(
      51,
      (p) => p.payload?.chatId === chatId && p.payload?.userId === owner.userId && p.payload?.type === "TEXT",
    );
    expect(await owner.client.ok(65, { chatId, type: "TEXT" })).toEqual({});
    await seen;
  });
});
