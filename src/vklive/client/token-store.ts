import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { TokenSet } from "./oauth.js";

export interface TokenStore {
  load(): TokenSet | undefined;
  save(tokens: TokenSet): void;
}

/**
 * Tokens in a JSON file readable by the owner only (0600, directory 0700), written to a temp
 * file and renamed so a crash never leaves half a file.
 */
export class FileTokenStore implements TokenStore {
  constructor(readonly file: string) {}

  load(): TokenSet | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    const v = JSON.parse(text) as Partial<TokenSet>;
    if (typeof v.accessToken !== "string") return undefined;
    const out: TokenSet = {
      accessToken: v.accessToken,
      tokenType: typeof v.tokenType === "string" ? v.tokenType : "Bearer",
    };
    if (typeof v.refreshToken === "string") out.refreshToken = v.refreshToken;
    if (typeof v.expiresAt === "number") out.expiresAt = v.expiresAt;
    if (typeof v.scope === "string") out.scope = v.scope;
    return out;
  }

  save(tokens: TokenSet): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }
}

/** Keeps tokens in memory only. */
export class MemoryTokenStore implements TokenStore {
  #tokens: TokenSet | undefined;
  constructor(tokens?: TokenSet) {
    this.#tokens = tokens;
  }
  load(): TokenSet | undefined {
    return this.#tokens;
  }
  save(tokens: TokenSet): void {
    this.#tokens = tokens;
  }
}
