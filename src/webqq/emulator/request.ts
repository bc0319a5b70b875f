import type { FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import { isProxyReferer, Retcode } from "../protocol.js";
import { type Emu, fail, sha256 } from "./context.js";
import type { Session } from "./hub.js";

/** Query and urlencoded form merged (form wins): WebQQ sends the same names either way. */
export function fields(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (src: unknown) => {
    if (!src || typeof src !== "object" || src instanceof Buffer) return;
    for (const [k, v] of Object.entries(src as Record<string, unknown>)) {
      const s = Array.isArray(v) ? v[0] : v;
      if (typeof s === "string") out[k] = s;
    }
  };
  add(req.query);
  add(req.body);
  return out;
}

export function cookies(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  const raw = req.headers.cookie;
  if (!raw) return out;
  for (const part of raw.split(";")) {
    const i = part.indexOf("=");
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (k && !(k in out)) out[k] = v;
  }
  return out;
}

export function setCookies(reply: FastifyReply, pairs: Record<string, string>): void {
  const prev = reply.getHeader("set-cookie");
  const list = Array.isArray(prev) ? prev.map(String) : prev ? [String(prev)] : [];
  for (const [k, v] of Object.entries(pairs)) list.push(`${k}=${v}; Path=/`);
  reply.header("set-cookie", list);
}

/** `r=` JSON of the request, validated; anything else is 100006. */
export function rBody<S extends z.ZodType>(f: Record<string, string>, schema: S): z.output<S> {
  const raw = f.r;
  if (raw === undefined) fail(Retcode.BAD_REQUEST);
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    fail(Retcode.BAD_REQUEST);
  }
  const r = schema.safeParse(v);
  if (!r.success) fail(Retcode.BAD_REQUEST);
  return r.data;
}

export function requireReferer(req: FastifyRequest): void {
  const ref = req.headers.referer;
  if (!isProxyReferer(Array.isArray(ref) ? ref[0] : ref)) fail(Retcode.BAD_REQUEST);
}

/**
 * d.web2 calls: the session is named by psessionid + clientid (no cookie needed, seed 002).
 * A session kicked by a login elsewhere answers 121 at once, except to poll2 (`drain`), which
 * may still fetch the kick_message queued for it, and to logout.
 */
export function sessionOf(
  emu: Emu,
  psessionid: string | undefined,
  clientid: string | undefined,
  drain = false,
): Session {
  if (!psessionid || !clientid) fail(Retcode.BAD_REQUEST);
  const s = emu.hub.byPsession.get(sha256(psessionid));
  if (!s || s.state === "closed") fail(Retcode.LOST);
  if (s.clientid !== clientid) fail(Retcode.WRONG_CLIENT);
  if (s.state === "kicked" && (!drain || s.queue.length === 0)) fail(Retcode.KICKED);
  const now = emu.now();
  if (now - s.lastSeen > emu.sessionTtlMs) fail(Retcode.EXPIRED);
  seen(emu, s, now);
  return s;
}

/** Activity for the idle TTL, persisted (coarsely) so the TTL holds across a restart. */
function seen(emu: Emu, s: Session, now: number): void {
  s.lastSeen = now;
  emu.sessions.touch(s, Math.min(60_000, emu.sessionTtlMs / 8));
}

/** A vfwebqq sent to a d.web2 call must be the session's (108 otherwise). */
export function checkVfwebqq(s: Session, vfwebqq: string): void {
  if (s.vfwebqq === vfwebqq) return;
  if (sha256(vfwebqq) !== s.vfHash) fail(Retcode.BAD_COOKIE);
  s.vfwebqq = vfwebqq;
}

/** s.web2 calls: the ptwebqq cookie (100101 without it) and the session's vfwebqq (108). */
export function apiSession(emu: Emu, req: FastifyRequest, vfwebqq: string | undefined): Session {
  const pt = cookies(req).ptwebqq;
  if (!pt) fail(Retcode.NO_COOKIE);
  if (!vfwebqq) fail(Retcode.BAD_REQUEST);
  const s = emu.hub.byVf.get(sha256(vfwebqq));
  if (!s || s.ptHash !== sha256(pt)) fail(Retcode.BAD_COOKIE);
  if (s.state !== "active") fail(s.state === "kicked" ? Retcode.KICKED : Retcode.LOST);
  const now = emu.now();
  if (now - s.lastSeen > emu.sessionTtlMs) fail(Retcode.EXPIRED);
  seen(emu, s, now);
  s.vfwebqq = vfwebqq;
  return s;
}

export function intField(f: Record<string, string>, name: string): number {
  const v = f[name];
  if (v === undefined || !/^\d{1,15}$/.test(v)) fail(Retcode.BAD_REQUEST);
  return Number(v);
}
