import { createHmac, timingSafeEqual } from "node:crypto";

/** Claims the emulator puts in Centrifugo tokens (connection: sub/exp; subscription: + channel). */
export interface JwtClaims {
  sub: string;
  exp?: number;
  iat?: number;
  channel?: string;
  info?: Record<string, unknown>;
}

const b64 = (data: string | Buffer) => Buffer.from(data).toString("base64url");

/** HS256 JWT, the form Centrifugo verifies with its `token_hmac_secret_key`. */
export function signJwt(claims: JwtClaims, secret: string): string {
  const head = b64(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64(JSON.stringify(claims));
  const sig = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

export type JwtCheck = { ok: true; claims: JwtClaims } | { ok: false; reason: "invalid" | "expired" };

/** Verifies signature, algorithm and shape; `expired` is told apart (Centrifugo error 109). */
export function verifyJwt(token: unknown, secret: string, nowSec: number): JwtCheck {
  if (typeof token !== "string" || token.length > 8192) return { ok: false, reason: "invalid" };
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "invalid" };
  const [head, body, sig] = parts as [string, string, string];
  const want = createHmac("sha256", secret).update(`${head}.${body}`).digest();
  const got = Buffer.from(sig, "base64url");
  if (got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, reason: "invalid" };
  try {
    const h = JSON.parse(Buffer.from(head, "base64url").toString("utf8")) as { alg?: unknown };
    if (h.alg !== "HS256") return { ok: false, reason: "invalid" };
    const c = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Record<string, unknown>;
    if (typeof c.sub !== "string") return { ok: false, reason: "invalid" };
    if (c.exp !== undefined && typeof c.exp !== "number") return { ok: false, reason: "invalid" };
    if (c.channel !== undefined && typeof c.channel !== "string") return { ok: false, reason: "invalid" };
    const claims: JwtClaims = { sub: c.sub };
    if (typeof c.exp === "number") claims.exp = c.exp;
    if (typeof c.channel === "string") claims.channel = c.channel;
    if (claims.exp !== undefined && claims.exp <= nowSec) return { ok: false, reason: "expired" };
    return { ok: true, claims };
  } catch {
    return { ok: false, reason: "invalid" };
  }
}
