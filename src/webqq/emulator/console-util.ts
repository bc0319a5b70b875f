/** Console helpers: picture ids and types, chat ids, row shapes. */
import { ConsoleError } from "../../core/emulator/console.js";
import { WebQQAdminError } from "./admin.js";

/**
 * Console ids of stored pictures: `cface-<MD5.ext>` and `offpic-<n-md5>` (the offline path
 * `/n-md5` without its slash), so they fit in one URL segment.
 */
export function fileId(kind: string, name: string): string | undefined {
  if (kind === "cface" && /^[A-Za-z0-9._-]{1,120}$/.test(name)) return `cface-${name}`;
  if (kind === "offpic" && /^\/[A-Za-z0-9._-]{1,120}$/.test(name)) return `offpic-${name.slice(1)}`;
  return undefined;
}

export function parseFileId(id: string): { kind: "cface" | "offpic"; name: string } | undefined {
  const m = /^(cface|offpic)-([A-Za-z0-9._-]{1,120})$/.exec(id);
  if (!m) return undefined;
  const kind = m[1] as "cface" | "offpic";
  return { kind, name: kind === "offpic" ? `/${m[2]}` : (m[2] as string) };
}

export const IMAGE_TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  bmp: "image/bmp",
  webp: "image/webp",
};

/** The type a picture's name says (cface names keep the upload's extension); offline paths have none. */
export function mimeOf(name: string): string {
  const ext = /\.([A-Za-z0-9]{1,5})$/.exec(name)?.[1]?.toLowerCase();
  return (ext && IMAGE_TYPES[ext]) || "application/octet-stream";
}

/** The image type of the bytes' magic number, when it is one of the common picture formats. */
export function sniffImage(b: Uint8Array): string | undefined {
  const at = (i: number, ...bytes: number[]) => bytes.every((x, j) => b[i + j] === x);
  if (at(0, 0x89, 0x50, 0x4e, 0x47)) return "image/png";
  if (at(0, 0xff, 0xd8, 0xff)) return "image/jpeg";
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return "image/gif";
  if (at(0, 0x42, 0x4d)) return "image/bmp";
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return "image/webp";
  return undefined;
}

export interface AccountLite {
  qq: number;
  uin: number;
  nick: string;
  captcha: number;
  blocked: number;
}

export interface MessageRow {
  id: number;
  kind: string;
  from_qq: number;
  target: number;
  content: string;
  created_at: number;
}

export type ChatRef =
  | { kind: "buddy"; a: number; b: number }
  | { kind: "sess"; a: number; b: number }
  | { kind: "group"; gid: number }
  | { kind: "discu"; did: number };

export function parseChatId(id: string): ChatRef | undefined {
  let m = /^([us]):(\d{5,10}):(\d{5,10})$/.exec(id);
  if (m) {
    const a = Number(m[2]);
    const b = Number(m[3]);
    const pair = { a: Math.min(a, b), b: Math.max(a, b) };
    return m[1] === "u" ? { kind: "buddy", ...pair } : { kind: "sess", ...pair };
  }
  m = /^([gd]):(\d{1,10})$/.exec(id);
  if (!m) return undefined;
  return m[1] === "g" ? { kind: "group", gid: Number(m[2]) } : { kind: "discu", did: Number(m[2]) };
}

export const pairId = (prefix: "u" | "s", a: number, b: number) =>
  `${prefix}:${Math.min(a, b)}:${Math.max(a, b)}`;

export function asError(err: unknown): never {
  if (err instanceof WebQQAdminError) throw new ConsoleError(err.status, err.message);
  throw err;
}
