/**
 * WebQQ (seeds 002 and 004, PROTOCOL-NOTES.md): hosts, paths, fixed headers, the login
 * callbacks (`ptui_checkVC`, `ptuiCB`), the password and friend-list hashes, the `r=` JSON
 * bodies, `retcode`s, poll items and message content. Client and emulator both import this.
 */
import { createHash } from "node:crypto";
import { z } from "zod";

// ---------------------------------------------------------------------------------------------
// Hosts, paths, headers

/** The production hosts; `WebQQClient({ baseUrl })` folds them all onto one origin (the sandbox). */
export const HOSTS = {
  check: "http://check.ptlogin2.qq.com",
  login: "http://ptlogin2.qq.com",
  qr: "https://ssl.ptlogin2.qq.com",
  captcha: "http://captcha.qq.com",
  d: "http://d.web2.qq.com",
  s: "http://s.web2.qq.com",
  tip: "http://webqq.qq.com",
  up: "http://up.web2.qq.com",
  web2: "http://web2.qq.com",
  ftn: "http://weboffline.ftn.qq.com",
} as const;
export type HostName = keyof typeof HOSTS;

/** Every endpoint: its host and path (the emulator serves all of them on one port). */
export const ENDPOINTS = {
  check: { host: "check", path: "/check" },
  captchaImage: { host: "captcha", path: "/getimage" },
  login: { host: "login", path: "/login" },
  checkSig: { host: "login", path: "/check_sig" },
  qrShow: { host: "qr", path: "/ptqrshow" },
  qrLogin: { host: "qr", path: "/ptqrlogin" },
  login2: { host: "d", path: "/channel/login2" },
  poll2: { host: "d", path: "/channel/poll2" },
  sendBuddy: { host: "d", path: "/channel/send_buddy_msg2" },
  sendQun: { host: "d", path: "/channel/send_qun_msg2" },
  sendDiscu: { host: "d", path: "/channel/send_discu_msg2" },
  sendSess: { host: "d", path: "/channel/send_sess_msg2" },
  c2cMsgSig: { host: "d", path: "/channel/get_c2cmsg_sig2" },
  changeStatus: { host: "d", path: "/channel/change_status2" },
  discuInfo: { host: "d", path: "/channel/get_discu_info" },
  onlineBuddies: { host: "d", path: "/channel/get_online_buddies2" },
  recentList: { host: "d", path: "/channel/get_recent_list2" },
  gfaceSig: { host: "d", path: "/channel/get_gface_sig2" },
  offpic: { host: "d", path: "/channel/get_offpic2" },
  logout: { host: "d", path: "/channel/logout2" },
  friendsOld: { host: "s", path: "/api/get_user_friend2" },
  friends: { host: "s", path: "/api/get_user_friends2" },
  groups: { host: "s", path: "/api/get_group_name_list_mask2" },
  groupInfo: { host: "s", path: "/api/get_group_info_ext2" },
  discusList: { host: "s", path: "/api/get_discus_list" },
  friendUin: { host: "s", path: "/api/get_friend_uin2" },
  friendInfo: { host: "s", path: "/api/get_friend_info2" },
  longNick: { host: "s", path: "/api/get_single_long_nick2" },
  selfInfo: { host: "s", path: "/api/get_self_info2" },
  msgTip: { host: "tip", path: "/web2/get_msg_tip" },
  cfaceUpload: { host: "up", path: "/cgi-bin/cface_upload" },
  groupPic: { host: "web2", path: "/cgi-bin/get_group_pic" },
  offpicUpload: { host: "ftn", path: "/ftn_access/upload_offline_pic" },
} as const satisfies Record<string, { host: HostName; path: string }>;
export type EndpointName = keyof typeof ENDPOINTS;

/** `aid` / `appid` of WebQQ password login and of the QR login page. */
export const APPID = 1003903;
export const QR_APPID = 501004106;

/** Referers the seeds require: login2 uses callback=2, the channel calls callback=1&id=2 or id=3. */
export const REFERER = {
  login2: "http://d.web2.qq.com/proxy.html?v=20110331002&callback=2",
  d: "http://d.web2.qq.com/proxy.html?v=20110331002&callback=1&id=2",
  s: "http://s.web2.qq.com/proxy.html?v=20110412001&callback=1&id=1",
} as const;

