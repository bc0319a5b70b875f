import { handlers, type MaxEmulator } from "../context.js";

/** TODO(helper): opcodes of this area. */
export const chatHandlers = handlers({});

/** Chats for the login answer (19): newest first, at most `count`, changed after `since` (ms). */
export function listChatsForLogin(_emu: MaxEmulator, _userId: number, _count: number, _since: number): unknown[] {
  return [];
}
