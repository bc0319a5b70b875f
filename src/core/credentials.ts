/**
 * Where every client keeps what lets it log in again (a MAX token + deviceId, WebQQ cookies,
 * VK Live OAuth tokens, a MaxIM access token). One interface, two stores: in memory, or one
 * JSON file written atomically with mode 0600.
 *
 * A login belongs to one server and one account: clients store it under the key
 * `credentialKey(url, account)` = `<normalised server URL>#<account>`, so two sandboxes (or a
 * sandbox and production) never share, overwrite or replay each other's tokens. Clients see the
 * store through `serverCredentials(store, {url, …})`, a view keyed by account alone.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { ValidationError } from "./errors.js";
import { type Logger, silentLogger } from "./log.js";

export interface CredentialStore<T> {
  /** `key`: a `credentialKey(url, account)`, or the account alone through `serverCredentials`. */
  load(key: string): Promise<T | undefined>;
  save(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys with stored credentials. */
  list(): Promise<string[]>;
}

/**
 * The server part of a credential key: `scheme://host[:port][/path]`, scheme and host lower
 * case, a default port dropped, no user info, query or fragment, no trailing slash. So
 * `WS://Example.com:443/websocket/?v=1` and `ws://example.com:443/websocket` are one server.
 */
export function normaliseServerUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, "")}`;
  } catch {
    // Not a URL (the client will say so when it connects): still one stable key, no query.
    return url
      .trim()
      .replace(/[?#].*$/s, "")
      .replace(/\/+$/, "");
  }
}

/** Where the server part of a key ends: a normalised URL never holds `#`. */
const KEY_SEPARATOR = "#";

/** The store key of `account`'s login on the server at `url`: `<normalised url>#<account>`. */
export function credentialKey(url: string, account: string): string {
  return `${normaliseServerUrl(url)}${KEY_SEPARATOR}${account}`;
}

/**
 * The server and account of a key written by `credentialKey`; undefined for anything else
 * (an account-only key of a version 1 file).
 */
export function parseCredentialKey(key: string): { url: string; account: string } | undefined {
  const at = key.indexOf(KEY_SEPARATOR);
  if (at < 0) return undefined;
  const url = key.slice(0, at);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return undefined;
  return { url, account: key.slice(at + 1) };
}

export interface ServerCredentialsOptions {
  /** The server the client talks to (any form: it is normalised). */
  url: string;
  /**
   * The platform's production URL. Entries keyed by account alone (files written before keys
   * named the server) are used only when `url` is this one, and are moved to the URL key then.
   */
  productionUrl?: string;
  logger?: Logger;
  /** Named in log lines. */
  platform?: string;
}

/**
 * One server's logins in `store`, keyed by account (what a client uses). Entries of older
 * files keyed by account alone are never sent to a server they may not belong to: they are
 * read only for `productionUrl` (the only server an old default-URL client could have meant;
 * a sandbox token sent there is merely refused) and moved under its URL key on first use. For
 * any other server they stay in the file untouched, and one log line says why they were not
 * used — nothing a user had is dropped silently.
 */
export class ServerCredentialStore<T> implements CredentialStore<T> {
  readonly url: string;
  readonly #production: boolean;
  readonly #log: Logger;
  readonly #platform: string;
  readonly #told = new Set<string>();

  constructor(
    readonly store: CredentialStore<T>,
    options: ServerCredentialsOptions,
  ) {
    this.url = normaliseServerUrl(options.url);
    this.#production =
      options.productionUrl !== undefined && normaliseServerUrl(options.productionUrl) === this.url;
    this.#log = options.logger ?? silentLogger;
    this.#platform = options.platform ?? "core";
  }

  /** The underlying key of `account` on this server. */
  key(account: string): string {
    return credentialKey(this.url, account);
  }

  async load(account: string): Promise<T | undefined> {
    const value = await this.store.load(this.key(account));
    if (value !== undefined) return value;
    if (parseCredentialKey(account)) return undefined;
    const legacy = await this.store.load(account);
    if (legacy === undefined) return undefined;
    if (this.#production) {
      await this.store.save(this.key(account), legacy);
      await this.store.delete(account);
      this.#log.info(
        { platform: this.#platform, account, url: this.url },
        "stored login without a server URL (older file) moved under the production URL",
      );
      return legacy;
    }
    if (!this.#told.has(account)) {
      this.#told.add(account);
      this.#log.info(
        { platform: this.#platform, account, url: this.url },
        "a stored login without a server URL (older file) is kept for the production server only; not used here",
      );
    }
    return undefined;
  }

  save(account: string, value: T): Promise<void> {
    return this.store.save(this.key(account), value);
  }

  async delete(account: string): Promise<void> {
    await this.store.delete(this.key(account));
    if (this.#production && !parseCredentialKey(account)) await this.store.delete(account);
  }

  /** Accounts with a login on this server (and older account-only ones, for production). */
  async list(): Promise<string[]> {
    const out = new Set<string>();
    for (const key of await this.store.list()) {
      const k = parseCredentialKey(key);
      if (k && k.url === this.url) out.add(k.account);
      else if (!k && this.#production) out.add(key);
    }
    return [...out];
  }
}

/**
 * `store` as one server's logins keyed by account. A store that already is such a view for
 * the same server is returned as is (a client handing its own view to another).
 */
export function serverCredentials<T>(
  store: CredentialStore<T>,
  options: ServerCredentialsOptions,
): ServerCredentialStore<T> {
  if (store instanceof ServerCredentialStore && store.url === normaliseServerUrl(options.url)) return store;
  const base = store instanceof ServerCredentialStore ? (store.store as CredentialStore<T>) : store;
  return new ServerCredentialStore(base, options);
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
  version: 2;
  accounts: Record<string, T>;
}

/**
 * One JSON file `{version: 2, accounts: {key: value}}`, mode 0600 in a 0700 folder. Keys are
 * `credentialKey(url, account)` (`"ws://127.0.0.1:8701/websocket#boris"`); a version 1 file
 * (keys are bare account names) loads as is, its entries handled by `serverCredentials`, and is
 * written back as version 2 by the next save. Writes go
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
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { version: 2, accounts: {} };
      throw err;
    }
    let parsed: { accounts?: Record<string, unknown> };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // Never overwrite what we cannot read: the user may want it back.
      throw new ValidationError(`credentials file ${this.path} is not JSON; fix or remove it`, {
        platform: "core",
        code: "bad_credentials_file",
      });
    }
    const accounts: Record<string, T> = {};
    const stored = parsed !== null && typeof parsed === "object" ? parsed.accounts : undefined;
    const entries = stored !== null && typeof stored === "object" ? Object.entries(stored) : [];
    for (const [name, value] of entries) {
      const v = this.options.parse ? this.options.parse(value) : (value as T);
      if (v !== undefined && v !== null) accounts[name] = v;
    }
    return { version: 2, accounts };
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