/** Accepted: any `proxy.html` of the web2 proxy with its `v` version (the seeds use several ids). */
export function isProxyReferer(value: string | undefined): boolean {
  if (!value) return false;
  try {
    const u = new URL(value);
    return u.pathname === "/proxy.html" && u.searchParams.has("v");
  } catch {
    return false;
  }
}

export const USER_AGENT = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.9; rv:29.0) Gecko/20100101 Firefox/29.0";

// ---------------------------------------------------------------------------------------------
// retcodes

export const Retcode = {
  OK: 0,
  /** Send not delivered (or not confirmed): resending naively duplicates. */
  SEND_FAILED: 1202,
  /** Poll timed out with nothing new: poll again. */
  NO_MESSAGE: 102,
  /** Offline / session unknown / cookie missing. */
  LOST: 103,
  /** Cookie or vfwebqq/ptwebqq wrong. */
  BAD_COOKIE: 108,
  /** Take the new ptwebqq from `p`. */
  NEW_PTWEBQQ: 116,
  /** Relink (login2 again). */
  RELINK: 120,
  /** Logged in elsewhere (kicked). */
  KICKED: 121,
  /** clientid does not match the session ("wrong web client3"). */
  WRONG_CLIENT: 122,
  /** Bad id: unknown group / discussion / friend, wrong hash. */
  BAD_ID: 100001,
  /** Bad request: missing/malformed parameters or Referer. */
  BAD_REQUEST: 100006,
  /** Session expired: log in again. */
  EXPIRED: 100012,
  /** s.web2 API without the ptwebqq cookie (or wrong User-Agent). */
  NO_COOKIE: 100101,
} as const;

export const RETCODE_TEXT: Record<number, string> = {
  0: "ok",
  102: "poll timed out, nothing new",
  103: "offline (session unknown or cookie missing)",
  108: "wrong cookie / ptwebqq / vfwebqq",
  116: "update ptwebqq",
  120: "relink required",
  121: "logged in elsewhere",
  122: "wrong web client",
  1202: "message not delivered",
  100001: "bad id or hash",
  100006: "bad request",
  100012: "session expired",
  100101: "cookie missing",
};

export function describeRetcode(code: number): string {
  return RETCODE_TEXT[code] ?? `retcode ${code}`;
}

/** Retcodes after which the client must log in (or relink) again. */
export const RELOGIN_RETCODES: ReadonlySet<number> = new Set([103, 108, 100012]);

// ---------------------------------------------------------------------------------------------
// Login callbacks

/** ptuiCB codes of seed 004 (and PROTOCOL-NOTES). */
export const LoginCode = {
  OK: 0,
  WRONG_PASSWORD: 3,
  WRONG_CAPTCHA: 4,
  BAD_PARAMS: 7,
  COOKIES_OFF: 24,
  BLOCKED: 71,
} as const;

/** QR states of ptqrlogin. */
export const QrCode = { OK: 0, EXPIRED: 65, WAITING: 66, SCANNED: 67 } as const;

/** Arguments of a JS callback `name('a','b',…);` — single-quoted strings with `\xNN`/`\'` escapes. */
export function parseJsCall(text: string, name: string): string[] | undefined {
  const start = text.indexOf(`${name}(`);
  if (start < 0) return undefined;
  const out: string[] = [];
  let i = start + name.length + 1;
  while (i < text.length) {
    while (text[i] === " " || text[i] === ",") i++;
    if (text[i] === ")") return out;
    const q = text[i];
    if (q !== "'" && q !== '"') return undefined;
    i++;
    let s = "";
    while (i < text.length && text[i] !== q) {
      if (text[i] === "\\") {
        const n = text[i + 1];
        if (n === "x") {
          s += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 4), 16));
          i += 4;
          continue;
        }
        s += n === "n" ? "\n" : (n ?? "");
        i += 2;
        continue;
      }
      s += text[i];
      i++;
    }
    if (text[i] !== q) return undefined;
    out.push(s);
    i++;
  }
  return undefined;
}

function jsQuote(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** The uin as 8 big-endian bytes, written `\x00…` like the check callback. */
export function uinBytes(qq: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(qq));
  return b;
}

export function escapeBytes(b: Uint8Array): string {
  return [...b].map((x) => `\\x${x.toString(16).padStart(2, "0")}`).join("");
}

