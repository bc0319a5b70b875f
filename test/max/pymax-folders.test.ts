/**
 * Conformance: PyMax's chat folders (MaxApiTeam/PyMax api/self/service.py create_folder,
 * update_folder, delete_folder, get_folders; payloads from api/self/payloads.py; answers read as
 * types/domain/folder.py Folder / FolderUpdate / FolderList) as raw packets: 274 FOLDERS_UPDATE
 * `{id, title, include, filters, options?}`, 276 FOLDERS_DELETE `{folderIds}`, 272 FOLDERS_GET
 * `{folderSync}`.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorFixture, expectErrorPacket, loggedIn, RawClient, startEmulator } from "./raw.js";

const fx = emulatorFixture("915400");
beforeAll(fx.start);
afterAll(fx.stop);

/** A dialog between two fresh accounts; returns the first account and the chat id. */
async function withDialog() {
  const a = await fx.login();
  const b = await fx.login();
  const sent = await a.client.ok(64, {
    userId: b.userId,
    message: { cid: Date.now(), text: "hi", elements: [], attaches: [] },
    notify: true,
  });
  return { a, b, chatId: Number(sent.chatId) };
}

describe("PyMax chat folders (272, 274, 276)", () => {
  it("create, update and list: FolderUpdate / FolderList shapes, order and a growing sync mark", async () => {
    const { a, b, chatId } = await withDialog();
    const empty = await a.client.ok(272, { folderSync: 0 });
    expect(empty).toMatchObject({ folders: [], foldersOrder: [], allFilterExcludeFolders: [] });

    const work = randomUUID();
    const created = await a.client.ok(274, { id: work, title: "Work", include: [chatId], filters: [] });
    expect(created.folder).toEqual({
      id: work,
      title: "Work",
      include: [chatId],
      filters: [],
      options: [],
      updateTime: expect.any(Number),
      sourceId: 0,
    });
    expect(created.foldersOrder).toEqual([work]);
    expect(created.folderSync).toBeGreaterThan(0);

    const home = randomUUID();
    const second = await a.client.ok(274, { id: home, title: "Home", include: [], filters: ["UNREAD"] });
    expect(second.foldersOrder).toEqual([work, home]);
    expect(second.folderSync).toBeGreaterThan(created.folderSync);

    // update_folder sends every field, options included; the folder keeps its place.
    const updated = await a.client.ok(274, {
      id: work,
      title: "Job",
      include: [],
      filters: [],
      options: ["HIDE_MUTED"],
    });
    expect(updated.folder).toMatchObject({ id: work, title: "Job", include: [], options: ["HIDE_MUTED"] });
    expect(updated.foldersOrder).toEqual([work, home]);
    expect(updated.folderSync).toBeGreaterThan(second.folderSync);

    const list = await a.client.ok(272, { folderSync: 0 });
    expect(list.folderSync).toBe(updated.folderSync);
    expect(list.foldersOrder).toEqual([work, home]);
    expect(list.folders.map((f: { title: string }) => f.title)).toEqual(["Job", "Home"]);
    expect(list.folders[1]).toMatchObject({ id: home, filters: ["UNREAD"], include: [] });

    // Folders are per account.
    expect((await b.client.ok(272, { folderSync: 0 })).folders).toEqual([]);
  });

  it("delete: 276 answers what is left; unknown ids are no error", async () => {
    const { a } = await withDialog();
    const one = randomUUID();
    const two = randomUUID();
    await a.client.ok(274, { id: one, title: "One", include: [], filters: [] });
    const made = await a.client.ok(274, { id: two, title: "Two", include: [], filters: [] });
    const deleted = await a.client.ok(276, { folderIds: [one] });
    expect(deleted.foldersOrder).toEqual([two]);
    expect(deleted.folderSync).toBeGreaterThan(made.folderSync);
    const again = await a.client.ok(276, { folderIds: ["no-such-folder"] });
    expect(again).toMatchObject({ foldersOrder: [two], folderSync: deleted.folderSync });
    const list = await a.client.ok(272, { folderSync: 0 });
    expect(list.folders.map((f: { id: string }) => f.id)).toEqual([two]);
  });

  it("bad folders are refused with protocol errors and change nothing", async () => {
    const { a, chatId } = await withDialog();
    const stranger = await fx.login();
    const id = randomUUID();
    // Chats the user is not in, or that do not exist.
    expectErrorPacket(
      await stranger.client.call(274, { id, title: "Spy", include: [chatId], filters: [] }),
      274,
      "chat.not.access",
    );
    expectErrorPacket(
      await a.client.call(274, { id, title: "Ghost", include: [987654321], filters: [] }),
      274,
      "chat.not.found",
    );
    expectErrorPacket(
      await a.client.call(274, { id, title: "   ", include: [], filters: [] }),
      274,
      "proto.payload",
    );
    expectErrorPacket(
      await a.client.call(274, { title: "No id", include: [], filters: [] }),
      274,
      "proto.payload",
    );
    expectErrorPacket(
      await a.client.call(274, { id, title: "x", include: ["abc"], filters: [] }),
      274,
      "proto.payload",
    );
    expectErrorPacket(await a.client.call(276, { folderIds: [] }), 276, "proto.payload");
    expectErrorPacket(await a.client.call(276, {}), 276, "proto.payload");
    expect((await a.client.ok(272, { folderSync: 0 })).folders).toEqual([]);
    expect((await stranger.client.ok(272, { folderSync: 0 })).folders).toEqual([]);

    // Before login.
    const anon = await fx.connect();
    await anon.hello();
    expectErrorPacket(await anon.call(274, { id, title: "x", include: [], filters: [] }), 274, "proto.state");
    expectErrorPacket(await anon.call(276, { folderIds: [id] }), 276, "proto.state");
  });

  it("an account holds at most 50 folders", async () => {
    const { client } = await fx.login();
    for (let i = 0; i < 50; i++)
      await client.ok(274, { id: `f${i}`, title: `F${i}`, include: [], filters: [] });
    expectErrorPacket(
      await client.call(274, { id: "f50", title: "one too many", include: [], filters: [] }),
      274,
      "proto.payload",
    );
    // Updating an existing one still works at the limit.
    expect(
      (await client.ok(274, { id: "f0", title: "renamed", include: [], filters: [] })).folder.title,
    ).toBe("renamed");
  });

  it("folders are stored: they survive an emulator restart on the same database", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "sb-max-folders-")), "max.db");
    const first = await startEmulator({ file });
    const { client, token } = await loggedIn(first.url, "+79154019999");
    const id = randomUUID();
    await client.ok(274, { id, title: "Kept", include: [], filters: [] });
    client.close();
    await first.close();

    const second = await startEmulator({ file });
    try {
      const again = await RawClient.connect(second.url);
      await again.tokenLogin(token);
      const list = await again.ok(272, { folderSync: 0 });
      expect(list.folders).toEqual([expect.objectContaining({ id, title: "Kept" })]);
      again.close();
    } finally {
      await second.close();
    }
  });
});
