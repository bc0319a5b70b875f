/** Sending: buddy, group, discussion and temporary-session messages, never duplicated. */
import { Backoff, sleep } from "../../core/backoff.js";
import type { CallOptions } from "../../core/call.js";
import { AbortError, ApiError, TimeoutError, TransportError, ValidationError } from "../../core/errors.js";
import { type ContentItem, encodeContent, REFERER, Retcode } from "../protocol.js";
import { plainBuddySend } from "./fast.js";
import { type Ctx, type RawOptions, retcodeError } from "./transport.js";
import type { WebQQSendOptions } from "./types.js";

type SendName = "sendBuddy" | "sendQun" | "sendDiscu" | "sendSess";

function checkItems(items: readonly ContentItem[]): void {
  if (!Array.isArray(items) || items.length === 0)
    throw new ValidationError("content: empty message", { platform: "webqq", code: "invalid_input" });
}

/**
 * One send, never duplicated: every attempt carries the same msg_id (the server drops a
 * repeat of sender + clientid + msg_id), so a resend after 1202 or a lost answer can't post
 * the message twice.
 */
async function send(
  ctx: Ctx,
  name: SendName,
  target: Record<string, unknown>,
  items: readonly ContentItem[],
  opts: WebQQSendOptions,
): Promise<{ msgId: number }> {
  checkItems(items);
  const content = encodeContent(items, opts.font);
  ctx.need();
  const msgId = opts.msgId ?? ctx.takeMsgId() ?? (await ctx.nextMsgId());
  // The request and its form are built once; again only if a relink changed the psessionid.
  let r = { ...target, content, msg_id: msgId, clientid: ctx.clientid, psessionid: ctx.need().psessionid };
  // A plain buddy send is checked by hand (never looser than the schema); the rest by zod.
  if (!(name === "sendBuddy" && plainBuddySend(r))) ctx.check(name, r as never);
  let form = ctx.rForm(r);
  const attempts = Math.max(1, ctx.o.sendAttempts ?? 4);
  let backoff: Backoff | undefined;
  const call: RawOptions = {
    method: "POST",
    form,
    referer: REFERER.d,
    idempotent: false,
    retries: 0,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  };
  let last: Error | undefined;
  for (let i = 0; i < attempts; i++) {
    if (i > 0) {
      backoff ??= new Backoff({ baseMs: ctx.o.backoffBaseMs ?? 500, maxMs: 5000 });
      await sleep(backoff.next(), opts.signal, "webqq");
      const s = ctx.need();
      if (s.psessionid !== r.psessionid || ctx.clientid !== r.clientid) {
        r = { ...target, content, msg_id: msgId, clientid: ctx.clientid, psessionid: s.psessionid };
        form = ctx.rForm(r);
        call.form = form;
      }
    }
    try {
      const env = await ctx.envelope(name, call);
      if (env.retcode === 0) return { msgId };
      last = retcodeError(env.retcode, name);
      if (env.retcode !== Retcode.SEND_FAILED) throw last;
    } catch (err) {
      if (err instanceof AbortError) throw err;
      if (!(err instanceof TransportError || err instanceof TimeoutError)) throw err;
      last = err;
    }
  }
  throw last ?? new ApiError(`${name} failed`, { platform: "webqq", code: Retcode.SEND_FAILED });
}

export function sendBuddy(
  ctx: Ctx,
  toUin: number,
  items: readonly ContentItem[],
  opts: WebQQSendOptions = {},
) {
  return send(ctx, "sendBuddy", { to: toUin, face: 0 }, items, opts);
}

async function withGface(
  ctx: Ctx,
  extra: Record<string, unknown>,
  items: readonly ContentItem[],
  opts: WebQQSendOptions,
  gfaceSig: (ctx: Ctx, o: CallOptions) => Promise<{ gface_key: string; gface_sig: string }>,
) {
  checkItems(items);
  if (items.some((i) => i.type === "cface")) {
    const g = await gfaceSig(ctx, { ...(opts.signal ? { signal: opts.signal } : {}) });
    extra.key = g.gface_key;
    extra.sig = g.gface_sig;
  }
  return extra;
}

export async function sendGroup(
  ctx: Ctx,
  gid: number,
  items: readonly ContentItem[],
  opts: WebQQSendOptions,
  gfaceSig: (ctx: Ctx, o: CallOptions) => Promise<{ gface_key: string; gface_sig: string }>,
) {
  ctx.check("sendQun", { group_uin: gid, content: "-", msg_id: 0, clientid: ctx.clientid, psessionid: "-" });
  const extra = await withGface(ctx, { group_uin: gid }, items, opts, gfaceSig);
  return send(ctx, "sendQun", extra, items, opts);
}

export async function sendDiscussion(
  ctx: Ctx,
  did: number,
  items: readonly ContentItem[],
  opts: WebQQSendOptions,
  gfaceSig: (ctx: Ctx, o: CallOptions) => Promise<{ gface_key: string; gface_sig: string }>,
) {
  ctx.check("sendDiscu", { did, content: "-", msg_id: 0, clientid: ctx.clientid, psessionid: "-" });
  const extra = await withGface(ctx, { did }, items, opts, gfaceSig);
  return send(ctx, "sendDiscu", extra, items, opts);
}

/** A temporary (sess) message to a group member who is not a friend. */
export async function sendSess(
  ctx: Ctx,
  gid: number,
  toUin: number,
  items: readonly ContentItem[],
  opts: WebQQSendOptions = {},
) {
  checkItems(items);
  ctx.check("c2cMsgSig", { id: gid, to_uin: toUin, service_type: 0 });
  const sig = await ctx.api("c2cMsgSig", {
    query: ctx.ids({ id: gid, to_uin: toUin, service_type: 0 }),
    referer: REFERER.d,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  });
  return send(ctx, "sendSess", { to: toUin, group_sig: sig.value, face: 0, service_type: 0 }, items, opts);
}
