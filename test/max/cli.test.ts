/** `switchboard max …` end to end: the real binary against a sandbox started by the test. */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialKey } from "../../src/core/credentials.js";
import { loggedIn, type RawClient } from "./raw.js";

const BIN = join(import.meta.dirname, "..", "..", "bin", "switchboard.js");
const config = mkdtempSync(join(tmpdir(), "sb-cli-config-"));
const env = { ...process.env, XDG_CONFIG_HOME: config, SWITCHBOARD_LOG_LEVEL: "warn" };
const sessionsFile = join(config, "switchboard", "max-sessions.json");

let sandbox: ChildProcess;
let urls: { console: string; max: string };
let friend: { client: RawClient; userId: number };
let myId: number;
let dialogId: number;
const outputs: string[] = [];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "max", ...args, "--url", urls.max], { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      outputs.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? "");
  });
}

async function admin(path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${urls.console}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  sandbox = spawn(
    process.execPath,
    [BIN, "sandbox", "--port", "0", "--json", "--memory", "--sms-code", "123456"],
    {
      env,
    },
  );
  const first = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: sandbox.stdout! });
    rl.once("line", resolve);
    sandbox.once("exit", (code) => reject(new Error(`sandbox exited with ${code}`)));
  });
  urls = JSON.parse(first) as typeof urls;
  myId = (await admin("/_sandbox/max/users", { phone: "+79005550001", firstName: "Cli", lastName: "User" }))
    .userId as number;
  await admin("/_sandbox/max/users", { phone: "+79005550002", firstName: "Friend" });
  friend = await loggedIn(urls.max, "+79005550002");
}, 180_000);

afterAll(async () => {
  friend?.client.close();
  if (sandbox && sandbox.exitCode === null) {
    const exited = new Promise((r) => sandbox.once("exit", r));
    sandbox.kill("SIGTERM");
    await exited;
  }
});

describe("switchboard max", () => {
  it("login prompts for phone and code on stdin and saves the session 0600", async () => {
    const r = await run(["login"], "+79005550001\n123456\n");
    expect(r.stderr).toContain("Phone");
    expect(r.stderr).toContain("Code from SMS");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`logged in as Cli User (id ${myId})`);
    expect(statSync(sessionsFile).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(sessionsFile, "utf8")) as {
      accounts: Record<string, { token: string; deviceId: string }>;
    };
    // Sessions are keyed by server URL + account (issue 18 item 1).
    const entry = saved.accounts[credentialKey(urls.max, "default")];
    expect(entry?.token).toBeTruthy();
    expect(entry?.deviceId).toBeTruthy();
  });

  it("a wrong code fails with a one-line error and exit code 1", async () => {
    const r = await run(["login", "--account", "bad", "--phone", "+79005550001", "--code", "000000"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*error\.code\.wrong/m);
  });

  it("chats lists the dialog another user opened; history prints it", async () => {
    const opened = await friend.client.ok(64, { userId: myId, message: { text: "hi from friend", cid: 1 } });
    dialogId = opened.chatId;
    const chats = await run(["chats", "--json"]);
    expect(chats.code).toBe(0);
    const list = chats.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: number; type: string });
    expect(list.map((c) => c.id)).toContain(dialogId);
    const plain = await run(["chats"]);
    expect(plain.stdout).toContain("DIALOG");
    const history = await run(["history", String(dialogId)]);
    expect(history.code).toBe(0);
    expect(history.stdout).toContain("hi from friend");
  });

  it("send delivers text; --file uploads with a progress bar", async () => {
    const r = await run(["send", String(dialogId), "hello from the cli"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sent #\d+ to /);
    const pushed = await friend.client.event(128, (p) => p.payload.message.text === "hello from the cli");
    expect(pushed.payload.message.sender).toBe(myId);

    const file = join(config, "report.txt");
    writeFileSync(file, "x".repeat(200_000));
    const up = await run(["send", String(dialogId), "see attached", "--file", file, "--json"]);
    expect(up.code).toBe(0);
    expect(up.stderr).toContain("100%");
    const sent = JSON.parse(up.stdout) as { attaches: { _type: string }[]; text: string };
    expect(sent).toMatchObject({ text: "see attached", attaches: [{ _type: "FILE" }] });
    await friend.client.event(128, (p) => p.payload.message.attaches?.[0]?._type === "FILE");
  });

  it("tail --json streams messages as they come and stops after --count", async () => {
    const child = spawn(
      process.execPath,
      [BIN, "max", "tail", String(dialogId), "--json", "--count", "2", "--url", urls.max],
      {
        env,
      },
    );
    const lines: string[] = [];
    const rl = createInterface({ input: child.stdout });
    const ready = new Promise<void>((resolve) =>
      rl.on("line", (line) => {
        lines.push(line);
        if (line.includes('"ready"')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    await ready;
    await friend.client.ok(64, { chatId: dialogId, message: { text: "tail one", cid: 2 } });
    await friend.client.ok(64, { chatId: dialogId, message: { text: "tail two", cid: 3 } });
    expect(await exited).toBe(0);
    const messages = lines
      .map((l) => JSON.parse(l) as { type: string; data: { message?: { text: string } } })
      .filter((e) => e.type === "message")
      .map((e) => e.data.message?.text);
    expect(messages).toEqual(["tail one", "tail two"]);
  }, 180_000);

  it("login --qr prints a QR code and finishes once another device approves", async () => {
    const child = spawn(
      process.execPath,
      [BIN, "max", "login", "--qr", "--account", "qr", "--profile", "qr", "--url", urls.max],
      { env },
    );
    let stderr = "";
    let stdout = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    const link = await new Promise<string>((resolve) => {
      child.stderr.on("data", (d) => {
        stderr += d;
        const m = /open: (\S+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
    });
    expect(stderr).toMatch(/[▄▀█]/);
    await friend.client.ok(290, { qrLink: link });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(0);
    expect(stdout).toContain(`(id ${friend.userId})`);
  }, 180_000);

  it("logout ends the session; later commands say to log in", async () => {
    const r = await run(["logout"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('logged out of "default"');
    const after = await run(["chats"]);
    expect(after.code).toBe(2);
    expect(after.stderr).toContain("switchboard max login");
  });

  it("never prints a token", () => {
    const saved = JSON.parse(readFileSync(sessionsFile, "utf8")) as {
      accounts: Record<string, { token?: string }>;
    };
    const tokens = Object.values(saved.accounts)
      .map((a) => a.token)
      .filter((t): t is string => Boolean(t));
    expect(tokens.length).toBeGreaterThan(0);
    for (const t of tokens) for (const o of outputs) expect(o).not.toContain(t);
  });
});
