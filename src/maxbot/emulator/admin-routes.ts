/**
 * The maxbot admin routes under `/_sandbox/maxbot/` (JSON in, JSON out; errors `{error}` with
 * their status, as the other platforms' admin routes answer), mounted on the console app:
 * - `POST bots {name, username?, description?, token?}` → `{token, userId}`: a new bot (its token
 *   shown once; `token` fixes it instead of making a new one);
 * - `GET bots` → `{bots: [{userId, name, username, createdAt, queued}]}` (no tokens);
 * - `POST bots/:userId/chats {chatId, admin?, byUserId?}` → `{ok: true}`: the bot joins a MAX chat
 *   (as admin when `admin`), added by `byUserId` or else by the chat's owner.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { MaxBotAdmin } from "./admin.js";
import { BotApiError, fromWorldError, isWorldError } from "./errors.js";

const CreateBotBody = z.object({
  name: z.string().trim().min(1, "name is required").max(64),
  username: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]{2,63}$/, "username has 3-64 letters, digits or _ and starts with a letter")
    .optional(),
  description: z.string().max(400).optional(),
  /** A fixed token for the bot (scripts that hold one); a new one is made when omitted. */
  token: z
    .string()
    .regex(/^[\w-]{16,256}$/, "token has 16-256 characters of A-Z, a-z, 0-9, _ and -")
    .optional(),
});
const AddToChatBody = z.object({
  chatId: z.number().int(),
  admin: z.boolean().optional(),
  byUserId: z.number().int().positive().optional(),
});
const UserIdParam = z.object({
  userId: z
    .string()
    .regex(/^\d{1,15}$/, "userId must be a number")
    .transform(Number),
});

class AdminBadRequest extends Error {}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  throw new AdminBadRequest(
    r.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; "),
  );
}

function answerError(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof AdminBadRequest) return reply.code(400).send({ error: err.message });
  const e = isWorldError(err) ? fromWorldError(err) : err;
  if (e instanceof BotApiError) return reply.code(e.status).send({ error: e.message });
  throw err;
}

export function registerMaxBotAdmin(app: FastifyInstance, admin: MaxBotAdmin): void {
  app.post("/_sandbox/maxbot/bots", async (req, reply) => {
    try {
      const body = parse(CreateBotBody, req.body);
      const input: { name: string; username?: string; description?: string; token?: string } = {
        name: body.name,
      };
      if (body.token !== undefined) input.token = body.token;
      if (body.username !== undefined) input.username = body.username;
      if (body.description !== undefined) input.description = body.description;
      return admin.createBot(input);
    } catch (err) {
      return answerError(reply, err);
    }
  });

  app.get("/_sandbox/maxbot/bots", async () => ({ bots: admin.bots() }));

  app.post("/_sandbox/maxbot/bots/:userId/chats", async (req, reply) => {
    try {
      const { userId } = parse(UserIdParam, req.params);
      const body = parse(AddToChatBody, req.body);
      const options: { admin?: boolean; byUserId?: number } = {};
      if (body.admin !== undefined) options.admin = body.admin;
      if (body.byUserId !== undefined) options.byUserId = body.byUserId;
      admin.addToChat(userId, body.chatId, options);
      return { ok: true };
    } catch (err) {
      return answerError(reply, err);
    }
  });
}
