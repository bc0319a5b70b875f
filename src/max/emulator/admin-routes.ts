/**
 * The MAX admin routes under `/_sandbox/max/` (JSON in, JSON out), mounted on the sandbox's
 * console app by the plugin's `registerAdmin`. Paths, bodies and answers are a contract outside
 * scripts rely on (DESIGN.md "Sandbox contract"); docs/sandbox.md lists them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { AdminError, type MaxAdmin } from "./admin.js";
import { BotWorldError, type MaxBotWorldImpl } from "./bot-world.js";
import type { UsersRepo } from "./store/users.js";
import { normalizePhone } from "./store/users.js";

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

const MessageIdField = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^\d{1,16}$/)
    .transform(Number),
]);

const PressBody = z.object({
  userId: UserId,
  chatId: z.number().int(),
  messageId: MessageIdField,
  payload: z.string().max(1024).optional(),
});

const StartBody = z.object({
  userId: UserId,
  botId: UserId,
  payload: z.string().max(512).nullish(),
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

const WORLD_STATUS: Record<string, number> = {
  "not.found": 404,
  "access.denied": 403,
  "chat.denied": 403,
  conflict: 409,
};

type Handler = (req: FastifyRequest, reply: FastifyReply) => unknown;

/** Our own 4xx errors answer `{error}` with their status whatever the app's error handler does. */
function guarded(handler: Handler): Handler {
  return async (req, reply) => {
    try {
      return await handler(req, reply);
    } catch (err) {
      if (err instanceof BadRequest || err instanceof AdminError)
        return sendError(reply, err.status, err.message);
      if (err instanceof BotWorldError) return sendError(reply, WORLD_STATUS[err.code] ?? 400, err.message);
      throw err;
    }
  };
}

export interface MaxAdminRouteDeps {
  admin: MaxAdmin;
  users: UsersRepo;
  /** The bots' world: `/_sandbox/max/bots/…` routes press buttons and start bots as a user. */
  world?: MaxBotWorldImpl;
}

/** Registers every `/_sandbox/max/…` route on `app`. */
export function registerMaxAdminRoutes(app: FastifyInstance, deps: MaxAdminRouteDeps): void {
  const { admin: max, users, world } = deps;

  app.post(
    "/_sandbox/max/users",
    guarded(async (req) => {
      const body = parse(CreateUserBody, req.body);
      return max.createUser({
        phone: body.phone,
        firstName: body.firstName,
        lastName: body.lastName ?? undefined,
        password: body.password ?? undefined,
      });
    }),
  );

  app.get(
    "/_sandbox/max/users",
    guarded(async (req, reply) => {
      const { phone } = parse(PhoneQuery, req.query);
      const normalized = normalizePhone(phone);
      if (!normalized)
        throw new BadRequest(400, "phone must be an international number such as +79001234567");
      const row = users.byPhone(normalized);
      if (!row) return sendError(reply, 404, `no MAX user with phone ${normalized}`);
      return { userId: row.id, phone: row.phone, firstName: row.first_name, lastName: row.last_name };
    }),
  );

  app.get(
    "/_sandbox/max/sms",
    guarded(async (req, reply) => {
      const { phone } = parse(PhoneQuery, req.query);
      const sms = max.lastSms(phone);
      if (!sms) return sendError(reply, 404, `no SMS code was sent to ${normalizePhone(phone) ?? phone}`);
      return sms;
    }),
  );

  app.get(
    "/_sandbox/max/qr",
    guarded(async () => ({ pending: max.pendingQr() })),
  );

  app.post(
    "/_sandbox/max/qr/confirm",
    guarded(async (req) => {
      const body = parse(QrConfirmBody, req.body);
      max.confirmQr((body.trackId ?? body.qrLink)!, body.userId);
      return { ok: true };
    }),
  );

  app.post(
    "/_sandbox/max/faults",
    guarded(async (req) => {
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
    }),
  );

  app.post(
    "/_sandbox/max/chats",
    guarded(async (req) => max.createChat(parse(CreateChatBody, req.body))),
  );

  app.post(
    "/_sandbox/max/messages",
    guarded(async (req) => max.sendMessage(parse(SendMessageBody, req.body))),
  );

  if (world) {
    app.post(
      "/_sandbox/max/bots/press",
      guarded(async (req) => {
        const body = parse(PressBody, req.body);
        return world.press(body.userId, body.chatId, body.messageId, body.payload);
      }),
    );
    app.post(
      "/_sandbox/max/bots/start",
      guarded(async (req) => {
        const body = parse(StartBody, req.body);
        return world.start(body.userId, body.botId, body.payload ?? null);
      }),
    );
  }

  app.get(
    "/_sandbox/max/stats",
    guarded(async () => max.stats()),
  );
}
