/**
 * Raw MAX test peer: speaks packets exactly as the seed writes them, with no code from our
 * client. Used by conformance tests, fuzzing and benchmarks.
 */

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { openStore } from "../../src/core/emulator/store.js";
import { type MaxEmulatorOptions, MaxEmulatorServer } from "../../src/max/emulator/server.js";
import { maxStoreModule } from "../../src/max/emulator/store/schema.js";

export interface RawPacket {
  ver: number;
  cmd: number;
  seq: number;
  opcode: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary payloads
  payload: any;
}

export async function startEmulator(
  options: { smsCode?: string; idleTimeoutMs?: number; file?: string | null } & Pick<
    MaxEmulatorOptions,
    "allowedOrigins" | "serverLimits" | "clock" | "hooks"
  > = {},
) {
  const dataDir = mkdtempSync(join(tmpdir(), "sb-max-"));
  const db = openStore({ file: options.file ?? null, modules: [maxStoreModule] });
  const server = new MaxEmulatorServer({
    db,
    dataDir,
    smsCode: options.smsCode ?? "123456",
    idleTimeoutMs: options.idleTimeoutMs,
    allowedOrigins: options.allowedOrigins,
    serverLimits: options.serverLimits,
    clock: options.clock,
    hooks: options.hooks,
  });
  const url = await server.listen(0);
  return {
    server,
    url,
    db,
    dataDir,
    admin: server.admin,
    async close() {
      await server.close();
      db.close();
    },
  };
}

export class RawClient {
  readonly packets: RawPacket[] = [];
  private seq = 0;
  private waiters: { match: (p: RawPacket) => boolean; resolve: (p: RawPacket) => void }[] = [];
  closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const p = JSON.parse(String(data)) as RawPacket;
      this.packets.push(p);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(p)) return true;
        w.resolve(p);
        return false;
      });
    });
    this.closed = new Promise((resolve) =>
      ws.on("close", (code, reason) => resolve({ code, reason: String(reason) })),
    );
  }

  /** Opens a socket with `Origin: https://web.max.ru` (what the web client sends); `null`: no Origin. */
  static async connect(url: string, origin: string | null = "https://web.max.ru"): Promise<RawClient> {
    const ws = new WebSocket(url, origin === null ? {} : { origin });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return new RawClient(ws);
  }

  /** Sends a request packet and returns its seq. */
  send(opcode: number, payload: unknown, seq = ++this.seq): number {
    this.ws.send(JSON.stringify({ ver: 11, cmd: 0, seq, opcode, payload }));
    return seq;
  }

  sendText(text: string): void {
    this.ws.send(text);
  }

  /** Sends and waits for the packet with the same seq (response or error). */
  async call(opcode: number, payload: unknown, timeoutMs = 5000): Promise<RawPacket> {
    const seq = this.send(opcode, payload);
    return this.waitFor((p) => p.seq === seq && p.opcode === opcode && p.cmd !== 0, timeoutMs);
  }

  /** Like call(), but throws if the answer is an error packet. */
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary payloads
  async ok(opcode: number, payload: unknown): Promise<any> {
    const p = await this.call(opcode, payload);
    if (p.cmd !== 1) throw new Error(`opcode ${opcode} failed: ${JSON.stringify(p.payload)}`);
    return p.payload;
  }

  waitFor(match: (p: RawPacket) => boolean, timeoutMs = 5000): Promise<RawPacket> {
    const existing = this.packets.find(match);
    if (existing) {
      this.packets.splice(this.packets.indexOf(existing), 1);
      return Promise.resolve(existing);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for packet after ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        match,
        resolve: (p) => {
          clearTimeout(timer);
          this.packets.splice(this.packets.indexOf(p), 1);
          resolve(p);
        },
      });
    });
  }

  /** Waits for a pushed event (seq 0, cmd 1) with this opcode. */
  event(opcode: number, match: (p: RawPacket) => boolean = () => true, timeoutMs = 5000): Promise<RawPacket> {
    return this.waitFor((p) => p.opcode === opcode && p.seq === 0 && match(p), timeoutMs);
  }

  /** Events of an opcode received so far (not consumed). */
  events(opcode: number): RawPacket[] {
    return this.packets.filter((p) => p.opcode === opcode && p.seq === 0);
  }

  async hello(deviceId = "00000000-0000-4000-8000-000000000001"): Promise<void> {
    await this.ok(6, {
      userAgent: {
        deviceType: "WEB",
        locale: "ru_RU",
        osVersion: "Windows",
        deviceName: "My Client",
        appVersion: "25.11.2",
        screen: "1920x1080",
        timezone: "Europe/Moscow",
      },
      deviceId,
    });
  }

  /** Seed flow: hello → 17 → 18 with the code; returns the login token and profile. */
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary payloads
  async smsLogin(phone: string, code = "123456"): Promise<{ token: string; profile: any; userId: number }> {
    await this.hello();
    const start = await this.ok(17, { phone, type: "START_AUTH", language: "ru" });
    const done = await this.ok(18, { token: start.token, verifyCode: code, authTokenType: "CHECK_CODE" });
    return { token: done.tokenAttrs.LOGIN.token, profile: done.profile, userId: done.profile.contact.id };
  }

  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary payloads
  async tokenLogin(token: string): Promise<any> {
    await this.hello();
    return this.ok(19, { interactive: true, token, chatsSync: 0, contactsSync: 0, chatsCount: 40 });
  }

  close(): void {
    this.ws.close();
  }
}

/** Creates a user through the admin side and logs a raw client in as them. */
export async function loggedIn(
  url: string,
  phone: string,
): Promise<{ client: RawClient; userId: number; token: string }> {
  const client = await RawClient.connect(url);
  const { token, userId } = await client.smsLogin(phone);
  return { client, userId, token };
}

/** Asserts an error packet (`cmd: 3`) for `opcode` with the given `error` code. */
export function expectErrorPacket(p: RawPacket, opcode: number, code: string): void {
  if (p.cmd !== 3 || p.opcode !== opcode || p.payload?.error !== code) {
    throw new Error(`expected error ${code} for opcode ${opcode}, got ${JSON.stringify(p)}`);
  }
}

/**
 * One emulator per test file with fresh phones (`+7<prefix><4 digits>`) and every socket closed
 * at the end: call `start()` in beforeAll and `stop()` in afterAll.
 */
export function emulatorFixture(phonePrefix: string, options: { clock?: MaxEmulatorOptions["clock"] } = {}) {
  let emu: Awaited<ReturnType<typeof startEmulator>> | undefined;
  const clients: RawClient[] = [];
  let seq = 0;
  const fixture = {
    get emu() {
      if (!emu) throw new Error("emulatorFixture: start() has not run");
      return emu;
    },
    nextPhone: (): string => `+7${phonePrefix}${String(++seq).padStart(4, "0")}`,
    async start() {
      emu = await startEmulator(options.clock ? { clock: options.clock } : {});
    },
    async stop() {
      for (const c of clients) c.close();
      await emu?.close();
    },
    /** A new account logged in over SMS on its own socket. */
    async login(
      phone: string = fixture.nextPhone(),
    ): Promise<{ client: RawClient; userId: number; token: string; phone: string }> {
      const r = await loggedIn(fixture.emu.url, phone);
      clients.push(r.client);
      return { ...r, phone };
    },
    /** A bare socket (no hello yet). */
    async connect(): Promise<RawClient> {
      const c = await RawClient.connect(fixture.emu.url);
      clients.push(c);
      return c;
    },
  };
  return fixture;
}
