/**
 * What a MAX client keeps to log in again without an SMS: the login token and the deviceId the
 * token was issued to (the service ties sessions to devices), per server URL + account, in a
 * core CredentialStore (memory by default; `maxSessionFile(path)` for one 0600 JSON file
 * `{version: 2, accounts: {"<url>#<account>": session}}`), and what happens when the server
 * no longer takes a stored token.
 */
import { randomUUID } from "node:crypto";
import { FileCredentialStore, normaliseServerUrl } from "../../core/credentials.js";
import { AuthError } from "../../core/errors.js";
import type { MaxEngine } from "./engine.js";

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

/** What `tokenRefused` answers when the socket stays up, logged out. */
export const LOGGED_OUT: unique symbol = Symbol("max.loggedOut");

/** Tokens the caller handed over just now (`loginByToken(t)`): refusing one is their mistake. */
const givenTokens = new WeakMap<MaxEngine, string>();

export function markGivenToken(e: MaxEngine, token: string): void {
  givenTokens.set(e, token);
}

/** Whether `token` came from the caller (`token` option, `loginByToken`) rather than the store. */
export function isGivenToken(e: MaxEngine, token: string): boolean {
  return token === e.o.token || token === givenTokens.get(e);
}

/**
 * Opcode 19 refused `token` on a new socket (an AuthError: FAIL_LOGIN_TOKEN / login.token, or a
 * session ended elsewhere). A stored token — or any token of a client that was logged in, met
 * again on a reconnect — has gone stale (a restarted sandbox, expiry, revocation): the stored
 * session is removed, a log line says why (no secret), and the socket stays connected and
 * logged out, so the app's usual login (SMS, QR) works on the same client. After a reconnect
 * the app also gets the AuthError on `error`. A token the caller gave on this first connect
 * (`token` option, `loginByToken`) is rethrown: bad input gets its error. Other errors rethrown.
 */
export async function tokenRefused(e: MaxEngine, token: string, err: unknown): Promise<typeof LOGGED_OUT> {
  if (!(err instanceof AuthError)) throw err;
  if (isGivenToken(e, token) && !e.everOnline) throw err;
  const resumed = e.everOnline;
  e.online = false;
  e.profile = undefined;
  e.contacts = [];
  // The device stays (this socket's hello named it); the token and the stored entry go.
  e.session = { deviceId: e.session?.deviceId ?? randomUUID() };
  let removed = true;
  await e.store.delete(e.account).catch((error: unknown) => {
    removed = false;
    e.log.warn(
      { err: error, account: e.account },
      "MAX: could not remove the refused session from the store",
    );
  });
  e.log.warn(
    { account: e.account, url: normaliseServerUrl(e.url), code: err.code, removed, resumed },
    "MAX refused the stored login token (expired, revoked, or issued by another server): logged out; log in again",
  );
  for (const waiter of [...e.uploadWaiters.values()]) waiter.reject(err);
  if (resumed) e.emit("error", err);
  return LOGGED_OUT;
}
