/** The MaxIM console provider writing as a user, through the console's JSON routes (no browser). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { api } from "../sandbox/proc.js";

// biome-ignore lint/suspicious/noExplicitAny: route answers are inspected loosely
type Any = any;
const APP = "switchboard-demo";

describe("console: MaxIM writes as a user", () => {
  let sb: Sandbox;
  let base: string;
  const ids: Record<string, string> = {};

  /** A user token from MaxIM's own login, then a REST call with it (as that user). */
  const asUser = async (name: string, password: string, path: string) => {
    const login = (await fetch(`${sb.urls.maxim}/token/user`, {
      method: "POST",
      headers: { app_id: APP, "content-type": "application/json" },
      body: JSON.stringify({ name, password }),
    }).then((r) => r.json())) as Any;
    expect(login.code).toBe(200);
    return (await fetch(`${sb.urls.maxim}${path}`, {
      headers: { app_id: APP, "access-token": login.data.token },
    }).then((r) => r.json())) as Any;
  };

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, data: null, seed: "demo" });
    base = sb.urls.console;
    const { accounts } = (await api(base, "GET", "/_sandbox/console/maxim/accounts")).body as Any;
    for (const a of accounts) ids[a.name] = a.id;
    expect(Object.keys(ids)).toEqual(expect.arrayContaining(["alice", "bob", "carol"]));
  });
  afterAll(async () => {
    await sb?.close();
  });

  it("offers send and createChat", async () => {
    const { platforms } = (await api(base, "GET", "/_sandbox/console/platforms")).body as Any;
    const maxim = platforms.find((p: Any) => p.id === "maxim");
    expect(maxim.features).toEqual(
      expect.arrayContaining(["accounts", "chats", "messages", "send", "createChat"]),
    );
  });

  it("sends to a user: in the console history and in the recipient's REST conversation", async () => {
    const sent = await api(base, "POST", "/_sandbox/console/maxim/messages", {
      as: ids.carol,
      to: ids.bob,
      text: "Hello from the console",
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    const [lo, hi] = [ids.carol, ids.bob].map(Number).sort((a, b) => a - b);
    expect(sent.body).toEqual({ chatId: `u:${lo}:${hi}`, messageId: expect.stringMatching(/^\d+$/) });

    const history = (await api(base, "GET", `/_sandbox/console/maxim/chats/${sent.body.chatId}/messages`))
      .body as Any;
    expect(history.messages.at(-1)).toMatchObject({
      id: sent.body.messageId,
      authorId: ids.carol,
      authorName: "carol",
      text: "Hello from the console",
    });
    const chats = (await api(base, "GET", `/_sandbox/console/maxim/chats?as=${ids.bob}`)).body as Any;
    expect(chats.chats.map((c: Any) => c.id)).toContain(sent.body.chatId);

    const conv = await asUser(
      "bob",
      "bob-pass",
      `/message/conversation?opposite_id=${ids.carol}&msg_id_start=0&limit=20`,
    );
    expect(conv.code).toBe(200);
    expect(conv.data.messages[0]).toMatchObject({
      msg_id: Number(sent.body.messageId),
      from_xid: { uid: Number(ids.carol) },
      to_xid: { uid: Number(ids.bob) },
      content: "Hello from the console",
      status: "UNREAD",
    });

    // Again into the same conversation by its id, as the other side.
    const reply = await api(base, "POST", "/_sandbox/console/maxim/messages", {
      as: ids.bob,
      chatId: sent.body.chatId,
      text: "Hi back",
    });
    expect(reply.body).toMatchObject({ chatId: sent.body.chatId });
    const conv2 = await asUser(
      "carol",
      "carol-pass",
      `/message/conversation?opposite_id=${ids.bob}&msg_id_start=0&limit=20`,
    );
    expect(conv2.data.messages.map((m: Any) => m.content).slice(0, 2)).toEqual([
      "Hi back",
      "Hello from the console",
    ]);
  });

  it("writes into a group, creates a group as a user, and refuses what MaxIM refuses", async () => {
    const group = (await api(base, "GET", `/_sandbox/console/maxim/chats?as=${ids.alice}`)).body.chats.find(
      (c: Any) => c.title === "Product team",
    );
    const sent = await api(base, "POST", "/_sandbox/console/maxim/messages", {
      as: ids.bob,
      chatId: group.id,
      text: "Group hello",
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    const history = (await api(base, "GET", `/_sandbox/console/maxim/chats/${group.id}/messages`))
      .body as Any;
    expect(history.messages.at(-1)).toMatchObject({ authorId: ids.bob, text: "Group hello" });
    const conv = await asUser(
      "carol",
      "carol-pass",
      `/message/conversation?opposite_id=${group.id.slice(2)}&msg_id_start=0&limit=20`,
    );
    expect(conv.data.messages[0]).toMatchObject({
      content: "Group hello",
      from_xid: { uid: Number(ids.bob) },
    });

    const created = await api(base, "POST", "/_sandbox/console/maxim/chats", {
      as: ids.carol,
      kind: "group",
      title: "Console group",
      members: [ids.bob],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body.chatId).toMatch(/^g:\d+$/);
    const bobChats = (await api(base, "GET", `/_sandbox/console/maxim/chats?as=${ids.bob}`)).body.chats;
    expect(bobChats.find((c: Any) => c.id === created.body.chatId)).toMatchObject({
      kind: "group",
      title: "Console group",
      members: 2,
    });
    const tables = (await api(base, "GET", "/_sandbox/console/maxim/tables")).body.tables as Any[];
    expect(tables.find((t) => t.id === "groups").rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          group_id: Number(created.body.chatId.slice(2)),
          owner_id: Number(ids.carol),
        }),
      ]),
    );
    // Alice is not in the new group: MaxIM answers 20002.
    const denied = await api(base, "POST", "/_sandbox/console/maxim/messages", {
      as: ids.alice,
      chatId: created.body.chatId,
      text: "let me in",
    });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toContain("20002");
    // A direct conversation the acting user is not part of.
    const [lo, hi] = [ids.bob, ids.carol].map(Number).sort((a, b) => a - b);
    expect(
      (
        await api(base, "POST", "/_sandbox/console/maxim/messages", {
          as: ids.alice,
          chatId: `u:${lo}:${hi}`,
          text: "x",
        })
      ).status,
    ).toBe(403);
    expect(
      (await api(base, "POST", "/_sandbox/console/maxim/messages", { as: "123", to: ids.bob, text: "x" }))
        .status,
    ).toBe(404);
    expect(
      (await api(base, "POST", "/_sandbox/console/maxim/messages", { as: "abc", to: ids.bob, text: "x" }))
        .status,
    ).toBe(400);
    expect(
      (
        await api(base, "POST", "/_sandbox/console/maxim/chats", {
          as: ids.carol,
          kind: "channel",
          title: "x",
        })
      ).status,
    ).toBe(400);
  });

  it("act as: a user sees only her own conversations and groups; others' history is 403", async () => {
    const post = async (path: string, body: unknown) => {
      const r = await api(base, "POST", path, body);
      expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(200);
      return r.body as Any;
    };
    // A group of another app (welovemaxim), and one of alice's app she is not in, both with history.
    const other = await post("/_sandbox/console/maxim/chats", {
      as: ids.a,
      title: "Other app group",
      members: [ids.b],
    });
    await post("/_sandbox/console/maxim/messages", { as: ids.a, chatId: other.chatId, text: "other app" });
    const closed = await post("/_sandbox/console/maxim/chats", {
      as: ids.carol,
      title: "Without alice",
      members: [ids.bob],
    });
    await post("/_sandbox/console/maxim/messages", { as: ids.bob, chatId: closed.chatId, text: "secret" });
    const [lo, hi] = [ids.bob, ids.carol].map(Number).sort((a, b) => a - b);
    const bobCarol = `u:${lo}:${hi}`;
    await post("/_sandbox/console/maxim/messages", { as: ids.bob, to: ids.carol, text: "dm" });

    const chatsOf = async (who: string) =>
      ((await api(base, "GET", `/_sandbox/console/maxim/chats?as=${who}`)).body as Any).chats.map(
        (c: Any) => c.id,
      );
    const alice = await chatsOf(ids.alice as string);
    expect(alice).not.toContain(other.chatId);
    expect(alice).not.toContain(closed.chatId);
    expect(alice).not.toContain(bobCarol);
    expect(alice.length).toBeGreaterThan(0);
    for (const id of alice) {
      const r = await api(base, "GET", `/_sandbox/console/maxim/chats/${id}/messages?as=${ids.alice}`);
      expect(r.status, `${id}: ${JSON.stringify(r.body)}`).toBe(200);
    }
    for (const id of [other.chatId, closed.chatId, bobCarol]) {
      const r = await api(base, "GET", `/_sandbox/console/maxim/chats/${id}/messages?as=${ids.alice}`);
      expect(r.status, id).toBe(403);
      expect(r.body).toEqual({ error: expect.stringContaining("not in chat") });
    }
    // Members do see them; the admin view sees everything.
    expect(await chatsOf(ids.bob as string)).toEqual(expect.arrayContaining([closed.chatId, bobCarol]));
    expect(await chatsOf(ids.b as string)).toContain(other.chatId);
    expect(await chatsOf(ids.b as string)).not.toContain(closed.chatId);
    const asBob = await api(
      base,
      "GET",
      `/_sandbox/console/maxim/chats/${closed.chatId}/messages?as=${ids.bob}`,
    );
    expect((asBob.body as Any).messages.map((m: Any) => m.text)).toEqual(["secret"]);
    const all = ((await api(base, "GET", "/_sandbox/console/maxim/chats")).body as Any).chats.map(
      (c: Any) => c.id,
    );
    expect(all).toEqual(expect.arrayContaining([other.chatId, closed.chatId, bobCarol]));
    // An unknown or malformed acting user is an error, not the admin view.
    expect((await api(base, "GET", "/_sandbox/console/maxim/chats?as=123")).status).toBe(404);
    expect(
      (await api(base, "GET", `/_sandbox/console/maxim/chats/${closed.chatId}/messages?as=x`)).status,
    ).toBe(400);
  });
});
