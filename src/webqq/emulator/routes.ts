/** Emulator routes come from the endpoint table: one call = its table method and path. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type EndpointName, WEBQQ_ENDPOINTS } from "../protocol.js";

export function route(
  app: FastifyInstance,
  name: EndpointName,
  fn: (req: FastifyRequest, reply: FastifyReply) => unknown,
): void {
  const e = WEBQQ_ENDPOINTS[name];
  app.route({ method: e.method, url: e.path, handler: async (req, reply) => fn(req, reply) });
}
