/**
 * Where a poller keeps the `/updates` marker between runs. The marker is saved only after every
 * update of a batch was handled, and passed on the next request (which commits the batch on the
 * server), so a crash re-delivers what was not finished instead of losing it.
 *
 * Two stores: in memory (tests, short scripts) and one JSON file written atomically with mode
 * 0600 (`{version: 1, markers: {key: marker}}`), where the key names the server and the bot.
 */
import { readFile } from "node:fs/promises";
import { normaliseServerUrl, writeFileAtomic } from "../../core/credentials.js";
import { ValidationError } from "../../core/errors.js";

export interface MarkerStore {
  /** The marker saved under `key`, undefined before the first save. */
  load(key: string): Promise<number | undefined>;
  /** Durable when the promise resolves (a crash after that keeps it). */
  save(key: string, marker: number): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The store key of one bot's marker on one server: `<normalised url>#<botId>`. */
export function markerKey(url: string, botId: number | string): string {
  return `${normaliseServerUrl(url)}#${botId}`;
}

export class MemoryMarkerStore implements MarkerStore {
  readonly #markers = new Map<string, number>();

  async load(key: string): Promise<number | undefined> {
    return this.#markers.get(key);
  }

  async save(key: string, marker: number): Promise<void> {
    this.#markers.set(key, marker);
  }

  async delete(key: string): Promise<void> {
    this.#markers.delete(key);
  }
}

interface MarkerFile {
  version: 1;
  markers: Record<string, number>;
}

/**
 * One JSON file of markers. Each save writes a temp file (0600, fsynced) and renames it over the
 * old one, so a kill at any moment leaves the old marker or the new one, never a torn file;
 * saves in one process are serialised.
 */
export class FileMarkerStore implements MarkerStore {
  #chain: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  async load(key: string): Promise<number | undefined> {
    await this.#chain;
    return (await this.#read()).markers[key];
  }

  save(key: string, marker: number): Promise<void> {
    if (!Number.isSafeInteger(marker) || marker < 0)
      return Promise.reject(
        new ValidationError(`not a marker: ${marker}`, { platform: "core", code: "invalid_marker" }),
      );
    return this.#update((file) => {
      file.markers[key] = marker;
    });
  }

  delete(key: string): Promise<void> {
    return this.#update((file) => {
      delete file.markers[key];
    });
  }

  #update(change: (file: MarkerFile) => void): Promise<void> {
    const next = this.#chain.then(async () => {
      const file = await this.#read();
      change(file);
      await writeFileAtomic(this.path, `${JSON.stringify(file)}\n`);
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #read(): Promise<MarkerFile> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, markers: {} };
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Never overwrite what we cannot read: losing a marker re-delivers, but silently is worse.
      throw new ValidationError(`marker file ${this.path} is not JSON; fix or remove it`, {
        platform: "core",
        code: "bad_marker_file",
      });
    }
    const markers: Record<string, number> = {};
    const raw =
      parsed !== null && typeof parsed === "object" ? (parsed as { markers?: unknown }).markers : undefined;
    if (raw !== null && typeof raw === "object")
      for (const [k, v] of Object.entries(raw))
        if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) markers[k] = v;
    return { version: 1, markers };
  }
}
