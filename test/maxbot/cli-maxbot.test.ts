/**
 * `switchboard maxbot …` as a user runs it: the real binary as a child process against a sandbox
 * started with `switchboard sandbox --port 0 --json --memory`, each command with its own config
 * folder. create-bot keeps the token (0600) and prints it once; me / send / chats / updates use
 * the kept token; updates commits what it printed; exit codes as docs/cli.md says.
 */
import { spawn } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, BIN, isolatedEnv, lines, run, type Sandbox, startSandbox } from "../cli/harness.js";

let sandbox: Sandbox;
let consoleUrl: string;
let botApi: string;
let env: NodeJS.ProcessEnv;
let config: string;
let bot: { token: string; userId: number };
let userId: number;

beforeAll(async () => {
  ({ env, config } = isolatedEnv());
  sandbox = await startSandbox([], env);
  consoleUrl = sandbox.urls.console;
  botApi = (sandbox.urls as unknown as { maxbot: string }).maxbot;
  userId = (await admin(consoleUrl, "/_sandbox/max/users", { phone: "+79550001122", firstName: "Cli" }))
    .userId as number;
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
});

const url = () => ["--url", botApi];

describe("switchboard maxbot", () => {
  it("create-bot makes a bot in the sandbox, prints the token once and keeps it 0600", async () => {
    const r = await run(
      ["maxbot", "create-bot", "Cli bot", "--sandbox", consoleUrl, "--username", "cli_bot", "--json"],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const out = lines(r.stdout)[0] as { token: string; userId: number; url: string };
    expect(out.url).toBe(botApi);
    bot = out;
    const file = join(config, "switchboard", "maxbot-tokens.json");
    expect((statSync(file).mode & 0o777).toString(8)).toBe("600");
    expect(readFileSync(file, "utf8")).toContain(bot.token);
    // Human output says where the token went.
    const h = await run(
      [
        "maxbot",
        "create-bot",
        "Second bot",
        "--sandbox",
        consoleUrl,
        "--account",
        "second",
        "--profile",
        "other",
      ],
      env,
    );
    expect(h.code, h.stderr).toBe(0);
    expect(h.stdout).toMatch(/bot Second bot created: user id \d+/);
  });

  it("me uses the kept token", async () => {
    const r = await run(["maxbot", "me", ...url(), "--json"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)[0]).toMatchObject({ user_id: bot.userId, username: "cli_bot", is_bot: true });
    const h = await run(["maxbot", "me", ...url()], env);
    expect(h.stdout.trim()).toBe(`Cli bot @cli_bot (user id ${bot.userId})`);
    expect(h.stdout + h.stderr).not.toContain(bot.token);
  });

  it("updates prints a user's message once: the marker it saved commits it", async () => {
    await admin(consoleUrl, "/_sandbox/max/messages", {
      fromUserId: userId,
      toUserId: bot.userId,
      text: "hello bot",
    });
    const r = await run(["maxbot", "updates", ...url(), "--json"], env);
    expect(r.code, r.stderr).toBe(0);
    const got = lines(r.stdout) as {
      key: string;
      update: { update_type: string; message: { body: { text: string } } };
    }[];
    expect(got.map((g) => g.update.message?.body.text)).toContain("hello bot");
    expect(got.find((g) => g.update.message?.body.text === "hello bot")?.key).toMatch(
      /^message_created:mid\./,
    );
    const again = await run(["maxbot", "updates", ...url(), "--json"], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe("");
  });

  it("send to a user and to a chat; chats lists the dialog", async () => {
    const a = await run(
      ["maxbot", "send", "--user", String(userId), "hi from the cli", ...url(), "--json"],
      env,
    );
    expect(a.code, a.stderr).toBe(0);
    const sent = lines(a.stdout)[0] as {
      body: { mid: string; text: string };
      recipient: { chat_id: number };
    };
    expect(sent.body.text).toBe("hi from the cli");
    const b = await run(["maxbot", "send", String(sent.recipient.chat_id), "again", ...url()], env);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/^sent mid\.[0-9a-f]+ to chat -?\d+/);
    const c = await run(["maxbot", "chats", ...url(), "--json"], env);
    expect(c.code, c.stderr).toBe(0);
    const chats = lines(c.stdout)[0] as { chat_id: number; type: string }[];
    expect(chats).toEqual(
      expect.arrayContaining([expect.objectContaining({ chat_id: sent.recipient.chat_id, type: "dialog" })]),
    );
    const bad = await run(["maxbot", "send", "not-a-chat", "x", ...url()], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: not a chat id/);
  });

  it("updates --follow prints news as they come and stops cleanly on SIGINT", async () => {
    const child = spawn(
      process.execPath,
      [BIN, "maxbot", "updates", "--follow", "--timeout", "1", ...url()],
      { env },
    );
    const out = createInterface({ input: child.stdout });
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const seen = new Promise<string>((resolve) =>
      out.on("line", (l) => l.includes("followed") && resolve(l)),
    );
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    // The CLI starts through tsx; keep writing until the poller has shown one.
    let line: string | undefined;
    for (let i = 0; i < 40 && line === undefined; i++) {
      await admin(consoleUrl, "/_sandbox/max/messages", {
        fromUserId: userId,
        toUserId: bot.userId,
        text: `followed ${i}`,
      });
      line = await Promise.race([seen, new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000))]);
    }
    expect(line).toMatch(/^message_created chat -?\d+ mid\.\S+ from Cli \(\d+\): followed \d+$/);
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    clearTimeout(timer);
  }, 90_000);

  it("login checks a token and keeps it; the profile then remembers URL and account", async () => {
    const r = await run(
      ["maxbot", "login", "--token", bot.token, "--url", botApi, "--account", "kept", "--profile", "p3"],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`token accepted by ${botApi.replace(/[.]/g, "\\.")}: bot Cli bot \\(${bot.userId}\\)`),
    );
    expect(r.stdout).not.toContain(bot.token);
    const me = await run(["maxbot", "me", "--profile", "p3", "--json"], env);
    expect(me.code, me.stderr).toBe(0);
    expect(lines(me.stdout)[0]).toMatchObject({ user_id: bot.userId });
    const badTypes = await run(
      ["maxbot", "updates", "--profile", "p3", "--types", "message_created,nope"],
      env,
    );
    expect(badTypes.code).toBe(1);
    expect(badTypes.stderr).toMatch(/^error: unknown update type "nope"/);
  });

  it("exit codes: 2 for a refused token, 3 for an unreachable server", async () => {
    const refused = await run(["maxbot", "me", ...url(), "--token", "wrong-token"], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^error: .*verify\.token/);
    expect(refused.stderr).not.toContain("wrong-token");
    const down = await run(["maxbot", "me", "--url", "http://127.0.0.1:9", "--token", "t"], env);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/^error: cannot reach MAX Bot API at http:\/\/127\.0\.0\.1:9/);
  });
}, 180_000);
