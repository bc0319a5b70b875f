import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileCredentialStore, MemoryCredentialStore, writeFileAtomic } from "../../src/core/credentials.js";

const tmp = () => mkdtempSync(join(tmpdir(), "sb-cred-"));

describe("FileCredentialStore", () => {
  it("keeps one file of every account, mode 0600 in a 0700 folder, no temp files left", async () => {
    const dir = join(tmp(), "nested");
    const path = join(dir, "creds.json");
    const store = new FileCredentialStore<{ token: string }>(path);
    expect(await store.load("a")).toBeUndefined();
    await store.save("a", { token: "t-a" });
    await store.save("b", { token: "t-b" });
    expect(await store.load("a")).toEqual({ token: "t-a" });
    expect((await store.list()).sort()).toEqual(["a", "b"]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({
      version: 2,
      accounts: { a: { token: "t-a" }, b: { token: "t-b" } },
    });
    await store.delete("a");
    expect(await store.list()).toEqual(["b"]);
    expect(readdirSync(dir)).toEqual(["creds.json"]);
  });

  it("serialises concurrent saves so none is lost", async () => {
    const path = join(tmp(), "c.json");
    const store = new FileCredentialStore<number>(path);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.save(`acc${i}`, i)));
    expect((await store.list()).length).toBe(20);
    // A second store on the same file reads what the first wrote.
    expect(await new FileCredentialStore<number>(path).load("acc7")).toBe(7);
  });

  it("drops entries its parser rejects instead of crashing", async () => {
    const path = join(tmp(), "c.json");
    writeFileSync(path, JSON.stringify({ version: 1, accounts: { ok: { token: "x" }, bad: { nope: 1 } } }));
    const store = new FileCredentialStore<{ token: string }>(path, {
      parse: (v) =>
        v && typeof v === "object" && typeof (v as { token?: unknown }).token === "string"
          ? (v as { token: string })
          : undefined,
    });
    expect(await store.list()).toEqual(["ok"]);
    expect(await store.load("bad")).toBeUndefined();
  });
});

describe("writeFileAtomic", () => {
  it("replaces a file whole and makes it 0600 even when it was world-readable", async () => {
    const path = join(tmp(), "f");
    writeFileSync(path, "old", { mode: 0o644 });
    await writeFileAtomic(path, "new");
    expect(readFileSync(path, "utf8")).toBe("new");
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});

describe("MemoryCredentialStore", () => {
  it("hands out copies, so a caller's later change does not reach the store", async () => {
    const store = new MemoryCredentialStore<{ n: number }>({ x: { n: 1 } });
    const v = await store.load("x");
    if (v) v.n = 2;
    expect(await store.load("x")).toEqual({ n: 1 });
    await store.delete("x");
    expect(await store.list()).toEqual([]);
  });
});
