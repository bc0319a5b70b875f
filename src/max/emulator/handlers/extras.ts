/**
 * Requests that PyMax and the web client send beside the seed's table (issue 13): telemetry (5),
 * delivery receipts (128 from the client), contact lookup by phone (46), the chat folder list (272).
 * Each is answered as the service answers it, never `proto.opcode`.
 */
import { ErrorCode, Opcode } from "../../protocol.js";
import { handlers, me } from "../context.js";
import { MaxProtocolError } from "../errors.js";
import { isContactStatus } from "../store/contacts.js";
import { normalizePhone } from "../store/users.js";
import { contactView, isBlocked, parseSettings } from "./contacts.js";
import { folderList } from "./folders.js";

const notFound = () => new MaxProtocolError(ErrorCode.NOT_FOUND, "Contact not found", "Контакт не найден");

export const extraHandlers = handlers({
  // Telemetry is accepted and dropped: the service answers with an empty payload.
  [Opcode.LOG]: { handle: () => ({}) },
  // Delivery receipt of a pushed message: acknowledged with an empty answer. Nothing else
  // follows from it (read marks are 50's job), so a stale or foreign id is no error either.
  [Opcode.NEW_MESSAGE]: { handle: () => ({}) },
  [Opcode.CONTACT_BY_PHONE]: {
    handle: (ctx, payload) => {
      const { emu } = ctx;
      const viewer = me(ctx);
      const phone = normalizePhone(payload.phone);
      const user = phone ? emu.repos.users.byPhone(phone) : undefined;
      if (!user) throw notFound();
      if (user.id !== viewer) {
        // The user's "find me by phone" privacy applies as in contact import (21).
        const privacy = parseSettings(user.settings).user.SEARCH_BY_PHONE;
        const theyKnowMe = isContactStatus(emu.repos.contacts.get(user.id, viewer)?.status);
        if (privacy === "NOBODY" || (privacy === "CONTACTS" && !theyKnowMe)) throw notFound();
        if (isBlocked(emu, user.id, viewer)) throw notFound();
      }
      return { contact: contactView(emu, viewer, user, emu.repos.contacts.get(viewer, user.id)) };
    },
  },
  // The user's folders (made with 274, folders.ts), in their order, with the sync mark.
  [Opcode.FOLDERS_GET]: { handle: (ctx) => folderList(ctx.emu, me(ctx)) },
});