export interface CheckResult {
  /** 1: a captcha is required; `vcode` is then the captcha session key, not the code. */
  needCaptcha: boolean;
  vcode: string;
  uinBytes: Buffer;
}

export function formatCheckVC(needCaptcha: boolean, vcode: string, qq: number): string {
  return `ptui_checkVC('${needCaptcha ? 1 : 0}',${jsQuote(vcode)},'${escapeBytes(uinBytes(qq))}');`;
}

/** Accepts `ptui_checkVC(…)` (seed 004) and the older `pt_checkVC(…)` (seed 002). */
export function parseCheckVC(text: string): CheckResult | undefined {
  const args = parseJsCall(text, "ptui_checkVC") ?? parseJsCall(text, "pt_checkVC");
  if (!args || args.length < 3) return undefined;
  return {
    needCaptcha: args[0] === "1",
    vcode: args[1] ?? "",
    uinBytes: Buffer.from(args[2] ?? "", "latin1"),
  };
}

export interface PtuiCB {
  code: number;
  subcode: number;
  url: string;
  message: string;
  nick: string;
}

export function formatPtuiCB(r: PtuiCB): string {
  return `ptuiCB('${r.code}','${r.subcode}',${jsQuote(r.url)},'0',${jsQuote(r.message)}, ${jsQuote(r.nick)});`;
}

export function parsePtuiCB(text: string): PtuiCB | undefined {
  const a = parseJsCall(text, "ptuiCB");
  if (!a || a.length < 5) return undefined;
  return {
    code: Number(a[0]),
    subcode: Number(a[1]),
    url: a[2] ?? "",
    message: a[4] ?? "",
    nick: a[5] ?? "",
  };
}

// ---------------------------------------------------------------------------------------------
// Hashes

const md5 = (b: Buffer | string) => createHash("md5").update(b).digest();

/** md5(md5(md5(pwd).digest() + uin).hexdigest().upper() + vcode.upper()).hexdigest().upper() */
export function passwordHash(password: string, uin: Uint8Array, vcode: string): string {
  return passwordHashFromMd5(md5(password), uin, vcode);
}

/** The same from md5(password) — what a server keeps instead of the password. */
export function passwordHashFromMd5(pwdMd5: Uint8Array, uin: Uint8Array, vcode: string): string {
  const inner = md5(Buffer.concat([pwdMd5, uin]))
    .toString("hex")
    .toUpperCase();
  return md5(inner + vcode.toUpperCase())
    .toString("hex")
    .toUpperCase();
}

/** The friend-list `hash` ("EC/OK" generation of PROTOCOL-NOTES) of the self uin and ptwebqq. */
export function friendsHash(uin: number, ptwebqq: string): string {
  const n = [0, 0, 0, 0];
  for (let i = 0; i < ptwebqq.length; i++) n[i % 4] = (n[i % 4] as number) ^ ptwebqq.charCodeAt(i);
  const k = ["E", "C", "O", "K"].map((c) => c.charCodeAt(0));
  const u = Number(BigInt.asUintN(32, BigInt(uin)));
  const v = [(u >>> 24) & 255, (u >>> 16) & 255, (u >>> 8) & 255, u & 255].map(
    (x, i) => x ^ (k[i] as number),
  );
  const bytes: number[] = [];
  for (let i = 0; i < 4; i++) bytes.push((n[i] as number) & 255, v[i] as number);
  return bytes.map((b) => b.toString(16).padStart(2, "0").toUpperCase()).join("");
}

/** ptqrtoken of the `qrsig` cookie. */
export function hash33(s: string): number {
  let e = 0;
  for (let i = 0; i < s.length; i++) e += (e << 5) + s.charCodeAt(i);
  return e & 0x7fffffff;
}

// ---------------------------------------------------------------------------------------------
// Message content

export const Font = z.looseObject({
  name: z.string(),
  size: z.union([z.string(), z.number()]),
  style: z.array(z.number()),
  color: z.string(),
});
export type Font = z.infer<typeof Font>;

export const DEFAULT_FONT: Font = { name: "宋体", size: "10", style: [0, 0, 0], color: "000000" };

