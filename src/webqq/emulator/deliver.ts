import { flattenExtra } from "../../core/extra.js";
import { type ContentItem, DEFAULT_FONT, type Font, MSG_TYPE, Retcode } from "../protocol.js";
import { type Emu, fail, type GroupRow, sha256 } from "./context.js";
import type { Session } from "./hub.js";
import * as store from "./store/directory.js";
import { insertMessage } from "./store/messages.js";

const REPLY_IP = 176498310;
export const ok = { retcode: 0, result: "ok" };

export interface ChannelState {
  /** gface key/sig per session (sha256(psessionid) → pair). */
  gface: Map<string, { key: string; sig: string }>;
  /** c2c sig → {qq of sender, target qq, gid}. */
  c2c: Map<string, { from: number; to: number; gid: number }>;
  /** `from:to:gid` → its c2c sig (one per pair). */
  c2cByPair: Map<string, string>;
}

export function newChannelState(): ChannelState {
  return { gface: new Map(), c2c: new Map(), c2cByPair: new Map() };
}

/** Entries the gface and c2c tables keep at most (the oldest go first). */
export const CHANNEL_TABLE_CAP = 10_000;

/** Sets `key` in a bounded table, dropping the oldest entries (told to `evicted`) at the cap. */
export function remember<K, V>(map: Map<K, V>, key: K, value: V, evicted?: (old: V) => void): void {
  map.delete(key);
  while (map.size >= CHANNEL_TABLE_CAP) {
    const first = map.entries().next().value as [K, V];
    map.delete(first[0]);
    evicted?.(first[1]);
  }
  map.set(key, value);
}

export interface SendFields {
  content: string;
  msg_id: number;
  clientid: string;
  psessionid: string;
  key?: string | undefined;
  sig?: string | undefined;
}

type Kind = "buddy" | "group" | "discu" | "sess";

function sizeNum(f: Font): Omit<Font, "extra"> {
  const n = Number(f.size);
  return { ...flattenExtra(f), size: Number.isFinite(n) ? n : 10 };
}

/** Content as the receiver's poll shows it: font first, pictures as objects. */
export function receivedContent(items: readonly ContentItem[], font: Font | undefined): unknown[] {
  const out: unknown[] = [["font", sizeNum(font ?? DEFAULT_FONT)]];
  for (const it of items) {
    if (it.type === "text") out.push(it.text);
    else if (it.type === "face") out.push(["face", it.id]);
    else if (it.type === "cface")
      out.push([
        "cface",
        { name: it.name, file_id: it.fileId ?? 0, key: it.key ?? "", server: it.server ?? "" },
      ]);
    else out.push(["offpic", { success: 1, file_path: it.filePath }]);
  }
  return out;
}

export function groupOf(emu: Emu, id: number): GroupRow | undefined {
  return store.groupByAnyId(emu.db, id);
}

export function groupMembers(emu: Emu, gid: number): { qq: number; mflag: number }[] {
  return store.groupMembers(emu.db, gid);
}

export function discuMembers(emu: Emu, did: number): number[] {
  return store.discussionMembers(emu.db, did);
}

export function areFriends(emu: Emu, a: number, b: number): boolean {
  return store.areFriends(emu.db, a, b);
}

export interface Outgoing {
  kind: Kind;
  from: number;
  /** Friend QQ, group gid, discussion did, or (sess) the stranger's QQ. */
  target: number;
  items: ContentItem[];
  font: Font | undefined;
  /** sess: the group through which the stranger was reached. */
  viaGid?: number;
}

