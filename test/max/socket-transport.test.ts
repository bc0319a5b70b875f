/**
 * The binary socket transport against the emulator, spoken raw: header bytes written by hand
 * (ver u8, cmd u8, seq u16, opcode u16, flags u8 + length u24, big-endian — PyMax's TCP framer),
 * MessagePack bodies, LZ4 decoded with lz4js (not our own decompressor) on the way in.
 */
import { mkdtempSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode as pack, decode as unpack } from "@msgpack/msgpack";
import { compressBlock, compressBound, decompressBlock } from "lz4js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/core/emulator/store.js";
import { MaxClient, type MaxClientOptions } from "../../src/max/client/index.js";
import { MaxEmulatorServer } from "../../src/max/emulator/server.js";
import { selfSignedIdentity } from "../../src/max/emulator/socket-server.js";
import { maxStoreModule } from "../../src/max/emulator/store/schema.js";
import { LIMITS } from "../../src/max/protocol.js";
import { startSandbox } from "../../src/sandbox/runner.js";
import { nextEvent } from "./client-helpers.js";
import { RawClient, type RawPacket } from "./raw.js";

function header(cmd: number, seq: number, opcode: number, flags: number, length: number): Buffer {
  const h = Buffer.alloc(10);
  h[0] = 10;
  h[1] = cmd;
  h.writeUInt16BE(seq, 2);
  h.writeUInt16BE(opcode, 4);
  h[6] = flags;
  h.writeUIntBE(length, 7, 3);
  return h;
}

