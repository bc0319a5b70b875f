/** `switchboard maxim …` end to end: the real binary against an emulator started by the test. */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type Harness, startEmulator, TOKEN } from "./harness.js";

const BIN = join(import.meta.dirname, "..", "..", "bin", "switchboard.js");
let h: Harness;
const config = mkdtempSync(join(tmpdir(), "sb-maxim-cli-"));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `switchboard maxim <args> --endpoint … --app-id welovemaxim --token …` (token overridable). */
function run(
  args: string[],
  opts: { token?: string | null; env?: Record<string, string> } = {},
): Promise<Run> {
  // The older --endpoint spelling of --url, still accepted; --json for the documented shapes.
  const creds = ["--endpoint", h.base, "--app-id", "welovemaxim", "--json"];
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (token !== null) creds.push("--token", token);
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: config };
    delete env.MAXIM_ACCESS_TOKEN;
    Object.assign(env, opts.env);
    const child = spawn(process.execPath, [BIN, "maxim", ...args, ...creds], { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  h = await startEmulator();
});
afterAll(() => h.close());

describe("switchboard maxim", () => {
  it("register → send (user, group, de-duplicated) → groups → members → push", async () => {
    // register: the seed's register response on stdout.
    const reg = await run(["register", "cli_alice", "pw"]);
    expect(reg.stderr).toBe("");
    expect(reg.code).toBe(0);
    const alice = JSON.parse(reg.stdout) as { user_id: number; auth_mode: number };
    expect(alice).toMatchObject({ user_id: expect.any(Number), auth_mode: 0, group_confirm: false });
    const bob = (await api(h.base, "POST", "/user/register/v2", { username: "cli_bob", password: "pw" })).json
      .data.user_id as number;

    // send to a user, from alice, twice with one transaction id: stored once.
    const before = h.emu.admin.messages().length;
    for (let i = 0; i < 2; i++) {
      const s = await run([
        "send",
        String(bob),
        "hello from the CLI",
        "--from",
        String(alice.user_id),
        "--transaction-id",
        "cli-1",
      ]);
      expect(s.code).toBe(0);
      expect(JSON.parse(s.stdout)).toBe(true);
    }
    expect(h.emu.admin.messages().slice(before)).toMatchObject([
      { from: alice.user_id, to: bob, toType: 1, content: "hello from the CLI" },
    ]);

    // a group of alice with bob; `groups` and `members` as alice.
    const g = (
      await api(h.base, "POST", "/group/create", { name: "cli group", user_list: [bob] }, alice.user_id)
    ).json.data.group_id as number;
    const groups = await run(["groups", "--user-id", String(alice.user_id)]);
    expect(groups.code).toBe(0);
    expect(JSON.parse(groups.stdout)).toMatchObject([{ group_id: g, name: "cli group" }]);
    const members = await run(["members", String(g), "--user-id", String(alice.user_id), "--limit", "1"]);
    expect(members.code).toBe(0);
    // --limit 1 makes the CLI follow the cursor page by page.
    expect((JSON.parse(members.stdout) as { user_id: number }[]).map((m) => m.user_id)).toEqual([
      alice.user_id,
      bob,
    ]);
    const toGroup = await run(["send", String(g), "hi group", "--group", "--user-id", String(alice.user_id)]);
    expect(toGroup.code).toBe(0);
    expect(h.emu.admin.messages().at(-1)).toMatchObject({
      from: alice.user_id,
      to: g,
      toType: 2,
      content: "hi group",
    });

    // push: "all" by default, or one audience form; recorded with what it reached.
    const { push_token } = (
      await api(h.base, "POST", "/token/user", { name: "cli_bob", password: "pw", device_guid: "bob-cli" })
    ).json.data as { push_token: string };
    const all = await run(["push", "hello everyone", "--title", "T"]);
    expect(all.code).toBe(0);
    expect(h.emu.admin.pushes().at(-1)).toMatchObject({
      audience: "all",
      message: { type: "text", title: "T", body: "hello everyone" },
    });
    const byUser = await run(["push", "just bob", "--users", `${bob},${alice.user_id}`, "--type", "cmd"]);
    expect(byUser.code).toBe(0);
    expect(h.emu.admin.pushes().at(-1)).toMatchObject({
      audience: { user_id: [bob, alice.user_id] },
      message: { type: "cmd", body: "just bob" },
      users: [bob],
      recipients: [{ userId: bob, pushToken: push_token }],
    });
    const byTag = await run(["push", "tagged", "--tag", "beijing,shanghai"]);
    expect(byTag.code).toBe(0);
    expect(h.emu.admin.pushes().at(-1)?.audience).toEqual({ tag: ["beijing", "shanghai"] });
  }, 180_000);

  it("errors: one line on stderr with the seed's code, exit 2 for credentials, 1 otherwise; token never printed", async () => {
    const badToken = "definitely-not-the-token-0123456789";
    const auth = await run(["push", "x"], { token: badToken });
    expect(auth.code).toBe(2);
    expect(auth.stdout).toBe("");
    expect(auth.stderr.trim()).toMatch(
      /^error: MaxIM 10008: Invalid access-token in header \(log in with `switchboard maxim login`\)$/,
    );
    expect(auth.stderr).not.toContain(badToken);
    const noToken = await run(["push", "x"], { token: null });
    expect(noToken.code).toBe(2);
    // No token anywhere (flag, environment, a kept login): what to run.
    expect(noToken.stderr).toContain("no access-token");
    expect(noToken.stderr).toContain("switchboard maxim login");
    const taken = await run(["register", "a", "pw"]);
    expect(taken.code).toBe(1);
    expect(taken.stderr.trim()).toBe("error: MaxIM 10004: User already exists");
    const badIds = await run(["send", "12,abc", "x"]);
    expect(badIds.code).toBe(1);
    expect(badIds.stderr).toContain('not a user id: "abc"');
    // --token falls back to $MAXIM_ACCESS_TOKEN.
    const fromEnv = await run(["push", "env token"], { token: null, env: { MAXIM_ACCESS_TOKEN: TOKEN } });
    expect(fromEnv.code).toBe(0);
  }, 180_000);
});