/** Fans a stored message out to the recipients' sessions (not to the sender's own). */
export function fanOut(emu: Emu, m: Outgoing): void {
  const time = Math.floor(emu.now() / 1000);
  const content = receivedContent(m.items, m.font);
  const base = (s: Session, type: keyof typeof MSG_TYPE) => ({
    msg_id: emu.nextMsgId(),
    msg_id2: 100000 + Math.floor(Math.random() * 900000),
    to_uin: s.qq,
    msg_type: MSG_TYPE[type],
    reply_ip: REPLY_IP,
    time,
  });
  if (m.kind === "buddy") {
    emu.deliver(m.target, (s) => ({
      poll_type: "message",
      value: { ...base(s, "message"), from_uin: emu.uinFor(s.qq, m.from), content },
    }));
  } else if (m.kind === "sess") {
    emu.deliver(m.target, (s) => ({
      poll_type: "sess_message",
      value: {
        ...base(s, "sess_message"),
        from_uin: emu.uinFor(s.qq, m.from),
        id: m.viaGid ?? 0,
        ruin: m.from,
        service_type: 0,
        flags: { text: 1, pic: 1, file: 1, audio: 1, video: 1 },
        content,
      },
    }));
  } else if (m.kind === "group") {
    const g = store.groupByGid(emu.db, m.target) as GroupRow;
    const seq = emu.nextMsgId();
    for (const mem of groupMembers(emu, g.gid)) {
      if (mem.qq === m.from) continue;
      emu.deliver(mem.qq, (s) => ({
        poll_type: "group_message",
        value: {
          ...base(s, "group_message"),
          from_uin: g.gid,
          group_code: g.code,
          send_uin: emu.uinFor(s.qq, m.from),
          info_seq: g.account,
          seq,
          content,
        },
      }));
    }
  } else {
    const seq = emu.nextMsgId();
    for (const qq of discuMembers(emu, m.target)) {
      if (qq === m.from) continue;
      emu.deliver(qq, (s) => ({
        poll_type: "discu_message",
        value: {
          ...base(s, "discu_message"),
          from_uin: 10000,
          did: m.target,
          send_uin: emu.uinFor(s.qq, m.from),
          info_seq: 2,
          seq,
          content,
        },
      }));
    }
  }
}

/** Sends per sender + clientid between two trims of its de-duplication rows. */
const TRIM_EVERY = 64;
const sinceTrim = new WeakMap<Emu, Map<string, number>>();

/** Whether this send trims its scope (every TRIM_EVERY sends, the first one included). */
function dueForTrim(emu: Emu, scope: string): boolean {
  let counts = sinceTrim.get(emu);
  if (!counts || counts.size > 10_000) {
    counts = new Map();
    sinceTrim.set(emu, counts);
  }
  const n = counts.get(scope) ?? 0;
  counts.set(scope, (n + 1) % TRIM_EVERY);
  return n === 0;
}

/**
 * Stores a message and fans it out once. A repeat of sender + clientid + msg_id + content (the
 * raw `content` field as sent, `wireContent`) within the de-duplication window is a retry:
 * nothing is stored or delivered again (false).
 */
export function storeAndFanOut(
  emu: Emu,
  m: Outgoing,
  clientid: string,
  clientMsgId: number,
  wireContent: string,
): boolean {
  const stored = insertMessage(
    emu.db,
    {
      kind: m.kind,
      from: m.from,
      target: m.target,
      clientid,
      clientMsgId,
      contentHash: sha256(wireContent),
      content: JSON.stringify(m.items),
      now: emu.now(),
    },
    emu.dedup,
    dueForTrim(emu, `${m.from}:${clientid}`),
  );
  if (stored) fanOut(emu, m);
  return stored;
}

export function userInfo(emu: Emu, viewer: number, qq: number) {
  const a = emu.account(qq);
  if (!a) fail(Retcode.BAD_ID);
  return {
    face: a.face,
    birthday: { month: 1, year: 1990, day: 1 },
    occupation: "",
    phone: "",
    allow: 1,
    college: "",
    uin: emu.uinFor(viewer, qq),
    constel: 0,
    blood: 0,
    homepage: "",
    stat: emu.hub.active(qq).length > 0 ? 10 : 20,
    vip_info: 0,
    country: "中国",
    city: "",
    personal: "",
    nick: a.nick,
    shengxiao: 0,
    email: "",
    province: "",
    gender: a.gender,
    mobile: "",
  };
}

export function statusOf(emu: Emu, qq: number): string | undefined {
  const s = emu.hub.active(qq);
  if (s.length === 0) return undefined;
  const st = s[s.length - 1]?.status ?? "online";
  return st === "hidden" || st === "offline" ? undefined : st;
}

export function friendQqs(emu: Emu, qq: number): number[] {
  return store.friendQqs(emu.db, qq);
}

/** Tells the friends of `qq` its new visible status. */
export function broadcastStatus(emu: Emu, qq: number, status: string): void {
  const shown = status === "hidden" ? "offline" : status;
  for (const f of friendQqs(emu, qq)) {
    emu.deliver(f, (s) => ({
      poll_type: "buddies_status_change",
      value: { uin: emu.uinFor(s.qq, qq), status: shown, client_type: 1 },
    }));
  }
}
