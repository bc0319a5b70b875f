import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { Logger } from "../core/log.js";
import { AdminError, type MaxAdmin } from "../max/emulator/admin.js";
import { normalizePhone } from "../max/emulator/store/users.js";

/** Where each face of the sandbox listens (the `--json` contract line, in this key order). */
export interface SandboxUrls {
  console: string;
  max: string;
  maxim: string;
  webqq: string;
  vklive: string;
}

export interface MaxUserInfo {
  userId: number;
  phone: string;
  firstName: string;
  lastName: string;
}

export interface AdminApiDeps {
  max: MaxAdmin;
  /** Looks a MAX account up by its normalised phone (`+<digits>`). */
  findMaxUser: (phone: string) => MaxUserInfo | undefined;
  urls: () => SandboxUrls;
  log: Logger;
  /** Where the plain page listing endpoints and calls is served (default `/`; the web console takes `/`). */
  indexPath?: string;
}

/** A 4xx answer with a message meant for the caller. */
class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const UserId = z.number().int().positive();

const CreateUserBody = z.object({
  phone: z.string().min(1, "phone is required"),
  firstName: z.string().trim().min(1, "firstName is required").max(200),
  lastName: z.string().max(200).nullish(),
  password: z.string().min(1).max(200).nullish(),
});

const CreateChatBody = z.object({
  ownerId: UserId,
  type: z.enum(["CHAT", "CHANNEL"]).default("CHAT"),
  title: z.string().trim().min(1, "title is required").max(200),
  memberIds: z.array(UserId).max(10_000).default([]),
});

const SendMessageBody = z
  .object({
    fromUserId: UserId,
    chatId: z.number().int().optional(),
    toUserId: UserId.optional(),
    text: z.string().min(1, "text is required").max(4000),
  })
  .refine((b) => (b.chatId === undefined) !== (b.toUserId === undefined), {
    message: "give exactly one of chatId and toUserId",
  });

const PhoneQuery = z.object({ phone: z.string().min(1, "phone is required") });

const QrConfirmBody = z
  .object({ trackId: z.string().min(1).optional(), qrLink: z.string().min(1).optional(), userId: UserId })
  .refine((b) => b.trackId !== undefined || b.qrLink !== undefined, {
    message: "trackId or qrLink is required",
  });

const FaultBody = z.discriminatedUnion("action", [
  z.object({ action: z.literal("drop"), userId: UserId.optional() }),
  z.object({
    action: z.literal("delay"),
    userId: UserId.optional(),
    ms: z.number().int().min(0).max(60_000),
    durationMs: z.number().int().positive().max(3_600_000).default(60_000),
  }),
  z.object({
    action: z.literal("fail"),
    userId: UserId.optional(),
    count: z.number().int().positive().max(10_000).default(1),
    error: z.string().min(1).max(200).optional(),
    message: z.string().min(1).max(1000).optional(),
    opcode: z.number().int().min(0).optional(),
  }),
  z.object({
    action: z.literal("rate-limit"),
    userId: UserId.optional(),
    limit: z.number().int().min(0).max(100_000),
    windowMs: z.number().int().positive().max(3_600_000).default(1000),
    durationMs: z.number().int().positive().max(3_600_000).default(60_000),
  }),
  z.object({ action: z.literal("clear") }),
]);

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const detail = result.error.issues
    .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
  throw new BadRequest(400, detail);
}

function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).send({ error: message });
}

/**
 * The sandbox admin API under `/_sandbox/` (JSON in, JSON out). Its minimum is a contract
 * outside test scripts rely on (DESIGN.md "Sandbox contract"); extras are in docs/sandbox.md.
 */
