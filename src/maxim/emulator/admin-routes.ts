import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { ERROR_CODES } from "../protocol.js";
import type { MaxImAdmin } from "./server.js";

const AppBody = z.object({
  appId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "appId must be 1-64 of [A-Za-z0-9_-]"),
});
const AppQuery = z.object({ appId: z.string().min(1).max(64).optional() });
const FaultBody = z.object({
  code: z
    .number()
    .int()
    .refine((c) => c in ERROR_CODES, "code must be a MaxIM error code of the seed's table"),
  path: z.string().startsWith("/").max(256).optional(),
  times: z.number().int().min(1).max(10_000).default(1),
});

/** Parses or answers 400 `{error}` (the admin API's error shape) and returns undefined. */
function parse<T extends z.ZodType>(schema: T, value: unknown, reply: FastifyReply): z.output<T> | undefined {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const error = r.error.issues
    .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
  void reply.code(400).send({ error });
  return undefined;
}

/**
 * The sandbox admin API's MaxIM calls (under `/_sandbox/maxim/`, JSON in and out):
 * - `POST apps {appId}` → `{appId, adminToken}`: creates the app, or issues one more admin token
 *   for an existing one (earlier tokens, e.g. the seed's example token, keep working);
 * - `GET messages?appId=` → `{messages}`: what was sent (`/message/send`, `/message/notify`);
 * - `GET pushes?appId=` → `{pushes}`: each `/push/notify` with the devices it reached;
 * - `POST faults {code, path?, times?}` → `{ok}`: the next `times` requests (to `path`) answer
 *   `code`; `DELETE faults` clears them.
 */
export function registerMaxImAdmin(app: FastifyInstance, admin: MaxImAdmin): void {
  app.post("/_sandbox/maxim/apps", async (req, reply) => {
    const body = parse(AppBody, req.body, reply);
    if (!body) return reply;
    return admin.issueAdminToken(body.appId);
  });

  app.get("/_sandbox/maxim/messages", async (req, reply) => {
    const q = parse(AppQuery, req.query, reply);
    if (!q) return reply;
    return { messages: admin.messages(q.appId) };
  });

  app.get("/_sandbox/maxim/pushes", async (req, reply) => {
    const q = parse(AppQuery, req.query, reply);
    if (!q) return reply;
    return { pushes: admin.pushes(q.appId) };
  });

  app.post("/_sandbox/maxim/faults", async (req, reply) => {
    const body = parse(FaultBody, req.body, reply);
    if (!body) return reply;
    admin.failNext(
      body.code,
      body.path === undefined ? { times: body.times } : { path: body.path, times: body.times },
    );
    return { ok: true };
  });

  app.delete("/_sandbox/maxim/faults", async () => {
    admin.clearFaults();
    return { ok: true };
  });
}