/** A segment as we model it on both sides (send and receive). */
export type ContentItem =
  | { type: "text"; text: string }
  | { type: "face"; id: number }
  /** Group/discussion custom picture uploaded with cface_upload. */
  | { type: "cface"; name: string; fileId?: number; key?: string; server?: string }
  /** Buddy offline picture uploaded with upload_offline_pic. */
  | { type: "offpic"; filePath: string; name?: string; size?: number };

/** Sent content: a JSON *string* of the list with the font last (seed 002). */
export function encodeContent(items: readonly ContentItem[], font: Font = DEFAULT_FONT): string {
  const list: unknown[] = items.map((it): unknown => {
    if (it.type === "text") return it.text;
    if (it.type === "face") return ["face", it.id];
    if (it.type === "cface") return ["cface", "group", it.name];
    return ["offpic", it.filePath, it.name ?? "", it.size ?? 0];
  });
  list.push(["font", font]);
  return JSON.stringify(list);
}

/** Parses sent content (string) or received content (list); unknown items are dropped, fonts kept apart. */
export function decodeContent(raw: unknown): { items: ContentItem[]; font?: Font } | undefined {
  let list = raw;
  if (typeof raw === "string") {
    try {
      list = JSON.parse(raw) as unknown;
    } catch {
      return undefined;
    }
  }
  if (!Array.isArray(list)) return undefined;
  const items: ContentItem[] = [];
  let font: Font | undefined;
  for (const el of list) {
    if (typeof el === "string") {
      items.push({ type: "text", text: el });
      continue;
    }
    if (!Array.isArray(el) || typeof el[0] !== "string") return undefined;
    const [tag, a, b, c] = el as [string, unknown, unknown, unknown];
    if (tag === "font") {
      const f = Font.safeParse(a);
      if (!f.success) return undefined;
      font = f.data;
    } else if (tag === "face") {
      if (typeof a !== "number" || !Number.isInteger(a) || a < 0 || a > 1000) return undefined;
      items.push({ type: "face", id: a });
    } else if (tag === "cface") {
      // Sent: ["cface","group",name] or ["cface",name]; received: ["cface",{name,file_id,key,server}].
      if (a && typeof a === "object") {
        const o = a as Record<string, unknown>;
        if (typeof o.name !== "string") return undefined;
        const it: ContentItem = { type: "cface", name: o.name };
        if (typeof o.file_id === "number") it.fileId = o.file_id;
        if (typeof o.key === "string") it.key = o.key;
        if (typeof o.server === "string") it.server = o.server;
        items.push(it);
      } else if (typeof b === "string") items.push({ type: "cface", name: b });
      else if (typeof a === "string") items.push({ type: "cface", name: a });
      else return undefined;
    } else if (tag === "offpic") {
      if (a && typeof a === "object") {
        const o = a as Record<string, unknown>;
        if (typeof o.file_path !== "string") return undefined;
        items.push({ type: "offpic", filePath: o.file_path });
      } else if (typeof a === "string") {
        const it: ContentItem = { type: "offpic", filePath: a };
        if (typeof b === "string" && b) it.name = b;
        if (typeof c === "number") it.size = c;
        items.push(it);
      } else return undefined;
    } else {
      return undefined;
    }
  }
  return font ? { items, font } : { items };
}

/** Plain text of content (faces as `[face:n]`, pictures as `[image]`). */
export function contentText(items: readonly ContentItem[]): string {
  return items
    .map((it) => (it.type === "text" ? it.text : it.type === "face" ? `[face:${it.id}]` : "[image]"))
    .join("");
}

// ---------------------------------------------------------------------------------------------
// Request bodies (`r=` JSON)

const Id = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\d{1,20}$/)
    .transform(Number),
]);
const ClientId = z.union([z.string().regex(/^\d{1,20}$/), z.number().int().nonnegative().transform(String)]);

export const Login2R = z.object({
  status: z.string().default("online"),
  ptwebqq: z.string().min(1),
  passwd_sig: z.string().optional(),
  clientid: ClientId,
  psessionid: z.string().nullish(),
});
export type Login2R = z.input<typeof Login2R>;

export const PollR = z.object({
  clientid: ClientId,
  psessionid: z.string().min(1),
  key: z.union([z.number(), z.string()]).optional(),
  ids: z.array(z.unknown()).optional(),
});

