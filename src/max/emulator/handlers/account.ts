import { handlers } from "../context.js";

/** TODO(helper): opcodes of this area. */
export const accountHandlers = handlers({});