/** A raw TCP peer: frames out built by hand, frames in split by their header. */
class SocketPeer {
  readonly packets: (RawPacket & { flags: number })[] = [];
  private buffer = Buffer.alloc(0);
  private seq = 0;
  private waiters: (() => void)[] = [];
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 10) {
        const length = this.buffer.readUIntBE(7, 3);
        if (this.buffer.length < 10 + length) break;
        const flags = this.buffer[6] as number;
        let body: Uint8Array = this.buffer.subarray(10, 10 + length);
        if (flags !== 0) {
          const out = new Uint8Array(LIMITS.frameBytes * 5);
          body = out.subarray(0, decompressBlock(body, out, 0, body.length, 0));
        }
        this.packets.push({
          ver: this.buffer[0] as number,
          cmd: this.buffer[1] as number,
          seq: this.buffer.readUInt16BE(2),
          opcode: this.buffer.readUInt16BE(4),
          flags,
          payload: body.length ? unpack(body) : null,
        });
        this.buffer = this.buffer.subarray(10 + length);
      }
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => socket.on("close", () => resolve()));
    socket.on("error", () => {});
  }

  static open(port: number): Promise<SocketPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => resolve(new SocketPeer(socket)));
      socket.once("error", reject);
    });
  }

  send(opcode: number, payload: unknown, seq = ++this.seq): number {
    const body = Buffer.from(pack(payload));
    this.socket.write(Buffer.concat([header(0, seq, opcode, 0, body.length), body]));
    return seq;
  }

  async waitFor(match: (p: RawPacket) => boolean): Promise<RawPacket & { flags: number }> {
    for (;;) {
      const i = this.packets.findIndex(match);
      if (i >= 0) return this.packets.splice(i, 1)[0] as RawPacket & { flags: number };
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async call(opcode: number, payload: unknown) {
    const seq = this.send(opcode, payload);
    return this.waitFor((p) => p.seq === seq && p.opcode === opcode && p.cmd !== 0);
  }

  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary payloads
  async ok(opcode: number, payload: unknown): Promise<any> {
    const p = await this.call(opcode, payload);
    if (p.cmd !== 1) throw new Error(`opcode ${opcode} failed: ${JSON.stringify(p.payload)}`);
    return p.payload;
  }
}

const wsUrls = new Map<MaxEmulatorServer, string>();
const wsUrlOf = (emu: MaxEmulatorServer) => wsUrls.get(emu) as string;
let server: MaxEmulatorServer;
let wsUrl: string;
let port: number;
let closeDb: () => void;
let phones = 0;
const nextPhone = () =>
  `+7977${String(process.pid % 1000).padStart(3, "0")}${String(++phones).padStart(4, "0")}`;

beforeAll(async () => {
  const db = openStore({ file: null, modules: [maxStoreModule] });
  closeDb = () => db.close();
  server = new MaxEmulatorServer({
    db,
    dataDir: mkdtempSync(join(tmpdir(), "sb-max-sock-")),
    smsCode: "123456",
    socketPort: 0,
    socket: { tls: false },
  });
  wsUrl = await server.listen(0);
  wsUrls.set(server, wsUrl);
  port = Number(new URL((server.socketUrl as string).replace(/^tcp:/, "http:")).port);
});

afterAll(async () => {
  await server.close();
  closeDb();
});

/** hello as the Android app sends it, then SMS login (17, 18) of an existing account. */
async function androidLogin(peer: SocketPeer) {
  const phone = nextPhone();
  const { userId } = server.admin.createUser({ phone, firstName: "Droid" });
  const hello = await peer.ok(6, {
    userAgent: { deviceType: "ANDROID", appVersion: "25.10.0", osVersion: "Android 14", deviceName: "Pixel" },
    deviceId: "android-device-1",
  });
  expect(hello.location).toBe("RU");
  const start = await peer.ok(17, { phone, type: "START_AUTH", language: "ru" });
  const verify = await peer.ok(18, { token: start.token, verifyCode: "123456", authTokenType: "CHECK_CODE" });
  expect(verify.profile.contact.id).toBe(userId);
  return { userId, phone };
}

describe("binary socket transport, raw", () => {
  it("hello ANDROID, SMS login, send to a WebSocket user, receive their push", async () => {
    const peer = await SocketPeer.open(port);
    const { userId } = await androidLogin(peer);
    const ws = await RawClient.connect(wsUrl);
    const other = await ws.smsLogin(nextPhone());

    const sent = await peer.ok(64, {
      userId: other.userId,
      message: { text: "из сокета", cid: 1 },
      notify: true,
    });
    expect(sent.message).toMatchObject({ text: "из сокета", sender: userId });
    const pushed = await ws.event(128);
    expect(pushed.payload.message.text).toBe("из сокета");

    await ws.ok(64, { chatId: sent.chatId, message: { text: "из ws", cid: 2 } });
    const push = await peer.waitFor((p) => p.opcode === 128 && p.cmd === 0);
    expect(push).toMatchObject({ ver: 10, cmd: 0, seq: 0 });
    expect(push.payload.message).toMatchObject({ text: "из ws", sender: other.userId });

    // The session the socket opened is an ANDROID one.
    const sessions = await peer.ok(96, {});
    expect(sessions.sessions.find((s: { current: boolean }) => s.current).deviceType).toBe("ANDROID");
    ws.close();
    peer.socket.destroy();
  });

  it("a large payload goes LZ4-compressed both ways", async () => {
    const peer = await SocketPeer.open(port);
    await androidLogin(peer);
    const other = server.admin.createUser({ phone: nextPhone(), firstName: "Wide" });
    const text = "длинный текст ".repeat(280);
    const body = Buffer.from(pack({ userId: other.userId, message: { text, cid: 3 } }));
    const out = new Uint8Array(compressBound(body.length));
    const n = compressBlock(body, out, 0, body.length, new Uint32Array(1 << 16));
    peer.socket.write(Buffer.concat([header(0, 77, 64, 0x02, n), out.subarray(0, n)]));
    const answer = await peer.waitFor((p) => p.seq === 77);
    expect(answer.cmd, JSON.stringify(answer.payload)).toBe(1);
    expect(answer.flags).toBe(0x02);
    expect(answer.payload.message.text).toBe(text);
    peer.socket.destroy();
  });

  it("bad frames get a protocol error and a close; other sockets carry on", async () => {
    const bystander = await SocketPeer.open(port);
    await androidLogin(bystander);
    const cases: [string, Buffer, string][] = [
      ["oversize length", header(0, 5, 1, 0, LIMITS.frameBytes + 1), "proto.size"],
      ["not MessagePack", Buffer.concat([header(0, 6, 1, 0, 1), Buffer.from([0xc1])]), "proto.format"],
      [
        "bad LZ4",
        Buffer.concat([header(0, 7, 1, 0x02, 4), Buffer.from([0x10, 0x61, 0x09, 0x00])]),
        "proto.format",
      ],
    ];
    for (const [name, frame, code] of cases) {
      const peer = await SocketPeer.open(port);
      peer.socket.write(frame);
      const error = await peer.waitFor((p) => p.cmd === 3);
      expect(error.payload.error, name).toBe(code);
      await peer.closed;
    }
    const echo = await bystander.ok(1, { interactive: true });
    expect(echo).toEqual({});
    bystander.socket.destroy();
  });
});

describe("MaxClient with transport: socket", () => {
  /** Signs a socket client in by SMS and a WebSocket client as its peer; both chat both ways. */
  async function chatBothWays(
    options: { url: string; tls?: MaxClientOptions["tls"] },
    emu: MaxEmulatorServer,
  ) {
    const phone = nextPhone();
    emu.admin.createUser({ phone, firstName: "Sock" });
    const mobile = new MaxClient({ transport: "socket", timeoutMs: 5000, reconnect: false, ...options });
    await mobile.connect();
    await mobile.requestCode(phone);
    const signed = await mobile.signIn("123456");
    expect(signed.status).toBe("ok");
    const peerPhone = nextPhone();
    emu.admin.createUser({ phone: peerPhone, firstName: "Web" });
    const web = new MaxClient({ url: wsUrlOf(emu), timeoutMs: 5000, reconnect: false });
    await web.connect();
    await web.requestCode(peerPhone);
    await web.signIn("123456");
    try {
      const webId = web.profile?.contact.id as number;
      const got = nextEvent(web, "message", (e) => e.message.text === "с телефона");
      const sent = await mobile.sendToUser(webId, "с телефона");
      expect((await got).message.id).toBe(sent.id);
      const chatId = sent.chatId;

      const back = nextEvent(mobile, "message", (e) => e.message.text === "с веба");
      await web.sendMessage(chatId, "с веба");
      expect((await back).message.sender).toBe(webId);

      const edited = nextEvent(web, "messageEdited", (e) => e.message.id === sent.id);
      const e1 = await mobile.editMessage(chatId, sent.id, "с телефона, исправлено");
      expect(e1.status).toBe("EDITED");
      expect((await edited).message.text).toBe("с телефона, исправлено");

      const reacted = nextEvent(mobile, "reaction", (e) => e.messageId === sent.id);
      await web.react(chatId, sent.id, "👍");
      expect((await reacted).counters).toEqual([{ reaction: "👍", count: 1 }]);
      await mobile.react(chatId, sent.id, "🔥");

      const deleted = nextEvent(web, "messageDeleted", (e) => e.messageIds.includes(sent.id));
      await mobile.deleteMessage(chatId, sent.id);
      expect((await deleted).chatId).toBe(chatId);
      const sessions = await mobile.sessions();
      expect(sessions.find((s) => s.current)?.deviceType).toBe("ANDROID");
    } finally {
      await mobile.close();
      await web.close();
    }
  }

  it("plain TCP: login, send, receive, edit, react, delete", async () => {
    await chatBothWays({ url: server.socketUrl as string }, server);
  });

  it("TLS with the emulator's self-signed certificate as the CA; an untrusted certificate is refused", async () => {
    const identity = await selfSignedIdentity(1);
    const db = openStore({ file: null, modules: [maxStoreModule] });
    const tlsServer = new MaxEmulatorServer({
      db,
      dataDir: mkdtempSync(join(tmpdir(), "sb-max-tls-")),
      smsCode: "123456",
      socketPort: 0,
      socket: { tls: identity },
    });
    try {
      wsUrls.set(tlsServer, await tlsServer.listen(0));
      const url = tlsServer.socketUrl as string;
      expect(url).toMatch(/^tls:\/\/127\.0\.0\.1:\d+$/);
      await chatBothWays({ url, tls: { ca: identity.cert } }, tlsServer);
      const untrusting = new MaxClient({ transport: "socket", url, timeoutMs: 3000, reconnect: false });
      const refused = await untrusting.connect().then(
        () => undefined,
        (err: Error) => err,
      );
      expect(String((refused?.cause as Error | undefined)?.message)).toMatch(/certificate/i);
      await untrusting.close();
    } finally {
      await tlsServer.close();
      db.close();
    }
  });
});

describe("the sandbox's maxSocket face", () => {
  it("listens on TLS with the certificate GET /_sandbox/max/socket-cert serves; MaxClient logs in over it", async () => {
    const sb = await startSandbox({ port: 0, data: null, smsCode: "123456" });
    try {
      expect(sb.urls.maxSocket).toMatch(/^tls:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${sb.urls.console}/_sandbox/max/socket-cert`);
      expect(res.status).toBe(200);
      const ca = await res.text();
      expect(ca).toContain("BEGIN CERTIFICATE");
      const phone = nextPhone();
      sb.max.admin.createUser({ phone, firstName: "Sandboxed" });
      const client = new MaxClient({
        transport: "socket",
        url: sb.urls.maxSocket,
        tls: { ca },
        reconnect: false,
      });
      try {
        await client.connect();
        await client.requestCode(phone);
        expect((await client.signIn("123456")).status).toBe("ok");
        const sessions = await client.sessions();
        expect(sessions.find((s) => s.current)?.deviceType).toBe("ANDROID");
      } finally {
        await client.close();
      }
    } finally {
      await sb.close();
    }
  });
});
