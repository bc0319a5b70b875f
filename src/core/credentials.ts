/**
 * Where every client keeps what lets it log in again (a MAX token + deviceId, WebQQ cookies,
 * VK Live OAuth tokens, a MaxIM access token), per account. One interface, two stores: in
 * memory, or one JSON file written atomically with mode 0600.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";

export interface CredentialStore<T> {
  load(account: string): Promise<T | undefined>;
  save(account: string, value: T): Promise<void>;
  delete(account: string): Promise<void>;
  /** Accounts with stored credentials. */
  list(): Promise<string[]>;
}

/** Keeps credentials in process memory: tests, short scripts. */
export class MemoryCredentialStore<T> implements CredentialStore<T> {
  private readonly values = new Map<string, T>();

  constructor(initial?: Record<string, T>) {
    for (const [account, value] of Object.entries(initial ?? {})) this.values.set(account, value);
  }

  async load(account: string): Promise<T | undefined> {
    const v = this.values.get(account);
    return v === undefined ? undefined : structuredClone(v);
  }

  async save(account: string, value: T): Promise<void> {
    this.values.set(account, structuredClone(value));
  }

  async delete(account: string): Promise<void> {
    this.values.delete(account);
  }

  async list(): Promise<string[]> {
    return [...this.values.keys()];
  }
}

export interface FileCredentialStoreOptions<T> {
  /**
   * Checks one stored entry as it is read; entries it rejects (returns undefined for) are
   * treated as absent, so a hand-edited or older file never crashes a client.
   */
  parse?: (value: unknown) => T | undefined;
}

interface CredentialFile<T> {
  version: 1;
  accounts: Record<string, T>;
}

/**
 * One JSON file `{version: 1, accounts: {name: value}}`, mode 0600 in a 0700 folder. Writes go
 * to a temp file created 0600, are fsynced and renamed over the old one, so a crash never
 * leaves half a file and a secret is never readable by others; writes in one process are
 * serialised so two saves never interleave.
 */
export class FileCredentialStore<T> implements CredentialStore<T> {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly options: FileCredentialStoreOptions<T> = {},
  ) {}

  async load(account: string): Promise<T | undefined> {
    return (await this.read()).accounts[account];
  }

  save(account: string, value: T): Promise<void> {
    return this.update((data) => {
      data.accounts[account] = value;
    });
  }

  delete(account: string): Promise<void> {
    return this.update((data) => {
      delete data.accounts[account];
    });
  }

  async list(): Promise<string[]> {
    return Object.keys((await this.read()).accounts);
  }

  private update(change: (data: CredentialFile<T>) => void): Promise<void> {
    const next = this.chain.then(async () => {
      const data = await this.read();
      change(data);
      await writeFileAtomic(this.path, `${JSON.stringify(data, null, 2)}\n`);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async read(): Promise<CredentialFile<T>> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, accounts: {} };
      throw err;
    }
    const parsed = JSON.parse(text) as { accounts?: Record<string, unknown> };
    const accounts: Record<string, T> = {};
    for (const [name, value] of Object.entries(parsed?.accounts ?? {})) {
      const v = this.options.parse ? this.options.parse(value) : (value as T);
      if (v !== undefined && v !== null) accounts[name] = v;
    }
    return { version: 1, accounts };
  }
}

/**
 * Writes `text` to `path` so that readers see the old file or the whole new one, never a part,
 * and so that the file is 0600 from its first byte (its folder 0700 when created).
 */
export async function writeFileAtomic(path: string, text: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const handle = await open(tmp, "wx", 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
