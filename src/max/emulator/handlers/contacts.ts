import { handlers, type MaxEmulator } from "../context.js";

/** TODO(helper): opcodes of this area. */
export const contactHandlers = handlers({});

/** Contacts for the login answer (19), changed after `since` (ms). */
export function listContactsForLogin(_emu: MaxEmulator, _userId: number, _since: number): unknown[] {
  return [];
}

/** Pushes presence (129, and 132 for PyMax) to everyone subscribed to `userId`. */
export function announcePresence(_emu: MaxEmulator, _userId: number, _online: boolean): void {}
