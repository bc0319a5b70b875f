/**
 * Human output by default, one documented JSON shape with --json (docs/cli.md), nothing but
 * that on stdout; the banner's SMS line says the truth about codes.
 */
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatBytes } from "../../src/cli/options.js";
import { admin, isolatedEnv, lines, run, type Sandbox, startSandbox } from "./harness.js";

const { env } = isolatedEnv();
let sb: Sandbox;

beforeAll(async () => {
  sb = await startSandbox(["--seed", "demo", "--sms-code", "123456"], env);
}, 180_000);
afterAll(async () => {
  await sb?.stop();
});

describe("sizes", () => {
  it("are human-readable at every scale", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(3000)).toBe("2.9 KB");
    expect(formatBytes(5 * 1024 * 1024)).toBe("5.0 MB");
    expect(formatBytes(3 * 1024 ** 3)).toBe("3.0 GB");
  });
});

describe("VK Live output", () => {
  let token: string;
  beforeAll(async () => {
    const users = await admin(sb.urls.console, "/_sandbox/vklive/users", {
      nick: "cli_out",
    });
    const t = await admin(sb.urls.console, "/_sandbox/vklive/tokens", {
      clientId: "demo-app",
      userId: users.userId,
      scopes: ["chat:message:send"],
    });
    token = t.access_token as string;
  });

  it("chat send says what was sent where; --json is {sent, channel, text}", async () => {
    const human = await run(
      ["vklive", "chat", "send", "pixel_streamer", "hello humans", "--url", sb.urls.vklive, "--token", token],
      env,
    );
    expect(human.stderr).toBe("");
    expect(human.stdout).toBe("sent to the chat of pixel_streamer: hello humans\n");
    const json = await run(
      [
        "vklive",
        "chat",
        "send",
        "pixel_streamer",
        "hello json",
        "--url",
        sb.urls.vklive,
        "--token",
        token,
        "--json",
      ],
      env,
    );
    expect(JSON.parse(json.stdout)).toEqual({ sent: true, channel: "pixel_streamer", text: "hello json" });
  }, 180_000);

  it("chat tail --json: every line one shape {type, data} — recent messages as the live feed gives them", async () => {
    const r = await run(
      [
        "vklive",
        "chat",
        "tail",
        "pixel_streamer",
        "--limit",
        "5",
        "--no-follow",
        "--json",
        "--url",
        sb.urls.vklive,
        "--token",
        token,
      ],
      env,
    );
    expect(r.code).toBe(0);
    const events = lines(r.stdout) as {
      type: string;
      data: { chat_message: { author: { nick: string } }; channel_url: string };
    }[];
    expect(events.length).toBeGreaterThanOrEqual(2);
    for (const e of events) {
      expect(Object.keys(e).sort()).toEqual(["data", "type"]);
      expect(e.type).toBe("channel_chat_message_send");
      expect(e.data.channel_url).toBe("pixel_streamer");
    }
    expect(events.at(-1)?.data.chat_message.author.nick).toBe("cli_out");
    const human = await run(
      [
        "vklive",
        "chat",
        "tail",
        "pixel_streamer",
        "--limit",
        "1",
        "--no-follow",
        "--url",
        sb.urls.vklive,
        "--token",
        token,
      ],
      env,
    );
    expect(human.stdout).toBe("cli_out: hello json\n");
  }, 180_000);
});

describe("WebQQ and MAX output", () => {
  it("webqq groups --json: one shape for groups and discussions", async () => {
    const session = `${env.XDG_CONFIG_HOME}/wq.json`;
    const login = await run(
      [
        "webqq",
        "login",
        "--url",
        sb.urls.webqq,
        "--qq",
        "10001",
        "--password",
        "xiaoming-pw",
        "--session",
        session,
      ],
      env,
    );
    expect(login.stdout).toMatch(/^logged in as QQ 10001 /);
    // The profile now knows the URL and the session file.
    const groups = await run(["webqq", "groups", "--json"], env);
    expect(groups.stderr).toBe("");
    const rows = lines(groups.stdout) as Record<string, unknown>[];
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows)
      expect(Object.keys(row).sort()).toEqual(["chat", "code", "did", "gid", "kind", "name"]);
    expect(new Set(rows.map((r) => r.kind))).toEqual(new Set(["group", "discussion"]));
  }, 180_000);

  it("max send --file shows a small upload in KB, the message with --json", async () => {
    const login = await run(
      ["max", "login", "--url", sb.urls.max, "--phone", "+79000000002", "--code", "123456"],
      env,
    );
    expect(login.code).toBe(0);
    const file = `${env.XDG_CONFIG_HOME}/note.txt`;
    writeFileSync(file, "x".repeat(3000));
    const up = await run(["max", "send", "3", "see attached", "--file", file, "--json"], env);
    expect(up.code).toBe(0);
    expect(up.stderr).toContain("100% 2.9 KB/2.9 KB");
    expect(up.stderr).not.toContain("0.0 MB");
    expect(JSON.parse(up.stdout)).toMatchObject({
      text: "see attached",
      chatId: 3,
      attaches: [{ _type: "FILE" }],
    });
    const plain = await run(["max", "send", "3", "plain"], env);
    expect(plain.stdout).toMatch(/^sent #\d+ to 3\n$/);
  }, 180_000);
});
