/**
 * The binary socket framing (src/max/protocol/binary.ts) against the layout PyMax's TCP framer
 * packs (struct ">BBHHI": ver, cmd, seq, opcode, flags<<24 | length) — header bytes written out
 * by hand here, MessagePack bodies from the spec's encodings — plus LZ4 and hostile input.
 */
import { describe, expect, it } from "vitest";
import {
  BinaryFrameError,
  BinaryFrameReader,
  COMPRESS_ABOVE,
  decodeBinary,
  encodeBinary,
  inflateLz4Block,
  LZ4_FLAG,
} from "../../src/max/protocol/binary.js";

describe("header layout", () => {
  it("ver u8, cmd u8, seq u16 BE, opcode u16 BE, flags u8 + length u24 BE, then MessagePack", () => {
    const frame = encodeBinary({ ver: 10, cmd: 0, seq: 0x0102, opcode: 0x0013, payload: { a: 1 } });
    // {a:1} in MessagePack: fixmap(1) 0x81, fixstr "a" 0xa1 0x61, positive fixint 0x01.
    expect([...frame]).toEqual([10, 0, 0x01, 0x02, 0x00, 0x13, 0, 0, 0, 4, 0x81, 0xa1, 0x61, 0x01]);
    expect(decodeBinary(frame)).toEqual({ ver: 10, cmd: 0, seq: 0x0102, opcode: 0x13, payload: { a: 1 } });
  });

  it("a hand-written PyMax hello frame decodes", () => {
    // {"deviceId":"d"}: 0x81, fixstr(8) "deviceId", fixstr(1) "d".
    const body = [0x81, 0xa8, ...Buffer.from("deviceId"), 0xa1, 0x64];
    const frame = Buffer.from([10, 0, 0, 1, 0, 6, 0, 0, 0, body.length, ...body]);
    expect(decodeBinary(frame)).toEqual({ ver: 10, cmd: 0, seq: 1, opcode: 6, payload: { deviceId: "d" } });
  });

  it("an empty body is an empty payload", () => {
    expect(decodeBinary(Buffer.from([10, 1, 0, 5, 0, 1, 0, 0, 0, 0])).payload).toEqual({});
  });
});

describe("LZ4 above the threshold", () => {
  it("large payloads go out with flags 0x02 and a raw LZ4 block, and come back equal", () => {
    const payload = {
      messages: Array.from({ length: 400 }, (_, i) => ({ id: String(i), text: "привет ".repeat(5) })),
    };
    const frame = encodeBinary({ ver: 10, cmd: 1, seq: 7, opcode: 49, payload });
    expect(frame.readUInt8(6)).toBe(LZ4_FLAG);
    expect(frame.readUInt32BE(6) & 0xffffff).toBe(frame.length - 10);
    expect(decodeBinary(frame).payload).toEqual(payload);
  });

  it("small payloads stay uncompressed", () => {
    const frame = encodeBinary({
      ver: 10,
      cmd: 1,
      seq: 7,
      opcode: 1,
      payload: { x: "y".repeat(COMPRESS_ABOVE / 2) },
    });
    expect(frame.readUInt8(6)).toBe(0);
  });

  it("a known raw block inflates: literals then an overlapping match", () => {
    // 0x3f: 3 literals "abc", offset 3, match 15 + 0 (extra byte) + 4 = 19 copies; 0x10: literal "z".
    const block = Uint8Array.from([0x3f, 0x61, 0x62, 0x63, 0x03, 0x00, 0x00, 0x10, 0x7a]);
    expect(Buffer.from(inflateLz4Block(block, 1024)).toString()).toBe("abcabcabcabcabcabcabcaz");
  });
});

describe("hostile input is refused, never looped on", () => {
  it("offsets outside the output, cut lengths, oversize output and zstd", () => {
    expect(() => inflateLz4Block(Uint8Array.from([0x10, 0x61, 0x09, 0x00]), 1024)).toThrow(BinaryFrameError);
    expect(() => inflateLz4Block(Uint8Array.from([0xf0, 0xff, 0xff]), 1024)).toThrow(BinaryFrameError);
    // A match that would write a megabyte from 5 bytes of input.
    const bomb = Uint8Array.from([0x1f, 0x61, 0x01, 0x00, ...new Array(4200).fill(0xff), 0x00]);
    expect(() => inflateLz4Block(bomb, 1000)).toThrow(/output over/);
    const zstd = Buffer.from([10, 0, 0, 1, 0, 6, 0xff, 0, 0, 1, 0]);
    expect(() => decodeBinary(zstd)).toThrow(/zstd/);
    const lying = Buffer.from([10, 0, 0, 1, 0, 6, 0, 0, 0, 9, 0x80]);
    expect(() => decodeBinary(lying)).toThrow(/length/);
    const notMsgpack = Buffer.from([10, 0, 0, 1, 0, 6, 0, 0, 0, 1, 0xc1]);
    expect(() => decodeBinary(notMsgpack)).toThrow(/MessagePack/);
  });

  it("the stream reader splits frames across chunks and refuses a declared oversize frame early", () => {
    const a = encodeBinary({ ver: 10, cmd: 0, seq: 1, opcode: 1, payload: { interactive: true } });
    const b = encodeBinary({ ver: 10, cmd: 0, seq: 2, opcode: 64, payload: { chatId: 5 } });
    const both = Buffer.concat([a, b]);
    const reader = new BinaryFrameReader(1024);
    const out: Buffer[] = [];
    for (let i = 0; i < both.length; i += 3) out.push(...reader.push(both.subarray(i, i + 3)));
    expect(out.map((f) => decodeBinary(f).seq)).toEqual([1, 2]);
    const big = Buffer.from([10, 0, 0, 3, 0, 64, 0, 0x10, 0, 0]);
    expect(() => new BinaryFrameReader(1024).push(big)).toThrow(/exceeds/);
  });
});
