import { createHash, randomBytes } from "node:crypto";
import type { Logger } from "../../core/log.js";
import type { Database } from "../../core/storage.js";
import type { Hub, Session } from "./hub.js";
import type { SessionStore } from "./store/sessions.js";

/** A protocol answer other than success: `{retcode, errmsg}` (121 carries `t`, 116 carries `p`). */
export class QQFault extends Error {
  constructor(
    readonly retcode: number,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(`retcode ${retcode}`);
  }
}

export function fail(retcode: number, extra?: Record<string, unknown>): never {
  throw new QQFault(retcode, extra);
}

export function faultBody(f: QQFault): Record<string, unknown> {
  if (f.retcode === 121) return { retcode: 121, t: "0", ...f.extra };
  return { retcode: f.retcode, errmsg: "", ...f.extra };
}

export const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
export const randomHex = (bytes: number) => randomBytes(bytes).toString("hex");

export interface AccountRow {
  qq: number;
  uin: number;
  password_md5: string;
  nick: string;
  face: number;
  long_nick: string;
  gender: string;
  captcha: number;
  blocked: number;
  created_at: number;
}

export interface GroupRow {
  gid: number;
  code: number;
  account: number;
  name: string;
  owner: number;
  memo: string;
  created_at: number;
}

export interface DiscuRow {
  did: number;
  name: string;
  owner: number;
  created_at: number;
}

export interface PollFault {
  kind: "retcode" | "drop" | "duplicate";
  retcode?: number;
  remaining: number;
  probability: number;
  qq?: number;
}

export interface SendFault {
  remaining: number;
  /** The message is stored and delivered, but the answer still says 1202. */
  delivered: boolean;
  probability: number;
  qq?: number;
}

export interface Emu {
  db: Database;
  log: Logger;
  hub: Hub;
  /** Sessions and poll queues at rest (hashed secrets). */
  sessions: SessionStore;
  now(): number;
  pollTimeoutMs: number;
  sessionTtlMs: number;
  /** Send de-duplication: window (injected clock) and count per sender + clientid. */
  dedup: import("./store/messages.js").DedupLimits;
  /** Items one session's poll queue holds at most (see `Hub`). */
  maxQueue: number;
  pollFaults: PollFault[];
  /** Set while the server shuts down: answers close their connection so close() need not wait. */
  closing: boolean;
  sendFaults: SendFault[];
  nextMsgId(): number;
  account(qq: number): AccountRow | undefined;
  /** The uin `viewer` sees for `qq`: its own QQ number for itself, the obfuscated uin for others. */
  uinFor(viewer: number, qq: number): number;
  /** The account behind a uin as `viewer` sees it. */
  qqOfUin(viewer: number, uin: number): number | undefined;
  /** Queues an item for every active session of `qq`. */
  deliver(qq: number, make: (s: Session) => import("../protocol.js").PollItem): void;
}
