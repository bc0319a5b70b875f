/** Issue 12 item 11: every token issued before a password change is refused (10008, AuthError). */
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/core/errors.js";
import { MaxImClient } from "../../src/maxim/client/index.js";
import { api, closeEachEnv, raw, register, start, TOKEN } from "./harness.js";

closeEachEnv();

describe("tokens issued before a password change are refused (item 11)", () => {
  it("the user's own change: the old token answers 10008 and the client throws AuthError", async () => {
    const env = await start();
    const alice = await register(env, "alice", "old-pw");
    const login = async (password: string) =>
      (await api(env.base, "POST", "/token/user", { name: "alice", password })).json.data.token as string;
    const t1 = await login("old-pw");
    const t2 = await login("old-pw");
    const c1 = new MaxImClient({ url: env.base, appId: "welovemaxim", token: t1, retries: 0 });
    const c2 = new MaxImClient({ url: env.base, appId: "welovemaxim", token: t2, retries: 0 });
    expect((await c2.profile()).user_id).toBe(alice);
    await c1.changePassword("old-pw", "new-pw");
    await expect(c2.profile()).rejects.toBeInstanceOf(AuthError);
    await expect(c2.profile()).rejects.toMatchObject({ code: 10008 });
    await expect(c1.profile()).rejects.toBeInstanceOf(AuthError);
    // A token issued after the change works.
    const t3 = await login("new-pw");
    const c3 = new MaxImClient({ url: env.base, appId: "welovemaxim", token: t3, retries: 0 });
    expect((await c3.profile()).user_id).toBe(alice);
    // Another user's tokens are untouched.
    await register(env, "bob");
    const tb = (await api(env.base, "POST", "/token/user", { name: "bob", password: "pw" })).json.data.token;
    const r = await raw(env.base, "GET", "/user/profile", { app_id: "welovemaxim", "access-token": tb });
    expect(r.json.code).toBe(200);
  });

  it("the admin's set-password: every earlier token of that user is refused", async () => {
    const env = await start();
    const alice = await register(env, "alice", "old-pw");
    const t1 = (await api(env.base, "POST", "/token/user", { name: "alice", password: "old-pw" })).json.data
      .token;
    const admin = new MaxImClient({ url: env.base, appId: "welovemaxim", token: TOKEN, retries: 0 });
    await admin.asUser(alice).setPasswordAsAdmin("admin-set");
    const c1 = new MaxImClient({ url: env.base, appId: "welovemaxim", token: t1, retries: 0 });
    await expect(c1.profile()).rejects.toBeInstanceOf(AuthError);
    const r = await raw(env.base, "GET", "/user/profile", { app_id: "welovemaxim", "access-token": t1 });
    expect(r.json.code).toBe(10008);
  });
});
