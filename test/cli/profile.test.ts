/**
 * Profiles: `login --url` remembers the server, later commands find it without flags; the
 * precedence is flag > environment > profile > default; the file is 0600 and holds no token.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maskProfile } from "../../src/cli/profile.js";
import { admin, isolatedEnv, lines, run, type Sandbox, startSandbox } from "./harness.js";

const { env, config } = isolatedEnv();
const profiles = join(config, "switchboard", "profiles.json");
let sb: Sandbox;

beforeAll(async () => {
  sb = await startSandbox(["--sms-code", "123456"], env);
  await admin(sb.urls.console, "/_sandbox/max/users", { phone: "+79005550101", firstName: "Prof" });
}, 60_000);
afterAll(async () => {
  await sb?.stop();
});

describe("profiles", () => {
  it("max login --url remembers the URL: a bare `max chats` goes to the sandbox, not production", async () => {
    const login = await run(
      ["max", "login", "--url", sb.urls.max, "--phone", "+79005550101", "--code", "123456", "--json"],
      env,
    );
    expect(login.stderr).toBe("");
    expect(login.code).toBe(0);
    expect(JSON.parse(login.stdout)).toEqual({
      userId: expect.any(Number),
      name: "Prof",
      account: "default",
      url: sb.urls.max,
      profile: "default",
    });
    expect(statSync(profiles).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(profiles, "utf8")) as { profiles: Record<string, unknown> };
    expect(saved.profiles.default).toEqual({ max: { url: sb.urls.max, account: "default" } });

    const chats = await run(["max", "chats", "--json"], env);
    expect(chats.stderr).toBe("");
    expect(chats.code).toBe(0);
    expect(Array.isArray(lines(chats.stdout))).toBe(true);
  }, 60_000);

  it("flag > environment > profile", async () => {
    const dead = "ws://127.0.0.1:9/websocket";
    // The environment beats the profile: the dead URL is used, and named with its source.
    const fromEnv = await run(["max", "chats"], { ...env, SWITCHBOARD_MAX_URL: dead });
    expect(fromEnv.code).toBe(3);
    expect(fromEnv.stderr).toContain(`${dead} ($SWITCHBOARD_MAX_URL)`);
    // The flag beats the environment.
    const fromFlag = await run(["max", "chats", "--url", sb.urls.max], { ...env, SWITCHBOARD_MAX_URL: dead });
    expect(fromFlag.code).toBe(0);
  }, 60_000);

  it("--profile and $SWITCHBOARD_PROFILE pick another profile; MaxIM needs no --app-id or --token after login", async () => {
    const { adminToken } = (await admin(sb.urls.console, "/_sandbox/maxim/apps", { appId: "cliapp" })) as {
      adminToken: string;
    };
    const other = await run(
      [
        "maxim",
        "login",
        "--profile",
        "team",
        "--url",
        sb.urls.maxim,
        "--app-id",
        "cliapp",
        "--token",
        adminToken,
        "--json",
      ],
      env,
    );
    expect(other.stderr).toBe("");
    expect(other.code).toBe(0);
    expect(JSON.parse(other.stdout)).toMatchObject({ appId: "cliapp", url: sb.urls.maxim, profile: "team" });
    // MaxIM no longer needs --app-id, --token or --url on every call.
    const reg = await run(["maxim", "register", "prof_user", "pw", "--json"], {
      ...env,
      SWITCHBOARD_PROFILE: "team",
    });
    expect(reg.stderr).toBe("");
    expect(JSON.parse(reg.stdout)).toMatchObject({ user_id: expect.any(Number) });
    const push = await run(["maxim", "push", "hello", "--profile", "team"], env);
    expect(push.code).toBe(0);
    expect(push.stdout).toBe("pushed to everyone\n");
    // The default profile has no MaxIM section: the app id is asked for, naming the ways to give it.
    const none = await run(["maxim", "push", "hello"], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('save it in profile "default"');
    // The token is kept in the credentials file, not in the profile.
    expect(readFileSync(profiles, "utf8")).not.toContain(adminToken);
    expect(statSync(join(config, "switchboard", "maxim-tokens.json")).mode & 0o777).toBe(0o600);
  }, 90_000);

  it("profile list / show (secrets masked) / remove", async () => {
    const list = await run(["profile", "list", "--json"], env);
    expect(lines(list.stdout)).toEqual([
      { name: "default", platforms: ["max"] },
      { name: "team", platforms: ["maxim"] },
    ]);
    const show = await run(["profile", "show", "team", "--json"], env);
    expect(JSON.parse(show.stdout)).toEqual({
      maxim: { url: sb.urls.maxim, appId: "cliapp", account: "default" },
    });
    expect(maskProfile({ vklive: { clientId: "a", clientSecret: "s3cret" } })).toEqual({
      vklive: { clientId: "a", clientSecret: "(set)" },
    });
    const removed = await run(["profile", "remove", "team"], env);
    expect(removed.stdout).toBe('profile "team" removed\n');
    expect(lines((await run(["profile", "list", "--json"], env)).stdout)).toHaveLength(1);
  }, 60_000);
});
