/**
 * Issue 18 item 1: a stored MAX login the server no longer knows (the sandbox restarted with a
 * new in-memory store) never crashes a client. The client stays connected and logged out, the
 * stale entry leaves the session file, a log line says why (no secret), and an SMS login works
 * on the same client. Sessions are kept per server URL + account.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { credentialKey } from "../../src/core/credentials.js";
import { openStore } from "../../src/core/emulator/store.js";
import { AuthError } from "../../src/core/errors.js";
import { createLogger } from "../../src/core/log.js";
import { MaxEmulatorServer } from "../../src/max/emulator/server.js";
import { maxStoreModule } from "../../src/max/emulator/store/schema.js";
import { MaxClient, maxSessionFile } from "../../src/max/index.js";
import { nextEvent, nextPhone, until } from "./client-helpers.js";

/** One in-memory emulator on `port` (0: any); a restart is close() + start(samePort). */
async function start(port = 0) {
  const db = openStore({ file: null, modules: [maxStoreModule] });
  const server = new MaxEmulatorServer({
    db,
    dataDir: mkdtempSync(join(tmpdir(), "sb-max-stale-")),
    smsCode: "123456",
  });
  const url = await server.listen(port);
  return {
    url,
    port: Number(new URL(url).port),
    async close() {
      await server.close();
      db.close();
    },
  };
}

type Emu = Awaited<ReturnType<typeof start>>;
const running: Emu[] = [];
const clients: MaxClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const e of running.splice(0)) await e.close();
});

function logLines() {
  const lines: string[] = [];
  const logger = createLogger({ level: "info", destination: { write: (l: string) => lines.push(l) } });
  return { lines, logger };
}

async function smsLogin(client: MaxClient, phone: string): Promise<void> {
  await client.requestCode(phone);
  const r = await client.signIn("123456");
  expect(r.status).toBe("ok");
}

function fileEntries(path: string): Record<string, { token?: string; deviceId: string }> {
  return JSON.parse(readFileSync(path, "utf8")).accounts;
}

