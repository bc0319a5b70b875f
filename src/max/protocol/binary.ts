/**
 * The mobile apps' binary socket framing ("ver 10"), as PyMax's TCP protocol reads and writes it
 * (MaxApiTeam/PyMax src/pymax/protocol/tcp: framing, payload): a 10-byte big-endian header
 *
 *   ver u8 | cmd u8 | seq u16 | opcode u16 | flags u8 + payload length u24
 *
 * then the payload: MessagePack, LZ4-block compressed (raw block, no size prefix) when the flags
 * byte is 1..0x7F. 0xFF would be zstd, which no public client sends us; it is refused. We
 * compress payloads above COMPRESS_ABOVE bytes with flags 0x02, a value every public reader
 * (PyMax 1.x `flags & 0x02`, PyMax 2 `flags & 0x03`, PHPMax `flags > 0`) takes for LZ4.
 */
import { Encoder, decode as unpack } from "@msgpack/msgpack";
import { compressBlock, compressBound } from "lz4js";
import { LIMITS } from "./constants.js";

export const BINARY_VERSION = 10;
export const HEADER_BYTES = 10;
/** Payloads larger than this (packed bytes) go out LZ4-compressed. */
export const COMPRESS_ABOVE = 4096;
export const LZ4_FLAG = 0x02;
/** Largest decompressed payload accepted (PyMax's own decompressor stops at 5 MiB). */
export const MAX_INFLATED = 5 * 1024 * 1024;

export interface BinaryPacket {
  ver: number;
  cmd: number;
  seq: number;
  opcode: number;
  payload: unknown;
}

export class BinaryFrameError extends Error {
  constructor(
    message: string,
    /** What the server answers with: `proto.size` for oversize frames, `proto.format` otherwise. */
    readonly code: "proto.size" | "proto.format",
  ) {
    super(message);
  }
}

/**
 * One encoder and one LZ4 hash table for every frame: `encode()` builds a fresh encoder and a
 * new 256 KiB table per call, which was most of the cost of a small frame and of a large one.
 * Both are only used synchronously in encodeBody, whose result is copied or kept before the next call.
 * The table is zeroed before each use: lz4js takes a stale entry equal to the current position
 * for a match at offset 0, which no decoder can read.
 */
const encoder = new Encoder({ ignoreUndefined: true });
const lz4HashTable = new Uint32Array(1 << 16);

/** A payload ready for the wire: MessagePack bytes, LZ4-compressed when `flags` says so. */
export interface EncodedBody {
  flags: number;
  body: Uint8Array;
}

/**
 * The payload part of a frame, compressed above COMPRESS_ABOVE when that makes it smaller. With
 * `keep`, the bytes are the caller's to hold (a push's body reused for every recipient);
 * otherwise they may be a view into the shared encoder, valid until the next call.
 */
export function encodeBody(payload: unknown, compressAbove = COMPRESS_ABOVE, keep = false): EncodedBody {
  if (payload === undefined || payload === null) return { flags: 0, body: new Uint8Array(0) };
  const packed = encoder.encodeSharedRef(payload);
  if (packed.length > compressAbove) {
    const out = new Uint8Array(compressBound(packed.length));
    lz4HashTable.fill(0);
    const n = compressBlock(packed, out, 0, packed.length, lz4HashTable);
    if (n > 0 && n < packed.length) return { flags: LZ4_FLAG, body: out.subarray(0, n) };
  }
  return { flags: 0, body: keep ? packed.slice() : packed };
}

/** Header + an encoded payload. */
export function frameWithBody(ver: number, cmd: number, seq: number, opcode: number, b: EncodedBody): Buffer {
  const { flags, body } = b;
  if (body.length > 0xffffff) throw new BinaryFrameError("payload over 16 MiB", "proto.size");
  const frame = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  frame.writeUInt8(ver & 0xff, 0);
  frame.writeUInt8(cmd & 0xff, 1);
  frame.writeUInt16BE(seq & 0xffff, 2);
  frame.writeUInt16BE(opcode & 0xffff, 4);
  frame.writeUInt32BE(((flags << 24) | body.length) >>> 0, 6);
  frame.set(body, HEADER_BYTES);
  return frame;
}

