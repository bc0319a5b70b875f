/** `switchboard vklive …` end to end: a child process against an emulator on loopback. */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { form, type Harness, raw, startEmulator, type World, waitFor, world } from "./harness.js";

const ENTRY = join(import.meta.dirname, "cli-entry.ts");
const config = mkdtempSync(join(tmpdir(), "sb-vklive-cli-"));
const env = { ...process.env, XDG_CONFIG_HOME: config };

let h: Harness;
let w: World;

beforeAll(async () => {
  h = await startEmulator();
  w = world(h);
});
afterAll(async () => {
  await h.close();
  rmSync(config, { recursive: true, force: true });
});

interface Proc {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  done: Promise<number | null>;
}

function start(args: string[]): Proc {
  const child = spawn(process.execPath, ["--import", "tsx", ENTRY, "vklive", ...args, "--base-url", h.base], {
    env,
  });
  const p: Proc = { child, stdout: "", stderr: "", done: Promise.resolve(null) };
  child.stdout?.on("data", (d) => {
    p.stdout += d;
  });
  child.stderr?.on("data", (d) => {
    p.stderr += d;
  });
  p.done = new Promise((resolve) => child.on("close", (code) => resolve(code)));
  return p;
}

async function run(args: string[]): Promise<Proc & { code: number | null }> {
  const p = start(args);
  const code = await p.done;
  return { ...p, code };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe("vklive CLI", () => {
  it("auth: CodeFlow with a loopback redirect, state checked, tokens saved 0600; then channel and chat use them", async () => {
    const port = await freePort();
    const redirectUri = `http://127.0.0.1:${port}/cb`;
    const app = h.emu.admin.createApp({ redirectUri });
    const p = start([
      "auth",
      "--client-id",
      app.clientId,
      "--client-secret",
      app.secret,
      "--redirect-uri",
      redirectUri,
      "--scopes",
      "chat:message:send",
      "--json",
    ]);
    await waitFor(() => p.stderr.includes("/app/oauth2/authorize?"), 15_000, "authorize url");
    const url = p.stderr.split("\n").find((l) => l.includes("/app/oauth2/authorize?")) ?? "";
    const page = await raw(h.base, "GET", url.slice(h.base.length));
    const fields: Record<string, string> = {};
    for (const m of page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
      fields[m[1] as string] = m[2] as string;
    const decision = await raw(
      h.base,
      "POST",
      "/app/oauth2/authorize",
      form,
      new URLSearchParams({ ...fields, user_id: String(w.viewer), decision: "allow" }).toString(),
    );
    const location = decision.headers.get("location") ?? "";
    expect(location.startsWith(redirectUri)).toBe(true);
    const cb = await fetch(location);
    expect(cb.status).toBe(200);
    expect(await p.done).toBe(0);
    expect(JSON.parse(p.stdout).user.nick).toBe("viewer");
    const file = join(config, "switchboard", "vklive-tokens.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const creds = ["--client-id", app.clientId, "--client-secret", app.secret];
    const ch = await run(["channel", w.channelUrl, ...creds, "--json"]);
    expect(ch.code).toBe(0);
    expect(JSON.parse(ch.stdout).channel.url).toBe(w.channelUrl);
    const sent = await run(["chat", "send", w.channelUrl, "from the cli", ...creds]);
    expect(sent.code).toBe(0);
    const tail = await run(["chat", "tail", w.channelUrl, "--limit", "5", "--no-follow", ...creds]);
    expect(tail.stdout).toContain("viewer: from the cli");
  }, 180_000);

  it("chat tail follows new messages until SIGINT", async () => {
    const p = start(["chat", "tail", w.channelUrl, "--limit", "1", "--token", w.ownerToken]);
    await waitFor(() => p.stderr.includes("following"), 15_000, "following");
    // Subscriptions complete right after the banner; publish until one arrives.
    await waitFor(
      () => {
        if (!p.stdout.includes("live line"))
          h.emu.admin.postMessage({ channelUrl: w.channelUrl, userId: w.viewer, text: "live line" });
        return p.stdout.includes("viewer: live line");
      },
      10_000,
      "live line",
    );
    p.child.kill("SIGINT");
    expect(await p.done).toBe(0);
  }, 180_000);

  it("errors are reported with the platform's code and a non-zero exit", async () => {
    const r = await run(["channel", "nobody", "--token", w.viewerToken]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("channel_not_found");
    const bad = await run([
      "auth",
      "--client-id",
      "x",
      "--client-secret",
      "y",
      "--redirect-uri",
      "http://127.0.0.1:9/cb",
      "--scopes",
      "bogus",
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("unknown scopes");
  }, 180_000);
});
