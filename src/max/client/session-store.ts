/**
 * Where a MAX client keeps what it needs to log in again without an SMS: the login token and
 * the deviceId the token was issued to (the service ties sessions to devices), per account.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";

export interface MaxSession {
  /** Login token (opcode 19). A secret: never logged. */
  token?: string;
  /** The device the token belongs to; reused on every hello (opcode 6). */
  deviceId: string;
  userId?: number;
  phone?: string;
  /** When this record was written (ms). */
  savedAt?: number;
}

export interface SessionStore {
  load(account: string): Promise<MaxSession | undefined>;
  save(account: string, session: MaxSession): Promise<void>;
  delete(account: string): Promise<void>;
  /** Accounts with a stored session. */
  list(): Promise<string[]>;
}

/** Keeps sessions in process memory: tests, short scripts. */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, MaxSession>();

  async load(account: string): Promise<MaxSession | undefined> {
    const s = this.sessions.get(account);
    return s ? { ...s } : undefined;
  }

  async save(account: string, session: MaxSession): Promise<void> {
    this.sessions.set(account, { ...session });
  }

  async delete(account: string): Promise<void> {
    this.sessions.delete(account);
  }

  async list(): Promise<string[]> {
    return [...this.sessions.keys()];
  }
}

interface SessionFile {
  version: 1;
  accounts: Record<string, MaxSession>;
}

/**
 * One JSON file, mode 0600, holding every account's session. Writes go to a temp file in the
 * same folder and are renamed over the old one, so a crash never leaves half a file; writes in
 * one process are serialised so two saves never interleave.
 */
export class FileSessionStore implements SessionStore {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  async load(account: string): Promise<MaxSession | undefined> {
    const data = await this.read();
    const s = data.accounts[account];
    return s ? { ...s } : undefined;
  }

  save(account: string, session: MaxSession): Promise<void> {
    return this.update((data) => {
      data.accounts[account] = { ...session, savedAt: Date.now() };
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

  private update(change: (data: SessionFile) => void): Promise<void> {
    const next = this.chain.then(async () => {
      const data = await this.read();
      change(data);
      await this.write(data);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async read(): Promise<SessionFile> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, accounts: {} };
      throw err;
    }
    const parsed = JSON.parse(text) as Partial<SessionFile>;
    const accounts: Record<string, MaxSession> = {};
    for (const [name, value] of Object.entries(parsed.accounts ?? {})) {
      if (value && typeof value === "object" && typeof value.deviceId === "string") accounts[name] = value;
    }
    return { version: 1, accounts };
  }

  private async write(data: SessionFile): Promise<void> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    // Created 0600 from the start: the token is never readable by others, even briefly.
    const handle = await open(tmp, "wx", 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(data, null, 2)}\n`, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await chmod(tmp, 0o600);
      await rename(tmp, this.path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }
}
