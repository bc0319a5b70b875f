/**
 * Issue 18 item 1 on VK Live: OAuth tokens stored for a sandbox that restarted (new in-memory
 * store), or whose refresh is refused, are removed from the credentials file with a log line
 * (no secret); connect() resolves logged out (undefined) instead of throwing, and a CodeFlow
 * login works on the same client. Tokens are kept per server URL + account.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { credentialKey, FileCredentialStore } from "../../src/core/credentials.js";
import { openStore } from "../../src/core/emulator/store.js";
import { AuthError } from "../../src/core/errors.js";
import { createLogger } from "../../src/core/log.js";
import { VkLiveClient } from "../../src/vklive/client/index.js";
import { parseCodeRedirect, type TokenSet } from "../../src/vklive/client/oauth.js";
import { createVkLiveEmulator } from "../../src/vklive/emulator/server.js";
import { vkliveStoreModule } from "../../src/vklive/emulator/store/index.js";

const REDIRECT = "http://127.0.0.1:9/callback";
const CLIENT_ID = "stale-test-app";

/** A sandbox on `port` with one app (fixed client id, new secret each start) and one viewer. */
async function start(port = 0) {
  const db = openStore({ file: null, modules: [vkliveStoreModule] });
  const emu = createVkLiveEmulator({ db });
  const url = await emu.listen(port);
  const app = emu.admin.createApp({ redirectUri: REDIRECT, clientId: CLIENT_ID });
  const viewer = emu.admin.createUser({ nick: "viewer" }).userId;
  return {
    emu,
    url,
    app,
    viewer,
    port: Number(new URL(url).port),
    /** A CodeFlow login's code, as the consent page would redirect with it. */
    code(): string {
      const { location } = emu.admin.consent({
        clientId: CLIENT_ID,
        userId: viewer,
        redirectUri: REDIRECT,
        state: "s",
      });
      return parseCodeRedirect(location).code ?? "";
    },
    async close() {
      await emu.close();
      db.close();
    },
  };
}
type Sandbox = Awaited<ReturnType<typeof start>>;

const running: Sandbox[] = [];
const clients: VkLiveClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const e of running.splice(0)) await e.close();
});

const entries = (path: string) => JSON.parse(readFileSync(path, "utf8")).accounts as Record<string, TokenSet>;

function logLines() {
  const lines: string[] = [];
  const logger = createLogger({ level: "info", destination: { write: (l: string) => lines.push(l) } });
  return { lines, logger };
}

function userClient(
  sb: Sandbox,
  path: string,
  extra: Partial<ConstructorParameters<typeof VkLiveClient>[0]> = {},
) {
  const c = new VkLiveClient({
    url: sb.url,
    clientId: sb.app.clientId,
    clientSecret: sb.app.secret,
    redirectUri: REDIRECT,
    credentials: new FileCredentialStore<TokenSet>(path),
    auth: "user",
    retries: 0,
    ...extra,
  });
  clients.push(c);
  return c;
}

describe("VK Live: stored tokens the server refuses", () => {
  it("after a sandbox restart: connect() resolves logged out, the tokens leave the file, a login works", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "sb-vklive-stale-")), "tokens.json");
    let sb = await start();
    running.push(sb);
    const first = userClient(sb, path);
    const t = await first.exchangeCode(sb.code());
    expect((await first.connect())?.type).toBe("user");
    const key = credentialKey(sb.url, "default");
    expect(entries(path)[key]?.accessToken).toBe(t.accessToken);
    await first.close();

    await sb.close();
    running.splice(0);
    sb = await start(sb.port);
    running.push(sb);

    const { lines, logger } = logLines();
    const second = userClient(sb, path, { logger });
    expect(await second.connect()).toBeUndefined();
    expect(second.state).toBe("connected");
    expect(entries(path)[key]).toBeUndefined();
    expect(lines.filter((l) => l.includes("refused the stored tokens"))).toHaveLength(1);
    const all = lines.join("\n");
    expect(all).not.toContain(t.accessToken);
    if (t.refreshToken) expect(all).not.toContain(t.refreshToken);

    // Logged out: a user call says so at once; the CodeFlow login works on the same client.
    await expect(second.tokenInfo()).rejects.toBeInstanceOf(AuthError);
    const fresh = await second.exchangeCode(sb.code());
    expect((await second.tokenInfo()).type).toBe("user");
    expect(entries(path)[key]?.accessToken).toBe(fresh.accessToken);
    const third = userClient(sb, path);
    expect((await third.connect())?.type).toBe("user");
  });

  it("a refused refresh removes the tokens from the credentials file (no retry, no loop)", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "sb-vklive-stale-")), "tokens.json");
    const sb = await start();
    running.push(sb);
    const key = credentialKey(sb.url, "default");
    const issued = sb.emu.admin.issueToken({ clientId: CLIENT_ID, userId: sb.viewer, scopes: [] });
    await new FileCredentialStore<TokenSet>(path).save(key, {
      accessToken: issued.access_token,
      refreshToken: "burnt-refresh-token",
      expiresAt: Date.now() - 1,
      tokenType: "Bearer",
    });
    const c = userClient(sb, path);
    const before = sb.emu.admin.stats().tokenRequests.refresh_token ?? 0;
    expect(await c.connect()).toBeUndefined();
    expect(entries(path)[key]).toBeUndefined();
    await expect(c.tokenInfo()).rejects.toBeInstanceOf(AuthError);
    expect((sb.emu.admin.stats().tokenRequests.refresh_token ?? 0) - before).toBe(1);
  });

  it("tokens given in the options: their refusal is an AuthError, as before", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "sb-vklive-stale-")), "tokens.json");
    const sb = await start();
    running.push(sb);
    const c = userClient(sb, path, { tokens: { accessToken: "not-a-token", tokenType: "Bearer" } });
    await expect(c.connect()).rejects.toBeInstanceOf(AuthError);
  });

  it("two sandboxes, same account, one file: separate tokens; an old-format file loads", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "sb-vklive-stale-")), "tokens.json");
    writeFileSync(path, JSON.stringify({ version: 1, accounts: { old: { accessToken: "v1-token" } } }), {
      mode: 0o600,
    });
    const a = await start();
    const b = await start();
    running.push(a, b);
    const ta = await userClient(a, path).exchangeCode(a.code());
    const tb = await userClient(b, path).exchangeCode(b.code());
    const e = entries(path);
    expect(e[credentialKey(a.url, "default")]?.accessToken).toBe(ta.accessToken);
    expect(e[credentialKey(b.url, "default")]?.accessToken).toBe(tb.accessToken);
    expect(e.old).toEqual({ accessToken: "v1-token" });
    expect((await userClient(a, path).connect())?.type).toBe("user");
    expect((await userClient(b, path).connect())?.type).toBe("user");
  });
});
