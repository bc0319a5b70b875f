/**
 * WebQQ (seeds 002 and 004, PROTOCOL-NOTES.md): hosts, fixed headers, retcodes, the login
 * callbacks (`ptui_checkVC`, `ptuiCB`) and the password and friend-list hashes.
 */
import { createHash } from "node:crypto";

// ---------------------------------------------------------------------------------------------
// Hosts, paths, headers

/** The production hosts; `WebQQClient({ url })` folds them all onto one origin (the sandbox). */
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
