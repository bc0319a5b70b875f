import { openStore } from "../../src/core/emulator/store.js";
import type { Database } from "../../src/core/storage.js";
import type { EmulatorConfig } from "../../src/vklive/emulator/context.js";
import {
  createVkLiveEmulator,
  type VkLiveEmulator,
  type VkLiveEmulatorOptions,
} from "../../src/vklive/emulator/server.js";
import { vkliveStoreModule } from "../../src/vklive/emulator/store/index.js";
import type { Scope } from "../../src/vklive/protocol/index.js";
import { SCOPES } from "../../src/vklive/protocol/index.js";

export interface Harness {
  emu: VkLiveEmulator;
  /** The emulator's store (tests that seed volume directly). */
  db: Database;
  base: string;
  /** Steerable clock: null = real time; a number = fixed ms; use `advance`. */
  now: { value: number | null };
  advance(ms: number): void;
  close(): Promise<void>;
}

export async function startEmulator(
  config: Partial<EmulatorConfig> = {},
  options: Pick<VkLiveEmulatorOptions, "serverLimits" | "hubLimits"> = {},
): Promise<Harness> {
  const db = openStore({ file: null, modules: [vkliveStoreModule] });
  const now = { value: null as number | null };
  const emu = createVkLiveEmulator({ db, now: () => now.value ?? Date.now(), config, ...options });
  const base = await emu.listen(0);
  return {
    emu,
    db,
    base,
    now,
    advance(ms) {
      now.value = (now.value ?? Date.now()) + ms;
    },
    async close() {
      await emu.close();
      db.close();
    },
  };
}

export interface World {
  clientId: string;
  secret: string;
  signatureKey: string;
  redirectUri: string;
  owner: number;
  viewer: number;
  channelUrl: string;
  channelId: number;
  ownerToken: string;
  ownerRefresh: string;
  viewerToken: string;
}

/** An app, an owner with a channel, a viewer, and all-scope tokens for both. */
export function world(h: Harness, scopes: readonly Scope[] = SCOPES): World {
  const redirectUri = "http://127.0.0.1:9/callback";
  const app = h.emu.admin.createApp({ redirectUri });
  const owner = h.emu.admin.createUser({ nick: "streamer" }).userId;
  const viewer = h.emu.admin.createUser({ nick: "viewer" }).userId;
  const ch = h.emu.admin.createChannel({ ownerId: owner, url: "streamer" });
  const ot = h.emu.admin.issueToken({ clientId: app.clientId, userId: owner, scopes });
  const vt = h.emu.admin.issueToken({ clientId: app.clientId, userId: viewer, scopes });
  return {
    ...app,
    redirectUri,
    owner,
    viewer,
    channelUrl: ch.url,
    channelId: ch.channelId,
    ownerToken: ot.access_token,
    ownerRefresh: ot.refresh_token,
    viewerToken: vt.access_token,
  };
}

export interface Raw {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: raw JSON under test
  json: any;
  text: string;
}

export async function raw(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Raw> {
  const res = await fetch(base + path, { method, headers, body, redirect: "manual" });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

export const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
export const basic = (id: string, secret: string) => ({
  authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`,
});
export const json = { "content-type": "application/json" };
export const form = { "content-type": "application/x-www-form-urlencoded" };

export function waitFor(cond: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() - start > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}