describe("MAX: a stored token the server refuses", () => {
  it("after a sandbox restart: connect says loggedIn false, the stale entry is gone, SMS works", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "sb-max-stale-")), "max.json");
    const phone = nextPhone();
    let emu = await start();
    running.push(emu);

    const first = new MaxClient({ url: emu.url, credentials: maxSessionFile(path), account: "bot" });
    clients.push(first);
    expect(await first.connect()).toEqual({ loggedIn: false });
    await smsLogin(first, phone);
    await first.close();
    const key = credentialKey(emu.url, "bot");
    const staleToken = fileEntries(path)[key]?.token;
    expect(staleToken).toBeTruthy();

    // The sandbox restarts on the same URL with a new, empty in-memory store.
    await emu.close();
    running.splice(0);
    emu = await start(emu.port);
    running.push(emu);
    expect(credentialKey(emu.url, "bot")).toBe(key);

    const { lines, logger } = logLines();
    const errors: unknown[] = [];
    const second = new MaxClient({ url: emu.url, credentials: maxSessionFile(path), account: "bot", logger });
    clients.push(second);
    second.on("error", (e) => {
      errors.push(e);
    });
    expect(await second.connect()).toEqual({ loggedIn: false });
    expect(second.state).toBe("connected");
    expect(second.loggedIn).toBe(false);
    expect(second.userId).toBeUndefined();
    expect(fileEntries(path)[key]).toBeUndefined();
    const why = lines.filter((l) => l.includes("refused the stored login token"));
    expect(why).toHaveLength(1);
    expect(JSON.parse(why[0]!)).toMatchObject({ account: "bot", code: "login.token", removed: true });
    expect(lines.join("\n")).not.toContain(staleToken!);
    // A first connect answers loggedIn:false; there is nothing for `error` to add.
    expect(errors).toEqual([]);

    // The user's usual login works on the same client, and is what the file holds now.
    await smsLogin(second, phone);
    expect(second.loggedIn).toBe(true);
    const fresh = fileEntries(path)[key];
    expect(fresh?.token).toBeTruthy();
    expect(fresh?.token).not.toBe(staleToken);
    await second.close();

    // Third run: logged in from the file.
    const third = new MaxClient({ url: emu.url, credentials: maxSessionFile(path), account: "bot" });
    clients.push(third);
    expect(await third.connect()).toEqual({ loggedIn: true });
  });

  it("refused on a reconnect: logged out and connected, one AuthError on `error`, no reconnect loop", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "sb-max-stale-")), "max.json");
    let emu = await start();
    running.push(emu);
    const client = new MaxClient({
      url: emu.url,
      credentials: maxSessionFile(path),
      reconnect: { baseMs: 5, maxMs: 20 },
    });
    clients.push(client);
    await client.connect();
    const phone = nextPhone();
    await smsLogin(client, phone);
    const key = credentialKey(emu.url, "default");
    expect(fileEntries(path)[key]?.token).toBeTruthy();

    const errors: unknown[] = [];
    const states: string[] = [];
    client.on("error", (e) => {
      errors.push(e);
    });
    client.on("state", (s) => {
      states.push(s.state);
    });
    const refused = nextEvent(client, "error", (e) => e instanceof AuthError);
    await emu.close();
    running.splice(0);
    emu = await start(emu.port);
    running.push(emu);
    const err = await refused;
    expect((err as AuthError).code).toBe("login.token");
    await until(() => client.state === "connected", 5000, "connected again");
    expect(client.loggedIn).toBe(false);
    expect(fileEntries(path)[key]).toBeUndefined();

    // No loop: a request on this socket is answered by the server (not logged in), and no new
    // connection attempt happened in between.
    const attempts = states.filter((s) => s === "reconnecting" || s === "connecting").length;
    await expect(client.getChats([1])).rejects.toMatchObject({ code: "proto.state" });
    expect(states.filter((s) => s === "reconnecting" || s === "connecting").length).toBe(attempts);
    expect(errors).toHaveLength(1);

    await smsLogin(client, phone);
    expect(client.loggedIn).toBe(true);
    expect(fileEntries(path)[key]?.token).toBeTruthy();
  });

  it("two sandboxes, same account, one file: separate sessions, neither replayed on the other", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "sb-max-stale-")), "max.json");
    const a = await start();
    const b = await start();
    running.push(a, b);
    const onA = new MaxClient({ url: a.url, credentials: maxSessionFile(path) });
    const onB = new MaxClient({ url: b.url, credentials: maxSessionFile(path) });
    clients.push(onA, onB);
    await onA.connect();
    await smsLogin(onA, nextPhone());
    await onB.connect();
    await smsLogin(onB, nextPhone());
    const entries = fileEntries(path);
    expect(Object.keys(entries).sort()).toEqual(
      [credentialKey(a.url, "default"), credentialKey(b.url, "default")].sort(),
    );
    expect(entries[credentialKey(a.url, "default")]?.token).not.toBe(
      entries[credentialKey(b.url, "default")]?.token,
    );
    await onA.close();
    await onB.close();
    const againA = new MaxClient({ url: a.url, credentials: maxSessionFile(path) });
    const againB = new MaxClient({ url: b.url, credentials: maxSessionFile(path) });
    clients.push(againA, againB);
    expect(await againA.connect()).toEqual({ loggedIn: true });
    expect(await againB.connect()).toEqual({ loggedIn: true });
    expect(againA.userId).toBe(onA.userId);
    expect(againB.userId).toBe(onB.userId);
  });

  it("an old-format file (account-only keys) loads; its token is not replayed on a sandbox", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "sb-max-stale-")), "old.json");
    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        accounts: { default: { token: "old-token-from-v1", deviceId: "dev-old" } },
      }),
      { mode: 0o600 },
    );
    const emu = await start();
    running.push(emu);
    const { lines, logger } = logLines();
    const client = new MaxClient({ url: emu.url, credentials: maxSessionFile(path), logger });
    clients.push(client);
    expect(await client.connect()).toEqual({ loggedIn: false });
    expect(lines.some((l) => l.includes("kept for the production server only"))).toBe(true);
    expect(lines.some((l) => l.includes("refused"))).toBe(false);
    await smsLogin(client, nextPhone());
    const entries = fileEntries(path);
    expect(entries.default).toEqual({ token: "old-token-from-v1", deviceId: "dev-old" });
    expect(entries[credentialKey(emu.url, "default")]?.token).toBeTruthy();
  });

  it("a token the caller gives is still an AuthError, and the stored session is left alone", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "sb-max-stale-")), "max.json");
    const emu = await start();
    running.push(emu);
    const first = new MaxClient({ url: emu.url, credentials: maxSessionFile(path) });
    clients.push(first);
    await first.connect();
    await smsLogin(first, nextPhone());
    const key = credentialKey(emu.url, "default");
    const stored = fileEntries(path)[key];
    const bad = new MaxClient({
      url: emu.url,
      token: "not-a-real-token",
      credentials: maxSessionFile(path),
      reconnect: false,
    });
    clients.push(bad);
    await expect(bad.connect()).rejects.toBeInstanceOf(AuthError);
    const other = new MaxClient({ url: emu.url, credentials: maxSessionFile(path), reconnect: false });
    clients.push(other);
    await expect(other.loginByToken("not-a-real-token")).rejects.toBeInstanceOf(AuthError);
    expect(fileEntries(path)[key]).toEqual(stored);
  });
});
