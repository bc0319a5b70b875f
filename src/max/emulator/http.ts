import type { FastifyInstance } from "fastify";
import type { MaxEmulator } from "./context.js";

/** TODO(helper): upload / download routes on the emulator's own port. */
export function registerFileRoutes(_app: FastifyInstance, _emu: MaxEmulator): void {}
