/**
 * Credential keys: one login per server URL + account (issue 18 item 1). Two sandboxes with the
 * same account keep separate logins in one file; version 1 files (account-only keys) still
 * load, used for the production URL only and moved under its key, never sent elsewhere.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  credentialKey,
  FileCredentialStore,
  MemoryCredentialStore,
  normaliseServerUrl,
  parseCredentialKey,
  serverCredentials,
} from "../../src/core/credentials.js";
import { ValidationError } from "../../src/core/errors.js";
import { createLogger } from "../../src/core/log.js";

const tmp = () => mkdtempSync(join(tmpdir(), "sb-credkey-"));

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: "info",
    destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { lines, logger };
}

describe("normaliseServerUrl / credentialKey", () => {
  it("keeps scheme, host, port and path; drops query, fragment, user info and trailing slashes", () => {
    expect(normaliseServerUrl("WS://Example.COM:8701/websocket/?v=11#x")).toBe(
      "ws://example.com:8701/websocket",
    );
    expect(normaliseServerUrl("http://127.0.0.1:9000/")).toBe("http://127.0.0.1:9000");
    expect(normaliseServerUrl("http://127.0.0.1:9000")).toBe("http://127.0.0.1:9000");
    expect(normaliseServerUrl("https://user:secret@api.example.com:443/v1//")).toBe(
      "https://api.example.com/v1",
    );
    // Different ports, schemes or paths are different servers.
    expect(normaliseServerUrl("ws://h:1/a")).not.toBe(normaliseServerUrl("ws://h:2/a"));
    expect(normaliseServerUrl("ws://h:1/a")).not.toBe(normaliseServerUrl("wss://h:1/a"));
    expect(normaliseServerUrl("ws://h:1/a")).not.toBe(normaliseServerUrl("ws://h:1/b"));
    // Not a URL: still a stable key without the query.
    expect(normaliseServerUrl(" not a url/?q=1 ")).toBe("not a url");
  });

  it("a key is `<url>#<account>` and parses back; account-only keys do not parse", () => {
    const key = credentialKey("ws://127.0.0.1:8701/websocket/?x=1", "boris#2");
    expect(key).toBe("ws://127.0.0.1:8701/websocket#boris#2");
    expect(parseCredentialKey(key)).toEqual({ url: "ws://127.0.0.1:8701/websocket", account: "boris#2" });
    expect(parseCredentialKey("boris")).toBeUndefined();
    expect(parseCredentialKey("a#b")).toBeUndefined();
  });
});

describe("serverCredentials", () => {
  it("two sandboxes with the same account keep separate logins in one file", async () => {
    const path = join(tmp(), "logins.json");
    const file = new FileCredentialStore<{ token: string }>(path);
    const a = serverCredentials(file, { url: "ws://127.0.0.1:8701/websocket" });
    const b = serverCredentials(file, { url: "ws://127.0.0.1:8702/websocket" });
    await a.save("default", { token: "token-a" });
    await b.save("default", { token: "token-b" });
    expect(await a.load("default")).toEqual({ token: "token-a" });
    expect(await b.load("default")).toEqual({ token: "token-b" });
    expect(await a.list()).toEqual(["default"]);
    await a.delete("default");
    expect(await a.load("default")).toBeUndefined();
    expect(await b.load("default")).toEqual({ token: "token-b" });
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({
      version: 2,
      accounts: { "ws://127.0.0.1:8702/websocket#default": { token: "token-b" } },
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("a version 1 file loads: its entries serve the production URL only, moved under its key", async () => {
    const path = join(tmp(), "old.json");
    writeFileSync(
      path,
      JSON.stringify({ version: 1, accounts: { boris: { token: "old-boris" }, ann: { token: "old-ann" } } }),
      { mode: 0o600 },
    );
    const file = new FileCredentialStore<{ token: string }>(path);
    const { lines, logger } = capture();
    const production = "wss://ws-api.example.ru/websocket";

    // A sandbox never sees the old, URL-less entry: it may be a production secret.
    const sandbox = serverCredentials(file, {
      url: "ws://127.0.0.1:8701/websocket",
      productionUrl: production,
      logger,
    });
    expect(await sandbox.load("boris")).toBeUndefined();
    expect(await sandbox.load("boris")).toBeUndefined();
    expect(await sandbox.list()).toEqual([]);
    const notUsed = lines.filter((l) => String(l.msg).includes("not used here"));
    expect(notUsed).toHaveLength(1);
    expect(notUsed[0]).toMatchObject({ account: "boris", url: "ws://127.0.0.1:8701/websocket" });
    // Nothing was dropped from the file.
    expect(Object.keys(JSON.parse(readFileSync(path, "utf8")).accounts).sort()).toEqual(["ann", "boris"]);

    // The production URL gets it, and the file now names the server.
    const prod = serverCredentials(file, { url: `${production}/`, productionUrl: production, logger });
    expect((await prod.list()).sort()).toEqual(["ann", "boris"]);
    expect(await prod.load("boris")).toEqual({ token: "old-boris" });
    expect(lines.some((l) => String(l.msg).includes("moved under the production URL"))).toBe(true);
    const after = JSON.parse(readFileSync(path, "utf8"));
    expect(after.version).toBe(2);
    expect(after.accounts).toEqual({
      ann: { token: "old-ann" },
      [`${production}#boris`]: { token: "old-boris" },
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await prod.load("boris")).toEqual({ token: "old-boris" });
    // No token ever reached a log line.
    expect(JSON.stringify(lines)).not.toContain("old-");
  });

  it("a view of a view for the same server is the same view; another server gets the base store", async () => {
    const base = new MemoryCredentialStore<number>();
    const a = serverCredentials(base, { url: "http://h:1" });
    expect(serverCredentials(a, { url: "http://h:1/" })).toBe(a);
    const b = serverCredentials(a, { url: "http://h:2" });
    await b.save("x", 2);
    expect(await base.load("http://h:2#x")).toBe(2);
  });

  it("a file that is not JSON is a ValidationError naming the file, and is not overwritten", async () => {
    const path = join(tmp(), "broken.json");
    writeFileSync(path, "{not json", { mode: 0o600 });
    const file = new FileCredentialStore<{ token: string }>(path);
    const err = await file.load("x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toContain(path);
    await expect(file.save("x", { token: "t" })).rejects.toBeInstanceOf(ValidationError);
    expect(readFileSync(path, "utf8")).toBe("{not json");
  });
});
