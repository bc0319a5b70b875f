/**
 * What a MAX client keeps to log in again without an SMS: the login token and the deviceId the
 * token was issued to (the service ties sessions to devices), per account, in a core
 * CredentialStore (memory by default; `maxSessionFile(path)` for one 0600 JSON file
 * `{version: 1, accounts: {name: session}}`).
 */
import { FileCredentialStore } from "../../core/credentials.js";

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

/** A stored entry as a MaxSession, or undefined when it is not one (hand-edited, older file). */
export function parseMaxSession(value: unknown): MaxSession | undefined {
  if (!value || typeof value !== "object") return undefined;
  const v = value as Record<string, unknown>;
  return typeof v.deviceId === "string" ? (v as unknown as MaxSession) : undefined;
}

/** The sessions file the CLI and runtime share (`switchboard max login` writes it). */
export function maxSessionFile(path: string): FileCredentialStore<MaxSession> {
  return new FileCredentialStore<MaxSession>(path, { parse: parseMaxSession });
}