const SendCommon = {
  content: z.string().min(1).max(65_536),
  msg_id: z.number().int().nonnegative(),
  clientid: ClientId,
  psessionid: z.string().min(1),
  face: z.number().int().optional(),
  key: z.string().optional(),
  sig: z.string().optional(),
};
export const SendBuddyR = z.object({ to: Id, ...SendCommon });
export const SendQunR = z.object({ group_uin: Id, ...SendCommon });
export const SendDiscuR = z.object({ did: Id, ...SendCommon });
export const SendSessR = z.object({
  to: Id,
  group_sig: z.string().min(1),
  service_type: z.number().int().default(0),
  ...SendCommon,
});
export type SendBuddyR = z.input<typeof SendBuddyR>;
export type SendQunR = z.input<typeof SendQunR>;
export type SendDiscuR = z.input<typeof SendDiscuR>;
export type SendSessR = z.input<typeof SendSessR>;

/** get_user_friends2 / get_group_name_list_mask2: `{vfwebqq, hash}`; the older get_user_friend2 sends `{h:"hello", vfwebqq}`. */
export const HashR = z.object({
  vfwebqq: z.string().min(1),
  hash: z.string().optional(),
  h: z.string().optional(),
});
export const RecentR = z.object({
  vfwebqq: z.string().min(1),
  clientid: ClientId,
  psessionid: z.string().min(1),
});

export const STATUSES = ["online", "hidden", "away", "busy", "callme", "offline", "silent"] as const;
export type Status = (typeof STATUSES)[number];

// ---------------------------------------------------------------------------------------------
// Responses (lenient: unknown fields kept)

export const Envelope = z.looseObject({
  retcode: z.number(),
  result: z.unknown().optional(),
  errmsg: z.string().optional(),
  p: z.string().optional(),
  t: z.string().optional(),
});
export type Envelope = z.infer<typeof Envelope>;

export const Login2Result = z.looseObject({
  uin: z.number(),
  cip: z.number().optional(),
  index: z.number().optional(),
  port: z.number().optional(),
  status: z.string(),
  vfwebqq: z.string(),
  psessionid: z.string(),
  user_state: z.number().optional(),
  f: z.number().optional(),
});
export type Login2Result = z.infer<typeof Login2Result>;

export const FriendsResult = z.looseObject({
  categories: z.array(z.looseObject({ index: z.number(), sort: z.number(), name: z.string() })),
  friends: z.array(z.looseObject({ flag: z.number(), uin: z.number(), categories: z.number() })).default([]),
  info: z.array(z.looseObject({ face: z.number(), flag: z.number(), nick: z.string(), uin: z.number() })),
  marknames: z.array(z.looseObject({ uin: z.number(), markname: z.string() })),
  vipinfo: z.array(z.looseObject({ vip_level: z.number(), u: z.number(), is_vip: z.number() })),
});
export type FriendsResult = z.infer<typeof FriendsResult>;

export const GroupListResult = z.looseObject({
  gmasklist: z.array(z.unknown()).default([]),
  gnamelist: z.array(
    z.looseObject({ flag: z.number(), name: z.string(), gid: z.number(), code: z.number() }),
  ),
  gmarklist: z.array(z.unknown()).default([]),
});
export type GroupListResult = z.infer<typeof GroupListResult>;

export const GroupInfoResult = z.looseObject({
  ginfo: z.looseObject({
    gid: z.number(),
    code: z.number(),
    name: z.string(),
    owner: z.number(),
    flag: z.number(),
    createtime: z.number(),
    memo: z.string(),
    members: z.array(z.looseObject({ muin: z.number(), mflag: z.number() })),
  }),
  minfo: z.array(z.looseObject({ uin: z.number(), nick: z.string() })),
  stats: z.array(z.looseObject({ uin: z.number(), client_type: z.number(), stat: z.number() })),
  vipinfo: z.array(z.unknown()).default([]),
});
export type GroupInfoResult = z.infer<typeof GroupInfoResult>;

export const DiscusListResult = z.looseObject({
  dnamelist: z.array(z.looseObject({ name: z.string(), did: z.number() })),
});
export type DiscusListResult = z.infer<typeof DiscusListResult>;

