import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { issuesText } from "../../core/validation.js";
import { type WebQQAdmin, WebQQAdminError } from "./admin.js";

const Qq = z.number().int().min(10_000).max(0xffffffff);

const Bodies = {
  account: z.object({
    qq: Qq,
    password: z.string().min(1).max(64),
    nick: z.string().min(1).max(64),
    longNick: z.string().max(200).optional(),
  }),
  friend: z.object({ qq: Qq, friend: Qq, markname: z.string().max(64).optional() }),
  group: z.object({ name: z.string().min(1).max(64), owner: Qq, members: z.array(Qq).max(2000).default([]) }),
  flag: z.object({ qq: Qq, required: z.boolean().default(true) }),
  blocked: z.object({ qq: Qq, blocked: z.boolean().default(true) }),
  message: z.object({
    from: Qq,
    to: Qq.optional(),
    group: z.number().int().positive().optional(),
    discu: z.number().int().positive().optional(),
    text: z.string().min(1).max(10_000).optional(),
    faces: z.array(z.number().int().min(0).max(1000)).max(50).optional(),
  }),
  typing: z.object({ from: Qq, to: Qq }),
  qr: z.object({ qq: Qq, token: z.number().int().optional(), scanOnly: z.boolean().optional() }),
  pollFault: z.object({
    retcode: z.number().int().optional(),
    drop: z.boolean().optional(),
    duplicate: z.boolean().optional(),
    times: z.number().int().positive().max(1_000_000).optional(),
    probability: z.number().gt(0).max(1).optional(),
    qq: Qq.optional(),
  }),
  sendFault: z.object({
    times: z.number().int().positive().max(1_000_000).optional(),
    delivered: z.boolean().optional(),
    probability: z.number().gt(0).max(1).optional(),
    qq: Qq.optional(),
  }),
  kick: z.object({ qq: Qq }),
};

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  throw new WebQQAdminError(400, issuesText(r.error));
}

/**
 * The WebQQ part of the sandbox admin API (JSON, under `/_sandbox/webqq/`). The first three
 * calls are the DESIGN.md fixed minimum; the rest drive captcha, QR, messages and faults.
 */
export function registerWebQQAdmin(app: FastifyInstance, admin: WebQQAdmin): void {
  const wrap =
    <T>(fn: (body: unknown, query: unknown) => T) =>
    async (req: { body: unknown; query: unknown }, reply: FastifyReply) => {
      try {
        return fn(req.body, req.query);
      } catch (err) {
        if (err instanceof WebQQAdminError) return reply.code(err.status).send({ error: err.message });
        throw err;
      }
    };

  app.post(
    "/_sandbox/webqq/accounts",
    wrap((b) => {
      const x = parse(Bodies.account, b);
      return admin.createAccount(x.longNick === undefined ? x : { ...x, longNick: x.longNick });
    }),
  );
  app.post(
    "/_sandbox/webqq/friends",
    wrap((b) => {
      const x = parse(Bodies.friend, b);
      admin.addFriend(x.qq, x.friend, x.markname === undefined ? {} : { markname: x.markname });
      return { ok: true };
    }),
  );
  app.post(
    "/_sandbox/webqq/groups",
    wrap((b) => {
      const g = admin.createGroup(parse(Bodies.group, b));
      return { code: g.code, account: g.account, gid: g.gid };
    }),
  );
  app.post(
    "/_sandbox/webqq/discussions",
    wrap((b) => admin.createDiscussion(parse(Bodies.group, b))),
  );
  app.post(
    "/_sandbox/webqq/captcha",
    wrap((b) => {
      const x = parse(Bodies.flag, b);
      admin.setCaptcha(x.qq, x.required);
      return { ok: true };
    }),
  );
  app.get(
    "/_sandbox/webqq/captcha",
    wrap((_b, q) => {
      const qq = Number((q as { qq?: string } | undefined)?.qq);
      const code = admin.captcha(qq);
      if (code === undefined) throw new WebQQAdminError(404, `no captcha shown for ${qq}`);
      return { qq, code };
    }),
  );
  app.post(
    "/_sandbox/webqq/blocked",
    wrap((b) => {
      const x = parse(Bodies.blocked, b);
      admin.setBlocked(x.qq, x.blocked);
      return { ok: true };
    }),
  );
  app.post(
    "/_sandbox/webqq/messages",
    wrap((b) => {
      const x = parse(Bodies.message, b);
      const content = [
        ...(x.text !== undefined ? [{ type: "text" as const, text: x.text }] : []),
        ...(x.faces ?? []).map((id) => ({ type: "face" as const, id })),
      ];
      return admin.sendAs({
        from: x.from,
        ...(x.to !== undefined ? { to: x.to } : {}),
        ...(x.group !== undefined ? { group: x.group } : {}),
        ...(x.discu !== undefined ? { discu: x.discu } : {}),
        content,
      });
    }),
  );
  app.post(
    "/_sandbox/webqq/typing",
    wrap((b) => {
      const x = parse(Bodies.typing, b);
      admin.typing(x.from, x.to);
      return { ok: true };
    }),
  );
  app.get(
    "/_sandbox/webqq/qr",
    wrap(() => ({ pending: admin.pendingQr() })),
  );
  app.post(
    "/_sandbox/webqq/qr/confirm",
    wrap((b) => {
      const x = parse(Bodies.qr, b);
      return admin.confirmQr(x.qq, {
        ...(x.token !== undefined ? { token: x.token } : {}),
        ...(x.scanOnly !== undefined ? { scanOnly: x.scanOnly } : {}),
      });
    }),
  );
  app.post(
    "/_sandbox/webqq/faults/poll",
    wrap((b) => {
      admin.failPolls(parse(Bodies.pollFault, b));
      return { ok: true };
    }),
  );
  app.post(
    "/_sandbox/webqq/faults/send",
    wrap((b) => {
      admin.failSends(parse(Bodies.sendFault, b));
      return { ok: true };
    }),
  );
  app.post(
    "/_sandbox/webqq/faults/clear",
    wrap(() => {
      admin.clearFaults();
      return { ok: true };
    }),
  );
  app.post(
    "/_sandbox/webqq/kick",
    wrap((b) => ({ ok: true, kicked: admin.kick(parse(Bodies.kick, b).qq) })),
  );
  app.get(
    "/_sandbox/webqq/stats",
    wrap(() => admin.stats()),
  );
}
