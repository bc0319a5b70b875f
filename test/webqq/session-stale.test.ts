/**
 * Issue 18 item 1 on WebQQ: a stored session (cookies, psessionid) of a sandbox that restarted
 * with a new in-memory store. connect() with `login` logs in afresh instead of failing; without
 * it, the error says to log in and passwordLogin works on the same client. Either way the
 * stale entry leaves the file with a log line (no secret). Sessions are kept per server URL +
 * account; an old-format file loads.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { credentialKey, FileCredentialStore } from "../../src/core/credentials.js";
import { openStore } from "../../src/core/emulator/store.js";
import { AuthError } from "../../src/core/errors.js";
import { createLogger } from "../../src/core/log.js";
import { WebQQClient, type WebQQSession } from "../../src/webqq/client/index.js";
import { createWebQQEmulator } from "../../src/webqq/emulator/server.js";
import { webqqStoreModule } from "../../src/webqq/emulator/store/schema.js";
import { BOB, seedWorld } from "./harness.js";

async function start(port = 0) {
  const db = openStore({ file: null, modules: [webqqStoreModule] });
  const emu = createWebQQEmulator({ db, pollTimeoutMs: 400 });
  seedWorld(emu);
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
const clients: WebQQClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const e of running.splice(0)) await e.close();
});

function track(c: WebQQClient): WebQQClient {
  clients.push(c);
  return c;
}

const file = (path: string) => new FileCredentialStore<WebQQSession>(path);
const entries = (path: string) =>
  JSON.parse(readFileSync(path, "utf8")).accounts as Record<string, WebQQSession>;

function logLines() {
  const lines: string[] = [];
  const logger = createLogger({ level: "info", destination: { write: (l: string) => lines.push(l) } });
  return { lines, logger };
}

/** A session stored in `path` by a login on a sandbox that then restarts on the same port. */
async function staleSession(path: string) {
  let emu = await start();
  running.push(emu);
  const first = track(new WebQQClient({ url: emu.url, credentials: file(path), backoffBaseMs: 5 }));
  const old = await first.passwordLogin({ qq: BOB, password: "pw-bob" });
  await first.close();
  const key = credentialKey(emu.url, "default");
  expect(entries(path)[key]?.psessionid).toBe(old.psessionid);
  await emu.close();
  running.splice(0);
  emu = await start(emu.port);
  running.push(emu);
  return { emu, key, old };
}

describe("WebQQ: a stored session the server refuses", () => {
  it("with `login`: connect() logs in afresh; the file holds the new session only", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "sb-webqq-stale-")), "webqq.json");
    const { emu, key, old } = await staleSession(path);
    const { lines, logger } = logLines();
    const c = track(
      new WebQQClient({
        url: emu.url,
        credentials: file(path),
        login: { qq: BOB, password: "pw-bob" },
        logger,
        backoffBaseMs: 5,
      }),
    );
    const s = await c.connect();
    expect(c.state).toBe("connected");
    expect(s.psessionid).not.toBe(old.psessionid);
    expect(entries(path)[key]?.psessionid).toBe(s.psessionid);
    expect(lines.filter((l) => l.includes("refused the stored session"))).toHaveLength(1);
    const all = lines.join("\n");
    for (const secret of [old.psessionid, old.vfwebqq, old.ptwebqq]) expect(all).not.toContain(secret);
  });

  it("without `login`: a clear AuthError, the stale entry removed, passwordLogin works on the same client", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "sb-webqq-stale-")), "webqq.json");
    const { emu, key } = await staleSession(path);
    const c = track(new WebQQClient({ url: emu.url, credentials: file(path), backoffBaseMs: 5 }));
    const err = await c.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).code).toBe("no_session");
    expect((err as AuthError).message).toContain("log in first");
    expect(c.state).toBe("disconnected");
    expect(entries(path)[key]).toBeUndefined();

    const fresh = await c.passwordLogin({ qq: BOB, password: "pw-bob" });
    expect(entries(path)[key]?.psessionid).toBe(fresh.psessionid);
    await c.connect();
    expect(c.state).toBe("connected");
    // The next run resumes from the file.
    const next = track(new WebQQClient({ url: emu.url, credentials: file(path), backoffBaseMs: 5 }));
    expect((await next.connect()).uin).toBe(fresh.uin);
  });

  it("a stored session ended by a login elsewhere: connect() with `login` logs in afresh and calls work", async () => {
    const emu = await start();
    running.push(emu);
    const dir = mkdtempSync(join(tmpdir(), "sb-webqq-kicked-"));
    const mine = join(dir, "mine.json");
    const first = track(new WebQQClient({ url: emu.url, credentials: file(mine), backoffBaseMs: 5 }));
    const old = await first.passwordLogin({ qq: BOB, password: "pw-bob" });
    await first.close();
    // Another app logs the same account in: the stored session is kicked (a kick_message waits
    // in its queue for poll2), so any other call on it must answer 121 at once.
    const other = track(new WebQQClient({ url: emu.url, credentials: file(join(dir, "other.json")) }));
    await other.passwordLogin({ qq: BOB, password: "pw-bob" });
    const c = track(
      new WebQQClient({
        url: emu.url,
        credentials: file(mine),
        login: { qq: BOB, password: "pw-bob" },
        backoffBaseMs: 5,
      }),
    );
    const s = await c.connect();
    expect(s.psessionid).not.toBe(old.psessionid);
    expect((await c.friends()).info.length).toBeGreaterThan(0);
  });

  it("two sandboxes, same account, one file: separate sessions; an old-format file loads", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "sb-webqq-stale-")), "webqq.json");
    writeFileSync(
      path,
      JSON.stringify({ version: 1, accounts: { legacy: { psessionid: "p", vfwebqq: "v" } } }),
      {
        mode: 0o600,
      },
    );
    const a = await start();
    const b = await start();
    running.push(a, b);
    const ca = track(new WebQQClient({ url: a.url, credentials: file(path) }));
    const cb = track(new WebQQClient({ url: b.url, credentials: file(path) }));
    const sa = await ca.passwordLogin({ qq: BOB, password: "pw-bob" });
    const sb = await cb.passwordLogin({ qq: BOB, password: "pw-bob" });
    const e = entries(path);
    expect(e[credentialKey(a.url, "default")]?.psessionid).toBe(sa.psessionid);
    expect(e[credentialKey(b.url, "default")]?.psessionid).toBe(sb.psessionid);
    expect(e.legacy).toEqual({ psessionid: "p", vfwebqq: "v" });
    const again = track(new WebQQClient({ url: a.url, credentials: file(path) }));
    expect((await again.restore())?.psessionid).toBe(sa.psessionid);
    // The URL-less entry is for the production hosts only: a sandbox client does not see it.
    const legacy = track(new WebQQClient({ url: a.url, credentials: file(path), account: "legacy" }));
    expect(await legacy.restore()).toBeUndefined();
  });
});
