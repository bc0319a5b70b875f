/**
 * Pushes over the binary socket transport to many recipients: the emulator encodes a push's
 * MessagePack body once and reuses it for every socket that gets the same push. Each recipient
 * must still read exactly the message that was sent, small or LZ4-compressed, and two pushes in
 * a row must not be mixed up. Frames are read by hand (header), lz4js and @msgpack/msgpack.
 */
import { mkdtempSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode as pack, decode as unpack } from "@msgpack/msgpack";
import { decompressBlock } from "lz4js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/core/emulator/store.js";
import { MaxEmulatorServer } from "../../src/max/emulator/server.js";
import { maxStoreModule } from "../../src/max/emulator/store/schema.js";

interface Frame {
  cmd: number;
  seq: number;
  opcode: number;
  flags: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary payloads
  payload: any;
}

class Peer {
  readonly frames: Frame[] = [];
  private buffer = Buffer.alloc(0);
  private seq = 0;
  private wake: (() => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 10) {
        const length = this.buffer.readUIntBE(7, 3);
        if (this.buffer.length < 10 + length) break;
        const flags = this.buffer[6] as number;
        let body: Uint8Array = this.buffer.subarray(10, 10 + length);
        if (flags !== 0) {
          const out = new Uint8Array(8 * 1024 * 1024);
          body = out.subarray(0, decompressBlock(body, out, 0, body.length, 0));
        }
        this.frames.push({
          cmd: this.buffer[1] as number,
          seq: this.buffer.readUInt16BE(2),
          opcode: this.buffer.readUInt16BE(4),
          flags,
          payload: body.length ? unpack(body) : null,
        });
        this.buffer = this.buffer.subarray(10 + length);
      }
      for (const w of this.wake.splice(0)) w();
    });
    socket.on("error", () => {});
  }

  static open(port: number): Promise<Peer> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => resolve(new Peer(socket)));
      socket.once("error", reject);
    });
  }

  async waitFor(match: (f: Frame) => boolean): Promise<Frame> {
    for (let i = 0; i < 1000; i++) {
      const at = this.frames.findIndex(match);
      if (at >= 0) return this.frames.splice(at, 1)[0] as Frame;
      await new Promise<void>((resolve) => this.wake.push(resolve));
    }
    throw new Error("no matching frame");
  }

  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary payloads
  async ok(opcode: number, payload: unknown): Promise<any> {
    const seq = ++this.seq;
    const body = Buffer.from(pack(payload));
    const head = Buffer.alloc(10);
    head[0] = 10;
    head.writeUInt16BE(seq, 2);
    head.writeUInt16BE(opcode, 4);
    head.writeUIntBE(body.length, 7, 3);
    this.socket.write(Buffer.concat([head, body]));
    const answer = await this.waitFor((f) => f.seq === seq && f.cmd !== 0);
    if (answer.cmd !== 1) throw new Error(`opcode ${opcode} failed: ${JSON.stringify(answer.payload)}`);
    return answer.payload;
  }

  close(): void {
    this.socket.destroy();
  }
}

let server: MaxEmulatorServer;
let port: number;
let closeDb: () => void;
const peers: Peer[] = [];
let phones = 0;

beforeAll(async () => {
  const db = openStore({ file: null, modules: [maxStoreModule] });
  closeDb = () => db.close();
  server = new MaxEmulatorServer({
    db,
    dataDir: mkdtempSync(join(tmpdir(), "sb-max-fanout-")),
    smsCode: "123456",
    socketPort: 0,
    socket: { tls: false },
  });
  await server.listen(0);
  port = Number(new URL((server.socketUrl as string).replace(/^tcp:/, "http:")).port);
});

afterAll(async () => {
  for (const p of peers) p.close();
  await server.close();
  closeDb();
});

async function member(): Promise<{ peer: Peer; userId: number }> {
  const phone = `+7916500${String(++phones).padStart(4, "0")}`;
  const { userId } = server.admin.createUser({ phone, firstName: `Fan${phones}` });
  const peer = await Peer.open(port);
  peers.push(peer);
  await peer.ok(6, {
    userAgent: { deviceType: "ANDROID", appVersion: "25.10.0", osVersion: "Android 14", deviceName: "Pixel" },
    deviceId: `fan-${phones}`,
  });
  const start = await peer.ok(17, { phone, type: "START_AUTH", language: "ru" });
  await peer.ok(18, { token: start.token, verifyCode: "123456", authTokenType: "CHECK_CODE" });
  return { peer, userId };
}

describe("socket pushes to many recipients", () => {
  it("every member reads the same small and the same LZ4 message, in order, never mixed up", async () => {
    const owner = await member();
    const others = await Promise.all(Array.from({ length: 5 }, () => member()));
    const created = await owner.peer.ok(64, {
      message: {
        cid: 1,
        attaches: [
          {
            _type: "CONTROL",
            event: "new",
            chatType: "CHAT",
            title: "Fan-out",
            userIds: others.map((o) => o.userId),
          },
        ],
      },
      notify: true,
    });
    const chatId = Number(created.chatId);
    // Varied Cyrillic text: ~7 KB of MessagePack, above the 4 KiB compression threshold.
    const long = Array.from({ length: 600 }, (_, i) => `строка ${i} ${(i * 7919) % 1000}`)
      .join(" ")
      .slice(0, 3900);
    const texts = ["short one", long, "after the long one"];
    for (const [i, text] of texts.entries()) {
      await owner.peer.ok(64, {
        chatId,
        message: { cid: 10 + i, text, elements: [], attaches: [] },
        notify: true,
      });
    }
    let compressed = 0;
    for (const o of others) {
      const got: string[] = [];
      for (let i = 0; i < texts.length; i++) {
        const push = await o.peer.waitFor(
          (f) => f.opcode === 128 && f.payload?.chatId === chatId && f.payload.message?.text !== "",
        );
        if (push.flags !== 0) compressed++;
        expect(push.cmd).toBe(0);
        expect(push.payload.message.sender).toBe(owner.userId);
        got.push(push.payload.message.text);
      }
      expect(got).toEqual(texts);
    }
    expect(compressed).toBe(others.length);
  });
});