export function registerAdminApi(app: FastifyInstance, deps: AdminApiDeps): void {
  const { max } = deps;

  app.setErrorHandler((err: FastifyError | Error, _req, reply) => {
    if (err instanceof BadRequest || err instanceof AdminError)
      return sendError(reply, err.status, err.message);
    const status = "statusCode" in err && typeof err.statusCode === "number" ? err.statusCode : 500;
    // Fastify's own 4xx (bad JSON, empty body, wrong content type, body too large) keep their status.
    if (status >= 400 && status < 500) return sendError(reply, status, err.message);
    deps.log.error({ err }, "sandbox admin API failed");
    return sendError(reply, 500, "internal error");
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, 404, `no such endpoint: ${req.method} ${req.url.split("?")[0]}`),
  );

  app.get("/_sandbox/health", async () => ({ ok: true }));

  app.post("/_sandbox/max/users", async (req) => {
    const body = parse(CreateUserBody, req.body);
    return max.createUser({
      phone: body.phone,
      firstName: body.firstName,
      lastName: body.lastName ?? undefined,
      password: body.password ?? undefined,
    });
  });

  app.get("/_sandbox/max/users", async (req, reply) => {
    const { phone } = parse(PhoneQuery, req.query);
    const normalized = normalizePhone(phone);
    if (!normalized) throw new BadRequest(400, "phone must be an international number such as +79001234567");
    const user = deps.findMaxUser(normalized);
    if (!user) return sendError(reply, 404, `no MAX user with phone ${normalized}`);
    return user;
  });

  app.get("/_sandbox/max/sms", async (req, reply) => {
    const { phone } = parse(PhoneQuery, req.query);
    const sms = max.lastSms(phone);
    if (!sms) return sendError(reply, 404, `no SMS code was sent to ${normalizePhone(phone) ?? phone}`);
    return sms;
  });

  app.get("/_sandbox/max/qr", async () => ({ pending: max.pendingQr() }));

  app.post("/_sandbox/max/qr/confirm", async (req) => {
    const body = parse(QrConfirmBody, req.body);
    max.confirmQr((body.trackId ?? body.qrLink)!, body.userId);
    return { ok: true };
  });

  app.post("/_sandbox/max/faults", async (req) => {
    const body = parse(FaultBody, req.body);
    const target = body.action !== "clear" && body.userId !== undefined ? { userId: body.userId } : {};
    switch (body.action) {
      case "drop":
        return { ok: true, dropped: max.drop(target) };
      case "delay":
        max.delay(body.ms, body.durationMs, target);
        return { ok: true };
      case "fail":
        max.failNext(body.count, {
          ...target,
          error: body.error,
          message: body.message,
          opcode: body.opcode,
        });
        return { ok: true };
      case "rate-limit":
        max.rateLimit(body.limit, body.windowMs, body.durationMs, target);
        return { ok: true };
      case "clear":
        max.clearFaults();
        return { ok: true };
    }
  });

  app.post("/_sandbox/max/chats", async (req) => max.createChat(parse(CreateChatBody, req.body)));

  app.post("/_sandbox/max/messages", async (req) => max.sendMessage(parse(SendMessageBody, req.body)));

  app.get("/_sandbox/max/stats", async () => max.stats());

  app.get(deps.indexPath ?? "/", async (_req, reply) =>
    reply.type("text/html; charset=utf-8").send(indexPage(deps.urls())),
  );
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

/** A plain page that says what runs where; the full web console is a later piece of work. */
function indexPage(urls: SandboxUrls): string {
  const rows: [string, string, string][] = [
    ["console + admin API", urls.console, "this page; JSON admin API under /_sandbox/"],
    ["MAX", urls.max, "emulator: WebSocket user API (packets {ver:11, cmd, seq, opcode, payload})"],
    ["MaxIM", urls.maxim, "emulator: the seed's REST API; admin calls under /_sandbox/maxim/"],
    ["WebQQ", urls.webqq, "emulator: every host's paths on one port; admin calls under /_sandbox/webqq/"],
    [
      "VK Video Live",
      urls.vklive,
      "emulator: OAuth, REST DevAPI, Centrifugo; admin calls under /_sandbox/vklive/",
    ],
  ];
  const api: [string, string][] = [
    ["GET /_sandbox/health", '{"ok":true}'],
    ["POST /_sandbox/max/users {phone, firstName, lastName?, password?}", '{"userId"}'],
    ["GET /_sandbox/max/users?phone=+79001234567", '{"userId","phone","firstName","lastName"}'],
    ["GET /_sandbox/max/sms?phone=+79001234567", '{"phone","code"}: the last SMS code sent to that phone'],
    ["GET /_sandbox/max/qr", "pending QR logins"],
    ["POST /_sandbox/max/qr/confirm {trackId | qrLink, userId}", "confirms a QR login as that user"],
    [
      "POST /_sandbox/max/faults {action: drop | delay | fail | rate-limit | clear, …}",
      "injects network trouble",
    ],
    [
      "POST /_sandbox/{maxim,webqq,vklive}/faults/http {action: delay | fail | rate-limit | drop | clear, …}",
      "HTTP network trouble on the other emulators (docs/sandbox.md)",
    ],
    ["POST /_sandbox/max/chats {ownerId, type?: CHAT | CHANNEL, title, memberIds}", '{"chatId"}'],
    [
      "POST /_sandbox/max/messages {fromUserId, chatId | toUserId, text}",
      '{"chatId","messageId"}: sent as that user',
    ],
    ["GET /_sandbox/max/stats", "connections, online sessions, active faults"],
  ];
  const tr = (cells: string[]) => `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard sandbox</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}td{border:1px solid #ccc;padding:.3rem .6rem;vertical-align:top}
td:nth-child(2){font-family:ui-monospace,monospace}</style></head>
<body><h1>Switchboard sandbox</h1>
<p>Local emulators of the messaging platforms. The full web console is not built yet; this page
lists what is running and the admin API.</p>
<h2>Endpoints</h2><table>${rows.map((r) => tr(r)).join("")}</table>
<h2>Admin API</h2><table>${api.map((r) => tr(r)).join("")}</table>
<p>MAX SMS codes are not sent anywhere: read them with <code>GET /_sandbox/max/sms</code> or in the
sandbox log (stderr). See <code>docs/sandbox.md</code> for every flag and call.</p>
</body></html>
`;
}
