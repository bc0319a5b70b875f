/**
 * encodeBinary shares one MessagePack encoder and one LZ4 hash table across frames. Frames made
 * one after another must not share bytes, and every compressed block must read back exactly with
 * an independent LZ4 decoder (lz4js's own) and MessagePack decoder. (Reusing the table without
 * clearing it failed the second case: a stale entry became a match at offset 0.)
 */
import { decode as unpack } from "@msgpack/msgpack";
import { decompressBlock } from "lz4js";
import { describe, expect, it } from "vitest";
import { COMPRESS_ABOVE, encodeBinary, LZ4_FLAG } from "../../src/max/protocol/binary.js";

/** Reads a frame with code that is not ours: header by hand, lz4js, @msgpack/msgpack. */
function readBack(frame: Buffer): unknown {
  const flags = frame[6] as number;
  const length = frame.readUIntBE(7, 3);
  const body = frame.subarray(10, 10 + length);
  if (flags === 0) return unpack(body);
  expect(flags).toBe(LZ4_FLAG);
  const out = new Uint8Array(8 * 1024 * 1024);
  return unpack(out.subarray(0, decompressBlock(body, out, 0, body.length, 0)));
}

/** A deterministic pseudo-random generator, so a failure repeats. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("encodeBinary with its shared encoder and LZ4 table", () => {
  it("consecutive frames keep their own bytes", () => {
    const first = encodeBinary({ ver: 10, cmd: 1, seq: 1, opcode: 64, payload: { text: "first", n: 1 } });
    const copy = Buffer.from(first);
    const second = encodeBinary({ ver: 10, cmd: 1, seq: 2, opcode: 64, payload: { text: "second!!", n: 2 } });
    expect(first.equals(copy)).toBe(true);
    expect(readBack(first)).toEqual({ text: "first", n: 1 });
    expect(readBack(second)).toEqual({ text: "second!!", n: 2 });
  });

  it("200 mixed payloads, small and compressed, in random order, all read back exactly", () => {
    const random = rng(13);
    const words = ["привет", "message", "chat", "0123456789", "поллинг", "attach", "ZZZZ"];
    let compressed = 0;
    for (let i = 0; i < 200; i++) {
      const count = random() < 0.5 ? 1 + Math.floor(random() * 5) : 50 + Math.floor(random() * 400);
      const payload = {
        i,
        items: Array.from({ length: count }, (_, k) => ({
          id: String(Math.floor(random() * 1e15)),
          text: Array.from(
            { length: 1 + Math.floor(random() * 12) },
            () => words[Math.floor(random() * words.length)],
          ).join(" "),
          k,
        })),
      };
      const frame = encodeBinary({ ver: 10, cmd: 1, seq: i, opcode: 49, payload });
      if (frame[6] !== 0) compressed++;
      expect(readBack(frame)).toEqual(payload);
    }
    // Both paths were taken many times (the payload sizes straddle COMPRESS_ABOVE).
    expect(compressed).toBeGreaterThan(50);
    expect(compressed).toBeLessThan(150);
    expect(COMPRESS_ABOVE).toBe(4096);
  });
});
