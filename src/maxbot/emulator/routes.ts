/**
 * Registers the Bot API's REST routes from the endpoint table: each route parses its path
 * parameters, query and JSON body with the table's strict schemas (a failure is a 400 error
 * body, nothing is written), calls its handler with the authenticated bot, and answers the
 * handler's result as JSON. Methods the table lists for a path but not the one called answer 405.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import { type MaxBotEndpointName, MaxBotEndpoints } from "../protocol.js";
import type { MaxBotContext } from "./context.js";
import { BotApiError, badRequest, describeZodError, sendError, toBotApiError } from "./errors.js";

type Table = typeof MaxBotEndpoints;
type QueryOf<N extends MaxBotEndpointName> = Table[N]["in"] extends "query"
  ? z.output<Table[N]["request"]>
  : Table[N]["query"] extends z.ZodType
    ? z.output<Table[N]["query"]>
    : Record<string, never>;
type BodyOf<N extends MaxBotEndpointName> = Table[N]["in"] extends "body"
  ? z.output<Table[N]["request"]>
  : undefined;

export interface BotCall<Q, B> {
  botId: number;
  /** Raw path parameters (`chatId`, `messageId` …); read them with pathInt / the mid helpers. */
  params: Record<string, string>;
  query: Q;
  body: B;
}

export type BotHandler<N extends MaxBotEndpointName> = (
  ctx: MaxBotContext,
  call: BotCall<QueryOf<N>, BodyOf<N>>,
) => z.input<Table[N]["response"]> | Promise<z.input<Table[N]["response"]>>;

export type BotHandlers = { [N in MaxBotEndpointName]?: BotHandler<N> };

/** An int64 path parameter (`chatId`, `userId`), or a 400 naming it. */
export function pathInt(call: { params: Record<string, string> }, name: string): number {
  const v = call.params[name] ?? "";
  if (!/^-?\d{1,19}$/.test(v)) throw badRequest(`Invalid path parameter ${name}: expected an integer`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw badRequest(`Invalid path parameter ${name}: out of range`);
  return n;
}

/** Marks a JSON body that failed to parse (answered 400 by the route, not by Fastify). */
export const BAD_JSON = Symbol("bad json");

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw badRequest(describeZodError(r.error, where));
  return r.data;
}

/** Turns `/chats/:chatId/pin` into a regex for the 405 check. */
function pathPattern(path: string): RegExp {
  return new RegExp(`^${path.replace(/:[A-Za-z_]+/g, "[^/]+")}/?$`);
}

export function registerBotRoutes(
  app: FastifyInstance,
  ctx: MaxBotContext,
  handlers: BotHandlers,
  skip: ReadonlySet<MaxBotEndpointName>,
): void {
  const seen = new Set<string>();
  for (const name of Object.keys(MaxBotEndpoints) as MaxBotEndpointName[]) {
    if (skip.has(name)) continue;
    const handle = handlers[name] as BotHandler<MaxBotEndpointName> | undefined;
    if (!handle) continue;
    const e = MaxBotEndpoints[name];
    const key = `${e.method} ${e.path.replace(/:[A-Za-z_]+/g, ":")}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const querySchema: z.ZodType | undefined = e.in === "query" ? e.request : e.query;
    const bodySchema: z.ZodType | undefined = e.in === "body" ? e.request : undefined;
    app.route({
      method: e.method,
      url: e.path,
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        try {
          const query = querySchema ? parse(querySchema, req.query ?? {}, "query") : {};
          let body: unknown;
          if (bodySchema) {
            if (req.body === BAD_JSON) throw badRequest("Invalid JSON in request body");
            if (req.body === undefined || req.body === null) throw badRequest("Request body is required");
            body = parse(bodySchema, req.body, "body");
          }
          const call = {
            botId: req.botId,
            params: (req.params ?? {}) as Record<string, string>,
            query,
            body,
          };
          const result = await handle(ctx, call as never);
          return reply.code(200).type("application/json").send(result);
        } catch (err) {
          return sendError(reply, toBotApiError(err, ctx.log, req));
        }
      },
    });
  }
}

/** Not-found handler: a known path called with another method is 405, anything else 404. */
export function registerNotFound(app: FastifyInstance): void {
  const patterns = Object.values(MaxBotEndpoints).map((e) => pathPattern(e.path));
  app.setNotFoundHandler((req, reply) => {
    const path = (req.url.split("?")[0] ?? "").replace(/\/+$/, "") || "/";
    if (patterns.some((p) => p.test(path))) {
      return sendError(
        reply,
        new BotApiError(405, "method.not.allowed", `Method ${req.method} is not allowed here`),
      );
    }
    return sendError(reply, new BotApiError(404, "not.found", `No method ${req.method} ${path}`));
  });
}
