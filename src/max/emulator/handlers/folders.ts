/**
 * Chat folders as PyMax drives them (api/self/service.py): 274 FOLDERS_UPDATE creates or updates
 * one folder, 276 FOLDERS_DELETE removes some, and 272 FOLDERS_GET (extras.ts) lists them. The
 * answers are PyMax's FolderUpdate / FolderList `{folder?, folders?, foldersOrder, folderSync}`.
 */
import { ErrorCode, Opcode } from "../../protocol.js";
import { type HandlerContext, handlers, type MaxEmulator, me } from "../context.js";
import { badPayload, MaxProtocolError } from "../errors.js";
import { requireMember } from "./chat-access.js";

/** Folders one account may keep (the service's own limit is not public; this bounds the store). */
export const MAX_FOLDERS = 50;

/** 272's answer: every folder of the user in order, with the sync mark. */
export function folderList(emu: MaxEmulator, userId: number) {
  const folders = emu.repos.folders.list(userId);
  return {
    folderSync: emu.repos.folders.folderSync(userId),
    folders,
    foldersOrder: folders.map((f) => f.id),
    allFilterExcludeFolders: [],
  };
}

function orderAndSync(ctx: HandlerContext, userId: number) {
  return {
    folderSync: ctx.emu.repos.folders.folderSync(userId),
    foldersOrder: ctx.emu.repos.folders.list(userId).map((f) => f.id),
  };
}

export const folderHandlers = handlers({
  [Opcode.FOLDERS_UPDATE]: {
    handle: (ctx, payload) => {
      const { emu } = ctx;
      const userId = me(ctx);
      const title = payload.title.trim();
      if (!title) throw badPayload("title must not be blank");
      const include = [...new Set(payload.include)];
      // A folder holds only chats the user is in.
      for (const chatId of include) requireMember(emu, chatId, userId);
      if (!emu.repos.folders.get(userId, payload.id) && emu.repos.folders.count(userId) >= MAX_FOLDERS) {
        throw new MaxProtocolError(
          ErrorCode.PROTO_PAYLOAD,
          `At most ${MAX_FOLDERS} folders`,
          "Слишком много папок",
        );
      }
      const folder = emu.repos.folders.upsert(
        userId,
        { id: payload.id, title, include, filters: payload.filters, options: payload.options },
        emu.now(),
      );
      return { folder, ...orderAndSync(ctx, userId) };
    },
  },
  [Opcode.FOLDERS_DELETE]: {
    handle: (ctx, payload) => {
      const userId = me(ctx);
      // Unknown ids are no error: the answer's order shows what is left.
      ctx.emu.repos.folders.remove(userId, [...new Set(payload.folderIds)], ctx.emu.now());
      return orderAndSync(ctx, userId);
    },
  },
});
