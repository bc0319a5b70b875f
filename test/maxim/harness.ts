import { afterEach, expect } from "vitest";
import { ManualClock } from "../../src/core/emulator/clock.js";
import type { ServerLimits } from "../../src/core/emulator/limits.js";
import { openStore } from "../../src/core/emulator/store.js";
import { createMaxImEmulator, type MaxImEmulator } from "../../src/maxim/emulator/server.js";
import { maximStoreModule } from "../../src/maxim/emulator/store/schema.js";
import { EXAMPLE_ACCESS_TOKEN } from "../../src/maxim/protocol.js";

export const TOKEN = EXAMPLE_ACCESS_TOKEN;

export interface Harness {
  emu: MaxImEmulator;
  base: string;
  now: { value: number | null };
  close(): Promise<void>;
}

/** An emulator on a random loopback port with a fresh in-memory store (and a steerable clock). */
export async function startEmulator(): Promise<Harness> {
  const db = openStore({ file: null, modules: [maximStoreModule] });
  const now = { value: null as number | null };
  const emu = createMaxImEmulator({ db, now: () => now.value ?? Date.now() });
  const base = await emu.listen(0);
  return {
    emu,
    base,
    now,
    async close() {
      await emu.close();
      db.close();
    },
  };
}

export interface Raw {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: raw JSON under test
  json: any;
}

/** Raw HTTP exactly as curl sends it: our headers, our body bytes. */
export async function raw(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Raw> {
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/** The seed's header set: JSON, the example token, app `welovemaxim`, optional user_id. */
export function seedHeaders(userId?: number): Record<string, string> {
  const h: Record<string, string> = {
    "Content-Type": "application/json",
    "access-token": TOKEN,
    app_id: "welovemaxim",
  };
  if (userId !== undefined) h.user_id = String(userId);
  return h;
}

export async function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  userId?: number,
): Promise<Raw> {
  return raw(base, method, path, seedHeaders(userId), body === undefined ? undefined : JSON.stringify(body));
}

/** An emulator on its own in-memory store with a ManualClock, closed after each test. */
export interface Env {
  emu: MaxImEmulator;
  base: string;
  clock: ManualClock;
  close(): Promise<void>;
}

const envs: Env[] = [];
/** Registers the after-each close of every `start()`ed emulator (call once per test file). */
export function closeEachEnv(): void {
  afterEach(async () => {
    for (const e of envs.splice(0)) await e.close();
  });
}

export async function start(serverLimits?: Partial<ServerLimits>): Promise<Env> {
  const db = openStore({ file: null, modules: [maximStoreModule] });
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const emu = createMaxImEmulator({ db, clock, serverLimits });
  const base = await emu.listen(0);
  const env: Env = {
    emu,
    base,
    clock,
    async close() {
      await emu.close();
      db.close();
    },
  };
  envs.push(env);
  return env;
}

export async function register(env: { base: string }, username: string, password = "pw"): Promise<number> {
  const r = await api(env.base, "POST", "/user/register/v2", { username, password });
  expect(r.json.code).toBe(200);
  return r.json.data.user_id as number;
}