/** Header + MessagePack payload, compressed above COMPRESS_ABOVE when that makes it smaller. */
export function encodeBinary(p: BinaryPacket, compressAbove = COMPRESS_ABOVE): Buffer {
  return frameWithBody(p.ver, p.cmd, p.seq, p.opcode, encodeBody(p.payload, compressAbove));
}

/**
 * Decodes one whole frame (header included). Throws BinaryFrameError on anything malformed, and
 * `proto.size` when the payload inflates past `maxInflated`.
 */
export function decodeBinary(frame: Uint8Array, maxInflated = MAX_INFLATED): BinaryPacket {
  if (frame.length < HEADER_BYTES)
    throw new BinaryFrameError("frame shorter than its header", "proto.format");
  const view = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  const packed = view.readUInt32BE(6);
  const flags = packed >>> 24;
  const length = packed & 0xffffff;
  if (view.length !== HEADER_BYTES + length)
    throw new BinaryFrameError("frame length does not match its header", "proto.format");
  let body: Uint8Array = view.subarray(HEADER_BYTES);
  if (flags === 0xff) throw new BinaryFrameError("zstd payloads are not supported", "proto.format");
  if (flags > 0x7f) throw new BinaryFrameError(`unknown compression flags ${flags}`, "proto.format");
  if (flags > 0) body = inflateLz4Block(body, maxInflated);
  let payload: unknown = {};
  if (body.length > 0) {
    try {
      payload = unpack(body);
    } catch {
      throw new BinaryFrameError("payload is not MessagePack", "proto.format");
    }
  }
  return {
    ver: view.readUInt8(0),
    cmd: view.readUInt8(1),
    seq: view.readUInt16BE(2),
    opcode: view.readUInt16BE(4),
    payload,
  };
}

/**
 * Splits a byte stream into whole frames. Frames whose declared payload exceeds `maxPayload`
 * are refused before their bytes are buffered.
 */
export class BinaryFrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxPayload: number = LIMITS.frameBytes) {}

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < HEADER_BYTES) break;
      const head = this.peek(HEADER_BYTES);
      const length = head.readUInt32BE(6) & 0xffffff;
      if (length > this.maxPayload)
        throw new BinaryFrameError(
          `frame payload of ${length} bytes exceeds ${this.maxPayload}`,
          "proto.size",
        );
      if (this.buffered < HEADER_BYTES + length) break;
      frames.push(this.take(HEADER_BYTES + length));
    }
    return frames;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0] && this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all.subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const frame = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return frame;
  }
}

/**
 * Raw LZ4 block decompression with every bound checked (literal and match lengths, offsets,
 * output size): a hostile frame ends in an error, never in a long loop or a silent cut.
 */
export function inflateLz4Block(src: Uint8Array, maxOutput: number): Uint8Array {
  const bad = (why: string) => new BinaryFrameError(`LZ4: ${why}`, "proto.format");
  let out = new Uint8Array(Math.min(maxOutput, Math.max(64, src.length * 4)));
  let o = 0;
  let i = 0;
  const grow = (need: number) => {
    if (need > maxOutput) throw new BinaryFrameError(`LZ4: output over ${maxOutput} bytes`, "proto.size");
    if (need <= out.length) return;
    const next = new Uint8Array(Math.min(maxOutput, Math.max(need, out.length * 2)));
    next.set(out.subarray(0, o));
    out = next;
  };
  const length = (base: number): number => {
    let n = base;
    if (base !== 15) return n;
    for (;;) {
      if (i >= src.length) throw bad("length runs past the input");
      const b = src[i++] as number;
      n += b;
      if (b !== 255) return n;
    }
  };
  while (i < src.length) {
    const token = src[i++] as number;
    const literals = length(token >> 4);
    if (i + literals > src.length) throw bad("literals run past the input");
    grow(o + literals);
    out.set(src.subarray(i, i + literals), o);
    o += literals;
    i += literals;
    if (i >= src.length) break;
    if (i + 2 > src.length) throw bad("match offset cut short");
    const offset = (src[i] as number) | ((src[i + 1] as number) << 8);
    i += 2;
    if (offset === 0 || offset > o) throw bad("match offset outside the output");
    const matchLength = length(token & 15) + 4;
    grow(o + matchLength);
    for (let k = 0; k < matchLength; k++, o++) out[o] = out[o - offset] as number;
  }
  return out.subarray(0, o);
}
