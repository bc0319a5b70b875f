/** Issue 12 item 2: transaction_id de-duplication is per sender and bounded by the window. */
import { describe, expect, it } from "vitest";
import { LIMITS } from "../../src/maxim/protocol.js";
import { api, closeEachEnv, type Env, register, start } from "./harness.js";

closeEachEnv();

/** Messages in `userId`'s conversation with `opposite`, oldest first. */
async function history(env: Env, userId: number, opposite: number): Promise<string[]> {
  const r = await api(
    env.base,
    "GET",
    `/message/conversation?opposite_id=${opposite}&msg_id_start=0&limit=100`,
    undefined,
    userId,
  );
  expect(r.json.code).toBe(200);
  return (r.json.data.messages as { content: string }[]).map((m) => m.content).reverse();
}

describe("transaction_id is scoped per sender (item 2)", () => {
  it("two senders with the same transaction_id: both stored and delivered", async () => {
    const env = await start();
    const [alice, bob, carol] = [
      await register(env, "alice"),
      await register(env, "bob"),
      await register(env, "carol"),
    ];
    const send = (from: number, content: string) =>
      api(
        env.base,
        "POST",
        "/message/send",
        { targets: [carol], type: 1, content_type: 0, content, transaction_id: 1 },
        from,
      );
    expect((await send(alice, "from alice")).json).toEqual({ code: 200, data: true });
    expect((await send(bob, "from bob")).json).toEqual({ code: 200, data: true });
    expect(await history(env, carol, alice)).toEqual(["from alice"]);
    expect(await history(env, carol, bob)).toEqual(["from bob"]);
    const unread = await api(env.base, "GET", "/message/unread", undefined, carol);
    expect(unread.json.data).toHaveLength(2);
  });

  it("a retry by the same sender is answered as the first and stored once; after the window it is new", async () => {
    const env = await start();
    const [alice, carol] = [await register(env, "alice"), await register(env, "carol")];
    const body = { targets: [carol], type: 1, content_type: 0, content: "once", transaction_id: 9 };
    const first = await api(env.base, "POST", "/message/send", body, alice);
    const retry = await api(env.base, "POST", "/message/send", body, alice);
    expect(retry.json).toEqual(first.json);
    expect(await history(env, carol, alice)).toEqual(["once"]);
    // The app itself (from 0) is another sender: its transaction_id 9 is its own.
    expect((await api(env.base, "POST", "/message/send", { ...body, content: "app" })).json.code).toBe(200);
    expect(env.emu.admin.messages().filter((m) => m.to === carol)).toHaveLength(2);
    // The window is bounded by the injected clock: after 10 minutes the id is free again.
    env.clock.advance(LIMITS.dedupeWindowMs - 1);
    await api(env.base, "POST", "/message/send", body, alice);
    expect(await history(env, carol, alice)).toEqual(["once"]);
    env.clock.advance(2);
    await api(env.base, "POST", "/message/send", { ...body, content: "later" }, alice);
    expect(await history(env, carol, alice)).toEqual(["once", "later"]);
  });
});
