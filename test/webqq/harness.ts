import type { Clock } from "../../src/core/emulator/clock.js";
import { openStore } from "../../src/core/emulator/store.js";
import { WebQQClient, type WebQQClientOptions } from "../../src/webqq/client/index.js";
import { createWebQQEmulator, type WebQQEmulator } from "../../src/webqq/emulator/server.js";
import { webqqStoreModule } from "../../src/webqq/emulator/store/schema.js";

export interface Harness {
  emu: WebQQEmulator;
  base: string;
  close(): Promise<void>;
}

/** An emulator on a random loopback port with a fresh in-memory store. */
export async function startEmulator(
  opts: { pollTimeoutMs?: number; sessionTtlMs?: number; clock?: Clock } = {},
): Promise<Harness> {
  const db = openStore({ file: null, modules: [webqqStoreModule] });
  const clock = opts.clock;
  const emu = createWebQQEmulator({
    db,
    pollTimeoutMs: opts.pollTimeoutMs ?? 400,
    ...(opts.sessionTtlMs !== undefined ? { sessionTtlMs: opts.sessionTtlMs } : {}),
    ...(clock ? { now: () => clock.now() } : {}),
  });
  const base = await emu.listen(0);
  return {
    emu,
    base,
    async close() {
      await emu.close();
      db.close();
    },
  };
}

export const ALICE = 10897944;
export const BOB = 2440652742;
export const CAROL = 2769546520;

/** Three accounts, all friends, one group and one discussion with all three. */
export function seedWorld(emu: WebQQEmulator) {
  emu.admin.createAccount({ qq: ALICE, password: "1234567890", nick: "alice" });
  emu.admin.createAccount({ qq: BOB, password: "pw-bob", nick: "呼吸 (糗百)" });
  emu.admin.createAccount({ qq: CAROL, password: "pw-carol", nick: "qqbot" });
  emu.admin.addFriend(ALICE, BOB);
  emu.admin.addFriend(ALICE, CAROL);
  const group = emu.admin.createGroup({ name: "qqbot群", owner: CAROL, members: [ALICE, BOB] });
  const discu = emu.admin.createDiscussion({ name: "good day", owner: BOB, members: [ALICE, CAROL] });
  return { group, discu };
}

export function client(base: string, extra: WebQQClientOptions = {}): WebQQClient {
  return new WebQQClient({ url: base, backoffBaseMs: 5, pollTimeoutMs: 5000, ...extra });
}

export async function loggedIn(base: string, qq: number, password: string, extra: WebQQClientOptions = {}) {
  const c = client(base, extra);
  await c.passwordLogin({ qq, password });
  return c;
}

export interface Raw {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: raw JSON under test
  json: any;
  headers: Headers;
}

export async function raw(
  base: string,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string | FormData } = {},
): Promise<Raw> {
  const res = await fetch(base + path, { method, redirect: "manual", ...init });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

export function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() > end) return reject(new Error("condition not met in time"));
      setTimeout(tick, 5);
    };
    tick();
  });
}