export const DiscuInfoResult = z.looseObject({
  info: z.looseObject({
    did: z.number(),
    discu_owner: z.number(),
    discu_name: z.string(),
    info_seq: z.number(),
    mem_list: z.array(z.looseObject({ mem_uin: z.number(), ruin: z.number() })),
  }),
  mem_status: z.array(z.looseObject({ uin: z.number(), status: z.string(), client_type: z.number() })),
  mem_info: z.array(z.looseObject({ uin: z.number(), nick: z.string() })),
});
export type DiscuInfoResult = z.infer<typeof DiscuInfoResult>;

export const FriendUinResult = z.looseObject({ uiuin: z.string(), account: z.number(), uin: z.number() });
export type FriendUinResult = z.infer<typeof FriendUinResult>;

export const UserInfo = z.looseObject({
  uin: z.number(),
  nick: z.string(),
  face: z.number(),
  gender: z.string(),
  country: z.string(),
  province: z.string(),
  city: z.string(),
  birthday: z.looseObject({ year: z.number(), month: z.number(), day: z.number() }),
  account: z.number().optional(),
  lnick: z.string().optional(),
});
export type UserInfo = z.infer<typeof UserInfo>;

export const LongNickResult = z.array(z.looseObject({ uin: z.number(), lnick: z.string() }));
export const OnlineBuddiesResult = z.array(
  z.looseObject({ uin: z.number(), status: z.string(), client_type: z.number() }),
);
export const RecentListResult = z.array(z.looseObject({ uin: z.number(), type: z.number() }));
export const GfaceSigResult = z.looseObject({
  reply: z.number(),
  gface_key: z.string(),
  gface_sig: z.string(),
});
export type GfaceSigResult = z.infer<typeof GfaceSigResult>;
export const C2cMsgSigResult = z.looseObject({ type: z.number(), value: z.string(), flags: z.unknown() });
export type C2cMsgSigResult = z.infer<typeof C2cMsgSigResult>;

// ---------------------------------------------------------------------------------------------
// Poll items

/** msg_type per poll_type (seeds 002 / 004). */
export const MSG_TYPE = {
  message: 9,
  group_message: 43,
  discu_message: 42,
  sess_message: 140,
  kick_message: 48,
  input_notify: 121,
} as const;

const Base = {
  msg_id: z.number(),
  msg_id2: z.number(),
  from_uin: z.number(),
  to_uin: z.number(),
  msg_type: z.number(),
  reply_ip: z.number(),
  time: z.number(),
};
const Content = z.array(z.unknown());

export const PollItem = z.discriminatedUnion("poll_type", [
  z.looseObject({ poll_type: z.literal("message"), value: z.looseObject({ ...Base, content: Content }) }),
  z.looseObject({
    poll_type: z.literal("group_message"),
    value: z.looseObject({
      ...Base,
      content: Content,
      group_code: z.number(),
      send_uin: z.number(),
      info_seq: z.number(),
      seq: z.number(),
    }),
  }),
  z.looseObject({
    poll_type: z.literal("discu_message"),
    value: z.looseObject({
      ...Base,
      content: Content,
      did: z.number(),
      send_uin: z.number(),
      info_seq: z.number(),
      seq: z.number(),
    }),
  }),
  z.looseObject({
    poll_type: z.literal("sess_message"),
    value: z.looseObject({
      ...Base,
      content: Content,
      id: z.number(),
      ruin: z.number(),
      service_type: z.number(),
    }),
  }),
  z.looseObject({
    poll_type: z.literal("buddies_status_change"),
    value: z.looseObject({ uin: z.number(), status: z.string(), client_type: z.number() }),
  }),
  z.looseObject({
    poll_type: z.literal("kick_message"),
    value: z.looseObject({
      msg_id: z.number(),
      msg_id2: z.number(),
      from_uin: z.number(),
      to_uin: z.number(),
      msg_type: z.number(),
      reply_ip: z.number(),
      reason: z.string(),
      show_reason: z.number(),
    }),
  }),
  z.looseObject({ poll_type: z.literal("input_notify"), value: z.looseObject({ ...Base }) }),
]);
export type PollItem = z.infer<typeof PollItem>;
export type PollType = PollItem["poll_type"];

/** `key=value` form of a request: `r` is the JSON string. */
export function rForm(r: unknown, extra: Record<string, string> = {}): URLSearchParams {
  const p = new URLSearchParams();
  p.set("r", JSON.stringify(r));
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return p;
}
