/** Shared setup for MaxClient tests: an emulator, signed-in clients and event waiters. */

import {
  type CredentialStore,
  MemoryCredentialStore,
  serverCredentials,
} from "../../src/core/credentials.js";
import { MaxClient, type MaxClientOptions } from "../../src/max/client/index.js";
import type { MaxSession } from "../../src/max/client/session.js";
import type { MaxEventMap, MaxEventName } from "../../src/max/client/types.js";
import { startEmulator } from "./raw.js";

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;

let phoneCounter = 0;
export function nextPhone(): string {
  phoneCounter += 1;
  return `+7900${String(process.pid % 1000).padStart(3, "0")}${String(phoneCounter).padStart(4, "0")}`;
}

/** A client signed in by SMS as a fresh (or given) phone. */
export async function signedIn(
  emu: Emulator,
  options: MaxClientOptions & { phone?: string } = {},
): Promise<MaxClient & { phone: string; credentials: CredentialStore<MaxSession> }> {
  const phone = options.phone ?? nextPhone();
  const credentials = options.credentials ?? new MemoryCredentialStore<MaxSession>();
  const client = new MaxClient({
    url: emu.url,
    timeoutMs: 5000,
    credentials,
    reconnect: { baseMs: 20, maxMs: 200 },
    ...options,
  });
  await client.connect();
  await client.requestCode(phone);
  const r = await client.signIn("123456");
  if (r.status !== "ok") throw new Error("unexpected 2FA");
  // The client's own view of the store (keyed by account for emu.url), as it reads and writes it.
  return Object.assign(client, { phone, credentials: serverCredentials(credentials, { url: emu.url }) });
}

/** Resolves with the next event of `type` matching `match`. */
export function nextEvent<K extends MaxEventName>(
  client: MaxClient,
  type: K,
  match: (data: MaxEventMap[K]) => boolean = () => true,
  timeoutMs = 5000,
): Promise<MaxEventMap[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${type} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = client.on(type, (data) => {
      if (!match(data)) return;
      clearTimeout(timer);
      off();
      resolve(data);
    });
  });
}

export async function until(check: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export { startEmulator };
