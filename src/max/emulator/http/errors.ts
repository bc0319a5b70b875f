import type { FastifyReply } from "fastify";
import { ErrorCode } from "../../protocol.js";

// ── errors ──────────────────────────────────────────────────────────────────

export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const tooLarge = (limit: number) =>
  new HttpFailure(413, ErrorCode.FILE_TOO_LARGE, `File exceeds the limit of ${limit} bytes`);

export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type("application/json; charset=utf-8").send({ error: code, message });
}
