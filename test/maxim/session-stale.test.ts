/**
 * Issue 18 item 1 on MaxIM: an access-token stored for a sandbox that restarted (new in-memory
 * store) is refused with 10008. connect() answers loggedIn false instead of throwing, the stale
 * entry leaves the file with a log line (no secret), and a login on the same client works.
 * Tokens are kept per server URL + account.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { credentialKey, FileCredentialStore } from "../../src/core/credentials.js";
import { openStore } from "../../src/core/emulator/store.js";
import { AuthError } from "../../src/core/errors.js";
import { createLogger } from "../../src/core/log.js";
import { MaxImClient, type MaxImCredentials } from "../../src/maxim/client/index.js";
import { createMaxImEmulator } from "../../src/maxim/emulator/server.js";
import { maximStoreModule } from "../../src/maxim/emulator/store/schema.js";
import { EXAMPLE_ACCESS_TOKEN } from "../../src/maxim/protocol.js";

const APP = "welovemaxim";

async function start(port = 0) {
  const db = openStore({ file: null, modules: [maximStoreModule] });
  const emu = createMaxImEmulator({ db });
  const url = await emu.listen(port);
  return {
    url,
    port: Number(new URL(url).port),
    async close() {
      await emu.close();
      db.close();
    },
  };
}

const running: { close(): Promise<void> }[] = [];
const clients: MaxImClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const e of running.splice(0)) await e.close();
});

/** A user of the default app and one of its tokens. */
async function userWithToken(url: string, name: string): Promise<{ userId: number; token: string }> {
  const admin = new MaxImClient({ url, appId: APP, adminToken: EXAMPLE_ACCESS_TOKEN, retries: 0 });
  clients.push(admin);
  const userId = (await admin.registerUser({ username: name, password: "pw" })).user_id;
  const { token } = await admin.userToken({ name, password: "pw" });
  return { userId, token };
}

const file = (path: string) => new FileCredentialStore<MaxImCredentials>(path);
const entries = (path: string) =>
  JSON.parse(readFileSync(path, "utf8")).accounts as Record<string, MaxImCredentials>;

describe("MaxIM: a stored token the server refuses", () => {
  it("after a sandbox restart: loggedIn false, the stale entry is gone, a fresh login works", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "sb-maxim-stale-")), "maxim.json");
    let emu = await start();
    running.push(emu);
    const alice = await userWithToken(emu.url, "alice");
    const first = new MaxImClient({ url: emu.url, appId: APP, token: alice.token, credentials: file(path) });
    clients.push(first);
    expect(await first.connect()).toEqual({ userId: alice.userId, loggedIn: true });
    const key = credentialKey(emu.url, "default");
    expect(entries(path)[key]?.token).toBe(alice.token);

    await emu.close();
    running.splice(0);
    emu = await start(emu.port);
    running.push(emu);

    const lines: string[] = [];
    const logger = createLogger({ level: "info", destination: { write: (l: string) => lines.push(l) } });
    const second = new MaxImClient({ url: emu.url, appId: APP, credentials: file(path), logger, retries: 0 });
    clients.push(second);
    expect(await second.connect()).toEqual({ userId: undefined, loggedIn: false });
    expect(second.state).toBe("connected");
    expect(entries(path)[key]).toBeUndefined();
    const why = lines.filter((l) => l.includes("refused the stored access-token"));
    expect(why).toHaveLength(1);
    expect(lines.join("\n")).not.toContain(alice.token);

    // A login on the same client (it needs no token), then the new token is checked and stored.
    const admin = new MaxImClient({ url: emu.url, appId: APP, adminToken: EXAMPLE_ACCESS_TOKEN, retries: 0 });
    clients.push(admin);
    const userId = (await admin.registerUser({ username: "alice", password: "pw" })).user_id;
    const { token } = await second.userToken({ name: "alice", password: "pw" });
    const again = new MaxImClient({ url: emu.url, appId: APP, token, credentials: file(path) });
    clients.push(again);
    expect(await again.connect()).toEqual({ userId, loggedIn: true });
    const third = new MaxImClient({ url: emu.url, appId: APP, credentials: file(path) });
    clients.push(third);
    expect(await third.connect()).toEqual({ userId, loggedIn: true });
  });

  it("a token given in the options is still an AuthError, and the store is left alone", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "sb-maxim-stale-")), "maxim.json");
    const emu = await start();
    running.push(emu);
    const bob = await userWithToken(emu.url, "bob");
    const ok = new MaxImClient({ url: emu.url, appId: APP, token: bob.token, credentials: file(path) });
    clients.push(ok);
    await ok.connect();
    const bad = new MaxImClient({
      url: emu.url,
      appId: APP,
      token: "not-a-token",
      credentials: file(path),
      retries: 0,
    });
    clients.push(bad);
    await expect(bad.connect()).rejects.toBeInstanceOf(AuthError);
    expect(entries(path)[credentialKey(emu.url, "default")]?.token).toBe(bob.token);
  });

  it("two sandboxes, same account, one file: separate tokens; an old-format file loads", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "sb-maxim-stale-")), "maxim.json");
    writeFileSync(
      path,
      JSON.stringify({ version: 1, accounts: { old: { appId: APP, token: "v1-token" } } }),
      {
        mode: 0o600,
      },
    );
    const a = await start();
    const b = await start();
    running.push(a, b);
    const ua = await userWithToken(a.url, "carol");
    const ub = await userWithToken(b.url, "dave");
    const ca = new MaxImClient({ url: a.url, appId: APP, token: ua.token, credentials: file(path) });
    const cb = new MaxImClient({ url: b.url, appId: APP, token: ub.token, credentials: file(path) });
    clients.push(ca, cb);
    await ca.connect();
    await cb.connect();
    const e = entries(path);
    expect(e[credentialKey(a.url, "default")]?.token).toBe(ua.token);
    expect(e[credentialKey(b.url, "default")]?.token).toBe(ub.token);
    expect(e.old).toEqual({ appId: APP, token: "v1-token" });
    const again = new MaxImClient({ url: b.url, appId: APP, credentials: file(path) });
    clients.push(again);
    expect(await again.connect()).toEqual({ userId: ub.userId, loggedIn: true });
    // The v1 entry is for the production URL only: on a sandbox it is as if nothing was stored.
    const old = new MaxImClient({ url: a.url, appId: APP, credentials: file(path), account: "old" });
    clients.push(old);
    await expect(old.connect()).rejects.toMatchObject({ code: 10003 });
  });
});
